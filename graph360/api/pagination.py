"""Cursor pages: at most 100 items, cursors that name no id in the clear."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import secrets
from typing import Any, Generic, TypeVar

import strawberry

from graph360.errors import InvalidRequestError

#: Lists are paginated: a page holds at most this many items.
MAX_PAGE = 100
DEFAULT_PAGE = 20

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        default=None, description="How many items match in all (when cheap to know)."
    )


def page_size(first: int | None) -> int:
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise InvalidRequestError(f"first must be between 0 and {MAX_PAGE}, not {size}")
    return size


def encode_cursor(*parts: Any) -> str:
    text = json.dumps([p.isoformat() if isinstance(p, dt.datetime) else p for p in parts])
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str, kinds: tuple[type, ...]) -> list[Any]:
    """The parts of a cursor this API made, checked against the expected ``kinds``."""
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(parts, list) or len(parts) != len(kinds):
            raise ValueError
        return [
            dt.datetime.fromisoformat(p) if kind is dt.datetime else kind(p)
            for p, kind in zip(parts, kinds, strict=True)
        ]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidRequestError(f"invalid cursor {cursor!r}: use a cursor from a page") from error


#: Keys the digests in touchpoint cursors: an id never travels in a cursor (it can be an
#: e-mail address), so a cursor holds the page's last time and this process's digest of its id.
_CURSOR_KEY = secrets.token_bytes(32)


def id_digest(value: str) -> str:
    """A keyed digest of an id, for a cursor: it names the id without showing it."""
    return hmac.new(_CURSOR_KEY, value.encode(), hashlib.sha256).hexdigest()[:32]


def connection(items: list[T], cursors: list[str], more: bool, total: int | None = None):
    edges = [Edge(cursor=c, node=i) for c, i in zip(cursors, items, strict=True)]
    info = PageInfo(has_next_page=more, end_cursor=cursors[-1] if cursors else None)
    return Connection(edges=edges, page_info=info, total_count=total)
