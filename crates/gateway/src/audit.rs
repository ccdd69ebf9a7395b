//! The audit log (docs/observability.md): one hash-chained JSON line per authentication
//! decision, per tool decision and per admin action, written by `hangar-audit`'s writer
//! thread; never a credential (the records have no field for one).
//!
//! The request path pays one `try_send` per record, and nothing at all when the log is
//! off. Each request of `/mcp` and of the admin API runs inside a scope (a tokio
//! task-local set by [`within`]) that carries the log and the request id, so the
//! recording functions below need neither the gateway nor an id threaded through every
//! layer; outside a scope they do nothing — and compute nothing: the reason a tool is
//! hidden is worked out only when the log is on and the verdict is `hidden`.

use std::borrow::Cow;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use hangar_audit::{AuditLog, Kind, Opened, Options, Record, Sink, Stats, Verdict};
use hangar_config::AuditSink;
use hangar_identity::{AuthMethod, CallerIdentity, Rejection};
use hangar_policy::Caller;
use hangar_projection::{Catalog, surface};
use http::{HeaderMap, HeaderValue, Request, Response};
use hyper::body::Incoming;

use crate::error::Error;
use crate::methods::Exchange;
use crate::state::Gateway;
use crate::upstream::{UpstreamError, UpstreamReply};
use crate::wire::{self, Body, Failure};

/// The header a request id is taken from and given back in.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// Longest request id taken from a client; longer (or not visible ASCII) is replaced.
const MAX_REQUEST_ID: usize = 128;

/// The file name in the data directory when `audit.path` is not set.
const FILE_NAME: &str = "audit.jsonl";

tokio::task_local! {
    static SCOPE: Scope;
}

/// One request's audit context.
#[derive(Clone)]
pub(crate) struct Scope {
    log: Arc<Log>,
    request_id: Arc<str>,
}

struct Log {
    writer: AuditLog,
    /// `audit.include_failed`: also record refusals and hidden tools.
    include_failed: bool,
    /// Generated request ids: `<start time>-<counter>`, both hex.
    started: u64,
    next_id: AtomicU64,
}

/// The gateway's audit log: off, or a writer.
#[derive(Default)]
pub(crate) struct Audit(Option<Arc<Log>>);

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("Audit(off)"),
            Some(log) => write!(f, "Audit({:?})", log.writer.stats()),
        }
    }
}

impl Audit {
    /// Opens the log `config` describes (`None`: off). A file without a path goes to
    /// `audit.jsonl` in the data directory `data_dir` resolves.
    pub(crate) fn open(
        config: Option<&hangar_config::Audit>,
        data_dir: impl FnOnce() -> Option<PathBuf>,
    ) -> Result<Self, Error> {
        let Some(config) = config else {
            return Ok(Self(None));
        };
        let sink = match &config.sink {
            AuditSink::Stdout => Sink::Stdout,
            AuditSink::File(Some(path)) => Sink::File(path.clone()),
            AuditSink::File(None) => {
                Sink::File(data_dir().ok_or(Error::NoDataDir)?.join(FILE_NAME))
            }
            _ => Sink::Stdout,
        };
        let path = match &sink {
            Sink::File(path) => path.clone(),
            _ => PathBuf::from("stdout"),
        };
        let options = Options::new(config.queue_size, config.max_file_bytes, config.max_files);
        let (writer, opened) = AuditLog::open(sink, options).map_err(|error| match error {
            hangar_audit::Error::Open { path, source } => Error::Io { path, source },
            other => Error::Io {
                path: path.clone(),
                source: std::io::Error::other(other),
            },
        })?;
        match opened {
            Opened::Continued { seq } => {
                tracing::info!(path = %path.display(), seq, "audit log: the chain continues");
            }
            Opened::Restarted { reason } => tracing::warn!(
                path = %path.display(),
                %reason,
                "audit log: the last record is damaged; a new chain starts"
            ),
            _ => tracing::info!(path = %path.display(), "audit log: a new chain starts"),
        }
        let started = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Ok(Self(Some(Arc::new(Log {
            writer,
            include_failed: config.include_failed,
            started,
            next_id: AtomicU64::new(0),
        }))))
    }

