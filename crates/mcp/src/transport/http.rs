//! Streamable-HTTP back ends: a pooled hyper client, JSON and SSE answers, sessions for
//! servers up to 2025-11-25 and stateless 2026-07-28 servers.

mod pool;
mod session;
mod sse_reply;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use http::{Method as HttpMethod, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::credentials::Credentials;
use super::headers as header_name;
use super::{ProtocolPreference, Reply, Shared, TransportError};
use crate::jsonrpc::{DecodeLimits, Id, Message, Notification, Request as RpcRequest};
use crate::mcp::{Method, NameParam};
use crate::version::ProtocolVersion;

pub(crate) use session::Session;

/// The pooled client every HTTP back end (and the OAuth token fetch) uses.
pub(crate) type Client = hyper_util::client::legacy::Client<super::https::Connector, Full<Bytes>>;

/// The largest JSON answer, or SSE event, accepted from a back end.
const MAX_MESSAGE: usize = 16 << 20;

/// The largest error body read from a non-2xx answer.
const MAX_ERROR_BODY: usize = 64 << 10;

/// The most bytes read from one SSE answer stream before giving up on it.
const MAX_SSE_STREAM: usize = 64 << 20;

const ACCEPT_BOTH: HeaderValue = HeaderValue::from_static("application/json, text/event-stream");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// An HTTP back end: either usable, or a configuration error every call reports.
pub(crate) struct HttpTransport {
    shared: Arc<Shared>,
    inner: Result<Arc<HttpInner>, String>,
}

pub(crate) struct HttpInner {
    shared: Arc<Shared>,
    /// The connections of the JSON-RPC POSTs, per thread (pool.rs).
    pool: Arc<pool::Pool>,
    /// hyper-util's pooled client for the rest: the session's `DELETE` and GET stream,
    /// the OAuth token.
    client: Client,
    endpoint: Uri,
    credentials: Credentials,
    preference: ProtocolPreference,
    session: session::SessionSlot,
}

/// What one POST produced.
enum Outcome {
    /// A JSON-RPC answer to our request, with the `Mcp-Session-Id` the response carried.
    Reply(Reply, Option<HeaderValue>),
    /// 202 Accepted (or an empty 200): what notifications get.
    Accepted,
    /// Any other status; the caller decides (404 → re-initialise, 401 → new token, …).
    Status(StatusCode),
}

impl HttpTransport {
    pub(crate) fn new(
        shared: Arc<Shared>,
        endpoint: &str,
        headers: &[(String, String)],
        oauth: Option<super::ClientCredentials>,
        preference: ProtocolPreference,
        (connect_timeout, ca_file): (Duration, Option<&std::path::Path>),
    ) -> Self {
        let inner = (|| {
            let endpoint: Uri = endpoint
                .parse()
                .map_err(|e| format!("endpoint {endpoint:?}: {e}"))?;
            if !matches!(endpoint.scheme_str(), Some("http" | "https")) {
                return Err(format!("endpoint {endpoint} is not an http(s):// URL"));
            }
            let credentials = Credentials::new(headers, oauth)?;
            let connector = super::https::connector(connect_timeout, ca_file)?;
            let pool = Arc::new(pool::Pool::new(connector.clone(), endpoint.clone())?);
            let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(90))
                .build(connector);
            let inner = Arc::new(HttpInner {
                shared: Arc::clone(&shared),
                pool,
                client,
                endpoint,
                credentials,
                preference,
                session: session::SessionSlot::default(),
            });
            inner.pool.prune_every();
            Ok(inner)
        })();
        if let Err(reason) = &inner {
            let error = TransportError::Config {
                backend: shared.name.clone(),
                reason: reason.clone(),
            };
            shared.record_error(&error, Some(super::BackendState::Failed));
        }
        Self { shared, inner }
    }

    fn inner(&self) -> Result<&Arc<HttpInner>, TransportError> {
        self.inner
            .as_ref()
            .map_err(|reason| TransportError::Config {
                backend: self.shared.name.clone(),
                reason: reason.clone(),
            })
    }

    pub(crate) async fn connect(&self) -> Result<ProtocolVersion, TransportError> {
        let inner = self.inner()?;
        let timeout = self.shared.request_timeout;
        let session = tokio::time::timeout(timeout, inner.session())
            .await
            .map_err(|_| self.shared.err_timeout())?;
        match session {
            Ok(s) => Ok(s.version),
            Err(e) => {
                let state = (!matches!(e, TransportError::Stopped { .. }))
                    .then_some(super::BackendState::Failed);
                self.shared.record_error(&e, state);
                Err(e)
            }
        }
    }

