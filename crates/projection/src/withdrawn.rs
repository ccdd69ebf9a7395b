//! Why a tool is withdrawn, and the trait every overlay view implements.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat};

/// The overlay that withdrew a tool, with what an operator needs to undo it.
///
/// Displays as a human reason (the words `hangarctl explain` prints), e.g.
/// `withdrawn for all tenants by config (mcp_servers.payments.tool_projection.withdrawn: "legacy_charge")`
/// or `withdrawn at runtime for tenant "tenant:b" by ops-admin at 2026-05-09T07:33:22.123Z`.
///
/// Serializes (for the admin API) with a `source` tag: `config_global`, `config_tenant`,
/// `runtime_global`, `runtime_tenant`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WithdrawnBy {
    /// `mcp_servers.<server>.tool_projection.withdrawn` matched: withdrawn for every tenant.
    ConfigGlobal {
        /// The back end.
        server: Arc<str>,
        /// The pattern of the config entry that matched.
        pattern: Arc<str>,
    },
    /// `mcp_servers.<server>.tool_projection.tenant_overrides.<tenant>.withdrawn` matched.
    ConfigTenant {
        /// The back end.
        server: Arc<str>,
        /// The tenant the entry is for.
        tenant: Arc<str>,
        /// The pattern of the config entry that matched.
        pattern: Arc<str>,
    },
    /// An operator withdrew the tool for every tenant at runtime.
    RuntimeGlobal {
        /// The back end.
        server: Arc<str>,
        /// The tool (runtime withdrawals are exact names).
        tool: Arc<str>,
        /// Who withdrew it (the admin API principal).
        actor: Arc<str>,
        /// When, in milliseconds since the Unix epoch.
        at_unix_ms: u64,
    },
    /// An operator withdrew the tool for one tenant at runtime.
    RuntimeTenant {
        /// The back end.
        server: Arc<str>,
        /// The tool (runtime withdrawals are exact names).
        tool: Arc<str>,
        /// The tenant it is withdrawn for.
        tenant: Arc<str>,
        /// Who withdrew it (the admin API principal).
        actor: Arc<str>,
        /// When, in milliseconds since the Unix epoch.
        at_unix_ms: u64,
    },
}

impl WithdrawnBy {
    /// Declared in the config file (a restore cannot clear it; edit the config and reload).
    pub fn is_config(&self) -> bool {
        matches!(self, Self::ConfigGlobal { .. } | Self::ConfigTenant { .. })
    }

    /// Made through the admin API (a restore clears it).
    pub fn is_runtime(&self) -> bool {
        matches!(
            self,
            Self::RuntimeGlobal { .. } | Self::RuntimeTenant { .. }
        )
    }

    /// The back end.
    pub fn server(&self) -> &str {
        match self {
            Self::ConfigGlobal { server, .. }
            | Self::ConfigTenant { server, .. }
            | Self::RuntimeGlobal { server, .. }
            | Self::RuntimeTenant { server, .. } => server,
        }
    }

    /// The tenant the withdrawal is for; `None` for every tenant.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            Self::ConfigTenant { tenant, .. } | Self::RuntimeTenant { tenant, .. } => Some(tenant),
            Self::ConfigGlobal { .. } | Self::RuntimeGlobal { .. } => None,
        }
    }

    /// A stable snake_case name of the overlay: `config_global`, `config_tenant`,
    /// `runtime_global`, `runtime_tenant` (the serialized `source` tag).
    pub fn code(&self) -> &'static str {
        match self {
            Self::ConfigGlobal { .. } => "config_global",
            Self::ConfigTenant { .. } => "config_tenant",
            Self::RuntimeGlobal { .. } => "runtime_global",
            Self::RuntimeTenant { .. } => "runtime_tenant",
        }
    }
}

impl fmt::Display for WithdrawnBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConfigGlobal { server, pattern } => write!(
                f,
                "withdrawn for all tenants by config \
                 (mcp_servers.{}.tool_projection.withdrawn: {pattern:?})",
                YamlKey(server)
            ),
            Self::ConfigTenant {
                server,
                tenant,
                pattern,
            } => write!(
                f,
                "withdrawn for tenant {tenant:?} by config (mcp_servers.{}.tool_projection.\
                 tenant_overrides.{}.withdrawn: {pattern:?})",
                YamlKey(server),
                YamlKey(tenant)
            ),
            Self::RuntimeGlobal {
                actor, at_unix_ms, ..
            } => write!(
                f,
                "withdrawn at runtime for all tenants by {actor} at {}",
                UnixMs(*at_unix_ms)
            ),
            Self::RuntimeTenant {
                tenant,
                actor,
                at_unix_ms,
                ..
            } => write!(
                f,
                "withdrawn at runtime for tenant {tenant:?} by {actor} at {}",
                UnixMs(*at_unix_ms)
            ),
        }
    }
}

/// Anything that can say whether a tool is withdrawn for a tenant: [`Overlays`](crate::Overlays),
/// an [`OverlaySnapshot`](crate::OverlaySnapshot), or [`ConfigWithdrawals`](crate::ConfigWithdrawals)
/// alone (offline tools that have no runtime store).
///
/// `tenant` is the caller's tenant; `None` (no tenant) sees only the global withdrawals.
/// The answer follows the precedence: config global, runtime global, config tenant,
/// runtime tenant; the first overlay that withdraws the tool is reported.
pub trait WithdrawalCheck {
    /// The overlay that withdraws `server`/`tool` for `tenant`, or `None` if the tool is
    /// not withdrawn.
    fn check(&self, server: &str, tool: &str, tenant: Option<&str>) -> Option<WithdrawnBy>;
}

impl<T: WithdrawalCheck + ?Sized> WithdrawalCheck for &T {
    fn check(&self, server: &str, tool: &str, tenant: Option<&str>) -> Option<WithdrawnBy> {
        (**self).check(server, tool, tenant)
    }
}

impl<T: WithdrawalCheck + ?Sized> WithdrawalCheck for Arc<T> {
    fn check(&self, server: &str, tool: &str, tenant: Option<&str>) -> Option<WithdrawnBy> {
        (**self).check(server, tool, tenant)
    }
}

/// A YAML mapping key as the config reference writes it: bare when it is a plain word,
/// double-quoted otherwise (`payments`, `"tenant:a"`).
struct YamlKey<'a>(&'a str);

impl fmt::Display for YamlKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = !self.0.is_empty()
            && self
                .0
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if plain {
            f.write_str(self.0)
        } else {
            write!(f, "{:?}", self.0)
        }
    }
}

/// A Unix time in milliseconds, displayed as RFC 3339 UTC: `2026-05-09T07:33:22.123Z`.
pub(crate) struct UnixMs(pub(crate) u64);

impl fmt::Display for UnixMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match i64::try_from(self.0)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
        {
            Some(time) => f.write_str(&time.to_rfc3339_opts(SecondsFormat::Millis, true)),
            // Past chrono's range (year 262 142) there is no calendar date to show.
            None => write!(f, "{} ms after 1970-01-01T00:00:00Z", self.0),
        }
    }
}
