//! A gateway on 127.0.0.1:0 in front of a fake back end, and a tiny hyper client.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use hangar_config::{Config, MapEnvironment};
use hangar_gateway::{FakeUpstream, Gateway, Options};
use hangar_projection::OverlayStore;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub(crate) const KEY_A: &str = "key-a-0123456789abcdef";
pub(crate) const KEY_B: &str = "key-b-0123456789abcdef";
pub(crate) const KEY_B2: &str = "key-b2-0123456789abcdef";
/// An unconfined admin (FRONT_DOOR).
pub(crate) const ADMIN_KEY: &str = "admin-key-0123456789abcdef";
/// A viewer: reads only (FRONT_DOOR).
pub(crate) const VIEWER_KEY: &str = "viewer-key-0123456789abcdef";
/// An operator confined to tenant:b (FRONT_DOOR).
pub(crate) const OPERATOR_B_KEY: &str = "operator-b-key-0123456789abcdef";

/// The BEHAVIOUR.md §1 scenario, with API keys carrying the tenants.
pub(crate) const FRONT_DOOR: &str = r#"
tool_access:
  mode: front_door
auth:
  enabled: true
  allow_anonymous: false
  api_keys:
    - name: agent-a
      key: ${KEY_A}
      tenant_id: "tenant:a"
    - name: agent-b
      key: ${KEY_B}
      tenant_id: "tenant:b"
    - name: agent-b2
      key: ${KEY_B2}
      tenant_id: "tenant:b"
    - name: ops-admin
      key: ${ADMIN_KEY}
      roles: [admin]
    - name: ops-viewer
      key: ${VIEWER_KEY}
      roles: [viewer]
    - name: operator-b
      key: ${OPERATOR_B_KEY}
      roles: ["operator@tenant:b"]
  oidc:
    enabled: true
    issuer: https://auth.example.com
    audience: mcp-hangar
    resource_uri: https://hangar.example.com/mcp
    tenant_claim: tenant_id
mcp_servers:
  payments:
    mode: remote
    endpoint: http://localhost:8080/mcp
    description: "Payments backend"
    tool_access:
      member:
        "tenant:a": { deny_list: [refund] }
        "tenant:b": { allow_list: [charge, refund] }
    tool_projection:
      withdrawn: [legacy_charge]
      tenant_overrides:
        "tenant:a": { withdrawn: [beta_tool] }
"#;

/// egress, no auth, one server with a server-level deny and a withdrawal.
pub(crate) const EGRESS: &str = r#"
mcp_servers:
  payments:
    mode: remote
    endpoint: http://localhost:8080/mcp
    description: "Payments backend"
    tools: { deny_list: [refund] }
    tool_projection:
      withdrawn: [legacy_charge]
"#;

/// `yaml` with the test keys written in (a file read by `Config::load`, which
/// interpolates from the process environment).
pub(crate) fn literal_keys(yaml: &str) -> String {
    yaml.replace("${KEY_A}", KEY_A)
        .replace("${KEY_B}", KEY_B)
        .replace("${KEY_B2}", KEY_B2)
        .replace("${ADMIN_KEY}", ADMIN_KEY)
        .replace("${VIEWER_KEY}", VIEWER_KEY)
        .replace("${OPERATOR_B_KEY}", OPERATOR_B_KEY)
}

/// Turns the file at `path` into a FIFO, so that reading it waits (a disk or a network
/// file system slow to answer), and starts the thread that writes the file's old
/// contents into it once signalled on the returned sender — or after 20 s, so that a
/// gateway blocking on the read fails its test instead of hanging it. Join the thread
/// after signalling.
pub(crate) fn stall_reads(
    path: &std::path::Path,
) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let contents = std::fs::read(path).expect("read");
    std::fs::remove_file(path).expect("remove");
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let fifo = path.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = wait.recv_timeout(std::time::Duration::from_secs(20));
        std::fs::write(&fifo, contents).expect("write the fifo");
    });
    (go, writer)
}

