"""GraphQL for identity decisions made by hand: merge, split, and the merge log (admins).

The same as ``graph360 merge``, ``unmerge`` and ``merges`` (``graph360.merges``); the log
names the key that decided, never the key itself.
"""

from __future__ import annotations

import datetime as dt
import json

import strawberry
from strawberry.types import Info

from graph360 import merges
from graph360.analytics import card as card_data
from graph360.api.permissions import ctx, needs
from graph360.store.base import GraphStore


@strawberry.type(description="One merge or split: what, when, why, the evidence and who.")
class MergeLogEntry:
    entry_id: strawberry.ID
    kind: str = strawberry.field(description="merge or unmerge")
    at: dt.datetime
    who: str = strawberry.field(description="The key's name, or cli:<user> for a command")
    rule: str = strawberry.field(
        description="manual or probabilistic (a merge); unmerge or placeholder (a split)"
    )
    evidence: str = strawberry.field(description="The evidence, as a JSON object")
    customer_id: strawberry.ID = strawberry.field(description="The customer kept, or split")
    other_id: strawberry.ID = strawberry.field(description="The customer folded in, or made")
    records: list[str] = strawberry.field(description="The record keys that moved")


def _entry(entry: merges.MergeEntry) -> MergeLogEntry:
    return MergeLogEntry(
        entry_id=strawberry.ID(entry.entry_id),
        kind=entry.kind,
        at=entry.at.replace(tzinfo=dt.UTC) if entry.at.tzinfo is None else entry.at,
        who=entry.who,
        rule=entry.rule,
        evidence=json.dumps(entry.evidence, sort_keys=True, default=str),
        customer_id=strawberry.ID(entry.customer_id),
        other_id=strawberry.ID(entry.other_id),
        records=entry.records,
    )


@strawberry.type
class MergeQueries:
    @strawberry.field(
        permission_classes=needs("identity:write"),
        description="The merge log, newest first: every entry, or those naming one customer "
        "(by id or ref).",
    )
    async def merge_log(
        self, info: Info, customer: str | None = None, first: int = 50
    ) -> list[MergeLogEntry]:
        first = max(1, min(first, 1000))

        def work(store: GraphStore) -> list[merges.MergeEntry]:
            found = card_data.resolve_customer(store, customer) if customer else None
            return merges.merge_log(store, found, limit=first)

        return [_entry(e) for e in await ctx(info).run(work)]


@strawberry.type
class MergeMutations:
    @strawberry.mutation(
        permission_classes=needs("identity:write"),
        description="Merge two customers by hand (by id or ref): `other`'s records join "
        "`keep`, for good (later loads keep it) until `unmergeCustomer`. A never-merge rule "
        "between their records refuses it.",
    )
    async def merge_customers(self, info: Info, keep: str, other: str) -> MergeLogEntry:
        who = ctx(info).principal.name

        def work(store: GraphStore) -> merges.MergeEntry:
            kept = card_data.resolve_customer(store, keep)
            folded = card_data.resolve_customer(store, other)
            return merges.merge_customers(store, kept, folded, who=who)

        return _entry(await ctx(info).write(work))

    @strawberry.mutation(
        permission_classes=needs("identity:write"),
        description="Split `records` (record keys) off a customer into a customer of their "
        "own, with their touchpoints, holdings, memberships and relationships; a never-merge "
        "rule keeps them apart from then on.",
    )
    async def unmerge_customer(
        self, info: Info, customer: str, records: list[str]
    ) -> list[MergeLogEntry]:
        who = ctx(info).principal.name

        def work(store: GraphStore) -> tuple[merges.MergeEntry, ...]:
            found = card_data.resolve_customer(store, customer)
            return merges.unmerge(store, found, records, who=who)

        return [_entry(e) for e in await ctx(info).write(work)]
