//! Unit tests for claim validation.

use serde_json::{Map, Value, json};

use super::{ClaimRules, validate};
use crate::{AuthMethod, TokenErrorKind};

const NOW: u64 = 1_800_000_000;

fn rules() -> ClaimRules {
    ClaimRules {
        issuer: Some("https://issuer.test".into()),
        audiences: vec!["https://hangar.test/mcp".into(), "mcp-hangar".into()],
        clock_skew: 60,
        max_lifetime: None,
        required_typ: None,
        tenant_claim: "tenant_id".into(),
        roles_claim: "roles".into(),
        allowed_tenants: Vec::new(),
    }
}

fn claims(changes: Value) -> Map<String, Value> {
    let mut claims = json!({
        "iss": "https://issuer.test", "aud": "mcp-hangar", "sub": "agent",
        "iat": NOW - 10, "exp": NOW + 300,
    });
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(key);
        } else {
            claims[key] = value.clone();
        }
    }
    claims.as_object().unwrap().clone()
}

fn kind(rules: &ClaimRules, changes: Value) -> Option<TokenErrorKind> {
    validate(rules, None, &claims(changes), NOW, AuthMethod::Oidc)
        .err()
        .map(|e| e.kind)
}

#[test]
fn expiry_honours_the_clock_skew_exactly() {
    let r = rules();
    assert_eq!(kind(&r, json!({"exp": NOW - 59})), None);
    assert_eq!(
        kind(&r, json!({"exp": NOW - 60})),
        Some(TokenErrorKind::Expired)
    );
    assert_eq!(kind(&r, json!({"nbf": NOW + 60})), None);
    assert_eq!(
        kind(&r, json!({"nbf": NOW + 61})),
        Some(TokenErrorKind::NotYetValid)
    );
    assert_eq!(
        kind(&r, json!({"iat": NOW + 61})),
        Some(TokenErrorKind::NotYetValid)
    );
    assert_eq!(
        kind(&r, json!({"exp": null})),
        Some(TokenErrorKind::BadLifetime)
    );
    assert_eq!(
        kind(&r, json!({"exp": 1.8e9 + 300.5})),
        None,
        "fractional dates are accepted"
    );
    assert_eq!(
        kind(&r, json!({"exp": -5})),
        Some(TokenErrorKind::Malformed)
    );
}

#[test]
fn max_lifetime_starts_at_iat_then_nbf_then_now() {
    let r = ClaimRules {
        max_lifetime: Some(600),
        ..rules()
    };
    assert_eq!(kind(&r, json!({"iat": NOW, "exp": NOW + 600})), None);
    assert_eq!(
        kind(&r, json!({"iat": NOW - 400, "exp": NOW + 300})),
        Some(TokenErrorKind::BadLifetime)
    );
    assert_eq!(
        kind(&r, json!({"iat": null, "nbf": NOW - 400, "exp": NOW + 300})),
        Some(TokenErrorKind::BadLifetime)
    );
    assert_eq!(
        kind(&r, json!({"iat": null, "exp": NOW + 601})),
        Some(TokenErrorKind::BadLifetime)
    );
}

#[test]
fn audience_is_matched_whole() {
    let r = rules();
    assert_eq!(
        kind(&r, json!({"aud": ["x", "https://hangar.test/mcp"]})),
        None
    );
    assert_eq!(
        kind(&r, json!({"aud": "mcp-hangar other"})),
        Some(TokenErrorKind::WrongAudience)
    );
    assert_eq!(
        kind(&r, json!({"aud": "https://hangar.test/mcp/"})),
        Some(TokenErrorKind::WrongAudience)
    );
    assert_eq!(
        kind(&r, json!({"aud": null})),
        Some(TokenErrorKind::WrongAudience)
    );
    assert_eq!(
        kind(&r, json!({"aud": 5})),
        Some(TokenErrorKind::WrongAudience)
    );
    let open = ClaimRules {
        audiences: Vec::new(),
        ..rules()
    };
    assert_eq!(
        kind(&open, json!({"aud": null})),
        None,
        "no audience configured: not checked"
    );
}

#[test]
fn issuer_must_match_exactly() {
    let r = rules();
    assert_eq!(
        kind(&r, json!({"iss": "https://issuer.test/"})),
        Some(TokenErrorKind::WrongIssuer)
    );
    assert_eq!(
        kind(&r, json!({"iss": ["https://issuer.test"]})),
        Some(TokenErrorKind::WrongIssuer)
    );
}

#[test]
fn identity_mapping() {
    let r = ClaimRules {
        tenant_claim: "org".into(),
        roles_claim: "groups".into(),
        ..rules()
    };
    let c = claims(json!({
        "sub": null, "client_id": "svc", "org": "tenant:x", "scope": "a b", "scp": ["b", "c"],
        "groups": "admin auditor",
    }));
    let caller = validate(&r, None, &c, NOW, AuthMethod::Jwt).unwrap();
    assert_eq!(caller.subject, "svc");
    assert_eq!(caller.tenant_id.as_deref(), Some("tenant:x"));
    assert_eq!(caller.scopes, ["a", "b", "c"]);
    assert_eq!(caller.roles, ["admin", "auditor"]);
    assert_eq!(caller.issuer.as_deref(), Some("https://issuer.test"));
    assert_eq!(caller.expires_at, Some(NOW + 300));
    assert_eq!(caller.method, AuthMethod::Jwt);
    assert_eq!(
        kind(&r, json!({"sub": null})),
        Some(TokenErrorKind::BadClaims)
    );
    assert_eq!(
        kind(&r, json!({"sub": ""})),
        Some(TokenErrorKind::BadClaims)
    );
    assert_eq!(
        kind(&r, json!({"scp": [1]})),
        Some(TokenErrorKind::BadClaims)
    );
}

#[test]
fn allowed_tenants() {
    let r = ClaimRules {
        allowed_tenants: vec!["tenant:a".into()],
        ..rules()
    };
    assert_eq!(kind(&r, json!({"tenant_id": "tenant:a"})), None);
    assert_eq!(
        kind(&r, json!({"tenant_id": "tenant:b"})),
        Some(TokenErrorKind::BadClaims)
    );
    assert_eq!(
        kind(&r, json!({})),
        Some(TokenErrorKind::BadClaims),
        "no tenant, but a list"
    );
}

#[test]
fn required_typ() {
    let r = ClaimRules {
        required_typ: Some("at+jwt".into()),
        ..rules()
    };
    let c = claims(json!({}));
    let check = |typ| {
        validate(&r, typ, &c, NOW, AuthMethod::Jwt)
            .err()
            .map(|e| e.kind)
    };
    assert_eq!(check(Some("at+jwt")), None);
    assert_eq!(check(Some("Application/At+JWT")), None);
    assert_eq!(check(Some("JWT")), Some(TokenErrorKind::BadClaims));
    assert_eq!(check(None), Some(TokenErrorKind::BadClaims));
}