/// `yaml` with the audit log on, writing to `audit.jsonl` in a fresh directory: the
/// directory (kept alive by the caller), the file and the config.
pub(crate) fn with_audit_log(yaml: &str) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    let config = format!(
        "audit:\n  enabled: true\n  path: {}\n{yaml}",
        path.display()
    );
    (dir, path, config)
}

pub(crate) struct Harness {
    pub(crate) addr: SocketAddr,
    pub(crate) gateway: Arc<Gateway>,
    pub(crate) payments: FakeUpstream,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl Harness {
    pub(crate) async fn start(yaml: &str) -> Self {
        Self::start_with(yaml, Options::default()).await
    }

    pub(crate) async fn start_with(yaml: &str, options: Options) -> Self {
        let payments = FakeUpstream::new(
            "payments",
            ["charge", "refund", "legacy_charge", "beta_tool"],
        );
        Self::start_with_upstreams(yaml, options, payments, &[]).await
    }

    /// The gateway for `yaml` in front of `payments` and `others` (fake back ends).
    pub(crate) async fn start_with_upstreams(
        yaml: &str,
        options: Options,
        payments: FakeUpstream,
        others: &[FakeUpstream],
    ) -> Self {
        Self::start_full(yaml, options, payments, others, None, None).await
    }

    /// The gateway for `yaml` with its runtime withdrawals in `store`.
    pub(crate) async fn start_with_store(
        yaml: &str,
        options: Options,
        store: impl OverlayStore + 'static,
    ) -> Self {
        let payments = FakeUpstream::new(
            "payments",
            ["charge", "refund", "legacy_charge", "beta_tool"],
        );
        Self::start_full(yaml, options, payments, &[], None, Some(Box::new(store))).await
    }

    /// The gateway for the config file `path` (written by the test with
    /// [`literal_keys`]; reload reads it again), in front of the usual fake back end.
    pub(crate) async fn start_from_file(path: &std::path::Path) -> Self {
        let yaml = std::fs::read_to_string(path).expect("config file");
        let payments = FakeUpstream::new(
            "payments",
            ["charge", "refund", "legacy_charge", "beta_tool"],
        );
        Self::start_full(&yaml, Options::default(), payments, &[], Some(path), None).await
    }

    async fn start_full(
        yaml: &str,
        options: Options,
        payments: FakeUpstream,
        others: &[FakeUpstream],
        path: Option<&std::path::Path>,
        store: Option<Box<dyn OverlayStore>>,
    ) -> Self {
        let env = MapEnvironment::new()
            .with("KEY_A", KEY_A)
            .with("KEY_B", KEY_B)
            .with("KEY_B2", KEY_B2)
            .with("ADMIN_KEY", ADMIN_KEY)
            .with("VIEWER_KEY", VIEWER_KEY)
            .with("OPERATOR_B_KEY", OPERATOR_B_KEY);
        let config = Config::from_yaml_str(yaml, "config.yaml", &env).expect("config");
        let mut builder = Gateway::builder(config).upstream(Arc::new(payments.clone()));
        builder = match store {
            Some(store) => builder.overlay_store(store),
            None => builder.in_memory_overlays(),
        };
        for other in others {
            builder = builder.upstream(Arc::new(other.clone()));
        }
        if let Some(path) = path {
            builder = builder.config_path(path);
        }
        let gateway = builder.options(options).build().expect("gateway");
        let gateway = Arc::new(gateway);
        gateway.refresh_catalog().await;
        let listener = hangar_gateway::bind("127.0.0.1", 0).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let serving = Arc::clone(&gateway);
        let server = tokio::spawn(async move {
            serving
                .serve(listener, async {
                    let _ = rx.await;
                })
                .await
                .expect("serve");
        });
        Self {
            addr,
            gateway,
            payments,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
    }

    /// One HTTP/1.1 request on a fresh connection.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let stream = TcpStream::connect(self.addr).await.expect("connect");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        let mut request = Request::builder().method(method).uri(path);
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            request = request.header("host", self.addr.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .expect("request");
        let response = sender.send_request(request).await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).expect("utf-8"),
        }
    }

