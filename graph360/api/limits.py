"""What one request and one key may cost the server: a cost limit per document, a rate per key.

The depth, token and alias limits bound a document's shape, not its work: fifteen aliased
``customers(first: 100) { … touchpoints(first: 100) }`` passed them all and took an ordinary
card from 60 ms to 7.9 s. The **cost** of a document is what it could make the server fetch:
every field costs 1 for each time its parents can repeat, a paged field (one with ``first``)
repeats its children ``first`` times (the page's maximum when ``first`` is a variable, since
validation sees no values), and an analytics field costs :data:`HEAVY` (one analyst's fifteen
aliased overlaps once held the analytics worker for 94 s). A document over the limit is refused
before anything runs, with its cost and the limit.

The **rate** is a token bucket per API key: ``rate`` requests a second on average, ``burst`` at
once; beyond it a request is refused at once with 429 and Retry-After, so one key cannot starve
the others.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

from graph360.errors import Graph360Error

#: Query fields that run an analytic over the whole graph.
ANALYTICS = frozenset({"overlap", "collisions", "ownershipAudit", "funnel", "engagement"})
#: What one analytics field costs: a dashboard's six fit in the default limit, seven do not.
HEAVY = 10_000


def cost_limit(limit: int, max_page: int, default_page: int) -> type[ValidationRule]:
    """A validation rule refusing documents that cost more than ``limit``."""

    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            cost = self._cost(node.selection_set, 1, top=True, seen=frozenset())
            if cost > limit:
                self.report_error(
                    GraphQLError(
                        f"this request could cost {cost:,}, over the limit of {limit:,}: ask "
                        "for smaller pages, fewer nested lists or fewer analytics at once",
                        node,
                    )
                )

        def _cost(
            self, selections: SelectionSetNode | None, times: int, *, top: bool, seen: frozenset
        ) -> int:
            if selections is None:
                return 0
            total = 0
            for selection in selections.selections:
                if isinstance(selection, FieldNode):
                    name = selection.name.value
                    weight = HEAVY if top and name in ANALYTICS else 1
                    repeat = _page(selection, max_page, default_page)
                    total += times * weight
                    total += self._cost(
                        selection.selection_set, times * repeat, top=False, seen=seen
                    )
                elif isinstance(selection, InlineFragmentNode):
                    total += self._cost(selection.selection_set, times, top=top, seen=seen)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    if fragment is not None and name not in seen:  # a cycle is reported elsewhere
                        total += self._cost(
                            fragment.selection_set, times, top=top, seen=seen | {name}
                        )
            return total

    return CostLimit


def _page(field: FieldNode, max_page: int, default_page: int) -> int:
    """How many times a field's children can repeat: its ``first`` (a literal; the maximum for
    a variable), the default page for a paged field without one, else once."""
    for argument in field.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            return max_page
    return default_page if field.name.value in PAGED else 1


#: Fields that return a page whose size defaults when ``first`` is not given.
PAGED = frozenset({"customers", "relationships", "touchpoints", "influencers"})


class RateLimiter:
    """A token bucket per key: ``rate`` requests a second, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_needed(self, key: str) -> float:
        """0 if ``key`` may go now (and takes its token), else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate


class RateLimited(Graph360Error):
    """A key asked faster than its rate: refused at once, with when to retry."""

    http_status = 429

    def __init__(self, wait: float) -> None:
        super().__init__(f"too many requests from this key: retry in {retry_after(wait)} s")
        self.retry_after = retry_after(wait)


def retry_after(seconds: float) -> str:
    """A Retry-After header value: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds)))
