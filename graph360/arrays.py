"""Set operations on large arrays (integer codes and hashes; ``isin`` takes text too), without
numpy's hash table: by sorting, by Arrow's ``is_in``, or by counting codes.

Since numpy 2.3, ``np.unique`` without its index outputs finds the distinct values with a hash
table, and ``np.isin`` goes through it: on ten million mostly distinct int64 that costs 7-13 s
where a sort takes 0.7 s and Arrow's ``is_in`` 2.3 s (numpy 2.4.6, 2026-12-04, docs/DECISIONS.md
"Lines taken at 1M/10M"). The loader and the analytics meet such arrays at every load and
question, so they use these instead.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (``np.unique(values)``)."""
    ordered = np.sort(np.asarray(values).ravel())
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def isin(values: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is one of ``candidates`` (``np.isin``), by a hash table of
    the candidates."""
    values = np.asarray(values)
    if not len(values) or not len(candidates):
        return np.zeros(values.shape, dtype=bool)
    found = pc.is_in(pa.array(values.ravel()), value_set=pa.array(np.asarray(candidates).ravel()))
    return found.to_numpy(zero_copy_only=False).reshape(values.shape)


def dense_unique(values: np.ndarray, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of non-negative integer codes (below ``size``) and each value's
    place among them: ``np.unique(values, return_inverse=True)`` by marking and counting,
    O(n + size) instead of a sort (10M customer codes: ~0.1 s against 3 s); by the sort when
    the codes are sparse."""
    values = np.asarray(values, dtype=np.int64).ravel()
    if len(values) and values.min() < 0:
        raise ValueError("dense_unique takes non-negative codes")
    if size is None:
        size = int(values.max()) + 1 if len(values) else 0
    if size > 4 * len(values) + (1 << 20):  # sparse codes: the marks would outweigh a sort
        present, place = np.unique(values, return_inverse=True)
        return present, place.ravel()
    seen = np.zeros(size, dtype=bool)
    seen[values] = True
    place = np.cumsum(seen) - 1
    return np.flatnonzero(seen), place[values]
