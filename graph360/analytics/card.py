"""The 360 card: everything about one customer that an agent needs in the first seconds.

Assembled from named queries, one per section, each a key lookup plus a short walk, so the
card costs a handful of milliseconds whatever the size of the graph. Scores the analytics
compute (influence, potential value, risk) are read from the customer node, never recomputed.

This is the one card builder: the CLI, the customer view and the API's ``Customer`` fields all
shape a section's rows with the functions here, for an :class:`graph360.privacy.Audience`, so
a caller sees contact details (in fields, free text, attributes and identifiers) on every
surface alike or on none.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from graph360.analytics.offers import next_best_offers
from graph360.analytics.silence import customer_silence
from graph360.consent import customer_consents
from graph360.consent import left_out as consent_left_out
from graph360.contacts import DEFAULT_REGION, normalize_emails, normalize_phones
from graph360.errors import NotFoundError
from graph360.periods import utc_now
from graph360.privacy import Audience
from graph360.store.base import GraphStore

CURRENT_VALUE_DAYS = 365


#: What a phone number typed by a person looks like (before phonenumbers reads it).
PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]{6,}$")


def is_contact(ref: str) -> bool:
    """Whether ``ref`` names someone by a contact detail (e-mail or phone): only a caller who
    may see contact details may look people up that way."""
    ref = ref.strip()
    return "@" in ref or bool(PHONE_LIKE.match(ref) and sum(c.isdigit() for c in ref) >= 6)


def resolve_customer(store: GraphStore, ref: str, *, region: str = DEFAULT_REGION) -> str:
    """The customer id for ``ref``: a customer id, ``source:source_id``, an e-mail address, or
    a phone number in any format (read in ``region`` without a country code): an agent on a
    call has the caller's number."""
    ref = ref.strip()
    if "@" not in ref and is_contact(ref) and not store.query("customer_profile", customer_id=ref):
        return _by_phone(store, ref, region)
    if "@" in ref:
        email = normalize_emails(pd.Series([ref]))[0][0]
        if pd.isna(email):  # not an address at all: nobody can have it
            raise NotFoundError(f"no customer with e-mail {ref} (not a valid address)")
        rows = store.query("customers_by_email", email=email)
        if len(rows) > 1:
            ids = ", ".join(r["customer_id"] for r in rows)
            raise NotFoundError(f"{ref} belongs to several customers ({ids}): give a customer id")
        if not rows:
            raise NotFoundError(f"no customer with e-mail {ref}")
        return rows[0]["customer_id"]
    if store.query("customer_profile", customer_id=ref):
        return ref
    if ":" in ref:
        rows = store.query("customer_by_record", record_key=ref)
        if rows:
            return rows[0]["customer_id"]
    raise NotFoundError(
        f"no customer {ref!r} (give a customer id, source:source_id, an e-mail or a phone)"
    )


def _by_phone(store: GraphStore, ref: str, region: str) -> str:
    number = normalize_phones(pd.Series([ref]), default_region=region)[0][0]
    if pd.isna(number):
        raise NotFoundError(f"no customer with phone {ref} (not a valid number)")
    customers = sorted(
        {r["customer_id"] for r in store.query("identity_records_carrying", key=number)}
    )
    if len(customers) > 1:
        raise NotFoundError(
            f"{ref} belongs to several customers ({', '.join(customers)}): give a customer id"
        )
    if not customers:
        raise NotFoundError(f"no customer with phone {ref}")
    return customers[0]


def customer_card(
    store: GraphStore,
    ref: str,
    *,
    touchpoints: int = 10,
    relationships: int = 10,
    offers: int = 3,
    now: dt.datetime | None = None,
    audience: Audience,
) -> dict[str, Any]:
    """The whole card for the customer ``ref`` names, as plain data, as ``audience`` may see it.

    Lists are capped for a screen read in seconds: the most recent ``touchpoints``, the
    ``relationships`` that weigh most (heaviest, then the most influential people; the total
    is given), the best ``offers``.
    """
    found = store.query("customer_profile", customer_id=ref.strip())  # a front end sends ids
    if not found:
        found = store.query("customer_profile", customer_id=resolve_customer(store, ref))
    profile = found[0]
    customer_id = profile["customer_id"]
    now = now or utc_now()
    since = now - dt.timedelta(days=CURRENT_VALUE_DAYS)
    activity = store.query("customer_activity", customer_id=customer_id, since=since)[0]
    related = sorted(
        store.query("customer_relationships", customer_id=customer_id),
        key=relationship_order,
    )
    steps = current_journey_steps(store, customer_id)
    records = store.query("customer_records", customer_id=customer_id)
    return {
        "customer_id": customer_id,
        "identity": identity(profile, audience, now)
        | {"records": source_records(records, audience)},
        # As graph360.analytics.value defines and stores them (None until `graph360 value`).
        "value": {
            "current": profile["current_value"],
            "potential": profile["potential_value"],
            "at_risk": profile["at_risk"],
            "computed_at": profile["value_at"],
        },
        "influence": {k: profile[k] for k in ("pagerank", "influence_rank", "reach", "community")}
        | {"computed_at": profile["influence_at"]},
        "activity": {
            "touchpoints": activity["touchpoints"],
            "last_12_months": activity["recent_touchpoints"],
            "first_at": activity["first_at"],
            "last_at": activity["last_at"],
        },
        "accounts": store.query("customer_accounts", customer_id=customer_id),
        "relationships": related[:relationships],
        "relationships_total": len(related),
        "journeys": steps,
        "campaigns": store.query("customer_campaigns", customer_id=customer_id),
        "recent_touchpoints": shown_touchpoints(
            recent_touchpoints(store, customer_id, touchpoints), audience
        ),
        "flags": with_reasons(store.query("customer_flags", customer_id=customer_id), audience),
        "actions": with_reasons(store.query("customer_actions", customer_id=customer_id), audience),
        "next_best_offers": next_best_offers(store, customer_id, top=offers),
        # The latest statement per purpose and channel (graph360.consent).
        "consent": customer_consents(store, customer_id)["effective"],
        # The suggestions (next-best offers among them) their consent leaves them out of.
        "left_out_by_consent": consent_left_out(store, customer_id),
        # What they are not saying: unanswered voices, silent churn risk (analytics.silence)
        "silence": customer_silence(
            store.query("customer_silence", customer_id=customer_id), now, audience
        ),
    }


