//! Rate limits (`rate_limits`) and per-back-end concurrency limits
//! (`mcp_servers.*.max_concurrency`).
//!
//! **Rates** are GCRA buckets from `governor` (requests per second, bursts of `burst`),
//! checked at two points:
//!
//! * per **source address**, in the router before anything else (before the `Origin`
//!   check and before authentication, so a flood of bad credentials is limited too), on
//!   `/mcp` (every method) and on the admin API — the admin API is limited per source
//!   only; `/health*` and `/.well-known/*` are not limited at all. The source is the TCP
//!   peer, or, when the peer is in `trusted_proxies`, the right-most address of
//!   `X-Forwarded-For` that is not itself a trusted proxy (a malformed entry reached on
//!   that walk makes the peer the source). IPv6 sources share a bucket per /64, the
//!   block one host usually holds;
//! * per **tenant** and per **subject**, right after authentication and before the body
//!   is read (an over-limit caller costs no buffering), on `POST`, `GET` and `DELETE
//!   /mcp`; with per-message auth, the message's own caller is checked too once the
//!   body is decoded. A tenant named in `tenants` has that rate instead of `per_tenant`;
//!   callers without a tenant are in no tenant bucket; the subject bucket is keyed by
//!   (issuer, subject), and anonymous callers have none (they share one subject, so
//!   they are limited per source only).
//!
//! A source in `allow_cidrs` skips every bucket. Over a limit the answer is `429` with
//! `Retry-After` (whole seconds, rounded up, at least 1); see `wire.rs` for the bodies.
//!
//! **Concurrency**: a back end with `max_concurrency` has a semaphore; a forwarded request
//! (`tools/call` in both modes, the prompts/resources/completion pass-through) takes a
//! permit without waiting and holds it until the back end answered. Without a free
//! permit the caller gets a JSON-RPC error at once (`-32000`, "Back end busy"), never a
//! queue.
//!
//! **Reload** builds a new [`Limits`] for the new snapshot, keeping every bucket store
//! and semaphore whose own setting did not change (a reload that touches nothing here
//! resets no one's bucket); a changed rate starts its buckets afresh. **Memory**: the
//! keyed stores grow with distinct keys; [`Gateway::sweep_limits`] drops, once a minute,
//! every key whose bucket is full again (indistinguishable from a new one) and shrinks the
//! maps, so distinct sources seen within about a minute bound the memory.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, NotUntil, Quota};
use hangar_config::{Config, IpNet, Rate, RateLimits};
use hangar_identity::{AuthMethod, CallerIdentity};
use hangar_mcp::Id;
use http::request::Parts;
use http::{HeaderMap, Request};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::methods::Exchange;
use crate::server::ConnectionInfo;
use crate::state::{Gateway, Snapshot};
use crate::wire::Failure;

/// How often idle bucket keys are dropped.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Which bucket refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The source address.
    Source,
    /// The caller's tenant.
    Tenant,
    /// The caller's subject.
    Subject,
}

impl Scope {
    const ALL: [Scope; 3] = [Scope::Source, Scope::Tenant, Scope::Subject];

    /// `source`, `tenant` or `subject` (the metric label, the error's `data.scope`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Tenant => "tenant",
            Self::Subject => "subject",
        }
    }
}

/// The refusals so far, kept across reloads.
///
/// For the metrics endpoint: export [`LimitCounters::rate_limited`] as
/// `mcp_gateway_rate_limited_total{scope}` and [`LimitCounters::backend_busy`] as
/// `mcp_gateway_backend_busy_total{server}` (reach them with [`Gateway::limit_counters`]).
#[derive(Debug, Default)]
pub(crate) struct LimitCounters {
    rate_limited: [AtomicU64; 3],
    busy: Mutex<BTreeMap<String, u64>>,
}

