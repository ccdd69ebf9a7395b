"""The "payments" back end, official Python MCP SDK 2.x (`MCPServer`, mcp==2.3.0).

    .venv-mcp2/bin/python payments_server_v2.py [--port 0] [--headers-log FILE] [--stateless] [--json-response]

Streamable HTTP at http://127.0.0.1:PORT/mcp. The 2.x SDK serves 2026-07-28 (stateless,
`server/discover`) and still answers the initialize handshake of 2025-era clients.
Prints one JSON line on stdout once listening:
    {"url": "http://127.0.0.1:PORT/mcp", "port": PORT, "pid": PID, "sdk": "mcp 2.3.0", ...}
Every HTTP request's method, path and headers go to --headers-log (JSONL) when given.

Test control: `POST /__test/tools_changed` with an optional JSON body
`{"add": "extra_tool"}` or `{"remove": "NAME"}` changes the tool list and publishes a
tools-list-changed event to every `subscriptions/listen` stream (2026-07-28) and sends
`notifications/tools/list_changed` to every open handshake-era session (on its GET
stream); the answer is `{"notified": N, "tools": [...]}` (N counts live connections).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import weakref
from typing import Any

from _harness import HeadersLog, add_common_args, serve
from mcp.server.mcpserver import MCPServer
from mcp.server.connection import Connection
from mcp.shared.subscriptions import ToolsListChanged
from starlette.requests import Request
from starlette.responses import JSONResponse

import payments_tools


# Every live Connection (weakly), so the control endpoint can notify handshake-era
# sessions on their GET stream (a 2026-era per-request connection has no channel: its
# notify is a no-op).
SESSIONS: "weakref.WeakSet[Connection]" = weakref.WeakSet()
_original_init = Connection.__init__


def _tracking_init(self: Connection, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    SESSIONS.add(self)


Connection.__init__ = _tracking_init  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    args = parser.parse_args()

    mcp = MCPServer("payments", instructions="Payments back end for Hangar's tests", log_level="WARNING")
    for fn in payments_tools.TOOLS:
        mcp.add_tool(fn)
    @mcp.custom_route("/__test/tools_changed", methods=["POST"])
    async def tools_changed(request: Request) -> JSONResponse:
        body = await request.json() if await request.body() else {}
        if name := body.get("add"):
            mcp.add_tool(payments_tools.EXTRA_TOOLS.get(name, payments_tools.extra_tool), name=name)
        if name := body.get("remove"):
            mcp.remove_tool(name)
        await mcp._subscriptions.publish(ToolsListChanged())  # noqa: SLF001 - no public publish on MCPServer
        notified = 0
        for session in list(SESSIONS):
            try:
                await session.send_tool_list_changed()
                notified += 1
            except Exception:  # noqa: BLE001 - a closed session
                SESSIONS.discard(session)
        tools = [t.name for t in await mcp.list_tools()]
        return JSONResponse({"notified": notified, "tools": tools})

    inner = mcp.streamable_http_app(stateless_http=args.stateless, json_response=args.json_response, host="127.0.0.1")
    app: Any = HeadersLog(inner, args.headers_log)
    sdk = f"mcp {importlib.metadata.version('mcp')}"
    serve(app, args.port, {"sdk": sdk, "stateless": args.stateless})


if __name__ == "__main__":
    main()
