//! The gateway over a real listener on 127.0.0.1:0, against an in-memory back end.

mod admin;
mod limits;
mod metrics;
mod passthrough;
mod reload;
mod support;
mod tls;

use hangar_gateway::Options;
use hangar_projection::WithdrawalKey;
use http::{Method, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::Value;

use support::{EGRESS, FRONT_DOOR, Harness, KEY_A, KEY_B, KEY_B2, names};

#[tokio::test]
async fn discovery_metadata_is_served_at_both_well_known_paths() {
    let harness = Harness::start(FRONT_DOOR).await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let answer = harness.send(Method::GET, path, &[], "").await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
        let document = answer.json();
        assert_eq!(document["resource"], "https://hangar.example.com/mcp");
        assert_eq!(
            document["authorization_servers"],
            serde_json::json!(["https://auth.example.com"])
        );
    }
    harness.stop().await;
}

#[tokio::test]
async fn no_credential_is_401_with_a_challenge() {
    let harness = Harness::start(FRONT_DOOR).await;
    let answer = harness
        .post(&[], r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let challenge = answer.headers["www-authenticate"].to_str().expect("ascii");
    assert!(
        challenge.starts_with(
            r#"Bearer resource_metadata="https://hangar.example.com/.well-known/oauth-protected-resource/mcp""#
        ),
        "{challenge}"
    );
    assert!(challenge.ends_with("ApiKey"), "{challenge}");
    assert_eq!(answer.json()["error"], "unauthorized");
    assert!(harness.payments.received().is_empty());
    harness.stop().await;
}

#[tokio::test]
async fn each_tenant_sees_its_own_flat_surface() {
    let harness = Harness::start(FRONT_DOOR).await;
    let a = harness.session(KEY_A).await;
    let b = harness.session(KEY_B).await;
    assert_eq!(harness.tool_names(&a).await, ["charge"]);
    assert_eq!(harness.tool_names(&b).await, ["charge", "refund"]);
    harness.stop().await;
}

#[tokio::test]
async fn unknown_denied_and_withdrawn_tools_answer_the_same_error() {
    let harness = Harness::start(FRONT_DOOR).await;
    let a = harness.session(KEY_A).await;
    // refund: denied; legacy_charge: withdrawn for all; beta_tool: withdrawn for tenant:a;
    // hangar_status: reserved; nosuch: unknown.
    for tool in [
        "refund",
        "legacy_charge",
        "beta_tool",
        "hangar_status",
        "nosuch",
    ] {
        let answer = harness.call(&a, tool).await;
        assert_eq!(answer.status, StatusCode::OK, "{tool}");
        let expected = format!(
            r#"{{"jsonrpc":"2.0","id":"c-1","error":{{"code":-32602,"message":"Unknown tool: {tool}"}}}}"#
        );
        assert_eq!(answer.body, expected, "{tool}");
    }
    assert!(harness.payments.received().is_empty());
    harness.stop().await;
}

#[tokio::test]
async fn a_call_reaches_the_back_end_without_the_callers_credential() {
    let harness = Harness::start(FRONT_DOOR).await;
    let a = harness.session(KEY_A).await;
    let answer = harness.call(&a, "charge").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let json = answer.json();
    assert_eq!(json["id"], "c-1");
    assert_eq!(
        json["result"]["content"][0]["text"],
        r#"payments:charge:{"amount":5}"#
    );
    let received = harness.payments.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].method, "tools/call");
    let params = received[0].params.as_deref().expect("params");
    assert_eq!(params, r#"{"name":"charge","arguments":{"amount":5}}"#);
    for secret in [KEY_A, "x-api-key", "authorization", &a.id] {
        assert!(
            !params
                .to_ascii_lowercase()
                .contains(&secret.to_ascii_lowercase())
        );
    }
    harness.stop().await;
}

