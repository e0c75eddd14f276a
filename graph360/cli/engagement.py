"""``graph360 engagement``: when people engage, hour x weekday per channel, and A/B tests."""

from __future__ import annotations

import itertools
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from graph360.cli.base import (
    Format,
    FormatOption,
    SinceOption,
    StoreOption,
    UntilOption,
    app,
    console,
    errors,
    open_graph,
    print_csv,
    print_json,
    refusals,
    table,
)
from graph360.periods import Period, parse_period


class By(StrEnum):
    department = "department"


class MeasureChoice(StrEnum):
    auto = "auto"
    rate = "rate"
    activity = "activity"


@app.command()
def engagement(
    channel: Annotated[
        list[str] | None,
        typer.Option("--channel", "-c", help="Channel to show, repeatable [default: all]"),
    ] = None,
    by: Annotated[By | None, typer.Option("--by", help="One grid per department too")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    compare_channels: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--compare-channels",
            help="A/B: the response rates of two channels, e.g. email phone",
            show_default=False,
        ),
    ] = None,
    compare_windows: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--compare-windows",
            help='A/B: two send windows of one channel, e.g. "Mon 07-09" "Sat 19-22"',
            show_default=False,
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(help="Show hours on this zone's clock, e.g. Europe/London [default: UTC]"),
    ] = None,
    measure: Annotated[
        MeasureChoice,
        typer.Option(
            help="auto: response rate where a channel sends, activity share elsewhere; "
            "activity: when responses happen, everywhere"
        ),
    ] = MeasureChoice.auto,
    min_volume: Annotated[
        int, typer.Option(help="Fewest deliveries (or responses) for a best window")
    ] = 30,
    top: Annotated[int, typer.Option(help="Best windows per grid")] = 3,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Every grid as a full table of percentages (default: compact heatmaps)"
        ),
    ] = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Draw the heatmaps into this PNG file")
    ] = None,
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """When people actually engage: hour-of-day x weekday per channel (and department).

    Channels that send (e-mail, outbound calls) show the response rate by the time of the
    send: responded / delivered. Others show the share of their responses in each hour.
    Hours are UTC unless --timezone is given. The best windows first, then each grid as a
    compact heatmap (--full: as a table of percentages).
    """
    from graph360.analytics.engagement.data import EngagementError
    from graph360.analytics.engagement.report import engagement as answer

    if compare_channels and compare_windows:
        errors.print("[red]error:[/red] give --compare-channels or --compare-windows, not both")
        raise typer.Exit(1)
    with refusals():
        period = parse_period(since, until)
    with open_graph(store, read_only=True) as graph, refusals():
        report = answer(
            graph,
            channels=channel,
            by=by.value if by else None,
            since=period.since,
            until=period.until,
            timezone=timezone,
            measure=measure.value,
            min_volume=min_volume,
            top=top,
            ab_channels=compare_channels,
            ab_windows=compare_windows,
        )
    if plot is not None:
        from graph360.plots.engagement import plot_heatmaps

        with refusals():
            if not report.heatmaps:
                raise EngagementError("nothing to plot: no responses in the period")
            plot_heatmaps(report.heatmaps, plot, min_volume=min_volume, timezone=timezone)
        errors.print(f"heatmaps written to {plot}")
    if format is Format.json:
        print_json(report.to_dict())
    elif format is Format.csv:
        print_csv(report.rows())
    else:
        _show(report, full=full)


def _show(report: Any, *, full: bool = False) -> None:
    """The channels, the best windows, then each grid: a compact heatmap (one character a
    cell, two grids side by side: fits 80 columns) or, with ``full``, its table."""
    clock = report.timezone or "UTC"
    console.print(
        table(
            f"Channels ({_period(report)}; hours {clock})",
            [
                {
                    **c,
                    "response_rate": f"{c['response_rate']:.1%}"
                    if c["response_rate"] is not None
                    else "",
                }
                for c in report.channels
            ],
            ["channel", "sent", "delivered", "responded", "response_rate", "responses"],
        )
    )
    if report.best:
        grouped = any(b["department"] for b in report.best)
        console.print(
            table(
                f"Best windows (cells with at least {report.min_volume} deliveries or responses)",
                [
                    {
                        **b,
                        "measure": "rate" if b["measure"] == "response_rate" else "share",
                        "value": f"{b['value']:.1%}",
                        "of": f"{b['count']:,}/{b['base']:,}",
                        "95% CI": f"{b['ci_low']:.1%}-{b['ci_high']:.1%}",
                    }
                    for b in report.best
                ],
                _BEST_COLUMNS if grouped else [c for c in _BEST_COLUMNS if c != "department"],
            )
        )
    else:
        console.print(f"No cell has at least {report.min_volume} deliveries or responses.")
    if full:
        for grid in report.heatmaps:
            console.print(_grid(grid, report.min_volume, clock))
    elif report.heatmaps:
        console.print(_compact(report.heatmaps, report.min_volume, clock), highlight=False)
    if report.comparison:
        c = report.comparison
        verdict = "significant at 5%" if c.p_value < 0.05 else "not significant at 5%"
        console.print(
            f"\n[bold]A/B[/bold]: {c.a}: {c.rate_a:.2%} ({c.responded_a:,}/{c.delivered_a:,})  "
            f"vs  {c.b}: {c.rate_b:.2%} ({c.responded_b:,}/{c.delivered_b:,})\n"
            f"difference {c.difference:+.2%} (95% CI {c.ci_low:+.2%} to {c.ci_high:+.2%}), "
            f"z = {c.z:.2f}, p = {c.p_value:.3g}: {verdict} ({c.test})",
            highlight=False,
        )


