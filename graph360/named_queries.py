"""The Cypher library: one named, documented query per ``.cypher`` file in ``queries/``.

A file starts with ``//`` header lines (what the query answers, its ``params:`` and what each
row means), then the query. Where Neo4j and LadybugDB cannot share one text, a variant named
``NAME.neo4j.cypher`` (or ``NAME.ladybug.cypher``) sits beside the shared ``NAME.cypher`` and
the store picks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property

from graph360 import shipped
from graph360.errors import QueryNotFoundError

FOLDER = shipped.folder("queries")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    text: str
    description: str

    @cached_property
    def parameters(self) -> frozenset[str]:
        return frozenset(_PARAM.findall(_strip_comments(self.text)))


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


@cache
def _library() -> dict[str, str]:
    """Every ``.cypher`` file's text by its name, read once."""
    return {f.name: f.read_text(encoding="utf-8") for f in FOLDER.glob("*.cypher")}


def names() -> list[str]:
    """Every shared query name (variants are not listed separately)."""
    return sorted({file.split(".")[0] for file in _library()})


@cache  # asked for on every store call: the card asks about fifteen times
def get(name: str, backend: str) -> NamedQuery:
    """The query text ``backend`` runs for ``name``: its own variant if it has one."""
    library = _library()
    file = f"{name}.{backend}.cypher"
    if file not in library:
        file = f"{name}.cypher"
    if file not in library:
        raise QueryNotFoundError(f"no named query {name!r} in {FOLDER}")
    text = library[file]
    header = [line.lstrip("/ ").rstrip() for line in text.splitlines() if line.startswith("//")]
    return NamedQuery(name=name, text=text, description=" ".join(header))