#[tokio::test]
async fn a_runtime_withdrawal_changes_the_next_tools_list() {
    let harness = Harness::start(FRONT_DOOR).await;
    let b = harness.session(KEY_B).await;
    assert_eq!(harness.tool_names(&b).await, ["charge", "refund"]);
    let key = WithdrawalKey::for_tenant("payments", "refund", "tenant:b");
    harness
        .gateway
        .overlays()
        .withdraw(&key, "ops-admin")
        .expect("withdraw");
    assert_eq!(harness.tool_names(&b).await, ["charge"]);
    let refused = harness.call(&b, "refund").await;
    assert_eq!(refused.json()["error"]["message"], "Unknown tool: refund");
    // tenant:a is untouched, and a restore brings refund back for tenant:b.
    let a = harness.session(KEY_A).await;
    assert_eq!(harness.tool_names(&a).await, ["charge"]);
    harness.gateway.overlays().restore(&key).expect("restore");
    assert_eq!(harness.tool_names(&b).await, ["charge", "refund"]);
    assert_eq!(harness.call(&b, "refund").await.status, StatusCode::OK);
    harness.stop().await;
}

#[tokio::test]
async fn a_session_is_bound_to_its_principal() {
    let harness = Harness::start(FRONT_DOOR).await;
    let b = harness.session(KEY_B).await;
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    // Same tenant, another key: refused like an unknown session.
    let stolen = harness
        .post(&[("x-api-key", KEY_B2), ("mcp-session-id", &b.id)], list)
        .await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND, "{}", stolen.body);
    assert_eq!(stolen.json()["error"]["code"], -32001);
    let unknown = harness
        .post(
            &[("x-api-key", KEY_B), ("mcp-session-id", "0123456789abcdef")],
            list,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        stolen.body.replace("-32001", ""),
        unknown.body.replace("-32001", "")
    );
    let missing = harness.post(&[("x-api-key", KEY_B)], list).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    // The owner still has it, and can end it; the other key cannot.
    assert_eq!(harness.tool_names(&b).await, ["charge", "refund"]);
    let foreign_delete = harness
        .send(
            Method::DELETE,
            "/mcp",
            &[("x-api-key", KEY_B2), ("mcp-session-id", &b.id)],
            "",
        )
        .await;
    assert_eq!(foreign_delete.status, StatusCode::NOT_FOUND);
    let delete = harness
        .send(
            Method::DELETE,
            "/mcp",
            &[("x-api-key", KEY_B), ("mcp-session-id", &b.id)],
            "",
        )
        .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
    let after = harness.post(&b.headers(), list).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND);
    harness.stop().await;
}

const V2026_CALL_REFUND: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"refund","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;

#[tokio::test]
async fn a_2026_header_that_disagrees_with_the_body_is_refused() {
    let harness = Harness::start(FRONT_DOOR).await;
    let answer = harness
        .post(
            &[
                ("x-api-key", KEY_B),
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "charge"),
            ],
            V2026_CALL_REFUND,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    let json = answer.json();
    assert_eq!(json["error"]["code"], -32020);
    assert_eq!(json["id"], 7);
    assert!(
        harness.payments.received().is_empty(),
        "not treated as charge"
    );
    // The same request with an honest header goes through, with no session.
    let honest = harness
        .post(
            &[
                ("x-api-key", KEY_B),
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "refund"),
            ],
            V2026_CALL_REFUND,
        )
        .await;
    assert_eq!(honest.status, StatusCode::OK, "{}", honest.body);
    assert!(honest.json()["result"]["content"].is_array());
    // A 2026 body without headers is a mismatch too.
    let bare = harness
        .post(&[("x-api-key", KEY_B)], V2026_CALL_REFUND)
        .await;
    assert_eq!(bare.json()["error"]["code"], -32020);
    harness.stop().await;
}

#[tokio::test]
async fn a_2026_tools_list_is_stateless_and_private() {
    let harness = Harness::start(FRONT_DOOR).await;
    let headers = [
        ("x-api-key", KEY_B),
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/list"),
    ];
    let answer = harness
        .post(
            &headers,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let result = &answer.json()["result"];
    assert_eq!(names(&result["tools"]), ["charge", "refund"]);
    assert_eq!(result["cacheScope"], "private");
    assert!(answer.headers.get("mcp-session-id").is_none());
    let discover = harness
        .post(
            &[
                ("x-api-key", KEY_B),
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "server/discover"),
            ],
            r#"{"jsonrpc":"2.0","id":2,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
        )
        .await;
    assert_eq!(discover.status, StatusCode::OK, "{}", discover.body);
    let versions = &discover.json()["result"]["supportedVersions"];
    assert!(
        versions
            .as_array()
            .expect("versions")
            .contains(&Value::from("2026-07-28"))
    );
    harness.stop().await;
}

