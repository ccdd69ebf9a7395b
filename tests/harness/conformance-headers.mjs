// A `node --import` preload for running @modelcontextprotocol/conformance against a server
// that needs a credential: every HTTP request the process makes (fetch and undici's
// `request`, both through undici's global dispatcher) gets the headers of the JSON object
// in $HANGAR_CONFORMANCE_HEADERS added, e.g.
//   HANGAR_CONFORMANCE_HEADERS='{"X-API-Key":"…"}' \
//     node --import ./conformance-headers.mjs node_modules/.bin/conformance server --url …
// The suite's own requests are otherwise unchanged (its CLI has no header option).
import { createRequire } from 'node:module';

// The undici the suite itself imports (its own dependency, resolved from its package).
const require = createRequire(
  new URL('./node_modules/@modelcontextprotocol/conformance/package.json', import.meta.url),
);
const { Agent, setGlobalDispatcher } = require('undici');

const extra = Object.entries(JSON.parse(process.env.HANGAR_CONFORMANCE_HEADERS ?? '{}'));

const withExtra = (headers) => {
  if (Array.isArray(headers)) {
    const flat = headers.flatMap((h) => (Array.isArray(h) ? h : [h]));
    return [...flat, ...extra.flat()];
  }
  const out = {};
  if (headers && typeof headers[Symbol.iterator] === 'function') {
    for (const [name, value] of headers) out[name] = value;
  } else if (headers) {
    Object.assign(out, headers);
  }
  for (const [name, value] of extra) out[name] = value;
  return out;
};

const addHeaders = (dispatch) => (options, handler) =>
  dispatch({ ...options, headers: withExtra(options.headers) }, handler);

setGlobalDispatcher(new Agent().compose(addHeaders));
