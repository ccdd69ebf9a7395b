"""MCP test client, official Python SDK 2.x (mcp==2.3.0): `mcp.Client` over `streamable_http_client`.

--mode auto (default: probe `server/discover` for 2026-07-28, fall back to the initialize
handshake), legacy (initialize handshake only), or a version pin such as 2026-07-28 (no
probe). `listen` uses `subscriptions/listen` on a 2026-07-28 connection (printing the
change events), else prints the notifications the session receives.
See _client_common.py for subcommands and output.
"""

from __future__ import annotations

import ssl
import sys
from typing import Any

import anyio
import httpx2
import mcp_types as types
from _client_common import all_pages, fail, notification_json, out, parse_args
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS


def extra(parser: Any) -> None:
    parser.add_argument("--mode", default="auto", help="auto | legacy | 2026-07-28")
    parser.add_argument("--cafile", help="https: trust only this PEM CA bundle")
    parser.add_argument("--cert", help="https: client certificate (PEM) to present")
    parser.add_argument("--key", help="https: the client certificate's private key (PEM)")


def tls_verify(args: Any) -> Any:
    """httpx's `verify`: the system's CAs, or an SSL context with --cafile and --cert/--key."""
    if args.cafile is None and args.cert is None:
        return True
    context = ssl.create_default_context(cafile=args.cafile)
    if args.cert is not None:
        context.load_cert_chain(args.cert, args.key)
    return context


def dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def run() -> None:
    args = parse_args("python mcp 2.x", extra)

    async def on_message(message: Any) -> None:
        if args.command == "listen" and isinstance(message, types.ServerNotification):
            out(notification_json(dump(message)))

    http = httpx2.AsyncClient(
        headers=args.headers,
        timeout=httpx2.Timeout(args.timeout, read=max(args.timeout, 300)),
        verify=tls_verify(args),
    )
    async with http:
        transport = streamable_http_client(args.url, http_client=http)
        client = Client(
            transport,  # type: ignore[arg-type]
            mode=args.mode,
            read_timeout_seconds=args.timeout,
            message_handler=on_message,
            cache=None,
        )
        async with client:
            if args.command == "info":
                info = client.server_info
                out(
                    {
                        "protocolVersion": client.protocol_version,
                        "serverInfo": dump(info) if info is not None else None,
                    }
                )
            elif args.command == "list":
                tools = await client.list_tools()
                out([t.name for t in tools.tools])
            elif args.command == "call":
                result = await client.call_tool(args.name, args.arguments)
                out(dump(result))
            elif args.command == "listen":
                if client.protocol_version in MODERN_PROTOCOL_VERSIONS:
                    with anyio.move_on_after(args.seconds):
                        async with client.listen(tools_list_changed=True) as sub:
                            # The notifications themselves are printed by on_message.
                            async for _event in sub:
                                pass
                else:
                    await anyio.sleep(args.seconds)
            elif args.command == "prompts":
                out(await all_pages(lambda c: client.list_prompts(cursor=c), "prompts", "name"))
            elif args.command == "resources":
                out(await all_pages(lambda c: client.list_resources(cursor=c), "resources", "uri"))
            elif args.command == "prompt":
                out(dump(await client.get_prompt(args.name, args.arguments)))
            elif args.command == "read":
                out(dump(await client.read_resource(args.uri)))


def main() -> None:
    try:
        anyio.run(run)
    except BaseException as exc:  # noqa: BLE001 - reported as JSON or on stderr
        if isinstance(exc, SystemExit):
            raise
        fail(exc, MCPError, httpx2.HTTPStatusError)
    sys.exit(0)


if __name__ == "__main__":
    main()
