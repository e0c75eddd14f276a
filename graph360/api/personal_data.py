"""The GraphQL fields of the privacy part: export, erase, suppressions, consent, the logs.

Everything here but ``setConsent`` needs ``privacy:admin`` (admins only), and each export,
erasure and lifted suppression is written to the access log (:mod:`graph360.access_log`) with
the key's name. ``graph360.api.schema`` merges the two classes below into ``Query`` and
``Mutation``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from graph360 import access_log, consent, erasure, suppression
from graph360.analytics import card as card_data
from graph360.api.permissions import needs
from graph360.export_person import export_person
from graph360.store.base import GraphStore

__all__ = ["ConsentStatus", "PersonalDataMutation", "PersonalDataQuery"]


def _ctx(info: Info) -> Any:
    return info.context


def _plain(value: Any) -> Any:
    """Data as JSON can carry it: times as ISO-8601 text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


@strawberry.type(description="A person's effective consent to one purpose on one channel.")
class ConsentStatus:
    purpose: str
    channel: str
    status: str = strawberry.field(description="granted | refused | unknown")
    at: dt.datetime | None
    source: str


def consent_statuses(store: GraphStore, customer_id: str) -> list[ConsentStatus]:
    """The card's consent section, as the GraphQL type."""
    found = consent.customer_consents(store, customer_id)["effective"]
    return [ConsentStatus(**row) for row in found]


@strawberry.type
class PersonalDataQuery:
    @strawberry.field(
        permission_classes=needs("privacy:admin"),
        description="Everything held about one person (docs/person-export.md), by id, "
        "source:source_id, e-mail or phone. Logged in the access log.",
    )
    async def person_export(self, info: Info, ref: str) -> JSON:
        def work(store: GraphStore) -> dict[str, Any]:
            return export_person(store, card_data.resolve_customer(store, ref))

        document = await _ctx(info).run(work)
        access_log.record(_ctx(info).principal.name, "export_person")
        return document

    @strawberry.field(
        permission_classes=needs("privacy:admin"),
        description="The access log, newest first: which key looked a card up by e-mail or "
        "phone, exported or erased a person, and when (never the key, never the value).",
    )
    def access_log(self, last: int = 100) -> JSON:
        return _plain(access_log.read(last=min(max(last, 0), 10_000)))

    @strawberry.field(
        permission_classes=needs("privacy:admin"),
        description="The erasure log, newest first: mode, reason, who, when, what went.",
    )
    async def erasure_log(self, info: Info, limit: int = 100) -> JSON:
        limit = min(max(limit, 0), 10_000)
        return _plain(await _ctx(info).run(lambda s: erasure.erasure_log(s, limit=limit)))


@strawberry.type
class PersonalDataMutation:
    @strawberry.mutation(
        permission_classes=needs("privacy:admin"),
        description="Erase a person (mode delete or anonymise; graph360.erasure): one "
        "transaction; their identifiers go on the suppression list. Logged.",
    )
    async def erase_person(
        self, info: Info, ref: str, mode: str = "delete", reason: str = "request"
    ) -> JSON:
        who = _ctx(info).principal.name

        def work(store: GraphStore) -> dict[str, Any]:
            customer_id = card_data.resolve_customer(store, ref)
            return erasure.erase(store, customer_id, mode=mode, by=who, reason=reason).to_dict()

        report = await _ctx(info).write(work)
        access_log.record(who, "erase")
        return _plain(report)

    @strawberry.mutation(
        permission_classes=needs("privacy:admin"),
        description="Take an e-mail, phone or source:id off the suppression list, so the "
        "person may be loaded again; the kinds lifted. Logged.",
    )
    async def lift_suppression(self, info: Info, value: str) -> list[str]:
        lifted = await _ctx(info).write(lambda s: suppression.lift(s, value))
        access_log.record(_ctx(info).principal.name, "lift_suppression")
        return lifted

    @strawberry.mutation(
        permission_classes=needs("consent:write"),
        description="Record a person's consent to a purpose (email_marketing, sms, phone, "
        "profiling) on a channel: granted, refused or unknown. The statement it replaces is "
        "kept in its history (graph360.consent).",
    )
    async def set_consent(
        self,
        info: Info,
        customer_id: strawberry.ID,
        purpose: str,
        status: str,
        channel: str | None = None,
    ) -> ConsentStatus:
        source = f"api:{_ctx(info).principal.name}"

        def work(store: GraphStore) -> dict[str, Any]:
            return consent.record(
                store, str(customer_id), purpose, status, channel=channel, source=source
            )

        row = await _ctx(info).write(work)
        fields = ("purpose", "channel", "status", "at", "source")
        return ConsentStatus(**{k: row[k] for k in fields})
