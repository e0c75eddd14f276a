"""Retention: keep no more than needed (GDPR art. 5(1)(e)): people inactive for too long are
listed, then erased or anonymised (``graph360 retention --inactive-for 3y [--dry-run]``).

A person's **last activity** is their latest touchpoint (its ``at``), or, with none, when
their source system created them (``created_at``). A person with neither is never taken: the
graph cannot tell how long they have been inactive (the report counts them). Anonymous
customers left by earlier erasures (``anon-…``) hold nobody and are not listed.

**Inactive for** a period: the last activity is before ``now - period``; periods are written
``<n>d``, ``<n>w``, ``<n>m`` (30 days) or ``<n>y`` (365 days).

The list comes from the analytics' projection (graph360/facts: touchpoint times and who had
them, as numpy columns) plus one read of every customer's ``created_at``, so a dry run over a
million people takes seconds. A real run erases each person as ``graph360 erase`` does
(:func:`graph360.erasure.erase`, reason ``retention``; one transaction each, logged, their
identifiers suppressed) and reports what went.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graph360 import erasure, facts
from graph360.errors import InvalidRequestError
from graph360.facts.tables import NO_TIME, micros
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = ["RetentionReport", "inactive_people", "parse_period", "retention"]

_PERIOD = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$")
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def parse_period(text: str) -> dt.timedelta:
    """``3y``, ``18m``, ``6w``, ``90d`` as a time span; anything else is a clear error."""
    found = _PERIOD.match(text or "")
    if not found or int(found.group(1)) <= 0:
        raise InvalidRequestError(
            f"inactive-for {text!r}: give a positive number and d, w, m or y (e.g. 3y, 18m)"
        )
    return dt.timedelta(days=int(found.group(1)) * _DAYS[found.group(2)])


@dataclass
class RetentionReport:
    """Who is inactive for ``inactive_for`` (before ``cutoff``) and, unless ``dry_run``, what
    their erasure removed."""

    inactive_for: str
    cutoff: dt.datetime
    dry_run: bool
    mode: str
    customers: int  # customers looked at (anonymous ones left out)
    inactive: int
    no_activity_known: int
    people: list[dict[str, Any]] = field(default_factory=list)  # customer_id, last_activity
    erased: int = 0
    removed: dict[str, int] = field(default_factory=dict)  # summed ErasureReport counts
    erasure_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def inactive_people(store: GraphStore, cutoff: dt.datetime) -> tuple[pd.DataFrame, int, int]:
    """(customer_id, last_activity) of everyone whose last activity is before ``cutoff``,
    oldest first; how many customers were looked at; how many have no known activity."""
    projection = facts.current(store)
    keys = projection.keys("customers")
    last = np.full(len(keys), NO_TIME, dtype=np.int64)
    who = projection.column("had", "source")
    if len(who):
        when = projection.column("touchpoints", "at")[projection.column("had", "target")]
        latest = pd.Series(when).groupby(who).max()
        last[latest.index.to_numpy()] = latest.to_numpy()
    created = store.frame("retention_created")
    born = pd.to_datetime(created["created_at"]).astype("datetime64[us]").to_numpy()
    created_us = pd.Series(born.view(np.int64), index=created["customer_id"])  # NaT: NO_TIME
    fallback = created_us.reindex(keys).fillna(NO_TIME).to_numpy(dtype=np.int64)
    last = np.maximum(last, fallback)
    person = ~pd.Index(keys).astype(str).str.startswith("anon-")
    unknown = person & (last == NO_TIME)
    old = person & ~unknown & (last < micros(cutoff))
    order = np.argsort(last[old], kind="stable")
    found = pd.DataFrame(
        {
            "customer_id": keys[old][order],
            "last_activity": pd.to_datetime(last[old][order], unit="us"),
        }
    )
    return found, int(person.sum()), int(unknown.sum())


def retention(
    store: GraphStore,
    inactive_for: str,
    *,
    dry_run: bool = True,
    mode: str = "delete",
    by: str = "cli",
    now: dt.datetime | None = None,
) -> RetentionReport:
    """List (``dry_run``) or erase the people inactive for ``inactive_for``."""
    import time

    started = time.perf_counter()
    if mode not in erasure.MODES:
        raise InvalidRequestError(f"unknown erasure mode {mode!r} (delete or anonymise)")
    now = now or utc_now()
    cutoff = now - parse_period(inactive_for)
    found, looked_at, unknown = inactive_people(store, cutoff)
    report = RetentionReport(
        inactive_for=inactive_for.strip(),
        cutoff=cutoff,
        dry_run=dry_run,
        mode=mode,
        customers=looked_at,
        inactive=len(found),
        no_activity_known=unknown,
        people=[
            {"customer_id": c, "last_activity": a.to_pydatetime()}
            for c, a in found.itertuples(index=False)
        ],
    )
    if not dry_run:
        for customer_id in found["customer_id"]:
            done = erasure.erase(store, customer_id, mode=mode, by=by, reason="retention", now=now)
            report.erased += 1
            report.erasure_ids.append(done.erasure_id)
            for kind, n in done.counts.items():
                report.removed[kind] = report.removed.get(kind, 0) + n
    report.seconds = round(time.perf_counter() - started, 3)
    return report
