use std::time::Duration;

use hangar_config::{AuthMethodKind, Config, MapEnvironment};
use http::{HeaderMap, HeaderValue, Uri};
use serde_json::json;

use super::chain::Route;
use super::message_token;
use crate::{AuthMethod, Authenticator, HttpClient, Rejection, RequestContext, TokenErrorKind};

fn authenticator(yaml: &str) -> Authenticator {
    let config = Config::from_yaml_str(yaml, "c.yaml", &MapEnvironment::new()).unwrap();
    Authenticator::new(&config.auth, HttpClient::new(Duration::from_secs(1))).unwrap()
}

async fn run(a: &Authenticator, uri: &str, headers: &[(&str, &str)]) -> Result<String, Rejection> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    let uri: Uri = uri.parse().unwrap();
    let request = RequestContext {
        headers: &map,
        uri: &uri,
        client_certificate: None,
    };
    a.authenticate(&request).await.map(|c| c.subject)
}

const KEYS: &str = "auth:
  enabled: true
  order: [jwt, api_key]
  api_keys:
    - name: ops
      key: s3cret
  jwt:
    enabled: true
    algorithm: HS256
    secret: 0123456789abcdef0123456789abcdef
    issuer: https://tokens.example.com
";

#[test]
fn order_holds_the_enabled_methods_only() {
    let a = authenticator(KEYS);
    assert_eq!(a.order(), [AuthMethodKind::Jwt, AuthMethodKind::ApiKey]);
    let a = authenticator("auth:\n  enabled: true\n  api_keys: [{name: k, key: v}]\n");
    assert_eq!(a.order(), [AuthMethodKind::ApiKey]);
    assert!(a.resource_metadata().is_none());
    assert!(a.token_cache().is_some());
    let a = authenticator("auth:\n  enabled: true\n  token_cache_size: 0\n");
    assert!(a.order().is_empty());
    assert!(a.token_cache().is_none());
}

#[test]
fn routing_by_issuer() {
    let a = authenticator(KEYS);
    // {"iss":"https://tokens.example.com"} / {"iss":"https://other.example.com"} / {}
    let ours = "e30.eyJpc3MiOiJodHRwczovL3Rva2Vucy5leGFtcGxlLmNvbSJ9.c2ln";
    let theirs = "e30.eyJpc3MiOiJodHRwczovL290aGVyLmV4YW1wbGUuY29tIn0.c2ln";
    assert_eq!(a.route(ours), Route::Jwt);
    assert_eq!(a.route(theirs), Route::Unclaimed { jwt: true });
    assert_eq!(a.route("e30.e30.c2ln"), Route::Unclaimed { jwt: true });
    assert_eq!(a.route("s3cret"), Route::Unclaimed { jwt: false });
    // Without a configured issuer the static verifier takes every JWT.
    let a = authenticator(
        "auth:\n  enabled: true\n  jwt:\n    enabled: true\n    algorithm: HS256\n    secret: 0123456789abcdef0123456789abcdef\n",
    );
    assert_eq!(a.route(theirs), Route::Jwt);
}

#[tokio::test]
async fn the_chain() {
    let a = authenticator(KEYS);
    assert_eq!(
        run(&a, "/mcp", &[("x-api-key", "s3cret")]).await,
        Ok("ops".into())
    );
    assert_eq!(
        run(&a, "/mcp", &[("authorization", "Bearer s3cret")]).await,
        Ok("ops".into())
    );
    assert_eq!(
        run(&a, "/mcp", &[("x-api-key", "nope")]).await,
        Err(Rejection::InvalidApiKey)
    );
    assert_eq!(
        run(&a, "/mcp", &[("authorization", "Bearer nope")]).await,
        Err(Rejection::InvalidApiKey)
    );
    assert_eq!(
        run(&a, "/mcp", &[]).await,
        Err(Rejection::MissingCredential)
    );
    assert_eq!(
        run(&a, "/mcp?token=s3cret", &[]).await,
        Err(Rejection::TokenInQuery)
    );
    // A JWT from an issuer nobody trusts is a bad token, not a bad API key.
    let theirs = "Bearer e30.eyJpc3MiOiJodHRwczovL290aGVyLmV4YW1wbGUuY29tIn0.c2ln";
    match run(&a, "/mcp", &[("authorization", theirs)]).await {
        Err(Rejection::InvalidToken(e)) => assert_eq!(e.kind, TokenErrorKind::WrongIssuer),
        other => panic!("{other:?}"),
    }
    // A JWT for the static issuer is decided by the JWT verifier.
    let ours = "Bearer e30.eyJpc3MiOiJodHRwczovL3Rva2Vucy5leGFtcGxlLmNvbSJ9.c2ln";
    assert!(matches!(
        run(&a, "/mcp", &[("authorization", ours)]).await,
        Err(Rejection::InvalidToken(_))
    ));
}

