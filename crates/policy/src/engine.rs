//! Building a policy, and its public face.

use std::fmt;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::compile::Server;
use crate::strmap::StrMap;
use crate::trace::{NoTrace, Recorder};
use crate::{Caller, Decision, Error, Explanation, Mode, ServerPolicy, UnlistedTenants};

/// Builds a [`Policy`]. Nothing is checked until [`build`](Self::build), which
/// validates every name and pattern and compiles the lookups.
#[derive(Debug)]
pub struct PolicyBuilder {
    mode: Mode,
    unlisted: UnlistedTenants,
    groups: Vec<(String, Vec<String>)>,
    servers: Vec<(String, ServerPolicy)>,
}

impl PolicyBuilder {
    /// Default for unlisted tenants on every server (a server may override it).
    /// [`UnlistedTenants::ServerPolicy`] unless set.
    pub fn unlisted_tenants(mut self, unlisted: UnlistedTenants) -> Self {
        self.unlisted = unlisted;
        self
    }

    /// Defines a tenant group: a name and the exact tenant ids that belong to it.
    pub fn group<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        name: impl Into<String>,
        tenants: I,
    ) -> Self {
        self.groups
            .push((name.into(), tenants.into_iter().map(Into::into).collect()));
        self
    }

    /// Adds a server's rules.
    pub fn server(mut self, name: impl Into<String>, policy: ServerPolicy) -> Self {
        self.servers.push((name.into(), policy));
        self
    }

    /// Validates and compiles.
    ///
    /// # Errors
    ///
    /// An invalid pattern, a group referenced by a server but never defined, a server,
    /// group or member defined twice, or an empty name. The message says where.
    pub fn build(self) -> Result<Policy, Error> {
        let mut groups: FxHashMap<&str, Vec<&str>> = FxHashMap::default();
        for (name, tenants) in &self.groups {
            if name.is_empty() {
                return Err(Error::empty_name("group name"));
            }
            let at = || format!("group {name:?}");
            if groups.contains_key(name.as_str()) {
                return Err(Error::duplicate(at()));
            }
            let mut members: Vec<&str> = Vec::with_capacity(tenants.len());
            for (i, tenant) in tenants.iter().enumerate() {
                if tenant.is_empty() {
                    return Err(
                        Error::empty_name("tenant id").at(format_args!("{}: tenants[{i}]", at()))
                    );
                }
                members.push(tenant);
            }
            members.sort_unstable();
            members.dedup();
            groups.insert(name, members);
        }

        let mut seen = FxHashSet::default();
        let mut servers = Vec::with_capacity(self.servers.len());
        for (name, policy) in &self.servers {
            if name.is_empty() {
                return Err(Error::empty_name("server name"));
            }
            if !seen.insert(name.as_str()) {
                return Err(Error::duplicate(format!("server {name:?}")));
            }
            let server = Server::compile(policy, self.unlisted, &groups)
                .map_err(|err| err.at(format_args!("server {name:?}")))?;
            servers.push((Box::<str>::from(name.as_str()), server));
        }
        servers.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(Policy {
            mode: self.mode,
            unlisted: self.unlisted,
            servers: StrMap::new(servers),
        })
    }
}

/// A compiled, immutable policy. Cheap to share (`Send + Sync`); [`decide`](Self::decide)
/// allocates nothing and costs the same however many tenants and tools there are.
#[derive(Debug)]
pub struct Policy {
    pub(crate) mode: Mode,
    unlisted: UnlistedTenants,
    /// Servers, sorted by name.
    pub(crate) servers: StrMap<Server>,
}

impl Policy {
    /// Starts a builder.
    pub fn builder(mode: Mode) -> PolicyBuilder {
        PolicyBuilder {
            mode,
            unlisted: UnlistedTenants::default(),
            groups: Vec::new(),
            servers: Vec::new(),
        }
    }

    /// The topology.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The policy-wide default for unlisted tenants.
    pub fn unlisted_tenants(&self) -> UnlistedTenants {
        self.unlisted
    }

    /// Decides whether `caller` may use `tool` on `server`.
    #[inline]
    pub fn decide<'p>(&'p self, caller: &Caller<'_>, server: &str, tool: &str) -> Decision<'p> {
        self.evaluate(caller, server, tool, &mut NoTrace)
    }

    /// Decides, and records every step on the way. Agrees with [`decide`](Self::decide).
    pub fn explain(&self, caller: &Caller<'_>, server: &str, tool: &str) -> Explanation {
        let mut recorder = Recorder::default();
        let decision = self.evaluate(caller, server, tool, &mut recorder);
        recorder.finish(decision)
    }

    /// Configured servers, sorted by name.
    pub fn servers(&self) -> impl Iterator<Item = &str> {
        self.servers.iter().map(|(name, _)| name)
    }

    /// Whether a member entry, or a group with rules on `server`, names `tenant`.
    pub fn is_listed(&self, server: &str, tenant: &str) -> bool {
        self.servers
            .get(server)
            .is_some_and(|(_, s)| s.listed(tenant).is_some())
    }
}

impl fmt::Display for Policy {
    /// A one-line summary: mode, unlisted default and server names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mode {}, unlisted_tenants {}, servers [",
            self.mode, self.unlisted
        )?;
        for (i, name) in self.servers().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{name}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests;