    /// The writer's counters (`None`: the log is off).
    pub(crate) fn stats(&self) -> Option<Stats> {
        self.0.as_ref().map(|log| log.writer.stats())
    }

    /// Writes out everything queued and stops the writer (blocking; at shutdown).
    pub(crate) fn close(&self) {
        if let Some(log) = &self.0 {
            let stats = log.writer.close();
            tracing::info!(
                written = stats.written,
                dropped = stats.dropped,
                write_errors = stats.write_errors,
                "audit log closed"
            );
        }
    }

    /// A request's scope: its id from `X-Request-Id` (at most 128 visible ASCII
    /// characters) or a new one; `None` when the log is off.
    pub(crate) fn scope(&self, headers: &HeaderMap) -> Option<Scope> {
        let log = self.0.as_ref()?;
        let given = headers
            .get(REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .filter(|id| {
                (1..=MAX_REQUEST_ID).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
            });
        let request_id = match given {
            Some(id) => Arc::from(id),
            None => {
                let n = log.next_id.fetch_add(1, Ordering::Relaxed);
                Arc::from(format!("{:x}-{n:x}", log.started))
            }
        };
        Some(Scope {
            log: Arc::clone(log),
            request_id,
        })
    }

    /// A `notice` record outside any request (a tool-name collision, a reload by signal).
    fn notice(&self, record: Record) {
        if let Some(log) = &self.0 {
            log.writer.record(record);
        }
    }
}

/// Runs one request's `future` inside `scope` (when the log is on) and gives its id back
/// in `X-Request-Id`.
pub(crate) async fn within(
    scope: Option<Scope>,
    future: impl Future<Output = Response<Body>>,
) -> Response<Body> {
    let Some(scope) = scope else {
        return future.await;
    };
    let id = HeaderValue::from_str(&scope.request_id).ok();
    // The request's log span (trace.rs) carries the same id, generated or given.
    tracing::Span::current().record("request_id", &*scope.request_id);
    let mut response = SCOPE.scope(scope, future).await;
    if let Some(id) = id {
        response.headers_mut().insert(REQUEST_ID, id);
    }
    response
}

/// `future` with the current request's audit scope (if any) carried along: for work a
/// request hands to a task of its own, whose records must still name the request.
pub(crate) fn carry_scope<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let scope = SCOPE.try_with(Scope::clone).ok();
    async move {
        match scope {
            Some(scope) => SCOPE.scope(scope, future).await,
            None => future.await,
        }
    }
}

/// Answers `request` with `run` inside the request's audit scope: a failure becomes its
/// wire answer, and the request id goes back in `X-Request-Id` (`POST /mcp`, the admin
/// API).
pub(crate) async fn answer<F>(
    gateway: &Gateway,
    request: Request<Incoming>,
    run: impl FnOnce(Request<Incoming>) -> F,
) -> Response<Body>
where
    F: Future<Output = Result<Response<Body>, Failure>>,
{
    let scope = gateway.audit.scope(request.headers());
    within(scope, async {
        run(request).await.unwrap_or_else(wire::answer)
    })
    .await
}

/// The time now when the request is audited (for a record's latency), else `None`.
pub(crate) fn clock() -> Option<Instant> {
    SCOPE.try_with(|_| Instant::now()).ok()
}

/// Records what `make` builds, with the request id, when the request is audited (and,
/// for a refusal, when `include_failed` is on).
fn record(failed: bool, make: impl FnOnce() -> Record) {
    let _ = SCOPE.try_with(|scope| {
        if failed && !scope.log.include_failed {
            return;
        }
        scope
            .log
            .writer
            .record(make().request_id(&*scope.request_id));
    });
}

fn micros(started: Option<Instant>) -> u64 {
    started.map_or(0, |started| {
        u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)
    })
}

fn method(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::ApiKey => "api_key",
        AuthMethod::Jwt => "jwt",
        AuthMethod::Oidc => "oidc",
        AuthMethod::Introspection => "introspection",
        AuthMethod::Mtls => "mtls",
        AuthMethod::Anonymous => "anonymous",
        _ => "other",
    }
}

/// Who the caller is, on any record about it.
fn caller_record(kind: Kind, verdict: Verdict, caller: &CallerIdentity) -> Record {
    Record::new(kind, verdict)
        .tenant(caller.tenant_id.as_deref())
        .subject(caller.subject.as_str())
}

