"""What the wheel carries: pyproject.toml lists its packages by hand (two of them are the
top-level queries/ and loaders/), so a folder added under graph360/ must be added there too.

CI's non-editable install, run from an empty folder, proves the wheel works; this proves the
list is whole without building one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from graph360 import shipped

ROOT = Path(__file__).parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _folders_as_packages() -> set[str]:
    """Every folder of the source tree's graph360 as a package name, and the mapped ones."""
    package = ROOT / "graph360"
    folders = [package, *(p for p in package.rglob("*") if p.is_dir())]
    names = {
        ".".join(folder.relative_to(ROOT).parts)
        for folder in folders
        if folder.name != "__pycache__"
    }
    return names | set(SETUPTOOLS["package-dir"])


def test_every_folder_is_a_listed_package_and_no_more() -> None:
    assert sorted(SETUPTOOLS["packages"]) == sorted(_folders_as_packages())


def test_the_mapped_packages_are_the_top_level_folders_graph360_reads() -> None:
    assert SETUPTOOLS["package-dir"] == {
        "graph360.queries": "queries",
        "graph360.loaders": "loaders",
    }
    for name, folder in SETUPTOOLS["package-dir"].items():
        assert shipped.folder(name.removeprefix("graph360.")) == ROOT / folder


def test_the_shipped_folder_is_the_one_inside_an_installed_package(tmp_path, monkeypatch) -> None:
    """An installed graph360 (a wheel puts queries/ inside the package) reads its own copy."""
    installed = tmp_path / "site-packages" / "graph360"
    (installed / "queries").mkdir(parents=True)
    monkeypatch.setattr(shipped.resources, "files", lambda package: installed)
    assert shipped.folder("queries") == installed / "queries"
