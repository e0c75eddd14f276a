"""Text columns of the loader's frames as Arrow arrays, in one place and without needless copies.

A column read from a bundle is Arrow strings already (:data:`TEXT_DTYPE`), so it goes
back to Arrow without a copy per value; an object column of strings converts in C; anything
else (numbers in an object column) goes through its string form, as ``astype("string")``
gives it, so that hashes stay what they were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["TEXT_DTYPE", "TEXT_TYPES", "one_chunk", "text_array", "text_series"]

#: How the loader holds text: Arrow strings, missing as NaN (pandas 3's ``str``). A column of
#: ten million values is one Arrow buffer instead of ten million Python objects, so null
#: checks, comparisons and the way back to Arrow (hashes, the store) cost no conversion.
TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)
#: ``types_mapper`` for ``to_pandas``: Arrow text becomes :data:`TEXT_DTYPE`.
TEXT_TYPES = {pa.string(): TEXT_DTYPE, pa.large_string(): TEXT_DTYPE}


def text_array(values: pd.Series) -> pa.Array:
    """``values`` as Arrow strings, null where missing.

    >>> text_array(pd.Series(["a", None, 2], dtype=object)).to_pylist()
    ['a', None, '2']
    """
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return one_chunk(pa.array(values, from_pandas=True)).cast(pa.string())
    if pd.api.types.is_object_dtype(dtype):
        try:
            return pa.array(values.to_numpy(), type=pa.string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            pass  # not all text: through the string form below
    return one_chunk(pa.array(values.astype("string"), from_pandas=True)).cast(pa.string())


def one_chunk(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``array`` as one Arrow array: a column of one chunk as it is (``combine_chunks`` would
    copy even that), several concatenated."""
    if not isinstance(array, pa.ChunkedArray):
        return array
    return array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()


def text_series(array: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """Arrow text as a loader column (:data:`TEXT_DTYPE`) on ``index``."""
    return pd.Series(array.to_pandas(types_mapper=TEXT_TYPES.get), copy=False).set_axis(index)
