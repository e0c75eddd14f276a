"""The GraphQL schema: the 360 card, customer search, the analytics, and the mutations.

Resolvers only shape, batch and check permissions: the answers come from the named queries and
the analytics functions (graph360/analytics/), run on the store's worker threads.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid
from enum import Enum
from typing import Any, Generic, NewType, TypeVar

import pyarrow as pa
import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from graph360 import access_log, facts, periods
from graph360.analytics import card as card_data
from graph360.analytics import engagement as engagement_data
from graph360.analytics import journeys as journey_data
from graph360.analytics.offers import next_best_offers
from graph360.analytics.routing import FLAG_KINDS
from graph360.analytics.silence import customer_silence
from graph360.api import analytics_types as at
from graph360.api.compute import Answer
from graph360.api.events import MAX_EVENTS
from graph360.api.matching import ReviewMutations, ReviewQueries
from graph360.api.merging import MergeMutations, MergeQueries
from graph360.api.permissions import PermissionDenied, ctx, needs
from graph360.api.personal_data import (
    ConsentStatus,
    PersonalDataMutation,
    PersonalDataQuery,
    consent_statuses,
)
from graph360.api.shapes import build, utc
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.ingest.events import needs_routing, outcome_counts
from graph360.ingest.realtime import record_touchpoint
from graph360.periods import utc_now
from graph360.store.base import GraphStore

#: A period bound as people write it (graph360.periods): a date or a time.
When = NewType("When", object)
WHEN_SCALAR = strawberry.scalar(
    name="DateOrTime",
    description="A date (2026-01-31: as an `until`, that whole day is included) or an ISO "
    "time (2026-01-31T10:00Z: exact; an `until` excludes it). The same rule as the CLI's "
    "--since / --until and the views'.",
    serialize=lambda value: value.isoformat(),
    parse_value=lambda value: periods.parse_bound(value) if isinstance(value, str) else _no(value),
)


def _no(value: object) -> None:
    raise InvalidRequestError(f"a date or time is written as text, not {type(value).__name__}")


#: Lists are paginated: a page holds at most this many items.
MAX_PAGE = 100
DEFAULT_PAGE = 20

T = TypeVar("T")


# --- pagination ------------------------------------------------------------------------------


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        default=None, description="How many items match in all (when cheap to know)."
    )


def page_size(first: int | None) -> int:
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise InvalidRequestError(f"first must be between 0 and {MAX_PAGE}, not {size}")
    return size


def encode_cursor(*parts: Any) -> str:
    text = json.dumps([p.isoformat() if isinstance(p, dt.datetime) else p for p in parts])
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str, kinds: tuple[type, ...]) -> list[Any]:
    """The parts of a cursor this API made, checked against the expected ``kinds``."""
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(parts, list) or len(parts) != len(kinds):
            raise ValueError
        return [
            dt.datetime.fromisoformat(p) if kind is dt.datetime else kind(p)
            for p, kind in zip(parts, kinds, strict=True)
        ]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidRequestError(f"invalid cursor {cursor!r}: use a cursor from a page") from error


#: Keys the digests in touchpoint cursors: an id never travels in a cursor (it can be an
#: e-mail address), so a cursor holds the page's last time and this process's digest of its id.
_CURSOR_KEY = secrets.token_bytes(32)


def id_digest(value: str) -> str:
    """A keyed digest of an id, for a cursor: it names the id without showing it."""
    return hmac.new(_CURSOR_KEY, value.encode(), hashlib.sha256).hexdigest()[:32]


def connection(items: list[T], cursors: list[str], more: bool, total: int | None = None):
    edges = [Edge(cursor=c, node=i) for c, i in zip(cursors, items, strict=True)]
    info = PageInfo(has_next_page=more, end_cursor=cursors[-1] if cursors else None)
    return Connection(edges=edges, page_info=info, total_count=total)


# --- the 360 card ----------------------------------------------------------------------------


@strawberry.enum
class Severity(Enum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


@strawberry.enum
class Grouping(Enum):
    DEPARTMENT = "department"
    DIVISION = "division"


@strawberry.type
class Location:
    city: str | None
    region: str | None
    country: str | None


@strawberry.type
class Value:
    """As graph360.analytics.value defines them; null until the value scores are computed."""

    current: float | None
    potential: float | None
    at_risk: float | None
    computed_at: dt.datetime | None


@strawberry.type
class Influence:
    """As graph360.analytics.influence defines them (PageRank over the customers' network)."""

    score: float | None
    rank: int | None
    reach: int | None
    community: int | None
    computed_at: dt.datetime | None


@strawberry.type
class Activity:
    touchpoints: int
    last_12_months: int
    first_at: dt.datetime | None
    last_at: dt.datetime | None


@strawberry.type
class SourceRecord:
    record_key: strawberry.ID
    source: str | None
    source_id: str | None
    name: str | None
    rule: str | None = strawberry.field(description="How the record was linked to the customer.")
    via: str | None = strawberry.field(description="The record the link went through.")
    linked_at: dt.datetime | None
    loaded_at: dt.datetime | None
    attributes: JSON | None
    email: str | None
    phone: str | None


@strawberry.type
class Department:
    id: strawberry.ID
    name: str | None


@strawberry.type
class Account:
    id: strawberry.ID
    name: str | None
    kind: str | None
    status: str | None
    plan: str | None
    opened_at: dt.datetime | None
    value: float | None
    role: str | None
    department: Department | None


@strawberry.type
class JourneyPosition:
    """Where the customer is in one journey: the step of their latest touchpoint in it."""

    journey_id: strawberry.ID
    journey: str | None
    step_id: strawberry.ID
    step: str | None
    position: int | None
    at: dt.datetime | None
    owners: list[str]
    unowned: bool


@strawberry.type
class CampaignTarget:
    id: strawberry.ID
    name: str | None
    channel: str | None
    added_at: dt.datetime | None
    department: str | None


@strawberry.type
class Touchpoint:
    id: strawberry.ID
    at: dt.datetime | None
    channel: str | None
    kind: str | None
    value: float | None
    rating: float | None
    rating_scale: int | None
    sentiment: float | None
    outcome: str | None
    source: str | None
    campaign: str | None
    step: str | None
    department: str | None
    text: str | None
    resolution: str | None


@strawberry.type
class Flag:
    id: strawberry.ID
    kind: str | None
    severity: str | None
    raised_at: dt.datetime | None
    status: str | None
    reason: str | None


@strawberry.type
class Action:
    id: strawberry.ID
    kind: str | None
    status: str | None
    due_at: dt.datetime | None
    created_at: dt.datetime | None
    department: str | None
    reason: str | None


@strawberry.type
class Offer:
    product_id: strawberry.ID
    name: str | None
    category: str | None
    score: float | None
    basis: str | None
    reason: str | None


def _flag(info: Info, row: dict[str, Any]) -> Flag:
    (row,) = card_data.with_reasons([row], ctx(info).audience)
    return Flag(
        id=row["flag_id"],
        kind=row["kind"],
        severity=row["severity"],
        raised_at=utc(row["raised_at"]),
        status=row["status"],
        reason=row["reason"],
    )


def _action(info: Info, row: dict[str, Any]) -> Action:
    (row,) = card_data.with_reasons([row], ctx(info).audience)
    return Action(
        id=row["action_id"],
        kind=row["kind"],
        status=row["status"],
        due_at=utc(row["due_at"]),
        created_at=utc(row["created_at"]),
        department=row["department"],
        reason=row["reason"],
    )


def _touchpoint(row: dict[str, Any]) -> Touchpoint:
    """A touchpoint row already shaped for its audience (card_data.shown_touchpoints)."""
    fields = ("channel", "kind", "value", "rating", "rating_scale", "sentiment", "outcome")
    return Touchpoint(
        id=row["touchpoint_id"],
        at=utc(row["at"]),
        **{k: row[k] for k in fields},
        source=row["source"],
        campaign=row["campaign"],
        step=row["step"],
        department=row["department"],
        text=row["text"],
        resolution=row["resolution"],
    )


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
                ids = store.query("customer_touchpoint_ids_at", customer_id=self.id, at=_naive(at))
                # the page's last touchpoint; if it is gone, go on after its time
                found = [r["touchpoint_id"] for r in ids if id_digest(r["touchpoint_id"]) == digest]
                before = (_naive(at), found[0] if found else "")
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
        return connection([_touchpoint(r) for r in shown], cursors, len(rows) > size)

    @strawberry.field
    async def flags(self, info: Info, status: str | None = None) -> list[Flag]:
        rows = await ctx(info).rows("customer_flags", "customer_id", self.id)
        return [_flag(info, r) for r in rows if status is None or r["status"] == status]

    @strawberry.field
    async def actions(self, info: Info, status: str | None = None) -> list[Action]:
        rows = await ctx(info).rows("customer_actions", "customer_id", self.id)
        return [_action(info, r) for r in rows if status is None or r["status"] == status]

    @strawberry.field(
        description="What they are not saying: unanswered public voices and silent churn "
        "risk (analytics.silence; the rules are in its docstring)."
    )
    async def silence(self, info: Info) -> at.CustomerSilence:
        rows = await ctx(info).run(lambda s: s.query("customer_silence", customer_id=self.id))
        found = customer_silence(rows, utc_now(), ctx(info).audience)
        return build(at.CustomerSilence, found)

    @strawberry.field
    async def next_best_offers(self, info: Info, first: int = 3) -> list[Offer]:
        size = page_size(first)
        rows = await ctx(info).run(lambda s: next_best_offers(s, self.id, top=size))
        return [build(Offer, r) for r in rows]


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    """A time as the store keeps it (graph360.periods.as_stored), or None."""
    return None if value is None else periods.as_stored(value)


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


@strawberry.type
class JourneyStep:
    id: strawberry.ID
    name: str | None
    stage: str | None
    position: int | None
    journey_id: str | None
    journey: str | None
    owners: list[Department]


# --- queries ---------------------------------------------------------------------------------


async def _analytic(info: Info, function: str, **kwargs: Any) -> Answer:
    """An analytic in the server's analytics worker (graph360.api.compute): apart from the
    cards, remembered per graph version, a COMPUTING error past the wait limit."""
    return await ctx(info).analytic(function, **kwargs)


def _answer(answer: Answer, data: dict[str, Any], key: str = "as_of") -> dict[str, Any]:
    """``data`` with the graph state it reflects under ``key`` (the analytic's own, if any)."""
    return {**data, key: data.get(key) or answer.as_of}


@strawberry.type
class Query(MergeQueries, ReviewQueries, PersonalDataQuery):
    @strawberry.field(
        permission_classes=needs("card:read"),
        description="One customer's 360 card, by id or by ref (source:source_id or e-mail).",
    )
    async def customer(
        self, info: Info, id: strawberry.ID | None = None, ref: str | None = None
    ) -> Customer:
        if (id is None) == (ref is None):
            raise InvalidRequestError("give exactly one of id and ref")
        if id is not None:
            return await customer_by_id(info, str(id))
        assert ref is not None
        if card_data.is_contact(ref) and not ctx(info).sees_contacts:
            raise PermissionDenied(
                "permission denied: looking a customer up by e-mail or phone needs 'pii:read'"
            )
        if card_data.is_contact(ref):  # who looked a person up by contact detail, and when
            lookup = "email" if "@" in ref else "phone"
            access_log.record(ctx(info).principal.name, "card_by_contact", lookup=lookup)
        found = await ctx(info).run(lambda s: card_data.resolve_customer(s, ref))
        return await customer_by_id(info, found)

    @strawberry.field(
        permission_classes=needs("customers:search"),
        description="Customers in id order: name contains `search` (or the exact id, or, with "
        "'pii:read', the exact e-mail), in `segment`, with an open flag (`flagged`).",
    )
    async def customers(
        self,
        info: Info,
        search: str | None = None,
        segment: str | None = None,
        flagged: Severity | None = None,
        any_flag: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CustomerSummary]:
        size = page_size(first)
        text = exact = (search or "").strip()
        by_name = True
        if card_data.is_contact(text):  # an e-mail or phone names one customer: their id
            if not ctx(info).sees_contacts:
                raise PermissionDenied(
                    "permission denied: searching by e-mail or phone needs 'pii:read'"
                )
            lookup = "email" if "@" in text else "phone"
            access_log.record(ctx(info).principal.name, "card_by_contact", lookup=lookup)
            try:
                exact = await ctx(info).run(lambda s: card_data.resolve_customer(s, text))
            except NotFoundError:
                return connection([], [], False)
            by_name = False
        flag = flagged.value if flagged else ("any" if any_flag else "")
        start = decode_cursor(after, (str,))[0] if after else ""

        def work(store: GraphStore) -> list[dict[str, Any]]:
            return store.query(
                "customers_page",
                search=text.lower(),
                by_name=by_name,
                exact=exact,
                segment=segment or "",
                flagged=flag,
                after=start,
                limit=size + 1,
            )

        rows = await ctx(info).run(work)
        page = rows[:size]
        items = [
            CustomerSummary(id=r["customer_id"], **{k: r[k] for k in _SUMMARY_FIELDS}) for r in page
        ]
        cursors = [encode_cursor(r["customer_id"]) for r in page]
        return connection(items, cursors, len(rows) > size)

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Top customers by influence, as last computed (graph360 influence).",
    )
    async def influencers(self, info: Info, first: int | None = None) -> list[Influencer]:
        size = page_size(first)
        answer = await _analytic(
            info, "graph360.analytics.influence:stored_influence", memo=False, limit=size
        )
        as_of = build(at.GraphAsOf, answer.as_of)
        return [
            Influencer(
                customer_id=r["customer_id"],
                name=r["name"],
                score=r["pagerank"],
                rank=r["influence_rank"],
                reach=r["reach"],
                community=r["community"],
                computed_at=utc(r["influence_at"]),
                as_of=as_of,
            )
            for r in answer.value
        ]

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Reach per department or division, pairwise overlap, every exclusive "
        "intersection, contact collisions and cross-sell candidates (see analytics.overlap).",
    )
    async def overlap(
        self,
        info: Info,
        by: Grouping = Grouping.DEPARTMENT,
        since: When | None = None,
        until: When | None = None,
        window_hours: float = 48,
        top: int = 10,
    ) -> at.OverlapReport:
        args = _overlap_args(by, since, until, window_hours, top)
        answer = await _analytic(info, "graph360.analytics.overlap:overlap_report", **args)
        return build(at.OverlapReport, _answer(answer, answer.value.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Customers contacted by two or more units within `windowHours`.",
    )
    async def collisions(
        self,
        info: Info,
        by: Grouping = Grouping.DEPARTMENT,
        since: When | None = None,
        until: When | None = None,
        window_hours: float = 48,
        top: int = 10,
    ) -> at.Collisions:
        args = _overlap_args(by, since, until, window_hours, top)
        answer = await _analytic(info, "graph360.analytics.overlap:contact_collisions", **args)
        return build(at.Collisions, _answer(answer, dataclasses.asdict(answer.value)))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Journey steps nobody owns (or several do), their traffic and value at "
        "stake, orphan touchpoints (see analytics.ownership).",
    )
    async def ownership_audit(
        self,
        info: Info,
        journey: str | None = None,
        top: int = 5,
        persona: str | None = None,
        segment: str | None = None,
    ) -> at.OwnershipAudit:
        size = page_size(top)
        answer = await _analytic(
            info,
            "graph360.analytics.ownership:ownership_audit",
            journey_id=journey,
            top=size,
            persona=persona,
            segment=segment,
        )
        data = answer.value.to_dict()
        return build(at.OwnershipAudit, _answer(answer, data, "graph_as_of"))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Reach, conversion and drop-off per step of one journey, and its paths.",
    )
    async def funnel(
        self,
        info: Info,
        journey: str,
        since: When | None = None,
        until: When | None = None,
        paths: int = 10,
        persona: str | None = None,
        segment: str | None = None,
    ) -> at.Funnel:
        size = page_size(paths)
        period = periods.parse_period(since, until)
        answer = await _analytic(
            info,
            "graph360.analytics.journeys:journey_funnel",
            journey_id=journey,
            since=period.since,
            until=period.until,
            paths=size,
            persona=persona,
            segment=segment,
        )
        return build(at.Funnel, _answer(answer, answer.value.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Which source systems feed each journey step, the steps with no data, and "
        "the customers known to only one system (analytics.coverage).",
    )
    async def coverage(
        self,
        info: Info,
        journey: str | None = None,
        persona: str | None = None,
        segment: str | None = None,
    ) -> at.Coverage:
        answer = await _analytic(
            info,
            "graph360.analytics.coverage:coverage",
            journey=journey,
            persona=persona,
            segment=segment,
        )
        return build(at.Coverage, _answer(answer, answer.value.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Multichannel journeys: the share on two or more channels, the common "
        "channel sequences, conversion single against multichannel with a test "
        "(analytics.channels).",
    )
    async def channels(
        self,
        info: Info,
        journey: str,
        goal: str | None = None,
        since: When | None = None,
        until: When | None = None,
        top: int = 10,
    ) -> at.Multichannel:
        period = periods.parse_period(since, until)
        answer = await _analytic(
            info,
            "graph360.analytics.channels:multichannel",
            journey_id=journey,
            goal=goal,
            since=period.since,
            until=period.until,
            top=top,
        )
        return build(at.Multichannel, _answer(answer, answer.value.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="When people engage: response rate by send hour and weekday per channel, the "
        "best windows, and an optional A/B comparison of two channels.",
    )
    async def engagement(
        self,
        info: Info,
        channels: list[str] | None = None,
        by_department: bool = False,
        since: When | None = None,
        until: When | None = None,
        timezone: str | None = None,
        min_volume: int = engagement_data.MIN_VOLUME,
        top: int = 3,
        compare_channels: list[str] | None = None,
    ) -> at.Engagement:
        size = page_size(top)
        if compare_channels is not None and len(compare_channels) != 2:
            raise InvalidRequestError("compareChannels takes exactly two channels")
        period = periods.parse_period(since, until)
        answer = await _analytic(
            info,
            "graph360.analytics.engagement:engagement",
            channels=channels,
            by="department" if by_department else None,
            since=period.since,
            until=period.until,
            timezone=timezone,
            min_volume=min_volume,
            top=size,
            ab_channels=tuple(compare_channels) if compare_channels else None,
        )
        return build(at.Engagement, _answer(answer, answer.value.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="The top themes of what customers wrote, with volume, trend by month, share "
        "negative, steps, departments and examples masked for the caller (analytics.themes).",
    )
    async def themes(
        self,
        info: Info,
        journey: str | None = None,
        department: str | None = None,
        persona: str | None = None,
        segment: str | None = None,
        since: When | None = None,
        until: When | None = None,
        top: int = 8,
    ) -> at.Themes:
        period = periods.parse_period(since, until)
        answer = await _analytic(
            info,
            "graph360.analytics.themes:themes",
            journey=journey,
            department=department,
            persona=persona,
            segment=segment,
            since=period.since,
            until=period.until,
            top=top,
        )
        shown = answer.value.for_audience(ctx(info).audience)
        return build(at.Themes, _answer(answer, shown.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Ratings and sentiment after each interaction per handling department or "
        "agent, with 95% intervals, volume and worst themes (analytics.feedback).",
    )
    async def feedback(
        self,
        info: Info,
        by: str = "department",
        since: When | None = None,
        until: When | None = None,
        min_volume: int = 1,
        top: int = 50,
    ) -> at.Feedback:
        period = periods.parse_period(since, until)
        answer = await _analytic(
            info,
            "graph360.analytics.feedback:feedback",
            by=by,
            since=period.since,
            until=period.until,
            min_volume=min_volume,
            top=top,
        )
        return build(at.Feedback, _answer(answer, answer.value.to_dict()))

    @strawberry.field(permission_classes=needs("card:read"))
    async def departments(self, info: Info) -> list[Department]:
        rows = await ctx(info).run(lambda s: s.query("routing_departments"))
        return [Department(id=r["department_id"], name=r["name"]) for r in rows]

    @strawberry.field(
        permission_classes=needs("card:read"), description="Every journey step and its owners."
    )
    async def journey_steps(self, info: Info, journey: str | None = None) -> list[JourneyStep]:
        frame = await ctx(info).run(journey_data.journey_steps)
        rows = frame.dropna(subset=["step_id"]).to_dict("records")
        return [_step(r) for r in rows if journey is None or r["journey_id"] == journey]


_SUMMARY_FIELDS = (
    "name",
    "segment",
    "lifecycle_stage",
    "city",
    "country",
    "current_value",
    "influence_rank",
)


def _step(row: dict[str, Any]) -> JourneyStep:
    return JourneyStep(
        id=row["step_id"],
        name=row["step"],
        stage=row["stage"],
        position=row["position"],
        journey_id=row["journey_id"],
        journey=row["journey"],
        owners=[
            Department(id=d, name=n) for d, n in zip(row["owners"], row["owner_names"], strict=True)
        ],
    )


def _overlap_args(
    by: Grouping, since: When | None, until: When | None, window_hours: float, top: int
) -> dict[str, Any]:
    """The overlap module's arguments from the GraphQL ones, checked as every surface does."""
    period = periods.parse_period(since, until)
    return {
        "by": by.value,
        "since": period.since,
        "until": period.until,
        "window_hours": periods.parse_window(window_hours),
        "top": page_size(top),
    }


# --- mutations -------------------------------------------------------------------------------


@strawberry.input
class TouchpointInput:
    """A touchpoint as the canonical bundle's touchpoints.csv has it (see the README)."""

    touchpoint_id: strawberry.ID
    at: dt.datetime
    channel: str
    kind: str
    customer_id: str | None = strawberry.field(
        default=None, description="The customer's id in `source` (with `source`)."
    )
    source: str | None = None
    email: str | None = strawberry.field(default=None, description="Or the customer's e-mail.")
    value: float | None = None
    rating: float | None = None
    rating_scale: int | None = None
    sentiment: float | None = None
    text: str | None = None
    outcome: str | None = None
    resolution: str | None = None
    campaign_id: str | None = None
    step_id: str | None = None
    department_id: str | None = None
    product_id: str | None = None


@strawberry.input
class CustomerRecordInput:
    """A customers.csv row: a source system's record of the person (new or updated)."""

    source: str
    customer_id: str = strawberry.field(description="The person's id in `source`.")
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    gender: str | None = None
    birth_date: dt.date | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    segment: str | None = None
    persona: str | None = None
    lifecycle_stage: str | None = None
    pseudo_id: str | None = strawberry.field(
        default=None, description="A device's or cookie's id (GA4's user_pseudo_id)."
    )
    identified_as: str | None = strawberry.field(
        default=None,
        description="For a sign-in: `source:customer_id` of the record the device signed in as.",
    )


@strawberry.type
class RoutedAction:
    action_id: strawberry.ID
    department_id: str | None
    routed_by: str | None
    due_at: dt.datetime | None


@strawberry.type
class RecordedTouchpoint:
    """What recording did: ``customer`` is existing, created, joined or merged."""

    touchpoint_id: strawberry.ID
    customer_id: strawberry.ID
    touchpoint_created: bool
    customer: str
    record_key: str | None
    rule: str | None
    via: str | None
    merged_customer_ids: list[str]
    flags_raised: list[str]
    flags_resolved: list[str]
    actions: list[RoutedAction]
    warnings: list[str]

    @strawberry.field(description="The customer's card as it is now.")
    async def card(self, info: Info) -> Customer:
        return await customer_by_id(info, self.customer_id)


@strawberry.input
class TouchpointEventInput(TouchpointInput):
    """A streamed touchpoint: a TouchpointInput, with its person's record if they may be new."""

    customer: CustomerRecordInput | None = None


@strawberry.type
class RecordedEvent:
    """One event of a batch: ``status`` is recorded, duplicate (its touchpoint_id was recorded
    before: nothing changed) or rejected (``reasons``; nothing of it was written)."""

    index: int
    touchpoint_id: strawberry.ID | None
    status: str
    customer_id: strawberry.ID | None
    reasons: list[str]


@strawberry.type
class RecordedEvents:
    recorded: int
    duplicate: int
    rejected: int
    #: Events naming an erased person (graph360.suppression): not recorded.
    suppressed: int
    events: list[RecordedEvent]


def _event(data: TouchpointEventInput) -> dict[str, Any]:
    """An event as ``graph360.ingest.events`` takes it: the touchpoint's columns, its record
    under ``customer``."""
    row = _given(data)
    if data.customer is not None:
        row["customer"] = _given(data.customer)
    return row


def _given(data: object) -> dict[str, Any]:
    """An input's fields that were given, as the loader's columns (times as UTC)."""
    values = {k: v for k, v in vars(data).items() if v is not None}
    return {k: _naive(v) if isinstance(v, dt.datetime) else v for k, v in values.items()}


def _owners_changed(store: GraphStore, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run the step-owner write ``name`` with the graph's version bumped in its transaction:
    the analytics' projection holds the owners."""
    with store.atomic():
        rows = store.write(name, **params)
        facts.bump_version(store)
    return rows


async def _step_now(info: Info, step_id: str) -> JourneyStep:
    rows = await ctx(info).run(lambda s: s.query("step_detail", step_id=step_id))
    if not rows:
        raise NotFoundError(f"no journey step {step_id!r}")
    first = rows[0]
    owned = [r for r in rows if r["department_id"]]
    return _step(
        {
            **first,
            "owners": [r["department_id"] for r in owned],
            "owner_names": [r["department"] for r in owned],
        }
    )


@strawberry.type
class Mutation(MergeMutations, ReviewMutations, PersonalDataMutation):
    @strawberry.mutation(
        permission_classes=needs("touchpoints:write"),
        description="Record a touchpoint now: the loader's rules and identity resolution, then "
        "a poor rating (or anything else a routing rule reads: a sentiment, an outcome, a "
        "complaint) is routed at once. Invalid input writes nothing.",
    )
    async def record_touchpoint(
        self, info: Info, touchpoint: TouchpointInput, customer: CustomerRecordInput | None = None
    ) -> RecordedTouchpoint:
        row, record = _given(touchpoint), _given(customer) if customer else None
        route = needs_routing(row)  # a page view raises nothing: no rules on its way
        done = await ctx(info).write(
            lambda s: record_touchpoint(s, row, customer=record, route=route)
        )
        return build(RecordedTouchpoint, done.to_dict())

    @strawberry.mutation(
        permission_classes=needs("touchpoints:write"),
        description="Record a batch of touchpoints (as POST /events): the loader's rules and "
        "identity resolution, one transaction shared with concurrent callers; a bad event gets "
        "its reasons and the good ones still land; a touchpoint_id already recorded is a "
        "duplicate. Routing follows right after. A full write queue refuses the batch.",
    )
    async def record_touchpoints(
        self, info: Info, batch: list[TouchpointEventInput]
    ) -> RecordedEvents:
        if len(batch) > MAX_EVENTS:
            raise InvalidRequestError(f"{len(batch)} events: send at most {MAX_EVENTS} a batch")
        outcomes = await ctx(info).runner.record_events([_event(e) for e in batch])
        return RecordedEvents(
            **outcome_counts(outcomes),
            events=[RecordedEvent(**o.to_dict()) for o in outcomes],
        )

    @strawberry.mutation(permission_classes=needs("ownership:write"))
    async def assign_step_owner(
        self, info: Info, step_id: strawberry.ID, department_id: strawberry.ID
    ) -> JourneyStep:
        rows = await ctx(info).write(
            lambda s: _owners_changed(
                s, "step_owner_assign", step_id=str(step_id), department_id=str(department_id)
            )
        )
        if not rows:
            await _step_now(info, str(step_id))  # names a missing step first
            raise NotFoundError(f"no department {department_id!r}")
        return await _step_now(info, str(step_id))

    @strawberry.mutation(permission_classes=needs("ownership:write"))
    async def remove_step_owner(
        self, info: Info, step_id: strawberry.ID, department_id: strawberry.ID
    ) -> JourneyStep:
        step = await _step_now(info, str(step_id))
        rows = await ctx(info).write(
            lambda s: _owners_changed(
                s, "step_owner_remove", step_id=str(step_id), department_id=str(department_id)
            )
        )
        if not rows:
            raise NotFoundError(f"{department_id!r} does not own step {step_id!r}")
        return await _step_now(info, step.id)

    @strawberry.mutation(
        permission_classes=needs("flags:write"),
        description="Raise a flag by hand (kinds the rules manage are refused).",
    )
    async def raise_flag(
        self, info: Info, customer_id: strawberry.ID, kind: str, severity: Severity, reason: str
    ) -> Flag:
        kind = kind.strip()
        if not kind or kind in FLAG_KINDS:
            raise InvalidRequestError(
                f"flag kind {kind!r} is managed by the rules ({', '.join(FLAG_KINDS)}) "
                "or empty: choose another kind"
            )
        customer = await customer_by_id(info, str(customer_id))
        now = utc_now()
        flag_id = f"flag:manual:{customer.id}:{uuid.uuid4().hex[:12]}"

        def work(store: GraphStore) -> None:
            with store.atomic():
                store.upsert_nodes(
                    "Flag",
                    pa.table(
                        {
                            "flag_id": [flag_id],
                            "kind": [kind],
                            "severity": [severity.value],
                            "reason": [reason],
                            "raised_at": pa.array([now], pa.timestamp("us")),
                            "status": ["open"],
                        }
                    ),
                )
                store.upsert_relationships(
                    "FLAGGED", pa.table({"from": [customer.id], "to": [flag_id]})
                )

        await ctx(info).write(work)
        rows = await ctx(info).run(lambda s: s.query("customer_flags", customer_id=customer.id))
        return _flag(info, next(r for r in rows if r["flag_id"] == flag_id))

    @strawberry.mutation(permission_classes=needs("flags:write"))
    async def resolve_flag(self, info: Info, flag_id: strawberry.ID) -> Flag:
        rows = await ctx(info).write(
            lambda s: s.write("flag_set_status", flag_id=str(flag_id), status="resolved")
        )
        if not rows:
            raise NotFoundError(f"no flag {flag_id!r}")
        return _flag(info, rows[0])

    @strawberry.mutation(permission_classes=needs("actions:write"))
    async def create_action(
        self,
        info: Info,
        customer_id: strawberry.ID,
        kind: str,
        reason: str,
        department_id: strawberry.ID | None = None,
        due_at: dt.datetime | None = None,
        touchpoint_id: strawberry.ID | None = None,
    ) -> Action:
        if not kind.strip():
            raise InvalidRequestError("an action needs a kind")
        customer = await customer_by_id(info, str(customer_id))
        now = utc_now()
        action_id = f"action:manual:{uuid.uuid4().hex[:16]}"

        def work(store: GraphStore) -> dict[str, Any]:
            if department_id is not None and not len(
                store.existing_keys("Department", pa.array([str(department_id)]))
            ):
                raise NotFoundError(f"no department {department_id!r}")
            if touchpoint_id is not None and not len(
                store.existing_keys("Touchpoint", pa.array([str(touchpoint_id)]))
            ):
                raise NotFoundError(f"no touchpoint {touchpoint_id!r}")
            with store.atomic():
                store.upsert_nodes(
                    "Action",
                    pa.table(
                        {
                            "action_id": [action_id],
                            "kind": [kind.strip()],
                            "status": ["new"],
                            "reason": [reason],
                            "due_at": pa.array([_naive(due_at)], pa.timestamp("us")),
                            "created_at": pa.array([now], pa.timestamp("us")),
                        }
                    ),
                )
                link = {"from": [action_id]}
                needs_row = {"from": [customer.id], "to": [action_id]}
                store.upsert_relationships("NEEDS", pa.table(needs_row))
                if department_id is not None:
                    store.upsert_relationships(
                        "ASSIGNED_TO", pa.table(link | {"to": [str(department_id)]})
                    )
                if touchpoint_id is not None:
                    store.upsert_relationships(
                        "TRIGGERED_BY", pa.table(link | {"to": [str(touchpoint_id)]})
                    )
            rows = store.query("customer_actions", customer_id=customer.id)
            return next(r for r in rows if r["action_id"] == action_id)

        return _action(info, await ctx(info).write(work))

    @strawberry.mutation(permission_classes=needs("actions:write"))
    async def complete_action(self, info: Info, action_id: strawberry.ID) -> Action:
        rows = await ctx(info).write(
            lambda s: s.write("action_set_status", action_id=str(action_id), status="done")
        )
        if not rows:
            raise NotFoundError(f"no action {action_id!r}")
        return _action(info, rows[0])
