//! The gateway's state: an immutable snapshot (config, compiled policy, authenticator,
//! back ends) behind an atomic pointer, the back ends' tool catalog (and their prompt
//! and resource lists, `passthrough::Listings`), the withdrawal overlays, the
//! per-tenant surface cache and the sessions.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use hangar_config::Config;
use hangar_identity::{Authenticator, HttpClient};
use hangar_policy::{Caller, Mode, Policy};
use hangar_projection::{
    Catalog, ConfigWithdrawals, MemoryOverlayStore, OverlayStore, Overlays, RedbOverlayStore,
    Surface, SurfaceReport, surface, visible_surface,
};
use serde_json::value::RawValue;
use tokio::sync::watch;

use crate::audit::Audit;
use crate::backend::BackendUpstream;
use crate::error::Error;
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::passthrough::{Kind, Listings};
use crate::session::Sessions;
use crate::stats::Stats;
use crate::tls::TlsListener;
use crate::upstream::{Upstream, Upstreams};

/// Tunables of the data plane, with their defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Largest request body accepted on `POST /mcp` (default 4 MiB; larger → `413`).
    pub max_body_bytes: usize,
    /// Time a client has to send its request headers (default 10 s).
    pub header_read_timeout: Duration,
    /// A session unused this long is dropped (default 30 min).
    pub session_idle_timeout: Duration,
    /// Most live sessions; past it the longest idle one is dropped (default 100 000).
    pub max_sessions: usize,
    /// How long shutdown waits for in-flight requests (default 30 s).
    pub drain_timeout: Duration,
    /// Timeout of the identity client (OIDC discovery, JWKS, introspection; default 10 s).
    pub identity_timeout: Duration,
    /// Serving threads, each with its own single-threaded runtime, that connections are
    /// spread over (thread per core; the `mcp-hangar` binary starts one per core).
    /// Default 0: connections are served on the runtime that calls `serve`.
    pub workers: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 << 20,
            header_read_timeout: Duration::from_secs(10),
            session_idle_timeout: Duration::from_secs(30 * 60),
            max_sessions: 100_000,
            drain_timeout: Duration::from_secs(30),
            identity_timeout: Duration::from_secs(10),
            workers: 0,
        }
    }
}

/// One immutable view of the configuration. In-flight requests finish on the snapshot
/// they started with; a reload builds a new one and swaps it in whole.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) config: Arc<Config>,
    pub(crate) policy: Arc<Policy>,
    pub(crate) authenticator: Arc<Authenticator>,
    pub(crate) upstreams: Upstreams,
    /// Rate limits and back-end concurrency limits (`limits.rs`).
    pub(crate) limits: Arc<Limits>,
    /// The gateway's metrics (one for the gateway's life, shared by every snapshot).
    pub(crate) metrics: Arc<Metrics>,
    /// Moves on every swap; part of the surface cache key.
    pub(crate) generation: u64,
}

/// The back ends' tools: names for the projection, raw tool objects for `tools/list`.
#[derive(Debug, Default)]
pub(crate) struct ToolCatalog {
    pub(crate) catalog: Catalog,
    raw: HashMap<String, HashMap<String, Box<RawValue>>>,
    /// Moves on every change; part of the surface cache key.
    generation: u64,
}

impl ToolCatalog {
    /// The raw tool objects `server` listed, in its order (`None`: not listed yet).
    pub(crate) fn server_tools(&self, server: &str) -> Option<Vec<&RawValue>> {
        let names = self.catalog.tools(server)?;
        Some(names.filter_map(|name| self.tool(server, name)).collect())
    }

    /// The raw tool object `server` listed as `tool`.
    pub(crate) fn tool(&self, server: &str, tool: &str) -> Option<&RawValue> {
        self.raw.get(server)?.get(tool).map(|raw| &**raw)
    }
}

#[derive(Debug)]
struct CachedSurface {
    key: (u64, u64, u64),
    surface: Arc<Surface>,
}

/// The cached surfaces: one per tenant, and the anonymous caller's (looked up by
/// `&str`, so a hit copies nothing).
#[derive(Debug, Default)]
struct SurfaceCache {
    tenants: HashMap<String, CachedSurface>,
    anonymous: Option<CachedSurface>,
}

