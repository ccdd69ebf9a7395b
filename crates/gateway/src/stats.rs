//! Counters kept for `GET /api/admin/stats` (and a future metrics endpoint): atomics and
//! two small maps behind a mutex; no metrics dependency.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

/// Distinct tools / tenants counted at most; past it new names count under `"(other)"`.
const MAX_KEYS: usize = 10_000;

#[derive(Debug)]
pub(crate) struct Stats {
    started: Instant,
    requests: AtomicU64,
    tool_calls: AtomicU64,
    denials: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    per: Mutex<PerName>,
}

#[derive(Debug, Default)]
struct PerName {
    tools: BTreeMap<String, u64>,
    tenants: BTreeMap<String, u64>,
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    if let Some(count) = map.get_mut(key) {
        *count += 1;
    } else if map.len() < MAX_KEYS {
        map.insert(key.to_owned(), 1);
    } else {
        *map.entry("(other)".to_owned()).or_default() += 1;
    }
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            requests: AtomicU64::new(0),
            tool_calls: AtomicU64::new(0),
            denials: AtomicU64::new(0),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            per: Mutex::default(),
        }
    }
}

impl Stats {
    /// One HTTP request on `/mcp`.
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// One `tools/call` routed to a back end (`tenant`: the caller's, `None` anonymous).
    pub(crate) fn tool_call(&self, tool: &str, tenant: Option<&str>) {
        self.tool_calls.fetch_add(1, Ordering::Relaxed);
        let mut per = self.per.lock().unwrap_or_else(PoisonError::into_inner);
        bump(&mut per.tools, tool);
        bump(&mut per.tenants, tenant.unwrap_or("(none)"));
    }

    /// One hidden-existence answer (`Unknown tool`: unknown, denied or withdrawn).
    pub(crate) fn denial(&self) {
        self.denials.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reload(&self, ok: bool) {
        let counter = if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reloads_failed(&self) -> u64 {
        self.reloads_failed.load(Ordering::Relaxed)
    }

    pub(crate) fn report(&self) -> StatsReport {
        let per = self.per.lock().unwrap_or_else(PoisonError::into_inner);
        StatsReport {
            uptime_seconds: self.started.elapsed().as_secs(),
            requests_total: self.requests.load(Ordering::Relaxed),
            tool_calls_total: self.tool_calls.load(Ordering::Relaxed),
            tool_calls_by_tool: per.tools.clone(),
            tool_calls_by_tenant: per.tenants.clone(),
            denials: self.denials.load(Ordering::Relaxed),
            reloads: Reloads {
                ok: self.reloads_ok.load(Ordering::Relaxed),
                failed: self.reloads_failed.load(Ordering::Relaxed),
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
