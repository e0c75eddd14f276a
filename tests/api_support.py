"""The API under test: the demo data loaded into a real store, served by the real ASGI app.

Each test module that uses :func:`api` gets its own store with the demo loaded and scored (the
same steps as ``graph360 demo``), keys for every role, and a client that goes through HTTP
(Starlette's TestClient drives the ASGI app with its lifespan, so the store is opened and
closed exactly as under uvicorn).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import empty_store

from graph360.analytics.card import customer_card
from graph360.analytics.influence.scores import influence
from graph360.analytics.routing import run_rules
from graph360.analytics.value import update_values
from graph360.api.app import create_app
from graph360.api.auth import ROLES, KeyRing
from graph360.api.settings import ApiSettings
from graph360.demo import generate_demo
from graph360.ingest.load import load_bundle
from graph360.privacy import OPERATOR

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx versions
    from fastapi.testclient import TestClient

DEMO_CUSTOMERS = 300
TOP = "amara.okafor@example.com"  # the demo's top influencer (graph360.demo.describe_demo)


def load_demo(backend: str, folder: Path) -> tuple[str, dict[str, dict]]:
    """The demo loaded and scored into a new store on ``backend``: its location, and the
    cards (as graph360.analytics.card computes them) of the top influencer and a few others."""
    graph = empty_store(backend, folder)
    try:
        bundle = generate_demo(folder / "demo", customers=DEMO_CUSTOMERS)
        load_bundle(graph, bundle, rejects_path=folder / "rejects.csv")
        influence(graph, top=1)
        update_values(graph)
        run_rules(graph)
        refs = [TOP, *graph.frame("demo_sample_customers", limit=4)["ref"]]
        cards = {
            ref: customer_card(graph, ref, touchpoints=1000, relationships=1000, audience=OPERATOR)
            for ref in refs
        }
        return graph.location, cards
    finally:
        graph.close()


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    keys: KeyRing
    location: str
    cards: dict[str, dict]

    def post(self, query: str, variables: dict | None = None, role: str | None = "admin", **kw):
        headers = kw.pop("headers", {})
        if role:
            headers.setdefault("Authorization", f"Bearer {self.tokens[role]}")
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers, **kw
        )
        assert response.status_code < 500, response.text
        return response

    def gql(self, query: str, variables: dict | None = None, role: str = "admin") -> dict:
        """The ``data`` of a query that must succeed."""
        body = self.post(query, variables, role).json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def errors(self, query: str, variables: dict | None = None, role: str = "admin") -> list[str]:
        """The error messages of a query that must fail."""
        body = self.post(query, variables, role).json()
        assert body.get("errors"), body
        return [e["message"] for e in body["errors"]]


def serve(
    location: str, folder: Path, cards: dict[str, dict] | None = None, **settings: Any
) -> Iterator[Api]:
    ring = KeyRing(folder / "keys.json")
    tokens = {role: ring.create(f"test-{role}", role) for role in ROLES}
    app = create_app(ApiSettings(store=location, keys=ring.path, **settings))
    with TestClient(app) as client:
        yield Api(client, tokens, ring, location, cards or {})


def tiny_api(folder: Path, **settings: Any) -> Iterator[Api]:
    """The tiny bundle (tests/bundles/tiny) loaded on the embedded store, served: for the tests
    of the HTTP side that need a real graph but not the demo's."""
    from helpers import TINY

    graph = empty_store("ladybug", folder)
    load_bundle(graph, TINY, rejects_path=folder / "rejects.csv", max_shared=2)
    location = graph.location
    graph.close()
    yield from serve(location, folder, **settings)


def free_port() -> int:
    """A TCP port nothing listens on now, for a server a test starts."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_ready(
    port: int, process: Any, seconds: float = 120, log: Path | None = None
) -> None:
    """Until the server on ``port`` answers /readyz (failing if ``process`` ends first)."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline and process.poll() is None, (
            log.read_text() if log else "the server did not start"
        )
        time.sleep(0.2)