#[tokio::test]
async fn an_unsupported_version_is_32022() {
    let harness = Harness::start(FRONT_DOOR).await;
    let answer = harness
        .post(
            &[("x-api-key", KEY_B), ("mcp-protocol-version", "2099-01-01")],
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"]["code"], -32022);
    harness.stop().await;
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let mut options = Options::default();
    options.max_body_bytes = 1024;
    let harness = Harness::start_with(FRONT_DOOR, options).await;
    let padding = "x".repeat(2048);
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{"pad":"{padding}"}}}}"#
    );
    let answer = harness.post(&[("x-api-key", KEY_B)], &body).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json()["error"], "payload_too_large");
    harness.stop().await;
}

#[tokio::test]
async fn malformed_json_is_32700() {
    let harness = Harness::start(FRONT_DOOR).await;
    let answer = harness
        .post(&[("x-api-key", KEY_B)], r#"{"jsonrpc":"2.0","id":1,"#)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let json = answer.json();
    assert_eq!(json["error"]["code"], -32700);
    assert_eq!(json["id"], Value::Null);
    let batch = harness
        .post(
            &[("x-api-key", KEY_B)],
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
        )
        .await;
    assert_eq!(batch.json()["error"]["code"], -32600);
    harness.stop().await;
}

#[tokio::test]
async fn a_foreign_origin_is_403() {
    let harness = Harness::start(FRONT_DOOR).await;
    let list = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
    let foreign = harness
        .post(
            &[("x-api-key", KEY_B), ("origin", "https://evil.example")],
            list,
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert_eq!(foreign.json()["error"], "forbidden");
    let local = harness
        .post(
            &[("x-api-key", KEY_B), ("origin", "http://localhost:5173")],
            list,
        )
        .await;
    assert_eq!(local.status, StatusCode::OK, "{}", local.body);
    harness.stop().await;
}

#[tokio::test]
async fn a_dns_rebinding_host_is_403_on_a_loopback_listener() {
    let harness = Harness::start(FRONT_DOOR).await;
    let list = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
    // The attacker's page and its rebound name agree: Origin equals Host, both foreign.
    for headers in [
        vec![
            ("x-api-key", KEY_B),
            ("host", "evil.example:8000"),
            ("origin", "http://evil.example:8000"),
        ],
        vec![("x-api-key", KEY_B), ("host", "evil.example")],
    ] {
        let answer = harness.post(&headers, list).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{headers:?}: {}",
            answer.body
        );
        assert_eq!(answer.json()["message"], "host not allowed");
    }
    let local = harness
        .post(&[("x-api-key", KEY_B), ("host", "localhost:8000")], list)
        .await;
    assert_eq!(local.status, StatusCode::OK, "{}", local.body);
    harness.stop().await;
}

#[tokio::test]
async fn health_and_unknown_routes() {
    let harness = Harness::start(FRONT_DOOR).await;
    for path in ["/health", "/health/live", "/health/ready"] {
        let answer = harness.send(Method::GET, path, &[], "").await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
    }
    let missing = harness.send(Method::GET, "/nope", &[], "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"], "not_found");
    let stream = harness
        .send(Method::GET, "/mcp", &[("x-api-key", KEY_B)], "")
        .await;
    assert_eq!(stream.status, StatusCode::METHOD_NOT_ALLOWED);
    harness.stop().await;
}

