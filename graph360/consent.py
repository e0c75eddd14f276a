"""Consent: what each person said about each purpose and channel, and who suggestions leave out.

A **statement** is one source's word on one person, one purpose
(:data:`graph360.model.CONSENT_PURPOSES`: e-mail marketing, SMS, phone, profiling) and one
channel: ``granted``, ``refused`` or ``unknown``, with when it was said and the source that
said it. It is a ``Consent`` node linked from the Customer (``CONSENTED``), keyed
``<source>:<the source's id of the person, or e-mail>:<purpose>:<channel>``, so a source's new
word replaces its old one and the old one is kept in the node's ``history`` (JSON, newest
first): nothing is lost, and a person merged from two records keeps both sources' statements.

A person's **effective** consent to a purpose on a channel is their latest statement on it (by
``at``; a refusal wins a tie, the safe side), from whichever source; a statement on channel
``any`` counts for every channel.

Statements come from loads (a mapping's ``[[consent]]`` table, docs/mapping-consent.md), from
live events (an event's ``"consent"`` list) and from the ``setConsent`` mutation
(:func:`record`).

**Respect.** Everything that suggests contacting people (the collisions' suggested sequence,
cross-sell candidates, VIP candidates, next-best offers) leaves out the people whose effective
consent to one of that suggestion's purposes (:data:`SUGGESTION_PURPOSES`) is ``refused``, and
says how many it left out. ``unknown`` and no statement at all leave a person in (an opt-out
reading: a team under an opt-in rule records grants and treats the rest as unknown upstream).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from graph360 import model
from graph360.errors import Graph360Error
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = [
    "ANY_CHANNEL",
    "SUGGESTION_PURPOSES",
    "ConsentError",
    "Refusals",
    "consent_key",
    "customer_consents",
    "left_out",
    "record",
    "refusals",
    "refuses",
    "with_history",
]

ANY_CHANNEL = "any"

#: The purposes each suggestion needs; a person who refused one of them is left out of it.
#: Collisions and cross-sell advise marketing contact (by e-mail, the channel the demo's and
#: most teams' campaigns use); cross-sell and VIP candidates and next-best offers are built by
#: profiling a person's purchases and profile.
SUGGESTION_PURPOSES: dict[str, tuple[str, ...]] = {
    "collision_sequence": ("email_marketing",),
    "cross_sell": ("email_marketing", "profiling"),
    "vip_candidates": ("profiling",),
    "next_best_offers": ("profiling",),
}


class ConsentError(Graph360Error):
    """A consent statement that cannot be recorded (unknown purpose or status, no customer)."""


def consent_key(source: str, reference: str, purpose: str, channel: str) -> str:
    """The key of a source's statement on one person, purpose and channel."""
    return f"{source}:{reference}:{purpose}:{channel}"


def default_channel(purpose: str) -> str:
    return model.CONSENT_PURPOSES[purpose]


def check(purpose: str, status: str, channel: str | None = None) -> str:
    """The channel, after checking the purpose and status; a ConsentError says what is wrong."""
    if purpose not in model.CONSENT_PURPOSES:
        raise ConsentError(
            f"unknown consent purpose {purpose!r} (one of {', '.join(model.CONSENT_PURPOSES)})"
        )
    if status not in model.CONSENT_STATUSES:
        raise ConsentError(
            f"unknown consent status {status!r} (one of {', '.join(model.CONSENT_STATUSES)})"
        )
    return channel or default_channel(purpose)


def with_history(rows: pd.DataFrame, stored: pd.DataFrame) -> pd.Series:
    """Each written statement's ``history``: the statement it replaces (when the status, time
    or source differ) put in front of that one's own history. ``rows`` and ``stored`` are
    indexed by ``consent_id``; a statement not stored yet starts an empty history."""
    out = []
    for key in rows.index:
        if key not in stored.index:
            out.append("[]")
            continue
        old = stored.loc[key]
        earlier = json.loads(old["history"] or "[]")
        new = rows.loc[key]
        before = {"status": old["status"], "at": _iso(old["at"]), "source": old["source"]}
        after = {"status": new["status"], "at": _iso(new["at"]), "source": new["source"]}
        if before != after:
            earlier = [before, *earlier]
        out.append(json.dumps(earlier))
    return pd.Series(out, index=rows.index, dtype=object)


