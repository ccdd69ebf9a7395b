"""Shared plumbing for the Python test pieces (both SDK eras; stdlib + uvicorn only).

- `HeadersLog`: an ASGI middleware appending every HTTP request's method, path and
  headers to a JSONL file (so a test can prove which credentials reached the back end).
- `serve`: runs an ASGI app with uvicorn on a socket it binds itself (127.0.0.1, port 0 =
  ephemeral) and prints one JSON line `{"url": "http://127.0.0.1:PORT/mcp", ...}` on
  stdout once the server has started (lifespan done, accepting connections).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from typing import Any

import uvicorn


class HeadersLog:
    """ASGI middleware: one JSON line per HTTP request, written before the app runs."""

    def __init__(self, app: Any, path: str | None) -> None:
        self.app = app
        self.path = path
        self.lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.path and scope.get("type") == "http":
            headers: dict[str, list[str]] = {}
            for raw_name, raw_value in scope.get("headers", []):
                name = raw_name.decode("latin-1").lower()
                headers.setdefault(name, []).append(raw_value.decode("latin-1"))
            record = {
                "method": scope.get("method"),
                "path": scope.get("path"),
                "query": scope.get("query_string", b"").decode("latin-1"),
                # Single-valued headers as strings, repeated ones as lists.
                "headers": {k: v[0] if len(v) == 1 else v for k, v in headers.items()},
            }
            line = json.dumps(record, sort_keys=True)
            with self.lock, open(self.path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
                f.flush()
        await self.app(scope, receive, send)


def add_common_args(parser: Any) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = ephemeral)")
    parser.add_argument(
        "--headers-log",
        default=os.environ.get("HANGAR_HEADERS_LOG"),
        help="JSONL file receiving every request's method, path and headers "
        "(default: $HANGAR_HEADERS_LOG; unset = no log)",
    )
    parser.add_argument("--stateless", action="store_true", help="stateless Streamable HTTP")
    parser.add_argument("--json-response", action="store_true", help="answer POSTs with JSON instead of SSE")


def serve(app: Any, port: int, extra: dict[str, Any] | None = None) -> None:
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on accepted sockets whose proto
    # says TCP. Without it the response body (a second send after the headers) waits
    # for the client's delayed ACK: ~40 ms per request on a reused connection.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    bound = sock.getsockname()[1]
    ready = {"url": f"http://127.0.0.1:{bound}/mcp", "port": bound, "pid": os.getpid()}
    ready.update(extra or {})

    class ReadyServer(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if not self.should_exit:
                sys.stdout.write(json.dumps(ready) + "\n")
                sys.stdout.flush()

    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    ReadyServer(config).run(sockets=[sock])
