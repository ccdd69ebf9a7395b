//! Prompts, resources, completion and logging: passed through to the owning back end,
//! under the tenant policy.

use hangar_gateway::{FakeUpstream, Options};
use http::StatusCode;
use serde_json::Value;

use crate::support::{Answer, EGRESS, Harness, KEY_A, KEY_B, KEY_B2, Session};

/// payments: tenant:a and tenant:b reach it; docs: tenant:b only (tenant:a is denied its
/// one tool); anonymous agents (a key without a tenant) reach nothing.
const TWO_SERVERS: &str = r#"
tool_access:
  mode: front_door
auth:
  enabled: true
  allow_anonymous: false
  api_keys:
    - name: agent-a
      key: ${KEY_A}
      tenant_id: "tenant:a"
    - name: agent-b
      key: ${KEY_B}
      tenant_id: "tenant:b"
    - name: no-tenant
      key: ${KEY_B2}
mcp_servers:
  payments:
    mode: remote
    endpoint: http://localhost:8080/mcp
    tool_access:
      member:
        "tenant:a": { deny_list: [refund] }
        "tenant:b": { allow_list: [charge, refund] }
  docs:
    mode: remote
    endpoint: http://localhost:8081/mcp
    tool_access:
      member:
        "tenant:a": { deny_list: ["*"] }
        "tenant:b": { allow_list: [search] }
"#;

fn payments() -> FakeUpstream {
    FakeUpstream::new("payments", ["charge", "refund"])
        .with_prompts(["greet", "shared"])
        .with_resources(["pay://ledger", "shared://x"])
}

fn docs() -> FakeUpstream {
    FakeUpstream::new("docs", ["search"])
        .with_prompts(["summarize", "shared"])
        .with_resources(["doc://readme", "doc://guide", "doc://faq", "shared://x"])
        .with_resource_templates(["doc://{page}"])
}

async fn start() -> (Harness, FakeUpstream) {
    let docs = docs();
    let harness = Harness::start_with_upstreams(
        TWO_SERVERS,
        Options::default(),
        payments(),
        std::slice::from_ref(&docs),
    )
    .await;
    (harness, docs)
}

/// The `key` members of `result[field]`.
fn keys(answer: &Answer, field: &str, key: &str) -> Vec<String> {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let result = &answer.json()["result"];
    result[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field}: {}", answer.body))
        .iter()
        .map(|entry| entry[key].as_str().expect("key").to_owned())
        .collect()
}

async fn list(harness: &Harness, session: &Session, method: &str) -> Answer {
    harness.rpc(session, method, "{}").await
}

fn error(code: i64, message: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":7,"error":{{"code":{code},"message":"{message}"}}}}"#)
}

#[tokio::test]
async fn lists_merge_the_reachable_back_ends_and_drop_collisions() {
    let (harness, _docs) = start().await;
    let a = harness.session(KEY_A).await;
    let b = harness.session(KEY_B).await;
    let nobody = harness.session(KEY_B2).await;

    // `shared` and `shared://x` are on both back ends: neither has them.
    let prompts = list(&harness, &b, "prompts/list").await;
    assert_eq!(keys(&prompts, "prompts", "name"), ["greet", "summarize"]);
    let prompts = list(&harness, &a, "prompts/list").await;
    assert_eq!(keys(&prompts, "prompts", "name"), ["greet"]);
    let prompts = list(&harness, &nobody, "prompts/list").await;
    assert!(keys(&prompts, "prompts", "name").is_empty());

    // docs pages its resources two at a time: the gateway followed its cursors.
    let resources = list(&harness, &b, "resources/list").await;
    assert_eq!(
        keys(&resources, "resources", "uri"),
        ["pay://ledger", "doc://readme", "doc://guide", "doc://faq"]
    );
    assert!(resources.json()["result"].get("nextCursor").is_none());
    let resources = list(&harness, &a, "resources/list").await;
    assert_eq!(keys(&resources, "resources", "uri"), ["pay://ledger"]);

    let templates = list(&harness, &b, "resources/templates/list").await;
    assert_eq!(
        keys(&templates, "resourceTemplates", "uriTemplate"),
        ["doc://{page}"]
    );
    let templates = list(&harness, &a, "resources/templates/list").await;
    assert!(keys(&templates, "resourceTemplates", "uriTemplate").is_empty());
    harness.stop().await;
}

