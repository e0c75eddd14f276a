"""The Neo4j deployment files say what the README promises (no Docker engine needed to check).

docker-compose.yml is parsed as YAML; nothing here starts a container.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml  # PyYAML: installed with schemathesis, a test dependency

ROOT = Path(__file__).parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_neo4j_5_community_on_a_named_volume_with_a_bolt_health_check() -> None:
    compose = _compose()
    neo4j = compose["services"]["neo4j"]
    assert re.fullmatch(r"neo4j:5(\.\d+)*-community", neo4j["image"])
    volume, mount = neo4j["volumes"][0].split(":")[:2]
    assert mount == "/data" and volume in compose["volumes"], "data must live on a named volume"
    check = " ".join(neo4j["healthcheck"]["test"])
    assert "cypher-shell" in check and "bolt://" in check, "healthy must mean Bolt answers"
    assert neo4j["environment"]["NEO4J_AUTH"].startswith("neo4j/${GRAPH360_NEO4J_PASSWORD")


def test_compose_runs_the_api_on_that_neo4j_once_it_is_healthy() -> None:
    compose = _compose()
    api = compose["services"]["api"]
    assert api["build"] == "."
    assert api["command"][:2] == ["graph360", "serve"] and "0.0.0.0" in api["command"]
    env = api["environment"]
    assert env["GRAPH360_STORE"].startswith("neo4j://neo4j:")
    assert env["GRAPH360_NEO4J_PASSWORD"].startswith("${GRAPH360_NEO4J_PASSWORD")
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    keys_folder = str(Path(env["GRAPH360_KEYS"]).parent)
    mounts = dict(v.split(":")[1::-1] for v in api["volumes"])
    assert mounts[keys_folder] in compose["volumes"], "API keys must survive a rebuild"


def test_every_variable_compose_reads_is_in_env_example_and_env_is_ignored() -> None:
    # ${VAR} is compose's; $${VAR} is escaped, for the container's own shell
    used = set(re.findall(r"(?<!\$)\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*(\w+)=", example, re.M))
    assert used and used <= listed, used - listed
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False
    ).returncode
    assert ignored == 0, ".env must be ignored by git"


def test_the_image_installs_the_package_on_python_3_11_slim() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert re.search(r"^RUN pip install \.", dockerfile, re.M)
    assert "USER " in dockerfile, "the API must not run as root"


def test_the_readme_says_how_to_run_it_and_how_to_reach_a_server() -> None:
    readme = (ROOT / "README.md").read_text()
    for needed in (
        "docker compose up",
        "docker compose run --rm api graph360 keys create --role admin --name ops",
        "neo4j+s://",
        "GRAPH360_NEO4J_USER",
        "GRAPH360_NEO4J_PASSWORD",
        "graph360 migrate --from",
        "GRAPH360_NEO4J_URI",
    ):
        assert needed in readme, needed