    pub(crate) async fn request(
        &self,
        method: &str,
        params: Option<&RawValue>,
        trace: Option<&super::TraceContext>,
    ) -> Result<Reply, TransportError> {
        let inner = self.inner()?;
        let id = self.shared.next_id();
        match tokio::time::timeout(
            self.shared.request_timeout,
            inner.request(id, method, params, trace),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => {
                // The request future (and its connection) is dropped; tell the back end
                // too, without holding anyone up.
                let inner = Arc::clone(inner);
                tokio::spawn(async move { inner.cancel(id).await });
                Err(self.shared.err_timeout())
            }
        }
    }

    pub(crate) async fn notify(
        &self,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<(), TransportError> {
        let inner = self.inner()?;
        tokio::time::timeout(self.shared.request_timeout, inner.notify(method, params))
            .await
            .map_err(|_| self.shared.err_timeout())?
    }

    pub(crate) async fn stop(&self) {
        if let Ok(inner) = self.inner() {
            inner.stop().await;
        }
    }

    pub(crate) async fn restart(&self) {
        if let Ok(inner) = self.inner() {
            inner.stop().await;
            inner.session.resume();
            self.shared
                .update(|s| s.state = super::BackendState::Starting);
        }
    }
}

impl HttpInner {
    async fn request(
        &self,
        id: i64,
        method: &str,
        params: Option<&RawValue>,
        trace: Option<&super::TraceContext>,
    ) -> Result<Reply, TransportError> {
        let mut session = self.session().await?;
        let mut renewed_session = false;
        let mut renewed_token = false;
        loop {
            let body = encode_traced(id, method, params, session.version, trace)
                .map_err(|r| self.unsendable(r))?;
            let mut headers =
                mcp_headers(method, params, session.version).map_err(|r| self.unsendable(r))?;
            if let Some(trace) = trace {
                trace_headers(trace, &mut headers);
            }
            match self.post(body, Some(&session), headers, Some(id)).await? {
                Outcome::Reply(reply, _) => return Ok(reply),
                Outcome::Accepted => {
                    return Err(self
                        .shared
                        .err_invalid("a request was answered 202 accepted"));
                }
                Outcome::Status(StatusCode::NOT_FOUND)
                    if session.id.is_some() && !renewed_session =>
                {
                    // The back end forgot the session (restarted, expired): one new
                    // handshake, one retry.
                    renewed_session = true;
                    tracing::info!(
                        target: "hangar_mcp::http",
                        backend = %self.shared.name,
                        "session not found; re-initializing"
                    );
                    session = self.reinitialize(&session).await?;
                }
                Outcome::Status(StatusCode::UNAUTHORIZED)
                    if self.credentials.has_oauth() && !renewed_token =>
                {
                    renewed_token = true;
                    self.credentials.invalidate().await;
                }
                Outcome::Status(status) => return Err(self.err_status(status)),
            }
        }
    }

    async fn notify(&self, method: &str, params: Option<&RawValue>) -> Result<(), TransportError> {
        let session = self.session().await?;
        self.send_notification(&session, method, params).await
    }

