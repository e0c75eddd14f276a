"""Queries for one customer's card and for customer search (agents and up)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from graph360 import access_log
from graph360.analytics import card as card_data
from graph360.api.card import Customer, CustomerSummary, customer_by_id
from graph360.api.card_types import Severity
from graph360.api.pagination import Connection, connection, decode_cursor, encode_cursor, page_size
from graph360.api.permissions import PermissionDenied, ctx, needs
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.store.base import GraphStore


@strawberry.type
class CustomerQueries:
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


_SUMMARY_FIELDS = (
    "name",
    "segment",
    "lifecycle_stage",
    "city",
    "country",
    "current_value",
    "influence_rank",
)
