//! The real `mcp-hangar` with TLS and required client certificates (`auth.mtls`,
//! `client_auth: require`, a CRL), every certificate made in the test: the official
//! Python SDK client (2.x, httpx with a client certificate) lists the tenant's tools with
//! an allowed certificate and is refused with a revoked one or none; a raw rustls client
//! sees the exact TLS alerts; a certificate rotated on disk is served after SIGHUP. A key
//! that does not match its certificate stops the start with exit 64, naming the file.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};

use crate::gateway::Hangar;
use crate::harness::{Client, Era};

// The same throw-away PKI as the gateway's in-process TLS tests (rcgen, std, tempfile).
#[allow(dead_code)]
#[path = "../../crates/gateway/tests/tls/pki.rs"]
mod pki;

use self::pki::{Leaf, Pki};

/// The admin key (with a client certificate: the handshake still requires one).
const ADMIN_KEY: &str = "e2e-tls-admin-key-5f0c2a";

/// front_door; the demo back end (echo, add, whoami); certificates `CN=agent-ops-*`
/// are tenant:ops, which may not call whoami.
fn config(pki: &Pki) -> String {
    format!(
        r#"
tool_access:
  mode: front_door
tls:
  cert_file: {dir}/server.pem
  key_file: {dir}/server-key.pem
  min_version: "1.3"
auth:
  enabled: true
  order: [api_key, mtls]
  api_keys:
    - {{ name: ops-admin, key: {ADMIN_KEY}, roles: [admin] }}
  mtls:
    enabled: true
    client_auth: require
    ca_file: {dir}/clients-ca.pem
    crl_file: {dir}/clients-crl.pem
    allowed_subjects: ["CN=agent-*,O=Acme"]
    tenant_map:
      "CN=agent-ops-*": "tenant:ops"
mcp_servers:
  demo:
    mode: stdio
    command: {demo}
    tools: {{ allow_list: ["*"] }}
    tool_access:
      member:
        "tenant:ops": {{ deny_list: [whoami] }}
"#,
        dir = pki.dir().display(),
        demo = crate::gateway::demo_command().display(),
    )
}

/// What a raw HTTPS request saw: the status line's code, the body and the server's
/// certificate; or the TLS (or I/O) error as text.
struct Seen {
    status: u16,
    body: String,
    server_certificate: Vec<u8>,
}

/// `GET path` over TLS with `certificate` (or none), trusting the test CA.
fn https_get(
    authority: &str,
    pki: &Pki,
    certificate: Option<&Leaf>,
    path: &str,
) -> Result<Seen, String> {
    let config = pki.client_config(
        certificate,
        rustls::DEFAULT_VERSIONS,
        rustls::crypto::aws_lc_rs::default_provider(),
    );
    let name = ServerName::try_from("localhost").expect("server name");
    let connection = ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let tcp = TcpStream::connect(authority).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let mut tls = StreamOwned::new(connection, tcp);
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    match tls.read_to_end(&mut response) {
        Ok(_) => {}
        // A peer that closes without close_notify after a full answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !response.is_empty() => {}
        Err(e) => return Err(e.to_string()),
    }
    let server_certificate = tls
        .conn
        .peer_certificates()
        .and_then(<[_]>::first)
        .map(|c| c.to_vec())
        .unwrap_or_default();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {response:?}"))?;
    Ok(Seen {
        status,
        body: body.to_owned(),
        server_certificate,
    })
}

