"""The audit as a Markdown report for the department heads."""

from __future__ import annotations

import datetime as dt

from graph360.analytics.coverage import Coverage
from graph360.analytics.mood import StepMood
from graph360.analytics.ownership.audit import OwnershipAudit
from graph360.analytics.ownership.wording import amount, and_list, plural


def audit_markdown(audit: OwnershipAudit, *, title: str = "Journey ownership audit") -> str:
    """The audit as a Markdown report to send to the department heads."""
    s = audit.summary
    today = dt.datetime.now(dt.UTC).date()
    date = f"Date: {today:%Y-%m-%d}"
    if audit.as_of.date() != today:
        date += f" (figures as of {audit.as_of:%Y-%m-%d})"
    lines = [f"# {title}", "", date, ""]
    scope = f"journey {audit.scope}" if audit.scope else plural(s["journeys"], "journey")
    if audit.persona is not None or audit.segment is not None:
        lines += [f"Customers: {_who(audit.persona, audit.segment)} only.", ""]
    summary = (
        f"**Summary:** {plural(s['unowned'], 'unowned step')} and "
        f"{plural(s['conflicts'], 'conflict')} (steps with several owners) across {scope}; "
        f"{plural(s['customers_stuck_at_gaps'], 'customer')} "
        f"{'is' if s['customers_stuck_at_gaps'] == 1 else 'are'} stuck at these gaps, with "
        f"{amount(s['value_at_stake'])} of value at stake."
    )
    if s["orphan_touchpoints"] is not None:
        summary += (
            f" {s['orphan_touchpoints']:,} touchpoints"
            + (f" ({s['orphan_share']:.0%})" if s["orphan_share"] is not None else "")
            + " are mapped to no journey step."
        )
    lines += [summary, ""]
    for journey in audit.journeys:
        steps = [x for x in audit.steps if x.journey_id == journey["journey_id"]]
        lines += [
            f"## {journey['journey'] or journey['journey_id']} (`{journey['journey_id']}`)",
            "",
        ]
        if not steps:
            lines += ["This journey has no steps.", ""]
            continue
        lines += [
            "| # | step | owners | status | touchpoints | customers | stuck | value at stake |",
            "|---:|---|---|---|---:|---:|---:|---:|",
        ]
        for x in steps:
            status = {"owned": "ok", "unowned": "**UNOWNED**", "conflict": "**CONFLICT**"}
            lines.append(
                f"| {x.position} | {_cell(x.label)} | {_cell(', '.join(x.owner_names)) or '—'} "
                f"| {status[x.status]} | {x.touchpoints:,} | {x.customers:,} | {x.stuck:,} "
                f"| {amount(x.value_at_stake)} |"
            )
        lines.append("")
        gaps = [x for x in steps if x.is_gap]
        if not gaps:
            lines += ["Every step has exactly one owner.", ""]
            continue
        lines += ["### Gaps", ""]
        for x in gaps:
            what = "no owner" if x.status == "unowned" else f"owned by {and_list(x.owner_names)}"
            channels = ", ".join(f"{c['channel']} {c['touchpoints']:,}" for c in x.by_channel)
            seen = (
                f" from {x.first_at:%Y-%m-%d} to {x.last_at:%Y-%m-%d}"
                if x.first_at and x.last_at
                else ""
            )
            lines += [
                f"**{_cell(x.label)}** (`{x.step_id}`, {what})",
                "",
                f"- Traffic: {x.touchpoints:,} touchpoints{seen}"
                + (f" ({channels})" if channels else "")
                + f"; {x.customers:,} customers reached it.",
                f"- Stuck: {x.stuck:,} customers whose latest step in this journey is this one; "
                f"value at stake {amount(x.value_at_stake)} (their purchases in the last 12 "
                f"months {amount(x.stuck_value)}; touchpoints at the step "
                f"{amount(x.step_value)}).",
            ]
            if x.mood is not None:
                lines.append(f"- What people said here: {_mood_text(x.mood)}.")
            if x.top_stuck:
                lines.append(
                    "- Stuck customers with the most value: "
                    + ", ".join(f"`{c['customer_id']}` ({amount(c['value'])})" for c in x.top_stuck)
                    + "."
                )
            lines += [f"- **What to do:** {x.advice}", ""]
    if audit.orphans is not None:
        lines += ["## Orphan touchpoints (mapped to no journey step)", ""]
        if audit.orphans:
            lines += [
                "| channel | kind | touchpoints | value | first | last |",
                "|---|---|---:|---:|---|---|",
            ]
            for o in audit.orphans:
                lines.append(
                    f"| {_cell(o.channel)} | {_cell(o.kind)} | {o.touchpoints:,} "
                    f"| {amount(o.value)} | {_day(o.first_at)} | {_day(o.last_at)} |"
                )
        else:
            lines.append("None: every touchpoint is mapped to a journey step.")
        lines.append("")
    if audit.coverage is not None:
        lines += coverage_markdown(audit.coverage)
    lines += [
        "## How to read this",
        "",
        "- *Stuck*: customers whose latest touchpoint in the journey is at this step "
        "(simultaneous touchpoints count at the further step).",
        f"- *Value at stake*: the value of the touchpoints between {audit.value_since:%Y-%m-%d} "
        f"and {audit.as_of:%Y-%m-%d} that belong to a customer stuck at the step or happened at "
        "the step, each counted once.",
        "- *Likely owner*: the department handling most of the step's touchpoints (or running "
        "the campaigns behind them); failing that, the owner of the nearest owned steps around "
        "it (both sides, else the step before, else the step after). For a conflict, only the "
        "current owners are considered.",
        "",
    ]
    return "\n".join(lines)


