use crate::{Caller, Decision, Error, Explanation, Mode, ServerPolicy, UnlistedTenants};

/// Builds a [`Policy`].
#[derive(Debug)]
pub struct PolicyBuilder { mode: Mode }
impl PolicyBuilder {
    /// Default for unlisted tenants on every server.
    pub fn unlisted_tenants(self, unlisted: UnlistedTenants) -> Self { let _ = unlisted; todo!() }
    /// Defines a tenant group.
    pub fn group<I: IntoIterator<Item = S>, S: Into<String>>(self, name: impl Into<String>, tenants: I) -> Self { let _ = (name.into(), tenants); todo!() }
    /// Adds a server's rules.
    pub fn server(self, name: impl Into<String>, policy: ServerPolicy) -> Self { let _ = (name.into(), policy); todo!() }
    /// Compiles.
    pub fn build(self) -> Result<Policy, Error> { let _ = self.mode; todo!() }
}

/// A compiled, immutable policy.
#[derive(Debug)]
pub struct Policy { mode: Mode }
impl Policy {
    /// Starts a builder.
    pub fn builder(mode: Mode) -> PolicyBuilder { PolicyBuilder { mode } }
    /// The topology.
    pub fn mode(&self) -> Mode { self.mode }
    /// Decides.
    pub fn decide<'p>(&'p self, caller: &Caller<'_>, server: &str, tool: &str) -> Decision<'p> { let _ = (caller, server, tool); todo!() }
    /// Explains.
    pub fn explain(&self, caller: &Caller<'_>, server: &str, tool: &str) -> Explanation { let _ = (caller, server, tool); todo!() }
    /// Configured servers.
    pub fn servers(&self) -> impl Iterator<Item = &str> { std::iter::empty() }
}
