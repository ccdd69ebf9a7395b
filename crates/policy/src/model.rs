use crate::Error;

/// Topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Mode {
    /// Trusted callers (default).
    #[default]
    Egress,
    /// Untrusted agents; fail-closed.
    FrontDoor,
}

/// What a tenant named by no member/group rule of a server receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum UnlistedTenants {
    /// The server-level `tools` grant (in front_door: nothing if the server has no `tools` block).
    #[default]
    ServerPolicy,
    /// Nothing: deny unless a member or group rule names the tenant.
    Deny,
}

/// A validated tool-name glob (`*`, `?`, `[abc]`, `{a,b}`), or an exact name.
#[derive(Debug, Clone)]
pub struct Pattern { pub(crate) source: Box<str> }
impl Pattern {
    /// Validates a pattern.
    pub fn new(pattern: &str) -> Result<Self, Error> { let _ = pattern; todo!() }
    /// The pattern as written.
    pub fn as_str(&self) -> &str { &self.source }
    /// Whether `tool` matches.
    pub fn matches(&self, tool: &str) -> bool { let _ = tool; todo!() }
}

/// Allow/deny lists of one scope. No allow list = every tool (of the wider scopes).
#[derive(Debug, Clone, Default)]
pub struct ToolRules {
    pub(crate) allow_list: Option<Vec<String>>,
    pub(crate) deny_list: Vec<String>,
}
impl ToolRules {
    /// No allow list, no deny list.
    pub fn new() -> Self { Self::default() }
    /// Sets the allow list (patterns).
    pub fn allow<I: IntoIterator<Item = S>, S: Into<String>>(mut self, patterns: I) -> Self {
        self.allow_list = Some(patterns.into_iter().map(Into::into).collect()); self
    }
    /// Sets the deny list (patterns).
    pub fn deny<I: IntoIterator<Item = S>, S: Into<String>>(mut self, patterns: I) -> Self {
        self.deny_list = patterns.into_iter().map(Into::into).collect(); self
    }
}

/// The rules of one server (back end).
#[derive(Debug, Clone, Default)]
pub struct ServerPolicy {
    pub(crate) tools: Option<ToolRules>,
    pub(crate) groups: Vec<(String, ToolRules)>,
    pub(crate) members: Vec<(String, ToolRules)>,
    pub(crate) unlisted_tenants: Option<UnlistedTenants>,
}
impl ServerPolicy {
    /// A server with no rules.
    pub fn new() -> Self { Self::default() }
    /// Server-level rules: bound every caller; in front_door also the grant to unlisted tenants.
    pub fn tools(mut self, rules: ToolRules) -> Self { self.tools = Some(rules); self }
    /// Rules for the members of a tenant group.
    pub fn group(mut self, group: impl Into<String>, rules: ToolRules) -> Self { self.groups.push((group.into(), rules)); self }
    /// Rules for one tenant.
    pub fn member(mut self, tenant: impl Into<String>, rules: ToolRules) -> Self { self.members.push((tenant.into(), rules)); self }
    /// Overrides the policy-wide default for unlisted tenants.
    pub fn unlisted_tenants(mut self, unlisted: UnlistedTenants) -> Self { self.unlisted_tenants = Some(unlisted); self }
}
