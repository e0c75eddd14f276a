"""``graph360 serve``, ``graph360 keys`` and ``graph360 schema``: the API and its keys."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from graph360.api.settings import ApiSettings

from graph360.cli.base import (
    EXIT_REFUSED,
    PortOption,
    StoreOption,
    app,
    command,
    console,
    errors,
    refusals,
    table,
)

KeysOption = Annotated[
    Path | None,
    typer.Option(
        "--keys",
        help="The API key file [env: GRAPH360_KEYS; default ./graph360-keys.json]",
        show_default=False,
    ),
]

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    store: StoreOption = None,
    keys: KeysOption = None,
    host: Annotated[str, typer.Option(help="Address to bind (loopback unless told)")] = "127.0.0.1",
    port: PortOption = 8000,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", help="A browser origin allowed to call the API (repeat)"),
    ] = None,
    introspection: Annotated[
        bool, typer.Option(help="Allow schema introspection and field suggestions")
    ] = False,
    debug: Annotated[bool, typer.Option(help="Show every error's message to callers")] = False,
    rate_per_key: Annotated[
        float,
        typer.Option(help="Requests a second one key may make on average (beyond: 429)"),
    ] = 200.0,
    request_seconds: Annotated[
        float,
        typer.Option(
            min=0.1, help="A query (not a mutation) still running after this long gets 503"
        ),
    ] = 15.0,
    read_seconds: Annotated[
        float,
        typer.Option(
            min=0.1,
            help="Close a connection whose headers take longer, or whose body pauses longer",
        ),
    ] = 10.0,
) -> None:
    """Serve the GraphQL API at /graphql (GraphiQL in a browser), with /healthz and /readyz."""
    from graph360.api.auth import KeyRing
    from graph360.api.settings import ApiSettings

    with refusals():
        ring = KeyRing(keys)
        has_keys = bool(ring.keys())
    if not is_loopback(host) and not has_keys:
        errors.print(
            f"refusing to serve on {host} with no API keys in {ring.path}: anyone who can reach "
            f"it would be refused everything, or worse. Create one first: {command()} keys "
            "create --role admin --name ops",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_REFUSED)
    if not has_keys:
        errors.print(
            f"no API keys in {ring.path}: every request will get 401. "
            f"Create one with: {command()} keys create --role agent --name me",
            soft_wrap=True,
        )
    settings = ApiSettings(
        store=store,
        keys=ring.path,
        introspection=introspection,
        debug=debug,
        cors_origins=cors_origin or [],
        rate_per_key=rate_per_key,
        rate_burst=max(1, int(rate_per_key * 2)),
        max_request_seconds=request_seconds,
        read_seconds=read_seconds,
    )
    run_api(settings, host, port)


def run_api(settings: ApiSettings, host: str, port: int) -> None:
    """Run the API until interrupted (one process: the embedded store has one writer)."""
    import uvicorn

    from graph360.api.app import create_app
    from graph360.api.http import with_deadlines
    from graph360.store import open_store, resolve_location

    with refusals():  # who holds the store, in one line, rather than the server's traceback
        open_store(resolve_location(settings.store)).close()
    errors.print(f"graph360 API on http://{host}:{port}/graphql (Ctrl-C stops it)")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        # Connections and requests in flight beyond this are answered 503 at once, an idle
        # connection is closed after 5 s, and one that stalls before its request is in after
        # ``read_seconds``: half-open connections cannot pile up without bound.
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=5,
        http=with_deadlines(settings.read_seconds),
    )


@app.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from graph360.api.served_schema import build_schema

    console.print(build_schema().as_str(), markup=False, highlight=False, soft_wrap=True)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what the key is for")],
    role: Annotated[str, typer.Option(help="agent, analyst or admin")],
    keys: KeysOption = None,
) -> None:
    """Create a key; it is printed once and only its digest is kept."""
    from graph360.api.auth import KeyRing

    with refusals():
        ring = KeyRing(keys)
        token = ring.create(name, role)
    errors.print(f"created {role} key {name!r} in {ring.path}; it is shown only now:")
    print(token)


@keys_app.command("list")
def keys_list(keys: KeysOption = None) -> None:
    """The keys: id, name, role, created (never the secrets)."""
    from graph360.api.auth import KeyRing

    with refusals():
        found = KeyRing(keys).keys()
    rows = [
        {"id": k.key_id, "name": k.name, "role": k.role, "created": k.created_at}
        for k in found.values()
    ]
    console.print(
        table(f"API keys in {KeyRing(keys).path}", rows, ["id", "name", "role", "created"])
    )


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="The key's name or id")], keys: KeysOption = None
) -> None:
    """Revoke a key: a running server refuses it from its next request."""
    from graph360.api.auth import KeyRing

    with refusals():
        gone = KeyRing(keys).revoke(key)
    errors.print(f"revoked {gone.role} key {gone.name!r} ({gone.key_id})")


DEMO_KEY = "demo"


def demo_key(keys: Path | None) -> str:
    """A fresh admin key for the demo's server; the previous demo key is revoked."""
    from graph360.api.auth import KeyRing

    ring = KeyRing(keys)
    if any(k.name == DEMO_KEY for k in ring.keys().values()):
        ring.revoke(DEMO_KEY)
    return ring.create(DEMO_KEY, "admin")
