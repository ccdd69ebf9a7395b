use http::StatusCode;

use super::Challenge;
use crate::{Permission, Rejection, TokenError, TokenErrorKind};

const URL: &str = "https://hangar.example.com/.well-known/oauth-protected-resource";

fn challenge(scopes: &[&str]) -> Challenge {
    Challenge::new(
        Some(URL.to_owned()),
        scopes.iter().map(|s| (*s).to_owned()).collect(),
        true,
    )
}

/// (status, WWW-Authenticate, body) of an answer.
fn parts(challenge: &Challenge, rejection: &Rejection) -> (u16, Option<String>, String) {
    let answer = challenge.answer(rejection);
    let header = answer
        .headers
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        answer.status.as_u16(),
        header,
        String::from_utf8(answer.body.to_vec()).unwrap(),
    )
}

#[test]
fn every_rejection() {
    let expired = TokenError::new(TokenErrorKind::Expired, "the token expired at 1700000000");
    let cases: Vec<(Rejection, u16, Option<String>, &str, &str)> = vec![
        (
            Rejection::MissingCredential,
            401,
            Some(format!("Bearer resource_metadata=\"{URL}\", ApiKey")),
            r#"{"error":"unauthorized","message":"API key required"}"#,
            "missing_credential",
        ),
        (
            Rejection::InvalidApiKey,
            403,
            None,
            r#"{"error":"forbidden","message":"Invalid API key"}"#,
            "invalid_api_key",
        ),
        (
            Rejection::InvalidToken(expired),
            401,
            Some(format!(
                "Bearer resource_metadata=\"{URL}\", error=\"invalid_token\", error_description=\"the token expired at 1700000000\""
            )),
            r#"{"error":"invalid_token","message":"Invalid token: the token expired at 1700000000"}"#,
            "expired",
        ),
        (
            Rejection::InsufficientScope {
                required: vec!["mcp.write".into(), "mcp.admin".into()],
            },
            403,
            Some(format!(
                "Bearer resource_metadata=\"{URL}\", error=\"insufficient_scope\", scope=\"mcp.write mcp.admin\", error_description=\"the token lacks a required scope\""
            )),
            r#"{"error":"insufficient_scope","message":"Insufficient scope: requires mcp.write mcp.admin"}"#,
            "insufficient_scope",
        ),
        (
            Rejection::TokenInQuery,
            401,
            Some(format!(
                "Bearer resource_metadata=\"{URL}\", error=\"invalid_request\", error_description=\"credentials are not accepted in the query string\""
            )),
            r#"{"error":"invalid_request","message":"Credentials are not accepted in the query string; send them in the Authorization header"}"#,
            "token_in_query",
        ),
        (
            Rejection::MalformedHeader,
            401,
            Some(format!(
                "Bearer resource_metadata=\"{URL}\", error=\"invalid_request\", error_description=\"malformed or oversized credential header\""
            )),
            r#"{"error":"invalid_request","message":"Malformed or oversized credential header"}"#,
            "malformed_header",
        ),
        (
            Rejection::CertificateNotAllowed {
                subject: "CN=intruder".into(),
            },
            403,
            None,
            r#"{"error":"forbidden","message":"Client certificate not allowed"}"#,
            "certificate_not_allowed",
        ),
        (
            Rejection::PermissionDenied {
                permission: Permission::ConfigReload,
            },
            403,
            None,
            r#"{"error":"forbidden","message":"Permission config:reload required"}"#,
            "permission_denied",
        ),
    ];
    for (rejection, status, header, body, reason) in cases {
        assert_eq!(
            parts(&challenge(&[]), &rejection),
            (status, header, body.to_owned()),
            "{rejection:?}"
        );
        assert_eq!(rejection.reason(), reason);
        assert_eq!(rejection.status().as_u16(), status);
        let answer = challenge(&[]).answer(&rejection);
        assert_eq!(answer.headers["content-type"], "application/json");
        assert_eq!(answer.headers["cache-control"], "no-store");
    }
}

#[test]
fn missing_credential_with_scopes_and_without_metadata() {
    let (_, header, _) = parts(
        &challenge(&["mcp.read", "mcp.call"]),
        &Rejection::MissingCredential,
    );
    assert_eq!(
        header.unwrap(),
        format!("Bearer resource_metadata=\"{URL}\", scope=\"mcp.read mcp.call\", ApiKey")
    );
    let bare = Challenge::new(None, vec![], false);
    assert_eq!(
        parts(&bare, &Rejection::MissingCredential),
        (
            401,
            Some("Bearer, ApiKey".to_owned()),
            r#"{"error":"unauthorized","message":"Authentication required"}"#.to_owned()
        )
    );
    let (_, header, _) = parts(&bare, &Rejection::MalformedHeader);
    assert_eq!(
        header.unwrap(),
        "Bearer error=\"invalid_request\", error_description=\"malformed or oversized credential header\""
    );
}

#[test]
fn an_unreachable_provider_is_503_not_a_bad_token() {
    let rejection = Rejection::InvalidToken(TokenError::new(
        TokenErrorKind::Unavailable,
        "jwks fetch failed",
    ));
    let answer = challenge(&[]).answer(&rejection);
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.headers["retry-after"], "5");
    assert!(answer.headers.get("www-authenticate").is_none());
    assert_eq!(
        answer.body,
        r#"{"error":"temporarily_unavailable","message":"The identity provider cannot be reached; retry later"}"#
    );
    assert_eq!(rejection.reason(), "unavailable");
}

#[test]
fn descriptions_cannot_break_the_header() {
    let rejection = Rejection::InvalidToken(TokenError::new(
        TokenErrorKind::BadClaims,
        "claim \"tenant\\id\" is \u{e9}\r\nX-Injected: 1",
    ));
    let (_, header, body) = parts(&challenge(&[]), &rejection);
    assert_eq!(
        header.unwrap(),
        format!(
            "Bearer resource_metadata=\"{URL}\", error=\"invalid_token\", error_description=\"claim ?tenant?id? is ???X-Injected: 1\""
        )
    );
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "invalid_token");
    let long =
        Rejection::InvalidToken(TokenError::new(TokenErrorKind::Malformed, "x".repeat(1000)));
    let (_, header, _) = parts(&challenge(&[]), &long);
    assert!(header.unwrap().len() < 400);
}

#[test]
fn into_response() {
    let response = challenge(&[])
        .answer(&Rejection::InvalidApiKey)
        .into_response();
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["content-type"], "application/json");
}
