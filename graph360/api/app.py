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
import functools
import gc
import json
import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import strawberry
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from graph360.analytics.offers import offer_model
from graph360.api.auth import KeyFileError, KeyRing, Principal
from graph360.api.compute import WAIT_SECONDS, AnalyticsRunner
from graph360.api.context import Context, StoreRunner
from graph360.api.events import mount_events
from graph360.api.limits import RateLimited, RateLimiter, cost_limit
from graph360.api.pagination import DEFAULT_PAGE, MAX_PAGE
from graph360.api.permissions import PermissionDenied
from graph360.api.scalars import WHEN_SCALAR, When
from graph360.api.schema import Mutation, Query
from graph360.api.views import basic_key, mount_views
from graph360.errors import Graph360Error
from graph360.store import open_store, resolve_location

log = logging.getLogger(__name__)

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON_TYPE = "application/json"
MASKED = "Unexpected error: the server logged it."


@dataclass
class ApiSettings:
    """How the API runs; the defaults are the safe ones."""

    store: str | None = None
    keys: str | Path | None = None
    introspection: bool = False
    debug: bool = False  # show every error's message (never stack traces or query text)
    cors_origins: list[str] = field(default_factory=list)
    max_depth: int = 10
    max_tokens: int = 2000
    max_aliases: int = 15
    #: Events waiting to be written; more: 429 (POST /events). About two seconds of what the
    #: writer takes at 1M customers (~900/s, bench/realtime.py): 10,000 let acknowledgements
    #: wait 10-13 s under overload before anything was refused.
    max_pending_events: int = 2_000
    #: An embedded store's write-ahead log size past which a commit checkpoints (LadybugDB's
    #: default is 16 MiB). A checkpoint holds the writer ~1.1 s + 0.025 s a MiB at 1M / 10M
    #: (docs/DECISIONS.md), so the writer takes it in a pause (graph360.ingest.events) and the
    #: engine only past this: 64 MiB is about 75,000 touchpoints, over a minute at 1,000/s.
    checkpoint_bytes: int = 64 << 20
    #: Request bodies larger than this are refused with 413 before they are read whole:
    #: GraphQL and the views' requests, and POST /events (up to 5,000 events a request).
    max_body_bytes: int = 2 << 20
    max_events_body_bytes: int = 16 << 20
    #: The most values (every item and field, counted through lists and objects) the
    #: variables of one GraphQL request may hold: the token limit counts the document only.
    max_variable_values: int = 100_000
    #: The most a document may cost (graph360.api.limits: fields times the pages they repeat
    #: in; an analytics field 10,000): a card costs a few hundred.
    max_cost: int = 65_000
    #: Requests a second one key may make on average, and at once (beyond: 429).
    rate_per_key: float = 200.0
    rate_burst: int = 400
    #: Connections and requests in flight the server takes at once (beyond: 503).
    max_connections: int = 1_000
    #: A connection whose request line and headers are not in after this long, or whose body
    #: sends nothing for this long, is closed (graph360.api.http): a slowloris cannot hold
    #: the ``max_connections`` slots.
    read_seconds: float = 10.0
    #: GraphQL reads (queries) served at once; one more is refused at once with 503 +
    #: Retry-After rather than queued behind them. Two reader threads at ~20 ms a card at 1M
    #: customers: eight in flight is about 80 ms of waiting, so an overloaded server keeps the
    #: accepted cards' p99 within the issue-13 target (250 ms) and refuses the excess fast.
    #: 0: no limit.
    max_reads_in_flight: int = 8
    #: How long a request waits for an analytic before it gets a COMPUTING error (GraphQL) or
    #: a 503 with Retry-After (views); the computation goes on (graph360.api.compute).
    analytics_wait: float = WAIT_SECONDS
    #: A GraphQL read that has not answered in this time gets a 503 (Retry-After), and each
    #: query it ran stops there too (the store's own timeout): the cost limit bounds what a
    #: document may ask, this bounds what a slow store may take. Above ``analytics_wait``, so
    #: an analytic answers COMPUTING first. Mutations are not cut: a write once queued lands.
    max_request_seconds: float = 15.0


