//! The policy's output: callers, scopes, rules, decisions and explanations.

use std::fmt;

/// Who is asking: an authenticated tenant, or nobody.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Caller<'a> {
    pub(crate) tenant: Option<&'a str>,
}

impl<'a> Caller<'a> {
    /// A caller with a tenant.
    pub fn tenant(tenant: &'a str) -> Self {
        Self {
            tenant: Some(tenant),
        }
    }

    /// A caller without a tenant.
    pub fn anonymous() -> Self {
        Self { tenant: None }
    }

    /// The tenant, if any.
    pub fn tenant_id(&self) -> Option<&'a str> {
        self.tenant
    }
}

/// The scope a rule belongs to, widest ([`Scope::Server`]) to narrowest
/// ([`Scope::Member`]).
///
/// Displays as `server tools`, `group "ops"`, `member "tenant:a"` or `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope<'p> {
    /// The server-level `tools` rules.
    Server,
    /// A tenant group's rules on the server.
    Group {
        /// The group's name.
        group: &'p str,
    },
    /// The tenant's member entry.
    Member {
        /// The tenant id.
        tenant: &'p str,
    },
    /// No rule at all (egress default).
    Default,
}

impl fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Server => f.write_str("server tools"),
            Self::Group { group } => write!(f, "group {group:?}"),
            Self::Member { tenant } => write!(f, "member {tenant:?}"),
            Self::Default => f.write_str("default"),
        }
    }
}

/// The rule that decided. Displays as a human reason, e.g.
/// `denied by deny_list of member "tenant:a" (pattern "refund")`.
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
    Deny {
        /// Where the deny list is.
        scope: Scope<'p>,
        /// The first pattern of the list that matched.
        pattern: &'p str,
    },
    /// An allow list exists at this scope and did not match.
    NotAllowed {
        /// Where the allow list is.
        scope: Scope<'p>,
    },
    /// Allowed; the narrowest scope that granted, and the allow pattern that matched if any.
    Allow {
        /// The narrowest scope that applied to the caller.
        scope: Scope<'p>,
        /// The allow pattern that matched at that scope, if it has an allow list.
        pattern: Option<&'p str>,
    },
}

impl<'p> Rule<'p> {
    /// A stable snake_case name for the kind of rule (for audit records and metrics):
    /// `no_tenant`, `unknown_server`, `unlisted_tenant`, `deny`, `not_allowed`, `allow`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoTenant => "no_tenant",
            Self::UnknownServer => "unknown_server",
            Self::UnlistedTenant => "unlisted_tenant",
            Self::Deny { .. } => "deny",
            Self::NotAllowed { .. } => "not_allowed",
            Self::Allow { .. } => "allow",
        }
    }

    /// The scope of the rule, if it has one.
    pub fn scope(&self) -> Option<Scope<'p>> {
        match *self {
            Self::Deny { scope, .. } | Self::NotAllowed { scope } | Self::Allow { scope, .. } => {
                Some(scope)
            }
            Self::NoTenant | Self::UnknownServer | Self::UnlistedTenant => None,
        }
    }

    /// The pattern that matched, if any.
    pub fn pattern(&self) -> Option<&'p str> {
        match *self {
            Self::Deny { pattern, .. } => Some(pattern),
            Self::Allow { pattern, .. } => pattern,
            _ => None,
        }
    }
}

impl fmt::Display for Rule<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoTenant => f.write_str("no authenticated tenant (front_door fails closed)"),
            Self::UnknownServer => {
                f.write_str("the server has no tool-access policy (front_door fails closed)")
            }
            Self::UnlistedTenant => f.write_str(
                "tenant is named by no member or group rule \
                 and the server grants nothing to unlisted tenants",
            ),
            Self::Deny { scope, pattern } => {
                write!(f, "denied by deny_list of {scope} (pattern {pattern:?})")
            }
            Self::NotAllowed { scope } => write!(f, "not in allow_list of {scope}"),
            Self::Allow {
                scope: Scope::Default,
                ..
            } => f.write_str("allowed: no rule restricts it (egress default)"),
            Self::Allow {
                scope,
                pattern: Some(pattern),
            } => {
                write!(f, "allowed by allow_list of {scope} (pattern {pattern:?})")
            }
            Self::Allow {
                scope,
                pattern: None,
            } => {
                write!(
                    f,
                    "allowed by {scope} (no allow_list there, no deny_list matched)"
                )
            }
        }
    }
}

/// A verdict and the rule behind it. Borrows names from the [`Policy`](crate::Policy);
/// making one allocates nothing.
///
/// Displays as `allow: …` or `deny: …` followed by the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'p> {
    pub(crate) rule: Rule<'p>,
}

impl<'p> Decision<'p> {
    /// Allowed?
    pub fn is_allowed(&self) -> bool {
        matches!(self.rule, Rule::Allow { .. })
    }

    /// Denied?
    pub fn is_denied(&self) -> bool {
        !self.is_allowed()
    }

    /// The deciding rule.
    pub fn rule(&self) -> Rule<'p> {
        self.rule
    }
}

impl fmt::Display for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.is_allowed() { "allow" } else { "deny" };
        write!(f, "{verdict}: {}", self.rule)
    }
}

/// One step of an [`Explanation`]: a scope, what was checked there, and the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Step {
    pub(crate) scope: String,
    pub(crate) check: String,
    pub(crate) outcome: String,
}

impl Step {
    /// Where: `policy`, `caller`, `server "payments"`, `server tools`, `group "ops"`,
    /// `member "tenant:a"`, `decision`.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// What was checked: `mode`, `tenant`, `policy`, `listing`, `deny_list`,
    /// `allow_list`, `unlisted_tenants`, `verdict`, …
    pub fn check(&self) -> &str {
        &self.check
    }

    /// What came of it: `matched "refund"`, `no match`, `absent`, …
    pub fn outcome(&self) -> &str {
        &self.outcome
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.scope, self.check, self.outcome)
    }
}

/// The whole trace of a decision: every scope considered, what each list did, whether
/// the tenant is listed, and the verdict. Always agrees with
/// [`Policy::decide`](crate::Policy::decide).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Explanation {
    pub(crate) allowed: bool,
    pub(crate) rule: String,
    pub(crate) steps: Vec<Step>,
}

impl Explanation {
    /// Allowed?
    pub fn is_allowed(&self) -> bool {
        self.allowed
    }

    /// The deciding rule, as text (the [`Rule`]'s `Display`).
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The steps, in evaluation order; the last one is the verdict.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.allowed { "allow" } else { "deny" };
        write!(f, "{verdict}: {}", self.rule)?;
        for (i, step) in self.steps.iter().enumerate() {
            write!(f, "\n  {:>2}. {step}", i + 1)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
