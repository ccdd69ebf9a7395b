//! hangar-identity over real HTTP: a hyper 1 server running `Authenticator::authenticate`
//! and a hyper-util client.

mod support;

#[path = "http/order.rs"]
mod order;
#[path = "http/tokens.rs"]
mod tokens;

use serde_json::json;
use support::{Answer, TestServer, auth, get, hs256, unix};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test-secret";
const ADMIN_KEY: &str = "admin-key-9f2c";
const TENANT_C_KEY: &str = "tenant-c-key-41ab";
const METADATA: &str = "https://hangar.example.com/.well-known/oauth-protected-resource";

fn sha256_hex(text: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// API keys (one from `${VAR}`, one stored hashed), static HS256 JWTs, and OIDC for the
/// resource metadata (its issuer is never contacted by these tests).
fn config(extra: &str) -> hangar_config::Auth {
    let yaml = format!(
        "auth:
  enabled: true
  api_keys:
    - name: ops-admin
      key: ${{HANGAR_ADMIN_KEY}}
      roles: [admin]
    - name: tenant-c-agent
      key_sha256: \"{}\"
      tenant_id: \"tenant:c\"
      roles: [operator]
  jwt:
    enabled: true
    algorithm: HS256
    secret: ${{JWT_SECRET}}
    issuer: https://tokens.example.com
    audience: mcp-hangar
  oidc:
    enabled: true
    issuer: https://auth.example.com
    audience: mcp-hangar
    resource_uri: https://hangar.example.com
{extra}",
        sha256_hex(TENANT_C_KEY)
    );
    auth(
        &yaml,
        &[("HANGAR_ADMIN_KEY", ADMIN_KEY), ("JWT_SECRET", SECRET)],
    )
}

fn claims() -> serde_json::Value {
    json!({
        "iss": "https://tokens.example.com",
        "aud": "mcp-hangar",
        "sub": "agent-7",
        "tenant_id": "tenant:b",
        "roles": ["viewer"],
        "scope": "mcp.read mcp.call",
        "iat": unix(-10),
        "exp": unix(300),
    })
}

fn with(changes: serde_json::Value) -> serde_json::Value {
    let mut claims = claims();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

fn token(claims: &serde_json::Value) -> String {
    hs256(SECRET.as_bytes(), claims)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn mcp(server: &TestServer, headers: &[(&str, &str)]) -> Answer {
    get(&format!("{}/mcp", server.url()), headers).await
}

#[tokio::test]
async fn api_keys_in_either_header_carry_tenant_and_roles() {
    let server = TestServer::start(config(""));
    for headers in [
        [("x-api-key", ADMIN_KEY)],
        [("authorization", &*bearer(ADMIN_KEY))],
    ] {
        let answer = mcp(&server, &headers).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(
            answer.json(),
            json!({"subject": "ops-admin", "tenant_id": null, "issuer": null, "scopes": [],
                   "roles": ["admin"], "method": "api_key", "expires_at": null})
        );
    }
    // The key stored as key_sha256.
    let answer = mcp(&server, &[("x-api-key", TENANT_C_KEY)]).await;
    assert_eq!(answer.status, 200);
    let caller = answer.json();
    assert_eq!(caller["subject"], "tenant-c-agent");
    assert_eq!(caller["tenant_id"], "tenant:c");
    assert_eq!(caller["roles"], json!(["operator"]));
}

#[tokio::test]
async fn missing_credential_is_401_with_the_challenge() {
    let server = TestServer::start(config(""));
    let answer = mcp(&server, &[]).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.body,
        r#"{"error":"unauthorized","message":"API key required"}"#
    );
    assert_eq!(
        answer.challenge(),
        Some(&*format!("Bearer resource_metadata=\"{METADATA}\", ApiKey"))
    );
    assert_eq!(answer.headers["content-type"], "application/json");
}

#[tokio::test]
async fn wrong_api_key_is_403() {
    let server = TestServer::start(config(""));
    for headers in [[("x-api-key", "nope")], [("authorization", "Bearer nope")]] {
        let answer = mcp(&server, &headers).await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.body,
            r#"{"error":"forbidden","message":"Invalid API key"}"#
        );
        assert_eq!(answer.challenge(), None);
    }
}

#[tokio::test]
async fn protected_resource_metadata() {
    let server = TestServer::start(config("  required_scopes: [mcp.call]\n"));
    let answer = get(
        &format!("{}/.well-known/oauth-protected-resource", server.url()),
        &[],
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({
            "resource": "https://hangar.example.com",
            "authorization_servers": ["https://auth.example.com"],
            "scopes_supported": ["mcp.call"],
            "bearer_methods_supported": ["header"],
        })
    );
    // A resource with a path: served at the root and at the path-suffixed URI.
    let yaml = "auth:
  enabled: true
  oidc:
    enabled: true
    issuer: http://127.0.0.1:9400
    audience: mcp-hangar
    resource_uri: http://127.0.0.1:8000/mcp
";
    let server = TestServer::start(auth(yaml, &[]));
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let answer = get(&format!("{}{path}", server.url()), &[]).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.json()["resource"], "http://127.0.0.1:8000/mcp");
        assert_eq!(
            answer.json()["authorization_servers"],
            json!(["http://127.0.0.1:9400"])
        );
    }
    let answer = get(
        &format!(
            "{}/.well-known/oauth-protected-resource/other",
            server.url()
        ),
        &[],
    )
    .await;
    assert_eq!(answer.status, 401);
    let answer = mcp(&server, &[]).await;
    assert_eq!(
        answer.challenge().unwrap(),
        "Bearer resource_metadata=\"http://127.0.0.1:8000/.well-known/oauth-protected-resource/mcp\", ApiKey"
    );
    assert_eq!(
        answer.body,
        r#"{"error":"unauthorized","message":"Authentication required"}"#
    );
}

