// A `node --import` preload: every `server.listen(port[, host])` binds 127.0.0.1 instead
// of all interfaces (the port is kept; PORT=0 gives an ephemeral one). For running
// third-party servers by hand, e.g.
//   PORT=0 node --import ./bind-localhost.mjs node_modules/.bin/mcp-server-everything streamableHttp
import net from 'node:net';

const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listen(...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    const port = Number(args[0]);
    const callback = typeof args.at(-1) === 'function' ? args.at(-1) : undefined;
    return callback ? originalListen.call(this, port, '127.0.0.1', callback) : originalListen.call(this, port, '127.0.0.1');
  }
  return originalListen.apply(this, args);
};
