//! HTTP back ends against in-process hyper servers on 127.0.0.1:0.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::transport::{
    Backend, BackendConfig, BackendKind, BackendState, ClientCredentials, ProtocolPreference,
    Reply, TransportError,
};
use crate::version::ProtocolVersion;

/// One request the test server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: http::Method,
    path: String,
    headers: HeaderMap,
    body: Value,
    raw: String,
    /// The client's end of the connection the request came on.
    peer: std::net::SocketAddr,
}

type Answer = Pin<Box<dyn Future<Output = Response<Full<Bytes>>> + Send>>;
type Handler = Arc<dyn Fn(Seen) -> Answer + Send + Sync>;

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// For a TLS server: the PEM file of the CA that signed its certificate.
    ca_file: Option<tempfile::NamedTempFile>,
}

impl Server {
    async fn start(handler: impl Fn(Seen) -> Answer + Send + Sync + 'static) -> Self {
        Self::start_on(handler, None).await
    }

    /// An https server on 127.0.0.1 with a certificate from a CA made for the test.
    async fn start_tls(handler: impl Fn(Seen) -> Answer + Send + Sync + 'static) -> Self {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        let certificate = params.signed_by(&key, &issuer).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![certificate.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let mut server = Self::start_on(handler, Some(acceptor)).await;
        let ca_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca_file.path(), ca.pem()).unwrap();
        server.ca_file = Some(ca_file);
        server
    }

    async fn start_on(
        handler: impl Fn(Seen) -> Answer + Send + Sync + 'static,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> Self {
        let handler: Handler = Arc::new(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    return;
                };
                let handler = Arc::clone(&handler);
                let record = Arc::clone(&record);
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |request: http::Request<Incoming>| {
                            let handler = Arc::clone(&handler);
                            let record = Arc::clone(&record);
                            async move {
                                let (parts, body) = request.into_parts();
                                let bytes = body.collect().await.unwrap().to_bytes();
                                let seen = Seen {
                                    method: parts.method,
                                    path: parts.uri.path().to_owned(),
                                    headers: parts.headers,
                                    body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                                    raw: String::from_utf8_lossy(&bytes).into_owned(),
                                    peer,
                                };
                                record.lock().unwrap().push(seen.clone());
                                Ok::<_, Infallible>(handler(seen).await)
                            }
                        });
                    let http = hyper::server::conn::http1::Builder::new();
                    let _ = match tls {
                        Some(tls) => match tls.accept(stream).await {
                            Ok(stream) => {
                                http.serve_connection(TokioIo::new(stream), service).await
                            }
                            Err(_) => return,
                        },
                        None => http.serve_connection(TokioIo::new(stream), service).await,
                    };
                });
            }
        });
        Self {
            url,
            seen,
            ca_file: None,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn posts(&self, method: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.body["method"] == method)
            .collect()
    }

    fn backend(&self, protocol: ProtocolPreference) -> Backend {
        self.backend_with(protocol, vec![], None, Duration::from_secs(5))
    }

    fn backend_with(
        &self,
        protocol: ProtocolPreference,
        headers: Vec<(String, String)>,
        oauth: Option<ClientCredentials>,
        timeout: Duration,
    ) -> Backend {
        Backend::start(BackendConfig {
            name: "test".into(),
            kind: BackendKind::Http {
                endpoint: format!("{}/mcp", self.url),
                headers,
                oauth,
                protocol,
                ca_file: self.ca_file.as_ref().map(|f| f.path().to_owned()),
            },
            request_timeout: timeout,
            connect_timeout: Duration::from_secs(1),
        })
    }
}

fn ready<T: Send + 'static>(value: T) -> Pin<Box<dyn Future<Output = T> + Send>> {
    Box::pin(async move { value })
}

