"""Dates and epochs in an export normalised to ISO text (UTC when a timezone is given)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph360.ingest.mapping.keys import _TIME_DIRECTIVES
from graph360.ingest.mapping.reading import _strings


def _apply_dates(values: pd.Series, formats: Sequence[str], timezone: str | None) -> pd.Series:
    text = values.str.strip()
    out = values.to_numpy(dtype=object).copy()
    todo = np.asarray(text != "", dtype=bool).copy()
    for fmt in formats:
        if not todo.any():
            break
        where = np.flatnonzero(todo)
        iso, ok = _parse_dates(text.iloc[where].reset_index(drop=True), fmt, timezone)
        out[where[ok]] = iso[ok]
        todo[where[ok]] = False
    return _strings(out.tolist())


def _parse_dates(
    text: pd.Series, fmt: str, timezone: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """ISO-8601 text and a parsed flag per value (vectorised; offsets kept as +hh:mm).

    A time with no offset of its own, read from an export whose mapping names a ``timezone``,
    gets that zone's offset at that moment (an hour repeated when the clocks go back is read
    as the first, summer-time one; an hour skipped when they go forward moves forward).
    """
    iso = np.full(len(text), None, dtype=object)
    offset = None
    if fmt.endswith("%z") and "%z" not in fmt[:-2]:
        # Arrow's regex kernels, not pandas' per-value extract: a million stamps in a second
        parts = pc.extract_regex(
            pa.array(text.tolist(), pa.string()),
            r"^(?P<stamp>.*?)\s?(?P<offset>[+-]\d\d:?\d\d|Z)$",
        )
        stamp = pc.fill_null(pc.struct_field(parts, ["stamp"]), "")
        found = pc.fill_null(pc.struct_field(parts, ["offset"]), "")
        found = pc.replace_substring_regex(found, r"^([+-]\d\d):?(\d\d)$", r"\1:\2")
        found = pc.replace_substring(found, "Z", "+00:00")
        text = pd.Series(stamp, dtype="str")
        offset = pd.Series(found, dtype="str")
        fmt = fmt[:-2].rstrip()
    elif "%z" in fmt:
        known = [_strptime_iso(v, fmt) for v in text.tolist()]
        iso[:] = known
        return iso, np.array([v is not None for v in known], dtype=bool)
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    ok = np.array(parsed.notna(), dtype=bool)
    if offset is not None:
        ok &= (offset != "").to_numpy()
    unit = "s" if any(d in fmt for d in _TIME_DIRECTIVES) else "D"
    if ok.any():
        stamps = parsed[ok].to_numpy().astype(f"datetime64[{unit}]")
        iso[ok] = np.datetime_as_string(stamps, unit=unit).astype(object)
        if offset is not None:
            iso[ok] = iso[ok] + offset[ok].to_numpy(dtype=object)
        elif timezone is not None and unit == "s":
            local = parsed[ok].dt.tz_localize(
                timezone, ambiguous=np.ones(int(ok.sum()), dtype=bool), nonexistent="shift_forward"
            )
            wall = local.dt.tz_localize(None)
            minutes = (wall - local.dt.tz_convert("UTC").dt.tz_localize(None)) // pd.Timedelta(
                minutes=1
            )
            sign = np.where(minutes < 0, "-", "+")
            hours = (minutes.abs() // 60).astype(str).str.zfill(2)
            offset_text = sign + hours + ":" + (minutes.abs() % 60).astype(str).str.zfill(2)
            stamps = wall.to_numpy().astype("datetime64[s]")
            iso[ok] = (
                np.datetime_as_string(stamps, unit="s").astype(object) + offset_text
            ).to_numpy(dtype=object)
    return iso, ok


def _apply_epoch(values: pd.Series, unit: str) -> pd.Series:
    """Whole numbers of seconds, ms or µs since 1970 as ISO-8601 UTC ("…+00:00"), kept to the
    unit's precision; anything else is kept raw, for the loader to reject with its line."""
    text = values.str.strip()
    ok = np.asarray(text.str.fullmatch(r"[+-]?\d{1,19}").fillna(False), dtype=bool)
    if not ok.any():
        return values
    numbers = pd.to_numeric(text[ok], errors="coerce")
    good = numbers.notna() & (numbers.abs() < _EPOCH_LIMIT[unit])
    where = np.flatnonzero(ok)[good.to_numpy()]
    stamps = numbers[good].to_numpy(dtype=np.int64).astype(f"datetime64[{unit}]")
    out = values.to_numpy(dtype=object).copy()
    out[where] = np.char.add(np.datetime_as_string(stamps, unit=unit).astype(str), "+00:00")
    return _strings(out.tolist())


#: Beyond these an epoch is not a time anyone exported (and would overflow datetime64[us]).
_EPOCH_LIMIT = {"s": 10**11, "ms": 10**14, "us": 10**17}


def _strptime_iso(value: str, fmt: str) -> str | None:
    from datetime import datetime

    try:
        return datetime.strptime(value, fmt).isoformat()
    except ValueError:
        return None
