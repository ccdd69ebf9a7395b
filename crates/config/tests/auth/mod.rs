//! The `auth` keys the identity crate needs: method order, required scopes, per-message
//! auth, the token cache, claim names, JWKS timing, mTLS client auth.

use hangar_config::{Auth, AuthMethodKind, MtlsClientAuth};

use super::{AUTH, REFERENCE, load, load_env, problems, single};

use AuthMethodKind::{ApiKey, Introspection, Jwt, Mtls, Oidc};

const OIDC: &str =
    "  oidc:\n    enabled: true\n    issuer: https://idp.example\n    audience: hangar\n";
const JWT: &str = "  jwt:\n    enabled: true\n    algorithm: HS256\n    secret: s\n";
const KEY: &str = "  api_keys:\n    - name: k\n      key: secret\n";

#[test]
fn defaults() {
    let auth = load("auth:\n  enabled: true\n").unwrap().auth;
    assert_eq!(auth.order, [Mtls, ApiKey, Jwt, Oidc, Introspection]);
    assert_eq!(auth.order, AuthMethodKind::DEFAULT_ORDER);
    assert!(auth.required_scopes.is_empty());
    assert!(!auth.per_message.enabled);
    assert_eq!(auth.token_cache_size, 10_000);
    assert_eq!(Auth::default().order, AuthMethodKind::DEFAULT_ORDER);
    assert_eq!(Auth::default().token_cache_size, 10_000);

    let yaml = format!(
        "auth:\n{JWT}{OIDC}  introspection:\n    endpoint: https://idp.example/i\n  mtls:\n    ca_file: /ca.pem\n"
    );
    let auth = load(&yaml).unwrap().auth;
    let jwt = auth.jwt.unwrap();
    assert_eq!(
        (jwt.tenant_claim.as_str(), jwt.roles_claim.as_str()),
        ("tenant_id", "roles")
    );
    assert_eq!(jwt.required_typ, None);
    let oidc = auth.oidc.unwrap();
    assert_eq!(oidc.roles_claim, "roles");
    assert_eq!(oidc.clock_skew_seconds, 60);
    assert_eq!(oidc.max_lifetime_seconds, None);
    assert_eq!(
        (oidc.jwks_cache_seconds, oidc.jwks_min_refresh_seconds),
        (300, 10)
    );
    assert_eq!(auth.introspection.unwrap().tenant_claim, "tenant_id");
    assert_eq!(auth.mtls.unwrap().client_auth, MtlsClientAuth::Require);
}

#[test]
fn every_new_key_is_read() {
    let yaml = "auth:
  order: [api_key, jwt]
  required_scopes: [mcp.read, mcp.write]
  per_message: { enabled: true }
  token_cache_size: 0
  jwt: { tenant_claim: org, roles_claim: groups, required_typ: at+jwt }
  oidc:
    roles_claim: groups
    clock_skew_seconds: 5
    max_lifetime_seconds: 3600
    jwks_cache_seconds: 60
    jwks_min_refresh_seconds: 1
  introspection: { tenant_claim: org }
  mtls: { client_auth: optional }
";
    let auth = load(yaml).unwrap().auth;
    assert_eq!(auth.order, [ApiKey, Jwt]);
    assert_eq!(auth.required_scopes, ["mcp.read", "mcp.write"]);
    assert!(auth.per_message.enabled);
    assert_eq!(auth.token_cache_size, 0);
    let jwt = auth.jwt.unwrap();
    assert_eq!(
        (jwt.tenant_claim.as_str(), jwt.roles_claim.as_str()),
        ("org", "groups")
    );
    assert_eq!(jwt.required_typ.as_deref(), Some("at+jwt"));
    let oidc = auth.oidc.unwrap();
    assert_eq!(oidc.roles_claim, "groups");
    assert_eq!(oidc.clock_skew_seconds, 5);
    assert_eq!(oidc.max_lifetime_seconds, Some(3600));
    assert_eq!(
        (oidc.jwks_cache_seconds, oidc.jwks_min_refresh_seconds),
        (60, 1)
    );
    assert_eq!(auth.introspection.unwrap().tenant_claim, "org");
    assert_eq!(auth.mtls.unwrap().client_auth, MtlsClientAuth::Optional);
}

