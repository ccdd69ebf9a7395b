//! The real `mcp-hangar` in front_door mode with `auth.oidc` (BEHAVIOUR.md §1, §2) bound to
//! a real OpenID provider (npm `oidc-provider`), in front of the Python 1.x payments
//! server: RFC 9728 discovery, the 401 challenge, per-tenant surfaces for
//! client_credentials JWTs through the official SDK clients, tokens for another resource
//! refused, and no token passthrough.

use serde_json::{Value, json};

use crate::gateway::{Hangar, free_port, raw};
use crate::harness::{Client, Era, OidcProvider, PaymentsServer, PythonEra};

/// The reference scenario with the provider as the issuer and the gateway's own URL as
/// the resource.
fn oidc_config(issuer: &str, resource_uri: &str, payments_url: &str) -> String {
    format!(
        r#"
tool_access:
  mode: front_door
auth:
  enabled: true
  allow_anonymous: false
  oidc:
    enabled: true
    issuer: {issuer}
    audience: mcp-hangar
    resource_uri: {resource_uri}
    tenant_claim: tenant_id
mcp_servers:
  payments:
    mode: remote
    endpoint: {payments_url}
    description: "Payments backend"
    tool_access:
      member:
        "tenant:a": {{ deny_list: [refund] }}
        "tenant:b": {{ allow_list: [charge, refund] }}
    tool_projection:
      withdrawn: [legacy_charge]
      tenant_overrides:
        "tenant:a": {{ withdrawn: [beta_tool] }}
"#
    )
}

fn sorted_names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("a list of names: {list}"))
        .iter()
        .map(|v| v.as_str().expect("a name").to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn oidc_tokens_from_a_real_provider_select_the_tenants_surface() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idp = OidcProvider::start("RS256");
    let payments = PaymentsServer::start(PythonEra::V1, &dir.path().join("headers.jsonl"));
    let port = free_port();
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let hangar = Hangar::start_on_port(
        &oidc_config(&idp.issuer, &resource, &payments.url),
        &[],
        port,
    );
    assert_eq!(hangar.url, resource);
    let base = &hangar.base;

    // RFC 9728 discovery, at the root and at the path-suffixed form for `/mcp`.
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let answer = raw("GET", &format!("{base}{path}"), &[], None);
        assert_eq!(answer.status, 200, "{path}: {answer:?}");
        assert_eq!(
            answer.body["resource"],
            resource.as_str(),
            "{path}: {answer:?}"
        );
        assert_eq!(
            answer.body["authorization_servers"],
            json!([idp.issuer]),
            "{path}: {answer:?}"
        );
    }

    // No token: 401 with a Bearer challenge pointing at the metadata.
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let answer = raw("POST", &hangar.url, &[], Some(&list));
    assert_eq!(answer.status, 401, "{answer:?}");
    let challenge = answer
        .headers
        .get("www-authenticate")
        .unwrap_or_else(|| panic!("no challenge: {answer:?}"));
    assert!(
        challenge.starts_with(&format!(
            "Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource"
        )),
        "{challenge}"
    );
    assert_eq!(answer.body["error"], "unauthorized", "{answer:?}");

    // Real client_credentials tokens, one client per tenant, bound to the gateway.
    let token_a = idp.token("tenant-a", &resource);
    let token_b = idp.token("tenant-b", &resource);
    let bearer_a = format!("Bearer {token_a}");
    let bearer_b = format!("Bearer {token_b}");
    for era in [Era::PyV1, Era::Ts] {
        let list_a = Client::run(era, &hangar.url, &[("Authorization", &bearer_a)], &["list"]);
        assert_eq!(
            sorted_names(list_a.ok()),
            ["charge"],
            "{era:?} tenant:a; gateway:\n{}",
            hangar.stderr()
        );
        let list_b = Client::run(era, &hangar.url, &[("Authorization", &bearer_b)], &["list"]);
        assert_eq!(
            sorted_names(list_b.ok()),
            ["charge", "refund"],
            "{era:?} tenant:b"
        );
    }
    let call = Client::run(
        Era::PyV1,
        &hangar.url,
        &[("Authorization", &bearer_b)],
        &["call", "refund", r#"{"charge_id":"ch_5_EUR"}"#],
    );
    assert_eq!(
        call.ok()["structuredContent"]["refund_id"],
        "re_ch_5_EUR",
        "{call:?}"
    );
    let denied = Client::run(
        Era::PyV1,
        &hangar.url,
        &[("Authorization", &bearer_a)],
        &["call", "refund", r#"{"charge_id":"ch_5_EUR"}"#],
    );
    assert_eq!(denied.code(), 3, "{denied:?}");
    assert_eq!(
        denied.json["error"],
        json!({"code": -32602, "message": "Unknown tool: refund"})
    );

    // A real token of the same provider for another resource: invalid_token.
    let elsewhere = idp.token("tenant-b", "http://127.0.0.1:1/other-mcp");
    let answer = raw(
        "POST",
        &hangar.url,
        &[("Authorization", &format!("Bearer {elsewhere}"))],
        Some(&list),
    );
    assert_eq!(answer.status, 401, "{answer:?}");
    let challenge = answer
        .headers
        .get("www-authenticate")
        .unwrap_or_else(|| panic!("no challenge: {answer:?}"));
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    let rejected = Client::run(
        Era::PyV1,
        &hangar.url,
        &[("Authorization", &format!("Bearer {elsewhere}"))],
        &["list"],
    );
    assert_ne!(rejected.code(), 0, "{rejected:?}");

    // The back end never saw a caller's JWT (nor any bearer credential of theirs).
    let requests = payments.requests();
    assert!(!requests.is_empty(), "the payments server saw no request");
    for request in &requests {
        let text = request.to_string();
        for token in [&token_a, &token_b, &elsewhere] {
            assert!(
                !text.contains(token.as_str()),
                "a JWT reached the back end: {request}"
            );
            // The signature alone would be enough to leak it.
            let signature = token.rsplit('.').next().expect("a JWS");
            assert!(
                !text.contains(signature),
                "a JWT reached the back end: {request}"
            );
        }
        assert!(
            request["headers"].get("authorization").is_none(),
            "{request}"
        );
    }
}
