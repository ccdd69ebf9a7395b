//! Unit tests for mapping introspection answers.

use std::time::Duration;

use serde_json::{Value, json};

use super::Introspector;
use crate::{HttpClient, TokenErrorKind};

const NOW: u64 = 1_800_000_000;

fn introspector(extra: &str) -> Introspector {
    let yaml = format!(
        "auth:\n  introspection:\n    enabled: true\n    endpoint: https://auth.example.com/introspect\n    client_id: gateway\n    client_secret: ${{SECRET}}\n{extra}"
    );
    let env = hangar_config::MapEnvironment::new().with("SECRET", "s3cret:with/odd chars");
    let config = hangar_config::Config::from_yaml_str(&yaml, "t.yaml", &env).unwrap();
    Introspector::new(
        &config.auth.introspection.unwrap(),
        HttpClient::new(Duration::from_secs(1)),
    )
    .unwrap()
}

fn kind(introspector: &Introspector, answer: Value) -> Option<TokenErrorKind> {
    introspector
        .identity(answer.as_object().unwrap(), NOW)
        .err()
        .map(|e| e.kind)
}

#[test]
fn active_answers_become_callers() {
    let i = introspector("    tenant_claim: org\n");
    let answer = json!({
        "active": true, "client_id": "svc", "org": "tenant:z", "scope": "a b",
        "iss": "https://auth.example.com", "exp": NOW + 60, "roles": ["viewer"],
    });
    let caller = i.identity(answer.as_object().unwrap(), NOW).unwrap();
    assert_eq!(caller.subject, "svc");
    assert_eq!(caller.tenant_id.as_deref(), Some("tenant:z"));
    assert_eq!(caller.scopes, ["a", "b"]);
    assert_eq!(caller.roles, ["viewer"]);
    assert_eq!(caller.expires_at, Some(NOW + 60));
    let with_sub = json!({"active": true, "sub": "user-1", "client_id": "svc"});
    assert_eq!(
        i.identity(with_sub.as_object().unwrap(), NOW)
            .unwrap()
            .subject,
        "user-1"
    );
}

#[test]
fn refusals() {
    let i = introspector("    required_scopes: [mcp:write]\n");
    assert_eq!(
        kind(&i, json!({"active": false})),
        Some(TokenErrorKind::Inactive)
    );
    assert_eq!(
        kind(
            &i,
            json!({"active": "true", "sub": "x", "scope": "mcp:write"})
        ),
        Some(TokenErrorKind::Inactive)
    );
    assert_eq!(kind(&i, json!({})), Some(TokenErrorKind::Inactive));
    let base = |extra: Value| {
        let mut answer = json!({"active": true, "sub": "x", "scope": "mcp:write"});
        answer
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        answer
    };
    assert_eq!(kind(&i, base(json!({}))), None);
    assert_eq!(
        kind(&i, base(json!({"exp": NOW}))),
        Some(TokenErrorKind::Expired)
    );
    assert_eq!(
        kind(&i, base(json!({"nbf": NOW + 10}))),
        Some(TokenErrorKind::NotYetValid)
    );
    // A missing required scope is not the token's fault: the authenticator answers 403
    // insufficient_scope for it (see the authenticator tests).
    assert_eq!(kind(&i, base(json!({"scope": "mcp:read"}))), None);
    assert_eq!(i.required_scopes(), ["mcp:write"]);
    assert_eq!(
        kind(&i, base(json!({"sub": null}))),
        Some(TokenErrorKind::BadClaims)
    );
}

#[test]
fn credentials_are_form_encoded_and_never_printed() {
    let i = introspector("");
    use base64::Engine as _;
    let encoded = i.authorization.strip_prefix("Basic ").unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(decoded, b"gateway:s3cret%3Awith%2Fodd+chars");
    assert!(!format!("{i:?}").contains(encoded));
}

#[test]
fn plain_http_only_to_loopback() {
    let yaml = "auth:\n  introspection:\n    endpoint: http://127.0.0.1:1/i\n    client_id: a\n    client_secret: b\n";
    let config =
        hangar_config::Config::from_yaml_str(yaml, "t.yaml", &hangar_config::MapEnvironment::new())
            .unwrap();
    assert!(
        Introspector::new(
            &config.auth.introspection.unwrap(),
            HttpClient::new(Duration::from_secs(1))
        )
        .is_ok()
    );
}
