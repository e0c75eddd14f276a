"""Small vectorised helpers the generators share: strings, picks, ids, times and the
shapes people type e-mails, names and phones in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from graph360.demo.vocabulary import _WEEKDAY, DAYS, HOURS, START, START_DAY, WEEKDAYS


def _s(values: Any) -> pd.Series:
    """A string Series (pyarrow-backed): built through pyarrow, which is much faster."""
    if isinstance(values, pd.Series):
        return values.astype("str").reset_index(drop=True)
    array = pa.array(np.asarray(values, dtype=object), type=pa.string())
    return pd.Series(array, dtype="str")


def _pick(rng: np.random.Generator, options: Any, size: int, p: Any = None) -> np.ndarray:
    options = np.asarray(options, dtype=object)
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return options[rng.choice(len(options), size=size, p=p)]


def _affine(i: np.ndarray, modulus: int, a: int, b: int) -> np.ndarray:
    """A bijection of 0..modulus-1 (a coprime to modulus): unique, random-looking numbers."""
    return (np.asarray(i, dtype=np.int64) * a + b) % modulus


def _capped(weights: np.ndarray, cap: float) -> np.ndarray:
    """Probabilities proportional to ``weights`` with none above ``cap`` (when that is possible).

    Keeps the heavy tail below the documented top influencers at every size.
    """
    p = weights / weights.sum()
    cap = max(cap, 1.0 / len(p))
    for _ in range(50):
        over = p > cap
        if not over.any():
            break
        p = np.where(over, cap, p)
        free = ~over
        p[free] *= (1.0 - p[over].sum()) / p[free].sum()
    return p / p.sum()


def _base36(values: np.ndarray, width: int) -> pd.Series:
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)
    values = np.asarray(values, dtype=np.int64).copy()
    out = _s([""] * len(values))
    for _ in range(width):
        values, digit = np.divmod(values, 36)
        out = _s(alphabet[digit]) + out
    return out


def _digits(values: np.ndarray, width: int) -> pd.Series:
    return _s(np.asarray(values, dtype=np.int64).astype(str)).str.zfill(width)


def _day_weights(channel: str, season: bool = False) -> np.ndarray:
    w = np.asarray(WEEKDAYS[channel])[_WEEKDAY] * (1.0 + 0.35 * np.arange(DAYS) / DAYS)
    if season:  # Black Friday to Christmas
        day = np.arange(DAYS)
        lo = _day_of("2025-11-20")
        hi = _day_of("2025-12-23")
        w = np.where((day >= lo) & (day <= hi), w * 1.7, w)
    return w / w.sum()


def _clock(rng: np.random.Generator, size: int, channel: str) -> np.ndarray:
    hours = np.asarray(HOURS[channel], dtype=float)
    hour = rng.choice(24, size=size, p=hours / hours.sum())
    return hour * 3600 + rng.integers(0, 3600, size=size)


def _times(
    rng: np.random.Generator,
    size: int,
    channel: str,
    lo: Any = 0,
    hi: Any = DAYS,
    season: bool = False,
) -> np.ndarray:
    """Event times (seconds since 2025-05-01 00:00) with the channel's day and hour pattern.

    ``lo``/``hi`` (scalars or arrays, days, hi exclusive) bound each event's day; the weekday
    pattern is applied by rejection so bounded windows keep it too.
    """
    weights = _day_weights(channel, season)
    accept = weights / weights.max()
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), (size,))
    hi = np.broadcast_to(np.asarray(hi, dtype=np.int64), (size,))
    hi = np.maximum(hi, lo + 1)
    day = np.empty(size, dtype=np.int64)
    todo = np.arange(size)
    for _ in range(60):
        if not len(todo):
            break
        cand = rng.integers(lo[todo], hi[todo])
        cand = np.clip(cand, 0, DAYS - 1)
        ok = rng.random(len(todo)) < accept[cand]
        day[todo[ok]] = cand[ok]
        todo = todo[~ok]
    if len(todo):  # windows that fall on days the channel never works: keep the first day
        day[todo] = np.clip(lo[todo], 0, DAYS - 1)
    return day * 86400 + _clock(rng, size, channel)


def _stamp(secs: np.ndarray) -> pd.Series:
    moments = START + np.asarray(secs, dtype=np.int64).astype("timedelta64[s]")
    return _s(np.datetime_as_string(moments, unit="s"))


def _fmt(secs: np.ndarray, style: str) -> pd.Series:
    iso = _stamp(secs)
    if style == "iso":
        return iso
    if style == "ymd_hms":
        return iso.str.replace("T", " ", regex=False)
    dmy = iso.str[8:10] + "/" + iso.str[5:7] + "/" + iso.str[0:4] + " "
    if style == "dmy_hm":
        return dmy + iso.str[11:16]
    if style == "dmy_hms":
        return dmy + iso.str[11:19]
    if style == "shop":
        secs = np.asarray(secs, dtype=np.int64)
        summer = np.zeros(len(secs), dtype=bool)
        for a, b in (
            ("2025-03-30T02:00", "2025-10-26T02:00"),
            ("2026-03-29T02:00", "2026-10-25T02:00"),
        ):
            lo = int((np.datetime64(a, "s") - START) / np.timedelta64(1, "s"))
            hi = int((np.datetime64(b, "s") - START) / np.timedelta64(1, "s"))
            summer |= (secs >= lo) & (secs < hi)
        return iso.str.replace("T", " ", regex=False) + _s(np.where(summer, " +0100", " +0000"))
    raise ValueError(style)


def _dmy(days: np.ndarray) -> pd.Series:
    iso = _s(np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D"))
    return iso.str[8:10] + "/" + iso.str[5:7] + "/" + iso.str[0:4]


def _day_of(text: str) -> int:
    return int((np.datetime64(text, "D") - START_DAY).astype(np.int64))


def _email_case(rng: np.random.Generator, email: pd.Series, p: list[float]) -> pd.Series:
    """The same address as typed in different systems: lower, Title.Case@domain, UPPER."""
    style = rng.choice(3, size=len(email), p=p)
    local = email.str.replace(r"@.*$", "", regex=True)
    domain = email.str.replace(r"^[^@]*", "", regex=True)
    titled = local.str.title() + domain
    out = email.where(style != 1, titled)
    out = out.where(style != 2, email.str.upper())
    return out.where(email != "", "")


_NICKNAMES = {
    "Robert": "Rob", "William": "Will", "Elizabeth": "Liz", "Katherine": "Kate",
    "Christopher": "Chris", "Benjamin": "Ben", "Margaret": "Maggie", "Samuel": "Sam",
    "Matthew": "Matt", "Daniel": "Dan", "Jennifer": "Jen", "Alexander": "Alex",
    "Joseph": "Joe", "Thomas": "Tom", "Victoria": "Vicky", "Rebecca": "Becky",
    "Michael": "Mike", "Nicola": "Nicky", "Patricia": "Trish", "Stephen": "Steve",
}  # fmt: skip


def _typo(rng: np.random.Generator, names: pd.Series, share: float) -> pd.Series:
    """Small typos a person or an agent makes: a swapped, dropped or doubled letter, a nickname."""
    hit = np.flatnonzero(rng.random(len(names)) < share)
    if not len(hit):
        return names
    kinds = rng.integers(0, 4, size=len(hit))
    spots = rng.integers(1, 1000, size=len(hit))
    values = names.to_numpy(dtype=object).copy()
    for idx, kind, spot in zip(hit, kinds, spots, strict=True):
        name = values[idx]
        if kind == 3 and name in _NICKNAMES:
            values[idx] = _NICKNAMES[name]
            continue
        if len(name) < 4:
            continue
        k = 1 + spot % (len(name) - 2)
        if kind == 0:
            values[idx] = name[:k] + name[k + 1] + name[k] + name[k + 2 :]
        elif kind == 1:
            values[idx] = name[:k] + name[k + 1 :]
        else:
            values[idx] = name[:k] + name[k] + name[k:]
    return _s(values)


_PHONE_STYLES = ("intl", "national", "parens", "e164", "intl0", "compact")


def _phone_text(
    cc: pd.Series, area: pd.Series, part_a: pd.Series, part_b: pd.Series, style: np.ndarray
) -> pd.Series:
    """Render one phone number per row in a chosen style (all the shapes people type)."""
    local = (part_a + " " + part_b).str.strip()
    out = "+" + cc + " " + area + " " + local
    national = "0" + area + " " + local
    parens = "(0" + area + ") " + (part_a + "-" + part_b).str.strip("-")
    e164 = "+" + cc + area + part_a + part_b
    intl0 = "+" + cc + " (0)" + area + " " + local
    compact = "0" + area + part_a + part_b
    for code, text in zip(_PHONE_STYLES[1:], (national, parens, e164, intl0, compact), strict=True):
        out = out.where(style != _PHONE_STYLES.index(code), text)
    return out
