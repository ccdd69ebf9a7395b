//! The handshake with an HTTP back end: `server/discover` (2026-07-28, stateless) or
//! `initialize` + `notifications/initialized` (a session, `Mcp-Session-Id`), and the
//! session's lifetime (re-initialisation, `DELETE` on stop).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use http::{Method as HttpMethod, Request};
use http_body_util::Full;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::task::AbortHandle;

use super::{HttpInner, Outcome, encode_request, mcp_headers};
use crate::transport::headers as header_name;
use crate::transport::{ProtocolPreference, Reply, TransportError};
use crate::version::ProtocolVersion;

/// What the handshake settled: the version and, for versions with sessions, the id.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) version: ProtocolVersion,
    pub(crate) id: Option<HeaderValue>,
}

impl Session {
    /// `Mcp-Session-Id` and (2025-06-18 and later) `MCP-Protocol-Version`.
    pub(super) fn write_headers(&self, headers: &mut HeaderMap) {
        if self.version.is_stateless() {
            return;
        }
        if let Some(id) = &self.id {
            headers.insert(header_name::SESSION_ID, id.clone());
        }
        if self.version >= ProtocolVersion::V2025_06_18 {
            headers.insert(
                header_name::PROTOCOL_VERSION,
                HeaderValue::from_static(self.version.as_str()),
            );
        }
    }
}

/// The current session, set up once and shared by every request.
#[derive(Default)]
pub(super) struct SessionSlot {
    current: tokio::sync::Mutex<Option<Session>>,
    stopped: AtomicBool,
    /// The task reading the session's GET stream, if the server offers one.
    listener: std::sync::Mutex<Option<AbortHandle>>,
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        self.stop_listening();
    }
}

impl SessionSlot {
    pub(super) async fn current(&self) -> Option<Session> {
        self.current.lock().await.clone()
    }

    pub(super) fn resume(&self) {
        self.stopped.store(false, Ordering::SeqCst);
    }

    fn stop_listening(&self) {
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(listener) = listener {
            listener.abort();
        }
    }

    fn listen_with(&self, task: AbortHandle) {
        let old = self
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(task);
        if let Some(old) = old {
            old.abort();
        }
    }
}

/// Why discovery did not give a 2026-07-28 session.
enum Discovery {
    Stateless(Session),
    /// The server does not speak 2026-07-28: use initialize.
    NotSupported,
}

impl HttpInner {
    /// The session, doing the handshake first if there is none. Concurrent first calls
    /// wait for one handshake.
    pub(super) async fn session(&self) -> Result<Session, TransportError> {
        let mut slot = self.session.current.lock().await;
        if self.session.stopped.load(Ordering::SeqCst) {
            return Err(self.shared.err_stopped());
        }
        if let Some(session) = &*slot {
            return Ok(session.clone());
        }
        let session = self.establish().await?;
        self.shared.ready(session.version);
        *slot = Some(session.clone());
        self.listen(&session).await;
        Ok(session)
    }

    /// A new session after the back end answered 404 to `stale`; when another request
    /// already renewed it, that session is used.
    pub(super) async fn reinitialize(&self, stale: &Session) -> Result<Session, TransportError> {
        let mut slot = self.session.current.lock().await;
        if self.session.stopped.load(Ordering::SeqCst) {
            return Err(self.shared.err_stopped());
        }
        if let Some(current) = &*slot
            && current.id != stale.id
        {
            return Ok(current.clone());
        }
        *slot = None;
        self.session.stop_listening();
        let session = self.initialize(stale.version).await?;
        self.shared.ready(session.version);
        *slot = Some(session.clone());
        self.listen(&session).await;
        Ok(session)
    }

    /// A request without a body to the endpoint, with the back end's own credentials;
    /// `None` when they cannot be had (the callers are best effort).
    async fn bodiless(&self, method: HttpMethod) -> Option<Request<Full<Bytes>>> {
        let mut request = Request::builder()
            .method(method)
            .uri(self.endpoint.clone())
            .body(Full::new(Bytes::new()))
            .ok()?;
        self.credentials
            .apply(&self.shared, &self.client, request.headers_mut())
            .await
            .ok()?;
        Some(request)
    }

    /// Ends the session (`DELETE`, best effort) and refuses requests until resumed.
    pub(super) async fn stop(&self) {
        let mut slot = self.session.current.lock().await;
        self.session.stopped.store(true, Ordering::SeqCst);
        self.session.stop_listening();
        // Idle connections close now, not at the back end's or the pool's idle timeout.
        self.pool.clear();
        let Some(session) = slot.take() else {
            return;
        };
        let Some(id) = session.id.clone() else {
            return;
        };
        let Some(mut request) = self.bodiless(HttpMethod::DELETE).await else {
            return;
        };
        let headers = request.headers_mut();
        headers.insert(header_name::SESSION_ID, id);
        session.write_headers(headers);
        let _ =
            tokio::time::timeout(self.shared.request_timeout, self.client.request(request)).await;
    }