impl LimitCounters {
    /// `(scope, requests refused)` for `source`, `tenant` and `subject`.
    pub(crate) fn rate_limited(&self) -> [(&'static str, u64); 3] {
        Scope::ALL.map(|scope| {
            let count = self.rate_limited[scope as usize].load(Ordering::Relaxed);
            (scope.as_str(), count)
        })
    }

    /// `(server, requests refused as busy)` for every back end that refused one.
    pub(crate) fn backend_busy(&self) -> Vec<(String, u64)> {
        let busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        busy.iter().map(|(name, &n)| (name.clone(), n)).collect()
    }

    fn count_limited(&self, scope: Scope) {
        self.rate_limited[scope as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn count_busy(&self, server: &str) {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        match busy.get_mut(server) {
            Some(count) => *count += 1,
            None => {
                busy.insert(server.to_owned(), 1);
            }
        }
    }
}

/// Where a request came from, as the rate limits see it; put into the request's
/// extensions by [`admit_source`] (only when `rate_limits` is configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Source {
    /// The client's address (the peer, or what a trusted proxy forwarded).
    pub(crate) address: IpAddr,
    /// The address is in `allow_cidrs`: no limit applies.
    pub(crate) exempt: bool,
}

/// One limiter with the rate it was built for (so a reload can keep it).
struct Held<T> {
    rate: Rate,
    limiter: Arc<T>,
}

impl<T> Held<T> {
    /// The previous limiter when its rate is unchanged, else a new one.
    fn new(rate: Rate, previous: Option<&Held<T>>, build: fn(Quota) -> T) -> Self {
        let limiter = match previous {
            Some(previous) if previous.rate == rate => Arc::clone(&previous.limiter),
            _ => Arc::new(build(quota(rate))),
        };
        Self { rate, limiter }
    }
}

type Keyed<K> = Held<DefaultKeyedRateLimiter<K>>;

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn keyed(rate: Rate, previous: Option<&Self>) -> Self {
        Self::new(rate, previous, DefaultKeyedRateLimiter::keyed)
    }

    /// Takes one request from `key`'s bucket, or says how long until one is free.
    fn check(&self, key: &K) -> Result<(), Duration> {
        self.limiter
            .check_key(key)
            .map_err(|not_until| wait(&not_until, self.limiter.clock()))
    }

    fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

impl Held<DefaultDirectRateLimiter> {
    fn direct(rate: Rate, previous: Option<&Self>) -> Self {
        Self::new(rate, previous, DefaultDirectRateLimiter::direct)
    }

    fn check(&self) -> Result<(), Duration> {
        self.limiter
            .check()
            .map_err(|not_until| wait(&not_until, self.limiter.clock()))
    }
}

fn quota(rate: Rate) -> Quota {
    Quota::per_second(rate.requests_per_second).allow_burst(rate.burst)
}

fn wait(
    not_until: &NotUntil<<DefaultClock as governor::clock::Clock>::Instant>,
    clock: &DefaultClock,
) -> Duration {
    not_until.wait_time_from(clock.now())
}

/// `Retry-After`: whole seconds, rounded up, at least 1.
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    whole.max(1)
}

/// The per-subject key: (issuer, subject).
type SubjectKey = (Option<String>, String);

/// The `rate_limits` section, compiled.
struct Rates {
    per_source: Option<Keyed<IpAddr>>,
    per_tenant: Option<Keyed<String>>,
    per_subject: Option<Keyed<SubjectKey>>,
    tenants: HashMap<String, Held<DefaultDirectRateLimiter>>,
    allow_cidrs: Vec<IpNet>,
    trusted_proxies: Vec<IpNet>,
}

impl Rates {
    fn new(section: &RateLimits, previous: Option<&Rates>) -> Self {
        Self {
            per_source: section
                .per_source
                .map(|rate| Keyed::keyed(rate, previous.and_then(|p| p.per_source.as_ref()))),
            per_tenant: section
                .per_tenant
                .map(|rate| Keyed::keyed(rate, previous.and_then(|p| p.per_tenant.as_ref()))),
            per_subject: section
                .per_subject
                .map(|rate| Keyed::keyed(rate, previous.and_then(|p| p.per_subject.as_ref()))),
            tenants: section
                .tenants
                .iter()
                .map(|(tenant, &rate)| {
                    let kept = previous.and_then(|p| p.tenants.get(tenant));
                    (tenant.clone(), Held::direct(rate, kept))
                })
                .collect(),
            allow_cidrs: section.allow_cidrs.clone(),
            trusted_proxies: section.trusted_proxies.clone(),
        }
    }

    fn source(&self, peer: IpAddr, headers: &HeaderMap) -> Source {
        let address = client_address(peer, headers, &self.trusted_proxies);
        Source {
            address,
            exempt: contains(&self.allow_cidrs, address),
        }
    }

