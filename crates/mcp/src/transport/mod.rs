//! Back-end transports (feature `transport`): how the gateway talks to the MCP servers
//! behind it.
//!
//! A [`Backend`] is a cheap-clone handle built from a plain [`BackendConfig`]:
//!
//! * [`BackendKind::Http`]: Streamable HTTP over a pooled hyper client; JSON and SSE
//!   answers; a session (`initialize`, `Mcp-Session-Id`) for 2025-03-26 … 2025-11-25
//!   servers, re-initialised once when the server forgets it (HTTP 404); stateless
//!   2026-07-28 servers (`server/discover`, `Mcp-Method` / `Mcp-Name` /
//!   `MCP-Protocol-Version` headers, `_meta` in every request).
//! * [`BackendKind::Stdio`]: a child process speaking newline-delimited JSON, restarted
//!   with exponential backoff when it exits unexpectedly.
//!
//! The transport owns the JSON-RPC ids it sends; callers get a [`Reply`] (the raw result
//! or the back end's error object) and rewrite it to their own id with the codec. Only
//! the configured headers and the back end's own OAuth token go to a back end: nothing
//! of the caller's request but the method and params.
//!
//! ```no_run
//! use std::time::Duration;
//! use hangar_mcp::transport::{Backend, BackendConfig, BackendKind, ProtocolPreference, Reply};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let backend = Backend::start(BackendConfig {
//!     name: "payments".into(),
//!     kind: BackendKind::Http {
//!         endpoint: "http://127.0.0.1:9000/mcp".into(),
//!         headers: vec![("X-Api-Key".into(), "secret-from-env".into())],
//!         oauth: None,
//!         protocol: ProtocolPreference::Auto,
//!         ca_file: None,
//!     },
//!     request_timeout: Duration::from_secs(30),
//!     connect_timeout: Duration::from_secs(5),
//! });
//! let tools = backend.list_tools().await?;
//! let params = serde_json::value::RawValue::from_string(r#"{"name":"charge"}"#.into())?;
//! match backend.request("tools/call", Some(&params)).await? {
//!     Reply::Result(result) => println!("{}", result.get()),
//!     Reply::Error(error) => println!("back end said {}", error.message),
//! }
//! # let _ = tools;
//! backend.stop().await;
//! # Ok(())
//! # }
//! ```

mod credentials;
mod error;
pub mod headers;
mod http;
mod https;
mod stdio;
mod trace;

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::broadcast;

pub use error::TransportError;
pub use trace::{TraceContext, TraceParent, parse_tracestate};

use crate::jsonrpc::{ErrorObject, Notification};
use crate::version::ProtocolVersion;

/// How many `tools/list` pages [`Backend::list_tools`] follows before giving up.
pub const MAX_LIST_PAGES: usize = 100;

/// Capacity of the notification channel; a slow subscriber loses the oldest ones.
const NOTIFICATION_CAPACITY: usize = 256;

/// Everything needed to start one back end. Values are already resolved (environment
/// variables expanded) by whoever builds it; this crate reads no configuration file.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// The back end's name, used in errors and logs.
    pub name: String,
    /// HTTP or stdio, with what each needs.
    pub kind: BackendKind,
    /// How long one request may take, handshake included.
    pub request_timeout: Duration,
    /// How long establishing a TCP connection may take (HTTP).
    pub connect_timeout: Duration,
}

/// The transport of a back end.
#[derive(Debug, Clone)]
pub enum BackendKind {
    /// A Streamable-HTTP server.
    Http {
        /// The MCP endpoint, e.g. `http://payments:9000/mcp` or `https://…`.
        endpoint: String,
        /// Headers sent on every request (e.g. a static API key), values resolved.
        headers: Vec<(String, String)>,
        /// OAuth 2.0 client credentials: a bearer token fetched and cached.
        oauth: Option<ClientCredentials>,
        /// Which protocol version to speak.
        protocol: ProtocolPreference,
        /// For `https`: trust only the CA certificates of this PEM file (`None`: the
        /// system's roots).
        ca_file: Option<std::path::PathBuf>,
    },
    /// A subprocess speaking newline-delimited JSON-RPC on stdin/stdout.
    Stdio {
        /// The program.
        command: String,
        /// Its arguments.
        args: Vec<String>,
        /// Extra environment variables (the gateway's own environment is inherited).
        env: Vec<(String, String)>,
    },
}

