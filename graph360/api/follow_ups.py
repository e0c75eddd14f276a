"""Flags and actions raised, resolved, created and completed by hand."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pyarrow as pa
import strawberry
from strawberry.types import Info

from graph360.analytics.routing import FLAG_KINDS
from graph360.api.card import customer_by_id
from graph360.api.card_types import Action, Flag, Severity, to_action, to_flag
from graph360.api.permissions import ctx, needs
from graph360.api.shapes import stored
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.periods import utc_now
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
        return to_flag(info, next(r for r in rows if r["flag_id"] == flag_id))

    @strawberry.mutation(permission_classes=needs("flags:write"))
    async def resolve_flag(self, info: Info, flag_id: strawberry.ID) -> Flag:
        rows = await ctx(info).write(
            lambda s: s.write("flag_set_status", flag_id=str(flag_id), status="resolved")
        )
        if not rows:
            raise NotFoundError(f"no flag {flag_id!r}")
        return to_flag(info, rows[0])

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
                            "due_at": pa.array([stored(due_at)], pa.timestamp("us")),
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

        return to_action(info, await ctx(info).write(work))

    @strawberry.mutation(permission_classes=needs("actions:write"))
    async def complete_action(self, info: Info, action_id: strawberry.ID) -> Action:
        rows = await ctx(info).write(
            lambda s: s.write("action_set_status", action_id=str(action_id), status="done")
        )
        if not rows:
            raise NotFoundError(f"no action {action_id!r}")
        return to_action(info, rows[0])