/// An authenticated caller; `started` is when authentication began.
pub(crate) fn auth_allowed(caller: &CallerIdentity, started: Option<Instant>) {
    record(false, || {
        caller_record(Kind::Auth, Verdict::Allow, caller)
            .issuer(caller.issuer.as_deref())
            .method(method(caller.method))
            .latency_us(micros(started))
    });
}

/// A refused credential (recorded with `include_failed`); the reason is the rejection's
/// stable code (`missing_credential`, `invalid_api_key`, `expired`, …), never the
/// credential.
pub(crate) fn auth_denied(rejection: &Rejection, started: Option<Instant>) {
    tracing::debug!(reason = rejection.reason(), "credential refused");
    record(true, || {
        Record::new(Kind::Auth, Verdict::Deny)
            .reason(rejection.reason())
            .latency_us(micros(started))
    });
}

/// A `tools/call` of a tool the caller may not see (recorded with `include_failed`):
/// `server` is the back end it named (egress `hangar_call`), `None` for a front_door
/// flat name. The reason — unknown, reserved, collision, withdrawn (by which overlay) or
/// denied (by which rule) — is worked out here, only for an audited request.
pub(crate) fn tool_hidden(exchange: &Exchange<'_>, server: Option<&str>, tool: &str) {
    tracing::debug!(tool, "tool hidden from the caller");
    record(true, || {
        let reason = hidden_reason(exchange, server, tool);
        caller_record(Kind::Tool, Verdict::Hidden, exchange.caller)
            .server(server)
            .tool(tool)
            .reason(reason)
    });
}

/// An allowed `tools/call`, once the back end answered: verdict `allow`, or `error`
/// when the back end failed or answered a JSON-RPC error; `reason` gives the rule that
/// allowed it (called only for an audited request); the latency is the back end's.
pub(crate) fn tool_call<'r>(
    exchange: &Exchange<'_>,
    server: &str,
    tool: &str,
    reason: impl FnOnce() -> Option<Cow<'r, str>>,
    started: Option<Instant>,
    reply: &Result<UpstreamReply, UpstreamError>,
) {
    record(false, || {
        let failure = match reply {
            Ok(UpstreamReply::Result(_)) => None,
            Ok(UpstreamReply::Error(error)) => Some(Cow::Owned(format!(
                "the back end answered error {}",
                error.code
            ))),
            Err(UpstreamError::Timeout { .. }) => Some(Cow::Borrowed("the back end timed out")),
            Err(UpstreamError::Unavailable { .. }) => {
                Some(Cow::Borrowed("the back end is unavailable"))
            }
            Err(UpstreamError::Protocol { .. }) => {
                Some(Cow::Borrowed("the back end sent an invalid answer"))
            }
            Err(_) => Some(Cow::Borrowed("the back end failed")),
        };
        let verdict = if failure.is_some() {
            Verdict::Error
        } else {
            Verdict::Allow
        };
        caller_record(Kind::Tool, verdict, exchange.caller)
            .server(server)
            .tool(tool)
            .reason(failure.or_else(reason).as_deref())
            .latency_us(micros(started))
    });
}

/// A call refused because its back end was at `max_concurrency` (never forwarded).
pub(crate) fn tool_busy(exchange: &Exchange<'_>, server: &str, tool: &str) {
    record(true, || {
        caller_record(Kind::Tool, Verdict::Deny, exchange.caller)
            .server(server)
            .tool(tool)
            .reason(Some("the back end is at its max_concurrency"))
    });
}

/// An admin action that was carried out: `action` on `server`/`tool` for `tenant`
/// (`None`: every tenant); the subject is who did it.
pub(crate) fn admin(
    caller: &CallerIdentity,
    action: &str,
    server: &str,
    tool: &str,
    tenant: Option<&str>,
) {
    tracing::info!(action, subject = %caller.subject, server, tool, tenant, "admin action");
    record(false, || {
        Record::new(Kind::Admin, Verdict::Allow)
            .subject(caller.subject.as_str())
            .issuer(caller.issuer.as_deref())
            .method(method(caller.method))
            .action(action)
            .server((server != "*").then_some(server))
            .tool((tool != "*").then_some(tool))
            .tenant(tenant)
    });
}