def coverage_markdown(c: Coverage) -> list[str]:
    """The report's "data we have, and the gaps" section (graph360.analytics.coverage)."""
    lines = ["## Data coverage: the systems behind each step", ""]
    if c.steps:
        lines += ["| step | touchpoints | systems |", "|---|---:|---|"]
        for x in c.steps:
            systems = ", ".join(
                f"{_cell(str(y['source']))} {y['touchpoints']:,} ({y['share']:.0%})"
                for y in x.sources
            )
            lines.append(
                f"| {_cell(x.step or x.step_id)} (`{x.journey_id}`) | {x.touchpoints:,} "
                f"| {systems or '**no data**'} |"
            )
        lines.append("")
    if c.steps_without_data:
        lines += [f"- Steps with no data at all: {', '.join(c.steps_without_data)}."]
    if c.single_source_steps:
        lines += [f"- Steps only one system feeds: {', '.join(c.single_source_steps)}."]
    share = f" ({c.share_single_system:.0%})" if c.share_single_system is not None else ""
    alone = ", ".join(
        f"{s.source} {s.only_here:,}" for s in c.systems if s.only_here and s.source is not None
    )
    lines += [
        f"- {plural(c.single_system, 'customer')} of {c.customers:,}{share} "
        f"{'is' if c.single_system == 1 else 'are'} known to one system only"
        + (f" ({alone})" if alone else "")
        + ".",
        "",
    ]
    return lines


def _who(persona: str | None, segment: str | None) -> str:
    chosen = (("persona", persona), ("segment", segment))
    return ", ".join(f"{name} {value}" for name, value in chosen if value is not None)


def _mood_text(mood: StepMood) -> str:
    """A step's mood in a sentence of the Markdown report."""
    parts = []
    if mood.average_rating is not None:
        parts.append(
            f"{plural(mood.ratings, 'rating')} averaging {mood.average_rating:.0%} of the "
            f"scale ({mood.share_poor or 0:.0%} poor)"
        )
    if mood.share_negative is not None:
        parts.append(f"{plural(mood.sentiments, 'voice')}, {mood.share_negative:.0%} negative")
    if mood.themes:
        parts.append("raising " + "; ".join(f"“{t}”" for t in mood.themes))
    return ", ".join(parts) or "nothing rated or said"


def _day(value: dt.datetime | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