def build_schema(settings: ApiSettings | None = None) -> strawberry.Schema:
    settings = settings or ApiSettings()
    # The same documents come back again and again (an agent's screen sends one card query):
    # each is parsed and validated once, in caches shared by every request. Extensions keep
    # per-request state, so each request gets fresh ones around the shared caches; the limits
    # are validation rules made once, so the cache's key (document, rules) repeats, and they
    # still apply to every new document.
    parse_cache = ParserCache(maxsize=256).cached_parse_document
    validate_cache = ValidationCache(maxsize=256).cached_validate_document
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        cost_limit(settings.max_cost, MAX_PAGE, DEFAULT_PAGE),
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)

    def parser() -> ParserCache:
        extension = ParserCache()
        extension.cached_parse_document = parse_cache
        return extension

    def validator() -> ValidationCache:
        extension = ValidationCache()
        extension.cached_validate_document = validate_cache
        return extension

    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),  # a parser option
        parser,
        lambda: AddValidationRules(rules),
        validator,
    ]
    if not settings.debug:
        extensions.append(lambda: MaskErrors(should_mask_error=_should_mask, error_message=MASKED))
    return Graph360Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(
            disable_field_suggestions=not settings.introspection,
            scalar_map={When: WHEN_SCALAR},
        ),
    )


def _should_mask(error: GraphQLError) -> bool:
    """Request errors (syntax, validation, permissions) and our own refusals are shown; any
    other failure is logged and masked, so no stack trace or Cypher text reaches a caller."""
    return not _is_public(error)


def _is_public(error: GraphQLError) -> bool:
    original = error.original_error
    return (
        original is None
        or not error.path  # a request error (syntax, validation, variable coercion)
        or isinstance(original, GraphQLError)  # an argument coerced at execution (null to Int!)
        or isinstance(error, PermissionDenied)
        or isinstance(original, PermissionDenied)
        or (isinstance(original, Graph360Error) and original.public)
    )


