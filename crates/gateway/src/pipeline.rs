//! The MCP endpoint: `POST /mcp` runs the request pipeline, `DELETE /mcp` ends a session,
//! `GET /mcp` opens a session's server-to-client stream (≤ 2025-11-25; without a session
//! `405`).

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use hangar_identity::{CallerIdentity, Rejection, RequestContext};
use hangar_mcp::transport::headers as header_name;
use hangar_mcp::{
    DecodeLimits, McpHeaders, Message, ProtocolVersion, RequestMeta, validate_headers,
};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use crate::audit;
use crate::limits;
use crate::methods::{self, Exchange};
use crate::server::ConnectionInfo;
use crate::state::{Gateway, Snapshot};
use crate::stream;
use crate::trace::Trace;
use crate::wire::{self, Body, Failure};

/// `POST /mcp`.
pub(crate) async fn post(gateway: &Arc<Gateway>, request: Request<Incoming>) -> Response<Body> {
    // Inside the audit scope (request id, log), when the audit log is on.
    audit::answer(gateway, request, |request| run(gateway, request)).await
}

async fn run(
    gateway: &Arc<Gateway>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Failure> {
    let (parts, body) = request.into_parts();
    // One snapshot for the whole request: a reload mid-request does not mix configs.
    let snapshot = gateway.snapshot();
    // Origin first: a foreign web page must not drive the gateway (DNS rebinding).
    check_origin(gateway, &parts.headers)?;
    // Identity before the body: unauthenticated callers cost no buffering.
    let caller = authenticate(&snapshot, &parts).await?;
    // Rate limits of the tenant and the subject, before the body is buffered.
    limits::admit_caller(&snapshot, &parts, &caller, None)?;
    // JSON only (415), before the body is read: a cross-site `text/plain` or form post
    // (no CORS preflight) never gets further, and the codec sees only what claims JSON.
    check_content_type(&parts.headers)?;
    // The body, bounded: past the limit is 413, and it is read once.
    let bytes = read_body(&parts.headers, body, gateway.options.max_body_bytes).await?;
    // The version the client claims in its header; an unknown one is -32022.
    let header_version = header(&parts.headers, &header_name::PROTOCOL_VERSION);
    let claimed = header_version
        .map(str::parse::<ProtocolVersion>)
        .transpose()
        .map_err(|error| Failure::codec(None, error))?;
    // Decode once, strictly: -32700 for bad JSON, -32600 for a bad envelope or a batch.
    let limits = DecodeLimits::for_version(ProtocolVersion::V2025_11_25)
        .max_size(gateway.options.max_body_bytes)
        .allow_batch(false);
    let message = Message::decode(&bytes, &limits).map_err(|error| Failure::codec(None, error))?;
    let id = message.id().cloned();
    let version = match claimed {
        Some(version) => version,
        None => body_version(&message).map_err(|error| Failure::codec(id.clone(), error))?,
    };
    // 2026-07-28: headers must agree with the body before anything trusts either (-32020).
    if version.is_stateless() {
        let headers = McpHeaders {
            method: header(&parts.headers, &header_name::METHOD),
            name: header(&parts.headers, &header_name::NAME),
            protocol_version: header_version,
        };
        validate_headers(&headers, &message).map_err(|error| Failure::codec(id.clone(), error))?;
    }
    // Per-message auth (optional): `params._auth.token` makes the message its token's
    // caller; the session still belongs to the HTTP-level caller.
    let message_caller = message_caller(&snapshot, &message).await?;
    if let Some(message_caller) = &message_caller {
        // The message's own caller has its own buckets too.
        limits::admit_caller(&snapshot, &parts, message_caller, id.as_ref())?;
    }
    let session_owner = &caller;
    let caller = message_caller.as_ref().unwrap_or(session_owner);
    // Sessions (≤ 2025-11-25): initialize opens one; everything else must present its own.
    let (version, session) = if version.is_stateless() || is_initialize(&message) {
        (version, None)
    } else {
        let Some(session) = header(&parts.headers, &header_name::SESSION_ID) else {
            return Err(Failure::http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Mcp-Session-Id header required (send initialize first)",
            ));
        };
        let Some(session_version) = gateway.sessions.touch(session, session_owner) else {
            return Err(Failure::session_not_found(id));
        };
        (claimed.unwrap_or(session_version), Some(session))
    };
    // Dispatch: requests are answered, notifications and responses only taken.
    match message {
        Message::Request(request) => {
            // The trace context the router took from the request's headers.
            let untraced = Trace::default();
            let exchange = Exchange {
                gateway,
                snapshot: &snapshot,
                caller,
                session_owner,
                version,
                trace: parts.extensions.get::<Trace>().unwrap_or(&untraced),
            };
            let mut response = methods::dispatch(&exchange, &request).await?;
            if let (Some(session), false) = (
                session,
                response.headers().contains_key(&header_name::SESSION_ID),
            ) && let Ok(value) = HeaderValue::from_str(session)
            {
                response
                    .headers_mut()
                    .insert(header_name::SESSION_ID, value);
            }
            Ok(response)
        }
        Message::Notification(_) | Message::Response(_) | Message::ErrorResponse(_) => {
            Ok(wire::accepted())
        }
        Message::Batch(_) => Err(Failure::codec(id, hangar_mcp::Error::BatchNotAllowed)),
    }
}

