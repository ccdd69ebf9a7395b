"""MCP test client, official Python SDK 1.x (mcp==1.30.0): `streamablehttp_client` + `ClientSession`.

Initialize handshake; offers protocol version 2025-11-25 by default (--protocol-version to
offer another, e.g. 2025-06-18). See _client_common.py for subcommands and output.
A URL that is not http(s) is a command line: the client starts it and speaks stdio
(`stdio_client`), e.g. `client_v1.py 'target/debug/hangar-demo-backend' list`.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import shlex
from contextlib import asynccontextmanager

import anyio
import httpx
import mcp.types
from _client_common import all_pages, fail, notification_json, out, parse_args
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.exceptions import McpError


def extra(parser: Any) -> None:
    parser.add_argument("--protocol-version", help="version offered in initialize (default: the SDK's latest)")


@asynccontextmanager
async def connect(args: Any) -> Any:
    if args.url.startswith(("http://", "https://")):
        async with streamablehttp_client(args.url, headers=args.headers, timeout=args.timeout) as (read, write, _):
            yield read, write
    else:
        command, *cmd_args = shlex.split(args.url)
        params = StdioServerParameters(command=command, args=cmd_args)
        async with stdio_client(params) as (read, write):
            yield read, write


async def run() -> None:
    args = parse_args("python mcp 1.x", extra)
    if args.protocol_version:
        mcp.types.LATEST_PROTOCOL_VERSION = args.protocol_version
    notifications: list[Any] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, mcp.types.ServerNotification):
            n = message.root
            notifications.append(n)
            if args.command == "listen":
                out(notification_json(n.model_dump(mode="json", by_alias=True, exclude_none=True)))

    async with connect(args) as (read, write):
        async with ClientSession(
            read, write, read_timeout_seconds=timedelta(seconds=args.timeout), message_handler=on_message
        ) as session:
            init = await session.initialize()
            if args.command == "info":
                out(
                    {
                        "protocolVersion": init.protocolVersion,
                        "serverInfo": init.serverInfo.model_dump(mode="json", by_alias=True, exclude_none=True),
                    }
                )
            elif args.command == "list":
                tools = await session.list_tools()
                out([t.name for t in tools.tools])
            elif args.command == "call":
                result = await session.call_tool(args.name, args.arguments)
                out(result.model_dump(mode="json", by_alias=True, exclude_none=True))
            elif args.command == "listen":
                await anyio.sleep(args.seconds)
            elif args.command == "prompts":
                out(await all_pages(lambda c: session.list_prompts(c), "prompts", "name"))
            elif args.command == "resources":
                out(await all_pages(lambda c: session.list_resources(c), "resources", "uri"))
            elif args.command == "prompt":
                result = await session.get_prompt(args.name, args.arguments)
                out(result.model_dump(mode="json", by_alias=True, exclude_none=True))
            elif args.command == "read":
                result = await session.read_resource(args.uri)
                out(result.model_dump(mode="json", by_alias=True, exclude_none=True))


def main() -> None:
    try:
        anyio.run(run)
    except BaseException as exc:  # noqa: BLE001 - reported as JSON or on stderr
        if isinstance(exc, SystemExit):
            raise
        fail(exc, McpError, httpx.HTTPStatusError)
    sys.exit(0)


if __name__ == "__main__":
    main()
