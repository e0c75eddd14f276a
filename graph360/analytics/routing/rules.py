"""The routing rules' definitions (a poor rating, a promoter, an unresolved complaint, ids, the
SLA) and the small helpers every part of the run uses. The rules themselves are described in
:mod:`graph360.analytics.routing`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

RESOLVED_OUTCOMES = ("resolved", "closed", "solved")
#: An amber flag is raised when the stored at-risk score is strictly above this.
AT_RISK_THRESHOLD = 0.5
#: A green flag needs current or potential value at or above this quantile (the top decile).
VIP_QUANTILE = 0.9
SLA_WORKING_DAYS = 2
DEFAULT_FALLBACK = "customer_care"
FOLLOW_UP_KIND = "follow up poor rating"


# --- definitions ----------------------------------------------------------------------------


def poor_rating(rating: Any, scale: Any) -> np.ndarray:
    """Whether each rating is poor: <= 2 on a 5-point scale, 0-6 on NPS (scale 10).

    >>> poor_rating([2, 3, 6, 7], [5, 5, 10, 10]).tolist()
    [True, False, True, False]
    """
    rating, scale = _floats(rating), _floats(scale)
    return ((scale == 5) & (rating <= 2)) | ((scale == 10) & (rating <= 6))


def promoter(rating: Any, scale: Any) -> np.ndarray:
    """Whether each rating is a promoter's: 5/5, or 9-10 on NPS.

    >>> promoter([4, 5, 8, 9], [5, 5, 10, 10]).tolist()
    [False, True, False, True]
    """
    rating, scale = _floats(rating), _floats(scale)
    return ((scale == 5) & (rating >= 5)) | ((scale == 10) & (rating >= 9))


def unresolved(outcome: Any, resolution: Any) -> np.ndarray:
    """Whether each complaint is unresolved (see the module docstring).

    >>> unresolved(["open", "Closed", None, None], [None, None, "Refund issued", None]).tolist()
    [True, False, False, True]
    """
    outcome = pd.Series(outcome, dtype="object").astype("string").str.strip().str.lower()
    resolution = pd.Series(resolution, dtype="object").astype("string").str.strip()
    no_outcome = outcome.isna() | (outcome == "")
    resolved = outcome.isin(RESOLVED_OUTCOMES).fillna(False) | (
        no_outcome & resolution.notna() & (resolution != "")
    )
    return ~resolved.fillna(False).to_numpy(dtype=bool)


def flag_id(kind: str, customer_id: Any, touchpoint_id: Any = None) -> Any:
    """``flag:<kind>:<customer_id>[:<touchpoint_id>]`` (scalars or Series)."""
    text = "flag:" + kind + ":" + customer_id
    return text if touchpoint_id is None else text + ":" + touchpoint_id


def action_id(touchpoint_id: Any) -> Any:
    """``action:poor_rating:<touchpoint_id>`` (a scalar or a Series)."""
    return "action:poor_rating:" + touchpoint_id


def due_at(at: pd.Series, working_days: int = SLA_WORKING_DAYS) -> pd.Series:
    """``working_days`` Monday-Friday days after each time, at the same time of day.

    A weekend time counts from the following Monday.

    >>> due_at(pd.Series(pd.to_datetime(["2026-09-04 14:00", "2026-09-05 10:00"]))).tolist()
    [Timestamp('2026-09-08 14:00:00'), Timestamp('2026-09-09 10:00:00')]
    """
    at = pd.to_datetime(at)
    day = at.dt.floor("D")
    moved = np.busday_offset(
        day.to_numpy().astype("datetime64[D]"), working_days, roll="forward"
    ).astype("datetime64[us]")
    return pd.Series(moved, index=at.index) + (at - day)


def route(ratings: pd.DataFrame, owners: pd.DataFrame, fallback: str) -> pd.DataFrame:
    """The department each rating goes to, and why.

    ``ratings`` has ``step_id`` (null: no step); ``owners`` has one row per (step_id,
    department_id). Returns ``ratings`` with ``department_id``, ``owners`` (how many the step
    has) and ``routed_by``: ``owner``, ``conflict`` (several owners: the first by
    department_id), ``unowned step`` or ``no step`` (both: the fallback department).
    """
    per_step = (
        owners.sort_values(["step_id", "department_id"])
        .groupby("step_id", sort=False)["department_id"]
        .agg(first="first", owners="size", all_owners=list)
    )
    routed = ratings.join(per_step, on="step_id")
    count = routed["owners"].fillna(0).astype(int)
    routed["owners"] = count
    routed["department_id"] = routed["first"].where(count > 0, fallback)
    routed["routed_by"] = np.select(
        [routed["step_id"].isna(), count == 0, count > 1],
        ["no step", "unowned step", "conflict"],
        "owner",
    )
    return routed.drop(columns="first")


# --- small helpers --------------------------------------------------------------------------


def member(values: pd.Series, members: Any) -> np.ndarray:
    """``values.isin(members)`` through hash tables of Python objects: pandas' Arrow-string
    ``isin`` walks ``members`` in Python, which costs seconds at a million members."""
    found = values.astype(object).isin(pd.Index(members, dtype=object))
    return found.to_numpy(dtype=bool)


def _rating_text(frame: pd.DataFrame) -> pd.Series:
    """``2/5 on survey:R1 (2026-09-01)`` for each rating."""
    return (
        _number(frame["rating"])
        + "/"
        + _number(frame["rating_scale"])
        + " on "
        + frame["touchpoint_id"].astype("string")
        + " ("
        + frame["at"].dt.strftime("%Y-%m-%d")
        + ")"
    )


def _where(frame: pd.DataFrame) -> pd.Series:
    return (" at step " + frame["step"].astype("string")).fillna(" at no journey step")


def _number(values: pd.Series) -> pd.Series:
    """Whole numbers without a decimal point, others as they are (vectorised)."""
    numbers = values.astype(float)
    whole = numbers.round().astype("Int64").astype("string")
    return whole.where(numbers == numbers.round(), numbers.astype("string"))


def _fixed(values: pd.Series, decimals: int = 2) -> pd.Series:
    """Non-negative numbers with ``decimals`` decimals (vectorised, no per-row formatting)."""
    scale = 10**decimals
    scaled = (values.astype(float) * scale).round().astype("int64")
    whole, part = scaled // scale, scaled % scale
    return whole.astype("string") + "." + part.astype("string").str.zfill(decimals)


def _floats(values: Any) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(float)
