//! A real hyper 1 server around [`Authenticator`], a hyper-util client, a JSON mock for
//! identity providers, and HS256 tokens. Shared by the HTTP-level tests of every method.
//!
//! The server answers:
//! - `GET` on a well-known path of the RFC 9728 document → the document;
//! - `POST /message` with a JSON-RPC body → per-message auth of `params._auth.token`;
//! - anything else → `Authenticator::authenticate`: `200` with the caller as JSON, or
//!   the rejection's wire answer.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hangar_config::{Auth, Config, MapEnvironment};
use hangar_identity::{Authenticator, HttpClient, RequestContext, message_token};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The `auth` section of a YAML configuration, `${VAR}`s taken from `vars`.
pub fn auth(yaml: &str, vars: &[(&str, &str)]) -> Auth {
    let env = vars
        .iter()
        .fold(MapEnvironment::new(), |env, (k, v)| env.with(*k, *v));
    match Config::from_yaml_str(yaml, "test.yaml", &env) {
        Ok(config) => config.auth,
        Err(error) => panic!("bad test config:\n{error}"),
    }
}

/// A server on `127.0.0.1:0`, on its own thread and runtime; stopped when dropped.
pub struct TestServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A handler: request parts and body in, status and JSON out.
type Handler = Arc<dyn Fn(&http::request::Parts, &[u8]) -> (u16, serde_json::Value) + Send + Sync>;

impl TestServer {
    /// Serves an [`Authenticator`] built from `auth` (panics if it cannot be built).
    pub fn start(auth: Auth) -> Self {
        Self::try_start(auth).unwrap_or_else(|e| panic!("cannot build the authenticator: {e}"))
    }

    /// Serves an [`Authenticator`] built from `auth`, or says why it cannot be built.
    pub fn try_start(auth: Auth) -> Result<Self, hangar_identity::Error> {
        let (built_tx, built_rx) = std::sync::mpsc::channel();
        let server = Self::spawn(move || {
            match Authenticator::new(&auth, HttpClient::new(Duration::from_secs(5))) {
                Ok(a) => {
                    built_tx.send(Ok(())).ok();
                    Some(Arc::new(a))
                }
                Err(e) => {
                    built_tx.send(Err(e)).ok();
                    None
                }
            }
        });
        built_rx.recv().expect("server thread died")?;
        Ok(server)
    }

    /// A JSON mock (an identity provider, an introspection endpoint): `handler` sees
    /// every request; [`TestServer::hits`] of the returned counter counts them.
    pub fn json(
        handler: impl Fn(&http::request::Parts, &[u8]) -> (u16, serde_json::Value)
        + Send
        + Sync
        + 'static,
    ) -> (Self, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let handler: Handler = Arc::new(move |parts, body| {
            counter.fetch_add(1, Ordering::SeqCst);
            handler(parts, body)
        });
        let server = Self::spawn_with(move || None, Some(handler));
        (server, hits)
    }

    fn spawn(build: impl FnOnce() -> Option<Arc<Authenticator>> + Send + 'static) -> Self {
        Self::spawn_with(build, None)
    }

    fn spawn_with(
        build: impl FnOnce() -> Option<Arc<Authenticator>> + Send + 'static,
        mock: Option<Handler>,
    ) -> Self {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (shutdown, mut stop) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let authenticator = build();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                if authenticator.is_none() && mock.is_none() {
                    return;
                }
                loop {
                    let (stream, _) = tokio::select! {
                        accepted = listener.accept() => accepted.unwrap(),
                        _ = &mut stop => return,
                    };
                    let (authenticator, mock) = (authenticator.clone(), mock.clone());
                    tokio::spawn(async move {
                        let service = service_fn(move |request| {
                            handle(authenticator.clone(), mock.clone(), request)
                        });
                        let _ = auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        let addr = addr_rx.recv().expect("server thread died");
        Self {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn handle(
    authenticator: Option<Arc<Authenticator>>,
    mock: Option<Handler>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if let Some(mock) = mock {
        let (status, value) = mock(&parts, &body);
        return Ok(json_response(status, &value));
    }
    let authenticator = authenticator.expect("no authenticator");
    if parts.method == Method::GET
        && let Some(metadata) = authenticator.resource_metadata()
        && metadata.serves(parts.uri.path())
    {
        return Ok(metadata.answer().into_response());
    }
    let result = if parts.method == Method::POST && parts.uri.path() == "/message" {
        let message: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        match message.get("params").and_then(message_token) {
            Some(token) => authenticator.authenticate_message(token).await,
            None => Err(hangar_identity::Rejection::MissingCredential),
        }
    } else {
        let context = RequestContext {
            headers: &parts.headers,
            uri: &parts.uri,
            client_certificate: None,
        };
        authenticator.authenticate(&context).await
    };
    Ok(match result {
        Ok(caller) => json_response(200, &serde_json::to_value(&caller).unwrap()),
        Err(rejection) => authenticator.answer(&rejection).into_response(),
    })
}

fn json_response(status: u16, value: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

/// An answer as the client saw it.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, as text.
    pub body: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The `WWW-Authenticate` header.
    pub fn challenge(&self) -> Option<&str> {
        self.headers
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap())
    }
}

/// Sends a request with raw header values (non-ASCII and huge values included).
pub async fn send(method: Method, url: &str, headers: &[(&str, &[u8])], body: &str) -> Answer {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let mut request = Request::builder()
        .method(method)
        .uri(url)
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    for (name, value) in headers {
        request.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    let response = client.request(request).await.expect("request failed");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// `GET url` with text headers.
pub async fn get(url: &str, headers: &[(&str, &str)]) -> Answer {
    let raw: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    send(Method::GET, url, &raw, "").await
}

/// Unix time `offset` seconds from now.
pub fn unix(offset: i64) -> u64 {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    now.saturating_add_signed(offset)
}

/// An HS256 JWT over `claims` (a JSON object), signed with `secret`.
pub fn hs256(secret: &[u8], claims: &serde_json::Value) -> String {
    use josekit::jws::{HS256, JwsHeader};
    use josekit::jwt::{self, JwtPayload};
    let signer = HS256.signer_from_bytes(secret).unwrap();
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
    jwt::encode_with_signer(&payload, &header, &signer).unwrap()
}