/// `DELETE /mcp`: ends the caller's own session (`204`); an unknown or foreign id is `404`.
pub(crate) async fn delete(gateway: &Gateway, request: Request<Incoming>) -> Response<Body> {
    let (parts, _body) = request.into_parts();
    let snapshot = gateway.snapshot();
    let outcome = async {
        check_origin(gateway, &parts.headers)?;
        let caller = authenticate(&snapshot, &parts).await?;
        limits::admit_caller(&snapshot, &parts, &caller, None)?;
        let Some(session) = header(&parts.headers, &header_name::SESSION_ID) else {
            return Err(Failure::http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Mcp-Session-Id header required",
            ));
        };
        if gateway.sessions.end(session, &caller) {
            Ok(wire::status_only(StatusCode::NO_CONTENT))
        } else {
            Err(Failure::session_not_found(None))
        }
    };
    let scope = gateway.audit.scope(&parts.headers);
    audit::within(scope, async { outcome.await.unwrap_or_else(wire::answer) }).await
}

/// `GET /mcp` (≤ 2025-11-25): the caller's server-to-client event stream, carrying
/// `notifications/tools/list_changed` when the caller's surface changes. Needs the
/// caller's own session, like any other message after `initialize`.
pub(crate) async fn get(gateway: &Arc<Gateway>, request: Request<Incoming>) -> Response<Body> {
    let (parts, _body) = request.into_parts();
    let snapshot = gateway.snapshot();
    let outcome = async {
        check_origin(gateway, &parts.headers)?;
        let caller = authenticate(&snapshot, &parts).await?;
        limits::admit_caller(&snapshot, &parts, &caller, None)?;
        let Some(session) = header(&parts.headers, &header_name::SESSION_ID) else {
            return Err(stream_not_offered());
        };
        if gateway.sessions.touch(session, &caller).is_none() {
            return Err(Failure::session_not_found(None));
        }
        Ok(stream::open(Arc::clone(gateway), caller.tenant_id))
    };
    let scope = gateway.audit.scope(&parts.headers);
    audit::within(scope, async { outcome.await.unwrap_or_else(wire::answer) }).await
}

/// Without a session there is no stream to offer: `405`, as MCP lets a server answer.
fn stream_not_offered() -> Failure {
    Failure::http(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "GET /mcp needs an Mcp-Session-Id (protocol versions up to 2025-11-25)",
    )
}

pub(crate) async fn authenticate(
    snapshot: &Snapshot,
    parts: &Parts,
) -> Result<CallerIdentity, Failure> {
    let connection = parts.extensions.get::<ConnectionInfo>();
    let context = RequestContext {
        headers: &parts.headers,
        uri: &parts.uri,
        client_certificate: connection
            .and_then(|c| c.client_certificate.as_deref())
            .and_then(crate::tls::ClientCertificate::current),
    };
    decide(snapshot, snapshot.authenticator.authenticate(&context)).await
}

