"""Content hashes of loaded rows: how a re-load tells new, changed and unchanged rows apart.

Every row a load writes carries ``row_hash``, a 64-bit digest of what the row puts in the
graph (its properties and the keys of the relationships it implies). A later load computes
the same digest for each of its rows and reads back only keys and hashes, so unchanged rows
cost a comparison instead of a write.

The digest is vectorised over whole Arrow columns, because a Python call per row is seconds
at ten million rows. Each string column is dictionary-encoded and only its distinct values are
hashed (most columns repeat: a channel, a step, a department); fixed-width columns are hashed
from their bits. Column digests are combined in order with a 64-bit mixer (splitmix64's
finaliser), so the digest is stable across processes, machines and versions of Python (no
``hash()`` seed); a null is a value of its own, distinct from an empty string.

This is change detection, not security: an adversary could craft a collision, a data export
will not (two different rows of one key collide with probability about 2⁻⁶⁴).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph360.ingest.columns import one_chunk

__all__ = ["row_hashes"]

_NULL = np.uint64(0x5BD1E9955BD1E995)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(0x100000001B3)
#: Distinct values hashed per slice (bounds the temporary arrays of the string hash).
_SLICE = 1 << 18


def row_hashes(table: pa.Table) -> np.ndarray:
    """One int64 digest per row of ``table`` over all its columns, in column order.

    >>> t = pa.table({"a": ["x", None, "x"], "b": [1.0, 2.0, 1.0]})
    >>> h = row_hashes(t)
    >>> bool(h[0] == h[2]), bool(h[0] == h[1])
    (True, False)
    """
    combined = np.full(table.num_rows, _GOLDEN, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for position, column in enumerate(table.columns):
            values = _column_hash(one_chunk(column))
            combined = _mix(combined * _PRIME + values + np.uint64(position + 1))
    return combined.view(np.int64)


def _column_hash(column: pa.Array) -> np.ndarray:
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind):
        return _string_hash(column)
    if pa.types.is_null(kind):
        return np.full(len(column), _NULL, dtype=np.uint64)
    if pa.types.is_boolean(kind):
        column = column.cast(pa.int8())
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        column = column.cast(pa.int64())
    if pa.types.is_floating(kind):
        column = column.cast(pa.float64())
        bits = column.fill_null(0.0).to_numpy(zero_copy_only=False) + 0.0  # -0.0 == 0.0
        raw = bits.view(np.uint64)
    else:
        raw = column.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        raw = raw.astype(np.int64).view(np.uint64)
    with np.errstate(over="ignore"):
        hashed = _mix(raw + _GOLDEN)
    if column.null_count:
        hashed[column.is_null().to_numpy(zero_copy_only=False)] = _NULL
    return hashed


def _string_hash(column: pa.Array) -> np.ndarray:
    """Hash each distinct value once (dictionary encoding), then look the rows up."""
    encoded = pc.dictionary_encode(column.cast(pa.large_string()))
    dictionary = encoded.dictionary
    digests = np.empty(len(dictionary), dtype=np.uint64)
    for start in range(0, len(dictionary), _SLICE):
        digests[start : start + _SLICE] = _bytes_hash(dictionary.slice(start, _SLICE))
    indices = encoded.indices
    if not len(digests):  # every value null
        return np.full(len(column), _NULL, dtype=np.uint64)
    hashed = digests[indices.fill_null(0).to_numpy(zero_copy_only=False)]
    if indices.null_count:
        hashed[indices.is_null().to_numpy(zero_copy_only=False)] = _NULL
    return hashed


def _bytes_hash(values: pa.Array) -> np.ndarray:
    """A position-weighted sum of mixed bytes per value, then its length mixed in."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)
    offsets = offsets[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    lengths = np.diff(offsets)
    if not len(data):
        return _mix(lengths.astype(np.uint64) + _GOLDEN)
    starts = offsets[:-1] - offsets[0]
    position = np.arange(len(data), dtype=np.uint64) - np.repeat(starts, lengths).astype(np.uint64)
    with np.errstate(over="ignore"):
        weighted = _mix(data.astype(np.uint64) + _GOLDEN) * (position * np.uint64(2) + np.uint64(1))
        sums = np.add.reduceat(weighted, np.minimum(starts, len(data) - 1))
        sums[lengths == 0] = 0
        return _mix(sums + lengths.astype(np.uint64) * _PRIME)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    with np.errstate(over="ignore"):
        values = values ^ (values >> np.uint64(30))
        values = values * np.uint64(0xBF58476D1CE4E5B9)
        values = values ^ (values >> np.uint64(27))
        values = values * np.uint64(0x94D049BB133111EB)
        return values ^ (values >> np.uint64(31))
