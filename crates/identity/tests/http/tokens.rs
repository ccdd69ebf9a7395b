//! Bearer tokens over HTTP: bad ones, exact challenges, scopes, static JWTs, per-message tokens.

use http::Method;
use serde_json::json;

use super::support::{TestServer, get, hs256, send, unix};
use super::{ADMIN_KEY, METADATA, bearer, claims, config, mcp, token, with};

#[tokio::test]
async fn bad_tokens_are_401_with_the_right_challenge() {
    let server = TestServer::start(config(""));
    let good = claims();
    let payload = token(&good).split('.').nth(1).unwrap().to_owned();
    let other_payload = token(&with(json!({"sub": "root"})))
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    let signature = token(&good).split('.').nth(2).unwrap().to_owned();
    let huge = format!("Bearer {}", "a".repeat(100 * 1024));
    let invalid_token = format!(
        "Bearer resource_metadata=\"{METADATA}\", error=\"invalid_token\", error_description=\""
    );
    let invalid_request = format!(
        "Bearer resource_metadata=\"{METADATA}\", error=\"invalid_request\", error_description=\""
    );
    let cases: Vec<Case> = vec![
        (
            "expired",
            "/mcp".into(),
            auth_header(&token(&with(json!({"iat": unix(-600), "exp": unix(-300)})))),
            "invalid_token",
        ),
        (
            "not yet valid",
            "/mcp".into(),
            auth_header(&token(&with(json!({"nbf": unix(600)})))),
            "invalid_token",
        ),
        (
            "wrong issuer",
            "/mcp".into(),
            auth_header(&token(&with(json!({"iss": "https://evil.example.com"})))),
            "invalid_token",
        ),
        (
            "wrong audience",
            "/mcp".into(),
            auth_header(&token(&with(json!({"aud": "other-service"})))),
            "invalid_token",
        ),
        (
            "missing exp",
            "/mcp".into(),
            auth_header(&token(&with(json!({"exp": null})))),
            "invalid_token",
        ),
        (
            "wrong key",
            "/mcp".into(),
            auth_header(&hs256(b"another-secret-another-secret-0123", &good)),
            "invalid_token",
        ),
        (
            "alg none",
            "/mcp".into(),
            auth_header(&format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.")),
            "invalid_token",
        ),
        (
            "RS256 header on an HS256 key",
            "/mcp".into(),
            auth_header(&format!(
                "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{payload}.{signature}"
            )),
            "invalid_token",
        ),
        (
            "tampered payload",
            "/mcp".into(),
            auth_header(&format!(
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{other_payload}.{signature}"
            )),
            "invalid_token",
        ),
        (
            "token in the query string",
            format!("/mcp?access_token={}", token(&good)),
            vec![],
            "invalid_request",
        ),
        (
            "api key in the query string",
            format!("/mcp?api_key={ADMIN_KEY}"),
            vec![],
            "invalid_request",
        ),
        (
            "Bearer without a value",
            "/mcp".into(),
            vec![("authorization", b"Bearer".to_vec())],
            "invalid_request",
        ),
        (
            "Basic",
            "/mcp".into(),
            vec![("authorization", b"Basic dXNlcjpwYXNz".to_vec())],
            "invalid_request",
        ),
        (
            "non-ASCII",
            "/mcp".into(),
            vec![("authorization", "Bearer caf\u{e9}".as_bytes().to_vec())],
            "invalid_request",
        ),
        (
            "two tokens",
            "/mcp".into(),
            vec![("authorization", b"Bearer a, Bearer b".to_vec())],
            "invalid_request",
        ),
        (
            "100 KB Authorization header",
            "/mcp".into(),
            vec![("authorization", huge.clone().into_bytes())],
            "invalid_request",
        ),
        (
            "100 KB X-API-Key header",
            "/mcp".into(),
            vec![("x-api-key", huge.as_bytes()[7..].to_vec())],
            "invalid_request",
        ),
    ];
    for (name, path, headers, error) in cases {
        let raw: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_slice())).collect();
        let answer = send(Method::GET, &format!("{}{path}", server.url()), &raw, "").await;
        assert_eq!(answer.status, 401, "{name}: {}", answer.body);
        assert_eq!(answer.json()["error"], error, "{name}");
        let challenge = answer
            .challenge()
            .unwrap_or_else(|| panic!("{name}: no challenge"));
        let expected = if error == "invalid_token" {
            &invalid_token
        } else {
            &invalid_request
        };
        assert!(
            challenge.starts_with(expected.as_str()),
            "{name}: {challenge}"
        );
        assert!(challenge.ends_with('"'), "{name}: {challenge}");
        assert!(
            !challenge.contains(&payload),
            "{name}: the token leaked into the challenge"
        );
    }
    // The controls: the same server takes good credentials.
    assert_eq!(
        mcp(&server, &[("authorization", &bearer(&token(&good)))])
            .await
            .status,
        200
    );
    assert_eq!(mcp(&server, &[("x-api-key", ADMIN_KEY)]).await.status, 200);
}

