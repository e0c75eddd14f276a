"""The flags a run plans (raised, kept, resolved) and the actions it creates, written through
:mod:`graph360.analytics.follow_ups`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from graph360.analytics.follow_ups import FLAG_KINDS, SEVERITIES, write_actions, write_flags
from graph360.analytics.routing.rules import (
    AT_RISK_THRESHOLD,
    FOLLOW_UP_KIND,
    VIP_QUANTILE,
    _fixed,
    _rating_text,
    _where,
    due_at,
    flag_id,
    member,
    promoter,
    unresolved,
)
from graph360.store.base import GraphStore

# --- flags ----------------------------------------------------------------------------------


def _flag_frame(
    kind: str, customers: pd.Series, ids: pd.Series, reasons: pd.Series, raised: Any
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "flag_id": ids.to_numpy(dtype=object),
            "customer_id": customers.to_numpy(dtype=object),
            "kind": kind,
            "severity": FLAG_KINDS[kind],
            "reason": reasons.to_numpy(dtype=object),
            "raised_at": pd.Series(raised, index=customers.index, dtype="datetime64[us]"),
        }
    ).reset_index(drop=True)


def _complaint_flags(complaints: pd.DataFrame) -> pd.DataFrame:
    found = complaints[unresolved(complaints["outcome"], complaints["resolution"])]
    subject = found["text"].astype("string").str.slice(0, 60)
    reason = (
        "unresolved "
        + found["kind"].astype("string")
        + " "
        + found["touchpoint_id"].astype("string")
        + (" '" + subject + "'").fillna("")
        + " of "
        + found["at"].dt.strftime("%Y-%m-%d")
        + ", status "
        + found["outcome"].astype("string").fillna("unknown")
    )
    ids = flag_id("unresolved_complaint", found["customer_id"], found["touchpoint_id"])
    return _flag_frame("unresolved_complaint", found["customer_id"], ids, reason, found["at"])


def _poor_rating_flags(poor: pd.DataFrame) -> pd.DataFrame:
    reason = "poor rating " + _rating_text(poor) + _where(poor)
    ids = flag_id("poor_rating", poor["customer_id"], poor["touchpoint_id"])
    return _flag_frame("poor_rating", poor["customer_id"], ids, reason, poor["at"])


def _at_risk_flags(scores: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    risky = scores[scores["at_risk"].fillna(0.0) > AT_RISK_THRESHOLD]
    reason = (
        "at-risk score "
        + _fixed(risky["at_risk"])
        + f" is above {AT_RISK_THRESHOLD:.2f} (scored "
        + risky["value_at"].dt.strftime("%Y-%m-%d")
        + ")"
    )
    ids = flag_id("at_risk", risky["customer_id"])
    return _flag_frame("at_risk", risky["customer_id"], ids, reason, now)


def _vip_flags(scores: pd.DataFrame, ratings: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    latest = (
        ratings.sort_values(["customer_id", "at", "touchpoint_id"])
        .drop_duplicates("customer_id", keep="last")
        .set_index("customer_id")
    )
    latest = latest[promoter(latest["rating"], latest["rating_scale"])]
    current = scores["current_value"].astype(float).fillna(0.0)
    potential = scores["potential_value"].astype(float).fillna(0.0)
    top_current = current.quantile(VIP_QUANTILE)
    top_potential = potential.quantile(VIP_QUANTILE)
    high_current = (current >= top_current) & (current > 0)
    high_potential = (potential >= top_potential) & (potential > 0)
    vip = scores[(high_current | high_potential) & member(scores["customer_id"], latest.index)]
    value = pd.Series(
        np.where(
            high_current[vip.index],
            "current value " + _fixed(current[vip.index]) + f" (top 10%: >= {top_current:.2f})",
            "potential value "
            + _fixed(potential[vip.index])
            + f" (top 10%: >= {top_potential:.2f})",
        ),
        index=vip.index,
        dtype="string",
    )
    rated = latest.loc[vip["customer_id"]].reset_index().set_index(vip.index)
    reason = "promoter: " + _rating_text(rated) + ", with " + value
    ids = flag_id("vip_candidate", vip["customer_id"])
    return _flag_frame("vip_candidate", vip["customer_id"], ids, reason, now)


def _plan_flags(
    wanted: pd.DataFrame, existing: pd.DataFrame, evaluated: list[str]
) -> dict[str, Any]:
    """Which flags to create, re-open, keep (reason refreshed) and resolve, with counts."""
    by_id = existing.set_index("flag_id")
    status = by_id["status"]
    known = member(wanted["flag_id"], status.index)
    is_open = wanted["flag_id"].map(status).eq("open")
    kept = wanted[known & is_open]
    plan = {
        "create": wanted[~known],
        "reopen": wanted[known & ~is_open],
        "keep": kept.assign(was=kept["flag_id"].map(by_id["reason"])),
        "resolve": existing[
            existing["status"].eq("open")
            & existing["kind"].isin(evaluated)
            & ~member(existing["flag_id"], wanted["flag_id"])
        ],
    }
    counts = {severity: {"raised": 0, "kept": 0, "resolved": 0} for severity in SEVERITIES}
    verbs = {"create": "raised", "reopen": "raised", "keep": "kept", "resolve": "resolved"}
    for part, verb in verbs.items():
        for severity, n in plan[part]["severity"].value_counts().items():
            counts.setdefault(severity, {"raised": 0, "kept": 0, "resolved": 0})[verb] += int(n)
    return {**plan, "counts": counts}


def _write_flags(store: GraphStore, plan: dict[str, Any]) -> None:
    write_flags(store, plan["create"].assign(status="open"), new=True)
    write_flags(store, plan["reopen"].assign(status="open"))
    keep = plan["keep"]
    keep = keep[keep["reason"].astype(object).ne(keep["was"].astype(object)).to_numpy()]
    write_flags(store, keep[["flag_id", "reason"]])  # only the kept flags whose reason changed
    write_flags(store, plan["resolve"][["flag_id"]].assign(status="resolved"))


# --- actions --------------------------------------------------------------------------------


def _write_actions(store: GraphStore, new: pd.DataFrame, now: dt.datetime) -> None:
    if new.empty:
        return
    reason = (
        "poor rating "
        + _rating_text(new)
        + _where(new)
        + ": routed to "
        + new["department_id"].astype("string")
        + " ("
        + new["routed_by"].astype("string")
        + ")"
    )
    links = new[["action_id", "customer_id", "department_id", "touchpoint_id"]]
    write_actions(
        store,
        links.assign(
            kind=FOLLOW_UP_KIND,
            status="outstanding",
            due_at=due_at(new["at"]),
            created_at=pd.Timestamp(now),
            reason=reason,
        ),
    )
