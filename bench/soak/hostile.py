"""Hostile traffic for the soak run: one loop of bad requests against a gateway's /mcp,
repeated until DURATION seconds have passed; prints one JSON line of counts by answer.

Kinds (round robin): malformed JSON, invalid UTF-8, deeply nested JSON, a body over the
4 MiB limit, a 1 MB header, a slowloris header trickle (cut after 2 s), a connection
reset mid-body, a JSON-RPC batch, a header/body mismatch (-32020), a wrong content type.
Standard library only; every socket is closed by the loop that opened it.
"""

import json
import socket
import sys
import time
from collections import Counter

HOST, PORT, TOKEN, DURATION = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
AUTH = f"Authorization: Bearer {TOKEN}\r\n"
STATELESS = "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: echo\r\n"


def request(body: bytes, headers: str = "", content_type: str = "application/json") -> bytes:
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n{AUTH}{headers}"
        f"Content-Type: {content_type}\r\nAccept: application/json, text/event-stream\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def exchange(data: bytes) -> str:
    """Sends data, returns the status code (or what happened to the connection)."""
    with socket.create_connection((HOST, PORT), timeout=10) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # the gateway may answer (413, 431) and close before we finish
        try:
            answer = s.recv(256)
        except OSError as e:
            return type(e).__name__
        return answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "closed"


def call(name: str, extra_headers: str | None = None) -> bytes:
    if extra_headers is None:
        extra_headers = STATELESS.replace("Mcp-Name: echo", f"Mcp-Name: {name}")
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": {}, "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}},
    }
    return request(json.dumps(body).encode(), extra_headers)


def slowloris() -> str:
    with socket.create_connection((HOST, PORT), timeout=10) as s:
        s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for _ in range(4):
            time.sleep(0.5)
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                return "closed"
    return "cut"


def reset_mid_body() -> str:
    s = socket.create_connection((HOST, PORT), timeout=10)
    data = request(b'{"jsonrpc":"2.0","id":1,"method":"tools/list"' + b" " * 10000)
    s.sendall(data[: len(data) // 2])
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()  # RST
    return "reset"


KINDS = {
    "malformed": lambda: exchange(request(b'{"jsonrpc":"2.0",')),
    "invalid_utf8": lambda: exchange(request(b'{"jsonrpc":"2.0","id":1,"method":"\xff\xfe"}')),
    "deep": lambda: exchange(request(b"[" * 100_000)),
    "oversized": lambda: exchange(request(b" " * (5 << 20))),
    "huge_header": lambda: exchange(request(b"{}", "X-Big: " + "a" * (1 << 20) + "\r\n")),
    "slowloris": slowloris,
    "reset": reset_mid_body,
    "batch": lambda: exchange(request(b'[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]')),
    "mismatch": lambda: exchange(call("echo", STATELESS.replace("Mcp-Name: echo", "Mcp-Name: other"))),
    "content_type": lambda: exchange(request(b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}', "", "text/plain")),
    "hidden_tool": lambda: exchange(call("refund")),
}

counts: Counter = Counter()
end = time.monotonic() + DURATION
while time.monotonic() < end:
    for kind, send in KINDS.items():
        try:
            counts[f"{kind}:{send()}"] += 1
        except OSError as e:
            counts[f"{kind}:{type(e).__name__}"] += 1
print(json.dumps(dict(sorted(counts.items()))))