fn json_answer(body: Value, session: Option<&str>) -> Response<Full<Bytes>> {
    let mut response = Response::builder().header("content-type", "application/json");
    if let Some(session) = session {
        response = response.header("mcp-session-id", session);
    }
    response
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn status(code: u16) -> Response<Full<Bytes>> {
    Response::builder()
        .status(code)
        .body(Full::new(Bytes::new()))
        .unwrap()
}

fn sse_answer(events: &[Value], tail: &str) -> Response<Full<Bytes>> {
    let mut body = String::from("id: prime\ndata:\n\n");
    for event in events {
        body.push_str(&format!("event: message\ndata: {event}\n\n"));
    }
    body.push_str(tail);
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

fn result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// A server of sessions (≤ 2025-11-25): no `server/discover`, `initialize` answers
/// `version` and a session id.
fn session_server(
    version: &'static str,
    call: impl Fn(&Seen) -> Response<Full<Bytes>> + Send + Sync + 'static,
) -> impl Fn(Seen) -> Answer + Send + Sync + 'static {
    let sessions = Arc::new(AtomicUsize::new(0));
    move |seen: Seen| {
        let id = seen.body["id"].clone();
        if seen.method == http::Method::GET {
            return ready(status(405));
        }
        let answer = match seen.body["method"].as_str() {
            Some("server/discover") => status(404),
            Some("initialize") => {
                let n = sessions.fetch_add(1, Ordering::SeqCst) + 1;
                json_answer(
                    result(
                        &id,
                        json!({"protocolVersion": version, "capabilities": {}, "serverInfo": {"name": "s", "version": "1"}}),
                    ),
                    Some(&format!("s{n}")),
                )
            }
            Some("notifications/initialized") => status(202),
            _ => call(&seen),
        };
        ready(answer)
    }
}

fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_owned()).unwrap()
}

fn result_text(reply: Reply) -> String {
    match reply {
        Reply::Result(r) => r.get().to_owned(),
        Reply::Error(e) => panic!("error reply: {}", e.message),
    }
}

