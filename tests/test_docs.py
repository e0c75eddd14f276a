"""The README and docs/ name everything a user can reach: every CLI command and subcommand,
every ``GRAPH360_*`` setting the package reads, every permission with the roles that hold it,
and every view. Adding one without documenting it fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

from graph360.api.auth import PERMISSIONS, ROLES
from graph360.cli import app
from graph360.views import VIEWS

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
DOCS = README + "".join(page.read_text() for page in sorted((ROOT / "docs").glob("*.md")))


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command of the CLI, subcommands as their full path (``("facts", "rebuild")``);
    a group is whatever has ``commands`` (typer carries its own copy of click)."""
    for name, command in group.commands.items():
        yield (*path, name)
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))


def test_every_command_and_subcommand_is_in_the_readme() -> None:
    """``graph360 facts rebuild|status`` names both subcommands: the words may be apart, on one
    line of the README (its command table or an example)."""
    commands = list(_commands(typer.main.get_command(app)))
    assert ("facts", "rebuild") in commands and ("stats",) in commands
    missing = [
        " ".join(path)
        for path in commands
        if not re.search(r"graph360 " + r"\b[^\n]*?\b".join(map(re.escape, path)) + r"\b", README)
    ]
    assert missing == []


def test_every_setting_the_package_reads_is_documented() -> None:
    settings = {
        name
        for source in (ROOT / "graph360").rglob("*.py")
        for name in re.findall(r"GRAPH360_[A-Z0-9_]+", source.read_text())
    }
    assert {"GRAPH360_STORE", "GRAPH360_KEYS"} <= settings
    assert sorted(name for name in settings if name not in DOCS) == []


def test_every_permission_is_in_the_readme_with_the_roles_that_hold_it() -> None:
    """The README's permission table, row by row, is graph360/api/auth.py's."""
    rows = dict(re.findall(r"^\s*\| `([a-z]+:[a-z]+)` \| [^|]+ \| ([^|]+) \|$", README, re.M))
    assert {
        permission: sorted(re.findall(r"`(\w+)`", roles)) for permission, roles in rows.items()
    } == {
        permission: sorted(role for role, held in ROLES.items() if permission in held)
        for permission in PERMISSIONS
    }


def test_every_view_is_in_the_readme() -> None:
    assert len(VIEWS) >= 4
    assert [name for name in VIEWS if f"graph360 view {name}" not in README] == []
