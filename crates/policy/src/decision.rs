/// Who is asking.
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller<'a> { pub(crate) tenant: Option<&'a str> }
impl<'a> Caller<'a> {
    /// A caller with a tenant.
    pub fn tenant(tenant: &'a str) -> Self { Self { tenant: Some(tenant) } }
    /// A caller without a tenant.
    pub fn anonymous() -> Self { Self { tenant: None } }
    /// The tenant, if any.
    pub fn tenant_id(&self) -> Option<&'a str> { self.tenant }
}

/// The scope a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope<'p> {
    /// The server-level `tools` rules.
    Server,
    /// A tenant group's rules on the server.
    Group { group: &'p str },
    /// The tenant's member entry.
    Member { tenant: &'p str },
    /// No rule at all (egress default).
    Default,
}

/// The rule that decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule<'p> {
    /// front_door and the caller has no tenant.
    NoTenant,
    /// front_door and the server has no policy.
    UnknownServer,
    /// The tenant is named by no rule and the server grants nothing to unlisted tenants.
    UnlistedTenant,
    /// A deny list matched.
    Deny { scope: Scope<'p>, pattern: &'p str },
    /// An allow list exists at this scope and did not match.
    NotAllowed { scope: Scope<'p> },
    /// Allowed; the narrowest scope that granted, and the allow pattern that matched if any.
    Allow { scope: Scope<'p>, pattern: Option<&'p str> },
}

/// A verdict and the rule behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'p> { pub(crate) rule: Rule<'p> }
impl<'p> Decision<'p> {
    /// Allowed?
    pub fn is_allowed(&self) -> bool { matches!(self.rule, Rule::Allow { .. }) }
    /// The deciding rule.
    pub fn rule(&self) -> Rule<'p> { self.rule }
}

/// One step of an explanation.
#[derive(Debug, Clone)]
pub struct Step { pub(crate) text: String }

/// The whole trace of a decision.
#[derive(Debug, Clone)]
pub struct Explanation { pub(crate) allowed: bool, pub(crate) rule: String, pub(crate) steps: Vec<Step> }
