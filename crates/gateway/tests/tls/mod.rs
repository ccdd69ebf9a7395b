//! The TLS listener over 127.0.0.1 with certificates made in the test (`pki.rs`): protocol
//! versions, cipher suites, ALPN, client certificates (require / optional, a foreign CA, a
//! revoked certificate), certificate rotation on reload, and the handshake's failure paths.

mod pki;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hangar_config::{Config, MapEnvironment};
use hangar_gateway::{Gateway, Options, ReloadError};
use http::{Request, StatusCode, Version};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, SupportedCipherSuite, SupportedProtocolVersion};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use self::pki::{Leaf, Pki};
use crate::support::{FRONT_DOOR, Harness, KEY_B, literal_keys, names, stall_reads};

/// `auth.mtls` with `client_auth: MODE`, the CA bundle and CRL in `DIR`.
const MTLS: &str = r#"  mtls:
    enabled: true
    client_auth: MODE
    ca_file: DIR/clients-ca.pem
    crl_file: DIR/clients-crl.pem
    allowed_subjects: ["CN=service-*,O=Acme"]
    tenant_map:
      "CN=service-a*": "tenant:a"
      "CN=service-b*": "tenant:b"
"#;

/// The `tls` section for the server files in `pki`'s directory, with `more` keys.
fn tls_section(pki: &Pki, more: &str) -> String {
    let dir = pki.dir().display();
    format!("tls:\n  cert_file: {dir}/server.pem\n  key_file: {dir}/server-key.pem\n{more}")
}

/// The PKI with the server's files written (`server.pem`, the CA bundle, an empty CRL)
/// and the reference scenario (`FRONT_DOOR`: tenant:a sees charge, tenant:b charge and
/// refund) served over TLS, with `more` keys under `tls` and `auth.mtls` in
/// `client_auth` mode (`None`: no mTLS).
fn setup(more: &str, client_auth: Option<&str>) -> (Pki, String) {
    let mut pki = Pki::new();
    let server = pki.server("hangar.test");
    pki.write_leaf("server", &server);
    pki.write("clients-ca.pem", &pki.ca_pem());
    pki.write("clients-crl.pem", &pki.crl_pem(&[]));
    let mtls = client_auth.map_or(String::new(), |mode| {
        MTLS.replace("MODE", mode)
            .replace("DIR", &pki.dir().display().to_string())
    });
    let (mode, anonymous) = ("  mode: front_door\n", "  allow_anonymous: false\n");
    assert!(FRONT_DOOR.contains(mode) && FRONT_DOOR.contains(anonymous));
    let yaml = FRONT_DOOR
        .replacen(mode, &format!("{mode}{}", tls_section(&pki, more)), 1)
        .replacen(anonymous, &format!("{anonymous}{mtls}"), 1);
    (pki, yaml)
}

/// The gateway for `yaml`, started from a config file (reload reads it again).
async fn start(pki: &Pki, yaml: &str) -> Harness {
    // Keys written in: a reload reads the file with the process's environment.
    let path = pki.write("config.yaml", &literal_keys(yaml));
    Harness::start_from_file(&path).await
}

/// What a TLS client offers.
struct Offer<'a> {
    certificate: Option<&'a Leaf>,
    versions: &'a [&'static SupportedProtocolVersion],
    suites: Option<&'a [SupportedCipherSuite]>,
    alpn: &'a [&'a [u8]],
}

impl Default for Offer<'_> {
    fn default() -> Self {
        Self {
            certificate: None,
            versions: rustls::ALL_VERSIONS,
            suites: None,
            alpn: &[b"h2", b"http/1.1"],
        }
    }
}

impl<'a> Offer<'a> {
    /// A client that offers only HTTP/1.1 (ALPN), for tests that keep one connection open.
    fn http11() -> Self {
        Self {
            alpn: &[b"http/1.1"],
            ..Self::default()
        }
    }

