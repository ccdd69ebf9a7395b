// A real OpenID provider (npm oidc-provider) for Hangar's identity tests.
//
//   node oidc-provider.mjs [--port 0] [--alg RS256|ES256] [--ttl 300]
//
// Listens on 127.0.0.1 (port 0 = ephemeral) and prints one JSON line on stdout:
//   {"issuer":"http://127.0.0.1:PORT","port":PORT,"kid":"...","alg":"RS256"}
// A fresh signing key is generated at every start: restarting on the same port rotates it.
//
// Clients (client_credentials, client_secret_basic, secret = "<id>-secret"):
//   tenant-a   tokens carry tenant_id "tenant:a"
//   tenant-b   tokens carry tenant_id "tenant:b"
//   tenant-c   tokens carry tenant_id "tenant:c"
//   no-tenant  tokens carry no tenant_id
//   gateway    the resource server's own credentials, for introspection
// Resources (RFC 8707 `resource=`): any "urn:opaque:*" gets opaque access tokens (for
// introspection); any other URI gets JWT access tokens with aud = that URI and the
// signing algorithm above. Scopes: mcp:read mcp:write.
//
// Test endpoints: GET /__test/counts → {"jwks":N,"introspection":N,"token":N}.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    alg: { type: 'string', default: 'RS256' },
    ttl: { type: 'string', default: '300' },
  },
});
const alg = args.alg;
const ttl = Number(args.ttl);
const scopes = 'mcp:read mcp:write';
const tenants = { 'tenant-a': 'tenant:a', 'tenant-b': 'tenant:b', 'tenant-c': 'tenant:c' };

const { privateKey } = alg === 'ES256'
  ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
  : generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg, use: 'sig' };

const client = (id) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: scopes,
});

// The issuer URL is known once the socket is bound; the provider is created then.
const server = http.createServer();
await new Promise((resolve) => server.listen(Number(args.port), '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [...Object.keys(tenants), 'no-tenant', 'gateway'].map(client),
  jwks: { keys: [jwk] },
  enabledJWA: { idTokenSigningAlgValues: [alg] },
  clientDefaults: { id_token_signed_response_alg: alg },
  scopes: scopes.split(' '),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => resource.startsWith('urn:opaque:')
        ? { scope: scopes, accessTokenFormat: 'opaque', accessTokenTTL: ttl }
        : {
          scope: scopes,
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: ttl,
          jwt: { sign: { alg } },
        },
    },
  },
  extraTokenClaims: (_ctx, token) => {
    const tenant = tenants[token.clientId];
    return tenant ? { tenant_id: tenant } : undefined;
  },
  ttl: { ClientCredentials: ttl },
});

const counts = { jwks: 0, introspection: 0, token: 0 };
provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/counts') {
    ctx.body = counts;
    return;
  }
  if (ctx.path === '/jwks') counts.jwks += 1;
  if (ctx.path === '/token/introspection') counts.introspection += 1;
  if (ctx.path === '/token') counts.token += 1;
  await next();
});
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

server.on('request', provider.callback());
const shutdown = () => server.close(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

console.log(JSON.stringify({ issuer, port, kid: jwk.kid, alg }));
