//! Prometheus metrics: the counters and histograms the gateway keeps (one [`Metrics`] per
//! [`Gateway`], so they survive config reloads), and `GET /metrics`, which answers them
//! in the OpenMetrics text format (`prometheus-client`'s encoder) together with gauges
//! computed at scrape time from the gateway's state (withdrawals, back ends, sessions).
//!
//! `/metrics` is served on the main listener to a credential with the admin `read`
//! permission, and, when `metrics.listen` is set, on a second plain-HTTP listener without
//! authentication ([`Gateway::serve_metrics`]); `metrics.enabled: false` makes both `404`.
//!
//! The request path only touches atomics and pre-resolved handles: request counts are a
//! table of atomics indexed by endpoint and status, a back end's counters and histogram
//! are resolved once per server name, and histograms hold an uncontended lock for a
//! bucket increment. Labels never carry a tenant, a subject or a tool name (unbounded);
//! `server` is bounded by the config. docs/observability.md lists every metric.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use hangar_identity::{AuthMethod, CallerIdentity, Permission, Rejection};
use hangar_mcp::transport::TransportError;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use serde_json::value::RawValue;
use tokio::net::TcpListener;

use crate::admin;
use crate::audit;
use crate::methods::Exchange;
use crate::pipeline;
use crate::state::Gateway;
use crate::upstream::{Upstream, UpstreamError, UpstreamReply};
use crate::wire::{self, Body, Failure};

/// The path of the metrics endpoint.
pub(crate) const PATH: &str = "/metrics";

/// What `/metrics` answers: OpenMetrics 1.0 text (Prometheus scrapes it natively).
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Latency buckets, in seconds: 100 µs to 10 s.
const LATENCY_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Where an HTTP request went (the `endpoint` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Mcp,
    Admin,
    WellKnown,
    Health,
    Metrics,
    Other,
}

impl Endpoint {
    const ALL: [Self; 6] = [
        Self::Mcp,
        Self::Admin,
        Self::WellKnown,
        Self::Health,
        Self::Metrics,
        Self::Other,
    ];

    pub(crate) fn of(path: &str) -> Self {
        if path == crate::server::MCP_PATH {
            Self::Mcp
        } else if path.starts_with(admin::PREFIX) {
            Self::Admin
        } else if path.starts_with("/.well-known/") {
            Self::WellKnown
        } else if path == "/health" || path.starts_with("/health/") {
            Self::Health
        } else if path == PATH {
            Self::Metrics
        } else {
            Self::Other
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Mcp => "mcp",
            Self::Admin => "admin",
            Self::WellKnown => "well_known",
            Self::Health => "health",
            Self::Metrics => "metrics",
            Self::Other => "other",
        }
    }
}

/// How a back-end `tools/call` ended (the `outcome` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The back end answered a result (a result with `isError: true` is the tool's own
    /// answer, and counts here).
    Ok,
    /// The back end answered a JSON-RPC error, or the transport failed.
    Error,
    /// The back end did not answer in time.
    Timeout,
    /// Refused by the gateway: the back end was at its `max_concurrency`.
    Busy,
}

