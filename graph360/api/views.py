"""The interactive graph views at /views/…, behind the same keys and roles as the API.

A browser cannot add an ``Authorization: Bearer`` header to a link it follows, so the views
also take HTTP Basic credentials whose password is the API key (any user name): the browser
asks once and keeps it for the session, and no key ever sits in a URL or a history.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from graph360.analytics.card import is_contact
from graph360.api.auth import Principal
from graph360.api.compute import Computing
from graph360.api.context import StoreRunner
from graph360.errors import Graph360Error
from graph360.privacy import Audience
from graph360.store.base import GraphStore
from graph360.views import VIEWS, index_page

log = logging.getLogger(__name__)

PERMISSION = "views:read"
CHALLENGE = {"WWW-Authenticate": 'Basic realm="graph360 views (password: your API key)"'}


def basic_key(header: str) -> str | None:
    """The API key given as the password of HTTP Basic credentials."""
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


def mount_views(app: FastAPI, authenticate: Callable[[Request], Principal | None]) -> None:
    def refused(request: Request) -> Response | None:
        principal = authenticate(request)
        if principal is None:
            return JSONResponse({"error": "a valid API key is needed"}, 401, headers=CHALLENGE)
        if not principal.can(PERMISSION):
            return JSONResponse({"error": f"permission denied: the views need '{PERMISSION}'"}, 403)
        request.state.principal = principal
        return None

    @app.get("/views/", include_in_schema=False)
    async def views_index(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        runner: StoreRunner = request.app.state.runner
        journeys = await runner.run(lambda store: store.frame("journey_steps"))
        links = {name: f"/views/{name}" for name, view in VIEWS.items() if _no_required(name)}
        for journey_id in sorted(set(journeys.get("journey_id", []))):
            links[f"journey/{journey_id}"] = f"/views/journey?journey={journey_id}"
        return HTMLResponse(index_page(links))

    @app.get("/views/{name}", include_in_schema=False)
    async def view(name: str, request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        found = VIEWS.get(name)
        if found is None:
            return JSONResponse({"error": f"no view {name!r}: see /views/"}, 404)
        params = dict(request.query_params)
        principal: Principal = request.state.principal
        if is_contact(params.get("ref", "")) and not principal.can("pii:read"):
            return JSONResponse(
                {"error": "permission denied: a customer by e-mail or phone needs 'pii:read'"},
                403,
            )
        runner: StoreRunner = request.app.state.runner
        audience = Audience(sees_contacts=principal.can("pii:read"))
        try:
            answer = await runner.analytic(
                "graph360.api.views:render_view", name=name, params=params, audience=audience
            )
        except Computing as error:
            return JSONResponse(
                {"error": str(error), "retry_after": error.retry_seconds},
                503,
                headers={"Retry-After": str(error.retry_seconds)},
            )
        except Graph360Error as error:  # reported as its class says
            if not error.public:
                log.error("view %s failed: %s", name, error)
            message = str(error) if error.public else "the view could not be drawn: see the log"
            return JSONResponse({"error": message}, error.http_status)
        return HTMLResponse(answer.value)


def render_view(store: GraphStore, name: str, params: dict[str, str], audience: Audience) -> str:
    """The page of view ``name`` for ``audience`` (run in the analytics worker: the views draw
    from the analytics)."""
    return VIEWS[name].render(store, audience=audience, **params)


def _no_required(name: str) -> bool:
    return not any(p.required for p in VIEWS[name].params)