#[tokio::test]
async fn json_reply_over_a_session_carries_the_session_and_version_headers() {
    let server = Server::start(session_server("2025-06-18", |seen| {
        json_answer(
            result(&seen.body["id"], json!({"content": [], "n": 1})),
            None,
        )
    }))
    .await;
    let backend = server.backend(ProtocolPreference::Auto);
    let params = raw(r#"{"name":"charge","arguments":{"amount":5}}"#);
    let reply = backend.request("tools/call", Some(&params)).await.unwrap();
    assert_eq!(result_text(reply), r#"{"content":[],"n":1}"#);

    let status = backend.status();
    assert_eq!(status.state, BackendState::Ready);
    assert_eq!(status.protocol, Some(ProtocolVersion::V2025_06_18));
    let call = &server.posts("tools/call")[0];
    assert_eq!(call.headers["mcp-session-id"], "s1");
    assert_eq!(call.headers["mcp-protocol-version"], "2025-06-18");
    assert_eq!(
        call.headers["accept"],
        "application/json, text/event-stream"
    );
    assert_eq!(call.headers["content-type"], "application/json");
    assert_eq!(
        call.body["params"],
        json!({"name": "charge", "arguments": {"amount": 5}})
    );
    let initialized = &server.posts("notifications/initialized")[0];
    assert_eq!(initialized.headers["mcp-session-id"], "s1");
    let initialize = &server.posts("initialize")[0];
    assert_eq!(initialize.body["params"]["protocolVersion"], "2025-11-25");
    assert!(initialize.headers.get("mcp-session-id").is_none());
}

#[tokio::test]
async fn sse_reply_forwards_notifications_that_come_before_the_answer() {
    let server = Server::start(session_server("2025-11-25", |seen| {
        sse_answer(
            &[
                json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}),
                json!({"jsonrpc": "2.0", "id": "someone-else", "result": {}}),
                result(&seen.body["id"], json!({"ok": true})),
            ],
            "",
        )
    }))
    .await;
    let backend = server.backend(ProtocolPreference::Auto);
    let mut notifications = backend.subscribe();
    let reply = backend
        .request("tools/call", Some(&raw(r#"{"name":"x"}"#)))
        .await
        .unwrap();
    assert_eq!(result_text(reply), r#"{"ok":true}"#);
    let notification = notifications.try_recv().unwrap();
    assert_eq!(notification.method, "notifications/tools/list_changed");
}

/// A connection is used again once its answer was read to the end: JSON, `202` and SSE
/// answers alike (the SSE stream here ends right after the response, as servers should).
#[tokio::test]
async fn every_post_of_a_session_goes_over_one_connection() {
    let server = Server::start(session_server("2025-11-25", |seen| {
        sse_answer(&[result(&seen.body["id"], json!({"ok": true}))], "")
    }))
    .await;
    let backend = server.backend(ProtocolPreference::Auto);
    for _ in 0..3 {
        let reply = backend
            .request("tools/call", Some(&raw(r#"{"name":"x"}"#)))
            .await
            .unwrap();
        assert_eq!(result_text(reply), r#"{"ok":true}"#);
    }
    let posts: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(|s| s.method == http::Method::POST)
        .collect();
    // server/discover (404), initialize, notifications/initialized, 3 calls.
    assert_eq!(posts.len(), 6, "{posts:?}");
    let peers: BTreeSet<_> = posts.iter().map(|s| s.peer).collect();
    assert_eq!(peers.len(), 1, "{peers:?}");
}

/// A notification answered `200` with an empty body (instead of `202`) keeps its
/// connection too.
#[tokio::test]
async fn a_notification_answered_200_with_nothing_keeps_its_connection() {
    let server = Server::start(session_server("2025-11-25", |seen| {
        if seen.body.get("id").is_none() {
            return status(200);
        }
        json_answer(result(&seen.body["id"], json!({"ok": true})), None)
    }))
    .await;
    let backend = server.backend(ProtocolPreference::Auto);
    for _ in 0..2 {
        backend
            .request("tools/call", Some(&raw(r#"{"name":"x"}"#)))
            .await
            .unwrap();
        backend
            .notify("notifications/progress", None)
            .await
            .unwrap();
    }
    let progress = server.posts("notifications/progress");
    assert_eq!(progress.len(), 2);
    let peers: BTreeSet<_> = server
        .seen()
        .iter()
        .filter(|s| s.method == http::Method::POST)
        .map(|s| s.peer)
        .collect();
    assert_eq!(peers.len(), 1, "{peers:?}");
}

#[tokio::test]
async fn a_forgotten_session_is_reinitialized_once_and_the_request_retried() {
    let forgot = Arc::new(AtomicUsize::new(0));
    let seen_forgot = Arc::clone(&forgot);
    let server = Server::start(session_server("2025-11-25", move |seen| {
        if seen.headers["mcp-session-id"] == "s1" {
            seen_forgot.fetch_add(1, Ordering::SeqCst);
            status(404)
        } else {
            json_answer(result(&seen.body["id"], json!({})), None)
        }
    }))
    .await;
    let backend = server.backend(ProtocolPreference::Fixed(ProtocolVersion::V2025_11_25));
    backend.connect().await.unwrap();
    backend.request("tools/list", None).await.unwrap();
    assert_eq!(forgot.load(Ordering::SeqCst), 1);
    assert_eq!(server.posts("initialize").len(), 2);
    let calls = server.posts("tools/list");
    assert_eq!(calls.last().unwrap().headers["mcp-session-id"], "s2");
    // A fixed version never tries discovery.
    assert!(server.posts("server/discover").is_empty());
}

#[tokio::test]
async fn a_session_that_keeps_failing_is_not_retried_forever() {
    let server = Server::start(session_server("2025-11-25", |_| status(404))).await;
    let backend = server.backend(ProtocolPreference::Auto);
    let error = backend.request("tools/list", None).await.unwrap_err();
    assert!(
        matches!(error, TransportError::HttpStatus { status: 404, .. }),
        "{error}"
    );
    assert_eq!(server.posts("initialize").len(), 2);
}

#[tokio::test]
async fn auto_falls_back_to_initialize_when_discover_is_an_error() {
    let server = Server::start(|seen: Seen| {
        let id = seen.body["id"].clone();
        ready(match seen.body["method"].as_str() {
            Some("server/discover") => json_answer(
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found"}}),
                None,
            ),
            Some("initialize") => json_answer(result(&id, json!({"protocolVersion": "2025-03-26"})), None),
            Some("notifications/initialized") => status(202),
            _ => json_answer(result(&id, json!({})), None),
        })
    })
    .await;
    let backend = server.backend(ProtocolPreference::Auto);
    assert_eq!(
        backend.connect().await.unwrap(),
        ProtocolVersion::V2025_03_26
    );
    backend.request("ping", None).await.unwrap();
    let ping = &server.posts("ping")[0];
    // 2025-03-26 has no MCP-Protocol-Version header, and this server gave no session.
    assert!(ping.headers.get("mcp-protocol-version").is_none());
    assert!(ping.headers.get("mcp-session-id").is_none());
}

/// A stateless (2026-07-28) server: `server/discover` answers, every other request an
/// empty result.
fn stateless_server(seen: Seen) -> Answer {
    let id = seen.body["id"].clone();
    ready(match seen.body["method"].as_str() {
        Some("server/discover") => json_answer(
            result(
                &id,
                json!({"resultType": "complete", "supportedVersions": ["2026-07-28"], "capabilities": {}}),
            ),
            None,
        ),
        _ => json_answer(
            result(&id, json!({"resultType": "complete", "content": []})),
            None,
        ),
    })
}

#[tokio::test]
async fn stateless_back_end_gets_discover_headers_and_meta_and_no_session() {
    let server = Server::start(stateless_server).await;
    let backend = server.backend(ProtocolPreference::Auto);
    let params = raw(r#"{"name":"charge","arguments":{"amount":5},"_meta":{"progressToken":7}}"#);
    backend.request("tools/call", Some(&params)).await.unwrap();
    assert_eq!(
        backend.status().protocol,
        Some(ProtocolVersion::V2026_07_28)
    );
    assert!(server.posts("initialize").is_empty());

    let discover = &server.posts("server/discover")[0];
    assert_eq!(discover.headers["mcp-method"], "server/discover");
    assert_eq!(discover.headers["mcp-protocol-version"], "2026-07-28");
    assert_eq!(
        discover.body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );

    let call = &server.posts("tools/call")[0];
    assert_eq!(call.headers["mcp-method"], "tools/call");
    assert_eq!(call.headers["mcp-name"], "charge");
    assert_eq!(call.headers["mcp-protocol-version"], "2026-07-28");
    assert!(call.headers.get("mcp-session-id").is_none());
    let meta = &call.body["params"]["_meta"];
    assert_eq!(
        meta["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );
    assert_eq!(meta["io.modelcontextprotocol/clientInfo"]["name"], "hangar");
    assert_eq!(
        meta["io.modelcontextprotocol/clientCapabilities"],
        json!({})
    );
    assert_eq!(meta["progressToken"], 7);
    assert_eq!(call.body["params"]["arguments"], json!({"amount": 5}));

    // The codec's own header check accepts what we sent.
    let body = serde_json::to_vec(&call.body).unwrap();
    let message = crate::Message::decode(
        &body,
        &crate::DecodeLimits::for_version(ProtocolVersion::V2026_07_28),
    )
    .unwrap();
    let headers = crate::McpHeaders {
        method: call.headers.get("mcp-method").and_then(|v| v.to_str().ok()),
        name: call.headers.get("mcp-name").and_then(|v| v.to_str().ok()),
        protocol_version: call
            .headers
            .get("mcp-protocol-version")
            .and_then(|v| v.to_str().ok()),
    };
    crate::validate_headers(&headers, &message).unwrap();
}

#[tokio::test]
async fn garbage_answer_is_an_invalid_response() {
    let server = Server::start(session_server("2025-11-25", |_| {
        Response::builder()
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(b"<html>oops")))
            .unwrap()
    }))
    .await;
    let backend = server.backend(ProtocolPreference::Auto);
    let error = backend.request("tools/list", None).await.unwrap_err();
    assert!(
        matches!(error, TransportError::InvalidResponse { .. }),
        "{error}"
    );
    assert_eq!(error.code(), -32603);
    assert_eq!(backend.status().state, BackendState::Degraded);
}

#[tokio::test]
async fn an_answer_for_another_id_is_an_invalid_response() {
    let server = Server::start(session_server("2025-11-25", |_| {
        json_answer(json!({"jsonrpc": "2.0", "id": 999_999, "result": {}}), None)
    }))
    .await;
    let error = server
        .backend(ProtocolPreference::Auto)
        .request("tools/list", None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, TransportError::InvalidResponse { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_stream_that_ends_before_the_answer_is_closed() {
    let server = Server::start(session_server("2025-11-25", |_| {
        sse_answer(
            &[json!({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "x"}})],
            "data: {\"jsonrpc\":\"2.0\",",
        )
    }))
    .await;
    let error = server
        .backend(ProtocolPreference::Auto)
        .request("tools/list", None)
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Closed { .. }), "{error}");
}

#[tokio::test]
async fn a_down_back_end_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let server = Server {
        url,
        seen: Arc::default(),
        ca_file: None,
    };
    let error = server
        .backend(ProtocolPreference::Auto)
        .request("tools/list", None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, TransportError::Unreachable { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_slow_request_times_out_without_holding_up_another() {
    let server = Server::start(|seen: Seen| {
        let id = seen.body["id"].clone();
        Box::pin(async move {
            match seen.body["method"].as_str() {
                Some("server/discover") => status(405),
                Some("initialize") => json_answer(
                    result(&id, json!({"protocolVersion": "2025-11-25"})),
                    Some("s1"),
                ),
                Some("notifications/initialized" | "notifications/cancelled") => status(202),
                _ => {
                    if seen.body["params"]["name"] == "slow" {
                        tokio::time::sleep(Duration::from_secs(10)).await;
                    }
                    json_answer(result(&id, json!({"fast": true})), None)
                }
            }
        }) as Answer
    })
    .await;
    let backend = server.backend_with(
        ProtocolPreference::Auto,
        vec![],
        None,
        Duration::from_millis(700),
    );
    backend.connect().await.unwrap();
    let slow_params = raw(r#"{"name":"slow"}"#);
    let fast_params = raw(r#"{"name":"fast"}"#);
    let started = std::time::Instant::now();
    let (slow, fast) = tokio::join!(backend.request("tools/call", Some(&slow_params)), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        backend.request("tools/call", Some(&fast_params)).await
    });
    let error = slow.unwrap_err();
    assert!(matches!(error, TransportError::Timeout { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(result_text(fast.unwrap()), r#"{"fast":true}"#);
    // The back end is told.
    let slow_id = server.posts("tools/call")[0].body["id"].clone();
    for _ in 0..50 {
        if let Some(cancel) = server.posts("notifications/cancelled").first() {
            assert_eq!(cancel.body["params"]["requestId"], slow_id);
            assert_eq!(cancel.headers["mcp-session-id"], "s1");
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no notifications/cancelled");
}

/// Header names a back-end request may carry besides the configured credentials.
const TRANSPORT_HEADERS: [&str; 8] = [
    "host",
    "accept",
    "content-type",
    "content-length",
    "mcp-session-id",
    "mcp-protocol-version",
    "mcp-method",
    "mcp-name",
];

fn credential_headers(seen: &Seen) -> BTreeSet<(String, String)> {
    seen.headers
        .iter()
        .filter(|(name, _)| !TRANSPORT_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn requests_carry_exactly_the_configured_credential_headers() {
    let server = Server::start(session_server("2025-11-25", |seen| {
        json_answer(result(&seen.body["id"], json!({})), None)
    }))
    .await;
    let headers = vec![
        ("X-Api-Key".to_owned(), "backend-key".to_owned()),
        ("X-Tenant".to_owned(), "gateway".to_owned()),
    ];
    let backend = server.backend_with(
        ProtocolPreference::Auto,
        headers,
        None,
        Duration::from_secs(5),
    );
    // A caller's params may mention credentials; they travel as params, never as headers.
    let params = raw(r#"{"name":"charge","arguments":{"Authorization":"Bearer caller-token"}}"#);
    backend.request("tools/call", Some(&params)).await.unwrap();
    backend
        .notify("notifications/progress", None)
        .await
        .unwrap();
    backend.stop().await;
    let expected: BTreeSet<(String, String)> = [
        ("x-api-key".to_owned(), "backend-key".to_owned()),
        ("x-tenant".to_owned(), "gateway".to_owned()),
    ]
    .into();
    let seen = server.seen();
    assert!(seen.len() >= 5, "{seen:?}");
    for request in &seen {
        assert_eq!(
            credential_headers(request),
            expected,
            "{} {:?}",
            request.method,
            request.body
        );
    }
    assert!(
        seen.iter().any(|s| s.method == http::Method::DELETE),
        "session ended"
    );
}

#[tokio::test]
async fn oauth_token_is_fetched_once_and_cached_until_it_expires() {
    let tokens = Arc::new(AtomicUsize::new(0));
    let issued = Arc::clone(&tokens);
    let lifetime = Arc::new(Mutex::new(3600u64));
    let lifetime_of = Arc::clone(&lifetime);
    let mcp = session_server("2025-11-25", |seen| {
        json_answer(result(&seen.body["id"], json!({})), None)
    });
    let server = Server::start(move |seen: Seen| {
        if seen.path == "/token" {
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            let expires_in = *lifetime_of.lock().unwrap();
            return ready(json_answer(
                json!({"access_token": format!("t{n}"), "token_type": "Bearer", "expires_in": expires_in}),
                None,
            ));
        }
        mcp(seen)
    })
    .await;
    let oauth = ClientCredentials {
        token_url: format!("{}/token", server.url),
        client_id: "hangar gw".into(),
        client_secret: "s&cret".into(),
        scopes: vec!["mcp:call".into(), "mcp:list".into()],
    };
    let backend = server.backend_with(
        ProtocolPreference::Auto,
        vec![],
        Some(oauth.clone()),
        Duration::from_secs(5),
    );
    for _ in 0..3 {
        backend.request("tools/list", None).await.unwrap();
    }
    assert_eq!(tokens.load(Ordering::SeqCst), 1);
    let token_requests: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/token")
        .collect();
    assert_eq!(
        token_requests[0].headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        token_requests[0].raw,
        "grant_type=client_credentials&client_id=hangar%20gw&client_secret=s%26cret&scope=mcp%3Acall%20mcp%3Alist"
    );
    for request in server.seen().iter().filter(|s| s.path == "/mcp") {
        assert_eq!(
            credential_headers(request),
            [("authorization".to_owned(), "Bearer t1".to_owned())].into()
        );
    }

    // A short-lived token is fetched again once it has expired.
    *lifetime.lock().unwrap() = 1;
    let backend = server.backend_with(
        ProtocolPreference::Auto,
        vec![],
        Some(oauth),
        Duration::from_secs(5),
    );
    backend.request("tools/list", None).await.unwrap();
    backend.request("tools/list", None).await.unwrap();
    assert_eq!(tokens.load(Ordering::SeqCst), 2);
    tokio::time::sleep(Duration::from_millis(700)).await;
    backend.request("tools/list", None).await.unwrap();
    assert_eq!(tokens.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_refused_token_request_is_a_credentials_error_without_the_secret() {
    let server = Server::start(|seen: Seen| {
        ready(if seen.path == "/token" {
            status(401)
        } else {
            status(500)
        })
    })
    .await;
    let oauth = ClientCredentials {
        token_url: format!("{}/token", server.url),
        client_id: "id".into(),
        client_secret: "a b&c".into(),
        scopes: vec![],
    };
    let backend = server.backend_with(
        ProtocolPreference::Auto,
        vec![],
        Some(oauth),
        Duration::from_secs(5),
    );
    let error = backend.request("tools/list", None).await.unwrap_err();
    assert!(
        matches!(error, TransportError::Credentials { .. }),
        "{error}"
    );
    assert!(!error.to_string().contains("a b&c"));
}

#[tokio::test]
async fn list_tools_follows_next_cursor() {
    let server = Server::start(session_server("2025-11-25", |seen| {
        let id = &seen.body["id"];
        match seen.body["params"]["cursor"].as_str() {
            None => json_answer(
                result(id, json!({"tools": [{"name": "a"}], "nextCursor": "p2"})),
                None,
            ),
            Some("p2") => json_answer(
                result(id, json!({"tools": [{"name": "b"}, {"name": "c"}]})),
                None,
            ),
            Some(_) => status(500),
        }
    }))
    .await;
    let tools = server
        .backend(ProtocolPreference::Auto)
        .list_tools()
        .await
        .unwrap();
    let names: Vec<String> = tools.iter().map(|t| t.get().to_owned()).collect();
    assert_eq!(
        names,
        [r#"{"name":"a"}"#, r#"{"name":"b"}"#, r#"{"name":"c"}"#]
    );
}

#[tokio::test]
async fn list_tools_stops_after_a_bounded_number_of_pages() {
    let server = Server::start(session_server("2025-11-25", |seen| {
        json_answer(
            result(
                &seen.body["id"],
                json!({"tools": [], "nextCursor": "again"}),
            ),
            None,
        )
    }))
    .await;
    let error = server
        .backend(ProtocolPreference::Auto)
        .list_tools()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("pages"), "{error}");
}

#[tokio::test]
async fn stopped_back_end_refuses_until_restarted() {
    let server = Server::start(session_server("2025-11-25", |seen| {
        json_answer(result(&seen.body["id"], json!({})), None)
    }))
    .await;
    let backend = server.backend(ProtocolPreference::Auto);
    backend.connect().await.unwrap();
    backend.stop().await;
    assert_eq!(backend.status().state, BackendState::Stopped);
    let error = backend.request("tools/list", None).await.unwrap_err();
    assert!(matches!(error, TransportError::Stopped { .. }), "{error}");
    backend.restart().await;
    backend.request("tools/list", None).await.unwrap();
    assert_eq!(server.posts("initialize").len(), 2);
}

#[tokio::test]
async fn notifications_on_the_session_get_stream_reach_subscribers() {
    let server = Server::start(|seen: Seen| {
        let id = seen.body["id"].clone();
        if seen.method == http::Method::GET {
            return ready(
                if seen
                    .headers
                    .get("mcp-session-id")
                    .is_some_and(|v| v == "s1")
                {
                    sse_answer(
                        &[json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})],
                        "",
                    )
                } else {
                    status(400)
                },
            );
        }
        ready(match seen.body["method"].as_str() {
            Some("server/discover") => status(400),
            Some("initialize") => json_answer(
                result(&id, json!({"protocolVersion": "2025-11-25"})),
                Some("s1"),
            ),
            _ => status(202),
        })
    })
    .await;
    let backend = server.backend_with(
        ProtocolPreference::Auto,
        vec![("X-Api-Key".into(), "k".into())],
        None,
        Duration::from_secs(5),
    );
    let mut notifications = backend.subscribe();
    backend.connect().await.unwrap();
    let notification = tokio::time::timeout(Duration::from_secs(2), notifications.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notification.method, "notifications/tools/list_changed");
    let get = server
        .seen()
        .into_iter()
        .find(|s| s.method == http::Method::GET)
        .unwrap();
    assert_eq!(get.headers["accept"], "text/event-stream");
    assert_eq!(get.headers["mcp-protocol-version"], "2025-11-25");
    assert_eq!(
        credential_headers(&get),
        [("x-api-key".to_owned(), "k".to_owned())].into()
    );
}

#[tokio::test]
async fn a_json_rpc_error_with_an_error_status_is_the_back_ends_answer() {
    let server = Server::start(session_server("2025-11-25", |seen| {
        let mut response = json_answer(
            json!({"jsonrpc": "2.0", "id": seen.body["id"], "error": {"code": -32022, "message": "Unsupported protocol version"}}),
            None,
        );
        *response.status_mut() = http::StatusCode::BAD_REQUEST;
        response
    }))
    .await;
    let reply = server
        .backend(ProtocolPreference::Auto)
        .request("tools/list", None)
        .await
        .unwrap();
    let Reply::Error(error) = reply else {
        panic!("expected the back end's error")
    };
    assert_eq!(error.code, -32022);

    // Without a JSON-RPC body it is an http status error.
    let server = Server::start(session_server("2025-11-25", |_| status(500))).await;
    let error = server
        .backend(ProtocolPreference::Auto)
        .request("tools/list", None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, TransportError::HttpStatus { status: 500, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn an_https_back_end_is_reached_with_its_ca_file_and_refused_without_it() {
    let call = |seen: &Seen| json_answer(result(&seen.body["id"], json!({"ok": true})), None);
    let server = Server::start_tls(session_server("2025-11-25", call)).await;
    assert!(server.url.starts_with("https://127.0.0.1:"));
    let backend = server.backend(ProtocolPreference::Auto);
    let reply = backend
        .request("tools/call", Some(&raw("{}")))
        .await
        .unwrap();
    assert_eq!(result_text(reply), r#"{"ok":true}"#);
    assert_eq!(server.posts("tools/call").len(), 1);

    // The system's roots do not know the test CA: the handshake fails, nothing is sent.
    let untrusted = Backend::start(BackendConfig {
        name: "untrusted".into(),
        kind: BackendKind::Http {
            endpoint: format!("{}/mcp", server.url),
            headers: vec![],
            oauth: None,
            protocol: ProtocolPreference::Auto,
            ca_file: None,
        },
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(1),
    });
    let error = untrusted
        .request("tools/call", Some(&raw("{}")))
        .await
        .unwrap_err();
    assert!(
        matches!(error, TransportError::Unreachable { .. }),
        "{error}"
    );
    assert!(
        error.to_string().to_lowercase().contains("certificate"),
        "{error}"
    );
    assert_eq!(server.posts("tools/call").len(), 1);

    // A ca_file that is not a certificate bundle is a configuration error.
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), "not a certificate").unwrap();
    let misconfigured = Backend::start(BackendConfig {
        name: "bad-ca".into(),
        kind: BackendKind::Http {
            endpoint: format!("{}/mcp", server.url),
            headers: vec![],
            oauth: None,
            protocol: ProtocolPreference::Auto,
            ca_file: Some(bad.path().to_owned()),
        },
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(1),
    });
    assert_eq!(misconfigured.status().state, BackendState::Failed);
    let error = misconfigured.request("tools/list", None).await.unwrap_err();
    assert!(matches!(error, TransportError::Config { .. }), "{error}");
    assert!(error.to_string().contains("no certificate"), "{error}");
}

fn trace_context() -> crate::transport::TraceContext {
    crate::transport::TraceContext {
        traceparent: crate::transport::TraceParent::parse(
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
        .unwrap(),
        tracestate: Some("rojo=00f067aa0ba902b7".into()),
    }
}

#[tokio::test]
async fn a_traced_request_to_a_session_back_end_carries_the_headers_only() {
    let server = Server::start(session_server("2025-11-25", |seen| {
        json_answer(result(&seen.body["id"], json!({"content": []})), None)
    }))
    .await;
    let backend = server.backend(ProtocolPreference::Fixed(ProtocolVersion::V2025_11_25));
    let params = raw(r#"{"name":"charge","arguments":{}}"#);
    backend
        .request_traced("tools/call", Some(&params), &trace_context())
        .await
        .unwrap();
    let call = &server.posts("tools/call")[0];
    assert_eq!(
        call.headers["traceparent"],
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    );
    assert_eq!(call.headers["tracestate"], "rojo=00f067aa0ba902b7");
    // Params untouched (older versions carry the context in headers only).
    assert!(!call.raw.contains("traceparent"), "{}", call.raw);
    // The handshake and untraced requests carry none.
    for seen in server.posts("initialize") {
        assert!(seen.headers.get("traceparent").is_none());
    }
    backend.request("tools/call", Some(&params)).await.unwrap();
    assert!(
        server.posts("tools/call")[1]
            .headers
            .get("traceparent")
            .is_none()
    );
}

#[tokio::test]
async fn a_traced_request_to_a_2026_back_end_carries_headers_and_meta() {
    let server = Server::start(stateless_server).await;
    let backend = server.backend(ProtocolPreference::Auto);
    let params = raw(
        r#"{"name":"charge","arguments":{"amount":5},"_meta":{"progressToken":7,"traceparent":"00-11111111111111111111111111111111-2222222222222222-01"}}"#,
    );
    backend
        .request_traced("tools/call", Some(&params), &trace_context())
        .await
        .unwrap();
    let call = &server.posts("tools/call")[0];
    let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    assert_eq!(call.headers["traceparent"], traceparent);
    let meta = &call.body["params"]["_meta"];
    assert_eq!(meta["traceparent"], traceparent, "{meta}");
    assert_eq!(meta["tracestate"], "rojo=00f067aa0ba902b7");
    assert_eq!(meta["progressToken"], 7);
    assert_eq!(
        meta["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );
    assert_eq!(call.body["params"]["arguments"], json!({"amount": 5}));
}