    fn check_caller(&self, caller: &CallerIdentity) -> Result<(), (Scope, Duration)> {
        if let Some(tenant) = caller.tenant_id.as_deref() {
            let checked = match (self.tenants.get(tenant), &self.per_tenant) {
                (Some(own), _) => own.check(),
                (None, Some(every)) => every.check(&tenant.to_owned()),
                (None, None) => Ok(()),
            };
            checked.map_err(|wait| (Scope::Tenant, wait))?;
        }
        if let Some(per_subject) = &self.per_subject
            && !matches!(caller.method, AuthMethod::Anonymous)
        {
            let key = (caller.issuer.clone(), caller.subject.clone());
            per_subject
                .check(&key)
                .map_err(|wait| (Scope::Subject, wait))?;
        }
        Ok(())
    }

    fn sweep(&self) {
        if let Some(limiter) = &self.per_source {
            limiter.sweep();
        }
        if let Some(limiter) = &self.per_tenant {
            limiter.sweep();
        }
        if let Some(limiter) = &self.per_subject {
            limiter.sweep();
        }
    }
}

/// One back end's `max_concurrency`.
#[derive(Clone)]
struct Slots {
    max: NonZeroU32,
    semaphore: Arc<Semaphore>,
}

/// Every limit of one snapshot: the compiled `rate_limits` section, the back ends'
/// semaphores, and the counters (shared by every snapshot of the gateway).
pub(crate) struct Limits {
    rates: Option<Rates>,
    backends: HashMap<String, Slots>,
    counters: Arc<LimitCounters>,
}

impl fmt::Debug for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limits")
            .field("rate_limits", &self.rates.is_some())
            .field("backends", &self.backends.keys().collect::<Vec<_>>())
            .field("counters", &self.counters)
            .finish()
    }
}

impl Limits {
    /// The limits of `config`; from `previous` (the running snapshot's, on reload) every
    /// limiter and semaphore whose setting is unchanged, and the counters.
    pub(crate) fn new(config: &Config, previous: Option<&Limits>) -> Self {
        let rates = config
            .rate_limits
            .as_ref()
            .map(|section| Rates::new(section, previous.and_then(|p| p.rates.as_ref())));
        let backends = config
            .mcp_servers
            .iter()
            .filter_map(|server| {
                let max = server.max_concurrency?;
                let kept = previous
                    .and_then(|p| p.backends.get(&server.name))
                    .filter(|slots| slots.max == max);
                let slots = kept.cloned().unwrap_or_else(|| Slots {
                    max,
                    semaphore: Arc::new(Semaphore::new(max.get() as usize)),
                });
                Some((server.name.clone(), slots))
            })
            .collect();
        Self {
            rates,
            backends,
            counters: previous.map_or_else(Arc::default, |p| Arc::clone(&p.counters)),
        }
    }

    /// Drops idle keys from the keyed buckets and shrinks their maps.
    fn sweep(&self) {
        if let Some(rates) = &self.rates {
            rates.sweep();
        }
    }

    fn refused(&self, scope: Scope, wait: Duration, jsonrpc: bool, id: Option<Id>) -> Failure {
        self.counters.count_limited(scope);
        tracing::debug!(scope = scope.as_str(), ?wait, "rate limited");
        Failure::rate_limited(scope.as_str(), retry_after_seconds(wait), jsonrpc, id)
    }
}

/// The per-source check, in the router before anything else: resolves the request's
/// [`Source`] (kept in its extensions for the caller checks) and takes one request from
/// its bucket. `jsonrpc`: the refusal is a JSON-RPC error body (`/mcp`), else
/// `{"error","message"}` (the admin API).
pub(crate) fn admit_source<B>(
    gateway: &Gateway,
    request: &mut Request<B>,
    jsonrpc: bool,
) -> Result<(), Failure> {
    let snapshot = gateway.snapshot();
    let limits = &snapshot.limits;
    let Some(rates) = &limits.rates else {
        return Ok(());
    };
    let Some(peer) = request.extensions().get::<ConnectionInfo>().map(|c| c.peer) else {
        return Ok(());
    };
    let source = rates.source(peer.ip(), request.headers());
    request.extensions_mut().insert(source);
    match &rates.per_source {
        Some(per_source) if !source.exempt => per_source
            .check(&source_key(source.address))
            .map_err(|wait| limits.refused(Scope::Source, wait, jsonrpc, None)),
        _ => Ok(()),
    }
}

