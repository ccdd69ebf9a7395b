//! Hangar's configuration: the YAML model, how it is loaded, and what it compiles to.
//!
//! Loading runs in stages: the file is parsed with [saphyr] (YAML 1.2, with the line of
//! every value), `${VAR}` and `${VAR:-default}` are replaced in string values (never in
//! the raw text, so a variable cannot inject YAML), `HANGAR_*` environment variables
//! override keys (`HANGAR_TOOL_ACCESS__MODE=front_door`), the result is extracted
//! through [figment] into a raw serde model that rejects unknown keys, and that model is
//! validated into typed sections. Every problem is reported with its file, line and YAML
//! path, all of them at once:
//!
//! ```text
//! config.yaml:14: mcp_servers.payments.tool_access.member."tenant:a".deny_list[0]: invalid glob "[ab": unclosed character class
//! ```
//!
//! The environment is read through the [`Environment`] trait: [`ProcessEnvironment`] in
//! production, [`MapEnvironment`] in tests.
//!
//! # Example
//!
//! ```
//! use hangar_config::{Config, MapEnvironment, ServerMode};
//! use hangar_policy::{Caller, Mode};
//!
//! let yaml = r#"
//! tool_access:
//!   mode: front_door
//! auth:
//!   enabled: true
//!   api_keys:
//!     - name: ops-admin
//!       key: ${HANGAR_ADMIN_KEY}
//!       roles: [admin]
//! mcp_servers:
//!   payments:
//!     mode: remote
//!     endpoint: http://localhost:8080/mcp
//!     tool_access:
//!       member:
//!         "tenant:a": { deny_list: [refund] }
//!     tool_projection:
//!       withdrawn: [legacy_charge]
//! "#;
//! let env = MapEnvironment::new().with("HANGAR_ADMIN_KEY", "s3cret");
//! let config = Config::from_yaml_str(yaml, "config.yaml", &env)?;
//!
//! assert_eq!(config.tool_access.mode, Mode::FrontDoor);
//! assert_eq!(config.auth.api_keys[0].name, "ops-admin");
//! assert_eq!(config.mcp_servers[0].mode(), ServerMode::Remote);
//!
//! let policy = config.policy()?;
//! assert!(!policy.decide(&Caller::tenant("tenant:a"), "payments", "refund").is_allowed());
//! assert!(policy.decide(&Caller::tenant("tenant:a"), "payments", "charge").is_allowed());
//!
//! let withdrawn: Vec<_> = config.withdrawals().map(|w| w.pattern).collect();
//! assert_eq!(withdrawn, ["legacy_charge"]);
//!
//! // Every problem, with its line and path.
//! let bad = "tool_access:\n  mode: frontdoor\n";
//! let error = Config::from_yaml_str(bad, "config.yaml", &env).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     r#"config.yaml:2: tool_access.mode: unknown variant "frontdoor", expected "egress" or "front_door""#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See `docs/configuration.md` for every key.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod env;
mod error;
mod interpolate;
mod load;
mod model;
mod overrides;
mod path;
mod raw;
mod url;
mod validate;
mod yaml;

pub use config::Config;
pub use env::{Environment, MapEnvironment, ProcessEnvironment};
pub use error::{Diagnostic, Error};
pub use model::{
    ApiKey, ApiKeySecret, Audit, AuditSink, Auth, AuthMethodKind, BackendProtocol,
    ConfigWithdrawal, Introspection, IpNet, Jwt, JwtAlgorithm, McpServer, Metrics, Mtls,
    MtlsClientAuth, Oidc, OidcIssuer, PerMessage, Rate, RateLimits, Secret, ServerMode,
    ServerOAuth, ServerTimeouts, ServerToolAccess, TLS_CIPHER_SUITES, TenantProjection, Tls,
    TlsVersion, ToolAccess, ToolList, ToolProjection, Transport,
};

#[cfg(test)]
mod tests;
