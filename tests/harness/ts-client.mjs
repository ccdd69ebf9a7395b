// MCP test client, official TypeScript SDK (@modelcontextprotocol/sdk, pinned in package.json):
// `Client` + `StreamableHTTPClientTransport`, initialize handshake (protocol 2025-11-25).
//
//   node ts-client.mjs [--header 'Name: value']... [--timeout SECONDS] URL list
//   node ts-client.mjs [--header ...]... URL call NAME [JSON_ARGS]
//   node ts-client.mjs [--header ...]... URL listen SECONDS
//   node ts-client.mjs [--header ...]... URL info
//   node ts-client.mjs [--header ...]... URL prompts | resources
//   node ts-client.mjs [--header ...]... URL prompt NAME [JSON_ARGS]
//   node ts-client.mjs [--header ...]... URL read URI
//
// Output (stdout, JSON) and exit status are those of the Python clients:
//   list → JSON array of tool names; call → the CallToolResult; listen → one JSON line per
//   notification; info → {"protocolVersion", "serverInfo"}; prompts / resources → JSON array
//   of prompt names / resource URIs (every page); prompt → the GetPromptResult; read → the
//   ReadResourceResult.
//   0 ok; 3 JSON-RPC error → {"error":{"code","message"}}; 4 HTTP error status →
//   {"http_error":{"status":N}}; 1 anything else (stderr).
import { parseArgs } from 'node:util';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    header: { type: 'string', multiple: true, default: [] },
    timeout: { type: 'string', default: '30' },
  },
});
const usage =
  'usage: ts-client.mjs [--header "Name: value"]... URL (list | info | call NAME [JSON] | listen SECONDS | prompts | resources | prompt NAME [JSON] | read URI)';
const [url, command, ...rest] = positionals;
if (!url || !command) {
  console.error(usage);
  process.exit(2);
}
const headers = {};
for (const h of opts.header) {
  const i = h.indexOf(':');
  if (i < 0) {
    console.error(`--header ${JSON.stringify(h)}: expected 'Name: value'`);
    process.exit(2);
  }
  headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
}
const timeout = Number(opts.timeout) * 1000;
const out = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

const client = new Client({ name: 'hangar-ts-test-client', version: '0.0.0' });
client.fallbackNotificationHandler = async (notification) => {
  if (command === 'listen') {
    const { method, params } = notification;
    out(params === undefined ? { method } : { method, params });
  }
};
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });

// The `key` of every entry under `field`, following `nextCursor` (`fetch(params)`).
async function allPages(fetch, field, key) {
  const keys = [];
  let cursor;
  for (let i = 0; i < 100; i += 1) {
    const page = await fetch(cursor === undefined ? undefined : { cursor });
    keys.push(...page[field].map((entry) => entry[key]));
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return keys;
}

function fail(err) {
  if (err instanceof McpError) {
    const error = { code: err.code, message: err.message.replace(/^MCP error -?\d+: /, '') };
    if (err.data !== undefined) error.data = err.data;
    out({ error });
    return 3;
  }
  if (err instanceof StreamableHTTPError && typeof err.code === 'number' && err.code >= 400) {
    out({ http_error: { status: err.code, body: err.message } });
    return 4;
  }
  console.error(`client failed: ${err?.stack ?? err}`);
  return 1;
}

let status = 0;
try {
  await client.connect(transport, { timeout });
  switch (command) {
    case 'info':
      out({ protocolVersion: transport.protocolVersion ?? null, serverInfo: client.getServerVersion() });
      break;
    case 'list': {
      const { tools } = await client.listTools(undefined, { timeout });
      out(tools.map((t) => t.name));
      break;
    }
    case 'call': {
      const [name, json = '{}'] = rest;
      out(await client.callTool({ name, arguments: JSON.parse(json) }, undefined, { timeout }));
      break;
    }
    case 'prompts':
      out(await allPages((p) => client.listPrompts(p, { timeout }), 'prompts', 'name'));
      break;
    case 'resources':
      out(await allPages((p) => client.listResources(p, { timeout }), 'resources', 'uri'));
      break;
    case 'prompt': {
      const [name, json = '{}'] = rest;
      out(await client.getPrompt({ name, arguments: JSON.parse(json) }, { timeout }));
      break;
    }
    case 'read':
      out(await client.readResource({ uri: rest[0] }, { timeout }));
      break;
    case 'listen':
      await new Promise((resolve) => setTimeout(resolve, Number(rest[0]) * 1000));
      break;
    default:
      console.error(usage);
      status = 2;
  }
} catch (err) {
  status = fail(err);
}
try {
  await transport.terminateSession();
} catch {
  // the session may never have started
}
await client.close().catch(() => {});
process.exit(status);