    async fn send_notification(
        &self,
        session: &Session,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<(), TransportError> {
        let mut body = Vec::new();
        Notification::new(method, params.map(RawValue::to_owned)).encode_into(&mut body);
        let headers =
            mcp_headers(method, params, session.version).map_err(|r| self.unsendable(r))?;
        match self.post(body, Some(session), headers, None).await? {
            Outcome::Accepted | Outcome::Reply(..) => Ok(()),
            Outcome::Status(status) => Err(self.err_status(status)),
        }
    }

    /// Best-effort `notifications/cancelled` for a request that timed out.
    async fn cancel(&self, id: i64) {
        let Some(session) = self.session.current().await else {
            return;
        };
        let params = format!(r#"{{"requestId":{id},"reason":"timeout"}}"#);
        let Ok(params) = RawValue::from_string(params) else {
            return;
        };
        let send = self.send_notification(&session, "notifications/cancelled", Some(&params));
        if let Ok(Err(e)) = tokio::time::timeout(self.shared.request_timeout, send).await {
            tracing::debug!(target: "hangar_mcp::http", backend = %self.shared.name, "cancel not delivered: {e}");
        }
    }

    fn unsendable(&self, reason: String) -> TransportError {
        TransportError::Unsendable {
            backend: self.shared.name.clone(),
            reason,
        }
    }

    fn err_status(&self, status: StatusCode) -> TransportError {
        TransportError::HttpStatus {
            backend: self.shared.name.clone(),
            status: status.as_u16(),
        }
    }

    /// POSTs one JSON-RPC message and reads the answer to `expect` (JSON or SSE).
    async fn post(
        &self,
        body: Vec<u8>,
        session: Option<&Session>,
        extra: HeaderMap,
        expect: Option<i64>,
    ) -> Result<Outcome, TransportError> {
        let mut request = Request::builder()
            .method(HttpMethod::POST)
            .uri(self.endpoint.clone())
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| self.shared.err_invalid(e.to_string()))?;
        let headers = request.headers_mut();
        // The back end's own credentials first; the transport's headers cannot be
        // overridden by them (the reserved names are refused at start).
        self.credentials
            .apply(&self.shared, &self.client, headers)
            .await?;
        headers.insert(ACCEPT, ACCEPT_BOTH);
        headers.insert(CONTENT_TYPE, JSON);
        if let Some(session) = session {
            session.write_headers(headers);
        }
        headers.extend(extra);

        let (response, lease) = self.pool.send(request).await.map_err(|e| match e {
            pool::PoolError::Connect(reason) => self.shared.err_unreachable(reason),
            pool::PoolError::Closed(error) => {
                tracing::debug!(target: "hangar_mcp::http", backend = %self.shared.name, %error, "no answer");
                self.shared.err_closed()
            }
        })?;
        let status = response.status();
        let session_id = response.headers().get(&header_name::SESSION_ID).cloned();
        if status == StatusCode::ACCEPTED {
            // An empty answer, as 202 should be, leaves the connection usable.
            lease.release_if_ended(&mut response.into_body());
            return Ok(Outcome::Accepted);
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let version = session.map_or(ProtocolVersion::LATEST_WITH_INITIALIZE, |s| s.version);
        let limits = DecodeLimits::for_version(version).max_size(MAX_MESSAGE);
        if !status.is_success() {
            // 401 (token), 404 (session) and 405 (discovery) are decided by the caller;
            // other statuses may carry the back end's JSON-RPC error (e.g. -32022 with
            // 400), which is passed through as its answer.
            let mut body = response.into_body();
            if let (Some(expect), false, true) = (
                expect,
                matches!(status.as_u16(), 401 | 404 | 405),
                content_type.starts_with("application/json"),
            ) && let Ok(collected) = Limited::new(&mut body, MAX_ERROR_BODY).collect().await
                && let Ok(Message::ErrorResponse(error)) =
                    Message::decode(&collected.to_bytes(), &limits)
                && error.id.as_ref().is_none_or(|id| *id == Id::Number(expect))
            {
                lease.release();
                return Ok(Outcome::Reply(Reply::Error(error.error), session_id));
            }
            // An empty answer (a bare 404 or 405) leaves the connection usable.
            lease.release_if_ended(&mut body);
            return Ok(Outcome::Status(status));
        }
        let Some(expect) = expect else {
            // A notification answered 200: an empty body leaves the connection usable.
            lease.release_if_ended(&mut response.into_body());
            return Ok(Outcome::Accepted);
        };
        let reply = if content_type.starts_with("text/event-stream") {
            let mut body = response.into_body();
            let reply = sse_reply::read(&self.shared, &mut body, expect, &limits).await?;
            lease.release_if_ended(&mut body);
            reply
        } else if content_type.starts_with("application/json") {
            let body = Limited::new(response.into_body(), MAX_MESSAGE)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        self.shared
                            .err_invalid(format!("answer larger than {MAX_MESSAGE} bytes"))
                    } else {
                        self.shared.err_closed()
                    }
                })?
                .to_bytes();
            // The answer was read whole: the connection carries the next request.
            lease.release();
            let message = Message::decode(&body, &limits)
                .map_err(|e| self.shared.err_invalid(e.to_string()))?;
            match reply_for(message, expect) {
                Some(reply) => reply,
                None => return Err(self.shared.err_invalid("the answer is not for our request")),
            }
        } else {
            return Err(self
                .shared
                .err_invalid(format!("unexpected content type {content_type:?}")));
        };
        Ok(Outcome::Reply(reply, session_id))
    }
}

/// The reply inside `message` if it answers request `expect`.
pub(crate) fn reply_for(message: Message, expect: i64) -> Option<Reply> {
    let ours = |id: &Id| *id == Id::Number(expect);
    match message {
        Message::Response(r) if ours(&r.id) => Some(Reply::Result(r.result)),
        Message::ErrorResponse(r) if r.id.as_ref().is_some_and(ours) => Some(Reply::Error(r.error)),
        _ => None,
    }
}

