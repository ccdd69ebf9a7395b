//! Admin RBAC: roles → permissions over admin actions, optionally confined to one tenant.
//!
//! | role | `read` | `mcp_servers:lifecycle` | `config:reload` |
//! |---|---|---|---|
//! | `admin` | yes | yes | yes |
//! | `operator` | yes | yes | no |
//! | `viewer` | yes | no | no |
//!
//! A caller's roles come from its API key (`roles`) or its token (the `roles_claim`). A
//! role is written `operator` (every tenant) or `operator@tenant:b` (confined to
//! `tenant:b`). A caller that itself belongs to a tenant (a key's `tenant_id`, a token's
//! tenant claim) has every role confined to that tenant, and a role confined to another
//! tenant is ignored. A confined role never allows a global action (target `None`:
//! reload, start/stop, a withdrawal for every tenant). Unknown roles grant nothing.

use std::fmt;

use crate::{CallerIdentity, Rejection};

/// An admin action class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum Permission {
    /// `read`: list and show servers, tools, withdrawals, surfaces, stats.
    #[serde(rename = "read")]
    Read,
    /// `mcp_servers:lifecycle`: withdraw / restore tools, start / stop servers.
    #[serde(rename = "mcp_servers:lifecycle")]
    McpServersLifecycle,
    /// `config:reload`: reload the configuration.
    #[serde(rename = "config:reload")]
    ConfigReload,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Self; 3] = [Self::Read, Self::McpServersLifecycle, Self::ConfigReload];

    /// The name used in documentation, logs and answers (`mcp_servers:lifecycle`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::McpServersLifecycle => "mcp_servers:lifecycle",
            Self::ConfigReload => "config:reload",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A built-in admin role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// `admin`: every permission.
    Admin,
    /// `operator`: `read` and `mcp_servers:lifecycle`.
    Operator,
    /// `viewer`: `read`.
    Viewer,
}

impl Role {
    /// The role called `name` (exact, lowercase), if it is a built-in one.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "admin" => Some(Self::Admin),
            "operator" => Some(Self::Operator),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Operator => "operator",
            Self::Viewer => "viewer",
        }
    }

    /// The permissions the role grants.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Self::Admin => &Permission::ALL,
            Self::Operator => &[Permission::Read, Permission::McpServersLifecycle],
            Self::Viewer => &[Permission::Read],
        }
    }
}

/// One role a caller holds, and the tenant it is confined to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// `Some(tenant)`: the role acts on that tenant only.
    pub tenant: Option<String>,
}

impl Grant {
    /// Whether this grant allows `permission` on `target` (`None`: a global action).
    pub fn allows(&self, permission: Permission, target: Option<&str>) -> bool {
        self.role.permissions().contains(&permission)
            && match &self.tenant {
                None => true,
                Some(tenant) => target == Some(tenant.as_str()),
            }
    }
}

/// The grants of a caller (unknown roles and roles confined to a foreign tenant left out).
pub fn grants(caller: &CallerIdentity) -> Vec<Grant> {
    caller
        .roles
        .iter()
        .filter_map(|written| {
            let (name, confined) = match written.split_once('@') {
                Some((name, tenant)) => (name, Some(tenant)),
                None => (written.as_str(), None),
            };
            let role = Role::parse(name)?;
            let tenant = match (caller.tenant_id.as_deref(), confined) {
                (Some(own), Some(confined)) if own != confined => return None,
                (Some(own), _) => Some(own.to_owned()),
                (None, Some("")) => return None,
                (None, confined) => confined.map(str::to_owned),
            };
            Some(Grant { role, tenant })
        })
        .collect()
}

/// Whether `caller` may do an action needing `permission` on `target` (a tenant, or
/// `None` for a global action).
///
/// # Errors
///
/// [`Rejection::PermissionDenied`] (403) when no grant allows it.
pub fn authorize(
    caller: &CallerIdentity,
    permission: Permission,
    target: Option<&str>,
) -> Result<(), Rejection> {
    if grants(caller).iter().any(|g| g.allows(permission, target)) {
        Ok(())
    } else {
        Err(Rejection::PermissionDenied { permission })
    }
}

#[cfg(test)]
mod tests;