#[tokio::test]
async fn get_read_and_complete_reach_the_owning_back_end() {
    let (harness, docs) = start().await;
    let b = harness.session(KEY_B).await;

    let prompt = harness
        .rpc(
            &b,
            "prompts/get",
            r#"{"name":"summarize","arguments":{"n":"1"}}"#,
        )
        .await;
    assert_eq!(
        prompt.json()["result"]["messages"][0]["content"]["text"],
        "docs:summarize",
        "{}",
        prompt.body
    );
    let read = harness
        .rpc(&b, "resources/read", r#"{"uri":"doc://guide"}"#)
        .await;
    assert_eq!(
        read.json()["result"]["contents"][0]["text"],
        "docs:doc://guide"
    );
    let read = harness
        .rpc(&b, "resources/read", r#"{"uri":"pay://ledger"}"#)
        .await;
    assert_eq!(
        read.json()["result"]["contents"][0]["text"],
        "payments:pay://ledger"
    );
    let subscribed = harness
        .rpc(&b, "resources/subscribe", r#"{"uri":"doc://faq"}"#)
        .await;
    assert_eq!(subscribed.json()["result"], serde_json::json!({}));

    let complete =
        |reference: &str| format!(r#"{{"ref":{reference},"argument":{{"name":"x","value":"a"}}}}"#);
    let by_prompt = harness
        .rpc(
            &b,
            "completion/complete",
            &complete(r#"{"type":"ref/prompt","name":"greet"}"#),
        )
        .await;
    assert_eq!(
        by_prompt.json()["result"]["completion"]["values"],
        serde_json::json!(["payments"]),
        "{}",
        by_prompt.body
    );
    let by_template = harness
        .rpc(
            &b,
            "completion/complete",
            &complete(r#"{"type":"ref/resource","uri":"doc://{page}"}"#),
        )
        .await;
    assert_eq!(
        by_template.json()["result"]["completion"]["values"],
        serde_json::json!(["docs"]),
        "{}",
        by_template.body
    );

    let methods: Vec<String> = docs.received().into_iter().map(|r| r.method).collect();
    assert_eq!(
        methods,
        [
            "prompts/get",
            "resources/read",
            "resources/subscribe",
            "completion/complete"
        ]
    );
    // The params went through as the caller sent them.
    let get = docs
        .received()
        .into_iter()
        .find(|r| r.method == "prompts/get")
        .expect("prompts/get");
    assert_eq!(
        get.params.as_deref(),
        Some(r#"{"name":"summarize","arguments":{"n":"1"}}"#)
    );
    // Each carried the request's trace context, like a tools/call.
    for received in docs.received() {
        let traceparent = received.traceparent.expect("traced");
        assert_eq!(traceparent.len(), 55, "{traceparent}");
        assert!(traceparent.starts_with("00-"), "{traceparent}");
    }
    harness.stop().await;
}

#[tokio::test]
async fn unknown_colliding_and_unreachable_answer_the_same_error() {
    let (harness, docs) = start().await;
    let a = harness.session(KEY_A).await;
    let b = harness.session(KEY_B).await;

    // Absent, colliding, or on a back end tenant:a does not reach: the same answer.
    for (session, name) in [
        (&a, "nosuch"),
        (&a, "summarize"),
        (&a, "shared"),
        (&b, "shared"),
    ] {
        let answer = harness
            .rpc(session, "prompts/get", &format!(r#"{{"name":"{name}"}}"#))
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            answer.body,
            error(-32602, &format!("Unknown prompt: {name}"))
        );
    }
    for (method, uri) in [
        ("resources/read", "doc://nosuch"),
        ("resources/read", "doc://guide"),
        ("resources/read", "shared://x"),
        ("resources/subscribe", "doc://guide"),
        ("resources/unsubscribe", "doc://guide"),
    ] {
        let answer = harness
            .rpc(&a, method, &format!(r#"{{"uri":"{uri}"}}"#))
            .await;
        assert_eq!(
            answer.body,
            error(-32602, &format!("Unknown resource: {uri}"))
        );
    }
    for (reference, message) in [
        (
            r#"{"type":"ref/prompt","name":"summarize"}"#,
            "Unknown prompt: summarize",
        ),
        (
            r#"{"type":"ref/prompt","name":"nosuch"}"#,
            "Unknown prompt: nosuch",
        ),
        (
            r#"{"type":"ref/resource","uri":"doc://{page}"}"#,
            "Unknown resource: doc://{page}",
        ),
    ] {
        let params = format!(r#"{{"ref":{reference},"argument":{{"name":"x","value":""}}}}"#);
        let answer = harness.rpc(&a, "completion/complete", &params).await;
        assert_eq!(answer.body, error(-32602, message));
    }
    let forwarded: Vec<String> = docs.received().into_iter().map(|r| r.method).collect();
    assert!(forwarded.is_empty(), "{forwarded:?}");
    harness.stop().await;
}

#[tokio::test]
async fn set_level_reaches_every_reachable_back_end() {
    let payments = payments();
    let docs = docs();
    let harness = Harness::start_with_upstreams(
        TWO_SERVERS,
        Options::default(),
        payments.clone(),
        std::slice::from_ref(&docs),
    )
    .await;
    let set_level = |fake: &FakeUpstream| {
        fake.received()
            .into_iter()
            .filter(|r| r.method == "logging/setLevel")
            .count()
    };
    let a = harness.session(KEY_A).await;
    let answer = harness
        .rpc(&a, "logging/setLevel", r#"{"level":"debug"}"#)
        .await;
    assert_eq!(
        answer.json()["result"],
        serde_json::json!({}),
        "{}",
        answer.body
    );
    assert_eq!((set_level(&payments), set_level(&docs)), (1, 0));
    let b = harness.session(KEY_B).await;
    harness
        .rpc(&b, "logging/setLevel", r#"{"level":"info"}"#)
        .await;
    assert_eq!((set_level(&payments), set_level(&docs)), (2, 1));
    harness.stop().await;
}

/// The capabilities an `initialize` with `key` is answered with.
async fn capabilities(harness: &Harness, key: &str) -> Value {
    let answer = harness
        .post(
            &[("x-api-key", key)],
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        )
        .await;
    answer.json()["result"]["capabilities"].clone()
}

#[tokio::test]
async fn capabilities_follow_what_the_back_ends_offer() {
    let (harness, _docs) = start().await;
    assert_eq!(
        capabilities(&harness, KEY_B).await,
        serde_json::json!({"tools": {"listChanged": true}, "prompts": {}, "resources": {}, "completions": {}})
    );
    harness.stop().await;

    let tools_only = Harness::start(crate::support::FRONT_DOOR).await;
    assert_eq!(
        capabilities(&tools_only, KEY_B).await,
        serde_json::json!({"tools": {"listChanged": true}})
    );
    tools_only.stop().await;
}

#[tokio::test]
async fn a_prompts_list_change_is_fetched_again() {
    let (harness, docs) = start().await;
    let b = harness.session(KEY_B).await;
    docs.set_prompts(["summarize", "translate"]);
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = keys(&list(&harness, &b, "prompts/list").await, "prompts", "name");
        if seen.contains(&"translate".to_owned()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // `shared` left docs: payments alone lists it now.
    assert_eq!(seen, ["greet", "shared", "summarize", "translate"]);
    harness.stop().await;
}

#[tokio::test]
async fn egress_callers_reach_the_back_ends_they_may_use() {
    let harness = Harness::start_with_upstreams(
        EGRESS,
        Options::default(),
        FakeUpstream::new("payments", ["charge", "refund"]).with_prompts(["greet"]),
        &[],
    )
    .await;
    let answer = harness
        .post(
            &[],
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        )
        .await;
    let session = answer
        .headers
        .get("mcp-session-id")
        .expect("session")
        .to_str()
        .expect("ascii")
        .to_owned();
    let headers = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-06-18"),
    ];
    let prompts = harness
        .post(
            &headers,
            r#"{"jsonrpc":"2.0","id":1,"method":"prompts/list"}"#,
        )
        .await;
    let value: Value = prompts.json();
    assert_eq!(
        value["result"]["prompts"][0]["name"], "greet",
        "{}",
        prompts.body
    );
    harness.stop().await;
}
