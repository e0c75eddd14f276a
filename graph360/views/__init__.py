"""Interactive graph views: self-contained HTML pages (vis-network inlined, nothing fetched).

The registry :data:`VIEWS` is what the CLI (``graph360 view …``) and the API (``/views/…``)
serve, and all they need: each :class:`View` has a name, a title, a description, the
parameters it takes, the GraphQL query that gives its data, and
``render(store, audience=..., **params)`` returning the complete page as that audience may see
it (:class:`graph360.privacy.Audience`: the API passes the caller's, the CLI the operator's).
No HTTP here: parameters arrive as Python values or as the strings of a query string
(converted by :meth:`View.render`); a bad one raises :class:`ViewParameterError` (an
InvalidRequestError), an unknown customer or journey :class:`graph360.errors.NotFoundError`.

Each view lives in its own module (``customer``, ``overlap``, ``journey``, ``influence``) with
its ``GRAPHQL`` text and a ``build`` function returning the data the page is drawn from
(:class:`graph360.views.render.Graph`), so that data can be tested without a browser.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from graph360.errors import InvalidRequestError
from graph360.periods import utc_now
from graph360.privacy import Audience
from graph360.store.base import GraphStore
from graph360.views.render import index_html

__all__ = ["VIEWS", "Param", "View", "ViewParameterError", "index_page"]


class ViewParameterError(InvalidRequestError):
    """A view was given a parameter it does not take, or a value it cannot use."""


@dataclass(frozen=True)
class Param:
    """One parameter of a view: its name (as in the GraphQL variables), its Python type
    (str, int or float), whether it is required, its default, and what it means."""

    name: str
    type: type
    help: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    #: The CLI's spellings of the option (default: ``--`` and the name in kebab case).
    flags: tuple[str, ...] = ()

    def convert(self, value: Any) -> Any:
        """``value`` as this parameter's type (query strings arrive as text)."""
        if value is None or (isinstance(value, str) and not value.strip() and not self.required):
            return self.default
        try:
            converted = self.type(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise ViewParameterError(
                f"{self.name} must be {self.type.__name__}, not {value!r}"
            ) from None
        if self.choices and converted not in self.choices:
            raise ViewParameterError(f"{self.name} must be one of {', '.join(self.choices)}")
        if self.type is int and converted < 0:
            raise ViewParameterError(f"{self.name} must not be negative")
        return converted


#: People the influence view draws around each top influencer (kept here, with the parameters,
#: so the registry is all the CLI needs: it imports no view module, and so no analytics, until
#: a page is drawn).
INFLUENCE_PER_INFLUENCER = 8


@dataclass(frozen=True)
class View:
    """One graph view: what it shows, what it takes, the GraphQL query for its data.

    Its module (``graph360.views.<name>``, with ``GRAPHQL`` and ``build``) is imported when a
    page is drawn, not when the registry is read: the CLI builds its commands from the
    registry on every start, and the modules bring in the analytics (igraph, scipy).
    """

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    #: Whether the page shows a person's details (its build takes the ``audience``).
    personal: bool = False

    @property
    def module(self) -> Any:
        return importlib.import_module(f"graph360.views.{self.name}")

    @property
    def graphql(self) -> str:
        """The GraphQL query that gives this view's data."""
        return self.module.GRAPHQL

    @property
    def build(self) -> Callable[..., Any]:
        """The function returning the data the page is drawn from."""
        return self.module.build

    def arguments(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters checked and converted; unknown or missing ones are refused."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise ViewParameterError(
                f"the {self.name} view takes no parameter {', '.join(unknown)} "
                f"(it takes: {', '.join(known) or 'none'})"
            )
        out = {}
        for name, param in known.items():
            if param.required and params.get(name) in (None, ""):
                raise ViewParameterError(f"the {self.name} view needs {name}: {param.help}")
            value = param.convert(params.get(name))
            if value is not None:
                out[_snake(name)] = value
        return out

    def render(
        self,
        store: GraphStore,
        /,
        *,
        audience: Audience,
        now: dt.datetime | None = None,
        **params: Any,
    ) -> str:
        """The complete HTML page of this view over ``store`` (read-only), for ``audience``.

        ``now`` is the page's "data as of" time (default: the current time, UTC); it is not a
        view parameter, so text from a query string is refused.
        """
        from graph360.views.render import to_html

        if now is not None and not isinstance(now, dt.datetime):
            raise ViewParameterError("now is not a view parameter")

        arguments = self.arguments(params)
        if self.personal:
            arguments["audience"] = audience
        return to_html(self.build(store, now=now, **arguments))


def _snake(name: str) -> str:
    """A GraphQL-style parameter name as the Python keyword the builder takes."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


_SINCE = Param("since", str, "start of the period, e.g. 2026-01-01 (inclusive)")
_UNTIL = Param("until", str, "end of the period; a date includes its whole day")

VIEWS: dict[str, View] = {
    view.name: view
    for view in [
        View(
            name="customer",
            title="Customer neighbourhood",
            description=(
                "One customer in the centre and their neighbourhood to two hops: "
                "relationships, accounts and the departments managing them, campaigns that "
                "targeted them, recent touchpoints grouped by channel, flags."
            ),
            params=(
                Param("ref", str, "customer id, source:source_id or e-mail", required=True),
                Param("relationships", int, "heaviest relationships shown", default=12),
                Param("touchpoints", int, "most recent touchpoints shown", default=20),
            ),
            personal=True,
        ),
        View(
            name="overlap",
            title="Department overlap",
            description=(
                "Departments (or divisions) sized by the customers they reached, joined by "
                "the customers they share, with contact collisions; click an edge for the "
                "overlap figures."
            ),
            params=(
                Param(
                    "by",
                    str,
                    "department or division",
                    default="department",
                    choices=("department", "division"),
                ),
                _SINCE,
                _UNTIL,
                Param("windowHours", float, "collision window in hours", default=48.0),
            ),
        ),
        View(
            name="journey",
            title="Journey funnel and ownership",
            description=(
                "A journey's steps in order with their owning departments; unowned and "
                "conflicting steps marked; size by traffic; conversion and drop-off on the "
                "arrows."
            ),
            params=(
                Param("journey", str, "journey id", required=True),
                _SINCE,
                _UNTIL,
                Param("persona", str, "customers of this persona only"),
                Param("segment", str, "customers in this segment only"),
            ),
        ),
        View(
            name="influence",
            title="Influencers and their network",
            description=(
                "The top influencers, each with the most influential people around them "
                "(the rest: +N more); size by PageRank, colour by community."
            ),
            params=(
                Param("first", int, "how many top influencers", default=25, flags=("--top", "-n")),
                Param(
                    "perInfluencer",
                    int,
                    "people drawn around each influencer (the rest: +N more)",
                    default=INFLUENCE_PER_INFLUENCER,
                ),
            ),
        ),
    ]
}


def index_page(links: dict[str, str], now: dt.datetime | None = None) -> str:
    """The index page linking the views: ``links`` maps a view name to its address.

    Views in :data:`VIEWS` are listed with their title and description; ``NAME/DETAIL``
    (e.g. ``journey/online_purchase``) lists view NAME with DETAIL after its title; other
    names are listed as given. Only relative, http(s) and file addresses are accepted.
    """
    entries = []
    for name, href in links.items():
        scheme = urlsplit(href).scheme.lower()
        if scheme not in ("", "http", "https", "file"):
            raise ViewParameterError(f"refusing a {scheme}: link for {name}")
        base, _, detail = name.partition("/")
        view = VIEWS.get(base)
        title = name if view is None else f"{view.title}: {detail}" if detail else view.title
        entries.append(
            {
                "name": name,
                "href": href,
                "title": title,
                "description": view.description if view else "",
            }
        )
    return index_html(entries, now or utc_now())