class Graph360Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Refusals are the caller's business (logged briefly); anything else is logged with
        its traceback for whoever runs the server."""
        for error in errors:
            if _is_public(error):
                log.info("refused: %s", error.message)
            else:
                log.error("error at %s", error.path, exc_info=error.original_error)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
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
        if request.method == "GET" and _wants_html(request):
            return HTMLResponse(_graphiql_page())
        principal = authenticate(request)
        if principal is None:
            return JSONResponse(
                {"errors": [{"message": "a valid API key is needed (Authorization: Bearer …)"}]},
                401,
                headers={"WWW-Authenticate": 'Bearer realm="graph360"'},
            )
        media = _response_type(request)
        if media is None:
            return JSONResponse(
                {"errors": [{"message": f"cannot answer in {request.headers['accept']}"}]}, 406
            )
        parsed = await _read_request(request)
        if isinstance(parsed, Response):
            return parsed
        query, variables, operation = parsed
        if variables is not None and _count_values(variables) > settings.max_variable_values:
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
        operations = _operations(query, settings.max_tokens)
        refusal = _unrunnable(operations, operation)
        if refusal is not None:
            return JSONResponse({"errors": [{"message": refusal}]}, 400)
        if request.method == "GET":
            kinds = dict(operations)
            kind = kinds.get(operation) if operation else next(iter(kinds.values()), None)
            if kind is not None and kind is not OperationType.QUERY:
                return JSONResponse(
                    {"errors": [{"message": "only queries may be sent by GET: POST a mutation"}]},
                    405,
                    headers={"Allow": "POST"},
                )
        context = Context(runner=request.app.state.runner, principal=principal)
        kinds = dict(operations)
        chosen = kinds.get(operation) if operation else next(iter(kinds.values()), None)
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


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuses a request body over its path's limit with 413: at once when Content-Length says
    so, else as soon as the bytes received pass it (a chunked body never sits whole in memory)."""

    def __init__(self, app: Any, limit: Callable[[str], int]) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received, started = 0, False

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def watched(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Callable, limit: int) -> None:
        body = json.dumps(
            {"errors": [{"message": f"the request body is over {limit:,} bytes: send less"}]}
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.query_params.get("query")


def _response_type(request: Request) -> str | None:
    """The media type to answer in, from ``Accept`` (None: nothing acceptable)."""
    accept = request.headers.get("accept")
    if not accept:
        return JSON_TYPE
    offered = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in offered:
        return GRAPHQL_RESPONSE
    if any(o in (JSON_TYPE, "application/*", "*/*") for o in offered):
        return JSON_TYPE
    return None


async def _read_request(request: Request) -> tuple[str, dict | None, str | None] | Response:
    """query, variables and operation name from GET parameters or a JSON body."""

    def bad(message: str, status: int = 400) -> Response:
        return JSONResponse({"errors": [{"message": message}]}, status)

    if request.method == "GET":
        params = request.query_params
        raw_variables = params.get("variables")
        try:
            variables = json.loads(raw_variables) if raw_variables else None
        except ValueError:
            return bad("variables is not JSON")
        except RecursionError:
            return bad("variables nest too deeply")
        data: dict[str, Any] = {
            "query": params.get("query"),
            "variables": variables,
            "operationName": params.get("operationName"),
        }
    else:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != JSON_TYPE:
            return bad("POST a JSON body with Content-Type: application/json", 415)
        try:
            data = json.loads(await request.body())
        except ValueError:
            return bad("the body is not JSON")
        except RecursionError:
            return bad("the body nests too deeply to be a GraphQL request")
        if not isinstance(data, dict):
            return bad("the body must be a JSON object with a query")
    try:  # a JSON escape can spell half a UTF-16 pair, which no store can take as text
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return bad("the request holds a lone surrogate (U+D800 to U+DFFF): not Unicode text")
    except RecursionError:
        return bad("the request nests too deeply to be a GraphQL request")
    query, variables, operation = (
        data.get("query"),
        data.get("variables"),
        data.get("operationName"),
    )
    if not isinstance(query, str) or not query.strip():
        return bad("no query: send a GraphQL document in query")
    if variables is not None and not isinstance(variables, dict):
        return bad("variables must be a JSON object")
    if operation is not None and not isinstance(operation, str):
        return bad("operationName must be a string")
    return query, variables, operation


class ReadAdmission:
    """Admission control for GraphQL reads: at most ``limit`` at once (0: no limit).

    A read over the limit is refused at once (503 + Retry-After) instead of waiting behind the
    others: under twice the saturation rate, an unbounded queue made every card wait seconds
    (bench/api.py), while the agents whose cards are served keep their latency and the others
    retry. Counted on the event loop's thread only, so no lock. Writes have their own bound
    (the event writer's queue: 429)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.refused = 0

    def admit(self) -> bool:
        if self.limit and self.in_flight >= self.limit:
            self.refused += 1
            return False
        self.in_flight += 1
        return True

    def release(self) -> None:
        self.in_flight -= 1


@functools.lru_cache(maxsize=256)
def _operations(query: str, max_tokens: int) -> tuple[tuple[str | None, OperationType], ...]:
    """(name, type) of each operation in the document; empty when it does not parse (the
    schema then reports why, as usual)."""
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return ()
    return tuple(
        (op.name.value if op.name else None, op.operation)
        for op in document.definitions
        if isinstance(op, OperationDefinitionNode)
    )


def _unrunnable(
    operations: tuple[tuple[str | None, OperationType], ...], name: str | None
) -> str | None:
    """Why the document cannot run as asked (GraphQL over HTTP: an operationName that names no
    operation, or several operations and none named), or None."""
    if not operations:
        return None
    if name is not None and name not in {n for n, _ in operations}:
        names = ", ".join(repr(n) if n else "one without a name" for n, _ in operations)
        return f"no operation named {name[:60]!r} in the document (its operations: {names})"
    if name is None and len(operations) > 1:
        return "the document has several operations: name the one to run in operationName"
    return None


def _count_values(value: Any) -> int:
    """How many values ``value`` holds, itself included, through lists and objects."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _graphiql_page() -> str:
    return (resources.files("graph360.api") / "static" / "graphiql.html").read_text("utf-8")