    fn with_certificate(certificate: &'a Leaf) -> Self {
        Self {
            certificate: Some(certificate),
            ..Self::default()
        }
    }

    /// A client trusting the test CA.
    fn config(&self, pki: &Pki) -> Arc<ClientConfig> {
        let mut provider = rustls::crypto::aws_lc_rs::default_provider();
        if let Some(suites) = self.suites {
            provider.cipher_suites = suites.to_vec();
        }
        let mut config = pki.client_config(self.certificate, self.versions, provider);
        config.alpn_protocols = self.alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}

enum Sender {
    Http1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    Http2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

/// One TLS connection and what its handshake negotiated.
struct Connection {
    sender: Sender,
    authority: String,
    alpn: Option<Vec<u8>>,
    version: rustls::ProtocolVersion,
    suite: rustls::CipherSuite,
    /// The server's end-entity certificate.
    server_certificate: Vec<u8>,
}

impl Connection {
    async fn open(addr: SocketAddr, pki: &Pki, offer: &Offer<'_>) -> Result<Self, String> {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let connector = TlsConnector::from(offer.config(pki));
        let name = ServerName::try_from("localhost").expect("server name");
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let (_, session) = tls.get_ref();
        let alpn = session.alpn_protocol().map(<[u8]>::to_vec);
        let version = session.protocol_version().expect("version");
        let suite = session.negotiated_cipher_suite().expect("suite").suite();
        let server_certificate =
            session.peer_certificates().expect("server certificate")[0].to_vec();
        let io = TokioIo::new(tls);
        let sender = if alpn.as_deref() == Some(b"h2") {
            let (sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                    .await
                    .map_err(|e| format!("{e:?}"))?;
            tokio::spawn(connection);
            Sender::Http2(sender)
        } else {
            let (sender, connection) = hyper::client::conn::http1::handshake(io)
                .await
                .map_err(|e| format!("{e:?}"))?;
            tokio::spawn(connection);
            Sender::Http1(sender)
        };
        Ok(Self {
            sender,
            authority: format!("localhost:{}", addr.port()),
            alpn,
            version,
            suite,
            server_certificate,
        })
    }

    /// A stateless 2026-07-28 `tools/list` (with an API key, if given): the status, the
    /// HTTP version and the body.
    async fn list(
        &mut self,
        api_key: Option<&str>,
    ) -> Result<(StatusCode, Version, Value), String> {
        let mut request = Request::post(format!("https://{}/mcp", self.authority))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/list");
        if let Some(key) = api_key {
            request = request.header("x-api-key", key);
        }
        if matches!(self.sender, Sender::Http1(_)) {
            request = request.header("host", &self.authority);
        }
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        let request = request
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("request");
        let response = match &mut self.sender {
            Sender::Http1(sender) => sender.send_request(request).await,
            Sender::Http2(sender) => sender.send_request(request).await,
        }
        .map_err(|e| format!("{e:?}"))?;
        let (status, version) = (response.status(), response.version());
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{e:?}"))?
            .to_bytes();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok((status, version, json))
    }

    /// `list` that must succeed with 200: the tool names.
    async fn tool_names(&mut self, api_key: Option<&str>) -> Vec<String> {
        let (status, _, body) = self.list(api_key).await.expect("tools/list");
        assert_eq!(status, StatusCode::OK, "{body}");
        names(&body["result"]["tools"])
    }
}

/// Connects and lists tools (with an API key, if given); the error (handshake or
/// request) as text.
async fn try_list(
    addr: SocketAddr,
    pki: &Pki,
    offer: &Offer<'_>,
    api_key: Option<&str>,
) -> Result<Vec<String>, String> {
    let mut connection = Connection::open(addr, pki, offer).await?;
    let (status, _, body) = connection.list(api_key).await?;
    if status == StatusCode::OK {
        Ok(names(&body["result"]["tools"]))
    } else {
        Err(format!("HTTP {status}: {body}"))
    }
}

/// Connects, sends an API key, and expects the TLS layer to refuse; the error text.
async fn refused(addr: SocketAddr, pki: &Pki, offer: &Offer<'_>) -> String {
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        try_list(addr, pki, offer, Some(KEY_B)),
    )
    .await
    .expect("the gateway answered in time");
    let error = outcome.expect_err("the connection was refused");
    assert!(
        !error.starts_with("HTTP "),
        "refused at the HTTP level, not TLS: {error}"
    );
    error
}

#[tokio::test]
async fn tls_1_3_only_refuses_a_tls_1_2_client() {
    let (pki, yaml) = setup("  min_version: \"1.3\"\n", None);
    let harness = start(&pki, &yaml).await;
    let tls12 = Offer {
        versions: &[&rustls::version::TLS12],
        ..Offer::default()
    };
    let error = refused(harness.addr, &pki, &tls12).await;
    assert!(error.contains("ProtocolVersion"), "{error}");
    assert_eq!(harness.gateway.tls_handshake_failures(), 1);

    let mut connection = Connection::open(harness.addr, &pki, &Offer::default())
        .await
        .expect("a TLS 1.3 client connects");
    assert_eq!(connection.version, rustls::ProtocolVersion::TLSv1_3);
    assert_eq!(
        connection.tool_names(Some(KEY_B)).await,
        ["charge", "refund"]
    );
    harness.stop().await;
}

#[tokio::test]
async fn the_listed_cipher_suites_are_the_only_ones_in_the_listed_order() {
    let (pki, yaml) = setup(
        "  cipher_suites: [TLS13_CHACHA20_POLY1305_SHA256, TLS13_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n",
        None,
    );
    let harness = start(&pki, &yaml).await;
    // The client prefers AES-256 then AES-128 then ChaCha20: the server's order wins.
    let connection = Connection::open(harness.addr, &pki, &Offer::default())
        .await
        .expect("connect");
    assert_eq!(
        connection.suite,
        rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
    );
    let tls12 = Offer {
        versions: &[&rustls::version::TLS12],
        ..Offer::default()
    };
    let mut connection = Connection::open(harness.addr, &pki, &tls12)
        .await
        .expect("TLS 1.2");
    assert_eq!(connection.version, rustls::ProtocolVersion::TLSv1_2);
    assert_eq!(
        connection.suite,
        rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    );
    assert_eq!(
        connection.tool_names(Some(KEY_B)).await,
        ["charge", "refund"]
    );
    // A client offering only a suite not listed finds nothing in common.
    let unlisted = Offer {
        suites: Some(&[rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_256_GCM_SHA384]),
        ..Offer::default()
    };
    let error = refused(harness.addr, &pki, &unlisted).await;
    assert!(error.contains("HandshakeFailure"), "{error}");
    assert_eq!(harness.gateway.tls_handshake_failures(), 1);
    harness.stop().await;
}

#[tokio::test]
async fn alpn_h2_serves_http_2_and_http_1_1_stays_available() {
    let (pki, yaml) = setup("", None);
    let harness = start(&pki, &yaml).await;
    let mut h2 = Connection::open(harness.addr, &pki, &Offer::default())
        .await
        .expect("connect");
    assert_eq!(h2.alpn.as_deref(), Some(&b"h2"[..]));
    let (status, version, _) = h2.list(Some(KEY_B)).await.expect("h2 request");
    assert_eq!((status, version), (StatusCode::OK, Version::HTTP_2));
    let http11 = Offer::http11();
    let mut h1 = Connection::open(harness.addr, &pki, &http11)
        .await
        .expect("connect");
    assert_eq!(h1.alpn.as_deref(), Some(&b"http/1.1"[..]));
    let (status, version, _) = h1.list(Some(KEY_B)).await.expect("http/1.1 request");
    assert_eq!((status, version), (StatusCode::OK, Version::HTTP_11));
    harness.stop().await;
}

#[tokio::test]
async fn a_verified_client_certificate_is_the_caller_and_its_tenant_map_tenant() {
    let (mut pki, yaml) = setup("", Some("require"));
    let service_a = pki.client("service-a1");
    let service_b = pki.client("service-b7");
    let harness = start(&pki, &yaml).await;
    let mut a = Connection::open(harness.addr, &pki, &Offer::with_certificate(&service_a))
        .await
        .expect("connect");
    // tenant:a: refund denied, beta_tool withdrawn, legacy_charge withdrawn for all.
    assert_eq!(a.tool_names(None).await, ["charge"]);
    let mut b = Connection::open(harness.addr, &pki, &Offer::with_certificate(&service_b))
        .await
        .expect("connect");
    assert_eq!(b.tool_names(None).await, ["charge", "refund"]);
    // A subject outside allowed_subjects completes the handshake and is refused (403).
    let intruder = pki.client("intruder");
    let mut outsider = Connection::open(harness.addr, &pki, &Offer::with_certificate(&intruder))
        .await
        .expect("connect");
    let (status, _, body) = outsider.list(None).await.expect("answer");
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(harness.gateway.tls_handshake_failures(), 0);
    harness.stop().await;
}

#[tokio::test]
async fn require_refuses_no_certificate_a_foreign_ca_and_a_revoked_certificate() {
    let (mut pki, yaml) = setup("", Some("require"));
    let revoked = pki.client("service-a-lost-laptop");
    pki.write("clients-crl.pem", &pki.crl_pem(&[&revoked]));
    let stranger = pki.stranger("service-a1");
    let good = pki.client("service-a2");
    let harness = start(&pki, &yaml).await;

    let error = refused(harness.addr, &pki, &Offer::default()).await;
    assert!(
        error.contains("CertificateRequired"),
        "no certificate: {error}"
    );
    let error = refused(harness.addr, &pki, &Offer::with_certificate(&stranger)).await;
    assert!(error.contains("UnknownCA"), "foreign CA: {error}");
    let error = refused(harness.addr, &pki, &Offer::with_certificate(&revoked)).await;
    assert!(error.contains("CertificateRevoked"), "revoked: {error}");
    // (`refused` sends an API key: it does not replace the certificate.)
    assert_eq!(harness.gateway.tls_handshake_failures(), 3);

    let listed = try_list(harness.addr, &pki, &Offer::with_certificate(&good), None).await;
    assert_eq!(listed.as_deref(), Ok(&["charge".to_owned()][..]));
    harness.stop().await;
}

#[tokio::test]
async fn optional_client_auth_falls_back_to_the_api_key() {
    let (mut pki, yaml) = setup("", Some("optional"));
    let service_a = pki.client("service-a1");
    let revoked = pki.client("service-a9");
    pki.write("clients-crl.pem", &pki.crl_pem(&[&revoked]));
    let harness = start(&pki, &yaml).await;
    let mut anonymous = Connection::open(harness.addr, &pki, &Offer::default())
        .await
        .expect("no certificate completes the handshake");
    assert_eq!(
        anonymous.tool_names(Some(KEY_B)).await,
        ["charge", "refund"]
    );
    let (status, _, _) = anonymous.list(None).await.expect("answer");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let listed = try_list(
        harness.addr,
        &pki,
        &Offer::with_certificate(&service_a),
        None,
    )
    .await;
    assert_eq!(listed.as_deref(), Ok(&["charge".to_owned()][..]));
    // A certificate that is presented is still verified.
    let error = refused(harness.addr, &pki, &Offer::with_certificate(&revoked)).await;
    assert!(error.contains("CertificateRevoked"), "{error}");
    harness.stop().await;
}

#[tokio::test]
async fn a_reload_serves_a_rotated_certificate_to_new_connections_and_keeps_open_ones() {
    let (mut pki, yaml) = setup("", None);
    let first = pki.server("hangar-first.test");
    pki.write_leaf("server", &first);
    let harness = start(&pki, &yaml).await;
    let http11 = Offer::http11();
    let mut old = Connection::open(harness.addr, &pki, &http11)
        .await
        .expect("connect");
    assert_eq!(old.server_certificate, first.der);
    assert_eq!(old.tool_names(Some(KEY_B)).await, ["charge", "refund"]);

    // Same config text, new files on disk (a new key too), then a reload.
    let second = pki.server("hangar-second.test");
    pki.write_leaf("server", &second);
    let changed = harness.gateway.reload().await.expect("reload");
    assert_eq!(changed, ["tls: new certificate"]);
    let mut new = Connection::open(harness.addr, &pki, &http11)
        .await
        .expect("connect");
    assert_eq!(new.server_certificate, second.der);
    assert_eq!(new.tool_names(Some(KEY_B)).await, ["charge", "refund"]);
    // The connection opened before the reload keeps its session and is still served.
    assert_eq!(old.tool_names(Some(KEY_B)).await, ["charge", "refund"]);

    // A key that does not match the certificate: refused, the second certificate stays.
    let third = pki.server("hangar-third.test");
    pki.write("server.pem", &third.cert_pem);
    let error = harness.gateway.reload().await.expect_err("mismatched key");
    assert!(matches!(error, ReloadError::Invalid(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("tls.key_file") && message.contains("does not match"),
        "{message}"
    );
    let mut after = Connection::open(harness.addr, &pki, &http11)
        .await
        .expect("connect");
    assert_eq!(after.server_certificate, second.der);
    assert_eq!(after.tool_names(Some(KEY_B)).await, ["charge", "refund"]);

    // TLS cannot be switched off while running.
    pki.write_leaf("server", &second);
    let plain = yaml.replace(&tls_section(&pki, ""), "");
    assert!(!plain.contains("tls:"));
    pki.write("config.yaml", &literal_keys(&plain));
    let error = harness.gateway.reload().await.expect_err("tls off");
    assert!(matches!(error, ReloadError::Refused(_)), "{error:?}");
    assert!(error.to_string().contains("restart"), "{error}");
    assert_eq!(old.tool_names(Some(KEY_B)).await, ["charge", "refund"]);
    harness.stop().await;
}

#[tokio::test]
async fn plain_http_on_the_tls_port_fails_the_handshake_and_is_counted() {
    let (pki, yaml) = setup("", None);
    let harness = start(&pki, &yaml).await;
    let mut tcp = TcpStream::connect(harness.addr).await.expect("connect");
    tcp.write_all(b"GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was not closed");
    assert!(
        !answer.starts_with(b"HTTP/"),
        "served plain HTTP: {answer:?}"
    );
    assert_eq!(harness.gateway.tls_handshake_failures(), 1);
    assert!(harness.gateway.is_tls());
    harness.stop().await;
}

#[tokio::test]
async fn a_stalled_handshake_is_dropped_after_the_header_read_timeout() {
    let (pki, yaml) = setup("", None);
    let mut options = Options::default();
    options.header_read_timeout = Duration::from_millis(300);
    let harness = Harness::start_with(&yaml, options).await;
    let mut tcp = TcpStream::connect(harness.addr).await.expect("connect");
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "a silent client held its connection for 5 s");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(harness.gateway.tls_handshake_failures(), 1);
    // The listener still serves.
    let listed = try_list(harness.addr, &pki, &Offer::default(), Some(KEY_B)).await;
    assert_eq!(listed.expect("served").len(), 2);
    harness.stop().await;
}

fn build_error(yaml: &str) -> hangar_gateway::Error {
    let config = Config::from_yaml_str(&literal_keys(yaml), "config.yaml", &MapEnvironment::new())
        .expect("config");
    Gateway::builder(config)
        .in_memory_overlays()
        .build()
        .expect_err("the TLS files are unusable")
}

#[test]
fn unusable_tls_files_are_config_errors_naming_the_file() {
    let (mut pki, yaml) = setup("", Some("require"));
    let dir = pki.dir().display().to_string();
    let missing = yaml.replace("server.pem", "nowhere.pem");
    let error = build_error(&missing);
    assert!(error.is_config());
    let message = error.to_string();
    assert!(
        message.starts_with("tls.cert_file: cannot read ")
            && message.contains(&format!("{dir}/nowhere.pem")),
        "{message}"
    );

    pki.write("empty-key.pem", "");
    let error = build_error(&yaml.replace("server-key.pem", "empty-key.pem"));
    assert!(error.is_config());
    assert!(
        error
            .to_string()
            .starts_with("tls.key_file: no private key"),
        "{error}"
    );

    let other = pki.server("other.test");
    pki.write("other-key.pem", &other.key_pem);
    let error = build_error(&yaml.replace("server-key.pem", "other-key.pem"));
    assert!(error.is_config());
    let message = error.to_string();
    assert!(
        message.contains("does not match") && message.contains(&format!("{dir}/other-key.pem")),
        "{message}"
    );

    // The key where the certificate should be.
    let error = build_error(&yaml.replace("/server.pem", "/server-key.pem"));
    assert!(
        error
            .to_string()
            .starts_with("tls.cert_file: no certificate"),
        "{error}"
    );

    // auth.mtls problems are config errors too.
    let error = build_error(&yaml.replace("clients-ca.pem", "missing-ca.pem"));
    assert!(error.is_config(), "{error}");
    assert!(error.to_string().contains("missing-ca.pem"), "{error}");
}

#[tokio::test]
async fn a_certificate_revoked_by_a_reload_stops_working_on_an_open_connection() {
    let (mut pki, yaml) = setup("", Some("require"));
    let laptop = pki.client("service-a-laptop");
    let harness = start(&pki, &yaml).await;
    let mut open = Connection::open(harness.addr, &pki, &Offer::with_certificate(&laptop))
        .await
        .expect("connect");
    assert_eq!(open.tool_names(None).await, ["charge"]);

    // The operator revokes the certificate and reloads; the connection stays open.
    pki.write("clients-crl.pem", &pki.crl_pem(&[&laptop]));
    harness.gateway.reload().await.expect("reload");
    let (status, _, body) = open
        .list(None)
        .await
        .expect("an answer on the same connection");
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // New connections with it are refused at the handshake, as before.
    let error = refused(harness.addr, &pki, &Offer::with_certificate(&laptop)).await;
    assert!(error.contains("CertificateRevoked"), "{error}");
    harness.stop().await;
}

#[tokio::test]
async fn a_reload_waiting_on_its_certificate_file_does_not_stall_open_connections() {
    let (pki, yaml) = setup("", None);
    let harness = start(&pki, &yaml).await;
    let http11 = Offer::http11();
    let mut open = Connection::open(harness.addr, &pki, &http11)
        .await
        .expect("connect");
    // Reading the certificate waits until the test lets it through; the reload (what
    // SIGHUP calls) is under way meanwhile.
    let (go, writer) = stall_reads(&pki.dir().join("server.pem"));
    let reload = harness.gateway.reload();
    let meanwhile = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let served =
            tokio::time::timeout(Duration::from_secs(10), open.tool_names(Some(KEY_B))).await;
        go.send(()).expect("the writer waits");
        served
    };
    let (reloaded, served) = tokio::join!(reload, meanwhile);
    writer.join().expect("writer");
    assert_eq!(
        served.expect("served while the reload waited on the certificate"),
        ["charge", "refund"]
    );
    assert!(reloaded.expect("reload").is_empty());
    harness.stop().await;
}
