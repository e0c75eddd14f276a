"""The 360 card: a customer whose sections are each fetched only when asked for, and the
list rows that open it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from graph360 import periods
from graph360.analytics import card as card_data
from graph360.analytics.offers import next_best_offers
from graph360.analytics.silence import customer_silence
from graph360.api import analytics_types as at
from graph360.api import experience_types as et
from graph360.api.card_types import (
    Account,
    Action,
    Activity,
    CampaignTarget,
    Department,
    Flag,
    Influence,
    JourneyPosition,
    Location,
    Offer,
    SourceRecord,
    Touchpoint,
    Value,
    to_action,
    to_flag,
    to_touchpoint,
)
from graph360.api.pagination import (
    Connection,
    connection,
    decode_cursor,
    encode_cursor,
    id_digest,
    page_size,
)
from graph360.api.permissions import ctx
from graph360.api.personal_data import ConsentStatus, consent_statuses
from graph360.api.scalars import When
from graph360.api.shapes import build, stored, utc
from graph360.errors import NotFoundError
from graph360.periods import utc_now
from graph360.store.base import GraphStore


@strawberry.type
class Relationship:
    direction: str = strawberry.field(description="out: this customer → the other one.")
    kind: str
    weight: float | None
    since: dt.datetime | None
    _other: strawberry.Private[str]

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await customer_by_id(info, self._other)


@strawberry.type
class Customer:
    """One customer's 360 card: every section is fetched only when asked for."""

    id: strawberry.ID
    _profile: strawberry.Private[dict[str, Any]]

    def _get(self, key: str) -> Any:
        return self._profile[key]

    @strawberry.field
    def name(self) -> str | None:
        return self._get("name")

    @strawberry.field
    def email(self, info: Info) -> str | None:
        return ctx(info).audience.contact(self._get("email"))

    @strawberry.field
    def phone(self, info: Info) -> str | None:
        return ctx(info).audience.contact(self._get("phone"))

    @strawberry.field
    def gender(self) -> str | None:
        return self._get("gender")

    @strawberry.field
    def birth_date(self) -> dt.date | None:
        born = self._get("birth_date")
        return born.date() if born else None

    @strawberry.field
    def age(self) -> int | None:
        return card_data.age_at(self._get("birth_date"), dt.datetime.now(dt.UTC))

    @strawberry.field
    def location(self) -> Location:
        return Location(**{k: self._get(k) for k in ("city", "region", "country")})

    @strawberry.field
    def segment(self) -> str | None:
        return self._get("segment")

    @strawberry.field
    def persona(self) -> str | None:
        return self._get("persona")

    @strawberry.field
    def lifecycle_stage(self) -> str | None:
        return self._get("lifecycle_stage")

    @strawberry.field(
        description="Consent per purpose and channel: the latest statement on each "
        "(graph360.consent); suggestions leave out people who refused."
    )
    async def consent(self, info: Info) -> list[ConsentStatus]:
        return await ctx(info).run(lambda s: consent_statuses(s, str(self.id)))

    @strawberry.field
    def customer_since(self) -> dt.datetime | None:
        return utc(self._get("created_at"))

    @strawberry.field
    def attributes(self, info: Info) -> JSON | None:
        text = self._get("attributes")
        return ctx(info).audience.attributes(text) if text else None

    @strawberry.field
    def value(self) -> Value:
        return Value(
            current=self._get("current_value"),
            potential=self._get("potential_value"),
            at_risk=self._get("at_risk"),
            computed_at=utc(self._get("value_at")),
        )

    @strawberry.field
    def influence(self) -> Influence:
        return Influence(
            score=self._get("pagerank"),
            rank=self._get("influence_rank"),
            reach=self._get("reach"),
            community=self._get("community"),
            computed_at=utc(self._get("influence_at")),
        )

    @strawberry.field
    async def records(self, info: Info) -> list[SourceRecord]:
        rows = await ctx(info).rows("customer_records", "customer_id", self.id)
        return [
            build(SourceRecord, r | {"attributes": r["attributes"] or None})
            for r in card_data.source_records(rows, ctx(info).audience)
        ]

    @strawberry.field
    async def activity(self, info: Info) -> Activity:
        since = utc_now() - dt.timedelta(days=card_data.CURRENT_VALUE_DAYS)

        def work(store: GraphStore) -> dict[str, Any]:
            return store.query("customer_activity", customer_id=self.id, since=since)[0]

        row = await ctx(info).run(work)
        return Activity(
            touchpoints=row["touchpoints"],
            last_12_months=row["recent_touchpoints"] or 0,
            first_at=utc(row["first_at"]),
            last_at=utc(row["last_at"]),
        )

    @strawberry.field
    async def accounts(self, info: Info) -> list[Account]:
        rows = await ctx(info).rows("customer_accounts", "customer_id", self.id)
        return [
            Account(
                id=r["account_id"],
                name=r["name"],
                kind=r["kind"],
                status=r["status"],
                plan=r["plan"],
                opened_at=utc(r["opened_at"]),
                value=r["value"],
                role=r["role"],
                department=Department(id=r["department_id"], name=r["department"])
                if r["department_id"]
                else None,
            )
            for r in rows
        ]

    @strawberry.field(description="Heaviest first, then the most influential people.")
    async def relationships(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Relationship]:
        size = page_size(first)
        start = decode_cursor(after, (int,))[0] + 1 if after else 0
        rows = await ctx(info).rows("customer_relationships", "customer_id", self.id)
        ordered = sorted(
            rows,
            key=card_data.relationship_order,
        )
        chosen = ordered[start : start + size]
        items = [
            Relationship(
                direction=r["direction"],
                kind=r["kind"],
                weight=r["weight"],
                since=utc(r["since"]),
                _other=r["customer_id"],
            )
            for r in chosen
        ]
        cursors = [encode_cursor(start + i) for i in range(len(chosen))]
        return connection(items, cursors, start + size < len(ordered), len(ordered))

    @strawberry.field(description="The current step in each journey, with its owners.")
    async def journeys(self, info: Info) -> list[JourneyPosition]:
        rows = await ctx(info).run(lambda s: card_data.current_journey_steps(s, self.id))
        return [build(JourneyPosition, r) for r in rows]

    @strawberry.field
    async def campaigns(self, info: Info) -> list[CampaignTarget]:
        rows = await ctx(info).rows("customer_campaigns", "customer_id", self.id)
        return [
            CampaignTarget(
                id=r["campaign_id"],
                name=r["name"],
                channel=r["channel"],
                added_at=utc(r["added_at"]),
                department=r["department"],
            )
            for r in rows
        ]

    @strawberry.field(description="Newest first; filter by channel, kind and time [since, until).")
    async def touchpoints(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        channel: str | None = None,
        kind: str | None = None,
        since: When | None = None,
        until: When | None = None,
    ) -> Connection[Touchpoint]:
        size = page_size(first)
        cursor = decode_cursor(after, (dt.datetime, str)) if after else None
        period = periods.parse_period(since, until)

        def work(store: GraphStore) -> list[dict[str, Any]]:
            before = None
            if cursor is not None:
                at, digest = cursor
                ids = store.query("customer_touchpoint_ids_at", customer_id=self.id, at=stored(at))
                # the page's last touchpoint; if it is gone, go on after its time
                found = [r["touchpoint_id"] for r in ids if id_digest(r["touchpoint_id"]) == digest]
                before = (stored(at), found[0] if found else "")
            return card_data.recent_touchpoints(
                store,
                self.id,
                size + 1,
                channel=channel,
                kind=kind,
                since=period.since,
                until=period.until,
                before=before,
            )

        rows = await ctx(info).run(work)
        page = rows[:size]
        cursors = [encode_cursor(r["at"], id_digest(r["touchpoint_id"])) for r in page]
        shown = card_data.shown_touchpoints(page, ctx(info).audience)
        return connection([to_touchpoint(r) for r in shown], cursors, len(rows) > size)

    @strawberry.field
    async def flags(self, info: Info, status: str | None = None) -> list[Flag]:
        rows = await ctx(info).rows("customer_flags", "customer_id", self.id)
        return [to_flag(info, r) for r in rows if status is None or r["status"] == status]

    @strawberry.field
    async def actions(self, info: Info, status: str | None = None) -> list[Action]:
        rows = await ctx(info).rows("customer_actions", "customer_id", self.id)
        return [to_action(info, r) for r in rows if status is None or r["status"] == status]

    @strawberry.field(
        description="What they are not saying: unanswered public voices and silent churn "
        "risk (analytics.silence; the rules are in its docstring)."
    )
    async def silence(self, info: Info) -> et.CustomerSilence:
        rows = await ctx(info).run(lambda s: s.query("customer_silence", customer_id=self.id))
        found = customer_silence(rows, utc_now(), ctx(info).audience)
        return build(et.CustomerSilence, found)

    @strawberry.field
    async def next_best_offers(self, info: Info, first: int = 3) -> list[Offer]:
        size = page_size(first)
        rows = await ctx(info).run(lambda s: next_best_offers(s, self.id, top=size))
        return [build(Offer, r) for r in rows]


async def customer_by_id(info: Info, customer_id: str) -> Customer:
    rows = await ctx(info).rows("customer_profile", "customer_id", customer_id)
    if not rows:
        raise NotFoundError(f"no customer {customer_id!r}")
    return Customer(id=customer_id, _profile=rows[0])


@strawberry.type
class CustomerSummary:
    """A row of a customer list; ``card`` opens the whole 360 card."""

    id: strawberry.ID
    name: str | None
    segment: str | None
    lifecycle_stage: str | None
    city: str | None
    country: str | None
    current_value: float | None
    influence_rank: int | None

    @strawberry.field
    async def card(self, info: Info) -> Customer:
        return await customer_by_id(info, self.id)


@strawberry.type
class Influencer:
    customer_id: strawberry.ID
    name: str | None
    score: float | None
    rank: int
    reach: int | None
    community: int | None
    computed_at: dt.datetime | None
    as_of: at.GraphAsOf | None = None

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await customer_by_id(info, self.customer_id)