impl SurfaceCache {
    fn get(&self, tenant: Option<&str>) -> Option<&CachedSurface> {
        match tenant {
            Some(tenant) => self.tenants.get(tenant),
            None => self.anonymous.as_ref(),
        }
    }

    fn insert(&mut self, tenant: Option<&str>, cached: CachedSurface) {
        match tenant {
            Some(tenant) => {
                if self.tenants.len() >= MAX_CACHED_SURFACES {
                    self.tenants.clear();
                }
                self.tenants.insert(tenant.to_owned(), cached);
            }
            None => self.anonymous = Some(cached),
        }
    }
}

/// Where the runtime withdrawals live.
#[derive(Debug)]
enum OverlaySource {
    /// `data_dir` from the builder, the config, or the XDG default.
    Dir(Option<PathBuf>),
    /// A given store: an embedder's own, or memory (tests; lost on restart).
    Store(Box<dyn OverlayStore>),
}

/// Builds a [`Gateway`] from a loaded config.
#[derive(Debug)]
pub struct GatewayBuilder {
    config: Config,
    overlays: OverlaySource,
    upstreams: Upstreams,
    options: Options,
    config_path: Option<PathBuf>,
}

impl GatewayBuilder {
    /// The file the config was loaded from: [`Gateway::reload`] reads it again (the
    /// admin API's reload, SIGHUP, the file watch).
    #[must_use]
    pub fn config_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_path = Some(path.into());
        self
    }

    /// Keeps the runtime withdrawals under `dir` (overrides the config's `data_dir`).
    #[must_use]
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.overlays = OverlaySource::Dir(Some(dir.into()));
        self
    }

    /// Keeps the runtime withdrawals in memory only (tests).
    #[must_use]
    pub fn in_memory_overlays(self) -> Self {
        self.overlay_store(MemoryOverlayStore::new())
    }

    /// Keeps the runtime withdrawals in `store`, an embedder's own, instead of the redb
    /// file under `data_dir`. It must be durable when `put` and `remove` return `Ok`
    /// ([`OverlayStore`]); the gateway calls them off its serving threads.
    #[must_use]
    pub fn overlay_store(mut self, store: impl OverlayStore + 'static) -> Self {
        self.overlays = OverlaySource::Store(Box::new(store));
        self
    }

    /// Registers a back end; it serves the config's `mcp_servers` entry of the same
    /// name (a back end the config does not name is ignored, with a warning). A
    /// configured server with no registered back end is reached through the real
    /// transport ([`BackendUpstream`], started when the gateway starts serving).
    #[must_use]
    pub fn upstream(mut self, upstream: Arc<dyn Upstream>) -> Self {
        self.upstreams.insert(upstream);
        self
    }

    /// Replaces the tunables.
    #[must_use]
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Compiles the policy, opens the overlay store, builds the authenticator.
    ///
    /// # Errors
    ///
    /// An invalid policy or withdrawal, an overlay store that cannot be opened, an
    /// authenticator that cannot be built, or no data directory.
    pub fn build(self) -> Result<Gateway, Error> {
        let config = self.config;
        let policy = config.policy()?;
        let withdrawals = ConfigWithdrawals::new(
            config
                .withdrawals()
                .map(|w| (w.server, w.pattern, w.tenant)),
        )?;
        let builder_dir = match &self.overlays {
            OverlaySource::Dir(dir) => dir.clone(),
            OverlaySource::Store(_) => None,
        };
        let overlays = match self.overlays {
            OverlaySource::Store(store) => Overlays::new(withdrawals, store)?,
            OverlaySource::Dir(dir) => {
                let dir = dir
                    .or_else(|| config.data_dir.clone())
                    .or_else(default_data_dir)
                    .ok_or(Error::NoDataDir)?;
                Overlays::new(withdrawals, RedbOverlayStore::open(&dir)?)?
            }
        };
        // The audit log: `audit.path`, else `audit.jsonl` in the data directory.
        let audit = Audit::open(config.audit.as_ref(), || {
            builder_dir
                .or_else(|| config.data_dir.clone())
                .or_else(default_data_dir)
        })?;
        let authenticator =
            Authenticator::new(&config.auth, HttpClient::new(self.options.identity_timeout))?;
        // Registered back ends (tests) first; every other server gets the real transport.
        let mut upstreams = Upstreams::new();
        for server in &config.mcp_servers {
            upstreams.insert(new_upstream(&self.upstreams, server));
        }
        for upstream in self.upstreams.iter() {
            if !upstreams.contains(upstream.name()) {
                tracing::warn!(
                    server = upstream.name(),
                    "back end not in mcp_servers: not served"
                );
            }
        }
        // The TLS listener's certificate, key and client verifier (files read now).
        let tls = TlsListener::new(&config, &authenticator)?;
        let limits = Arc::new(Limits::new(&config, None));
        let metrics = Arc::new(Metrics::new());
        let snapshot = Snapshot {
            config: Arc::new(config),
            policy: Arc::new(policy),
            authenticator: Arc::new(authenticator),
            upstreams,
            limits,
            metrics: Arc::clone(&metrics),
            generation: 0,
        };
        Ok(Gateway {
            snapshot: ArcSwap::from_pointee(snapshot),
            tools: ArcSwap::from_pointee(ToolCatalog::default()),
            listings: ArcSwap::from_pointee(Listings::default()),
            overlays,
            surfaces: Mutex::default(),
            sessions: Sessions::new(self.options.session_idle_timeout, self.options.max_sessions),
            generation: AtomicU64::new(0),
            ready: AtomicBool::new(false),
            catalog_changes: watch::Sender::new(0),
            stopping: watch::Sender::new(false),
            options: self.options,
            loopback_only: AtomicBool::new(false),
            catalog_writes: Mutex::new(()),
            config_path: self.config_path,
            registered: self.upstreams,
            stopped: Mutex::default(),
            stats: Stats::default(),
            metrics,
            reload_lock: tokio::sync::Mutex::new(()),
            serving: AtomicBool::new(false),
            tls,
            audit,
        })
    }
}