/// The per-tenant and per-subject checks for an authenticated `caller` (skipped when the
/// source is in `allow_cidrs`); `id`: the request's id when its body was read.
pub(crate) fn admit_caller(
    snapshot: &Snapshot,
    parts: &Parts,
    caller: &CallerIdentity,
    id: Option<&Id>,
) -> Result<(), Failure> {
    let limits = &snapshot.limits;
    let Some(rates) = &limits.rates else {
        return Ok(());
    };
    let exempt = match parts.extensions.get::<Source>() {
        Some(source) => source.exempt,
        None => parts
            .extensions
            .get::<ConnectionInfo>()
            .is_some_and(|c| rates.source(c.peer.ip(), &parts.headers).exempt),
    };
    if exempt {
        return Ok(());
    }
    rates
        .check_caller(caller)
        .map_err(|(scope, wait)| limits.refused(scope, wait, true, id.cloned()))
}

/// A slot of `server`'s `max_concurrency` for one forwarded request, held until the
/// permit drops (`None`: the back end has no limit); busy → the JSON-RPC error for `id`
/// (front_door does not name the back end: the flat surface hides server names).
pub(crate) fn backend_slot<'s>(
    exchange: &Exchange<'s>,
    id: &Id,
    server: &str,
) -> Result<Option<SemaphorePermit<'s>>, Failure> {
    let snapshot: &'s Snapshot = exchange.snapshot;
    let Some(slots) = snapshot.limits.backends.get(server) else {
        return Ok(None);
    };
    match slots.semaphore.try_acquire() {
        Ok(permit) => Ok(Some(permit)),
        Err(_) => {
            snapshot.limits.counters.count_busy(server);
            let named = exchange.names_back_ends();
            Err(Failure::backend_busy(id.clone(), named.then_some(server)))
        }
    }
}

impl Gateway {
    /// The rate-limit and busy counters (for `/metrics`).
    pub(crate) fn limit_counters(&self) -> Arc<LimitCounters> {
        Arc::clone(&self.snapshot().limits.counters)
    }

    /// Drops idle rate-limit keys every minute (see the module docs) until shutdown
    /// starts; `serve` runs it.
    pub(crate) async fn sweep_limits(self: Arc<Self>) {
        let mut stopping = self.stopping();
        let mut every = tokio::time::interval(SWEEP_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            tokio::select! {
                _ = every.tick() => self.snapshot().limits.sweep(),
                _ = stopping.changed() => return,
            }
        }
    }
}

/// The bucket key of a source: the address, or its /64 for IPv6.
fn source_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

fn contains(nets: &[IpNet], address: IpAddr) -> bool {
    nets.iter().any(|net| net.contains(&address))
}

