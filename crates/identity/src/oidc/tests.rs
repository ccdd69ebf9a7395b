//! Unit tests against a fake provider: RFC 8414 fallback, issuer mismatch, cache expiry.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use josekit::jwk::KeyPair as _;
use josekit::jws::{ES256, JwsSigner as _};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::OidcVerifier;
use crate::{HttpClient, TokenErrorKind};

/// A provider serving only RFC 8414 metadata (or OpenID metadata naming `claimed`).
struct Fake {
    issuer: String,
    jwks_hits: Arc<AtomicUsize>,
    token: String,
}

async fn fake(openid_issuer: Option<&str>) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let pair = ES256.generate_key_pair().unwrap();
    let mut jwk = pair.to_jwk_public_key();
    jwk.set_key_id("k1");
    let now = crate::claims::now();
    let claims = json!({"iss": issuer, "aud": "mcp", "sub": "a", "exp": now + 60, "iat": now});
    let input = format!(
        "{}.{}",
        B64.encode(r#"{"alg":"ES256","kid":"k1"}"#),
        B64.encode(claims.to_string())
    );
    let signer = ES256.signer_from_der(pair.to_der_private_key()).unwrap();
    let token = format!(
        "{input}.{}",
        B64.encode(signer.sign(input.as_bytes()).unwrap())
    );
    let jwks_hits = Arc::new(AtomicUsize::new(0));
    let hits = Arc::clone(&jwks_hits);
    let openid = openid_issuer.map(|claimed| {
        json!({"issuer": claimed, "jwks_uri": format!("{issuer}/jwks"), "authorization_endpoint": format!("{issuer}/auth"),
               "response_types_supported": ["code"], "subject_types_supported": ["public"],
               "id_token_signing_alg_values_supported": ["ES256"]})
    });
    let oauth = json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks")});
    let jwks = json!({"keys": [jwk.as_ref()]});
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0; 8192];
            let n = stream.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let body = match path.as_str() {
                "/.well-known/openid-configuration" => openid.clone(),
                "/.well-known/oauth-authorization-server" => Some(oauth.clone()),
                "/jwks" => {
                    hits.fetch_add(1, Ordering::SeqCst);
                    Some(jwks.clone())
                }
                _ => None,
            };
            let answer = match body {
                Some(body) => format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
                    body.to_string().len()
                ),
                None => "HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
                    .to_owned(),
            };
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    Fake {
        issuer,
        jwks_hits,
        token,
    }
}

fn verifier(issuer: &str, extra: &str) -> OidcVerifier {
    let yaml = format!(
        "auth:\n  oidc:\n    enabled: true\n    issuer: {issuer}\n    audience: mcp\n{extra}"
    );
    let config = hangar_config::Config::from_yaml_str(
        &yaml,
        "t.yaml",
        &hangar_config::MapEnvironment::new(),
    )
    .unwrap();
    OidcVerifier::new(
        &config.auth.oidc.unwrap(),
        HttpClient::new(Duration::from_secs(2)),
    )
    .unwrap()
}

#[tokio::test]
async fn rfc8414_metadata_when_there_is_no_openid_configuration() {
    let fake = fake(None).await;
    let oidc = verifier(&fake.issuer, "");
    let caller = oidc.verify(&fake.token).await.unwrap();
    assert_eq!(caller.issuer.as_deref(), Some(fake.issuer.as_str()));
    assert_eq!(fake.jwks_hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn metadata_naming_another_issuer_is_refused() {
    let fake = fake(Some("https://evil.example")).await;
    let oidc = verifier(&fake.issuer, "");
    assert_eq!(
        oidc.verify(&fake.token).await.unwrap_err().kind,
        TokenErrorKind::Unavailable
    );
    assert_eq!(fake.jwks_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_expired_cache_is_refreshed_in_the_background() {
    let good = fake(None).await;
    let oidc = verifier(
        &good.issuer,
        "    jwks_cache_seconds: 0\n    jwks_min_refresh_seconds: 0\n",
    );
    assert_eq!(oidc.warm_up().await, 1);
    assert!(
        oidc.verify(&good.token).await.is_ok(),
        "stale keys still verify"
    );
    for _ in 0..50 {
        if good.jwks_hits.load(Ordering::SeqCst) >= 2 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no background refresh");
}

#[test]
fn configuration_errors() {
    let yaml = "auth:\n  oidc:\n    enabled: true\n    issuer: http://127.0.0.1:1\n    audience: mcp\n    issuers:\n      - issuer: http://127.0.0.1:1\n";
    let config =
        hangar_config::Config::from_yaml_str(yaml, "t.yaml", &hangar_config::MapEnvironment::new())
            .unwrap();
    let error = OidcVerifier::new(
        &config.auth.oidc.unwrap(),
        HttpClient::new(Duration::from_secs(1)),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "auth.oidc.issuers[0]: issuer is listed twice"
    );
}