def identity(profile: dict[str, Any], audience: Audience, now: dt.datetime) -> dict[str, Any]:
    """Who the customer is (the ``customer_profile`` row), contact details as ``audience``
    may see them."""
    return {
        "name": profile["name"],
        "email": audience.contact(profile["email"]),
        "phone": audience.contact(profile["phone"]),
        "gender": profile["gender"],
        "birth_date": profile["birth_date"],
        "age": age_at(profile["birth_date"], now),
        "location": {k: profile[k] for k in ("city", "region", "country")},
        "segment": profile["segment"],
        "persona": profile["persona"],
        "lifecycle_stage": profile["lifecycle_stage"],
        "customer_since": profile["created_at"],
        "attributes": audience.attributes(profile["attributes"] or "{}"),
    }


def source_records(rows: list[dict[str, Any]], audience: Audience) -> list[dict[str, Any]]:
    """The ``customer_records`` rows as ``audience`` may see them: a record's key and source
    id are often an e-mail address (an e-mail platform's export), so they are masked too."""
    return [
        {
            **row,
            "record_key": audience.text(row["record_key"]),
            "source_id": audience.text(row["source_id"]),
            "via": audience.text(row["via"]),
            "email": audience.contact(row["email"]),
            "phone": audience.contact(row["phone"]),
            "attributes": audience.attributes(row["attributes"] or "{}"),
        }
        for row in rows
    ]


def shown_touchpoints(rows: list[dict[str, Any]], audience: Audience) -> list[dict[str, Any]]:
    """Touchpoint rows with their words, resolution and id as ``audience`` may see them."""
    return [
        {
            **row,
            "touchpoint_id": audience.text(row["touchpoint_id"]),
            "text": audience.text(row["text"]),
            "resolution": audience.text(row["resolution"]),
        }
        for row in rows
    ]


def with_reasons(rows: list[dict[str, Any]], audience: Audience) -> list[dict[str, Any]]:
    """Flag or action rows with their reasons as ``audience`` may see them."""
    return [{**row, "reason": audience.text(row["reason"])} for row in rows]


def relationship_order(row: dict[str, Any]) -> tuple:
    """Heaviest relationships first, then the most influential people (a stable order)."""
    return (-(row["weight"] or 1.0), -(row["pagerank"] or 0.0), row["kind"], row["customer_id"])


def current_journey_steps(store: GraphStore, customer_id: str) -> list[dict[str, Any]]:
    """Where the customer is in each journey: the step of their latest touchpoint in it (a tie
    on time goes to the further step), with the departments owning it — none is a gap."""
    latest: dict[str, dict[str, Any]] = {}
    for row in store.query("customer_journey_touchpoints", customer_id=customer_id):
        best = latest.get(row["journey_id"])
        if best is None or (row["at"], row["position"]) > (best["at"], best["position"]):
            latest[row["journey_id"]] = row
    owners: dict[str, list[str]] = {}
    if latest:
        step_ids = sorted({row["step_id"] for row in latest.values()})
        for row in store.query("step_owners", step_ids=step_ids):
            owners.setdefault(row["step_id"], []).append(row["department"])
    return [
        {**row, "owners": owners.get(row["step_id"], []), "unowned": row["step_id"] not in owners}
        for _, row in sorted(latest.items())
    ]


#: Open time bounds for the touchpoint filters (the query takes no nulls).
EARLIEST = dt.datetime(1, 1, 1)
LATEST = dt.datetime(9999, 12, 31)


def recent_touchpoints(
    store: GraphStore,
    customer_id: str,
    limit: int,
    *,
    channel: str | None = None,
    kind: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before: tuple[dt.datetime, str] | None = None,
) -> list[dict[str, Any]]:
    """The latest ``limit`` touchpoints (filtered by channel, kind and time; those strictly
    older than ``before``, a (time, id) cursor), each with its campaign, step and department."""
    until = until or LATEST
    before_at, before_id = before or (until, "")
    rows = store.query(
        "customer_touchpoints",
        customer_id=customer_id,
        limit=limit,
        channel=channel or "",
        kind=kind or "",
        since=since or EARLIEST,
        until=until,
        before_at=before_at,
        before_id=before_id,
    )
    ids = [row["touchpoint_id"] for row in rows]
    for field, query in (
        ("campaign", "customer_touchpoint_campaigns"),
        ("step", "customer_touchpoint_steps"),
        ("department", "customer_touchpoint_departments"),
    ):
        names = (
            {
                r["touchpoint_id"]: r["name"]
                for r in store.query(query, customer_id=customer_id, touchpoint_ids=ids)
            }
            if ids
            else {}
        )
        for row in rows:
            row[field] = names.get(row["touchpoint_id"])
    return rows


def age_at(birth: dt.datetime | None, now: dt.datetime) -> int | None:
    if birth is None:
        return None
    return now.year - birth.year - ((now.month, now.day) < (birth.month, birth.day))
