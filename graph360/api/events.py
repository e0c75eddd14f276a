"""``POST /events``: touchpoints streaming in, the way tracking APIs (Segment, RudderStack) take
them.

The body is a JSON array of events (or one event object) with ``Content-Type:
application/json``, or one event per line with ``application/x-ndjson``. An event is a
touchpoints.csv row as JSON, with its person's customers.csv row under ``"customer"`` if the
graph may not know them yet. The key needs ``touchpoints:write`` (agents and admins).

Answers:

- 200 with ``{"recorded": n, "duplicate": n, "rejected": n, "events": [...]}``: one outcome per
  event, in order, each with ``index``, ``touchpoint_id``, ``status``, ``customer_id`` and
  ``reasons``. A 200 means the group holding these events has committed: every recorded event
  is on disk. A rejected event wrote nothing; the others of the batch still landed.
- 400 for a body that is not JSON / NDJSON (with the line), 413 for more than ``MAX_EVENTS``
  events, 415 for another media type, 401/403 for a missing key or permission.
- 429 with ``Retry-After`` at once when the write queue is full: nothing of the batch was
  taken, send it again later.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from graph360.api.auth import Principal
from graph360.ingest.events import outcome_counts
from graph360.ingest.writer import Backpressure

log = logging.getLogger(__name__)

#: The most events one request may carry (bigger batches: split them).
MAX_EVENTS = 5_000
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")


def parse_events(body: bytes, content_type: str) -> list[Any] | str:
    """The events of a request body, or what is wrong with it."""
    if content_type in NDJSON_TYPES:
        events = []
        for number, line in enumerate(body.decode("utf-8", "replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                events.append(json.loads(line))
            except ValueError:
                return f"line {number} is not JSON"
            except RecursionError:
                return f"line {number} nests too deeply to be an event"
        return events
    try:
        data = json.loads(body)
    except ValueError:
        return "the body is not JSON"
    except RecursionError:
        return "the body nests too deeply to be events"
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        return "the body must be a JSON array of events (or one event object)"
    return data


def mount_events(app: FastAPI, authenticate: Callable[[Request], Principal | None]) -> None:
    """Serve ``POST /events`` on ``app`` (its runner's EventWriter does the writing)."""

    @app.post("/events", include_in_schema=False)
    async def events(request: Request) -> Response:
        principal = authenticate(request)
        if principal is None:
            return _error("a valid API key is needed (Authorization: Bearer …)", 401)
        if not principal.can("touchpoints:write"):
            return _error("permission denied: recording events needs 'touchpoints:write'", 403)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/json", *NDJSON_TYPES):
            return _error("POST application/json (an array) or application/x-ndjson", 415)
        parsed = parse_events(await request.body(), content_type)
        if isinstance(parsed, str):
            return _error(parsed, 400)
        if len(parsed) > MAX_EVENTS:
            return _error(f"{len(parsed)} events: send at most {MAX_EVENTS} a request", 413)
        if not parsed:
            return JSONResponse(
                {"recorded": 0, "duplicate": 0, "rejected": 0, "suppressed": 0, "events": []}
            )
        try:
            outcomes = await request.app.state.runner.record_events(parsed)
        except Backpressure as full:
            return _error(str(full), 429, {"Retry-After": str(full.retry_after)})
        body = {**outcome_counts(outcomes), "events": [o.to_dict() for o in outcomes]}
        return JSONResponse(body)


def _error(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="graph360"'}
    return JSONResponse({"errors": [{"message": message}]}, status, headers=headers)
