//! Rate limits (per tenant, subject and source address; trusted proxies; the CIDR
//! allow-list; reload) and per-back-end `max_concurrency`, over a real listener.
//!
//! Rates here are 1 request per second with small bursts: the first `burst` requests
//! always pass, and a few more sent at once cannot all pass (at most one token comes
//! back per second), so the assertions hold on a slow machine.

use std::time::Duration;

use hangar_config::{Config, MapEnvironment};
use hangar_gateway::{FakeUpstream, Options};
use http::{Method, StatusCode};

use crate::support::{Answer, EGRESS, FRONT_DOOR, Harness, KEY_A, KEY_B, KEY_B2, literal_keys};

/// A stateless 2026-07-28 `tools/call` of `charge` with `key` and `extra` headers: one
/// request, no session.
async fn call(harness: &Harness, key: &str, extra: &[(&str, &str)]) -> Answer {
    let mut headers = vec![
        ("x-api-key", key),
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "charge"),
    ];
    headers.extend_from_slice(extra);
    harness
        .post(
            &headers,
            r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"charge","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
        )
        .await
}

fn assert_served(answer: &Answer) {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.json()["result"].is_object(), "{}", answer.body);
}

/// Sends `send` up to `tries` times and returns the first `429`; panics when none came.
async fn first_refusal<F, Fut>(tries: usize, mut send: F) -> Answer
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Answer>,
{
    for _ in 0..tries {
        let answer = send().await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            return answer;
        }
    }
    panic!("no 429 in {tries} requests");
}

/// The `/mcp` refusal: `429`, `Retry-After` in whole seconds, the JSON-RPC error with
/// the scope (id `null`: the body was not read).
fn assert_rate_limited(answer: &Answer, scope: &str) {
    assert_eq!(
        answer.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        answer.body
    );
    let retry_after: u64 = answer.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let json = answer.json();
    assert_eq!(json["jsonrpc"], "2.0");
    assert!(json["id"].is_null(), "{json}");
    assert_eq!(json["error"]["code"], -32029);
    assert_eq!(json["error"]["message"], "Rate limit exceeded");
    assert_eq!(json["error"]["data"]["scope"], scope);
    assert_eq!(json["error"]["data"]["retryAfterSeconds"], retry_after);
}

fn with_limits(section: &str) -> String {
    format!("{FRONT_DOOR}rate_limits:\n{section}")
}

#[tokio::test]
async fn a_tenant_over_its_limit_gets_429_while_another_tenant_is_served() {
    let harness = Harness::start(&with_limits(
        "  per_tenant: {requests_per_second: 1, burst: 3}\n",
    ))
    .await;
    for _ in 0..3 {
        assert_served(&call(&harness, KEY_A, &[]).await);
    }
    let refused = first_refusal(5, || call(&harness, KEY_A, &[])).await;
    assert_rate_limited(&refused, "tenant");
    // tenant:b has its own bucket: its burst is untouched by tenant:a's traffic.
    for _ in 0..3 {
        assert_served(&call(&harness, KEY_B, &[]).await);
    }
    // Refused calls never reached the back end.
    let served = harness.payments.received().len();
    assert!((6..=8).contains(&served), "{served}");
    harness.stop().await;
}

#[tokio::test]
async fn a_tenant_override_replaces_the_default_rate() {
    let harness = Harness::start(&with_limits(
        "  per_tenant: {requests_per_second: 1, burst: 2}\n  tenants:\n    \"tenant:b\": {requests_per_second: 1000, burst: 1000}\n",
    ))
    .await;
    for _ in 0..20 {
        assert_served(&call(&harness, KEY_B, &[]).await);
    }
    let refused = first_refusal(6, || call(&harness, KEY_A, &[])).await;
    assert_rate_limited(&refused, "tenant");
    harness.stop().await;
}

#[tokio::test]
async fn a_subject_limit_separates_two_keys_of_one_tenant() {
    let harness = Harness::start(&with_limits(
        "  per_subject: {requests_per_second: 1, burst: 2}\n",
    ))
    .await;
    let refused = first_refusal(6, || call(&harness, KEY_B, &[])).await;
    assert_rate_limited(&refused, "subject");
    // agent-b2 is the same tenant, another subject.
    for _ in 0..2 {
        assert_served(&call(&harness, KEY_B2, &[]).await);
    }
    harness.stop().await;
}