#[tokio::test]
async fn only_jwt_configured_refuses_opaque_tokens_as_tokens() {
    let a = authenticator(
        "auth:\n  enabled: true\n  jwt:\n    enabled: true\n    algorithm: HS256\n    secret: 0123456789abcdef0123456789abcdef\n",
    );
    match run(&a, "/mcp", &[("authorization", "Bearer opaque")]).await {
        Err(Rejection::InvalidToken(e)) => assert_eq!(e.kind, TokenErrorKind::Malformed),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        run(&a, "/mcp", &[("x-api-key", "k")]).await,
        Err(Rejection::InvalidApiKey)
    );
}

#[tokio::test]
async fn disabled_and_anonymous() {
    let a = authenticator("auth:\n  enabled: false\n  api_keys: [{name: k, key: v}]\n");
    assert_eq!(
        run(&a, "/mcp?token=x", &[("x-api-key", "wrong")]).await,
        Ok("anonymous".into())
    );
    let a = authenticator(
        "auth:\n  enabled: true\n  allow_anonymous: true\n  api_keys: [{name: k, key: v}]\n",
    );
    assert_eq!(run(&a, "/mcp", &[]).await, Ok("anonymous".into()));
    // A credential that is there is still checked.
    assert_eq!(
        run(&a, "/mcp", &[("x-api-key", "wrong")]).await,
        Err(Rejection::InvalidApiKey)
    );
    assert_eq!(run(&a, "/mcp", &[("x-api-key", "v")]).await, Ok("k".into()));
}

#[tokio::test]
async fn per_message() {
    let a = authenticator(
        "auth:\n  enabled: true\n  per_message: {enabled: true}\n  api_keys: [{name: k, key: v}]\n",
    );
    assert!(a.per_message());
    let params = json!({"name": "charge", "_auth": {"token": "v"}});
    let token = message_token(&params).unwrap();
    let caller = a.authenticate_message(token).await.unwrap();
    assert_eq!(
        (caller.subject.as_str(), caller.method),
        ("k", AuthMethod::ApiKey)
    );
    assert_eq!(
        a.authenticate_message("wrong").await,
        Err(Rejection::InvalidApiKey)
    );
    assert!(matches!(
        a.authenticate_message("a b").await,
        Err(Rejection::InvalidToken(_))
    ));
    assert_eq!(message_token(&json!({"_auth": {"token": 7}})), None);
    assert_eq!(message_token(&json!({})), None);
    assert!(!authenticator("auth:\n  per_message: {enabled: true}\n").per_message());
}

#[tokio::test]
async fn verified_tokens_are_cached_by_hash() {
    use josekit::jws::{HS256, JwsHeader};
    use josekit::jwt::{self, JwtPayload};
    let a = authenticator(KEYS);
    let now = std::time::SystemTime::now();
    let mut payload = JwtPayload::new();
    payload.set_issuer("https://tokens.example.com");
    payload.set_subject("agent-7");
    payload.set_expires_at(&(now + Duration::from_secs(300)));
    let signer = HS256
        .signer_from_bytes(b"0123456789abcdef0123456789abcdef")
        .unwrap();
    let token = jwt::encode_with_signer(&payload, &JwsHeader::new(), &signer).unwrap();
    let cache = a.token_cache().unwrap();
    assert_eq!(cache.len(), 0);
    let header = format!("Bearer {token}");
    assert_eq!(
        run(&a, "/mcp", &[("authorization", &header)]).await,
        Ok("agent-7".into())
    );
    assert_eq!(cache.len(), 1);
    assert!(cache.get(&token).is_some());
    assert_eq!(
        run(&a, "/mcp", &[("authorization", &header)]).await,
        Ok("agent-7".into())
    );
    assert_eq!(cache.len(), 1);
    // API keys are not cached.
    assert_eq!(
        run(&a, "/mcp", &[("x-api-key", "s3cret")]).await,
        Ok("ops".into())
    );
    assert_eq!(cache.len(), 1);
}
