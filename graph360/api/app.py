"""The HTTP side: GraphQL over HTTP at /graphql, GraphiQL, health checks, keys, CORS.

The GraphQL endpoint follows the GraphQL-over-HTTP specification rather than strawberry's
router, because the specification's status codes depend on the response media type:

- ``GET /graphql?query=…`` runs queries (a mutation by GET is 405 with ``Allow: POST``);
  a browser asking for HTML gets GraphiQL instead.
- ``POST /graphql`` needs ``Content-Type: application/json`` (else 415) and a JSON object with a
  ``query`` string (else 400).
- The response is ``application/graphql-response+json`` when the client accepts it: then a
  request that fails before execution (unparseable document, validation, variable coercion)
  is a 400. With ``application/json`` (or no ``Accept``) every well-formed request is a 200 and
  errors are in the body. An ``Accept`` naming neither is 406.
- No key, or a wrong one: 401 with ``WWW-Authenticate: Bearer``, before anything is parsed.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from graphql import OperationType

from graph360.analytics.offers import offer_model
from graph360.api.auth import KeyFileError, KeyRing, Principal
from graph360.api.compute import AnalyticsRunner
from graph360.api.context import Context, StoreRunner
from graph360.api.events import mount_events
from graph360.api.graphql_http import (
    GRAPHQL_RESPONSE,
    BodyLimit,
    ReadAdmission,
    count_values,
    graphiql_page,
    operations_of,
    read_request,
    response_type,
    unrunnable,
    wants_html,
)
from graph360.api.limits import RateLimited, RateLimiter
from graph360.api.served_schema import build_schema
from graph360.api.settings import ApiSettings
from graph360.api.views import basic_key, mount_views
from graph360.errors import Graph360Error
from graph360.store import open_store, resolve_location

log = logging.getLogger(__name__)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The server: GraphQL, GraphiQL, the views, events and health checks over one store."""
    settings = settings or ApiSettings()
    schema = build_schema(settings)
    keys = KeyRing(settings.keys)
    limiter = RateLimiter(settings.rate_per_key, settings.rate_burst)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        store = open_store(
            resolve_location(settings.store), checkpoint_bytes=settings.checkpoint_bytes
        )
        app.state.runner = runner = StoreRunner(
            store,
            query_seconds=settings.max_request_seconds,
            max_pending_events=settings.max_pending_events,
            analytics=AnalyticsRunner(store.location, wait_seconds=settings.analytics_wait),
        )
        # The analytics worker starts and loads the facts projection in the background.
        runner.analytics.warm(await runner.version())
        # The offer model now, not on the first agent's card (seconds at 1M customers).
        await runner.run(lambda store: offer_model(store, refresh=True), analytics=True)
        # Everything made so far lives as long as the server: out of the garbage collector's
        # sight, a full collection takes ~15 ms instead of ~150 ms, which stalled every card
        # in flight (bench/api.py at 1M customers).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            app.state.runner.close()

    app = FastAPI(
        title="graph360",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.keys = keys
    app.state.schema = schema
    app.state.reads = reads = ReadAdmission(settings.max_reads_in_flight)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        )
    static = resources.files("graph360.api") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        runner: StoreRunner = request.app.state.runner
        try:
            await runner.run(lambda store: store.query("routing_departments"))
        except Exception as error:  # the store is unreachable: not ready, say why briefly
            log.warning("not ready: %r", error)
            return JSONResponse({"status": "unavailable", "store": "unreachable"}, 503)
        return JSONResponse({"status": "ready", "store": runner.store.backend})

    @app.api_route("/graphql", methods=["GET", "POST"], include_in_schema=False)
    async def graphql(request: Request) -> Response:
        if request.method == "GET" and wants_html(request):
            return HTMLResponse(graphiql_page())
        principal = authenticate(request)
        if principal is None:
            return JSONResponse(
                {"errors": [{"message": "a valid API key is needed (Authorization: Bearer …)"}]},
                401,
                headers={"WWW-Authenticate": 'Bearer realm="graph360"'},
            )
        media = response_type(request)
        if media is None:
            return JSONResponse(
                {"errors": [{"message": f"cannot answer in {request.headers['accept']}"}]}, 406
            )
        parsed = await read_request(request)
        if isinstance(parsed, Response):
            return parsed
        query, variables, operation = parsed
        if variables is not None and count_values(variables) > settings.max_variable_values:
            return JSONResponse(
                {
                    "errors": [
                        {
                            "message": f"the variables hold more than "
                            f"{settings.max_variable_values:,} values: send less at once"
                        }
                    ]
                },
                413,
            )
        operations = operations_of(query, settings.max_tokens)
        refusal = unrunnable(operations, operation)
        if refusal is not None:
            return JSONResponse({"errors": [{"message": refusal}]}, 400)
        kinds = dict(operations)
        chosen = kinds.get(operation) if operation else next(iter(kinds.values()), None)
        if request.method == "GET" and chosen is not None and chosen is not OperationType.QUERY:
            return JSONResponse(
                {"errors": [{"message": "only queries may be sent by GET: POST a mutation"}]},
                405,
                headers={"Allow": "POST"},
            )
        context = Context(runner=request.app.state.runner, principal=principal)
        is_read = chosen is not OperationType.MUTATION
        if is_read and not reads.admit():
            return JSONResponse(
                {"errors": [{"message": "the server is busy: retry shortly"}]},
                503,
                headers={"Retry-After": "1"},
            )
        running = schema.execute(
            query, variable_values=variables, context_value=context, operation_name=operation
        )
        try:
            if is_read:
                result = await asyncio.wait_for(running, settings.max_request_seconds)
            else:
                result = await running
        except TimeoutError:
            limit = f"{settings.max_request_seconds:g}"
            return JSONResponse(
                {"errors": [{"message": f"the request took longer than {limit} s: ask for less"}]},
                503,
                headers={"Retry-After": "5"},
            )
        finally:
            if is_read:
                reads.release()
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        started = result.data is not None or any(e.path for e in result.errors or [])
        if started:
            body["data"] = result.data
        status = 400 if media == GRAPHQL_RESPONSE and not started else 200
        return Response(json.dumps(body, default=str), status, media_type=media)

    def authenticate(request: Request) -> Principal | None:
        """The caller, or None; RateLimited when this key is over its rate."""
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else basic_key(header)
        principal = keys.authenticate(token or request.headers.get("x-api-key"))
        if principal is not None and (wait := limiter.wait_needed(principal.name)) > 0:
            raise RateLimited(wait)
        return principal

    mount_views(app, authenticate)
    mount_events(app, authenticate)

    @app.exception_handler(Graph360Error)
    async def refused(request: Request, error: Graph360Error) -> Response:
        """An error that escaped a route, answered as its class says (a key file that cannot
        be read: 503, the detail in the log only)."""
        if error.public:
            message = str(error)
        else:
            log.error("%s %s: %s", request.method, request.url.path, error)
            message = (
                "the server cannot read its API key file; its operator must repair it (the "
                "server's log says what is wrong)"
                if isinstance(error, KeyFileError)
                else "the server could not answer: its log says why"
            )
        wait = getattr(error, "retry_after", "60")
        retry = {"Retry-After": str(wait)} if error.http_status in (429, 503) else None
        return JSONResponse({"errors": [{"message": message}]}, error.http_status, headers=retry)

    app.add_middleware(
        BodyLimit,
        limit=lambda path: (
            settings.max_events_body_bytes if path == "/events" else settings.max_body_bytes
        ),
    )
    return app
