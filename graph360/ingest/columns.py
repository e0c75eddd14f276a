"""Text columns of the loader's frames as Arrow arrays: one conversion, the fastest there is.

A column read from a bundle is Arrow strings already (``bundle.TEXT_DTYPE``), so it goes
back to Arrow without a copy per value; an object column of strings converts in C; anything
else (numbers in an object column) goes through its string form, as ``astype("string")``
gives it, so that hashes stay what they were.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

__all__ = ["text_array"]


def text_array(values: pd.Series) -> pa.Array:
    """``values`` as Arrow strings, null where missing.

    >>> text_array(pd.Series(["a", None, 2], dtype=object)).to_pylist()
    ['a', None, '2']
    """
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return _one_chunk(pa.array(values, from_pandas=True)).cast(pa.string())
    if pd.api.types.is_object_dtype(dtype):
        try:
            return pa.array(values.to_numpy(), type=pa.string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            pass  # not all text: through the string form below
    return _one_chunk(pa.array(values.astype("string"), from_pandas=True)).cast(pa.string())


def _one_chunk(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
