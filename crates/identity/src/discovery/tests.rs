use hangar_config::{Config, MapEnvironment};
use serde_json::json;

use super::{ResourceMetadata, WELL_KNOWN_PATH, from_config};

#[test]
fn a_resource_without_a_path_is_served_at_the_root_only() {
    let m = ResourceMetadata::new("https://hangar.example.com", &[], &[]).unwrap();
    assert_eq!(
        m.url(),
        "https://hangar.example.com/.well-known/oauth-protected-resource"
    );
    assert_eq!(m.well_known_paths(), [WELL_KNOWN_PATH]);
    assert!(m.serves("/.well-known/oauth-protected-resource"));
    assert!(!m.serves("/.well-known/oauth-protected-resource/"));
    assert_eq!(
        m.document(),
        json!({"resource": "https://hangar.example.com", "bearer_methods_supported": ["header"]})
    );
}

#[test]
fn a_resource_with_a_path_gets_the_suffixed_url() {
    let m = ResourceMetadata::new("http://127.0.0.1:8000/mcp", &[], &[]).unwrap();
    assert_eq!(
        m.url(),
        "http://127.0.0.1:8000/.well-known/oauth-protected-resource/mcp"
    );
    assert_eq!(
        m.well_known_paths(),
        [
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-protected-resource/mcp"
        ]
    );
    // The resource is kept exactly as written; the default port is not in the URL.
    let m = ResourceMetadata::new("https://h.example:443/a/b/", &[], &[]).unwrap();
    assert_eq!(m.resource(), "https://h.example:443/a/b/");
    assert_eq!(
        m.url(),
        "https://h.example/.well-known/oauth-protected-resource/a/b"
    );
    let m = ResourceMetadata::new("https://h.example/mcp?v=1", &[], &[]).unwrap();
    assert_eq!(
        m.url(),
        "https://h.example/.well-known/oauth-protected-resource/mcp?v=1"
    );
}

#[test]
fn bad_resources() {
    for bad in [
        "hangar.example.com",
        "ftp://h.example/",
        "https://h.example/#x",
        "mailto:a@b",
    ] {
        assert!(ResourceMetadata::new(bad, &[], &[]).is_err(), "{bad}");
    }
}

#[test]
fn document_and_answer() {
    let m = ResourceMetadata::new(
        "https://hangar.example.com",
        &["https://auth.example.com".to_owned()],
        &["mcp.read".to_owned()],
    )
    .unwrap();
    let answer = m.answer();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(
        std::str::from_utf8(&answer.body).unwrap(),
        r#"{"resource":"https://hangar.example.com","authorization_servers":["https://auth.example.com"],"scopes_supported":["mcp.read"],"bearer_methods_supported":["header"]}"#
    );
}

fn metadata(yaml: &str) -> Option<ResourceMetadata> {
    let config = Config::from_yaml_str(yaml, "c.yaml", &MapEnvironment::new()).unwrap();
    from_config(&config.auth).unwrap()
}

#[test]
fn from_the_configuration() {
    let m = metadata(
        "auth:
  required_scopes: [mcp.call, mcp.read]
  oidc:
    enabled: true
    issuer: https://auth.example.com
    audience: mcp-hangar
    resource_uri: https://hangar.example.com/mcp
    scopes_supported: [mcp.read]
    issuers:
      - issuer: https://partner.example.com
      - issuer: https://auth.example.com
",
    )
    .unwrap();
    assert_eq!(
        m.document(),
        json!({
            "resource": "https://hangar.example.com/mcp",
            "authorization_servers": ["https://auth.example.com", "https://partner.example.com"],
            "scopes_supported": ["mcp.read", "mcp.call"],
            "bearer_methods_supported": ["header"],
        })
    );
    // No OIDC, OIDC disabled, or no resource: no document.
    assert!(metadata("auth:\n  enabled: true\n").is_none());
    assert!(
        metadata(
            "auth:\n  oidc:\n    issuer: https://a.example\n    resource_uri: https://h.example\n"
        )
        .is_none()
    );
    assert!(
        metadata(
            "auth:\n  oidc:\n    enabled: true\n    issuer: https://a.example\n    audience: x\n"
        )
        .is_none()
    );
}
