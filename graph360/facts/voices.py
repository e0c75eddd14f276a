"""What customers said, from the facts projection: every touchpoint with a text or a sentiment,
with where it happened (step, department, customer, time), and the scope an analytic asks for.

The themes (``graph360.analytics.themes``) and the mood at each step
(``graph360.analytics.mood``) read the same rows; this module gives them once, as integer
codes, so a filter by journey, department, persona, segment or period is a numpy mask over
the voices (about a million rows at 1M customers / 10M touchpoints) and never a Cypher query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from graph360.errors import NotFoundError
from graph360.facts.people import People
from graph360.facts.tables import NO_TIME, VOICES, Facts, micros

__all__ = ["Scope", "Voices", "read_voices"]


@dataclass
class Voices:
    """One row per voice (a touchpoint with a text or a sentiment), in touchpoint-code order.

    ``text`` codes index ``texts`` (-1: no text); ``sentiment`` is the source's, else the one
    computed at load (NaN: neither); ``step``, ``department`` and ``customer`` are codes into
    the projection's tables (-1: none); ``at`` is int64 microseconds (NO_TIME: none).
    """

    touchpoint: np.ndarray
    text: np.ndarray
    texts: list[str]
    sentiment: np.ndarray
    computed: np.ndarray
    at: np.ndarray
    step: np.ndarray
    department: np.ndarray
    customer: np.ndarray
    rating: np.ndarray
    rating_scale: np.ndarray
    agent: np.ndarray  # codes into ``agents`` (-1: none)
    agents: list[str]

    def __len__(self) -> int:
        return len(self.touchpoint)


def read_voices(f: Facts) -> Voices:
    """The voices of projection ``f``, with where each one happened (joined when the
    projection was built: graph360.facts.reading._voices)."""
    text, texts = f.codes(VOICES, "text")
    agent, agents = f.codes(VOICES, "agent")
    table = f.tables[VOICES]
    return Voices(
        touchpoint=f.column(VOICES, "touchpoint"),
        text=text,
        texts=[str(t) for t in texts],
        sentiment=f.column(VOICES, "sentiment"),
        computed=np.asarray(table.column("computed").to_numpy(zero_copy_only=False), bool),
        at=f.column(VOICES, "at"),
        step=f.column(VOICES, "step"),
        department=f.column(VOICES, "department"),
        customer=f.column(VOICES, "customer"),
        rating=f.column(VOICES, "rating"),
        rating_scale=f.column(VOICES, "rating_scale"),
        agent=agent,
        agents=[str(a) for a in agents],
    )


@dataclass(frozen=True)
class Scope:
    """Which voices an analytic reads: each filter None for all. ``until`` is exclusive (as
    graph360.periods gives it)."""

    journey: str | None = None
    department: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    persona: str | None = None
    segment: str | None = None

    def mask(self, f: Facts, v: Voices) -> np.ndarray:
        """The voices in scope. Raises NotFoundError for a journey or department the graph
        does not have (a persona or segment nobody has is an empty scope, not an error)."""
        keep = np.ones(len(v), dtype=bool)
        if self.since is not None:
            keep &= v.at >= micros(self.since)
        if self.until is not None:
            keep &= (v.at < micros(self.until)) & (v.at != NO_TIME)
        if self.journey is not None:
            journeys = f.column("steps", "journey_id")
            if not (journeys == self.journey).any():
                known = ", ".join(sorted({str(j) for j in journeys if j is not None})) or "none"
                raise NotFoundError(f"no journey {self.journey!r} (journeys: {known})")
            inside = np.flatnonzero(journeys == self.journey)
            keep &= np.isin(v.step, inside)
        if self.department is not None:
            keys = f.keys("departments")
            found = np.flatnonzero(keys == self.department)
            if not len(found):
                known = ", ".join(sorted(str(k) for k in keys)) or "none"
                raise NotFoundError(f"no department {self.department!r} (departments: {known})")
            keep &= v.department == found[0]
        people = People(self.persona, self.segment)
        if people:
            chosen = people.customers(f)
            keep &= (v.customer >= 0) & chosen[np.maximum(v.customer, 0)]
        return keep