/// One authentication decision (a request's credential, or a message's own token):
/// timed for the metrics and recorded in the audit log; a refusal becomes its answer.
async fn decide(
    snapshot: &Snapshot,
    attempt: impl Future<Output = Result<CallerIdentity, Rejection>>,
) -> Result<CallerIdentity, Failure> {
    let started = audit::clock();
    let timer = std::time::Instant::now();
    let outcome = attempt.await;
    snapshot.metrics.auth(outcome.as_ref(), timer.elapsed());
    match outcome {
        Ok(caller) => {
            audit::auth_allowed(&caller, started);
            Ok(caller)
        }
        Err(rejection) => {
            audit::auth_denied(&rejection, started);
            Err(Failure::Auth(Box::new(
                snapshot.authenticator.answer(&rejection),
            )))
        }
    }
}

/// The caller a message's own token names (`params._auth.token`), when per-message auth
/// is on and the message has one; a bad token is refused like a bad header credential.
async fn message_caller(
    snapshot: &Snapshot,
    message: &Message,
) -> Result<Option<CallerIdentity>, Failure> {
    let authenticator = &snapshot.authenticator;
    if !authenticator.per_message() {
        return Ok(None);
    }
    let params = match message {
        Message::Request(request) => request.params.as_deref(),
        Message::Notification(notification) => notification.params.as_deref(),
        _ => None,
    };
    let Some(params) = params.filter(|p| p.get().contains("_auth") || p.get().contains("\\u"))
    else {
        return Ok(None);
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(params.get()) else {
        return Ok(None);
    };
    let Some(token) = hangar_identity::message_token(&value) else {
        return Ok(None);
    };
    // Boxed: a message token may need an OIDC key fetch or an introspection exchange,
    // large futures that calls without one should not carry.
    decide(
        snapshot,
        Box::pin(authenticator.authenticate_message(token)),
    )
    .await
    .map(Some)
}

/// The version a request without an `MCP-Protocol-Version` header speaks: the one in its
/// `_meta` (a 2026-07-28 request then fails header validation), else the oldest version,
/// as MCP prescribes for a client that sends no header (the session, when there is one,
/// knows better).
fn body_version(message: &Message) -> Result<ProtocolVersion, hangar_mcp::Error> {
    if let Message::Request(request) = message
        && let Ok(meta) = RequestMeta::of(request)
        && let Some(version) = meta.protocol_version
    {
        return version.parse();
    }
    Ok(ProtocolVersion::V2025_03_26)
}

fn is_initialize(message: &Message) -> bool {
    matches!(message, Message::Request(request) if request.method == "initialize")
}

/// A header's value as text; `None` when absent or not visible ASCII.
fn header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// A `POST /mcp` body must be declared `application/json` (parameters such as
/// `charset=utf-8` allowed, any case): anything else, or no `Content-Type`, is
/// `415 unsupported_media_type`, as the MCP SDKs' own servers answer.
fn check_content_type(headers: &HeaderMap) -> Result<(), Failure> {
    let json = header(headers, &CONTENT_TYPE).is_some_and(|value| {
        let media_type = value.split(';').next().unwrap_or_default().trim();
        media_type.eq_ignore_ascii_case("application/json")
    });
    if json {
        Ok(())
    } else {
        Err(Failure::http(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Content-Type must be application/json",
        ))
    }
}

/// Reads the body, refusing more than `limit` bytes (`413`), early when `Content-Length`
/// already says so.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, Failure> {
    let too_large = || {
        Failure::http(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body exceeds {limit} bytes"),
        )
    };
    let declared = header(headers, &CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(_) => Err(Failure::http(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "cannot read the request body",
        )),
    }
}