impl Outcome {
    const ALL: [Self; 4] = [Self::Ok, Self::Error, Self::Timeout, Self::Busy];

    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Timeout => "timeout",
            Self::Busy => "busy",
        }
    }

    fn of(reply: &Result<UpstreamReply, UpstreamError>) -> Self {
        match reply {
            Ok(UpstreamReply::Result(_)) => Self::Ok,
            Err(
                UpstreamError::Timeout { .. }
                | UpstreamError::Transport(TransportError::Timeout { .. }),
            ) => Self::Timeout,
            Ok(UpstreamReply::Error(_)) | Err(_) => Self::Error,
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServerLabels {
    server: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolCallLabels {
    server: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabels {
    scope: &'static str,
}

/// Status codes counted per endpoint: 100 to 599 (anything else counts as 599).
const STATUSES: usize = 500;

/// `mcp_gateway_requests_total`: a table of atomics, one per (endpoint, status), read by
/// the scrape (a [`Collector`]) and by `GET /api/admin/stats`.
#[derive(Debug)]
struct RequestCounts {
    counts: Box<[AtomicU64]>,
}

impl RequestCounts {
    fn new() -> Self {
        Self {
            counts: (0..Endpoint::ALL.len() * STATUSES)
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    fn slot(endpoint: Endpoint, status: u16) -> usize {
        endpoint as usize * STATUSES + usize::from(status.clamp(100, 599) - 100)
    }

    fn add(&self, endpoint: Endpoint, status: u16) {
        self.counts[Self::slot(endpoint, status)].fetch_add(1, Ordering::Relaxed);
    }

    fn total(&self, endpoint: Endpoint) -> u64 {
        let start = endpoint as usize * STATUSES;
        self.counts[start..start + STATUSES]
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .sum()
    }
}

impl Collector for RequestCounts {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let mut metric = encoder.encode_descriptor(
            "mcp_gateway_requests",
            "HTTP requests answered, by endpoint and status.",
            None,
            MetricType::Counter,
        )?;
        for endpoint in Endpoint::ALL {
            for offset in 0..STATUSES {
                let count =
                    self.counts[endpoint as usize * STATUSES + offset].load(Ordering::Relaxed);
                if count == 0 {
                    continue;
                }
                let labels = RequestLabels {
                    endpoint: endpoint.as_str(),
                    status: 100 + u16::try_from(offset).unwrap_or(499),
                };
                ConstCounter::new(count).encode(metric.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

/// One back end's counters (ok, error, timeout) and its histogram handle, resolved once.
#[derive(Debug)]
struct ServerMetrics {
    outcomes: [AtomicU64; 3],
    duration: Histogram,
}

/// The authentication methods, in the order of [`Metrics::auth_success`]'s handles.
const AUTH_METHODS: [&str; 7] = [
    "api_key",
    "jwt",
    "oidc",
    "introspection",
    "mtls",
    "anonymous",
    "other",
];

fn auth_method_index(method: AuthMethod) -> usize {
    match method {
        AuthMethod::ApiKey => 0,
        AuthMethod::Jwt => 1,
        AuthMethod::Oidc => 2,
        AuthMethod::Introspection => 3,
        AuthMethod::Mtls => 4,
        AuthMethod::Anonymous => 5,
        _ => 6,
    }
}

/// The gateway's metrics (see the module documentation).
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: Arc<RequestCounts>,
    request_duration: [Histogram; 6],
    tool_call_duration: Family<ServerLabels, Histogram, fn() -> Histogram>,
    servers: ArcSwap<HashMap<String, Arc<ServerMetrics>>>,
    servers_write: Mutex<()>,
    tool_denials: Counter,
    /// `withdraw`, `restore`.
    withdrawal_changes: [Counter; 2],
    auth_success: [Counter; 7],
    auth_failure: Family<ReasonLabels, Counter>,
    auth_duration: Histogram,
    /// `ok`, `failed`.
    config_reloads: [Counter; 2],
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Arc::new(RequestCounts::new());
        registry.register_collector(Box::new(Arc::clone(&requests)));

        let durations =
            Family::<EndpointLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register_with_unit(
            "mcp_gateway_request_duration",
            "Time from a request's arrival to its answer's headers, by endpoint",
            Unit::Seconds,
            durations.clone(),
        );
        let request_duration = Endpoint::ALL.map(|endpoint| {
            durations.get_or_create_owned(&EndpointLabels {
                endpoint: endpoint.as_str(),
            })
        });

        let tool_call_duration =
            Family::<ServerLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register_with_unit(
            "mcp_gateway_tool_call_duration",
            "Time a back end took to answer a tools/call, by server",
            Unit::Seconds,
            tool_call_duration.clone(),
        );
        let tool_denials = Counter::default();
        registry.register(
            "mcp_gateway_tool_denials",
            "tools/call answered Unknown tool: unknown, denied by policy, or withdrawn for the caller",
            tool_denials.clone(),
        );
        let withdrawal_changes = Family::<ActionLabels, Counter>::default();
        registry.register(
            "mcp_gateway_withdrawal_changes",
            "Runtime withdrawals made and removed through the admin API",
            withdrawal_changes.clone(),
        );
        let withdrawal_changes = ["withdraw", "restore"]
            .map(|action| withdrawal_changes.get_or_create_owned(&ActionLabels { action }));

        let auth_success = Family::<MethodLabels, Counter>::default();
        registry.register(
            "mcp_gateway_auth_success",
            "Credentials accepted, by authentication method",
            auth_success.clone(),
        );
        let auth_success =
            AUTH_METHODS.map(|method| auth_success.get_or_create_owned(&MethodLabels { method }));
        let auth_failure = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "mcp_gateway_auth_failure",
            "Credentials refused (and admin permissions denied), by reason",
            auth_failure.clone(),
        );
        let auth_duration = latency_histogram();
        registry.register_with_unit(
            "mcp_gateway_auth_duration",
            "Time to authenticate a request's credential",
            Unit::Seconds,
            auth_duration.clone(),
        );

        let config_reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "mcp_gateway_config_reloads",
            "Config reloads (admin API, SIGHUP, file watch), by result",
            config_reloads.clone(),
        );
        let config_reloads = ["ok", "failed"]
            .map(|result| config_reloads.get_or_create_owned(&ResultLabels { result }));
        Self {
            registry,
            requests,
            request_duration,
            tool_call_duration,
            servers: ArcSwap::default(),
            servers_write: Mutex::new(()),
            tool_denials,
            withdrawal_changes,
            auth_success,
            auth_failure,
            auth_duration,
            config_reloads,
        }
    }

    /// One answered HTTP request.
    pub(crate) fn request(&self, endpoint: Endpoint, status: StatusCode, elapsed: Duration) {
        self.requests.add(endpoint, status.as_u16());
        self.request_duration[endpoint as usize].observe(elapsed.as_secs_f64());
    }

    /// HTTP requests answered on `endpoint` so far.
    pub(crate) fn requests(&self, endpoint: Endpoint) -> u64 {
        self.requests.total(endpoint)
    }

    /// `server`'s handles, resolved on first use (a lock-free map read after that).
    fn server<R>(&self, server: &str, f: impl FnOnce(&ServerMetrics) -> R) -> R {
        if let Some(handles) = self.servers.load().get(server) {
            return f(handles);
        }
        let _writing = self
            .servers_write
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let current = self.servers.load_full();
        let handles = match current.get(server) {
            Some(handles) => Arc::clone(handles),
            None => {
                let handles = Arc::new(ServerMetrics {
                    outcomes: Default::default(),
                    duration: self.tool_call_duration.get_or_create_owned(&ServerLabels {
                        server: server.to_owned(),
                    }),
                });
                let mut next = HashMap::clone(&current);
                next.insert(server.to_owned(), Arc::clone(&handles));
                self.servers.store(Arc::new(next));
                handles
            }
        };
        f(&handles)
    }

    /// One `tools/call` a back end answered (or failed), and how long it took.
    pub(crate) fn tool_call(&self, server: &str, outcome: Outcome, elapsed: Duration) {
        self.server(server, |handles| {
            handles.outcomes[outcome as usize].fetch_add(1, Ordering::Relaxed);
            handles.duration.observe(elapsed.as_secs_f64());
        });
    }

    /// `tools/call` requests forwarded to a back end so far (every server, every outcome).
    pub(crate) fn tool_calls(&self) -> u64 {
        self.servers
            .load()
            .values()
            .flat_map(|handles| handles.outcomes.iter())
            .map(|count| count.load(Ordering::Relaxed))
            .sum()
    }

    /// `(server, [ok, error, timeout])` for every back end called so far.
    fn tool_call_counts(&self) -> Vec<(String, [u64; 3])> {
        self.servers
            .load()
            .iter()
            .map(|(server, handles)| {
                let counts = handles
                    .outcomes
                    .each_ref()
                    .map(|c| c.load(Ordering::Relaxed));
                (server.clone(), counts)
            })
            .collect()
    }

    /// One hidden-existence answer (`Unknown tool`).
    pub(crate) fn tool_denied(&self) {
        self.tool_denials.inc();
    }

    /// Hidden-existence answers so far.
    pub(crate) fn tool_denials(&self) -> u64 {
        self.tool_denials.get()
    }

    /// A runtime withdrawal made (`true`) or removed (`false`).
    pub(crate) fn withdrawal_change(&self, withdraw: bool) {
        self.withdrawal_changes[usize::from(!withdraw)].inc();
    }

    /// One authentication decision and how long it took.
    pub(crate) fn auth(&self, outcome: Result<&CallerIdentity, &Rejection>, elapsed: Duration) {
        match outcome {
            Ok(caller) => {
                self.auth_success[auth_method_index(caller.method)].inc();
            }
            Err(rejection) => self.auth_refused(rejection),
        }
        self.auth_duration.observe(elapsed.as_secs_f64());
    }

    /// A refusal outside authentication proper (an admin permission denied).
    pub(crate) fn auth_refused(&self, rejection: &Rejection) {
        self.auth_failure
            .get_or_create(&ReasonLabels {
                reason: rejection.reason(),
            })
            .inc();
    }

    /// One config reload.
    pub(crate) fn config_reload(&self, ok: bool) {
        self.config_reloads[usize::from(!ok)].inc();
    }

    /// Config reloads that succeeded.
    pub(crate) fn reloads_ok(&self) -> u64 {
        self.config_reloads[0].get()
    }

    /// Config reloads that failed.
    pub(crate) fn reloads_failed(&self) -> u64 {
        self.config_reloads[1].get()
    }

    /// The exposition: the counters and histograms, then the gauges of `gateway`'s state
    /// now, then `# EOF`.
    fn encode(&self, gateway: &Gateway) -> String {
        let mut text = String::with_capacity(16 * 1024);
        let state = state_registry(gateway, self);
        let encoded = prometheus_client::encoding::text::encode_registry(&mut text, &self.registry)
            .and_then(|()| prometheus_client::encoding::text::encode_registry(&mut text, &state))
            .and_then(|()| prometheus_client::encoding::text::encode_eof(&mut text));
        if let Err(error) = encoded {
            // Writing to a String does not fail; keep what was written if it ever does.
            tracing::warn!(%error, "metrics encoding failed");
        }
        text
    }
}

/// What is read from the gateway at scrape time, in a registry of its own (a removed
/// back end's gauges disappear from the next scrape): the gauges of its state, and the
/// counters other parts of the gateway keep (tool calls refused as busy and rate-limit
/// refusals in `limits.rs`, TLS handshake failures in `tls.rs`, the audit log's counters).
fn state_registry(gateway: &Gateway, metrics: &Metrics) -> Registry {
    let mut registry = Registry::default();
    let snapshot = gateway.snapshot();
    let limits = gateway.limit_counters();

    // Tool calls by server and outcome: forwarded ones (this module), busy ones (limits);
    // every configured back end has its four series from the start (zeros included).
    let mut calls: std::collections::BTreeMap<String, [u64; 4]> = snapshot
        .config
        .mcp_servers
        .iter()
        .map(|server| (server.name.clone(), [0; 4]))
        .collect();
    for (server, [ok, error, timeout]) in metrics.tool_call_counts() {
        let counts = calls.entry(server).or_default();
        counts[..3].copy_from_slice(&[ok, error, timeout]);
    }
    let busy = limits.backend_busy();
    for (server, refused) in &busy {
        calls.entry(server.clone()).or_default()[Outcome::Busy as usize] = *refused;
    }
    let tool_calls = Family::<ToolCallLabels, Counter>::default();
    registry.register(
        "mcp_gateway_tool_calls",
        "tools/call requests by server and outcome: ok, error (a JSON-RPC error or a transport failure), timeout, busy (refused at the back end's max_concurrency)",
        tool_calls.clone(),
    );
    for (server, counts) in &calls {
        for outcome in Outcome::ALL {
            tool_calls
                .get_or_create(&ToolCallLabels {
                    server: server.clone(),
                    outcome: outcome.as_str(),
                })
                .inc_by(counts[outcome as usize]);
        }
    }
    let backend_busy = Family::<ServerLabels, Counter>::default();
    registry.register(
        "mcp_gateway_backend_busy",
        "tools/call refused because the back end was at its max_concurrency, by server",
        backend_busy.clone(),
    );
    for (server, refused) in busy {
        backend_busy
            .get_or_create(&ServerLabels { server })
            .inc_by(refused);
    }
    let rate_limited = Family::<ScopeLabels, Counter>::default();
    registry.register(
        "mcp_gateway_rate_limited",
        "Requests refused over a rate limit (429), by the limit's scope: source, tenant, subject",
        rate_limited.clone(),
    );
    for (scope, refused) in limits.rate_limited() {
        rate_limited
            .get_or_create(&ScopeLabels { scope })
            .inc_by(refused);
    }
    registry.register(
        "mcp_gateway_tls_handshake_failures",
        "TLS handshakes that failed or timed out on the main listener",
        ConstCounter::new(gateway.tls_handshake_failures()),
    );
    if let Some(audit) = gateway.audit_counters() {
        registry.register(
            "mcp_gateway_audit_records",
            "Audit records written (notices included)",
            ConstCounter::new(audit.written),
        );
        registry.register(
            "mcp_gateway_audit_dropped",
            "Audit records lost: dropped because the queue was full, or not written because the sink failed",
            ConstCounter::new(audit.dropped.saturating_add(audit.write_errors)),
        );
    }

    let withdrawals = Family::<ScopeLabels, Gauge>::default();
    registry.register(
        "mcp_gateway_withdrawals_active",
        "Withdrawals in force (config and runtime), by scope: global (every tenant) or tenant",
        withdrawals.clone(),
    );
    let (mut global, mut tenant) = (0, 0);
    for withdrawal in gateway.overlays().list() {
        if withdrawal.tenant().is_some() {
            tenant += 1;
        } else {
            global += 1;
        }
    }
    withdrawals
        .get_or_create(&ScopeLabels { scope: "global" })
        .set(global);
    withdrawals
        .get_or_create(&ScopeLabels { scope: "tenant" })
        .set(tenant);

    let up = Family::<ServerLabels, Gauge>::default();
    registry.register(
        "mcp_gateway_backend_up",
        "1 when the back end is ready (its last request succeeded), else 0 (starting, degraded, down, stopped)",
        up.clone(),
    );
    let tools = Family::<ServerLabels, Gauge>::default();
    registry.register(
        "mcp_gateway_backend_tools",
        "Tools the back end listed (0 until it was listed once)",
        tools.clone(),
    );
    for server in &snapshot.config.mcp_servers {
        let line = admin::server_line(gateway, &snapshot, &server.name);
        let labels = ServerLabels {
            server: server.name.clone(),
        };
        up.get_or_create(&labels)
            .set(i64::from(line.state == "ready"));
        tools.get_or_create(&labels).set(
            line.tool_count
                .map_or(0, |count| i64::try_from(count).unwrap_or(i64::MAX)),
        );
    }

    let sessions = Gauge::<i64>::default();
    sessions.set(i64::try_from(gateway.sessions.len()).unwrap_or(i64::MAX));
    registry.register(
        "mcp_gateway_sessions_active",
        "Open MCP sessions (protocol versions up to 2025-11-25)",
        sessions,
    );
    registry
}

/// Times one request; [`RequestTimer::finish`] counts it.
#[derive(Debug)]
pub(crate) struct RequestTimer {
    endpoint: Endpoint,
    started: Instant,
}

impl RequestTimer {
    pub(crate) fn start(path: &str) -> Self {
        Self {
            endpoint: Endpoint::of(path),
            started: Instant::now(),
        }
    }

    pub(crate) fn finish(self, metrics: &Metrics, status: StatusCode) {
        metrics.request(self.endpoint, status, self.started.elapsed());
    }
}

/// Forwards one `tools/call` to `upstream` with the request's trace context, and counts
/// it: `mcp_gateway_tool_calls_total` and its duration by server, and the admin stats by
/// tool and tenant. `tool` is the back end's own tool name.
pub(crate) async fn call_tool(
    exchange: &Exchange<'_>,
    upstream: &dyn Upstream,
    tool: &str,
    params: Option<&RawValue>,
) -> Result<UpstreamReply, UpstreamError> {
    let gateway = exchange.gateway;
    let started = Instant::now();
    let reply = upstream
        .request_traced("tools/call", params, exchange.trace.context())
        .await;
    exchange
        .snapshot
        .metrics
        .tool_call(upstream.name(), Outcome::of(&reply), started.elapsed());
    gateway
        .stats
        .tool_call(tool, exchange.caller.tenant_id.as_deref());
    reply
}

/// `GET /metrics` on the main listener: `404` when `metrics.enabled` is false, else the
/// caller needs the admin `read` permission (unconfined), like `GET /api/admin/stats`.
pub(crate) async fn handle(gateway: &Arc<Gateway>, request: Request<Incoming>) -> Response<Body> {
    // In the request's audit scope: the credential check is an auth decision like any other.
    audit::answer(gateway, request, |request| serve_main(gateway, request)).await
}

/// `GET /metrics` on the main listener: an admin `read` credential, then the exposition.
async fn serve_main(
    gateway: &Arc<Gateway>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Failure> {
    let (parts, _body) = request.into_parts();
    let snapshot = gateway.snapshot();
    let outcome = async {
        if !snapshot.config.metrics.enabled {
            return Err(not_found());
        }
        if parts.method != Method::GET {
            return Err(Failure::http(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "use GET for this endpoint",
            ));
        }
        pipeline::check_origin(gateway, &parts.headers)?;
        let caller = pipeline::authenticate(&snapshot, &parts).await?;
        admin::allow(&snapshot, &caller, Permission::Read, None)?;
        Ok(exposition(gateway))
    };
    outcome.await
}

fn exposition(gateway: &Gateway) -> Response<Body> {
    wire::text(
        StatusCode::OK,
        CONTENT_TYPE,
        gateway.metrics.encode(gateway),
    )
}

fn not_found() -> Failure {
    Failure::http(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// The metrics listener's router: `GET /metrics` (no authentication; `404` when
/// `metrics.enabled` is false) and `GET /health`; everything else `404`. On a loopback
/// listener only loopback `Host` names are served (DNS rebinding, as on the main one).
async fn route_metrics_listener(
    gateway: &Gateway,
    request: &Request<Incoming>,
    loopback: bool,
) -> Response<Body> {
    let timer = RequestTimer::start(request.uri().path());
    let foreign_host = || {
        request
            .headers()
            .get_all(http::header::HOST)
            .iter()
            .any(|host| !host.to_str().is_ok_and(pipeline::host_is_loopback))
    };
    let response = match (request.method(), request.uri().path()) {
        _ if loopback && foreign_host() => wire::answer(Failure::http(
            StatusCode::FORBIDDEN,
            "forbidden",
            "host not allowed",
        )),
        (&Method::GET, PATH) if gateway.snapshot().config.metrics.enabled => exposition(gateway),
        (&Method::GET, "/health") => wire::json(StatusCode::OK, &br#"{"status":"ok"}"#[..]),
        _ => wire::answer(not_found()),
    };
    timer.finish(&gateway.metrics, response.status());
    response
}

/// Whether a metrics listener on `ip` stays inside a private network: loopback, the
/// private IPv4 ranges, IPv6 unique-local and link-local addresses.
pub(crate) fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(ip) => is_internal(IpAddr::V4(ip)),
            None => ip.is_loopback() || ip.is_unique_local() || ip.is_unicast_link_local(),
        },
    }
}

impl Gateway {
    /// Serves `GET /metrics` (without authentication) and `GET /health` in plain HTTP on
    /// `listener` (the address of `metrics.listen`, meant for an internal network) until
    /// the gateway's shutdown starts. Logs a warning when the address is neither loopback
    /// nor private.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) when the listener's address cannot be read.
    pub async fn serve_metrics(self: Arc<Self>, listener: TcpListener) -> Result<(), crate::Error> {
        let local = listener.local_addr().map_err(|source| crate::Error::Io {
            path: "metrics listener".into(),
            source,
        })?;
        if !is_internal(local.ip()) {
            tracing::warn!(
                %local,
                "metrics.listen is neither a loopback nor a private address: /metrics is served \
                 there without authentication"
            );
        }
        tracing::info!(%local, "metrics listening");
        let loopback = local.ip().is_loopback();
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.options.header_read_timeout);
        let graceful = GracefulShutdown::new();
        let mut stopping = self.stopping();
        loop {
            if *stopping.borrow() {
                break;
            }
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let gateway = Arc::clone(&self);
                    let service = service_fn(move |request: Request<Incoming>| {
                        let gateway = Arc::clone(&gateway);
                        async move {
                            Ok::<_, Infallible>(
                                route_metrics_listener(&gateway, &request, loopback).await,
                            )
                        }
                    });
                    let connection = graceful.watch(
                        builder.serve_connection(TokioIo::new(stream), service).into_owned(),
                    );
                    tokio::spawn(async move {
                        let _ = connection.await;
                    });
                }
                _ = stopping.changed() => {}
            }
        }
        drop(listener);
        let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_by_path() {
        for (path, endpoint) in [
            ("/mcp", Endpoint::Mcp),
            ("/api/admin/stats", Endpoint::Admin),
            ("/.well-known/oauth-protected-resource", Endpoint::WellKnown),
            ("/health", Endpoint::Health),
            ("/health/ready", Endpoint::Health),
            ("/metrics", Endpoint::Metrics),
            ("/healthz", Endpoint::Other),
            ("/mcp/x", Endpoint::Other),
        ] {
            assert_eq!(Endpoint::of(path), endpoint, "{path}");
        }
    }

    #[test]
    fn internal_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["0.0.0.0", "8.8.8.8", "::", "2001:db8::1", "::ffff:8.8.8.8"] {
            assert!(!is_internal(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn counters_move_and_encode_as_openmetrics() {
        let metrics = Metrics::new();
        metrics.request(Endpoint::Mcp, StatusCode::OK, Duration::from_micros(300));
        metrics.request(Endpoint::Mcp, StatusCode::OK, Duration::from_micros(300));
        metrics.request(
            Endpoint::Mcp,
            StatusCode::UNAUTHORIZED,
            Duration::from_millis(2),
        );
        metrics.tool_call("payments", Outcome::Ok, Duration::from_millis(3));
        metrics.tool_call("payments", Outcome::Timeout, Duration::from_secs(30));
        metrics.config_reload(false);
        metrics.withdrawal_change(true);
        assert_eq!(metrics.requests(Endpoint::Mcp), 3);
        assert_eq!(metrics.requests(Endpoint::Admin), 0);
        assert_eq!(metrics.tool_calls(), 2);
        assert_eq!(
            metrics.tool_call_counts(),
            [("payments".to_owned(), [1, 0, 1])]
        );
        assert_eq!((metrics.reloads_ok(), metrics.reloads_failed()), (0, 1));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &metrics.registry).expect("encodes");
        for line in [
            "# TYPE mcp_gateway_requests counter",
            r#"mcp_gateway_requests_total{endpoint="mcp",status="200"} 2"#,
            r#"mcp_gateway_requests_total{endpoint="mcp",status="401"} 1"#,
            r#"mcp_gateway_tool_call_duration_seconds_count{server="payments"} 2"#,
            r#"mcp_gateway_request_duration_seconds_bucket{le="0.0005",endpoint="mcp"} 2"#,
            r#"mcp_gateway_config_reloads_total{result="failed"} 1"#,
            r#"mcp_gateway_withdrawal_changes_total{action="withdraw"} 1"#,
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
    }
}