    /// `GET /mcp` in `session`: the status and the still-open body.
    pub(crate) async fn open_stream(
        &self,
        session: &Session,
    ) -> (StatusCode, hyper::body::Incoming) {
        let stream = TcpStream::connect(self.addr).await.expect("connect");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(Method::GET)
            .uri("/mcp")
            .header("host", self.addr.to_string())
            .header("accept", "text/event-stream");
        for (name, value) in session.headers() {
            request = request.header(name, value);
        }
        let request = request.body(Full::new(Bytes::new())).expect("request");
        let response = sender.send_request(request).await.expect("response");
        (response.status(), response.into_body())
    }

    /// `POST /mcp` with a JSON body and `headers`, the answer's body left open (an event
    /// stream such as a `subscriptions/listen` answer).
    pub(crate) async fn post_stream(
        &self,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, HeaderMap, hyper::body::Incoming) {
        let stream = TcpStream::connect(self.addr).await.expect("connect");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/mcp")
            .header("host", self.addr.to_string())
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .expect("request");
        let response = sender.send_request(request).await.expect("response");
        (
            response.status(),
            response.headers().clone(),
            response.into_body(),
        )
    }

    /// `POST /mcp` with a JSON body and `headers`.
    pub(crate) async fn post(&self, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut all = vec![
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
        ];
        all.extend_from_slice(headers);
        self.send(Method::POST, "/mcp", &all, body).await
    }

    /// A 2025-06-18 session for `key`: initialize + notifications/initialized.
    pub(crate) async fn session(&self, key: &str) -> Session {
        let answer = self
            .post(
                &[("x-api-key", key)],
                r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}"#,
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.json()["result"]["protocolVersion"], "2025-06-18");
        let id = answer
            .headers
            .get("mcp-session-id")
            .expect("session id")
            .to_str()
            .expect("ascii")
            .to_owned();
        let session = Session {
            key: key.to_owned(),
            id,
        };
        let ack = self
            .post(
                &session.headers(),
                r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            )
            .await;
        assert_eq!(ack.status, StatusCode::ACCEPTED, "{}", ack.body);
        session
    }

    /// tools/list in `session`: the flat names.
    pub(crate) async fn tool_names(&self, session: &Session) -> Vec<String> {
        let answer = self
            .post(
                &session.headers(),
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        names(&answer.json()["result"]["tools"])
    }

    /// One request `method` with `params` (JSON text) in `session`, id 7.
    pub(crate) async fn rpc(&self, session: &Session, method: &str, params: &str) -> Answer {
        let body = format!(r#"{{"jsonrpc":"2.0","id":7,"method":"{method}","params":{params}}}"#);
        self.post(&session.headers(), &body).await
    }

    /// tools/call of `tool` in `session`.
    pub(crate) async fn call(&self, session: &Session, tool: &str) -> Answer {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":"c-1","method":"tools/call","params":{{"name":"{tool}","arguments":{{"amount":5}}}}}}"#
        );
        self.post(&session.headers(), &body).await
    }
}

pub(crate) struct Session {
    pub(crate) key: String,
    pub(crate) id: String,
}

impl Session {
    pub(crate) fn headers(&self) -> Vec<(&str, &str)> {
        vec![
            ("x-api-key", self.key.as_str()),
            ("mcp-session-id", self.id.as_str()),
            ("mcp-protocol-version", "2025-06-18"),
        ]
    }
}

#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("json body: {}", self.body))
    }
}

pub(crate) fn names(tools: &Value) -> Vec<String> {
    tools
        .as_array()
        .expect("tools array")
        .iter()
        .map(|tool| tool["name"].as_str().expect("name").to_owned())
        .collect()
}
