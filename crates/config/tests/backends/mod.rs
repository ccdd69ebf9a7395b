//! The back-end transport keys of `mcp_servers`: timeouts, headers, oauth,
//! protocol_version.

use std::time::Duration;

use hangar_config::{BackendProtocol, ServerTimeouts, Transport};

use super::{REFERENCE, env, load, load_env, problems, single};

const REMOTE: &str =
    "mcp_servers:\n  p:\n    mode: remote\n    endpoint: http://payments:9000/mcp\n";
const STDIO: &str = "mcp_servers:\n  s:\n    mode: stdio\n    command: demo\n";

#[test]
fn defaults_leave_the_reference_unchanged() {
    let config = load(REFERENCE).unwrap();
    for server in &config.mcp_servers {
        assert_eq!(server.timeouts, ServerTimeouts::default());
        assert_eq!(server.timeouts.request, Duration::from_secs(30));
        assert_eq!(server.timeouts.connect, Duration::from_secs(5));
        assert_eq!(server.protocol_version, BackendProtocol::Auto);
        if let Transport::Remote { headers, oauth, .. } = &server.transport {
            assert!(headers.is_empty());
            assert!(oauth.is_none());
        }
    }
}

#[test]
fn every_key_is_read() {
    let yaml = format!(
        "{REMOTE}    timeout_seconds: 12\n    connect_timeout_seconds: ${{CONNECT}}\n    protocol_version: 2025-06-18\n    headers:\n      X-Api-Key: ${{PAYMENTS_KEY}}\n      X-Team: gateway\n    oauth:\n      token_url: https://idp:8080/token\n      client_id: hangar\n      client_secret: ${{CLIENT_SECRET}}\n      scopes: [mcp.call, mcp.list]\n"
    );
    let env = env()
        .with("CONNECT", "2")
        .with("PAYMENTS_KEY", "k-123")
        .with("CLIENT_SECRET", "s-456");
    let config = load_env(&yaml, &env).unwrap();
    let server = &config.mcp_servers[0];
    assert_eq!(server.timeouts.request, Duration::from_secs(12));
    assert_eq!(server.timeouts.connect, Duration::from_secs(2));
    assert_eq!(server.protocol_version, BackendProtocol::V2025_06_18);
    assert_eq!(server.protocol_version.version(), Some("2025-06-18"));
    let Transport::Remote { headers, oauth, .. } = &server.transport else {
        panic!("remote")
    };
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.expose()))
        .collect();
    assert_eq!(headers, [("X-Api-Key", "k-123"), ("X-Team", "gateway")]);
    let oauth = oauth.as_ref().unwrap();
    assert_eq!(oauth.token_url, "https://idp:8080/token");
    assert_eq!(oauth.client_id, "hangar");
    assert_eq!(oauth.client_secret.expose(), "s-456");
    assert_eq!(oauth.scopes, ["mcp.call", "mcp.list"]);
    // Secrets stay out of Debug output.
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("k-123") && !debug.contains("s-456"),
        "{debug}"
    );
}

#[test]
fn every_protocol_version_is_accepted() {
    for (text, expected) in [
        ("auto", BackendProtocol::Auto),
        ("2025-03-26", BackendProtocol::V2025_03_26),
        ("2025-06-18", BackendProtocol::V2025_06_18),
        ("2025-11-25", BackendProtocol::V2025_11_25),
        ("\"2026-07-28\"", BackendProtocol::V2026_07_28),
    ] {
        let config = load(&format!("{REMOTE}    protocol_version: {text}\n")).unwrap();
        assert_eq!(config.mcp_servers[0].protocol_version, expected, "{text}");
    }
    let problem = single(load(&format!("{REMOTE}    protocol_version: 2024-11-05\n")));
    assert_eq!(problem.path(), "mcp_servers.p.protocol_version");
}

#[test]
fn timeouts_must_be_positive_and_bounded() {
    let problem = single(load(&format!("{REMOTE}    timeout_seconds: 0\n")));
    assert_eq!(problem.path(), "mcp_servers.p.timeout_seconds");
    assert!(problem.message().contains("at least 1"), "{problem}");
    let problem = single(load(&format!(
        "{STDIO}    connect_timeout_seconds: 100000\n"
    )));
    assert_eq!(problem.path(), "mcp_servers.s.connect_timeout_seconds");
    let problem = single(load(&format!("{REMOTE}    timeout_seconds: soon\n")));
    assert_eq!(problem.path(), "mcp_servers.p.timeout_seconds");
    // Stdio servers have timeouts too.
    let config = load(&format!("{STDIO}    timeout_seconds: 3\n")).unwrap();
    assert_eq!(
        config.mcp_servers[0].timeouts.request,
        Duration::from_secs(3)
    );
}

