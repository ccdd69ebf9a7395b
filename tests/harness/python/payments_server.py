"""The "payments" back end, official Python MCP SDK 1.x (`FastMCP`, mcp==1.30.0).

    .venv-mcp1/bin/python payments_server.py [--port 0] [--headers-log FILE] [--stateless] [--json-response]

Streamable HTTP at http://127.0.0.1:PORT/mcp (initialize handshake, protocol versions up
to 2025-11-25). Prints one JSON line on stdout once listening:
    {"url": "http://127.0.0.1:PORT/mcp", "port": PORT, "pid": PID, "sdk": "mcp 1.30.0", ...}
Every HTTP request's method, path and headers go to --headers-log (JSONL) when given.

Test control: `POST /__test/tools_changed` with an optional JSON body
`{"add": "extra_tool"}` or `{"remove": "NAME"}` changes the tool list and sends
`notifications/tools/list_changed` to every open session (on its GET stream); the answer
is `{"notified": N, "tools": [...]}`.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import weakref
from typing import Any

from _harness import HeadersLog, add_common_args, serve
from mcp.server.fastmcp import FastMCP
from mcp.server.session import ServerSession
from starlette.requests import Request
from starlette.responses import JSONResponse

import payments_tools


# Every ServerSession ever created (weakly), so the control endpoint can notify them.
SESSIONS: "weakref.WeakSet[ServerSession]" = weakref.WeakSet()
_original_init = ServerSession.__init__


def _tracking_init(self: ServerSession, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    SESSIONS.add(self)


ServerSession.__init__ = _tracking_init  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    args = parser.parse_args()

    mcp = FastMCP(
        "payments",
        instructions="Payments back end for Hangar's tests",
        host="127.0.0.1",
        stateless_http=args.stateless,
        json_response=args.json_response,
    )
    for fn in payments_tools.TOOLS:
        mcp.add_tool(fn)
    @mcp.custom_route("/__test/tools_changed", methods=["POST"])
    async def tools_changed(request: Request) -> JSONResponse:
        body = await request.json() if await request.body() else {}
        if name := body.get("add"):
            mcp.add_tool(payments_tools.EXTRA_TOOLS.get(name, payments_tools.extra_tool), name=name)
        if name := body.get("remove"):
            mcp.remove_tool(name)
        notified = 0
        for session in list(SESSIONS):
            try:
                await session.send_tool_list_changed()
                notified += 1
            except Exception:  # noqa: BLE001 - a closed session
                SESSIONS.discard(session)
        tools = [t.name for t in await mcp.list_tools()]
        return JSONResponse({"notified": notified, "tools": tools})

    app: Any = HeadersLog(mcp.streamable_http_app(), args.headers_log)
    sdk = f"mcp {importlib.metadata.version('mcp')}"
    serve(app, args.port, {"sdk": sdk, "stateless": args.stateless})


if __name__ == "__main__":
    main()
