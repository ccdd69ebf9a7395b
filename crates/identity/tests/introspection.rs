//! RFC 7662 introspection against a real OpenID provider's introspection endpoint
//! (opaque tokens issued for a separate resource).

mod idp;
mod support;

use std::time::Duration;

use hangar_config::{Config, MapEnvironment};
use hangar_identity::{AuthMethod, HttpClient, Introspector, TokenErrorKind};
use idp::{Idp, OPAQUE_RESOURCE};

fn introspector(idp: &Idp, extra: &str) -> Introspector {
    let yaml = format!(
        "auth:\n  enabled: true\n  introspection:\n    enabled: true\n    endpoint: {}/token/introspection\n    client_id: gateway\n    client_secret: ${{GATEWAY_SECRET}}\n{extra}",
        idp.issuer
    );
    let env = MapEnvironment::new().with("GATEWAY_SECRET", "gateway-secret");
    let config = Config::from_yaml_str(&yaml, "test.yaml", &env).unwrap_or_else(|e| panic!("{e}"));
    let introspection = config.auth.introspection.expect("auth.introspection");
    Introspector::new(&introspection, HttpClient::new(Duration::from_secs(5)))
        .expect("introspector")
}

#[tokio::test(flavor = "multi_thread")]
async fn active_token_is_cached() {
    let idp = Idp::start("RS256").await;
    let introspector = introspector(&idp, "");
    let token = idp
        .token("tenant-a", OPAQUE_RESOURCE, Some("mcp:read mcp:write"))
        .await;

    let caller = introspector.verify(&token).await.expect("active token");
    assert_eq!(caller.subject, "tenant-a");
    assert_eq!(caller.tenant_id.as_deref(), Some("tenant:a"));
    assert_eq!(caller.scopes, ["mcp:read", "mcp:write"]);
    assert_eq!(caller.issuer.as_deref(), Some(idp.issuer.as_str()));
    assert_eq!(caller.method, AuthMethod::Introspection);
    assert!(caller.expires_at.is_some());
    assert_eq!(idp.counts().await.introspection, 1);

    let again = introspector.verify(&token).await.expect("cached answer");
    assert_eq!(again, caller);
    assert_eq!(
        idp.counts().await.introspection,
        1,
        "the second call is answered from the cache"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_and_garbage_tokens_are_inactive() {
    let idp = Idp::start("RS256").await;
    let introspector = introspector(&idp, "");
    let token = idp.token("tenant-b", OPAQUE_RESOURCE, None).await;
    idp.revoke("tenant-b", &token).await;
    assert_eq!(
        introspector.verify(&token).await.unwrap_err().kind,
        TokenErrorKind::Inactive
    );
    let garbage = "not-a-token-the-provider-issued";
    assert_eq!(
        introspector.verify(garbage).await.unwrap_err().kind,
        TokenErrorKind::Inactive
    );
    // A refusal is cached too: no second request for the same garbage.
    assert_eq!(
        introspector.verify(garbage).await.unwrap_err().kind,
        TokenErrorKind::Inactive
    );
    assert_eq!(idp.counts().await.introspection, 2);
    assert_eq!(
        introspector.verify("").await.unwrap_err().kind,
        TokenErrorKind::Malformed
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_required_scope_is_403_insufficient_scope_over_http() {
    let idp = Idp::start("RS256").await;
    let yaml = format!(
        "auth:\n  enabled: true\n  introspection:\n    enabled: true\n    endpoint: {}/token/introspection\n    client_id: gateway\n    client_secret: ${{GATEWAY_SECRET}}\n    required_scopes: [mcp:write]\n",
        idp.issuer
    );
    let server = support::TestServer::start(support::auth(
        &yaml,
        &[("GATEWAY_SECRET", "gateway-secret")],
    ));

    let read_only = idp
        .token("tenant-a", OPAQUE_RESOURCE, Some("mcp:read"))
        .await;
    let answer = support::get(
        &server.url(),
        &[("authorization", &format!("Bearer {read_only}"))],
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    let challenge = answer.challenge().expect("a WWW-Authenticate challenge");
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(challenge.contains("mcp:write"), "{challenge}");

    let writer = idp
        .token("tenant-a", OPAQUE_RESOURCE, Some("mcp:write"))
        .await;
    let answer = support::get(
        &server.url(),
        &[("authorization", &format!("Bearer {writer}"))],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["tenant_id"], "tenant:a");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_token_stops_working_after_the_introspection_ttl_not_at_exp() {
    let idp = Idp::start("RS256").await;
    let yaml = format!(
        "auth:\n  enabled: true\n  introspection:\n    enabled: true\n    endpoint: {}/token/introspection\n    client_id: gateway\n    client_secret: ${{GATEWAY_SECRET}}\n    cache_ttl_seconds: 1\n",
        idp.issuer
    );
    let server = support::TestServer::start(support::auth(
        &yaml,
        &[("GATEWAY_SECRET", "gateway-secret")],
    ));
    let token = idp.token("tenant-b", OPAQUE_RESOURCE, None).await;
    let bearer = format!("Bearer {token}");
    let answer = support::get(&server.url(), &[("authorization", &bearer)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    idp.revoke("tenant-b", &token).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let answer = support::get(&server.url(), &[("authorization", &bearer)]).await;
    assert_eq!(
        answer.status, 401,
        "revoked token still accepted: {}",
        answer.body
    );
    assert!(
        answer
            .challenge()
            .is_some_and(|c| c.contains(r#"error="invalid_token""#))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_client_secret_or_provider_down_is_unavailable() {
    let mut idp = Idp::start("RS256").await;
    let token = idp.token("tenant-a", OPAQUE_RESOURCE, None).await;
    let yaml = format!(
        "auth:\n  introspection:\n    enabled: true\n    endpoint: {}/token/introspection\n    client_id: gateway\n    client_secret: wrong\n",
        idp.issuer
    );
    let config = Config::from_yaml_str(&yaml, "t.yaml", &MapEnvironment::new()).unwrap();
    let bad = Introspector::new(
        &config.auth.introspection.unwrap(),
        HttpClient::new(Duration::from_secs(5)),
    )
    .unwrap();
    assert_eq!(
        bad.verify(&token).await.unwrap_err().kind,
        TokenErrorKind::Unavailable
    );

    let good = introspector(&idp, "");
    idp.stop().await;
    assert_eq!(
        good.verify(&token).await.unwrap_err().kind,
        TokenErrorKind::Unavailable
    );
    assert_eq!(good.cached(), 0, "an unreachable endpoint is never cached");
}
