//! The typed, validated configuration sections.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use hangar_policy::{Mode, ToolRules, UnlistedTenants};
use serde::Deserialize;

/// A secret value (API key, client secret, HMAC key, environment of a stdio server).
/// `Debug` prints `Secret("<redacted>")`; there is no `Display`. Use
/// [`Secret::expose`] where the value is really needed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"<redacted>\")")
    }
}

/// `tool_access`: the gateway-wide tool-access settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolAccess {
    /// `mode`: `egress` (default, trusted callers) or `front_door` (untrusted callers,
    /// fail-closed).
    pub mode: Mode,
    /// `unlisted_tenants`: what a tenant named by no member or group rule of a server
    /// gets: `server_policy` (default: the server's `tools` grant) or `deny`.
    pub unlisted_tenants: UnlistedTenants,
    /// `groups`: tenant groups, group name → tenant ids.
    pub groups: BTreeMap<String, Vec<String>>,
}

/// `auth`: how callers authenticate. Several methods can be enabled together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Auth {
    /// `enabled` (default `false`): authenticate callers at all.
    pub enabled: bool,
    /// `allow_anonymous` (default `false`): let callers without a credential in (they
    /// have no tenant, so front_door still gives them nothing).
    pub allow_anonymous: bool,
    /// `api_keys`: static API keys.
    pub api_keys: Vec<ApiKey>,
    /// `oidc`: OpenID Connect issuers (absent when the block is not written).
    pub oidc: Option<Oidc>,
    /// `jwt`: JWTs checked with a static key.
    pub jwt: Option<Jwt>,
    /// `introspection`: OAuth2 token introspection (RFC 7662) for opaque tokens.
    pub introspection: Option<Introspection>,
    /// `mtls`: client certificates.
    pub mtls: Option<Mtls>,
}

/// One entry of `auth.api_keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiKey {
    /// `name`: unique label, used in logs and audit records.
    pub name: String,
    /// `key` or `key_sha256`.
    pub secret: ApiKeySecret,
    /// `roles` (e.g. `admin`).
    pub roles: Vec<String>,
    /// `tenant_id`: the tenant the key acts for.
    pub tenant_id: Option<String>,
}

/// How an API key is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiKeySecret {
    /// `key`: the key itself (usually `${VAR}`).
    Plain(Secret),
    /// `key_sha256`: the SHA-256 digest of the key (64 hex characters in the file).
    Sha256([u8; 32]),
}

/// `auth.oidc`: OpenID Connect. The top-level `issuer`, `audience`, `resource_uri` and
/// `tenant_claim` describe the main issuer; `issuers` adds more, each inheriting the
/// top-level `audience`, `resource_uri` and `tenant_claim` it does not set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Oidc {
    /// `enabled` (default `false`).
    pub enabled: bool,
    /// `issuer`: the issuer URL (https, or http on a loopback host).
    pub issuer: Option<String>,
    /// `audience`: the expected `aud`.
    pub audience: Option<String>,
    /// `resource_uri`: this gateway's resource identifier (RFC 8707 / RFC 9728).
    pub resource_uri: Option<String>,
    /// `tenant_claim` (default `tenant_id`): the claim holding the tenant.
    pub tenant_claim: String,
    /// `scopes_supported`: advertised in the protected-resource metadata.
    pub scopes_supported: Vec<String>,
    /// `issuers`: further issuers, with inherited values filled in.
    pub issuers: Vec<OidcIssuer>,
}

/// One entry of `auth.oidc.issuers`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OidcIssuer {
    /// `issuer`: the issuer URL.
    pub issuer: String,
    /// `audience` (default: `auth.oidc.audience`).
    pub audience: Option<String>,
    /// `resource_uri` (default: `auth.oidc.resource_uri`).
    pub resource_uri: Option<String>,
    /// `tenant_claim` (default: `auth.oidc.tenant_claim`).
    pub tenant_claim: String,
    /// `allowed_tenants`: if not empty, the only tenants this issuer may assert.
    pub allowed_tenants: Vec<String>,
}

/// `auth.jwt.algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum JwtAlgorithm {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
}

impl JwtAlgorithm {
    /// HS256/384/512: checked with a shared `secret` rather than a public key.
    pub fn is_hmac(self) -> bool {
        matches!(self, Self::HS256 | Self::HS384 | Self::HS512)
    }
}

/// `auth.jwt`: JWTs verified with a static key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Jwt {
    /// `enabled` (default `false`).
    pub enabled: bool,
    /// `algorithm` (required when enabled).
    pub algorithm: Option<JwtAlgorithm>,
    /// `secret`: the HMAC key (HS*).
    pub secret: Option<Secret>,
    /// `public_key_file`: PEM public key (RS*, PS*, ES*, EdDSA).
    pub public_key_file: Option<PathBuf>,
    /// `issuer`: expected `iss`.
    pub issuer: Option<String>,
    /// `audience`: expected `aud`.
    pub audience: Option<String>,
    /// `clock_skew_seconds` (default 60).
    pub clock_skew_seconds: u64,
    /// `max_lifetime_seconds`: reject tokens whose `exp - iat` is longer.
    pub max_lifetime_seconds: Option<u64>,
}

