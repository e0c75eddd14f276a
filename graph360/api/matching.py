"""GraphQL for the review queue of probabilistic matching (admins): list, accept, reject.

The same as ``graph360 review`` (``graph360.matching``); a decision names the key that made it,
never the key itself. Accepting merges through the merge log; rejecting records a never-merge
rule between the two records.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import strawberry
from strawberry.types import Info

from graph360.api.permissions import ctx, needs
from graph360.matching import reviewing
from graph360.store.base import GraphStore


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


@strawberry.type(description="One record of a pair, as its source typed it.")
class ReviewRecord:
    record_key: str
    customer_id: strawberry.ID = strawberry.field(description="The customer it belongs to now")
    name: str | None
    birth_date: dt.date | None
    address: str | None
    postcode: str | None
    city: str | None


@strawberry.type(description="A pair the matching found likely but not sure.")
class ReviewPair:
    pair_id: strawberry.ID
    probability: float
    evidence: str = strawberry.field(
        description="Each field's match weight in bits (log2 of its Bayes factor), as a JSON "
        "object: name, birth_date, address"
    )
    status: str = strawberry.field(description="open, accepted or rejected")
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    a: ReviewRecord
    b: ReviewRecord


@strawberry.type(description="What deciding a pair did.")
class ReviewDecision:
    pair_id: strawberry.ID
    status: str = strawberry.field(description="accepted or rejected")
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer the two records are now (accepted); null when rejected"
    )
    decided_by: str
    decided_at: dt.datetime


def _record(row: dict[str, Any], side: str) -> ReviewRecord:
    born = row[f"birth_date_{side}"]
    return ReviewRecord(
        record_key=row[f"record_{side}"],
        customer_id=strawberry.ID(row[f"customer_{side}"]),
        name=row[f"name_{side}"],
        birth_date=born.date() if born is not None else None,
        address=row[f"address_{side}"],
        postcode=row[f"postcode_{side}"],
        city=row[f"city_{side}"],
    )


def _pair(row: dict[str, Any]) -> ReviewPair:
    return ReviewPair(
        pair_id=strawberry.ID(row["pair_id"]),
        probability=row["probability"],
        evidence=json.dumps(row["evidence"], sort_keys=True),
        status=row["status"],
        created_at=_utc(row["created_at"]),  # type: ignore[arg-type]
        decided_at=_utc(row["decided_at"]),
        decided_by=row["decided_by"],
        a=_record(row, "a"),
        b=_record(row, "b"),
    )


def _decision(row: dict[str, Any]) -> ReviewDecision:
    return ReviewDecision(
        pair_id=strawberry.ID(row["pair_id"]),
        status=row["status"],
        customer_id=strawberry.ID(row["customer_id"]) if row["customer_id"] else None,
        decided_by=row["decided_by"],
        decided_at=_utc(row["decided_at"]),  # type: ignore[arg-type]
    )


@strawberry.type
class ReviewQueries:
    @strawberry.field(
        permission_classes=needs("identity:write"),
        description="The review queue of probabilistic matching, the most probable first "
        "(status open, accepted or rejected; at most 100 a page).",
    )
    async def review_queue(
        self, info: Info, status: str = "open", first: int = 50, skip: int = 0
    ) -> list[ReviewPair]:
        first = max(1, min(first, 100))

        def work(store: GraphStore) -> list[dict[str, Any]]:
            return reviewing.review_queue(store, status=status, first=first, skip=max(0, skip))

        return [_pair(row) for row in await ctx(info).run(work)]


@strawberry.type
class ReviewMutations:
    @strawberry.mutation(
        permission_classes=needs("identity:write"),
        description="Accept a pair of the review queue: its two customers become one, logged "
        "in the merge log with the pair's probability and evidence. A never-merge rule "
        "between their records refuses it.",
    )
    async def accept_match(self, info: Info, pair_id: strawberry.ID) -> ReviewDecision:
        who = ctx(info).principal.name

        def work(store: GraphStore) -> dict[str, Any]:
            return reviewing.decide(store, str(pair_id), accept=True, who=who)

        return _decision(await ctx(info).write(work))

    @strawberry.mutation(
        permission_classes=needs("identity:write"),
        description="Reject a pair of the review queue: the two records are not one person; "
        "a never-merge rule keeps them apart in later loads and matches.",
    )
    async def reject_match(self, info: Info, pair_id: strawberry.ID) -> ReviewDecision:
        who = ctx(info).principal.name

        def work(store: GraphStore) -> dict[str, Any]:
            return reviewing.decide(store, str(pair_id), accept=False, who=who)

        return _decision(await ctx(info).write(work))
