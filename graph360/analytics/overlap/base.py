"""What every part of the overlap measures shares: the vocabulary and bounds, where the
measures read from, the period rule, the units, and small frame helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from graph360 import facts as facts_
from graph360.facts import overlap as from_facts
from graph360.store.base import GraphStore

#: What a unit is: a department, or a division of departments.
By = Literal["department", "division"]

#: Touchpoint kinds and outcomes that never reached the person: neither reach nor contact.
NOT_REACHED_KINDS = ("bounce",)
NOT_REACHED_OUTCOMES = ("no_answer",)
#: Purchase outcomes that undo the purchase.
VOID_OUTCOMES = ("cancelled", "refunded", "voided")
#: A contact got a response when the customer bought within this many days after it.
RESPONSE_DAYS = 7
#: Cross-sell: a profile cell's buyer rate is shrunk towards the overall rate by this many
#: pseudo-customers, so a cell of three customers cannot claim a lift of 30.
PRIOR_CUSTOMERS = 20
#: A response rate is clearly better when the two-proportion z statistic reaches this (5%).
Z_95 = 1.96
#: Cross-sell: the customer properties whose combination is a profile cell.
PROFILE = ("segment", "persona", "region")

#: Bounds that stand for "no bound" (valid timestamps on both backends).
NO_START = dt.datetime(1, 1, 1)
NO_END = dt.datetime(9999, 12, 31)
UNKNOWN = "(unknown)"
#: A list that matches no value (an empty list parameter has no type to infer on LadybugDB).
_NOTHING = ["<graph360: no value>"]


def _reader(store: GraphStore | from_facts.Reader, use_facts: bool) -> Any:
    """What the measures read through: the facts projection at the graph's current version
    (rebuilt first when stale), or, with ``use_facts`` false, the store's multi-hop named
    queries (the direct path the property tests compare the projection with)."""
    if isinstance(store, from_facts.Reader) or not use_facts:
        return store
    return from_facts.Reader(store, facts_.current(store))


def _as_of(reader: Any) -> dict[str, Any] | None:
    return reader.facts.as_of if isinstance(reader, from_facts.Reader) else None


def parse_when(text: str | None) -> dt.date | dt.datetime | None:
    """A period bound as typed: ``2026-09-07`` is a date, ``2026-09-07T10:00`` a moment.

    Offsets are converted to UTC and dropped (the store keeps naive UTC / local wall time).
    Raises ValueError for anything else.
    """
    if text is None or not text.strip():
        return None
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _bounds(
    since: dt.date | dt.datetime | None, until: dt.date | dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """The half-open period [start, end): a date ``until`` includes that whole day."""
    start = NO_START if since is None else _moment(since)
    if until is None:
        end = NO_END
    elif isinstance(until, dt.datetime):
        end = until
    else:
        end = _moment(until) + dt.timedelta(days=1)
    return start, end


def _moment(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


@dataclass(frozen=True)
class Units:
    """The units to count by, in a stable order, and which unit each department folds into."""

    by: str
    ids: list[str]
    names: list[str]
    of_department: dict[str, str]

    @property
    def index(self) -> dict[str, int]:
        return {unit: i for i, unit in enumerate(self.ids)}

    def codes(self, department_ids: pd.Series) -> np.ndarray:
        """The unit index of each department id (-1 for a department not in the store)."""
        index = self.index
        found, distinct = pd.factorize(department_ids)  # a handful of distinct ids
        lookup = np.array(
            [index[self.of_department[d]] if d in self.of_department else -1 for d in distinct]
            + [-1],  # factorize marks a missing id -1: the last entry
            dtype=np.int64,
        )
        return lookup[found]


def units(store: GraphStore, by: By = "department", *, use_facts: bool = True) -> Units:
    """The units of ``by``: every department (by id), or every division.

    Divisions are named by the departments' ``division``; a department with none is a unit of
    its own under its name, so folding never lumps unrelated departments together.
    """
    if by not in ("department", "division"):
        raise ValueError(f"by must be 'department' or 'division', not {by!r}")
    store = _reader(store, use_facts)
    frame = _frame(store, "overlap_units", ["department_id", "name", "division"])
    name = frame["name"].where(frame["name"].notna() & (frame["name"] != ""), frame.department_id)
    if by == "department":
        return Units(
            by,
            frame.department_id.tolist(),
            name.tolist(),
            dict(zip(frame.department_id, frame.department_id, strict=True)),
        )
    division = frame["division"].where(frame["division"].notna() & (frame["division"] != ""), name)
    ids = sorted(set(division))
    return Units(by, ids, ids, dict(zip(frame.department_id, division, strict=True)))


def _frame(store: GraphStore, name: str, columns: list[str], **params: Any) -> pd.DataFrame:
    """A named projection with its columns even when empty (a server returns no header)."""
    frame = store.frame(name, **params)
    return frame.reindex(columns=columns)


def _names(store: GraphStore, customer_ids: list[str]) -> dict[str, str | None]:
    if not customer_ids:
        return {}
    rows = store.query("overlap_customer_names", customer_ids=list(customer_ids))
    return {r["customer_id"]: r["name"] for r in rows}


def _seconds(at: pd.Series) -> np.ndarray:
    return pd.to_datetime(at).to_numpy().astype("datetime64[s]").astype(np.int64)


def _to_datetime(seconds: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(seconds))


def _people(n: int) -> str:
    return "1 customer was" if n == 1 else f"{n:,} customers were"


def _ratio(part: float, whole: float) -> float | None:
    return float(part) / float(whole) if whole else None
