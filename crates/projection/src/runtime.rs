//! The runtime overlay: exact (server, tool, tenant) withdrawals made through the admin API.

use std::fmt;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::WithdrawnBy;

/// What a runtime withdrawal applies to: one tool of one back end, for one tenant or
/// (`tenant` = `None`) for every tenant. Runtime withdrawals name exact tools, never globs.
///
/// Displays as `payments/refund for tenant "tenant:b"` or `payments/refund for all tenants`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct WithdrawalKey {
    server: String,
    tool: String,
    tenant: Option<String>,
}

impl WithdrawalKey {
    /// A key for `tenant`, or for every tenant when `tenant` is `None`.
    pub fn new(server: impl Into<String>, tool: impl Into<String>, tenant: Option<&str>) -> Self {
        Self {
            server: server.into(),
            tool: tool.into(),
            tenant: tenant.map(str::to_owned),
        }
    }

    /// A key for every tenant.
    pub fn global(server: impl Into<String>, tool: impl Into<String>) -> Self {
        Self {
            server: server.into(),
            tool: tool.into(),
            tenant: None,
        }
    }

    /// A key for one tenant.
    pub fn for_tenant(
        server: impl Into<String>,
        tool: impl Into<String>,
        tenant: impl Into<String>,
    ) -> Self {
        Self {
            server: server.into(),
            tool: tool.into(),
            tenant: Some(tenant.into()),
        }
    }

    /// The back end.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The tool, as the back end names it.
    pub fn tool(&self) -> &str {
        &self.tool
    }

    /// The tenant; `None` for every tenant.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
}

impl fmt::Display for WithdrawalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tenant {
            Some(tenant) => write!(f, "{}/{} for tenant {tenant:?}", self.server, self.tool),
            None => write!(f, "{}/{} for all tenants", self.server, self.tool),
        }
    }
}

/// One runtime withdrawal as the [`OverlayStore`](crate::OverlayStore) keeps it: the key,
/// who made it and when.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RuntimeWithdrawal {
    key: WithdrawalKey,
    actor: String,
    at_unix_ms: u64,
}

impl RuntimeWithdrawal {
    /// A withdrawal of `key` by `actor` at `at_unix_ms` (milliseconds since the Unix epoch).
    pub fn new(key: WithdrawalKey, actor: impl Into<String>, at_unix_ms: u64) -> Self {
        Self {
            key,
            actor: actor.into(),
            at_unix_ms,
        }
    }

    /// What is withdrawn.
    pub fn key(&self) -> &WithdrawalKey {
        &self.key
    }

    /// Who withdrew it (the admin API principal).
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// When, in milliseconds since the Unix epoch.
    pub fn at_unix_ms(&self) -> u64 {
        self.at_unix_ms
    }
}

/// Who and when, kept per entry.
#[derive(Debug, Clone)]
struct Stamp {
    actor: Arc<str>,
    at_unix_ms: u64,
}

/// The runtime withdrawals of one tool.
#[derive(Debug, Clone, Default)]
struct ToolEntry {
    global: Option<Stamp>,
    tenants: FxHashMap<Arc<str>, Stamp>,
}

impl ToolEntry {
    fn is_empty(&self) -> bool {
        self.global.is_none() && self.tenants.is_empty()
    }
}

type ServerEntries = FxHashMap<Arc<str>, ToolEntry>;

/// All runtime withdrawals, indexed server → tool → (global, tenants) so that a check is
/// two hash lookups, one when the server has none.
///
/// Copy-on-write per server: a change clones the map of servers (shallow) and the one
/// server it touches, so readers of an older snapshot are never disturbed.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuntimeOverlay {
    servers: FxHashMap<Arc<str>, Arc<ServerEntries>>,
    len: usize,
}

