"""Where the folders graph360 ships beside its code are: ``queries/`` and ``loaders/``.

The Cypher library (``queries/``) and the source mappings (``loaders/``) sit at the top of the
repository, where people read and edit them. The wheel carries them inside the package
(pyproject.toml maps the packages ``graph360.queries`` and ``graph360.loaders`` onto those
folders), so an installed graph360 finds them in its own folder; a source checkout, run from
or installed editable, finds them beside the package.

The package's own folder is asked for, not an import of ``graph360.queries``: in a checkout
that import would be answered by whichever editable install is on the path (another
checkout's folder), or fail.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

Folder = Literal["queries", "loaders"]


def folder(name: Folder) -> Path:
    """The folder ``name`` of the graph360 that is running: inside it, else beside it."""
    package = Path(str(resources.files("graph360")))
    inside = package / name
    return inside if inside.is_dir() else package.parent / name
