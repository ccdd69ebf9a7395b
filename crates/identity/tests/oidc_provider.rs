//! OIDC verification against a real OpenID provider (npm `oidc-provider`) on 127.0.0.1:
//! discovery, JWKS cache and rotation, an unreachable provider, kid floods, several
//! issuers, allowed tenants.

mod idp;

use std::sync::Arc;
use std::time::Duration;

use hangar_config::{Config, MapEnvironment};
use hangar_identity::{AuthMethod, HttpClient, OidcVerifier, TokenErrorKind};
use idp::{Idp, OPAQUE_RESOURCE, RESOURCE};
use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::{self, JwtPayload};

/// An `OidcVerifier` built from the `auth.oidc` YAML block `oidc`.
fn verifier(oidc: &str) -> OidcVerifier {
    let yaml = format!("auth:\n  enabled: true\n  oidc:\n    enabled: true\n{oidc}");
    let config = Config::from_yaml_str(&yaml, "test.yaml", &MapEnvironment::new())
        .unwrap_or_else(|e| panic!("{e}"));
    let oidc = config.auth.oidc.expect("auth.oidc");
    OidcVerifier::new(&oidc, HttpClient::new(Duration::from_secs(5))).expect("verifier")
}

fn single(idp: &Idp, extra: &str) -> OidcVerifier {
    verifier(&format!(
        "    issuer: {}\n    resource_uri: {RESOURCE}\n{extra}",
        idp.issuer
    ))
}

