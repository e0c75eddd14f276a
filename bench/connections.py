"""How long ``graph360 serve`` holds connections that never finish their request.

Opens ``--connections`` sockets of each kind (nothing sent, headers unfinished, a body that
stops), then times how long until the server closes each, and whether an ordinary request is
answered while they are held. Run against the server as configured (deadlines of
``--read-seconds``) and, side by side, with uvicorn's own protocol (no deadline: what issue 14
measured, 1,500 held for 60 s). The store is the tiny bundle's: what a stalled socket costs
does not depend on the graph.

    python bench/connections.py --connections 1500 --read-seconds 10
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = {
    "nothing": b"",
    "headers": b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
    "body": b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
    b"Content-Type: application/json\r\nAuthorization: Bearer %s\r\n\r\n{",
}


def _server(folder: Path, port: int, read_seconds: float | None) -> subprocess.Popen:
    """``graph360 serve`` (deadlines), or the same app under uvicorn's stock protocol."""
    if read_seconds is None:
        store, keys = str(folder / "g.lbug"), str(folder / "keys.json")
        code = (
            "import sys, uvicorn; from graph360.api.app import create_app; "
            "from graph360.api.settings import ApiSettings; "
            f"s = ApiSettings(store={store!r}, keys={keys!r}); "
            f"uvicorn.run(create_app(s), port={port}, log_level='warning', "
            "limit_concurrency=s.max_connections, timeout_keep_alive=5)"
        )
        command = [sys.executable, "-c", code]
    else:
        command = [sys.executable, "-m", "graph360.cli", "serve", "--port", str(port)]
        command += ["--store", str(folder / "g.lbug"), "--keys", str(folder / "keys.json")]
        command += ["--read-seconds", str(read_seconds)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(port: int) -> None:
    import httpx

    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def _held(port: int, first: bytes, count: int, patience: float) -> dict:
    """Open ``count`` stalled connections; seconds until each was closed (or ``patience``)."""
    import httpx

    sockets = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port))
        if first:
            connection.sendall(first)
        connection.setblocking(False)
        sockets.append(connection)
    start = time.monotonic()
    probe = time.monotonic()
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=patience)
        healthz = {"status": answer.status_code, "ms": round((time.monotonic() - probe) * 1e3)}
    except httpx.HTTPError as error:
        healthz = {"status": type(error).__name__, "ms": None}
    closed: list[float] = []
    waiting = list(sockets)
    while waiting and time.monotonic() - start < patience:
        still = []
        for connection in waiting:
            try:
                if connection.recv(65536) == b"":
                    closed.append(time.monotonic() - start)
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed.append(time.monotonic() - start)
                continue
            still.append(connection)
        waiting = still
        time.sleep(0.05)
    for connection in sockets:
        connection.close()
    after = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=patience).status_code
    return {
        "closed": len(closed),
        "held_after_patience": len(waiting),
        "first_closed_s": round(min(closed), 2) if closed else None,
        "last_closed_s": round(max(closed), 2) if closed else None,
        "healthz_while_held": healthz,
        "healthz_after": after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1500)
    parser.add_argument("--read-seconds", type=float, default=10.0)
    parser.add_argument("--patience", type=float, default=60.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.connections)), hard))

    sys.path.insert(0, str(ROOT))
    from graph360.api.auth import KeyRing
    from graph360.ingest.load import load_bundle
    from graph360.store import open_store

    folder = Path(tempfile.mkdtemp(prefix="g360-connections-"))
    key = KeyRing(folder / "keys.json").create("bench", "analyst")
    graph = open_store(str(folder / "g.lbug"))
    load_bundle(graph, ROOT / "tests/bundles/tiny", rejects_path=folder / "r.csv")
    graph.close()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"{args.connections} stalled connections of each kind, patience {args.patience:.0f} s")
    results: dict[str, dict] = {}
    for name, deadline in (("graph360 serve", args.read_seconds), ("uvicorn stock", None)):
        port = 20000 + os.getpid() % 20000
        server = _server(folder, port, deadline)
        try:
            _wait(port)
            for kind, first in KINDS.items():
                first = first.replace(b"%s", key.encode())
                found = _held(port, first, args.connections, args.patience)
                results[f"{name} / {kind}"] = found
                target = f"(target <= {args.read_seconds + 2:.0f} s)" if deadline else "(peer)"
                print(
                    f"{name:15} {kind:8} closed {found['closed']:5}, held "
                    f"{found['held_after_patience']:5}, last closed at "
                    f"{found['last_closed_s']} s {target}; /healthz meanwhile "
                    f"{found['healthz_while_held']}, after {found['healthz_after']}"
                )
        finally:
            server.terminate()
            server.wait(30)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    path = out / f"connections-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
