"""Connections that stall before their request is in are closed (graph360.api.http).

A real ``graph360 serve`` on a real socket: half-open connections only exist below the ASGI
app, where a TestClient cannot reach.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import free_port, wait_until_ready
from helpers import TINY

from graph360.ingest.load import load_bundle
from graph360.store import open_store

READ_SECONDS = 1.0
#: Far longer than READ_SECONDS: a connection still open after this is held, not slow.
PATIENCE = 30.0


#: An analyst's key, so that the application waits for a body instead of answering 401 first.
KEY: list[str] = []


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    from graph360.api.auth import KeyRing

    folder = tmp_path_factory.mktemp("connections")
    KEY[:] = [KeyRing(folder / "keys.json").create("test", "analyst")]
    graph = open_store(str(folder / "g.lbug"))
    load_bundle(graph, TINY, rejects_path=folder / "r.csv")
    graph.close()
    port = free_port()
    log = folder / "serve.log"
    command = [sys.executable, "-m", "graph360.cli", "serve", "--store", str(folder / "g.lbug")]
    command += ["--keys", str(folder / "keys.json"), "--port", str(port)]
    command += ["--read-seconds", str(READ_SECONDS)]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(port, process, log=log)
        yield port
    finally:
        process.terminate()
        process.wait(30)


def _opened(port: int, first: bytes) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port))
    if first:
        connection.sendall(first)
    connection.settimeout(PATIENCE)
    return connection


def _authorization() -> bytes:
    return f"Authorization: Bearer {KEY[0]}\r\n\r\n".encode()


def _answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a timeout fails)."""
    received = b""
    while chunk := connection.recv(4096):
        received += chunk
    return received


@pytest.mark.parametrize(
    "first",
    [
        b"",  # connected, never a byte
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",  # headers never finished
        # the body stops (%s: the key, so that the application waits for the body)
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
        b"Content-Type: application/json\r\n%s{",
    ],
    ids=["nothing", "headers", "body"],
)
def test_a_stalled_connection_is_closed(port: int, first: bytes) -> None:
    first = first.replace(b"%s", _authorization())
    connections = [_opened(port, first) for _ in range(20)]
    for connection in connections:
        answer = _answer(connection)  # a socket.timeout here: the server held it
        if first.endswith(b"{"):
            assert answer == b""  # the application had the request: nothing half-said
        else:
            assert answer.startswith(b"HTTP/1.1 408 ")
        connection.close()


def test_a_slow_body_that_keeps_coming_is_not_cut(port: int) -> None:
    body = b'{"query": "{ __typename }"}'
    head = f"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
    head += "Content-Type: application/json\r\n"
    connection = _opened(port, (head + "Connection: close\r\n").encode() + _authorization())
    for i in range(0, len(body), 4):  # about 3 s in all, each pause under READ_SECONDS
        connection.sendall(body[i : i + 4])
        time.sleep(READ_SECONDS * 0.4)
    answer = _answer(connection)
    assert answer.startswith(b"HTTP/1.1 200 ")  # the request was read whole and answered
    assert b'"__typename"' in answer
    connection.close()


def test_a_kept_alive_connection_gets_the_deadline_for_its_next_request(port: int) -> None:
    connection = _opened(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    first = b""
    while not first.endswith(b'{"status":"ok"}'):
        first += connection.recv(4096)
    assert first.startswith(b"HTTP/1.1 200 ")
    connection.sendall(b"GET /healthz HTTP/1.1\r\n")  # the next request stalls
    assert _answer(connection).startswith(b"HTTP/1.1 408 ")
    connection.close()


def test_the_cli_names_the_option(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from graph360.cli import app

    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert "--read-seconds" in result.output