/// A token naming `issuer` and a random `kid`, signed by a key the provider never had.
fn forged(issuer: &str, kid: &str) -> String {
    let mut header = JwsHeader::new();
    header.set_key_id(kid);
    header.set_token_type("at+jwt");
    let mut payload = JwtPayload::new();
    payload.set_issuer(issuer);
    payload.set_subject("mallory");
    payload.set_audience(vec![RESOURCE]);
    payload.set_expires_at(&(std::time::SystemTime::now() + Duration::from_secs(300)));
    let pair = RS256.generate_key_pair(2048).unwrap();
    let signer = RS256.signer_from_der(pair.to_der_private_key()).unwrap();
    jwt::encode_with_signer(&payload, &header, &signer).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_carry_tenant_scopes_and_audience_binding() {
    let idp = Idp::start("RS256").await;
    let oidc = single(&idp, "");
    assert_eq!(oidc.issuers(), vec![idp.issuer.clone()]);
    for (client, tenant) in [("tenant-a", "tenant:a"), ("tenant-b", "tenant:b")] {
        let token = idp
            .token(client, RESOURCE, Some("mcp:read mcp:write"))
            .await;
        let caller = oidc.verify(&token).await.expect("valid token");
        assert_eq!(caller.subject, client);
        assert_eq!(caller.tenant_id.as_deref(), Some(tenant));
        assert_eq!(caller.issuer.as_deref(), Some(idp.issuer.as_str()));
        assert_eq!(caller.scopes, ["mcp:read", "mcp:write"]);
        assert_eq!(caller.method, AuthMethod::Oidc);
        assert!(caller.expires_at.is_some());
    }
    let untenanted = idp.token("no-tenant", RESOURCE, None).await;
    assert_eq!(oidc.verify(&untenanted).await.unwrap().tenant_id, None);

    let elsewhere = idp
        .token("tenant-a", "https://other.example/api", None)
        .await;
    let error = oidc.verify(&elsewhere).await.unwrap_err();
    assert_eq!(error.kind, TokenErrorKind::WrongAudience);

    let opaque = idp.token("tenant-a", OPAQUE_RESOURCE, None).await;
    assert_eq!(
        oidc.verify(&opaque).await.unwrap_err().kind,
        TokenErrorKind::Malformed
    );
    // One discovery: one JWKS fetch for all of the above.
    assert_eq!(idp.counts().await.jwks, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn second_issuer_with_es256_only_when_configured() {
    let (first, second) = (Idp::start("RS256").await, Idp::start("ES256").await);
    let es256 = second.token("tenant-b", RESOURCE, None).await;

    let both = verifier(&format!(
        "    issuer: {}\n    resource_uri: {RESOURCE}\n    issuers:\n      - issuer: {}\n",
        first.issuer, second.issuer
    ));
    assert_eq!(
        both.issuers(),
        [first.issuer.clone(), second.issuer.clone()]
    );
    let caller = both
        .verify(&es256)
        .await
        .expect("es256 token from the second issuer");
    assert_eq!(caller.issuer.as_deref(), Some(second.issuer.as_str()));
    assert_eq!(caller.tenant_id.as_deref(), Some("tenant:b"));
    let rs256 = first.token("tenant-a", RESOURCE, None).await;
    assert!(both.verify(&rs256).await.is_ok());

    let only_first = single(&first, "");
    let error = only_first.verify(&es256).await.unwrap_err();
    assert_eq!(error.kind, TokenErrorKind::WrongIssuer);
    assert_eq!(
        second.counts().await.jwks,
        1,
        "an untrusted issuer is never contacted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn allowed_tenants_per_issuer() {
    let idp = Idp::start("ES256").await;
    let oidc = verifier(&format!(
        "    resource_uri: {RESOURCE}\n    issuers:\n      - issuer: {}\n        allowed_tenants: [\"tenant:b\"]\n",
        idp.issuer
    ));
    let b = idp.token("tenant-b", RESOURCE, None).await;
    assert_eq!(
        oidc.verify(&b).await.unwrap().tenant_id.as_deref(),
        Some("tenant:b")
    );
    for client in ["tenant-a", "no-tenant"] {
        let token = idp.token(client, RESOURCE, None).await;
        assert_eq!(
            oidc.verify(&token).await.unwrap_err().kind,
            TokenErrorKind::BadClaims,
            "{client}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rotation_then_provider_down() {
    let mut idp = Idp::start("RS256").await;
    let oidc = single(&idp, "    jwks_min_refresh_seconds: 1\n");
    let old = idp.token("tenant-a", RESOURCE, None).await;
    oidc.verify(&old).await.expect("token before rotation");

    // Restart on the same port with a new key: the new kid triggers one refresh.
    let old_kid = idp.kid.clone();
    idp.restart().await;
    assert_ne!(idp.kid, old_kid);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let new = idp.token("tenant-b", RESOURCE, None).await;
    let caller = oidc
        .verify(&new)
        .await
        .expect("token after rotation, same verifier");
    assert_eq!(caller.tenant_id.as_deref(), Some("tenant:b"));
    assert_eq!(idp.counts().await.jwks, 1, "one fetch after the restart");

    // The published JWKS is authoritative: the removed key no longer verifies.
    assert_eq!(
        oidc.verify(&old).await.unwrap_err().kind,
        TokenErrorKind::UnknownKey
    );

    // Provider down: cached keys keep verifying, even after a failed refresh.
    idp.stop().await;
    assert!(oidc.verify(&new).await.is_ok());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let unknown = forged(&idp.issuer, "not-a-real-kid");
    assert_eq!(
        oidc.verify(&unknown).await.unwrap_err().kind,
        TokenErrorKind::UnknownKey
    );
    assert!(
        oidc.verify(&new).await.is_ok(),
        "last good keys kept while the provider is down"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_kid_flood_is_rate_limited() {
    let idp = Idp::start("RS256").await;
    let oidc = Arc::new(single(&idp, "    jwks_min_refresh_seconds: 1\n"));
    let valid = idp.token("tenant-a", RESOURCE, None).await;
    oidc.verify(&valid).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let forged_key = forged(&idp.issuer, "seed");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        // Same signature, different kid: the kid alone decides the key lookup.
        let token = reheader(&forged_key, &format!("random-kid-{i}"));
        let oidc = Arc::clone(&oidc);
        tasks.spawn(async move { oidc.verify(&token).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(
            result.unwrap().unwrap_err().kind,
            TokenErrorKind::UnknownKey
        );
    }
    let fetches = idp.counts().await.jwks;
    // 1 at discovery + at most 1 per jwks_min_refresh_seconds (the flood lasts < 1 s).
    assert!(fetches <= 2, "{fetches} jwks fetches for 200 unknown kids");
    assert!(oidc.verify(&valid).await.is_ok());
}

/// `token` with its header replaced by one naming `kid` (signature left as is).
fn reheader(token: &str, kid: &str) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = engine.encode(format!(r#"{{"alg":"RS256","typ":"at+jwt","kid":"{kid}"}}"#));
    let rest = token.split_once('.').unwrap().1;
    format!("{header}.{rest}")
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_issuer_is_unavailable() {
    let oidc = verifier(&format!(
        "    issuer: http://127.0.0.1:9\n    audience: {RESOURCE}\n"
    ));
    let token = forged("http://127.0.0.1:9", "k1");
    assert_eq!(
        oidc.verify(&token).await.unwrap_err().kind,
        TokenErrorKind::Unavailable
    );
    assert_eq!(oidc.warm_up().await, 0);
}
