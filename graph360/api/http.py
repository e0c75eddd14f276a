"""The HTTP protocol the server speaks: uvicorn's httptools protocol with read deadlines.

uvicorn closes an idle keep-alive connection, but a connection that never finishes its
request line and headers, or stops sending its body, is held until the client goes away: a
few thousand such sockets (a slowloris) hold every slot of ``limit_concurrency``, and ordinary
requests then get 503. This protocol closes a connection whose headers are not complete
``header_seconds`` after it opened (or after its next request began), and one whose body
has sent nothing for ``body_idle_seconds``. A slow upload that keeps sending is not cut,
nor one the application is not reading yet (uvicorn paused reading it).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: 38\r\n\r\n"
    b"the request took too long to arrive.\r\n"
)


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's protocol, closing connections that stall before their request is read."""

    #: Time to send the request line and headers; a browser or client sends them at once.
    header_seconds: float = 10.0
    #: Time the body of a request may pause between two reads.
    body_idle_seconds: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._reading_body = False

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._reading_body and self.flow.read_paused:
            self._arm(self.body_idle_seconds)  # the application has not read what came yet
            return
        if not self._reading_body:
            # Nothing of this request has reached the application: say why, then close.
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading_body:
            self._arm(self.body_idle_seconds)
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a further request on a kept-alive connection
            self._arm(self.header_seconds)

    def on_headers_complete(self) -> None:
        self._reading_body = True
        self._arm(self.body_idle_seconds)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_body = False
        self._disarm()
        super().on_message_complete()


def with_deadlines(seconds: float) -> type[DeadlineProtocol]:
    """The protocol class for uvicorn's ``http=``, with both deadlines at ``seconds``."""
    return type(
        "DeadlineProtocol",
        (DeadlineProtocol,),
        {"header_seconds": seconds, "body_idle_seconds": seconds},
    )