_BEST_COLUMNS = ["channel", "department", "measure", "weekday", "hours", "value", "of", "95% CI"]


def _period(report: Any) -> str:
    return str(Period(report.since, report.until))


#: A cell's shade: its value as a share of the grid's highest, in quarters.
SHADES = "░▒▓█"
HEAT_WIDTH = 38  # one grid: weekday (4) + 24 hours, its title cut to fit two side by side


def _compact(grids: list[Any], min_volume: int, clock: str) -> str:
    """Every grid as 9 lines of text, two side by side: weekdays down, hours across, one
    shaded character a cell (see :data:`SHADES`); a thin cell (fewer than ``min_volume``) is
    a dot, a cell with nothing sent a dash, an empty one a space."""
    blocks = [_heat_lines(grid, min_volume) for grid in grids]
    lines = []
    for left, right in itertools.zip_longest(blocks[::2], blocks[1::2], fillvalue=None):
        for a, b in zip(left, right or [""] * len(left), strict=True):
            lines.append(f"{a:<{HEAT_WIDTH}}  {b}".rstrip())
        lines.append("")
    lines.append(
        f"Hours {clock}. Shade: share of the grid's highest value, {' '.join(SHADES)} = up to "
        f"25/50/75/100%; · fewer than {min_volume}; - nothing sent. The figures: --full."
    )
    return "\n".join(lines)


def _heat_lines(grid: Any, min_volume: int) -> list[str]:
    import numpy as np

    from graph360.analytics.engagement.data import WEEKDAYS

    rate = grid.measure == "response_rate"
    volume = grid.base if rate else grid.count
    values = np.where(volume >= max(min_volume, 1), grid.value, np.nan)
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    what = "rate" if rate else "share"
    title = f"{grid.label}: {what}, top {top:.1%}"
    out = [title[:HEAT_WIDTH], "    0     6     12    18   "]
    for day, name in enumerate(WEEKDAYS):
        cells = []
        for hour in range(24):
            v = grid.value[day, hour]
            if v != v:
                cells.append("-")
            elif volume[day, hour] == 0:
                cells.append(" ")
            elif volume[day, hour] < min_volume or not top:
                cells.append("·")
            else:
                cells.append(SHADES[min(int(v / top * len(SHADES) - 1e-9), len(SHADES) - 1)])
        out.append(f"{name} " + "".join(cells))
    return out


def _grid(grid: Any, min_volume: int, clock: str) -> Table:
    """Hours down, weekdays across; percentages; thin cells dimmed. Hours with nothing in
    them on any day are left out (the caption says how many), so a channel active from 8 to
    20 takes 13 lines, not 24 mostly empty ones."""
    rate = grid.measure == "response_rate"
    what = "response rate by send time" if rate else "share of responses"
    volume = grid.base if rate else grid.count
    hours = [hour for hour in range(24) if volume[:, hour].sum() > 0]
    quiet = 24 - len(hours)
    out = Table(
        title=f"{grid.label}: {what} ({clock}; n = {grid.total:,})",
        title_justify="left",
        caption=f"{quiet} hours with nothing on any day left out" if quiet else None,
        caption_justify="left",
    )
    out.add_column("hour")
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
        out.add_column(day, justify="right")
    value = grid.value
    for hour in hours:
        cells = []
        for day in range(7):
            v = value[day, hour]
            if v != v:  # no deliveries in the cell
                cells.append("[dim]-[/dim]")
            elif volume[day, hour] == 0:  # nothing at all: a dot reads faster than 0.0%
                cells.append("[dim]·[/dim]")
            elif volume[day, hour] < min_volume:
                cells.append(f"[dim]{v:.1%}[/dim]")
            else:
                cells.append(f"{v:.1%}")
        out.add_row(f"{hour:02d}", *cells)
    return out