async fn egress_call(
    harness: &Harness,
    session: &support::Session,
    tool: &str,
    args: &str,
) -> Value {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{{"name":"{tool}","arguments":{args}}}}}"#
    );
    let answer = harness.post(&session.headers(), &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

#[tokio::test]
async fn egress_offers_the_management_tools() {
    let harness = Harness::start(EGRESS).await;
    let session = harness.session("no-key-needed").await;
    assert_eq!(
        harness.tool_names(&session).await,
        [
            "hangar_list_servers",
            "hangar_list_tools",
            "hangar_call",
            "hangar_status"
        ]
    );
    let servers = egress_call(&harness, &session, "hangar_list_servers", "{}").await;
    let servers = &servers["result"]["structuredContent"]["servers"];
    assert_eq!(servers[0]["name"], "payments");
    assert_eq!(servers[0]["description"], "Payments backend");

    let tools = egress_call(
        &harness,
        &session,
        "hangar_list_tools",
        r#"{"server":"payments"}"#,
    )
    .await;
    // refund: denied at server level; legacy_charge: withdrawn.
    assert_eq!(
        names(&tools["result"]["structuredContent"]["tools"]),
        ["charge", "beta_tool"]
    );
    let unknown = egress_call(
        &harness,
        &session,
        "hangar_list_tools",
        r#"{"server":"nope"}"#,
    )
    .await;
    assert_eq!(unknown["error"]["code"], -32602);

    let called = egress_call(
        &harness,
        &session,
        "hangar_call",
        r#"{"server":"payments","tool":"charge","arguments":{"amount":1}}"#,
    )
    .await;
    assert_eq!(
        called["result"]["content"][0]["text"],
        r#"payments:charge:{"amount":1}"#
    );
    for denied in ["refund", "legacy_charge", "nosuch"] {
        let args = format!(r#"{{"server":"payments","tool":"{denied}"}}"#);
        let refused = egress_call(&harness, &session, "hangar_call", &args).await;
        assert_eq!(
            refused["error"]["message"],
            format!("Unknown tool: {denied}")
        );
    }
    assert_eq!(harness.payments.received().len(), 1);

    let status = egress_call(&harness, &session, "hangar_status", "{}").await;
    let status = &status["result"]["structuredContent"];
    assert_eq!(status["mode"], "egress");
    assert_eq!(status["servers"][0]["tools"], 4);
    harness.stop().await;
}

async fn next_chunk(body: &mut hyper::body::Incoming) -> Option<String> {
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
        .await
        .ok()??
        .ok()?;
    frame
        .into_data()
        .ok()
        .map(|data| String::from_utf8(data.to_vec()).expect("utf-8"))
}

#[tokio::test]
async fn the_event_stream_announces_a_change_of_the_callers_surface() {
    let harness = Harness::start(FRONT_DOOR).await;
    let b = harness.session(KEY_B).await;
    let (status, mut body) = harness.open_stream(&b).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        next_chunk(&mut body).await.as_deref(),
        Some(": stream open\n\n")
    );
    // A change that does not touch tenant:b's surface says nothing; one that does, says so.
    let overlays = harness.gateway.overlays();
    overlays
        .withdraw(
            &WithdrawalKey::for_tenant("payments", "charge", "tenant:a"),
            "ops",
        )
        .expect("withdraw");
    overlays
        .withdraw(
            &WithdrawalKey::for_tenant("payments", "refund", "tenant:b"),
            "ops",
        )
        .expect("withdraw");
    let event = next_chunk(&mut body).await.expect("an event");
    assert_eq!(
        event,
        "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n"
    );
    // Another principal cannot open it; shutdown ends the stream instead of waiting for it.
    let stolen = support::Session {
        key: KEY_B2.to_owned(),
        id: b.id.clone(),
    };
    assert_eq!(harness.open_stream(&stolen).await.0, StatusCode::NOT_FOUND);
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(5), harness.stop()).await;
    assert!(stopped.is_ok(), "shutdown waited for the stream");
    assert_eq!(next_chunk(&mut body).await, None);
}

#[tokio::test]
async fn a_2026_listen_stream_is_acknowledged_tagged_and_closed_with_its_result() {
    let harness = Harness::start(FRONT_DOOR).await;
    let body = r#"{"jsonrpc":"2.0","id":"listen-1","method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true,"promptsListChanged":true},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
    let (status, headers, mut stream) = harness
        .post_stream(
            &[
                ("x-api-key", KEY_B),
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "subscriptions/listen"),
            ],
            body,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/event-stream");
    // The ack first: only what the gateway honours (tools), tagged with the request's id.
    let ack = next_chunk(&mut stream).await.expect("the ack");
    assert_eq!(
        ack,
        "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/subscriptions/acknowledged\",\"params\":{\"notifications\":{\"toolsListChanged\":true},\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"listen-1\"}}}\n\n"
    );
    harness
        .gateway
        .overlays()
        .withdraw(
            &WithdrawalKey::for_tenant("payments", "refund", "tenant:b"),
            "ops",
        )
        .expect("withdraw");
    let event = next_chunk(&mut stream).await.expect("an event");
    assert_eq!(
        event,
        "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"listen-1\"}}}\n\n"
    );
    // Shutdown ends the stream with its result (graceful closure), then the body ends.
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(5), harness.stop()).await;
    assert!(stopped.is_ok(), "shutdown waited for the stream");
    let last = next_chunk(&mut stream).await.expect("the result");
    assert!(
        last.contains(r#""id":"listen-1","result":{"_meta""#),
        "{last}"
    );
    assert_eq!(next_chunk(&mut stream).await, None);
}