/// OAuth 2.0 client credentials grant (RFC 6749 §4.4) for a back end's bearer token.
#[derive(Clone)]
pub struct ClientCredentials {
    /// The token endpoint (`https://`, or `http://` on loopback).
    pub token_url: String,
    /// The client id.
    pub client_id: String,
    /// The client secret (sent as `client_secret_post`).
    pub client_secret: String,
    /// Scopes to request; none means the server's default.
    pub scopes: Vec<String>,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Which protocol version to speak to an HTTP back end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProtocolPreference {
    /// Try 2026-07-28 `server/discover`; fall back to `initialize` (offering
    /// 2025-11-25) when the server answers an error, 400, 404 or 405.
    #[default]
    Auto,
    /// Speak exactly this version (`initialize` offers it for versions with sessions).
    Fixed(ProtocolVersion),
}

/// A back end's answer to one request: its result or its JSON-RPC error, without the id.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The raw `result`, to forward byte for byte.
    Result(Box<RawValue>),
    /// The back end's `error`, to forward as is.
    Error(ErrorObject),
}

/// The health of a back end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackendState {
    /// Started; the handshake has not completed yet.
    Starting,
    /// Handshake done, answering.
    Ready,
    /// Was ready, now failing (a stdio child restarting, an HTTP back end that failed
    /// its last request); requests may still succeed.
    Degraded,
    /// Stopped by [`Backend::stop`].
    Stopped,
    /// Could not be started or reached at all.
    Failed,
}

/// A snapshot of a back end's health ([`Backend::status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendStatus {
    /// The state.
    pub state: BackendState,
    /// The negotiated protocol version, once known.
    pub protocol: Option<ProtocolVersion>,
    /// The last transport error, as text.
    pub last_error: Option<String>,
    /// How many times a stdio child was restarted after exiting unexpectedly.
    pub restarts: u32,
}

/// A handle on one back end; clones share it.
#[derive(Clone)]
pub struct Backend {
    inner: Arc<Inner>,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("name", &self.inner.shared.name)
            .field("status", &self.status())
            .finish()
    }
}

struct Inner {
    shared: Arc<Shared>,
    transport: Transport,
}

enum Transport {
    Http(http::HttpTransport),
    Stdio(stdio::StdioTransport),
}

/// State every transport shares with its handle.
pub(crate) struct Shared {
    pub(crate) name: String,
    pub(crate) request_timeout: Duration,
    status: Mutex<BackendStatus>,
    notifications: broadcast::Sender<Notification>,
    next_id: AtomicI64,
}

impl Shared {
    fn new(config: &BackendConfig) -> Self {
        Self {
            name: config.name.clone(),
            request_timeout: config.request_timeout,
            status: Mutex::new(BackendStatus {
                state: BackendState::Starting,
                protocol: None,
                last_error: None,
                restarts: 0,
            }),
            notifications: broadcast::channel(NOTIFICATION_CAPACITY).0,
            next_id: AtomicI64::new(1),
        }
    }