/// The client's address: `peer`, unless `peer` is a trusted proxy; then `X-Forwarded-For`
/// (all its lines, one list) is walked from the right, skipping trusted proxies, to the
/// first address that is not one (all trusted: the left-most). A malformed entry met on
/// the way makes `peer` the answer.
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    if !contains(trusted, peer) {
        return peer;
    }
    let mut client = peer;
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(list) = value.to_str() else {
            return peer;
        };
        for entry in list.rsplit(',') {
            let Some(address) = forwarded_address(entry.trim()) else {
                return peer;
            };
            if !contains(trusted, address) {
                return address;
            }
            client = address;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, optionally with a port (`[v6]:port`,
/// `v4:port`) or in brackets.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let address = entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .or_else(|_| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .unwrap_or(entry)
                .parse::<IpAddr>()
        })
        .ok()?;
    Some(address.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    /// `(peer, X-Forwarded-For lines, trusted proxies, the client address)`.
    const CLIENTS: &[(&str, &[&str], &[&str], &str)] = &[
        // An untrusted peer is the client, whatever it forwards.
        ("127.0.0.1", &["203.0.113.7"], &["10.0.0.0/8"], "127.0.0.1"),
        // A trusted peer: the right-most untrusted address; the client's own forged entry
        // (left of it) is never read.
        (
            "127.0.0.1",
            &["198.51.100.1, 203.0.113.7, 10.0.0.2"],
            &["127.0.0.1/32", "10.0.0.0/8"],
            "203.0.113.7",
        ),
        // Several header lines are one list, in order.
        (
            "127.0.0.1",
            &["198.51.100.1", "203.0.113.7", "10.0.0.2, 10.0.0.3"],
            &["127.0.0.1/32", "10.0.0.0/8"],
            "203.0.113.7",
        ),
        // Every address trusted: the left-most; no header: the peer.
        (
            "127.0.0.1",
            &["10.0.0.9, 10.0.0.2"],
            &["127.0.0.0/8", "10.0.0.0/8"],
            "10.0.0.9",
        ),
        ("127.0.0.1", &[], &["127.0.0.1/32"], "127.0.0.1"),
        // Ports and brackets are tolerated.
        (
            "127.0.0.1",
            &["[2001:db8::1]:443, 203.0.113.9:8080"],
            &["127.0.0.1/32"],
            "203.0.113.9",
        ),
        (
            "127.0.0.1",
            &["[2001:db8::1]"],
            &["127.0.0.1/32"],
            "2001:db8::1",
        ),
        // A malformed entry reached on the walk makes the peer the client; one left of the
        // first untrusted address is never reached.
        (
            "127.0.0.1",
            &["203.0.113.7, not-an-address"],
            &["127.0.0.1/32"],
            "127.0.0.1",
        ),
        (
            "127.0.0.1",
            &["garbage, 203.0.113.7"],
            &["127.0.0.1/32"],
            "203.0.113.7",
        ),
        ("127.0.0.1", &[""], &["127.0.0.1/32"], "127.0.0.1"),
        // IPv4-mapped addresses are canonical, the peer's and the forwarded ones.
        (
            "::ffff:127.0.0.1",
            &["::ffff:203.0.113.7"],
            &["127.0.0.1/32"],
            "203.0.113.7",
        ),
    ];

    #[test]
    fn the_client_address_comes_from_trusted_proxies_only() {
        for &(peer, lines, trusted, client) in CLIENTS {
            let mut headers = HeaderMap::new();
            for line in lines {
                headers.append("x-forwarded-for", line.parse().expect("header value"));
            }
            let trusted: Vec<IpNet> = trusted.iter().map(|n| n.parse().expect("cidr")).collect();
            assert_eq!(
                client_address(ip(peer), &headers, &trusted),
                ip(client),
                "{peer} {lines:?}"
            );
        }
    }

    #[test]
    fn ipv6_sources_share_a_bucket_per_64() {
        assert_eq!(
            source_key(ip("2001:db8:1:2:aaaa::1")),
            source_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            source_key(ip("2001:db8:1:2::1")),
            source_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(source_key(ip("203.0.113.7")), ip("203.0.113.7"));
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_at_least_one() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(300)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(7)), 7);
    }

    fn rate(per_second: u32, burst: u32) -> Rate {
        Rate::new(
            NonZeroU32::new(per_second).expect("nonzero"),
            NonZeroU32::new(burst).expect("nonzero"),
        )
    }

    #[test]
    fn a_bucket_refuses_past_its_burst_and_says_how_long_to_wait() {
        let limiter = Keyed::<String>::keyed(rate(1, 2), None);
        let key = "tenant:a".to_owned();
        assert!(limiter.check(&key).is_ok());
        assert!(limiter.check(&key).is_ok());
        let wait = limiter.check(&key).expect_err("over the burst");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(
            limiter.check(&"tenant:b".to_owned()).is_ok(),
            "its own bucket"
        );
    }

    #[test]
    fn a_reload_keeps_the_buckets_of_unchanged_rates_only() {
        let first = Keyed::<String>::keyed(rate(1, 1), None);
        let same = Keyed::keyed(rate(1, 1), Some(&first));
        let changed = Keyed::keyed(rate(2, 1), Some(&first));
        assert!(Arc::ptr_eq(&first.limiter, &same.limiter));
        assert!(!Arc::ptr_eq(&first.limiter, &changed.limiter));
    }

    #[test]
    fn a_sweep_drops_only_keys_whose_bucket_is_full_again() {
        let limiter = Keyed::<IpAddr>::keyed(rate(1000, 1), None);
        for last in 0..=255u8 {
            assert!(limiter.check(&IpAddr::from([198, 51, 100, last])).is_ok());
        }
        assert_eq!(limiter.limiter.len(), 256);
        std::thread::sleep(Duration::from_millis(5));
        let slow = Keyed::<IpAddr>::keyed(rate(1, 5), None);
        assert!(slow.check(&ip("203.0.113.7")).is_ok());
        limiter.sweep();
        slow.sweep();
        assert_eq!(limiter.limiter.len(), 0, "1 ms buckets are full again");
        assert_eq!(slow.limiter.len(), 1, "a used 1/s bucket is kept");
    }
}