/// An admin action that was asked for and failed (an invalid reload).
pub(crate) fn admin_failed(caller: &CallerIdentity, action: &str, reason: &str) {
    record(false, || {
        Record::new(Kind::Admin, Verdict::Error)
            .subject(caller.subject.as_str())
            .method(method(caller.method))
            .action(action)
            .reason(reason)
    });
}

/// An admin request refused by RBAC (recorded with `include_failed`).
pub(crate) fn admin_denied(caller: &CallerIdentity, permission: &str, tenant: Option<&str>) {
    tracing::info!(subject = %caller.subject, permission, tenant, "admin request refused");
    record(true, || {
        Record::new(Kind::Admin, Verdict::Deny)
            .subject(caller.subject.as_str())
            .method(method(caller.method))
            .tenant(tenant)
            .reason(format!("permission {permission} required"))
    });
}

/// Why `tool` is hidden from `tenant`: the projection's own reasons, computed over the
/// back ends that list the name.
fn hidden_reason(exchange: &Exchange<'_>, server: Option<&str>, tool: &str) -> String {
    let (gateway, snapshot) = (exchange.gateway, exchange.snapshot);
    let tools = gateway.tools();
    let servers: Vec<&str> = match server {
        Some(server) if !snapshot.upstreams.contains(server) => {
            return format!("unknown server {server:?}");
        }
        Some(server) => vec![server],
        None => tools
            .catalog
            .servers()
            .filter(|server| tools.catalog.contains(server, tool))
            .collect(),
    };
    let listing: Vec<&str> = servers
        .into_iter()
        .filter(|server| tools.catalog.contains(server, tool))
        .collect();
    if listing.is_empty() {
        return "unknown tool: no back end lists it".to_owned();
    }
    let catalog = listing.iter().fold(Catalog::new(), |catalog, server| {
        catalog.with_server(server, [tool])
    });
    let tenant = exchange.caller.tenant_id.as_deref();
    let caller = tenant.map_or_else(Caller::anonymous, Caller::tenant);
    let seen = surface(&snapshot.policy, gateway.overlays(), &catalog, &caller);
    seen.hidden().first().map_or_else(
        || "the back end is not served".to_owned(),
        |hidden| hidden.reason().to_string(),
    )
}

impl Audit {
    /// A tool name that two or more back ends list became a collision: dropped from
    /// every surface (a `notice`).
    pub(crate) fn collision(&self, tool: &str, servers: &[&str]) {
        self.notice(
            Record::notice(format!(
                "tool name served by several back ends ({}): dropped from every surface",
                servers.join(", ")
            ))
            .tool(tool),
        );
    }

    /// A reload that did not come through the admin API (SIGHUP, the file watch); the
    /// admin API records its own, with who asked.
    pub(crate) fn reloaded(&self, ok: bool) {
        if SCOPE.try_with(|_| ()).is_ok() {
            return;
        }
        let verdict = if ok { Verdict::Allow } else { Verdict::Error };
        self.notice(
            Record::new(Kind::Admin, verdict)
                .action("reload")
                .reason("the config file was read again (SIGHUP or the file watch)"),
        );
    }
}

impl Gateway {
    /// The audit log's counters (`None`: off): records written, dropped (queue full),
    /// lost to write errors.
    pub(crate) fn audit_counters(&self) -> Option<Stats> {
        self.audit.stats()
    }

    /// After the drain: every request has finished, so every record is queued; write
    /// them out and stop the writer.
    pub(crate) async fn close_audit(self: &Arc<Self>) {
        let gateway = Arc::clone(self);
        let _ = tokio::task::spawn_blocking(move || gateway.audit.close()).await;
    }
}

impl crate::reload::ReloadError {
    /// The reason an audit record gives for a failed reload: never the config's text
    /// (an invalid file's problems are in the gateway's log).
    pub(crate) fn audit_reason(&self) -> &str {
        match self {
            Self::Invalid(_) => "the config file is invalid (the gateway log says why)",
            Self::Refused(why) => why,
            Self::NoConfigFile => "no config file to reload",
        }
    }
}

#[cfg(test)]
mod tests;
