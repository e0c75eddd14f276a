"""The journey view: a journey's steps in order with their owners, the gaps unmistakable.

Figures come from two analytics, unchanged: the funnel
(:func:`graph360.analytics.journeys.journey_funnel`: customers, conversion from the previous
step, drop-off, over the chosen period) and the ownership audit
(:func:`graph360.analytics.ownership.audit.ownership_audit`: owner status, traffic, customers stuck,
value at stake, likely owner). An unowned step is red, drawn with a dashed border and labelled
UNOWNED; a step with several owners is orange, labelled CONFLICT; colour is never the only
sign. Steps are laid out left to right in position order, owners above them (a
fixed layout: no physics); long step names wrap, and a step people reached without the step
before says how many ("arrived directly: 261"), so a step bigger than the one before does not
read as an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph360.analytics.journeys import Funnel, FunnelStep, journey_funnel
from graph360.analytics.mood import StepMood
from graph360.analytics.ownership.audit import OwnershipAudit, StepAudit, ownership_audit
from graph360.display import count
from graph360.periods import Period, parse_period, utc_now
from graph360.store.base import GraphStore
from graph360.views.render import Graph, LegendItem, label_width, lines, scale, text, wrap

__all__ = ["GRAPHQL", "build", "draw", "render"]

#: The GraphQL query that gives this view's data (the API's ``funnel`` and
#: ``ownershipAudit`` root fields).
GRAPHQL = """\
query JourneyView(
  $journey: String!, $since: DateOrTime, $until: DateOrTime, $persona: String, $segment: String
) {
  funnel(journey: $journey, since: $since, until: $until, persona: $persona, segment: $segment) {
    journeyId
    journey
    customers
    outOfOrderCustomers
    steps {
      stepId step position owners customers fromPrevious conversion withoutPrevious
      beforePrevious outOfOrder medianSeconds dropOff dropOffRate
      mood { ratings averageRating sharePoor sentiments averageSentiment shareNegative themes }
    }
  }
  ownershipAudit(journey: $journey, persona: $persona, segment: $segment) {
    asOf
    valueSince
    steps {
      stepId step position status owners ownerNames touchpoints customers stuck
      valueAtStake likelyOwner likelyOwnerName inferredFrom advice
    }
  }
}
"""

OWNED = "#4e79a7"
UNOWNED = "#d62728"
CONFLICT = "#f28e2b"
DEPARTMENT = "#9c755f"
STATUS_COLOUR = {"owned": OWNED, "unowned": UNOWNED, "conflict": CONFLICT}
STEP_GAP = 260
OWNER_ROW = -210
STEP_FONT = 22
ARROW_FONT = 19
OWNER_FONT = 20
#: Canvas units kept clear between two labels, or between a label and a node.
MARGIN = 36


def build(
    store: GraphStore,
    journey: str,
    *,
    since: str | dt.datetime | None = None,
    until: str | dt.datetime | None = None,
    now: dt.datetime | None = None,
    persona: str | None = None,
    segment: str | None = None,
) -> Graph:
    """The view's graph for the journey ``journey`` (NotFoundError for an unknown one), of
    the customers of ``persona`` in ``segment`` (None: every customer)."""
    now = now or utc_now()
    period = parse_period(since, until)
    people = {"persona": persona, "segment": segment}
    funnel = journey_funnel(store, journey, since=period.since, until=period.until, **people)
    audit = ownership_audit(store, journey, as_of=now, **people)
    return draw(journey, funnel, audit, period=period, now=now, people=people)


def draw(
    journey: str,
    funnel: Funnel,
    audit: OwnershipAudit,
    *,
    period: Period,
    now: dt.datetime,
    people: dict[str, str | None],
) -> Graph:
    """The view's graph from the funnel and the ownership audit of the journey: steps spaced
    by their labels' widths, so counts in the millions stay as readable as the demo's."""
    start, end = period.since, period.until
    audited = {s.step_id: s for s in audit.steps}
    steps = funnel.steps
    top = max((audited[s.step_id].touchpoints for s in steps if s.step_id in audited), default=0)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    owned_at: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    labels = [_step_label(step, audited.get(step.step_id), i) for i, step in enumerate(steps)]
    sizes = [
        scale(audited[s.step_id].touchpoints if s.step_id in audited else 0, top, low=24, high=45)
        for s in steps
    ]
    arrows = [
        _transition(step.conversion, steps[i - 1].drop_off, steps[i - 1].drop_off_rate) if i else ""
        for i, step in enumerate(steps)
    ]
    xs = _step_positions(labels, sizes, arrows)

    for i, step in enumerate(steps):
        gap = audited.get(step.step_id)
        status = _status(step, gap)
        traffic = gap.touchpoints if gap else 0
        name = step.step or step.step_id
        mood = step.mood
        x, y = xs[i], 0
        node: dict[str, Any] = {
            "id": f"s:{step.step_id}",
            "label": labels[i],
            "heading": f"{step.position}. {name}",
            "title": lines(
                f"Step {step.position}: {name}",
                ("Status", status.upper() if status != "owned" else "owned"),
                ("Owners", gap.owner_names if gap else step.owners),
                ("Traffic (touchpoints, all time)", traffic),
                (
                    "Customers at the step in the period",
                    step.customers,
                ),
                ("Conversion from the previous step", _share(step.conversion)),
                ("Arrived directly (skipped the step before)", step.without_previous),
                ("Out of order", step.out_of_order),
                ("Median time from the previous step", _duration(step.median_seconds)),
                (
                    "Completed the journey here" if i == len(steps) - 1 else "Went no further",
                    f"{step.drop_off:,} ({_share(step.drop_off_rate) or '—'})",
                ),
                ("Customers stuck here now", gap.stuck if gap else None),
                ("Value at stake", gap.value_at_stake if gap and gap.is_gap else None),
                ("Ratings (average of the scale)", _mood_rating(mood)),
                ("Said (share negative)", _mood_sentiment(mood)),
                ("What they raise", "; ".join(mood.themes) if mood and mood.themes else None),
                ("Likely owner", gap.likely_owner_name if gap else None),
                ("Because it", gap.inferred_from if gap else None),
                ("What to do", gap.advice if gap else None),
                ("Step id", step.step_id),
            ),
            "color": STATUS_COLOUR[status],
            "size": sizes[i],
            "x": x,
            "y": y,
            "font": {"size": STEP_FONT},
            "borderWidth": 1,
            "priority": 100,
        }
        if status == "unowned":
            node["borderWidth"] = 4
            node["shapeProperties"] = {"borderDashes": [6, 4]}
            node["color"] = {"background": UNOWNED, "border": "#7a0000"}
            node["font"] = {"size": STEP_FONT, "color": UNOWNED}
        elif status == "conflict":
            node["borderWidth"] = 4
            node["color"] = {"background": CONFLICT, "border": "#8a4b00"}
            node["font"] = {"size": STEP_FONT, "color": "#8a4b00"}
        nodes.append(node)
        owner_names = gap.owner_names if gap else step.owners
        for owner, owner_name in zip(step.owners, owner_names, strict=False):
            owned_at.setdefault(owner, []).append(x)
            names[owner] = owner_name
            edges.append(
                {
                    "from": f"d:{owner}",
                    "to": f"s:{step.step_id}",
                    "heading": f"{owner_name} owns {name}",
                    "title": f"{owner_name} owns {name}",
                    "color": CONFLICT if status == "conflict" else "#8c96a3",
                    "width": 2,
                    "arrows": "to",
                }
            )
        if gap and gap.is_gap and gap.likely_owner:
            owned_at.setdefault(gap.likely_owner, []).append(x)
            names.setdefault(gap.likely_owner, gap.likely_owner_name or gap.likely_owner)
            edges.append(
                {
                    "from": f"d:{gap.likely_owner}",
                    "to": f"s:{step.step_id}",
                    "label": "likely owner?",
                    "font": {"size": 16},
                    "priority": 40,
                    "title": f"Likely owner: {gap.likely_owner_name} ({gap.inferred_from})",
                    "color": UNOWNED if status == "unowned" else CONFLICT,
                    "dashes": [2, 6],
                    "width": 2,
                    "arrows": "to",
                }
            )
        if i:
            before = steps[i - 1]
            edges.append(
                {
                    "from": f"s:{before.step_id}",
                    "to": f"s:{step.step_id}",
                    "label": arrows[i],
                    "heading": f"{before.step or before.step_id} → {name}",
                    "title": lines(
                        f"{before.step or before.step_id} → {name}",
                        ("Conversion", _share(step.conversion)),
                        ("Customers who reached both", step.from_previous),
                        (
                            f"Went no further than {before.step or before.step_id}",
                            f"{before.drop_off:,} ({_share(before.drop_off_rate) or '—'})",
                        ),
                        ("Got here before the previous step", step.before_previous),
                        ("Median time between", _duration(step.median_seconds)),
                    ),
                    "color": "#57606a",
                    "width": round(1 + 7 * (step.conversion or 0.0), 2),
                    "arrows": "to",
                    "font": {"size": ARROW_FONT},
                    "priority": 50,
                }
            )

    # Departments above the steps they own, each over the middle of its steps.
    placed: list[tuple[float, float]] = []  # (x, label width) of the departments placed
    for owner, at in sorted(owned_at.items(), key=lambda kv: (sum(kv[1]) / len(kv[1]), kv[0])):
        x, width = sum(at) / len(at), label_width(names[owner], OWNER_FONT) + 40
        while any(abs(x - other) < (width + w) / 2 for other, w in placed):
            x += 60
        placed.append((x, width))
        nodes.append(
            {
                "id": f"d:{owner}",
                "label": names[owner],
                "title": lines(
                    f"Department {names[owner]}",
                    ("Id", owner),
                    ("Owns", [s.step or s.step_id for s in steps if owner in s.owners]),
                ),
                "shape": "box",
                "color": DEPARTMENT,
                "font": {"color": "#ffffff", "size": OWNER_FONT, "background": "none"},
                "x": x,
                "y": OWNER_ROW,
                "priority": 90,
            }
        )

    gaps = [audited[s.step_id] for s in steps if s.step_id in audited and audited[s.step_id].is_gap]
    unowned = [g for g in gaps if g.status == "unowned"]
    conflicts = [g for g in gaps if g.status == "conflict"]
    described = str(period)
    facts = [
        ("Journey", f"{funnel.journey or journey} ({journey})"),
        ("Steps", text(len(steps))),
        ("Customers in the funnel", f"{funnel.customers:,} ({described})"),
        ("Out-of-order customers", text(funnel.out_of_order_customers)),
        ("Unowned steps", ", ".join(g.label for g in unowned) or "none"),
        ("Conflicting steps", ", ".join(g.label for g in conflicts) or "none"),
        ("Customers stuck at gaps", text(sum(g.stuck for g in gaps))),
        ("Value at stake at gaps", text(round(sum(g.value_at_stake for g in gaps), 2))),
        ("Value window", f"{text(audit.value_since)} to {text(audit.as_of)}"),
    ]
    facts += [(name.title(), value) for name, value in people.items() if value is not None]
    notes = []
    if unowned or conflicts:
        notes.append(
            f"{len(unowned)} unowned and {len(conflicts)} conflicting "
            f"step{'s' if len(gaps) != 1 else ''}: "
            + "; ".join(f"{g.label} ({g.status})" for g in gaps)
        )
    return Graph(
        view="journey",
        title=f"Journey: {funnel.journey or journey}",
        subtitle=(
            "Steps in order with the departments that own them; arrows give the conversion "
            f"from the step before and how many stopped there ({described})."
        ),
        as_of=now,
        nodes=nodes,
        edges=edges,
        legend=LEGEND,
        graphql=GRAPHQL,
        variables={
            "journey": journey,
            "since": start.isoformat() if start else None,
            "until": end.isoformat() if end else None,
            **people,
        },
        facts=facts,
        notes=notes,
    )


def render(store: GraphStore, journey: str, **params: Any) -> str:
    """The complete HTML page of the journey view."""
    from graph360.views.render import to_html

    return to_html(build(store, journey, **params))


LEGEND = [
    LegendItem("Owned step: one department owns it", OWNED),
    LegendItem("UNOWNED step: no department owns it", UNOWNED, "ring", note="dashed border"),
    LegendItem("CONFLICT: several departments own it", CONFLICT, note="thick border"),
    LegendItem("Step size: traffic", OWNED, "size", note="touchpoints at the step (all time)"),
    LegendItem("Department", DEPARTMENT, "box"),
    LegendItem("Owns the step", "#8c96a3", "line"),
    LegendItem("Likely owner of a gap", UNOWNED, "dashed", note="from the ownership audit"),
    LegendItem(
        "Next step: conversion · stopped",
        "#57606a",
        "line",
        note="width: conversion from the step before; 'stopped': customers whose furthest step "
        "is the one the arrow leaves (the funnel's drop-off)",
    ),
]


def _status(step: FunnelStep, gap: StepAudit | None) -> str:
    """owned, unowned or conflict: the audit's word, else whether the step has an owner."""
    return gap.status if gap else ("unowned" if not step.owners else "owned")