/// The back end for `server`: the one a test registered under its name, else the real
/// transport.
pub(crate) fn new_upstream(
    registered: &Upstreams,
    server: &hangar_config::McpServer,
) -> Arc<dyn Upstream> {
    match registered.get(&server.name) {
        Some(upstream) => Arc::clone(upstream),
        None => Arc::new(BackendUpstream::new(server)),
    }
}

/// `$XDG_DATA_HOME/mcp-hangar`, else `$HOME/.local/share/mcp-hangar`.
fn default_data_dir() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty());
    let base = match xdg {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".local/share")
        }
    };
    Some(base.join("mcp-hangar"))
}

/// The data plane: everything a request needs, shared by every connection.
#[derive(Debug)]
pub struct Gateway {
    snapshot: ArcSwap<Snapshot>,
    tools: ArcSwap<ToolCatalog>,
    /// The back ends' prompts, resources and resource templates.
    pub(crate) listings: ArcSwap<Listings>,
    overlays: Overlays,
    surfaces: Mutex<SurfaceCache>,
    pub(crate) sessions: Sessions,
    generation: AtomicU64,
    ready: AtomicBool,
    /// The catalog generation, for the event streams (they recompute surfaces on change).
    catalog_changes: watch::Sender<u64>,
    /// Becomes true when shutdown starts: event streams end so connections can drain.
    stopping: watch::Sender<bool>,
    pub(crate) options: Options,
    /// The listener is bound to a loopback address: only loopback `Host` names are served.
    loopback_only: AtomicBool,
    /// Serialises catalog updates: each one reads the current catalog and stores a new
    /// one, and back ends are listed concurrently (without it one update could be lost).
    catalog_writes: Mutex<()>,
    /// Where the config was loaded from (reload reads it again).
    pub(crate) config_path: Option<PathBuf>,
    /// The back ends the builder registered (tests): reused by reload and start.
    pub(crate) registered: Upstreams,
    /// Back ends stopped through the admin API: their tools are on no surface.
    pub(crate) stopped: Mutex<HashSet<String>>,
    /// Per-tool and per-tenant counts for `GET /api/admin/stats`.
    pub(crate) stats: Stats,
    /// The Prometheus metrics (`metrics.rs`); built once, they survive reloads.
    pub(crate) metrics: Arc<Metrics>,
    /// One reload / start / stop at a time.
    pub(crate) reload_lock: tokio::sync::Mutex<()>,
    /// `serve` started the back ends (a reload starts the new ones then).
    pub(crate) serving: AtomicBool,
    /// The TLS configuration in place (reload swaps it), `None`: plain HTTP.
    pub(crate) tls: Option<TlsListener>,
    /// The audit log (`audit.rs`); off unless `audit.enabled`.
    pub(crate) audit: Audit,
}

