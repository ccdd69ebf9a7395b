"""Argument parsing and output for the Python test clients (both SDK eras; stdlib only).

    client_vN.py [--header 'Name: value']... URL list
    client_vN.py [--header ...]... URL call NAME JSON_ARGS
    client_vN.py [--header ...]... URL listen SECONDS
    client_vN.py [--header ...]... URL info
    client_vN.py [--header ...]... URL prompts | resources
    client_vN.py [--header ...]... URL prompt NAME [JSON_ARGS]
    client_vN.py [--header ...]... URL read URI

Output (stdout, JSON):
  list    a JSON array of tool names
  call    the CallToolResult as JSON (camelCase, as on the wire)
  listen  one JSON line per notification received ({"method": ..., "params": ...}; params
          only when present); on 2026-07-28 (2.x client) through `subscriptions/listen`
  info    {"protocolVersion": ..., "serverInfo": ...}
  prompts a JSON array of prompt names (every page)
  resources  a JSON array of resource URIs (every page)
  prompt  the GetPromptResult as JSON
  read    the ReadResourceResult as JSON
Exit status: 0 ok; 3 JSON-RPC error ({"error": {"code", "message"}} on stdout);
4 HTTP error status ({"http_error": {"status": N}} on stdout); 1 anything else (stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn


def parse_args(era: str, extra: Any = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=f"MCP test client ({era})")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    if extra is not None:
        extra(parser)
    parser.add_argument("url")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    sub.add_parser("info")
    call = sub.add_parser("call")
    call.add_argument("name")
    call.add_argument("arguments", nargs="?", default="{}")
    listen = sub.add_parser("listen")
    listen.add_argument("seconds", type=float)
    sub.add_parser("prompts")
    sub.add_parser("resources")
    prompt = sub.add_parser("prompt")
    prompt.add_argument("name")
    prompt.add_argument("arguments", nargs="?", default="{}")
    read = sub.add_parser("read")
    read.add_argument("uri")
    args = parser.parse_args()
    headers: dict[str, str] = {}
    for h in args.header:
        name, sep, value = h.partition(":")
        if not sep:
            parser.error(f"--header {h!r}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    args.headers = headers
    if args.command in ("call", "prompt"):
        args.arguments = json.loads(args.arguments)
    return args


async def all_pages(fetch: Any, field: str, key: str) -> list[Any]:
    """The `key` of every entry under `field`, following `nextCursor` (`fetch(cursor)`)."""
    keys: list[Any] = []
    cursor = None
    for _ in range(100):
        page = await fetch(cursor)
        keys += [str(getattr(entry, key)) for entry in getattr(page, field)]
        cursor = getattr(page, "nextCursor", None) or getattr(page, "next_cursor", None)
        if not cursor:
            break
    return keys


def notification_json(message: dict[str, Any]) -> dict[str, Any]:
    """A notification as `listen` prints it: `{"method": ..., "params": ...}` (params only when present)."""
    result: dict[str, Any] = {"method": message["method"]}
    if message.get("params") is not None:
        result["params"] = message["params"]
    return result


def out(value: Any) -> None:
    sys.stdout.write(json.dumps(value, sort_keys=True) + "\n")
    sys.stdout.flush()


def leaves(exc: BaseException) -> list[BaseException]:
    """The leaf exceptions of an exception (group), following __cause__ too."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for e in exc.exceptions for leaf in leaves(e)]
    found = [exc]
    if exc.__cause__ is not None:
        found += leaves(exc.__cause__)
    return found


def fail(exc: BaseException, mcp_error: type[BaseException], http_status_error: type[BaseException]) -> NoReturn:
    all_leaves = leaves(exc)
    for leaf in all_leaves:
        if isinstance(leaf, mcp_error):
            err = leaf.error  # type: ignore[attr-defined]
            body: dict[str, Any] = {"code": err.code, "message": err.message}
            if err.data is not None:
                body["data"] = err.data
            out({"error": body})
            sys.exit(3)
    for leaf in all_leaves:
        if isinstance(leaf, http_status_error):
            resp = leaf.response  # type: ignore[attr-defined]
            out({"http_error": {"status": resp.status_code, "body": resp.text[:2000] if _readable(resp) else None}})
            sys.exit(4)
    sys.stderr.write(f"client failed: {exc!r}\n")
    for leaf in all_leaves:
        sys.stderr.write(f"  {type(leaf).__name__}: {leaf}\n")
    sys.exit(1)


def _readable(resp: Any) -> bool:
    try:
        resp.text  # noqa: B018
        return True
    except Exception:
        return False
