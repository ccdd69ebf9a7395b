//! The config overlay: `tool_projection` withdrawals declared in the config file.

use std::sync::Arc;

use hangar_policy::Pattern;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::{Error, Result, WithdrawalCheck, WithdrawnBy};

/// The characters that make a pattern a glob (the same set `hangar_policy::Pattern` treats
/// as metacharacters); a pattern without any is an exact name and is looked up by hash.
const GLOB_META: &[char] = &['*', '?', '[', ']', '{', '}', '\\'];

/// The withdrawals one scope declares for one server.
#[derive(Debug, Clone, Default)]
struct PatternSet {
    /// Exact names (the pattern is the name).
    exact: FxHashSet<Arc<str>>,
    /// Globs, in the order written.
    globs: Vec<(Pattern, Arc<str>)>,
}

impl PatternSet {
    /// The pattern that withdraws `tool`: an exact entry first, then the first glob.
    fn matching(&self, tool: &str) -> Option<&Arc<str>> {
        if let Some(pattern) = self.exact.get(tool) {
            return Some(pattern);
        }
        self.globs
            .iter()
            .find(|(glob, _)| glob.matches(tool))
            .map(|(_, source)| source)
    }

    fn add(&mut self, pattern: Pattern, source: &Arc<str>) -> bool {
        if source.contains(GLOB_META) {
            if self.globs.iter().any(|(_, known)| known == source) {
                return false;
            }
            self.globs.push((pattern, source.clone()));
            true
        } else {
            self.exact.insert(source.clone())
        }
    }
}

/// One entry as declared.
#[derive(Debug, Clone)]
struct Entry {
    server: Arc<str>,
    pattern: Arc<str>,
    tenant: Option<Arc<str>>,
}

/// The config-declared withdrawals (`mcp_servers.<server>.tool_projection.withdrawn` and
/// `…tenant_overrides.<tenant>.withdrawn`), validated and indexed. Immutable: a config
/// reload builds a new one and hands it to [`Overlays::replace_config`](crate::Overlays::replace_config).
///
/// Patterns are `hangar_policy::Pattern` globs (`legacy_charge`, `beta_*`). Exact names are
/// found by one hash lookup; globs are tried in the order written.
///
/// ```
/// use hangar_projection::{ConfigWithdrawals, WithdrawalCheck};
///
/// let config = ConfigWithdrawals::new([
///     ("payments", "legacy_charge", None),
///     ("payments", "beta_*", Some("tenant:a")),
/// ])?;
/// assert!(config.check("payments", "legacy_charge", Some("tenant:b")).is_some());
/// assert!(config.check("payments", "beta_tool", Some("tenant:a")).is_some());
/// assert!(config.check("payments", "beta_tool", Some("tenant:b")).is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConfigWithdrawals {
    /// server → patterns withdrawn for every tenant.
    global: FxHashMap<Arc<str>, PatternSet>,
    /// tenant → server → patterns withdrawn for that tenant.
    tenants: FxHashMap<Arc<str>, FxHashMap<Arc<str>, PatternSet>>,
    /// Every distinct entry, in the order given.
    entries: Vec<Entry>,
}

impl ConfigWithdrawals {
    /// Validates and indexes `(server, pattern, tenant)` entries; `tenant` = `None` withdraws
    /// for every tenant. Repeated entries count once.
    ///
    /// The config crate's `Config::withdrawals()` maps onto this with
    /// `.map(|w| (w.server, w.pattern, w.tenant))`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPattern`] for a pattern `hangar_policy::Pattern` rejects, and
    /// [`Error::InvalidWithdrawal`] for an empty server or tenant name.
    pub fn new<'a, I>(entries: I) -> Result<Self>
    where
        I: IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
    {
        let mut this = Self::default();
        let mut names = FxHashSet::default();
        for (server, pattern, tenant) in entries {
            this.add(&mut names, server, pattern, tenant)?;
        }
        Ok(this)
    }

    fn add(
        &mut self,
        names: &mut FxHashSet<Arc<str>>,
        server: &str,
        pattern: &str,
        tenant: Option<&str>,
    ) -> Result<()> {
        let invalid = |reason| Error::InvalidWithdrawal {
            server: server.to_owned(),
            pattern: pattern.to_owned(),
            reason,
        };
        if server.is_empty() {
            return Err(invalid("empty server name"));
        }
        if tenant == Some("") {
            return Err(invalid("empty tenant name"));
        }
        let compiled = Pattern::new(pattern).map_err(|source| Error::InvalidPattern {
            server: server.to_owned(),
            pattern: pattern.to_owned(),
            source,
        })?;
        let server = intern(names, server);
        let source: Arc<str> = pattern.into();
        let tenant = tenant.map(|tenant| intern(names, tenant));
        let set = match &tenant {
            None => self.global.entry(server.clone()).or_default(),
            Some(tenant) => self
                .tenants
                .entry(tenant.clone())
                .or_default()
                .entry(server.clone())
                .or_default(),
        };
        if set.add(compiled, &source) {
            self.entries.push(Entry {
                server,
                pattern: source,
                tenant,
            });
        }
        Ok(())
    }

    /// No withdrawal declared.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many distinct entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Every entry, in the order declared, as the [`WithdrawnBy`] a matching tool reports.
    pub fn iter(&self) -> impl Iterator<Item = WithdrawnBy> + '_ {
        self.entries.iter().map(|entry| match &entry.tenant {
            None => WithdrawnBy::ConfigGlobal {
                server: entry.server.clone(),
                pattern: entry.pattern.clone(),
            },
            Some(tenant) => WithdrawnBy::ConfigTenant {
                server: entry.server.clone(),
                tenant: tenant.clone(),
                pattern: entry.pattern.clone(),
            },
        })
    }

    pub(crate) fn check_global(&self, server: &str, tool: &str) -> Option<WithdrawnBy> {
        if self.global.is_empty() {
            return None;
        }
        let (server, set) = self.global.get_key_value(server)?;
        let pattern = set.matching(tool)?;
        Some(WithdrawnBy::ConfigGlobal {
            server: server.clone(),
            pattern: pattern.clone(),
        })
    }

    pub(crate) fn check_tenant(
        &self,
        server: &str,
        tool: &str,
        tenant: &str,
    ) -> Option<WithdrawnBy> {
        if self.tenants.is_empty() {
            return None;
        }
        let (tenant, servers) = self.tenants.get_key_value(tenant)?;
        let (server, set) = servers.get_key_value(server)?;
        let pattern = set.matching(tool)?;
        Some(WithdrawnBy::ConfigTenant {
            server: server.clone(),
            tenant: tenant.clone(),
            pattern: pattern.clone(),
        })
    }
}

/// One shared allocation per distinct server or tenant name.
fn intern(names: &mut FxHashSet<Arc<str>>, name: &str) -> Arc<str> {
    if let Some(known) = names.get(name) {
        return known.clone();
    }
    let name: Arc<str> = name.into();
    names.insert(name.clone());
    name
}

impl WithdrawalCheck for ConfigWithdrawals {
    /// Config global first, then the tenant's overrides.
    fn check(&self, server: &str, tool: &str, tenant: Option<&str>) -> Option<WithdrawnBy> {
        self.check_global(server, tool)
            .or_else(|| self.check_tenant(server, tool, tenant?))
    }
}