/// Surfaces cached at most; past it the cache starts over (it refills on demand).
const MAX_CACHED_SURFACES: usize = 16_384;

impl Gateway {
    /// A builder for `config` (defaults: [`Options::default`], overlays under the data
    /// directory).
    pub fn builder(config: Config) -> GatewayBuilder {
        GatewayBuilder {
            config,
            overlays: OverlaySource::Dir(None),
            upstreams: Upstreams::new(),
            options: Options::default(),
            config_path: None,
        }
    }

    /// The withdrawal overlays (config ∪ runtime); a withdraw or restore here changes
    /// the next `tools/list` of the tenants it concerns.
    pub fn overlays(&self) -> &Overlays {
        &self.overlays
    }

    /// The configured policy mode (egress or front_door).
    pub fn mode(&self) -> Mode {
        self.snapshot.load().policy.mode()
    }

    /// The tunables.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Whether the back ends' tool lists have been fetched once (`/health/ready`).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Asks every back end for its tools (then its prompts, resources and resource
    /// templates) and replaces the catalog. A back end that fails keeps its previous
    /// lists (and is logged).
    pub async fn refresh_catalog(&self) {
        let snapshot = self.snapshot.load_full();
        for upstream in snapshot.upstreams.iter() {
            match upstream.list_tools().await {
                Ok(tools) => {
                    self.set_tools(upstream.name(), tools);
                    self.refresh_listings(upstream.name(), &Kind::ALL).await;
                }
                Err(error) => {
                    tracing::warn!(server = upstream.name(), %error, "cannot list tools");
                }
            }
        }
        self.ready.store(true, Ordering::Release);
    }