def stamp_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Loaded consent rows with their channel (the purpose's own when empty) and
    ``consent_id`` (the person named by the source's id, else by the e-mail, lower-cased)."""
    channel = frame["channel"].fillna(frame["purpose"].map(model.CONSENT_PURPOSES))
    reference = frame["customer_id"].fillna(frame["email"].str.strip().str.lower())
    key = frame["source"] + ":" + reference + ":" + frame["purpose"] + ":" + channel
    return frame.assign(channel=channel, consent_id=key)


def fold_statements(rows: pd.DataFrame) -> pd.DataFrame:
    """The latest of a load's statements per ``consent_id`` (an export that lists each
    unsubscribe and re-subscribe of a person), the earlier ones in ``__earlier`` (JSON, newest
    first) for the history. A statement with no time counts as the latest."""
    if rows.empty or not rows["consent_id"].duplicated().any():
        return rows.assign(__earlier="[]")
    order = rows.assign(_t=rows["at"].fillna(pd.Timestamp.max)).sort_values(
        ["consent_id", "_t"], ascending=[True, False], kind="stable"
    )
    latest = order.drop_duplicates("consent_id")
    earlier = order[order.duplicated("consent_id")]
    listed = {
        key: json.dumps(
            [
                {"status": s, "at": _iso(a), "source": src}
                for s, a, src in group[["status", "at", "source"]].itertuples(index=False)
            ]
        )
        for key, group in earlier.groupby("consent_id", sort=False)
    }
    folded = latest.drop(columns=["_t"])
    return folded.assign(__earlier=folded["consent_id"].map(listed).fillna("[]"))


def loaded_statements(
    rows: pd.DataFrame, store: GraphStore, now: pd.Timestamp | dt.datetime
) -> pd.DataFrame:
    """The Consent rows a load writes from its new and changed consent rows: a statement with
    no time is stamped with the load's, and a replaced statement goes into the history."""
    if rows.empty:
        return rows.assign(history=pd.Series(dtype=object))
    rows = rows.assign(at=rows["at"].fillna(pd.Timestamp(now)))
    keys = pa.array(rows["consent_id"].tolist(), pa.string())
    stored = store.get_nodes("Consent", keys).to_pandas().set_index("consent_id")
    history = with_history(rows.set_index("consent_id"), stored).to_numpy()
    earlier = rows["__earlier"] if "__earlier" in rows else pd.Series("[]", index=rows.index)
    merged = [
        _merge_histories(json.loads(e), json.loads(h))
        for e, h in zip(earlier.fillna("[]"), history, strict=True)
    ]
    return rows.assign(history=merged)


def _merge_histories(*lists: list[dict[str, Any]]) -> str:
    """Earlier statements from several places as one history: each once, newest first."""
    seen: dict[str, dict[str, Any]] = {}
    for entry in (e for listed in lists for e in listed):
        seen.setdefault(json.dumps(entry, sort_keys=True), entry)
    ordered = sorted(seen.values(), key=lambda e: e.get("at") or "", reverse=True)
    return json.dumps(ordered)


def _iso(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    return pd.Timestamp(value).isoformat()


def record(
    store: GraphStore,
    customer_id: str,
    purpose: str,
    status: str,
    *,
    channel: str | None = None,
    source: str = "graph360",
    at: dt.datetime | None = None,
    reference: str | None = None,
) -> dict[str, Any]:
    """Record one statement for a stored customer (the ``setConsent`` mutation, a live event),
    keeping the one it replaces in the history; returns the statement as stored.

    ``reference`` is how ``source`` names the person (its own id, or the e-mail), so that a
    source's statement by event replaces the one its export loaded; default the customer id.
    """
    channel = check(purpose, status, channel)
    at = at or utc_now()
    if not store.query("customer_exists", customer_id=customer_id):
        raise ConsentError(f"no customer {customer_id!r}")
    key = consent_key(source, reference or customer_id, purpose, channel)
    row = pd.DataFrame(
        {"status": [status], "at": [pd.Timestamp(at)], "source": [source]}, index=[key]
    )
    stored = store.get_nodes("Consent", pa.array([key], pa.string())).to_pandas()
    history = with_history(row, stored.set_index("consent_id"))[key]
    with store.atomic():
        from graph360 import facts

        facts.bump_version(store)
        store.write(
            "consent_record",
            customer_id=customer_id,
            consent_id=key,
            purpose=purpose,
            channel=channel,
            status=status,
            at=at,
            source=source,
            history=history,
        )
    return {
        "purpose": purpose,
        "channel": channel,
        "status": status,
        "at": at,
        "source": source,
        "history": json.loads(history),
    }


def customer_consents(store: GraphStore, customer_id: str) -> dict[str, Any]:
    """The card's consent: the effective status per purpose and channel, and every statement
    behind it (with its history)."""
    rows = store.query("customer_consents", customer_id=customer_id)
    statements = [
        {**row, "history": json.loads(row.get("history") or "[]")}
        for row in sorted(rows, key=lambda r: (r["purpose"], r["channel"], r["source"]))
    ]
    effective = _effective(pd.DataFrame(rows, columns=list(_COLUMNS)))
    return {
        "effective": [
            {"purpose": p, "channel": c, "status": s, "at": a, "source": src}
            for p, c, s, a, src in effective[
                ["purpose", "channel", "status", "at", "source"]
            ].itertuples(index=False)
        ],
        "statements": statements,
    }


_COLUMNS = ("customer_id", "purpose", "channel", "status", "at", "source", "history")


def _effective(frame: pd.DataFrame) -> pd.DataFrame:
    """The latest statement per (customer, purpose, channel); a refusal wins a tie."""
    if frame.empty:
        return frame
    frame = frame.assign(
        _at=pd.to_datetime(frame["at"]).fillna(pd.Timestamp.min),
        _refused=frame["status"].eq("refused"),
    )
    frame = frame.sort_values(["_at", "_refused", "source"], ascending=[False, False, True])
    latest = frame.drop_duplicates(["customer_id", "purpose", "channel"])
    return latest.sort_values(["purpose", "channel"]).drop(columns=["_at", "_refused"])


@dataclass(frozen=True)
class Refusals:
    """Who a suggestion must leave out: customer ids whose effective consent to one of its
    purposes, on any channel, is a refusal."""

    suggestion: str
    purposes: tuple[str, ...]
    customers: frozenset[str]

    def mask(self, customer_ids: Any) -> np.ndarray:
        """True where a customer id is left out."""
        if not self.customers:
            return np.zeros(len(customer_ids), dtype=bool)
        return pd.Index(customer_ids).isin(list(self.customers))

    def note(self, left_out: int) -> dict[str, Any]:
        """How a suggestion reports what consent left out of it."""
        return {
            "suggestion": self.suggestion,
            "purposes": list(self.purposes),
            "left_out": int(left_out),
        }


def refuses(store: GraphStore, customer_id: str, suggestion: str) -> bool:
    """Whether this one customer is left out of ``suggestion`` (one key lookup: the card)."""
    return suggestion in left_out(store, customer_id)


def left_out(store: GraphStore, customer_id: str) -> list[str]:
    """The suggestions this customer is left out of by their consent (one key lookup)."""
    rows = store.query("customer_consents", customer_id=customer_id)
    if not rows:
        return []
    latest = _effective(pd.DataFrame(rows, columns=list(_COLUMNS)))
    refused = set(latest.loc[latest["status"] == "refused", "purpose"])
    return [name for name, needs in SUGGESTION_PURPOSES.items() if refused & set(needs)]


def refusals(store: Any, suggestion: str) -> Refusals:
    """The people ``suggestion`` (a key of :data:`SUGGESTION_PURPOSES`) must leave out.

    One read of the consent statements of those purposes (a few per person who has any: small
    next to the touchpoints even at a million people), folded to the effective status here.
    ``store`` is a GraphStore or anything with its ``query`` (the analytics' facts reader).
    """
    purposes = SUGGESTION_PURPOSES[suggestion]
    getter = getattr(store, "store", store)  # a facts reader wraps the store it reads
    rows = getter.query("consents_of_purposes", purposes=list(purposes))
    frame = pd.DataFrame(rows, columns=list(_COLUMNS))
    if frame.empty:
        return Refusals(suggestion, purposes, frozenset())
    latest = _effective(frame)
    out = latest[latest["status"] == "refused"]
    return Refusals(suggestion, purposes, frozenset(out["customer_id"]))