#[test]
fn explicit_order_is_kept_and_may_name_disabled_methods() {
    let yaml = format!("auth:\n  order: [oidc, introspection, api_key]\n{KEY}{OIDC}");
    assert_eq!(
        load(&yaml).unwrap().auth.order,
        [Oidc, Introspection, ApiKey]
    );
}

#[test]
fn enabled_method_missing_from_order() {
    let yaml = format!("auth:\n  order: [api_key]\n{KEY}{OIDC}{JWT}");
    assert_eq!(
        problems(load(&yaml)),
        [
            "config.yaml:2: auth.order: enabled method \"jwt\" is missing (an explicit order must name every enabled method)",
            "config.yaml:2: auth.order: enabled method \"oidc\" is missing (an explicit order must name every enabled method)",
        ]
    );
    // Configured API keys count as enabled.
    let d = single(load(&format!("auth:\n  order: []\n{KEY}")));
    assert_eq!(d.path(), "auth.order");
    assert!(d.message().contains("\"api_key\""), "{d}");
}

#[test]
fn duplicate_in_order() {
    let d = single(load("auth:\n  order: [jwt, oidc, jwt]\n"));
    assert_eq!(
        d.to_string(),
        "config.yaml:2: auth.order[2]: duplicate method \"jwt\" (also at auth.order[0])"
    );
}

#[test]
fn unknown_method_in_order() {
    let d = single(load("auth:\n  order: [api_key, basic]\n"));
    assert_eq!(d.path(), "auth.order[1]");
    assert!(
        d.message()
            .starts_with("unknown variant \"basic\", expected one of \"api_key\""),
        "{d}"
    );
}

#[test]
fn bad_values() {
    let d = single(load("auth:\n  required_scopes: [\"a b\"]\n"));
    assert_eq!(d.path(), "auth.required_scopes[0]");
    let d = single(load("auth:\n  per_message: { enabled: true, cache: 3 }\n"));
    assert_eq!(d.path(), "auth.per_message.cache");
    let d = single(load("auth:\n  token_cache_size: -1\n"));
    assert_eq!(d.path(), "auth.token_cache_size");
    let d = single(load("auth:\n  jwt:\n    tenant_claim: \"\"\n"));
    assert_eq!(
        d.to_string(),
        "config.yaml:3: auth.jwt.tenant_claim: must not be empty"
    );
    let d = single(load("auth:\n  oidc:\n    roles_claim: \" \"\n"));
    assert_eq!(d.path(), "auth.oidc.roles_claim");
    let d = single(load("auth:\n  mtls:\n    client_auth: request\n"));
    assert_eq!(d.path(), "auth.mtls.client_auth");
    assert!(
        d.message().contains("expected \"require\" or \"optional\""),
        "{d}"
    );
}

#[test]
fn values_from_variables() {
    let env = hangar_config::MapEnvironment::new()
        .with("CACHE", "500")
        .with("CLIENT_AUTH", "optional");
    let yaml = "auth:\n  token_cache_size: ${CACHE}\n  mtls:\n    client_auth: ${CLIENT_AUTH}\n";
    let auth = load_env(yaml, &env).unwrap().auth;
    assert_eq!(auth.token_cache_size, 500);
    assert_eq!(auth.mtls.unwrap().client_auth, MtlsClientAuth::Optional);
}

#[test]
fn behaviour_fixtures_get_the_defaults() {
    let reference = load(REFERENCE).unwrap().auth;
    assert_eq!(reference.order, AuthMethodKind::DEFAULT_ORDER);
    let env = hangar_config::MapEnvironment::new()
        .with("HANGAR_ADMIN_KEY", "a")
        .with("TENANT_C_KEY", "c");
    let auth = load_env(AUTH, &env).unwrap().auth;
    assert_eq!(auth.order, AuthMethodKind::DEFAULT_ORDER);
    assert_eq!(auth.oidc.unwrap().jwks_cache_seconds, 300);
}
