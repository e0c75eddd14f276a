"""The ``sentiment`` command: score the texts a load before computed sentiment left unscored
(a load scores new text itself: graph360/ingest/sentiment.py)."""

from __future__ import annotations

from graph360.cli.base import (
    Shape,
    ShapeOption,
    StoreOption,
    app,
    console,
    open_graph,
    print_json,
    refusals,
)


@app.command()
def sentiment(store: StoreOption = None, format: ShapeOption = Shape.table) -> None:
    """Give every touchpoint of a voice kind with text and no sentiment a computed one (VADER),
    never over a source's; a second run finds nothing to do."""
    from graph360.ingest.sentiment import MODEL, backfill

    with open_graph(store) as graph, refusals():
        scored, seconds = backfill(graph)
    if format is Shape.json:
        print_json({"scored": scored, "seconds": round(seconds, 3), "model": MODEL})
        return
    console.print(f"scored {scored:,} texts with {MODEL} in {seconds:.1f} s", highlight=False)