/// The request body: for 2026-07-28, `params._meta` gets the protocol version, client
/// info and capabilities (keys already there, e.g. `progressToken`, are kept).
fn encode_request(
    id: i64,
    method: &str,
    params: Option<&RawValue>,
    version: ProtocolVersion,
) -> Result<Vec<u8>, String> {
    encode_traced(id, method, params, version, None)
}

/// [`encode_request`] with a trace context: for 2026-07-28 it joins the other `_meta`
/// members (older versions get it in headers only, see [`trace_headers`]).
fn encode_traced(
    id: i64,
    method: &str,
    params: Option<&RawValue>,
    version: ProtocolVersion,
    trace: Option<&super::TraceContext>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    if version.is_stateless() {
        let params = with_meta(params, trace)?;
        RpcRequest::encode_parts(&Id::Number(id), method, Some(&params), &mut out);
    } else {
        RpcRequest::encode_parts(&Id::Number(id), method, params, &mut out);
    }
    Ok(out)
}

/// The `traceparent` and `tracestate` headers of a traced request.
fn trace_headers(trace: &super::TraceContext, headers: &mut HeaderMap) {
    if let Ok(value) = HeaderValue::from_bytes(&trace.traceparent.encode()) {
        headers.insert(header_name::TRACEPARENT, value);
    }
    if let Some(Ok(value)) = trace.tracestate.as_deref().map(HeaderValue::from_str) {
        headers.insert(header_name::TRACESTATE, value);
    }
}

/// `params` with the 2026-07-28 `_meta` keys (and the trace context's) merged in.
pub(crate) fn with_meta(
    params: Option<&RawValue>,
    trace: Option<&super::TraceContext>,
) -> Result<Box<RawValue>, String> {
    let own = client_meta();
    let own: std::collections::BTreeMap<&str, &RawValue> =
        serde_json::from_str(own.get()).map_err(|e| e.to_string())?;
    let traced = trace
        .map(super::TraceContext::meta_members)
        .unwrap_or_default();
    let members: Vec<(&str, &RawValue)> = own
        .into_iter()
        .chain(traced.iter().map(|(name, value)| (*name, &**value)))
        .collect();
    super::trace::merge_meta(params, &members)
}

fn client_meta() -> Box<RawValue> {
    let text = format!(
        r#"{{"io.modelcontextprotocol/protocolVersion":"{}","io.modelcontextprotocol/clientInfo":{{"name":"hangar","version":"{}"}},"io.modelcontextprotocol/clientCapabilities":{{}}}}"#,
        ProtocolVersion::V2026_07_28.as_str(),
        env!("CARGO_PKG_VERSION"),
    );
    RawValue::from_string(text).unwrap_or_else(|_| unreachable!("constant JSON"))
}

/// The 2026-07-28 headers for a message: `Mcp-Method`, `Mcp-Name` (from `params.name`
/// or `params.uri`) and `MCP-Protocol-Version`; nothing for older versions (the session
/// adds its own).
fn mcp_headers(
    method: &str,
    params: Option<&RawValue>,
    version: ProtocolVersion,
) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    if !version.is_stateless() {
        return Ok(headers);
    }
    let invalid = |what: &str| format!("{what} cannot be sent as an http header");
    headers.insert(
        header_name::METHOD,
        HeaderValue::from_str(method).map_err(|_| invalid("the method"))?,
    );
    if let Some(param) = Method::from_name(method).and_then(Method::name_param) {
        #[derive(Deserialize)]
        struct Named<'a> {
            #[serde(borrow, default)]
            name: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            uri: Option<std::borrow::Cow<'a, str>>,
        }
        let named: Named<'_> = serde_json::from_str(params.map_or("{}", RawValue::get))
            .map_err(|_| invalid("params"))?;
        let value = match param {
            NameParam::Name => named.name,
            NameParam::Uri => named.uri,
        };
        if let Some(value) = value {
            headers.insert(
                header_name::NAME,
                HeaderValue::from_str(&value).map_err(|_| invalid("the name"))?,
            );
        }
    }
    headers.insert(
        header_name::PROTOCOL_VERSION,
        HeaderValue::from_static(version.as_str()),
    );
    Ok(headers)
}

/// The innermost cause of a client error, which is where the useful text is
/// ("connection refused").
fn source_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests;