#[test]
fn header_names_and_values_are_checked() {
    let cases = [
        (
            "      \"Bad Header\": x\n",
            "mcp_servers.p.headers.\"Bad Header\"",
            "invalid header name",
        ),
        (
            "      Mcp-Session-Id: x\n",
            "mcp_servers.p.headers.Mcp-Session-Id",
            "set by the gateway",
        ),
        (
            "      Content-Type: x\n",
            "mcp_servers.p.headers.Content-Type",
            "set by the gateway",
        ),
        (
            "      X-Key: \"\"\n",
            "mcp_servers.p.headers.X-Key",
            "must not be empty",
        ),
        (
            "      X-Key: \"a\\nb\"\n",
            "mcp_servers.p.headers.X-Key",
            "line break",
        ),
        (
            "      X-Key: a\n      x-key: b\n",
            "mcp_servers.p.headers.x-key",
            "duplicate header",
        ),
    ];
    for (entries, path, message) in cases {
        let problem = single(load(&format!("{REMOTE}    headers:\n{entries}")));
        assert_eq!(problem.path(), path, "{problem}");
        assert!(problem.message().contains(message), "{problem}");
    }
}

#[test]
fn oauth_needs_its_keys_and_excludes_an_authorization_header() {
    let all = problems(load(&format!(
        "{REMOTE}    oauth:\n      scopes: [\"two words\"]\n"
    )));
    assert_eq!(all.len(), 4, "{all:?}");
    assert!(
        all.iter()
            .any(|p| p.contains("mcp_servers.p.oauth.token_url: missing key")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|p| p.contains("mcp_servers.p.oauth.client_id: missing key")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|p| p.contains("mcp_servers.p.oauth.client_secret: missing key")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|p| p.contains("mcp_servers.p.oauth.scopes[0]")),
        "{all:?}"
    );

    let yaml = format!(
        "{REMOTE}    headers:\n      Authorization: Bearer x\n    oauth:\n      token_url: https://idp/token\n      client_id: c\n      client_secret: s\n"
    );
    let problem = single(load(&yaml));
    assert_eq!(problem.path(), "mcp_servers.p.headers.Authorization");

    let problem = single(load(&format!(
        "{REMOTE}    oauth:\n      token_url: https://idp/token\n      client_id: c\n      client_secret: s\n      grant: x\n"
    )));
    assert!(
        problem.path().starts_with("mcp_servers.p.oauth"),
        "{problem}"
    );
}

#[test]
fn remote_only_keys_are_refused_for_stdio() {
    for key in [
        "headers: {X-Key: v}",
        "oauth: {token_url: https://idp/t, client_id: c, client_secret: s}",
        "protocol_version: auto",
    ] {
        let problem = single(load(&format!("{STDIO}    {key}\n")));
        let name = key.split(':').next().unwrap();
        assert_eq!(problem.path(), format!("mcp_servers.s.{name}"), "{problem}");
        assert!(
            problem.message().contains("not allowed for a stdio server"),
            "{problem}"
        );
    }
}

#[test]
fn https_trust_and_the_token_url_rule() {
    let config = load(&format!("{REMOTE}    ca_file: certs/internal-ca.pem\n")).unwrap();
    let Transport::Remote { ca_file, .. } = &config.mcp_servers[0].transport else {
        panic!("remote")
    };
    assert_eq!(
        ca_file.as_deref(),
        Some(std::path::Path::new("certs/internal-ca.pem"))
    );
    let d = single(load(&format!("{STDIO}    ca_file: ca.pem\n")));
    assert_eq!(d.path(), "mcp_servers.s.ca_file");
    // The client secret goes to the token endpoint: https, or http only on loopback.
    let d = single(load(&format!(
        "{REMOTE}    oauth: {{token_url: http://idp/token, client_id: c, client_secret: s}}\n"
    )));
    assert_eq!(d.path(), "mcp_servers.p.oauth.token_url");
    assert!(d.message().contains("must use https"), "{d}");
    load(&format!(
        "{REMOTE}    oauth: {{token_url: http://127.0.0.1:9/token, client_id: c, client_secret: s}}\n"
    ))
    .unwrap();
}
