//! The policy's input: modes, tool rules and server policies.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The gateway topology, which decides what happens when no rule speaks.
///
/// Text form (`Display`, `FromStr`, serde): `egress` or `front_door`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Mode {
    /// Trusted callers (default): a server without rules allows everything.
    #[default]
    Egress,
    /// Untrusted agents; fail-closed: no tenant, no server policy or no grant means deny.
    FrontDoor,
}

impl Mode {
    /// The text form: `egress` or `front_door`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Egress => "egress",
            Self::FrontDoor => "front_door",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "egress" => Ok(Self::Egress),
            "front_door" => Ok(Self::FrontDoor),
            other => Err(Error::invalid_value(format!(
                "unknown mode {other:?} (expected \"egress\" or \"front_door\")"
            ))),
        }
    }
}

/// What a tenant named by no member or group rule of a server receives.
///
/// Text form (`Display`, `FromStr`, serde): `server_policy` or `deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum UnlistedTenants {
    /// The server-level `tools` grant (default). In front_door a server with no `tools`
    /// block grants nothing; in egress it grants everything.
    #[default]
    ServerPolicy,
    /// Nothing: deny unless a member or group rule names the tenant.
    Deny,
}

impl UnlistedTenants {
    /// The text form: `server_policy` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServerPolicy => "server_policy",
            Self::Deny => "deny",
        }
    }
}

impl fmt::Display for UnlistedTenants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UnlistedTenants {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "server_policy" => Ok(Self::ServerPolicy),
            "deny" => Ok(Self::Deny),
            other => Err(Error::invalid_value(format!(
                "unknown unlisted_tenants value {other:?} (expected \"server_policy\" or \"deny\")"
            ))),
        }
    }
}

/// The allow and deny lists of one scope. Entries are [`Pattern`](crate::Pattern)s
/// (exact names or globs), validated when the policy is built.
///
/// No allow list means every tool the wider scopes allow; an empty allow list means none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct ToolRules {
    pub(crate) allow_list: Option<Vec<String>>,
    pub(crate) deny_list: Vec<String>,
}

impl ToolRules {
    /// No allow list, no deny list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the allow list (patterns).
    pub fn allow<I: IntoIterator<Item = S>, S: Into<String>>(mut self, patterns: I) -> Self {
        self.allow_list = Some(patterns.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the deny list (patterns).
    pub fn deny<I: IntoIterator<Item = S>, S: Into<String>>(mut self, patterns: I) -> Self {
        self.deny_list = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// The allow list, if set.
    pub fn allow_list(&self) -> Option<&[String]> {
        self.allow_list.as_deref()
    }

    /// The deny list (empty if unset).
    pub fn deny_list(&self) -> &[String] {
        &self.deny_list
    }
}

/// The rules of one server (back end): server-level `tools`, tenant-group rules, member
/// (per-tenant) rules and the server's unlisted-tenant setting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerPolicy {
    pub(crate) tools: Option<ToolRules>,
    pub(crate) groups: Vec<(String, ToolRules)>,
    pub(crate) members: Vec<(String, ToolRules)>,
    pub(crate) unlisted_tenants: Option<UnlistedTenants>,
}

impl ServerPolicy {
    /// A server with no rules.
    pub fn new() -> Self {
        Self::default()
    }

    /// Server-level rules: bound every caller; in front_door also the grant to unlisted
    /// tenants.
    pub fn tools(mut self, rules: ToolRules) -> Self {
        self.tools = Some(rules);
        self
    }

    /// Rules for the members of a tenant group (defined with
    /// [`PolicyBuilder::group`](crate::PolicyBuilder::group)).
    pub fn group(mut self, group: impl Into<String>, rules: ToolRules) -> Self {
        self.groups.push((group.into(), rules));
        self
    }

    /// Rules for one tenant.
    pub fn member(mut self, tenant: impl Into<String>, rules: ToolRules) -> Self {
        self.members.push((tenant.into(), rules));
        self
    }

    /// Overrides the policy-wide default for unlisted tenants.
    pub fn unlisted_tenants(mut self, unlisted: UnlistedTenants) -> Self {
        self.unlisted_tenants = Some(unlisted);
        self
    }
}
