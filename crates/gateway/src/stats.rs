//! `GET /api/admin/stats`: the gateway's counters since it started. The totals are the
//! metrics' own counters (`metrics.rs`: one source of truth for `/metrics` and this
//! answer); the per-tool and per-tenant counts, which `/metrics` does not keep (tool and
//! tenant labels would be unbounded), live here.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Instant;

use serde::Serialize;

use crate::metrics::{Endpoint, Metrics};

/// Distinct tools / tenants counted at most; past it new names count under `"(other)"`.
const MAX_KEYS: usize = 10_000;

#[derive(Debug)]
pub(crate) struct Stats {
    started: Instant,
    tools: NameCounts,
    tenants: NameCounts,
}

/// Counts by name: a read lock and an atomic add for a name seen before (the usual
/// case), the write lock only to add a name.
#[derive(Debug, Default)]
struct NameCounts {
    counts: RwLock<HashMap<Box<str>, AtomicU64>>,
}

impl NameCounts {
    fn bump(&self, name: &str) {
        {
            let counts = self.counts.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(count) = counts.get(name) {
                count.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        let mut counts = self.counts.write().unwrap_or_else(PoisonError::into_inner);
        let name = if counts.len() < MAX_KEYS || counts.contains_key(name) {
            name
        } else {
            "(other)"
        };
        counts
            .entry(name.into())
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }

    fn report(&self) -> BTreeMap<String, u64> {
        let counts = self.counts.read().unwrap_or_else(PoisonError::into_inner);
        counts
            .iter()
            .map(|(name, count)| (name.to_string(), count.load(Ordering::Relaxed)))
            .collect()
    }
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            tools: NameCounts::default(),
            tenants: NameCounts::default(),
        }
    }
}

impl Stats {
    /// One `tools/call` forwarded to a back end: `tool` is the back end's tool name,
    /// `tenant` the caller's (`None`: no tenant).
    pub(crate) fn tool_call(&self, tool: &str, tenant: Option<&str>) {
        self.tools.bump(tool);
        self.tenants.bump(tenant.unwrap_or("(none)"));
    }

    pub(crate) fn report(&self, metrics: &Metrics) -> StatsReport {
        StatsReport {
            uptime_seconds: self.started.elapsed().as_secs(),
            requests_total: metrics.requests(Endpoint::Mcp),
            tool_calls_total: metrics.tool_calls(),
            tool_calls_by_tool: self.tools.report(),
            tool_calls_by_tenant: self.tenants.report(),
            denials: metrics.tool_denials(),
            reloads: Reloads {
                ok: metrics.reloads_ok(),
                failed: metrics.reloads_failed(),
            },
        }
    }
}

/// The body of `GET /api/admin/stats`.
#[derive(Debug, Serialize)]
pub(crate) struct StatsReport {
    uptime_seconds: u64,
    requests_total: u64,
    tool_calls_total: u64,
    tool_calls_by_tool: BTreeMap<String, u64>,
    tool_calls_by_tenant: BTreeMap<String, u64>,
    denials: u64,
    reloads: Reloads,
}

#[derive(Debug, Serialize)]
struct Reloads {
    ok: u64,
    failed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_past_the_limit_count_under_other() {
        let counts = NameCounts::default();
        for i in 0..MAX_KEYS {
            counts.bump(&format!("tool-{i}"));
        }
        counts.bump("tool-0");
        counts.bump("one-too-many");
        counts.bump("another");
        let report = counts.report();
        assert_eq!(report.len(), MAX_KEYS + 1);
        assert_eq!(report["tool-0"], 2);
        assert_eq!(report["(other)"], 2);
        assert!(!report.contains_key("another"));
    }
}
