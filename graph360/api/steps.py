"""Departments and journey steps: what an agent's screen lists, and step ownership (admins)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from graph360 import facts
from graph360.analytics import journeys as journey_data
from graph360.api.card_types import Department, JourneyStep, to_step
from graph360.api.permissions import ctx, needs
from graph360.errors import NotFoundError
from graph360.store.base import GraphStore


@strawberry.type
class StepQueries:
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
        return [to_step(r) for r in rows if journey is None or r["journey_id"] == journey]


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
    return to_step(
        {
            **first,
            "owners": [r["department_id"] for r in owned],
            "owner_names": [r["department"] for r in owned],
        }
    )


@strawberry.type
class StepMutations:
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
