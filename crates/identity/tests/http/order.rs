//! The configured order, with an introspection endpoint next to the API keys.

use std::sync::atomic::Ordering;

use serde_json::json;

use super::support::{TestServer, auth, unix};
use super::{ADMIN_KEY, bearer, mcp};

/// An introspection endpoint that says every token is active for `from-introspection`.
fn introspection_config(
    order: &str,
) -> (
    hangar_config::Auth,
    TestServer,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let (idp, hits) = TestServer::json(|_, _| {
        (
            200,
            json!({"active": true, "sub": "from-introspection", "exp": unix(300)}),
        )
    });
    let yaml = format!(
        "auth:
  enabled: true
  order: {order}
  api_keys:
    - name: ops-admin
      key: {ADMIN_KEY}
  introspection:
    enabled: true
    endpoint: {}/introspect
    client_id: hangar
    client_secret: s
",
        idp.url()
    );
    (auth(&yaml, &[]), idp, hits)
}

#[tokio::test]
async fn the_configured_order_is_respected() {
    let (config, _idp, hits) = introspection_config("[api_key, introspection]");
    let server = TestServer::start(config);
    let answer = mcp(&server, &[("authorization", &bearer(ADMIN_KEY))]).await;
    assert_eq!(answer.json()["subject"], "ops-admin");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    let answer = mcp(&server, &[("authorization", "Bearer some-opaque-token")]).await;
    assert_eq!(answer.json()["subject"], "from-introspection");
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    let (config, _idp, hits) = introspection_config("[introspection, api_key]");
    let server = TestServer::start(config);
    let answer = mcp(&server, &[("authorization", &bearer(ADMIN_KEY))]).await;
    assert_eq!(answer.json()["subject"], "from-introspection");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // X-API-Key is an API key whatever the order.
    let answer = mcp(&server, &[("x-api-key", ADMIN_KEY)]).await;
    assert_eq!(answer.json()["subject"], "ops-admin");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn introspection_refusal_wins_over_a_missed_api_key() {
    let (idp, _) = TestServer::json(|_, _| (200, json!({"active": false})));
    let yaml = format!(
        "auth:
  enabled: true
  api_keys: [{{name: k, key: {ADMIN_KEY}}}]
  introspection: {{enabled: true, endpoint: {}/i, client_id: c, client_secret: s}}
",
        idp.url()
    );
    let server = TestServer::start(auth(&yaml, &[]));
    let answer = mcp(&server, &[("authorization", "Bearer revoked-token")]).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.json()["error"], "invalid_token");
    assert_eq!(
        answer.challenge().unwrap(),
        "Bearer error=\"invalid_token\", error_description=\"token is not active\""
    );
}
