"""GraphQL over HTTP's parts: media types, reading a request, its operations, the limits."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON_TYPE = "application/json"


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


def wants_html(request: Request) -> bool:
    """A browser asking for the page (GraphiQL), not a client sending a query by GET."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.query_params.get("query")


def response_type(request: Request) -> str | None:
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


async def read_request(request: Request) -> tuple[str, dict | None, str | None] | Response:
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
def operations_of(query: str, max_tokens: int) -> tuple[tuple[str | None, OperationType], ...]:
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


def unrunnable(
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


def count_values(value: Any) -> int:
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


def graphiql_page() -> str:
    """GraphiQL's page, shipped in the package's static folder."""
    return (resources.files("graph360.api") / "static" / "graphiql.html").read_text("utf-8")