    /// The next JSON-RPC id this transport sends.
    pub(crate) fn next_id(&self) -> i64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn publish(&self, notification: Notification) {
        // No subscriber is not an error.
        let _ = self.notifications.send(notification);
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut BackendStatus)) {
        f(&mut self.status.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// The state alone (no allocation, unlike [`status`](Self::status)).
    pub(crate) fn state(&self) -> BackendState {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .state
    }

    pub(crate) fn status(&self) -> BackendStatus {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn ready(&self, protocol: ProtocolVersion) {
        self.update(|s| {
            s.state = BackendState::Ready;
            s.protocol = Some(protocol);
        });
    }

    pub(crate) fn record_error(&self, error: &TransportError, state: Option<BackendState>) {
        self.update(|s| {
            s.last_error = Some(error.to_string());
            if let Some(state) = state {
                s.state = state;
            }
        });
    }

    pub(crate) fn err_closed(&self) -> TransportError {
        TransportError::Closed {
            backend: self.name.clone(),
        }
    }

    pub(crate) fn err_invalid(&self, reason: impl Into<String>) -> TransportError {
        TransportError::InvalidResponse {
            backend: self.name.clone(),
            reason: reason.into(),
        }
    }

    pub(crate) fn err_unreachable(&self, reason: impl fmt::Display) -> TransportError {
        TransportError::Unreachable {
            backend: self.name.clone(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn err_timeout(&self) -> TransportError {
        TransportError::Timeout {
            backend: self.name.clone(),
            after: self.request_timeout,
        }
    }

    pub(crate) fn err_handshake(&self, reason: impl Into<String>) -> TransportError {
        TransportError::Handshake {
            backend: self.name.clone(),
            reason: reason.into(),
        }
    }

    pub(crate) fn err_stopped(&self) -> TransportError {
        TransportError::Stopped {
            backend: self.name.clone(),
        }
    }
}

impl Backend {
    /// Starts a back end: spawns a stdio child (and its supervisor), or prepares the
    /// pooled HTTP client. The handshake happens on first use or in
    /// [`connect`](Self::connect). Must be called inside a tokio runtime.
    ///
    /// A configuration that cannot work (bad URL, `https://`, invalid header) does not
    /// panic: the back end is [`BackendState::Failed`] and every request answers
    /// [`TransportError::Config`].
    pub fn start(config: BackendConfig) -> Self {
        let shared = Arc::new(Shared::new(&config));
        let transport = match &config.kind {
            BackendKind::Http {
                endpoint,
                headers,
                oauth,
                protocol,
                ca_file,
            } => Transport::Http(http::HttpTransport::new(
                Arc::clone(&shared),
                endpoint,
                headers,
                oauth.clone(),
                *protocol,
                (config.connect_timeout, ca_file.as_deref()),
            )),
            BackendKind::Stdio { command, args, env } => {
                Transport::Stdio(stdio::StdioTransport::start(
                    Arc::clone(&shared),
                    stdio::Command {
                        program: command.clone(),
                        args: args.clone(),
                        env: env.clone(),
                    },
                ))
            }
        };
        Self {
            inner: Arc::new(Inner { shared, transport }),
        }
    }

    /// The back end's name.
    pub fn name(&self) -> &str {
        &self.inner.shared.name
    }

    /// Performs the handshake now (initialize or `server/discover`) instead of on first
    /// use; returns the negotiated version.
    pub async fn connect(&self) -> Result<ProtocolVersion, TransportError> {
        match &self.inner.transport {
            Transport::Http(t) => t.connect().await,
            Transport::Stdio(t) => t.connect().await,
        }
    }

    /// Sends one request and waits for its answer, at most the request timeout; a
    /// request that times out is cancelled at the back end (`notifications/cancelled`)
    /// and does not hold up other requests.
    pub async fn request(
        &self,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<Reply, TransportError> {
        self.send_request(method, params, None).await
    }

    /// [`request`](Self::request) carrying a W3C trace context to the back end: the
    /// `traceparent` (and `tracestate`) HTTP headers, and for 2026-07-28 HTTP back ends and
    /// every stdio back end also `params._meta.traceparent` (and `tracestate`), replacing
    /// members of those names the params had.
    pub async fn request_traced(
        &self,
        method: &str,
        params: Option<&RawValue>,
        trace: &TraceContext,
    ) -> Result<Reply, TransportError> {
        self.send_request(method, params, Some(trace)).await
    }

    async fn send_request(
        &self,
        method: &str,
        params: Option<&RawValue>,
        trace: Option<&TraceContext>,
    ) -> Result<Reply, TransportError> {
        let shared = &self.inner.shared;
        let result = match &self.inner.transport {
            Transport::Http(t) => t.request(method, params, trace).await,
            Transport::Stdio(t) => t.request(method, params, trace).await,
        };
        if let Err(e) = &result {
            let state = match (shared.state(), &self.inner.transport) {
                (BackendState::Ready, _) => Some(BackendState::Degraded),
                // An HTTP back end that never answered is down; a stdio child's
                // supervisor keeps its own state.
                (BackendState::Starting, Transport::Http(_)) => Some(BackendState::Failed),
                _ => None,
            };
            shared.record_error(e, state);
        } else if shared.state() == BackendState::Degraded {
            shared.update(|s| s.state = BackendState::Ready);
        }
        result
    }

    /// Sends a notification (no answer expected).
    pub async fn notify(
        &self,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<(), TransportError> {
        match &self.inner.transport {
            Transport::Http(t) => t.notify(method, params).await,
            Transport::Stdio(t) => t.notify(method, params).await,
        }
    }

    /// Every tool of the back end, following `nextCursor` for at most
    /// [`MAX_LIST_PAGES`] pages; each tool is raw JSON as the back end sent it.
    pub async fn list_tools(&self) -> Result<Vec<Box<RawValue>>, TransportError> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            tools: Vec<Box<RawValue>>,
            #[serde(rename = "nextCursor", default)]
            next_cursor: Option<String>,
        }
        let shared = &self.inner.shared;
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let params = match &cursor {
                Some(c) => Some(
                    RawValue::from_string(serde_json::json!({ "cursor": c }).to_string())
                        .map_err(|e| shared.err_invalid(e.to_string()))?,
                ),
                None => None,
            };
            let page = match self.request("tools/list", params.as_deref()).await? {
                Reply::Result(result) => serde_json::from_str::<Page>(result.get())
                    .map_err(|e| shared.err_invalid(format!("tools/list result: {e}")))?,
                Reply::Error(error) => {
                    return Err(TransportError::Refused {
                        backend: shared.name.clone(),
                        method: "tools/list".into(),
                        code: error.code,
                        message: error.message,
                    });
                }
            };
            tools.extend(page.tools);
            match page.next_cursor {
                Some(next) if !next.is_empty() => cursor = Some(next),
                _ => return Ok(tools),
            }
        }
        Err(shared.err_invalid(format!(
            "tools/list did not end within {MAX_LIST_PAGES} pages"
        )))
    }

    /// Notifications the back end sends (e.g. `notifications/tools/list_changed`): from
    /// a stdio child's stdout, SSE events that precede an answer, and the session's GET
    /// stream when the server offers one.
    pub fn subscribe(&self) -> broadcast::Receiver<Notification> {
        self.inner.shared.notifications.subscribe()
    }

    /// The back end's health now.
    pub fn status(&self) -> BackendStatus {
        self.inner.shared.status()
    }

    /// The process id of the running stdio child, if any.
    pub fn pid(&self) -> Option<u32> {
        match &self.inner.transport {
            Transport::Http(_) => None,
            Transport::Stdio(t) => t.pid(),
        }
    }

    /// Stops the back end: kills a stdio child and waits for it, ends an HTTP session
    /// (`DELETE`). Later requests answer [`TransportError::Stopped`] until
    /// [`restart`](Self::restart).
    pub async fn stop(&self) {
        match &self.inner.transport {
            Transport::Http(t) => t.stop().await,
            Transport::Stdio(t) => t.stop().await,
        }
        self.inner
            .shared
            .update(|s| s.state = BackendState::Stopped);
    }

    /// Stops and starts again: a fresh child, or a fresh session / discovery.
    pub async fn restart(&self) {
        match &self.inner.transport {
            Transport::Http(t) => t.restart().await,
            Transport::Stdio(t) => t.restart().await,
        }
    }
}

#[cfg(test)]
mod tests;
