// @modelcontextprotocol/server-everything over Streamable HTTP, bound to 127.0.0.1 only.
//
//   node everything.mjs [--port 0]
//
// server-everything's streamableHttp transport listens on all interfaces (express
// `app.listen(PORT)`). This wrapper patches `net.Server.prototype.listen` before loading it
// so the listener binds 127.0.0.1 on the requested port (0 = ephemeral), sends the
// server's own console.log chatter to stderr, and prints one JSON line on stdout once
// listening:
//   {"url":"http://127.0.0.1:PORT/mcp","port":PORT,"pid":PID,"version":"2026.8.31"}
// (The same patch as a plain preload: `node --import ./bind-localhost.mjs …`.)
import { createRequire } from 'node:module';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const require = createRequire(import.meta.url);
const pkg = require('@modelcontextprotocol/server-everything/package.json');

// stdout carries exactly one line (the ready line): the server's logs go to stderr.
const writeOut = process.stdout.write.bind(process.stdout);
console.log = (...a) => console.error(...a);
console.info = (...a) => console.error(...a);

const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listen(...listenArgs) {
  const callback = typeof listenArgs.at(-1) === 'function' ? listenArgs.at(-1) : undefined;
  this.once('listening', () => {
    const { port } = this.address();
    writeOut(`${JSON.stringify({ url: `http://127.0.0.1:${port}/mcp`, port, pid: process.pid, version: pkg.version })}\n`);
  });
  return callback
    ? originalListen.call(this, Number(args.port), '127.0.0.1', callback)
    : originalListen.call(this, Number(args.port), '127.0.0.1');
};

process.on('SIGTERM', () => process.exit(0));
process.env.PORT = args.port;
process.argv = [process.argv[0], 'server-everything', 'streamableHttp'];
await import(new URL('./node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url));
