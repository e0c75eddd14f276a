"""graph360: a graph-based customer relationship explorer."""

import pandas as _pandas

# Copy-on-Write, the only mode of pandas 3: a derived frame (``assign``, a column subset, a
# shallow copy) shares its parent's arrays until one of them is written, instead of copying
# every column of a ten-million-row frame at each step of a load.
_pandas.set_option("mode.copy_on_write", True)

__version__ = "0.1.0"
