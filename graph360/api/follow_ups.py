"""Flags and actions raised, resolved, created and completed by hand.

The writes, and what they refuse, are graph360.analytics.follow_ups' (where the routing rules
write theirs too): these resolvers only check the caller's permission and shape the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.types import Info

from graph360.analytics import follow_ups
from graph360.api.card_types import Action, Flag, Severity, to_action, to_flag
from graph360.api.permissions import ctx, needs
from graph360.api.shapes import stored
from graph360.store.base import GraphStore


@strawberry.type
class FollowUpMutations:
    @strawberry.mutation(
        permission_classes=needs("flags:write"),
        description="Raise a flag by hand (kinds the rules manage are refused).",
    )
    async def raise_flag(
        self, info: Info, customer_id: strawberry.ID, kind: str, severity: Severity, reason: str
    ) -> Flag:
        row = await ctx(info).write(
            lambda s: follow_ups.raise_flag(s, str(customer_id), kind, severity.value, reason)
        )
        return to_flag(info, row)

    @strawberry.mutation(permission_classes=needs("flags:write"))
    async def resolve_flag(self, info: Info, flag_id: strawberry.ID) -> Flag:
        row = await ctx(info).write(lambda s: follow_ups.resolve_flag(s, str(flag_id)))
        return to_flag(info, row)

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
        def work(store: GraphStore) -> dict[str, Any]:
            return follow_ups.create_action(
                store,
                str(customer_id),
                kind,
                reason,
                department_id=None if department_id is None else str(department_id),
                due_at=stored(due_at),
                touchpoint_id=None if touchpoint_id is None else str(touchpoint_id),
            )

        return to_action(info, await ctx(info).write(work))

    @strawberry.mutation(permission_classes=needs("actions:write"))
    async def complete_action(self, info: Info, action_id: strawberry.ID) -> Action:
        row = await ctx(info).write(lambda s: follow_ups.complete_action(s, str(action_id)))
        return to_action(info, row)