/// A bad-token case: name, path and query, headers, the expected `error`.
type Case = (
    &'static str,
    String,
    Vec<(&'static str, Vec<u8>)>,
    &'static str,
);

fn auth_header(token: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![("authorization", bearer(token).into_bytes())]
}

#[tokio::test]
async fn exact_challenges() {
    let server = TestServer::start(config(""));
    let expired = token(&with(json!({"iat": unix(-600), "exp": unix(-300)})));
    let answer = mcp(&server, &[("authorization", &bearer(&expired))]).await;
    assert_eq!(
        answer.challenge().unwrap(),
        format!(
            "Bearer resource_metadata=\"{METADATA}\", error=\"invalid_token\", error_description=\"token has expired\""
        )
    );
    assert_eq!(
        answer.body,
        r#"{"error":"invalid_token","message":"Invalid token: token has expired"}"#
    );
    let answer = get(&format!("{}/mcp?token=x", server.url()), &[]).await;
    assert_eq!(
        answer.challenge().unwrap(),
        format!(
            "Bearer resource_metadata=\"{METADATA}\", error=\"invalid_request\", error_description=\"credentials are not accepted in the query string\""
        )
    );
}

#[tokio::test]
async fn a_header_too_large_for_the_server_is_431() {
    // Beyond hyper's header buffer (~400 KB) the server itself refuses the request.
    let server = TestServer::start(config(""));
    let huge = format!("Bearer {}", "a".repeat(1024 * 1024));
    let answer = send(
        Method::GET,
        &format!("{}/mcp", server.url()),
        &[("authorization", huge.as_bytes())],
        "",
    )
    .await;
    assert_eq!(answer.status, 431);
}

#[tokio::test]
async fn required_scopes() {
    let server = TestServer::start(config("  required_scopes: [mcp.call]\n"));
    let answer = mcp(&server, &[]).await;
    assert_eq!(
        answer.challenge().unwrap(),
        format!("Bearer resource_metadata=\"{METADATA}\", scope=\"mcp.call\", ApiKey")
    );
    let read_only = token(&with(json!({"scope": "mcp.read"})));
    let answer = mcp(&server, &[("authorization", &bearer(&read_only))]).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.challenge().unwrap(),
        format!(
            "Bearer resource_metadata=\"{METADATA}\", error=\"insufficient_scope\", scope=\"mcp.call\", error_description=\"the token lacks a required scope\""
        )
    );
    assert_eq!(
        answer.body,
        r#"{"error":"insufficient_scope","message":"Insufficient scope: requires mcp.call"}"#
    );
    let answer = mcp(&server, &[("authorization", &bearer(&token(&claims())))]).await;
    assert_eq!(answer.status, 200);
    // API keys carry no scopes and are not held to them.
    assert_eq!(mcp(&server, &[("x-api-key", ADMIN_KEY)]).await.status, 200);
}

#[tokio::test]
async fn static_jwt_through_the_chain() {
    let server = TestServer::start(config(""));
    let answer = mcp(&server, &[("authorization", &bearer(&token(&claims())))]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let caller = answer.json();
    assert_eq!(caller["subject"], "agent-7");
    assert_eq!(caller["tenant_id"], "tenant:b");
    assert_eq!(caller["issuer"], "https://tokens.example.com");
    assert_eq!(caller["roles"], json!(["viewer"]));
    assert_eq!(caller["scopes"], json!(["mcp.read", "mcp.call"]));
    assert_eq!(caller["method"], "jwt");
    // Again, now from the cache.
    let again = mcp(&server, &[("authorization", &bearer(&token(&claims())))]).await;
    assert_eq!(again.json()["subject"], "agent-7");
}

#[tokio::test]
async fn per_message_tokens() {
    let server = TestServer::start(config("  per_message: { enabled: true }\n"));
    let url = format!("{}/message", server.url());
    let message = |token: &str| {
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
               "params": {"name": "charge", "_auth": {"token": token}}})
        .to_string()
    };
    let answer = send(Method::POST, &url, &[], &message(&token(&claims()))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["subject"], "agent-7");
    let expired = token(&with(json!({"iat": unix(-600), "exp": unix(-300)})));
    let answer = send(Method::POST, &url, &[], &message(&expired)).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.json()["error"], "invalid_token");
    let answer = send(Method::POST, &url, &[], &message(ADMIN_KEY)).await;
    assert_eq!(answer.json()["subject"], "ops-admin");
}