impl RuntimeOverlay {
    pub(crate) fn from_withdrawals(
        withdrawals: impl IntoIterator<Item = RuntimeWithdrawal>,
    ) -> Self {
        let mut overlay = Self::default();
        for withdrawal in withdrawals {
            overlay.insert(&withdrawal);
        }
        overlay
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds or replaces an entry; `true` if the key was new.
    pub(crate) fn insert(&mut self, withdrawal: &RuntimeWithdrawal) -> bool {
        let key = withdrawal.key();
        let stamp = Stamp {
            actor: withdrawal.actor().into(),
            at_unix_ms: withdrawal.at_unix_ms(),
        };
        let server = self.servers.entry(key.server().into()).or_default();
        let tools = Arc::make_mut(server);
        let entry = tools.entry(key.tool().into()).or_default();
        let new = match key.tenant() {
            None => entry.global.replace(stamp).is_none(),
            Some(tenant) => entry.tenants.insert(tenant.into(), stamp).is_none(),
        };
        if new {
            self.len += 1;
        }
        new
    }

    /// Removes an entry; the removed withdrawal, if there was one.
    pub(crate) fn remove(&mut self, key: &WithdrawalKey) -> Option<RuntimeWithdrawal> {
        let server = self.servers.get_mut(key.server())?;
        let entry = server.get(key.tool())?;
        let present = match key.tenant() {
            None => entry.global.is_some(),
            Some(tenant) => entry.tenants.contains_key(tenant),
        };
        if !present {
            return None;
        }
        let tools = Arc::make_mut(server);
        let entry = tools.get_mut(key.tool())?;
        let stamp = match key.tenant() {
            None => entry.global.take(),
            Some(tenant) => entry.tenants.remove(tenant),
        }?;
        if entry.is_empty() {
            tools.remove(key.tool());
        }
        if tools.is_empty() {
            self.servers.remove(key.server());
        }
        self.len -= 1;
        Some(RuntimeWithdrawal::new(
            key.clone(),
            &*stamp.actor,
            stamp.at_unix_ms,
        ))
    }

    /// The entry for exactly this key.
    pub(crate) fn get(&self, key: &WithdrawalKey) -> Option<RuntimeWithdrawal> {
        let entry = self.servers.get(key.server())?.get(key.tool())?;
        let stamp = match key.tenant() {
            None => entry.global.as_ref(),
            Some(tenant) => entry.tenants.get(tenant),
        }?;
        Some(RuntimeWithdrawal::new(
            key.clone(),
            &*stamp.actor,
            stamp.at_unix_ms,
        ))
    }

    /// The tool's entry, with the interned server and tool names.
    fn lookup(&self, server: &str, tool: &str) -> Option<(&Arc<str>, &Arc<str>, &ToolEntry)> {
        if self.servers.is_empty() {
            return None;
        }
        let (server, tools) = self.servers.get_key_value(server)?;
        let (tool, entry) = tools.get_key_value(tool)?;
        Some((server, tool, entry))
    }

    pub(crate) fn check_global(&self, server: &str, tool: &str) -> Option<WithdrawnBy> {
        let (server, tool, entry) = self.lookup(server, tool)?;
        let stamp = entry.global.as_ref()?;
        Some(WithdrawnBy::RuntimeGlobal {
            server: server.clone(),
            tool: tool.clone(),
            actor: stamp.actor.clone(),
            at_unix_ms: stamp.at_unix_ms,
        })
    }

    pub(crate) fn check_tenant(
        &self,
        server: &str,
        tool: &str,
        tenant: &str,
    ) -> Option<WithdrawnBy> {
        let (server, tool, entry) = self.lookup(server, tool)?;
        let (tenant, stamp) = entry.tenants.get_key_value(tenant)?;
        Some(WithdrawnBy::RuntimeTenant {
            server: server.clone(),
            tool: tool.clone(),
            tenant: tenant.clone(),
            actor: stamp.actor.clone(),
            at_unix_ms: stamp.at_unix_ms,
        })
    }

    /// Every entry, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = WithdrawnBy> + '_ {
        self.servers.iter().flat_map(|(server, tools)| {
            tools.iter().flat_map(move |(tool, entry)| {
                let global = entry
                    .global
                    .as_ref()
                    .map(|stamp| WithdrawnBy::RuntimeGlobal {
                        server: server.clone(),
                        tool: tool.clone(),
                        actor: stamp.actor.clone(),
                        at_unix_ms: stamp.at_unix_ms,
                    });
                let tenants =
                    entry
                        .tenants
                        .iter()
                        .map(move |(tenant, stamp)| WithdrawnBy::RuntimeTenant {
                            server: server.clone(),
                            tool: tool.clone(),
                            tenant: tenant.clone(),
                            actor: stamp.actor.clone(),
                            at_unix_ms: stamp.at_unix_ms,
                        });
                global.into_iter().chain(tenants)
            })
        })
    }
}