#[tokio::test]
async fn anonymous_only_when_allowed() {
    let server = TestServer::start(config("  allow_anonymous: true\n"));
    let answer = mcp(&server, &[]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["method"], "anonymous");
    assert_eq!(answer.json()["tenant_id"], serde_json::Value::Null);
    // A wrong credential is not downgraded to anonymous.
    assert_eq!(mcp(&server, &[("x-api-key", "nope")]).await.status, 403);
}

#[tokio::test]
async fn behaviour_section_1_reference_config() {
    let reference = include_str!("../../config/tests/fixtures/reference.yaml");
    let server = TestServer::start(auth(reference, &[]));
    let answer = get(
        &format!("{}/.well-known/oauth-protected-resource", server.url()),
        &[],
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["resource"], "https://hangar.example.com");
    assert_eq!(
        answer.json()["authorization_servers"],
        json!(["https://auth.example.com"])
    );
    let answer = mcp(&server, &[]).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.challenge(),
        Some(&*format!("Bearer resource_metadata=\"{METADATA}\", ApiKey"))
    );
    assert_eq!(answer.json()["error"], "unauthorized");
}

#[tokio::test]
async fn behaviour_section_2_auth_config() {
    let fixture = include_str!("../../config/tests/fixtures/auth.yaml");
    let vars = [
        ("HANGAR_ADMIN_KEY", ADMIN_KEY),
        ("TENANT_C_KEY", TENANT_C_KEY),
    ];
    let server = TestServer::start(auth(fixture, &vars));
    let admin = mcp(&server, &[("x-api-key", ADMIN_KEY)]).await.json();
    assert_eq!(
        (&admin["subject"], &admin["roles"]),
        (&json!("ops-admin"), &json!(["admin"]))
    );
    let tenant = mcp(&server, &[("authorization", &bearer(TENANT_C_KEY))])
        .await
        .json();
    assert_eq!(tenant["tenant_id"], "tenant:c");
    let answer = mcp(&server, &[]).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            401,
            r#"{"error":"unauthorized","message":"API key required"}"#
        )
    );
    let answer = mcp(&server, &[("x-api-key", "wrong")]).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (403, r#"{"error":"forbidden","message":"Invalid API key"}"#)
    );
}