#[tokio::test]
async fn a_back_end_tool_list_change_reaches_the_surface_and_the_stream() {
    let harness = Harness::start(FRONT_DOOR).await;
    let a = harness.session(KEY_A).await;
    let (status, mut body) = harness.open_stream(&a).await;
    assert_eq!(status, StatusCode::OK);
    assert!(next_chunk(&mut body).await.is_some());
    harness
        .payments
        .set_tools(["charge", "refund", "capture", "hangar_status"]);
    let event = next_chunk(&mut body).await.expect("an event");
    assert!(
        event.contains("notifications/tools/list_changed"),
        "{event}"
    );
    // The reserved name a back end lists is dropped; refund stays denied for tenant:a.
    assert_eq!(harness.tool_names(&a).await, ["charge", "capture"]);
    assert_eq!(harness.call(&a, "capture").await.status, StatusCode::OK);
    harness.stop().await;
}

#[tokio::test]
async fn a_bearer_api_key_works_and_is_not_forwarded() {
    let harness = Harness::start(FRONT_DOOR).await;
    let bearer = format!("Bearer {KEY_A}");
    let init = harness
        .post(
            &[("authorization", &bearer)],
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        )
        .await;
    assert_eq!(init.status, StatusCode::OK, "{}", init.body);
    let session = init.headers["mcp-session-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let call = harness
        .post(
            &[("authorization", &bearer), ("mcp-session-id", &session)],
            r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"charge","arguments":{},"_auth":{"token":"per-message-secret"}}}"#,
        )
        .await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    let received = harness.payments.received();
    let params = received[0].params.as_deref().expect("params");
    assert!(
        !params.contains(KEY_A) && !params.contains("per-message-secret"),
        "{params}"
    );
    harness.stop().await;
}

#[tokio::test]
async fn a_per_message_token_makes_the_message_its_callers() {
    let config = FRONT_DOOR.replace(
        "  allow_anonymous: false\n",
        "  allow_anonymous: false\n  per_message:\n    enabled: true\n",
    );
    let harness = Harness::start(&config).await;
    let b = harness.session(KEY_B).await;
    let as_a = format!(
        r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{{"name":"refund","arguments":{{}},"_auth":{{"token":"{KEY_A}"}}}}}}"#
    );
    // tenant:b's session, tenant:a's message: refund is hidden from tenant:a.
    let answer = harness.post(&b.headers(), &as_a).await;
    assert_eq!(answer.json()["error"]["message"], "Unknown tool: refund");
    let bad = harness
        .post(
            &b.headers(),
            r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"charge","_auth":{"token":"wrong-key-0123456789"}}}"#,
        )
        .await;
    assert!(bad.status.is_client_error(), "{}", bad.body);
    // Without _auth the HTTP caller (tenant:b) applies.
    assert_eq!(harness.call(&b, "refund").await.status, StatusCode::OK);
    assert!(
        harness.payments.received().iter().all(|r| !r
            .params
            .as_deref()
            .unwrap_or("")
            .contains("_auth"))
    );
    harness.stop().await;
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served() {
    let harness = Harness::start(FRONT_DOOR).await;
    let stream = tokio::net::TcpStream::connect(harness.addr)
        .await
        .expect("connect");
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("h2 handshake");
    tokio::spawn(connection);
    let request = http::Request::get(format!("http://{}/health", harness.addr))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.status(), StatusCode::OK);
    harness.stop().await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_dropped() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut options = Options::default();
    options.header_read_timeout = std::time::Duration::from_millis(200);
    let harness = Harness::start_with(FRONT_DOOR, options).await;
    let mut stream = tokio::net::TcpStream::connect(harness.addr)
        .await
        .expect("connect");
    stream
        .write_all(b"POST /mcp HTTP/1.1\r\nhost: x\r\n")
        .await
        .expect("write");
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut buffer),
    )
    .await;
    assert!(read.is_ok(), "the gateway kept the connection open");
    harness.stop().await;
}
