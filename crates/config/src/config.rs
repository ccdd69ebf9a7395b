//! The validated configuration and what other crates derive from it.

use std::path::PathBuf;

use hangar_policy::{Policy, ServerPolicy};

use crate::Error;
use crate::model::{
    Audit, Auth, ConfigWithdrawal, McpServer, Metrics, RateLimits, Tls, ToolAccess,
};

/// A loaded, validated Hangar configuration.
///
/// Load it with [`Config::load`], [`Config::load_with`] or [`Config::from_yaml_str`];
/// compile its tool-access rules with [`Config::policy`]; list its withdrawals with
/// [`Config::withdrawals`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// `data_dir`: where runtime state (withdrawal overlays, …) is kept. `None` when not
    /// configured (the gateway then uses `$XDG_DATA_HOME/mcp-hangar`). A relative path
    /// in a file is resolved against the file's directory.
    pub data_dir: Option<PathBuf>,
    /// `tool_access`.
    pub tool_access: ToolAccess,
    /// `auth`.
    pub auth: Auth,
    /// `mcp_servers`, in the order they are written.
    pub mcp_servers: Vec<McpServer>,
    /// `tls`: `Some` when `tls.enabled` (the listener speaks TLS).
    pub tls: Option<Tls>,
    /// `rate_limits`: `Some` when `rate_limits.enabled` (default true once the section
    /// is written).
    pub rate_limits: Option<RateLimits>,
    /// `audit`: `Some` when `audit.enabled`.
    pub audit: Option<Audit>,
    /// `metrics`.
    pub metrics: Metrics,
}

impl Config {
    /// The server called `name`.
    pub fn server(&self, name: &str) -> Option<&McpServer> {
        self.mcp_servers.iter().find(|s| s.name == name)
    }

    /// Compiles `tool_access` and every server's `tools` and `tool_access` into a
    /// policy. Every configured server is in the policy, even one without rules.
    ///
    /// # Errors
    ///
    /// [`Error::Policy`] if the policy engine rejects the rules (validation already
    /// checks patterns and group references, so this is not expected).
    pub fn policy(&self) -> Result<Policy, Error> {
        let mut builder = Policy::builder(self.tool_access.mode)
            .unlisted_tenants(self.tool_access.unlisted_tenants);
        for (group, tenants) in &self.tool_access.groups {
            builder = builder.group(group.clone(), tenants.iter().cloned());
        }
        for server in &self.mcp_servers {
            let mut policy = ServerPolicy::new();
            if let Some(tools) = &server.tools {
                policy = policy.tools(tools.to_rules());
            }
            for (group, rules) in &server.tool_access.groups {
                policy = policy.group(group.clone(), rules.to_rules());
            }
            for (tenant, rules) in &server.tool_access.member {
                policy = policy.member(tenant.clone(), rules.to_rules());
            }
            if let Some(unlisted) = server.tool_access.unlisted_tenants {
                policy = policy.unlisted_tenants(unlisted);
            }
            builder = builder.server(server.name.clone(), policy);
        }
        builder.build().map_err(Error::Policy)
    }

    /// Every config-declared withdrawal (`tool_projection`), server by server in file
    /// order: first the server's `withdrawn` patterns (tenant `None`), then its
    /// `tenant_overrides` by tenant.
    pub fn withdrawals(&self) -> impl Iterator<Item = ConfigWithdrawal<'_>> {
        self.mcp_servers.iter().flat_map(|server| {
            let projection = &server.tool_projection;
            let global = projection
                .withdrawn
                .iter()
                .map(move |pattern| ConfigWithdrawal {
                    server: &server.name,
                    pattern,
                    tenant: None,
                });
            let per_tenant =
                projection
                    .tenant_overrides
                    .iter()
                    .flat_map(move |(tenant, overrides)| {
                        overrides
                            .withdrawn
                            .iter()
                            .map(move |pattern| ConfigWithdrawal {
                                server: &server.name,
                                pattern,
                                tenant: Some(tenant.as_str()),
                            })
                    });
            global.chain(per_tenant)
        })
    }
}