/// `auth.introspection`: OAuth2 token introspection (RFC 7662).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Introspection {
    /// `enabled` (default `false`).
    pub enabled: bool,
    /// `endpoint`: the introspection URL (https, or http on a loopback host).
    pub endpoint: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<Secret>,
    /// `required_scopes`: every one must be granted.
    pub required_scopes: Vec<String>,
    /// `cache_ttl_seconds` (default 60).
    pub cache_ttl_seconds: u64,
    /// `cache_size` (default 10000 entries).
    pub cache_size: u64,
}

/// `auth.mtls`: client certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mtls {
    /// `enabled` (default `false`).
    pub enabled: bool,
    /// `ca_file`: PEM bundle of the CAs client certificates must chain to.
    pub ca_file: Option<PathBuf>,
    /// `crl_file`: PEM certificate revocation list.
    pub crl_file: Option<PathBuf>,
    /// `allowed_subjects`: subject patterns (`CN=service-*`); empty = any subject.
    pub allowed_subjects: Vec<String>,
    /// `tenant_map`: subject pattern → tenant id.
    pub tenant_map: BTreeMap<String, String>,
}

/// `mcp_servers.<name>.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServerMode {
    /// A Streamable HTTP back end at `endpoint`.
    Remote,
    /// A subprocess speaking MCP on stdin/stdout.
    Stdio,
}

/// One entry of `mcp_servers`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct McpServer {
    /// The key under `mcp_servers` (`[A-Za-z0-9_.-]+`).
    pub name: String,
    /// `mode` with its keys: `endpoint`, or `command`, `args`, `env`.
    pub transport: Transport,
    /// `description`.
    pub description: Option<String>,
    /// `tools`: server-level allow/deny lists (absent = no server-level rules).
    pub tools: Option<ToolList>,
    /// `tool_access`: per-group and per-tenant rules.
    pub tool_access: ServerToolAccess,
    /// `tool_projection`: tools withdrawn by configuration.
    pub tool_projection: ToolProjection,
}

impl McpServer {
    /// The server's `mode`.
    pub fn mode(&self) -> ServerMode {
        match self.transport {
            Transport::Remote { .. } => ServerMode::Remote,
            Transport::Stdio { .. } => ServerMode::Stdio,
        }
    }
}

/// How the gateway reaches a back end.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// `mode: remote`.
    #[non_exhaustive]
    Remote {
        /// `endpoint`: http(s) URL.
        endpoint: String,
    },
    /// `mode: stdio`.
    #[non_exhaustive]
    Stdio {
        /// `command`: the program (looked up in `PATH` if it has no `/`).
        command: String,
        /// `args`.
        args: Vec<String>,
        /// `env`: extra environment variables for the subprocess.
        env: BTreeMap<String, Secret>,
    },
}

/// Allow and deny lists (tool-name patterns: exact names or globs such as `beta_*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolList {
    /// `allow_list`: absent = every tool the wider scopes allow; `[]` = none.
    pub allow_list: Option<Vec<String>>,
    /// `deny_list`.
    pub deny_list: Vec<String>,
}

impl ToolList {
    /// The same lists as policy rules.
    pub fn to_rules(&self) -> ToolRules {
        let rules = ToolRules::new().deny(self.deny_list.iter().cloned());
        match &self.allow_list {
            Some(allow) => rules.allow(allow.iter().cloned()),
            None => rules,
        }
    }
}

/// `mcp_servers.<name>.tool_access`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerToolAccess {
    /// `unlisted_tenants`: overrides `tool_access.unlisted_tenants` for this server.
    pub unlisted_tenants: Option<UnlistedTenants>,
    /// `groups`: group name (defined in `tool_access.groups`) → rules.
    pub groups: BTreeMap<String, ToolList>,
    /// `member`: tenant id → rules.
    pub member: BTreeMap<String, ToolList>,
}

/// `mcp_servers.<name>.tool_projection`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolProjection {
    /// `withdrawn`: patterns of tools withdrawn for every tenant.
    pub withdrawn: Vec<String>,
    /// `tenant_overrides`: tenant id → further withdrawals for that tenant.
    pub tenant_overrides: BTreeMap<String, TenantProjection>,
}

/// `mcp_servers.<name>.tool_projection.tenant_overrides.<tenant>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantProjection {
    /// `withdrawn`: patterns of tools withdrawn for this tenant.
    pub withdrawn: Vec<String>,
}

/// One config-declared withdrawal, as [`Config::withdrawals`](crate::Config::withdrawals)
/// yields them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfigWithdrawal<'a> {
    /// The server.
    pub server: &'a str,
    /// The tool-name pattern.
    pub pattern: &'a str,
    /// The tenant, or `None` for every tenant.
    pub tenant: Option<&'a str>,
}
