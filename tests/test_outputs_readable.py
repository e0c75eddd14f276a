"""The funnel plot, the engagement heatmaps and the CLI's funnel and engagement tables, read as
a person would on the demo data set: no two texts of a plot overlap and none runs off it; the
tables fit an 80-column terminal; the funnel says how many arrived directly (without the step
before) in the plot and the table; ``engagement`` leads with the best windows and a compact
heatmap, ``--full`` gives the whole table. (The views are checked in headless Chromium:
tests/test_views_browser.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph360.analytics.journeys import journey_funnel
from graph360.cli import app
from graph360.demo import generate_demo
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore, open_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    folder = tmp_path_factory.mktemp("demo")
    graph = open_store(str(folder / "graph.lbug"))
    load_bundle(graph, generate_demo(folder / "bundle", customers=300), rejects_path=None)
    yield graph
    graph.close()


def _text_boxes(figure) -> list[tuple[str, object]]:
    """Every visible, non-empty text of ``figure`` with its box on the drawn figure."""
    from matplotlib.text import Text

    renderer = figure.canvas.get_renderer()
    figure.canvas.draw()
    return [
        (t.get_text(), t.get_window_extent(renderer))
        for t in figure.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]


def test_the_funnel_plot_says_who_arrived_directly_and_no_text_overlaps(demo) -> None:
    import matplotlib.pyplot as plt

    from graph360.plots.funnel import funnel_figure

    funnel = journey_funnel(demo, "online_purchase")
    skipped = [s for s in funnel.steps[1:] if s.without_previous]
    assert skipped, "the demo has a step people reach without the step before"
    figure = funnel_figure(funnel)
    try:
        boxes = _text_boxes(figure)
        frame = figure.bbox
        texts = [t for t, _ in boxes]
        for step in skipped:
            assert any(f"arrived directly: {step.without_previous:,}" in t for t in texts)
        for text, box in boxes:
            assert box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1, f"runs off: {text!r}"
            assert box.y0 >= frame.y0 - 1 and box.y1 <= frame.y1 + 1, f"runs off: {text!r}"
        assert _overlaps(boxes) == []
    finally:
        plt.close(figure)


def _overlaps(boxes: list[tuple[str, object]]) -> list[tuple[str, str]]:
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


def test_the_engagement_heatmaps_keep_their_texts_apart(demo) -> None:
    import matplotlib.pyplot as plt

    from graph360.analytics.engagement.report import engagement
    from graph360.plots.engagement import heatmaps_figure

    report = engagement(demo)
    assert len(report.heatmaps) >= 4
    figure = heatmaps_figure(report.heatmaps, min_volume=30)
    try:
        boxes = _text_boxes(figure)
        frame = figure.bbox
        assert all(
            box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1 and box.y0 >= frame.y0 - 1
            for _, box in boxes
        )
        assert _overlaps(boxes) == []
    finally:
        plt.close(figure)


def _cli(demo: GraphStore, *args: str) -> str:
    location = demo.location
    demo.close()
    try:
        result = CliRunner().invoke(app, [*args, "--store", location], env={"COLUMNS": "80"})
    finally:
        demo.__init__(location)  # reopen for the other tests of this module
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_funnel_table_fits_80_columns_and_says_who_arrived_directly(demo) -> None:
    out = _cli(demo, "funnel", "online_purchase")
    lines = out.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    assert "arrived" in out and "directly" in out
    funnel = journey_funnel(demo, "online_purchase")
    payment = next(s for s in funnel.steps if s.step_id == "payment")
    row = next(line for line in lines if line.split()[:2] == [str(payment.position), "Payment"])
    figures = row.split()
    assert f"{payment.customers:,}" in figures and f"{payment.without_previous:,}" in figures
    assert f"{payment.from_previous:,}" in figures


def test_engagement_shows_the_best_windows_and_a_compact_heatmap(demo) -> None:
    compact = _cli(demo, "engagement")
    full = _cli(demo, "engagement", "--full")
    for out in (compact, full):
        assert max(len(line.rstrip()) for line in out.splitlines()) <= 80
        assert "Best windows" in out
    # One character a cell: a weekday row is its name and 24 cells.
    rows = [line for line in compact.splitlines() if line.startswith("Mon ")]
    assert rows and all(len(line.split("  ")[0].rstrip()) <= 4 + 24 for line in rows)
    assert any(shade in compact for shade in "░▒▓█")
    assert "The figures: --full." in compact
    assert compact.index("Best windows") < compact.index("Mon ")
    assert len(compact.splitlines()) < len(full.splitlines()) / 2
    assert "share of responses" in full and "%" in full.split("Best windows")[1]


def test_plot_files_are_still_written(demo, tmp_path: Path) -> None:
    """--plot writes the same figure to a file."""
    out = tmp_path / "funnel.png"
    location = demo.location
    demo.close()
    try:
        result = CliRunner().invoke(
            app, ["funnel", "online_purchase", "--store", location, "--plot", str(out)]
        )
    finally:
        demo.__init__(location)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")


def test_a_count_on_a_label_is_short_and_close() -> None:
    """Labels drawn side by side carry three significant digits above 9,999 (the tooltip and
    the tables keep every digit)."""
    from graph360.display import count

    shown = [count(v) for v in (0, 48, 9_999, 10_000, 12_345, 99_950, 314_470, 999_500)]
    assert shown == ["0", "48", "9,999", "10.0k", "12.3k", "100k", "314k", "1.00M"]
    assert [count(v) for v in (1_320_774, 9_997_727, 123_456_789_012)] == ["1.32M", "10.0M", "123B"]
    for value in range(10_000, 10**10, 7_919_993):
        number, unit = float(count(value)[:-1]), count(value)[-1]
        assert abs(number * {"k": 1e3, "M": 1e6, "B": 1e9}[unit] - value) <= 0.005 * value
