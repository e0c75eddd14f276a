"""The GraphQL schema as clients know it: the SDL is kept in tests/data/schema.graphql.

graph360/api/ builds the schema from one module per group of fields (graph360.api.schema
merges them); a field moved between modules, renamed or reordered by accident changes the
SDL and fails here. A change meant for clients: check the diff, then regenerate the file
with ``graph360 schema > tests/data/schema.graphql``.
"""

from __future__ import annotations

from pathlib import Path

from graph360.api.served_schema import build_schema

EXPECTED = Path(__file__).parent / "data" / "schema.graphql"


def test_the_sdl_is_the_one_clients_know() -> None:
    assert str(build_schema()) + "\n" == EXPECTED.read_text()
