"""The API's own scalar: a period bound as people write it (graph360.periods)."""

from __future__ import annotations

from typing import NewType

import strawberry

from graph360 import periods
from graph360.errors import InvalidRequestError

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