def _step_label(step: FunnelStep, gap: StepAudit | None, i: int) -> str:
    """A step's label: position and name, traffic, who arrived directly, gap and mood marks."""
    status = _status(step, gap)
    label = f"{wrap(f'{step.position}. {step.step or step.step_id}')}\n"
    label += f"{count(gap.touchpoints if gap else 0)} touchpoints"
    if i and step.without_previous:
        label += f"\narrived directly: {count(step.without_previous)}"
    if status == "unowned":
        label += "\n⚠ UNOWNED"
    elif status == "conflict":
        label += f"\n⚠ CONFLICT: {len(step.owners)} owners"
    mood = step.mood
    if mood is not None and mood.share_negative is not None and mood.share_negative >= ANGRY:
        label += f"\n☹ {mood.share_negative:.0%} negative"
    return label


def _step_positions(labels: list[str], sizes: list[float], arrows: list[str]) -> list[float]:
    """Each step's x: neighbours' labels (under the steps) clear of each other, and the arrow
    label between two steps (on the line) clear of both steps' circles. Step circles are big
    enough (radius 24 or more) that a label under one sits below the arrow labels."""
    xs: list[float] = []
    for i, (label, size) in enumerate(zip(labels, sizes, strict=True)):
        if not i:
            xs.append(0.0)
            continue
        beside = (label_width(labels[i - 1], STEP_FONT) + label_width(label, STEP_FONT)) / 2
        between = label_width(arrows[i], ARROW_FONT) + sizes[i - 1] + size
        xs.append(xs[-1] + max(STEP_GAP, beside + MARGIN, between + 2 * MARGIN))
    return xs


def _share(value: float | None) -> str | None:
    return None if value is None else f"{value:.0%}"


#: A step where at least this share of what people said is negative says so on its label.
ANGRY = 0.3


def _mood_rating(mood: StepMood | None) -> str | None:
    if mood is None or mood.average_rating is None:
        return None
    return f"{mood.ratings:,} ratings, average {mood.average_rating:.0%} of the scale"


def _mood_sentiment(mood: StepMood | None) -> str | None:
    if mood is None or mood.share_negative is None:
        return None
    return f"{mood.sentiments:,} voices, {mood.share_negative:.0%} negative"


def _transition(conversion: float | None, dropped: int, rate: float | None) -> str:
    into = "no customers" if conversion is None else f"{conversion:.0%} converted"
    return f"{into}\n{count(dropped)} stopped ({_share(rate) or '—'})"


def _duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