    /// Opens the session's GET stream (server notifications outside any request) in
    /// the background; a server without one (405, anything but an event stream) is
    /// fine. Stateless sessions have none.
    async fn listen(&self, session: &Session) {
        if session.id.is_none() {
            return;
        }
        let Some(mut request) = self.bodiless(HttpMethod::GET).await else {
            return;
        };
        let headers = request.headers_mut();
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        session.write_headers(headers);
        let client = self.client.clone();
        let shared = Arc::clone(&self.shared);
        let task = tokio::spawn(async move {
            let Ok(response) = client.request(request).await else {
                return;
            };
            let is_stream = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/event-stream"));
            if response.status().is_success() && is_stream {
                super::sse_reply::listen(&shared, response.into_body()).await;
            }
        });
        self.session.listen_with(task.abort_handle());
    }

    async fn establish(&self) -> Result<Session, TransportError> {
        match self.preference {
            ProtocolPreference::Fixed(version) if version.is_stateless() => {
                match self.discover().await? {
                    Discovery::Stateless(session) => Ok(session),
                    Discovery::NotSupported => Err(self
                        .shared
                        .err_handshake("the back end does not speak 2026-07-28")),
                }
            }
            ProtocolPreference::Fixed(version) => self.initialize(version).await,
            ProtocolPreference::Auto => match self.discover().await? {
                Discovery::Stateless(session) => Ok(session),
                Discovery::NotSupported => {
                    self.initialize(ProtocolVersion::LATEST_WITH_INITIALIZE)
                        .await
                }
            },
        }
    }

    /// `server/discover`: a 2026-07-28 server lists its versions; an older one answers
    /// an error, 400, 404 or 405.
    async fn discover(&self) -> Result<Discovery, TransportError> {
        #[derive(Deserialize)]
        struct Discovered {
            #[serde(rename = "supportedVersions", default)]
            supported_versions: Vec<String>,
        }
        let version = ProtocolVersion::V2026_07_28;
        let id = self.shared.next_id();
        let method = "server/discover";
        let body =
            encode_request(id, method, None, version).map_err(|r| self.shared.err_handshake(r))?;
        let headers =
            mcp_headers(method, None, version).map_err(|r| self.shared.err_handshake(r))?;
        match self.post(body, None, headers, Some(id)).await? {
            Outcome::Reply(Reply::Result(result), _) => {
                let discovered: Discovered = serde_json::from_str(result.get()).map_err(|e| {
                    self.shared
                        .err_invalid(format!("server/discover result: {e}"))
                })?;
                if discovered
                    .supported_versions
                    .iter()
                    .any(|v| v == version.as_str())
                {
                    Ok(Discovery::Stateless(Session { version, id: None }))
                } else {
                    Ok(Discovery::NotSupported)
                }
            }
            Outcome::Reply(Reply::Error(_), _) => Ok(Discovery::NotSupported),
            Outcome::Status(status) if matches!(status.as_u16(), 400 | 404 | 405) => {
                Ok(Discovery::NotSupported)
            }
            Outcome::Status(status) => Err(self.err_status(status)),
            Outcome::Accepted => Err(self.shared.err_handshake("server/discover answered 202")),
        }
    }

    /// `initialize` offering `offer`, then `notifications/initialized`; any of the
    /// versions with a handshake is accepted from the server.
    async fn initialize(&self, offer: ProtocolVersion) -> Result<Session, TransportError> {
        #[derive(Deserialize)]
        struct Initialized<'a> {
            #[serde(rename = "protocolVersion", borrow)]
            protocol_version: std::borrow::Cow<'a, str>,
        }
        let offer = if offer.has_initialize() {
            offer
        } else {
            ProtocolVersion::LATEST_WITH_INITIALIZE
        };
        let id = self.shared.next_id();
        let params = format!(
            r#"{{"protocolVersion":"{}","capabilities":{{}},"clientInfo":{{"name":"hangar","version":"{}"}}}}"#,
            offer.as_str(),
            env!("CARGO_PKG_VERSION")
        );
        let params =
            RawValue::from_string(params).map_err(|e| self.shared.err_handshake(e.to_string()))?;
        let body = encode_request(id, "initialize", Some(&params), offer)
            .map_err(|r| self.shared.err_handshake(r))?;
        let (result, session_id) = match self.post(body, None, HeaderMap::new(), Some(id)).await? {
            Outcome::Reply(Reply::Result(result), session_id) => (result, session_id),
            Outcome::Reply(Reply::Error(error), _) => {
                return Err(self.shared.err_handshake(format!(
                    "initialize refused: {} ({})",
                    error.message, error.code
                )));
            }
            Outcome::Status(status) => return Err(self.err_status(status)),
            Outcome::Accepted => return Err(self.shared.err_handshake("initialize answered 202")),
        };
        let answered: Initialized<'_> = serde_json::from_str(result.get())
            .map_err(|e| self.shared.err_invalid(format!("initialize result: {e}")))?;
        let version = answered
            .protocol_version
            .parse::<ProtocolVersion>()
            .ok()
            .filter(|v| v.has_initialize())
            .ok_or_else(|| {
                self.shared.err_handshake(format!(
                    "the back end answered unsupported protocol version {:?}",
                    answered.protocol_version
                ))
            })?;
        let session = Session {
            version,
            id: session_id,
        };
        self.send_notification(&session, "notifications/initialized", None)
            .await?;
        Ok(session)
    }
}