#[tokio::test]
async fn bad_credentials_are_limited_per_source_and_forwarded_for_is_ignored_from_an_untrusted_peer()
 {
    let harness = Harness::start(&with_limits(
        "  per_source: {requests_per_second: 1, burst: 3}\n  trusted_proxies: [10.0.0.0/8]\n",
    ))
    .await;
    let wrong = "wrong-key-0123456789abcdef";
    for _ in 0..3 {
        let answer = call(&harness, wrong, &[]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    }
    // The peer (127.0.0.1) is no trusted proxy: each forged address counts as the peer.
    let mut n = 0;
    let gateway = &harness;
    let refused = first_refusal(5, || {
        n += 1;
        let forged = format!("203.0.113.{n}");
        async move { call(gateway, wrong, &[("x-forwarded-for", &forged)]).await }
    })
    .await;
    assert_rate_limited(&refused, "source");
    // The admin API is limited per source too (its own error shape); health is not.
    let admin = harness
        .send(Method::GET, "/api/admin/stats", &[("x-api-key", wrong)], "")
        .await;
    assert_eq!(
        admin.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        admin.body
    );
    assert!(admin.headers.contains_key("retry-after"));
    assert_eq!(admin.json()["error"], "rate_limited");
    // /metrics checks credentials as well: limited per source like the admin API.
    let metrics = harness
        .send(Method::GET, "/metrics", &[("x-api-key", wrong)], "")
        .await;
    assert_eq!(
        metrics.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        metrics.body
    );
    let health = harness.send(Method::GET, "/health", &[], "").await;
    assert_eq!(health.status, StatusCode::OK);
    harness.stop().await;
}

#[tokio::test]
async fn a_trusted_proxy_names_the_source_by_its_right_most_untrusted_forwarded_address() {
    let harness = Harness::start(&with_limits(
        "  per_source: {requests_per_second: 1, burst: 2}\n  trusted_proxies: [127.0.0.1/32, 10.0.0.0/8]\n",
    ))
    .await;
    let client = [("x-forwarded-for", "203.0.113.7")];
    for _ in 0..2 {
        assert_served(&call(&harness, KEY_B, &client).await);
    }
    let refused = first_refusal(5, || call(&harness, KEY_B, &client)).await;
    assert_rate_limited(&refused, "source");
    // The same client through a second trusted hop, with a forged address in front: still
    // 203.0.113.7, still refused.
    let via_hop = [("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.0.0.2")];
    assert_rate_limited(&call(&harness, KEY_B, &via_hop).await, "source");
    // Another client behind the same proxy has its own bucket.
    for _ in 0..2 {
        assert_served(&call(&harness, KEY_B, &[("x-forwarded-for", "203.0.113.8")]).await);
    }
    harness.stop().await;
}

#[tokio::test]
async fn allow_listed_sources_skip_every_limit() {
    let limits = "  per_source: {requests_per_second: 1, burst: 1}\n  per_tenant: {requests_per_second: 1, burst: 1}\n  per_subject: {requests_per_second: 1, burst: 1}\n";
    let direct = Harness::start(&with_limits(&format!(
        "{limits}  allow_cidrs: [127.0.0.1/32]\n"
    )))
    .await;
    for _ in 0..10 {
        assert_served(&call(&direct, KEY_A, &[]).await);
    }
    direct.stop().await;

    // Behind a trusted proxy the forwarded address is what the allow-list sees.
    let proxied = Harness::start(&with_limits(&format!(
        "{limits}  allow_cidrs: [203.0.113.0/24]\n  trusted_proxies: [127.0.0.1/32]\n"
    )))
    .await;
    for _ in 0..10 {
        assert_served(&call(&proxied, KEY_A, &[("x-forwarded-for", "203.0.113.7")]).await);
    }
    let refused = first_refusal(5, || {
        call(&proxied, KEY_A, &[("x-forwarded-for", "198.51.100.1")])
    })
    .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    proxied.stop().await;
}

/// The back end answers each call after this long; `max_concurrency: 1`.
const SLOW: Duration = Duration::from_secs(2);

/// Starts a call with `first`, and once the back end has it, sends `second`: its answer
/// and the first one's.
async fn overlapping<F1, F2, Fut1, Fut2>(
    payments: &FakeUpstream,
    first: F1,
    second: F2,
) -> (Answer, Answer)
where
    F1: FnOnce() -> Fut1,
    F2: FnOnce() -> Fut2,
    Fut1: std::future::Future<Output = Answer>,
    Fut2: std::future::Future<Output = Answer>,
{
    let later = async {
        for _ in 0..200 {
            if !payments.received().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(payments.received().len(), 1, "the first call is in flight");
        second().await
    };
    tokio::join!(first(), later)
}

#[tokio::test]
async fn a_back_end_at_max_concurrency_answers_busy_without_naming_itself_in_front_door() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("audit.jsonl");
    let mut config = FRONT_DOOR.replace(
        "    description: \"Payments backend\"\n",
        "    description: \"Payments backend\"\n    max_concurrency: 1\n",
    );
    config.push_str(&format!(
        "audit: {{enabled: true, path: {}}}\n",
        audit.display()
    ));
    let payments = FakeUpstream::new("payments", ["charge", "refund"]).with_call_delay(SLOW);
    let harness =
        Harness::start_with_upstreams(&config, Options::default(), payments.clone(), &[]).await;
    let a = harness.session(KEY_A).await;
    let (first, busy) = overlapping(
        &payments,
        || harness.call(&a, "charge"),
        || harness.call(&a, "charge"),
    )
    .await;
    assert_served(&first);
    assert_eq!(busy.status, StatusCode::OK, "{}", busy.body);
    assert_eq!(
        busy.body,
        r#"{"jsonrpc":"2.0","id":"c-1","error":{"code":-32000,"message":"Back end busy","data":{"reason":"busy"}}}"#
    );
    assert_eq!(
        payments.received().len(),
        1,
        "the busy call was not forwarded"
    );
    // The slot is free again once the first call answered.
    assert_served(&harness.call(&a, "charge").await);
    harness.stop().await;
    // The refusal is a tool decision of its own in the audit log.
    let text = std::fs::read_to_string(&audit).expect("the audit file");
    let busy: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("max_concurrency"))
        .collect();
    assert_eq!(busy.len(), 1, "{text}");
    assert!(busy[0].contains(r#""verdict":"deny""#), "{}", busy[0]);
    assert!(busy[0].contains(r#""tool":"charge""#), "{}", busy[0]);
}

#[tokio::test]
async fn a_back_end_at_max_concurrency_is_named_in_egress() {
    let config = EGRESS.replace(
        "    description: \"Payments backend\"\n",
        "    description: \"Payments backend\"\n    max_concurrency: 1\n",
    );
    let payments = FakeUpstream::new("payments", ["charge"]).with_call_delay(SLOW);
    let harness =
        Harness::start_with_upstreams(&config, Options::default(), payments.clone(), &[]).await;
    let session = harness.session("no-key-needed").await;
    let hangar_call = || {
        harness.rpc(
            &session,
            "tools/call",
            r#"{"name":"hangar_call","arguments":{"server":"payments","tool":"charge","arguments":{}}}"#,
        )
    };
    let (first, busy) = overlapping(&payments, hangar_call, hangar_call).await;
    assert_served(&first);
    let error = &busy.json()["error"];
    assert_eq!(error["code"], -32000, "{}", busy.body);
    assert_eq!(error["message"], "Back end busy: payments");
    assert_eq!(error["data"]["backend"], "payments");
    harness.stop().await;
}

fn config(yaml: &str) -> Config {
    Config::from_yaml_str(&literal_keys(yaml), "config.yaml", &MapEnvironment::new())
        .expect("config")
}

#[tokio::test]
async fn a_reload_applies_a_new_limit_and_keeps_the_buckets_of_an_unchanged_one() {
    let limited = with_limits("  per_tenant: {requests_per_second: 1, burst: 3}\n");
    let harness = Harness::start(&limited).await;
    let refused = first_refusal(8, || call(&harness, KEY_A, &[])).await;
    assert_rate_limited(&refused, "tenant");

    // Another part of the config changes: tenant:a's bucket is kept, not refilled (a
    // fresh bucket would pass three calls in a row).
    let other = limited.replace(
        "withdrawn: [legacy_charge]",
        "withdrawn: [legacy_charge, x]",
    );
    let changed = harness
        .gateway
        .reload_with(config(&other))
        .await
        .expect("reload");
    assert!(
        !changed.iter().any(|c| c.starts_with("rate_limits")),
        "{changed:?}"
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(call(&harness, KEY_A, &[]).await.status);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );

    // A new rate applies at once.
    let raised = other.replace(
        "per_tenant: {requests_per_second: 1, burst: 3}",
        "per_tenant: {requests_per_second: 1000, burst: 1000}",
    );
    let changed = harness
        .gateway
        .reload_with(config(&raised))
        .await
        .expect("reload");
    assert!(
        changed.contains(&"rate_limits: changed".to_owned()),
        "{changed:?}"
    );
    for _ in 0..10 {
        assert_served(&call(&harness, KEY_A, &[]).await);
    }
    harness.stop().await;
}

#[tokio::test]
async fn the_handshake_the_event_stream_and_delete_count_against_the_tenant() {
    let harness = Harness::start(&with_limits(
        "  per_tenant: {requests_per_second: 1, burst: 3}\n",
    ))
    .await;
    // initialize + notifications/initialized, then GET /mcp: tenant:b's three.
    let b = harness.session(KEY_B).await;
    let (status, _stream) = harness.open_stream(&b).await;
    assert_eq!(status, StatusCode::OK);
    let headers = b.headers();
    let refused = first_refusal(5, || harness.send(Method::DELETE, "/mcp", &headers, "")).await;
    assert_rate_limited(&refused, "tenant");
    harness.stop().await;
}