    /// The first tool discovery, in the background of `serve`: every back end at once
    /// (the gateway is ready when each has answered or failed once), then again, with a
    /// growing pause (1 s doubling to 30 s), each back end that failed, until it answers
    /// or shutdown starts.
    pub(crate) async fn discover_tools(self: Arc<Self>) {
        if self.is_ready() {
            return;
        }
        let mut first = tokio::task::JoinSet::new();
        for upstream in self.snapshot.load().upstreams.iter() {
            let gateway = Arc::clone(&self);
            let server = upstream.name().to_owned();
            first.spawn(async move {
                let listed = gateway.refresh_server(&server).await;
                (server, listed)
            });
        }
        let mut failed = Vec::new();
        while let Some(joined) = first.join_next().await {
            if let Ok((server, false)) = joined {
                failed.push(server);
            }
        }
        self.ready.store(true, Ordering::Release);
        let mut pause = Duration::from_secs(1);
        let mut stopping = self.stopping();
        while !failed.is_empty() {
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = stopping.changed() => return,
            }
            pause = (pause * 2).min(Duration::from_secs(30));
            let mut still = Vec::new();
            for server in failed {
                if !self.refresh_server(&server).await {
                    still.push(server);
                }
            }
            failed = still;
        }
    }

    /// Starts every back end (subprocesses spawned, connections prepared) without
    /// waiting for any.
    pub(crate) fn start_upstreams(&self) {
        self.serving.store(true, Ordering::Release);
        for upstream in self.snapshot.load().upstreams.iter() {
            upstream.start();
        }
    }

    /// Stops every back end (stdio children killed, HTTP sessions ended), each within
    /// `timeout`.
    pub(crate) async fn stop_upstreams(&self, timeout: Duration) {
        let snapshot = self.snapshot.load_full();
        for upstream in snapshot.upstreams.iter() {
            if tokio::time::timeout(timeout, upstream.stop())
                .await
                .is_err()
            {
                tracing::warn!(server = upstream.name(), "back end did not stop in time");
            }
        }
    }

    /// Fetches one back end's tools (then its prompts, resources and resource templates)
    /// again (after it announced a change); whether it answered (a back end that fails
    /// keeps its previous lists).
    pub async fn refresh_server(&self, server: &str) -> bool {
        if self.is_stopped(server) {
            // Stopped by an operator: nothing to fetch, nothing to retry.
            return true;
        }
        let snapshot = self.snapshot.load_full();
        let Some(upstream) = snapshot.upstreams.get(server) else {
            return false;
        };
        match upstream.list_tools().await {
            Ok(tools) => {
                // Stopped, or removed by a reload, while it was asked: drop the answer.
                if self.is_stopped(server) || self.snapshot.load().upstreams.get(server).is_none() {
                    return true;
                }
                self.set_tools(server, tools);
                self.refresh_listings(server, &Kind::ALL).await;
                true
            }
            Err(error) => {
                tracing::warn!(server, %error, "cannot list tools");
                false
            }
        }
    }

    /// Follows every back end that announces changes: on `notifications/tools/list_changed`
    /// (or missed notifications) its tools, prompts and resources are fetched again; on
    /// `notifications/prompts/list_changed` its prompts, on
    /// `notifications/resources/list_changed` its resources and templates; and all of it
    /// after the transport restarted the back end (checked every few seconds).
    /// Subscribes before returning; the tasks end at shutdown or when the back end's
    /// channel closes.
    pub(crate) fn follow_upstreams(self: &Arc<Self>) {
        let snapshot = self.snapshot.load_full();
        for upstream in snapshot.upstreams.iter() {
            self.follow_upstream(Arc::clone(upstream));
        }
    }

    /// Follows one back end (see [`Gateway::follow_upstreams`]); the task also ends when
    /// the back end is no longer the one the snapshot serves under its name (a reload or
    /// a start replaced it).
    pub(crate) fn follow_upstream(self: &Arc<Self>, upstream: Arc<dyn Upstream>) {
        use hangar_mcp::Method;
        const RESTART_CHECK: Duration = Duration::from_secs(5);
        {
            let Some(mut notifications) = upstream.subscribe() else {
                return;
            };
            let gateway = Arc::clone(self);
            let mut stopping = self.stopping();
            tokio::spawn(async move {
                use tokio::sync::broadcast::error::RecvError;
                let server = upstream.name().to_owned();
                let mut restarts = upstream.restarts();
                let mut check = tokio::time::interval(RESTART_CHECK);
                check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    let kinds: Option<&[Kind]> = tokio::select! {
                        received = notifications.recv() => match received {
                            Ok(notification) => match notification.method.as_str() {
                                m if m == Method::ToolsListChanged.as_str() => None,
                                m if m == Method::PromptsListChanged.as_str() => {
                                    Some(&[Kind::Prompts])
                                }
                                m if m == Method::ResourcesListChanged.as_str() => {
                                    Some(&[Kind::Resources, Kind::Templates])
                                }
                                _ => continue,
                            },
                            Err(RecvError::Lagged(_)) => None,
                            Err(RecvError::Closed) => return,
                        },
                        _ = check.tick() => {
                            let current = gateway.snapshot().upstreams.get(&server).cloned();
                            if !current.is_some_and(|current| Arc::ptr_eq(&current, &upstream)) {
                                return;
                            }
                            let now = upstream.restarts();
                            if now == restarts {
                                continue;
                            }
                            restarts = now;
                            None
                        }
                        _ = stopping.changed() => return,
                    };
                    match kinds {
                        Some(kinds) => gateway.refresh_listings(&server, kinds).await,
                        None => {
                            let _ = gateway.refresh_server(&server).await;
                        }
                    }
                }
            });
        }
    }

    /// Replaces `server`'s tool list (raw tool objects, as its `tools/list` gave them;
    /// objects without a string `name` are dropped).
    pub fn set_tools(&self, server: &str, tools: Vec<Box<RawValue>>) {
        #[derive(serde::Deserialize)]
        struct Named {
            name: String,
        }
        let mut by_name = HashMap::with_capacity(tools.len());
        let mut names = Vec::with_capacity(tools.len());
        for tool in tools {
            match serde_json::from_str::<Named>(tool.get()) {
                Ok(Named { name }) => {
                    if by_name.insert(name.clone(), tool).is_none() {
                        names.push(name);
                    }
                }
                Err(_) => tracing::warn!(server, "dropped a tool without a name"),
            }
        }
        let _writing = self
            .catalog_writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let current = self.tools.load();
        let mut catalog = current.catalog.clone();
        catalog.set_server(server, &names);
        let mut raw = current.raw.clone();
        raw.insert(server.to_owned(), by_name);
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        for (name, servers) in catalog.collisions() {
            if current.catalog.colliding_servers(name).is_none() {
                self.audit.collision(name, &servers);
            }
            tracing::warn!(
                tool = name,
                ?servers,
                "tool name served by several back ends: dropped from the flat surface"
            );
        }
        self.tools.store(Arc::new(ToolCatalog {
            catalog,
            raw,
            generation,
        }));
        self.catalog_changes.send_replace(generation);
    }

    /// Follows catalog changes (a back end's tool list was replaced).
    pub(crate) fn catalog_changes(&self) -> watch::Receiver<u64> {
        self.catalog_changes.subscribe()
    }

    /// Whether the listener is bound to a loopback address (set when serving starts).
    pub(crate) fn is_loopback_only(&self) -> bool {
        self.loopback_only.load(Ordering::Relaxed)
    }

    pub(crate) fn set_loopback_only(&self, loopback: bool) {
        self.loopback_only.store(loopback, Ordering::Relaxed);
    }

    /// Follows the start of shutdown.
    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Starts shutdown for the long-lived streams (they end; plain requests finish).
    pub(crate) fn begin_shutdown(&self) {
        self.stopping.send_replace(true);
    }

    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Swaps in a new snapshot (reload, start): in-flight requests keep the old one.
    pub(crate) fn store_snapshot(&self, snapshot: Snapshot) {
        self.snapshot.store(Arc::new(snapshot));
    }

    /// Whether `server` was stopped through the admin API.
    pub(crate) fn is_stopped(&self, server: &str) -> bool {
        self.stopped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(server)
    }

    /// Drops `server`'s tools from the catalog (stopped or removed); moves the catalog
    /// generation so surfaces and open streams follow.
    pub(crate) fn remove_tools(&self, server: &str) {
        let _writing = self
            .catalog_writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let current = self.tools.load();
        let mut catalog = current.catalog.clone();
        catalog.remove_server(server);
        let mut raw = current.raw.clone();
        raw.remove(server);
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.tools.store(Arc::new(ToolCatalog {
            catalog,
            raw,
            generation,
        }));
        self.catalog_changes.send_replace(generation);
    }

    pub(crate) fn tools(&self) -> Arc<ToolCatalog> {
        self.tools.load_full()
    }

    /// The caller's flat surface, from the cache when nothing moved since it was built
    /// (overlay epoch, catalog generation, snapshot generation).
    pub(crate) fn surface(
        &self,
        snapshot: &Snapshot,
        tools: &ToolCatalog,
        tenant: Option<&str>,
    ) -> Arc<Surface> {
        let key = (self.overlays.epoch(), tools.generation, snapshot.generation);
        if let Some(cached) = self.cache().get(tenant)
            && cached.key == key
        {
            return Arc::clone(&cached.surface);
        }
        let caller = tenant.map_or_else(Caller::anonymous, Caller::tenant);
        let surface = Arc::new(visible_surface(
            &snapshot.policy,
            &self.overlays,
            &tools.catalog,
            &caller,
        ));
        self.cache().insert(
            tenant,
            CachedSurface {
                key,
                surface: Arc::clone(&surface),
            },
        );
        surface
    }

    /// `tenant`'s surface with every hidden tool's reason (not cached: the admin API's
    /// report, `hangarctl tools --tenant`).
    pub(crate) fn surface_report(&self, tenant: &str) -> SurfaceReport {
        let snapshot = self.snapshot();
        let tools = self.tools();
        let seen = surface(
            &snapshot.policy,
            &self.overlays.snapshot(),
            &tools.catalog,
            &Caller::tenant(tenant),
        );
        seen.report(&tools.catalog, Some(tenant))
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, SurfaceCache> {
        self.surfaces.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