#[test]
fn mtls_gateway_serves_an_allowed_certificate_and_refuses_a_revoked_one_or_none() {
    let started = Instant::now();
    let mut pki = Pki::new();
    let server = pki.server("hangar.e2e");
    pki.write_leaf("server", &server);
    let allowed = pki.client("agent-ops-1");
    let revoked = pki.client("agent-ops-2");
    pki.write("clients-ca.pem", &pki.ca_pem());
    pki.write("clients-crl.pem", &pki.crl_pem(&[&revoked]));
    let ca = pki.write("ca.pem", &pki.ca_pem());
    let (allowed_cert, allowed_key) = pki.write_leaf("allowed", &allowed);
    let (revoked_cert, revoked_key) = pki.write_leaf("revoked", &revoked);

    let mut hangar = Hangar::start(&config(&pki), &[]);
    let authority = hangar
        .base
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("not an https ready line: {}", hangar.base))
        .to_owned();
    // Ready: the demo back end's tools are listed (over TLS, with the allowed certificate).
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match https_get(&authority, &pki, Some(&allowed), "/health/ready") {
            Ok(seen) if seen.status == 200 => break,
            other => assert!(
                Instant::now() < deadline,
                "never ready ({:?}); stderr:\n{}",
                other.map(|s| s.status),
                hangar.stderr()
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let ca = ca.display().to_string();
    let python = |cert: Option<(&std::path::Path, &std::path::Path)>| {
        let cert = cert.map(|(c, k)| (c.display().to_string(), k.display().to_string()));
        let mut options = vec!["--cafile", ca.as_str()];
        if let Some((c, k)) = &cert {
            options.extend(["--cert", c.as_str(), "--key", k.as_str()]);
        }
        Client::run_with(Era::PyV2, &options, &hangar.url, &[], &["list"])
    };

    // The allowed certificate: the caller is its subject, tenant:ops by tenant_map.
    let listed = python(Some((&allowed_cert, &allowed_key)));
    let mut names: Vec<String> = serde_json::from_value(listed.ok().clone()).expect("names");
    names.sort();
    assert_eq!(names, ["add", "echo"]);

    // The revoked certificate and no certificate: the handshake is refused.
    let refused = python(Some((&revoked_cert, &revoked_key)));
    assert_eq!(refused.code(), 1, "{refused:?}");
    assert!(
        refused.stderr.to_ascii_lowercase().contains("revoked"),
        "{}",
        refused.stderr
    );
    let refused = python(None);
    assert_eq!(refused.code(), 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .to_ascii_lowercase()
            .contains("certificate required"),
        "{}",
        refused.stderr
    );
    for (certificate, alert) in [
        (Some(&revoked), "CertificateRevoked"),
        (None, "CertificateRequired"),
    ] {
        let error = https_get(&authority, &pki, certificate, "/health").err();
        assert!(
            error.as_deref().is_some_and(|e| e.contains(alert)),
            "{alert}: {error:?}"
        );
    }

    // hangarctl over https with the test CA and a client certificate reaches the admin
    // API; without the certificate the handshake is refused (exit 69, unreachable).
    let hangarctl = |certificate: bool| {
        let mut command = std::process::Command::new(crate::support::binary("hangarctl"));
        command.args(["servers", "--json", "--url", &hangar.base, "--cacert", &ca]);
        command.args(["--api-key", ADMIN_KEY]);
        if certificate {
            command
                .arg("--cert")
                .arg(&allowed_cert)
                .arg("--key")
                .arg(&allowed_key);
        }
        command.output().expect("hangarctl runs")
    };
    let servers = hangarctl(true);
    assert!(servers.status.success(), "{servers:?}");
    let answer: serde_json::Value = serde_json::from_slice(&servers.stdout).expect("json");
    assert!(answer.to_string().contains("\"demo\""), "{answer}");
    let refused = hangarctl(false);
    assert_eq!(refused.status.code(), Some(69), "{refused:?}");

    // Rotation: new files on disk, SIGHUP; a new connection gets the new certificate.
    let seen = https_get(&authority, &pki, Some(&allowed), "/health").expect("served");
    assert_eq!(
        (seen.status, seen.body.as_str()),
        (200, r#"{"status":"ok"}"#)
    );
    assert_eq!(seen.server_certificate, server.der);
    let rotated = pki.server("hangar-rotated.e2e");
    pki.write_leaf("server", &rotated);
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &hangar.pid().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(hup.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !hangar.stderr().contains("tls: new certificate") {
        assert!(
            Instant::now() < deadline,
            "no reload logged:\n{}",
            hangar.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let seen = https_get(&authority, &pki, Some(&allowed), "/health").expect("served");
    assert_eq!(seen.server_certificate, rotated.der);

    assert_eq!(hangar.stop(), Some(0), "stderr:\n{}", hangar.stderr());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_key_that_does_not_match_the_certificate_stops_the_start_with_exit_64() {
    let mut pki = Pki::new();
    let server = pki.server("hangar.e2e");
    let other = pki.server("other.e2e");
    pki.write("server.pem", &server.cert_pem);
    let key = pki.write("server-key.pem", &other.key_pem);
    pki.write("clients-ca.pem", &pki.ca_pem());
    pki.write("clients-crl.pem", &pki.crl_pem(&[]));
    let config = pki.write("config.yaml", &config(&pki));
    let mut child = std::process::Command::new(crate::support::binary("mcp-hangar"))
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(pki.dir().join("data"))
        .args(["serve", "--http", "--host", "127.0.0.1", "--port", "0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mcp-hangar starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("mcp-hangar kept running with a mismatched key");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    assert_eq!(status.code(), Some(64), "{stderr}");
    assert!(
        stderr.contains("tls.key_file")
            && stderr.contains("does not match")
            && stderr.contains(&key.display().to_string()),
        "{stderr}"
    );
}