/// Absent `Origin` (non-browser clients) passes; a browser origin must be loopback or
/// the host the request was sent to. Configurable allowed origins come later.
pub(crate) fn check_origin(gateway: &Gateway, headers: &HeaderMap) -> Result<(), Failure> {
    let host = header(headers, &HOST);
    // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends
    // `Host: evil.example` (and a matching Origin). A gateway listening on loopback
    // answers only to loopback host names.
    let foreign_host = || {
        headers
            .get_all(HOST)
            .iter()
            .any(|value| !value.to_str().is_ok_and(host_is_loopback))
    };
    if gateway.is_loopback_only() && foreign_host() {
        return Err(Failure::http(
            StatusCode::FORBIDDEN,
            "forbidden",
            Cow::Borrowed("host not allowed"),
        ));
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    if origin
        .to_str()
        .is_ok_and(|origin| origin_allowed(origin, host))
    {
        Ok(())
    } else {
        Err(Failure::http(
            StatusCode::FORBIDDEN,
            "forbidden",
            Cow::Borrowed("origin not allowed"),
        ))
    }
}

fn origin_allowed(origin: &str, host: Option<&str>) -> bool {
    let Ok(uri) = origin.parse::<http::Uri>() else {
        return false;
    };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return false;
    };
    if scheme != "http" && scheme != "https" {
        return false;
    }
    is_loopback_name(authority.host())
        || host.is_some_and(|host| host.eq_ignore_ascii_case(authority.as_str()))
}

/// A `Host` header value (`name[:port]`, the name in brackets for IPv6) naming this
/// machine's loopback interface. Read in place: it runs on every request.
pub(crate) fn host_is_loopback(host: &str) -> bool {
    let name_end = if host.starts_with('[') {
        host.find(']').map(|end| end + 1)
    } else {
        Some(host.find(':').unwrap_or(host.len()))
    };
    let Some((name, rest)) = name_end.map(|end| host.split_at(end)) else {
        return false;
    };
    let port_ok = rest.is_empty()
        || rest.strip_prefix(':').is_some_and(|port| {
            (1..=5).contains(&port.len()) && port.bytes().all(|b| b.is_ascii_digit())
        });
    port_ok && is_loopback_name(name)
}

fn is_loopback_name(name: &str) -> bool {
    ["localhost", "127.0.0.1", "[::1]", "::1"]
        .iter()
        .any(|loopback| name.eq_ignore_ascii_case(loopback))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert!(origin_allowed(
            "http://localhost:3000",
            Some("127.0.0.1:8000")
        ));
        assert!(origin_allowed("http://127.0.0.1", None));
        assert!(origin_allowed("https://[::1]:8443", None));
        assert!(origin_allowed(
            "https://hangar.example.com",
            Some("hangar.example.com")
        ));
        assert!(!origin_allowed(
            "https://evil.example",
            Some("hangar.example.com")
        ));
        assert!(!origin_allowed("null", Some("hangar.example.com")));
        assert!(!origin_allowed("file://localhost", None));
    }

    #[test]
    fn only_json_bodies_are_read() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_str(value).expect("a value"));
            check_content_type(&headers).is_ok()
        };
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            " application/json ",
        ] {
            assert!(with(json), "{json}");
        }
        for other in [
            "text/plain",
            "text/plain; charset=application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json-seq",
            "application/jsonx",
            "",
        ] {
            assert!(!with(other), "{other}");
        }
        assert!(check_content_type(&HeaderMap::new()).is_err());
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "localhost:8000",
            "127.0.0.1:1",
            "[::1]:8443",
            "LOCALHOST",
        ] {
            assert!(host_is_loopback(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8000",
            "127.0.0.2",
            "localhost.evil.example",
            "",
            "::1",
            "[::1",
            "[::1]x",
            "localhost:",
            "localhost:80:80",
            "localhost:123456",
            "localhost@evil.example",
            "user@localhost",
        ] {
            assert!(!host_is_loopback(host), "{host}");
        }
    }

    #[test]
    fn body_version_reads_meta() {
        let limits = DecodeLimits::for_version(ProtocolVersion::V2025_11_25);
        let plain = Message::decode(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, &limits)
            .expect("decodes");
        assert_eq!(
            body_version(&plain).expect("version"),
            ProtocolVersion::V2025_03_26
        );
        let modern = Message::decode(
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
            &limits,
        )
        .expect("decodes");
        assert_eq!(
            body_version(&modern).expect("version"),
            ProtocolVersion::V2026_07_28
        );
    }
}
