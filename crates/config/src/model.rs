//! The typed, validated configuration sections.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use hangar_policy::{Mode, ToolRules, UnlistedTenants};
use serde::Deserialize;

mod auth;
mod operations;

pub use auth::{
    ApiKey, ApiKeySecret, Auth, AuthMethodKind, Introspection, Jwt, JwtAlgorithm, Mtls,
    MtlsClientAuth, Oidc, OidcIssuer, PerMessage,
};
pub use operations::{
    Audit, AuditSink, IpNet, Metrics, Rate, RateLimits, TLS_CIPHER_SUITES, Tls, TlsVersion,
};

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
    /// `timeout_seconds` (default 30) and `connect_timeout_seconds` (default 5).
    pub timeouts: ServerTimeouts,
    /// `protocol_version` (remote servers; default `auto`).
    pub protocol_version: BackendProtocol,
    /// `max_concurrency`: requests in flight to this back end at once; a call past it
    /// is refused at once with a JSON-RPC error (default: no limit).
    pub max_concurrency: Option<std::num::NonZeroU32>,
}

/// A back end's timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerTimeouts {
    /// `timeout_seconds`: how long one request to the back end may take (default 30 s).
    pub request: Duration,
    /// `connect_timeout_seconds`: how long connecting may take (default 5 s).
    pub connect: Duration,
}

impl ServerTimeouts {
    /// The default request timeout.
    pub const DEFAULT_REQUEST: Duration = Duration::from_secs(30);
    /// The default connect timeout.
    pub const DEFAULT_CONNECT: Duration = Duration::from_secs(5);
}

impl Default for ServerTimeouts {
    fn default() -> Self {
        Self {
            request: Self::DEFAULT_REQUEST,
            connect: Self::DEFAULT_CONNECT,
        }
    }
}

/// `mcp_servers.<name>.protocol_version`: which MCP version to speak to a remote back end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
pub enum BackendProtocol {
    /// `auto` (default): try 2026-07-28 `server/discover`, fall back to `initialize`.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// `2025-03-26`.
    #[serde(rename = "2025-03-26")]
    V2025_03_26,
    /// `2025-06-18`.
    #[serde(rename = "2025-06-18")]
    V2025_06_18,
    /// `2025-11-25`.
    #[serde(rename = "2025-11-25")]
    V2025_11_25,
    /// `2026-07-28`.
    #[serde(rename = "2026-07-28")]
    V2026_07_28,
}

impl BackendProtocol {
    /// The version string (`"2025-06-18"`), or `None` for `auto`.
    pub const fn version(self) -> Option<&'static str> {
        match self {
            Self::Auto => None,
            Self::V2025_03_26 => Some("2025-03-26"),
            Self::V2025_06_18 => Some("2025-06-18"),
            Self::V2025_11_25 => Some("2025-11-25"),
            Self::V2026_07_28 => Some("2026-07-28"),
        }
    }
}

/// `mcp_servers.<name>.oauth`: the OAuth 2.0 client-credentials grant the gateway uses
/// to get its own bearer token for a remote back end.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerOAuth {
    /// `token_url`: the token endpoint.
    pub token_url: String,
    /// `client_id`.
    pub client_id: String,
    /// `client_secret` (usually `${VAR}`).
    pub client_secret: Secret,
    /// `scopes` (none = the authorization server's default).
    pub scopes: Vec<String>,
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
        /// `headers`: sent on every request to the back end (the back end's own
        /// credentials, usually `${VAR}`), in file order.
        headers: Vec<(String, Secret)>,
        /// `oauth`: client credentials for the back end's bearer token.
        oauth: Option<ServerOAuth>,
        /// `ca_file`: for an `https` endpoint (and `oauth.token_url`), trust only the CA
        /// certificates in this PEM file instead of the system's roots.
        ca_file: Option<std::path::PathBuf>,
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
