//! `GET /metrics` over the real listener (and the separate metrics listener): who may
//! read it, that it is well-formed OpenMetrics text, that the counters move with the
//! traffic they count; and the W3C trace context handed to back ends.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use hangar_gateway::FakeUpstream;
use http::{Method, StatusCode};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{
    ADMIN_KEY, Answer, EGRESS, FRONT_DOOR, Harness, KEY_A, KEY_B, VIEWER_KEY, with_audit_log,
};

/// One sample of an exposition.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed OpenMetrics text exposition, checked as it is read: every family has its
/// `# HELP` and `# TYPE` before its samples, sample names are the family's name with a
/// suffix its type allows, a sample appears once, values are numbers, `# EOF` ends it.
#[derive(Debug)]
struct Exposition {
    types: BTreeMap<String, String>,
    samples: Vec<Sample>,
}

impl Exposition {
    fn parse(text: &str) -> Self {
        let mut types = BTreeMap::new();
        let mut helped = std::collections::BTreeSet::new();
        let mut samples: Vec<Sample> = Vec::new();
        let mut family: Option<(String, String)> = None;
        let mut ended = false;
        for line in text.lines() {
            assert!(!ended, "a line after # EOF: {line:?}");
            if line == "# EOF" {
                ended = true;
                continue;
            }
            if let Some(rest) = line.strip_prefix("# ") {
                let mut parts = rest.splitn(3, ' ');
                let (keyword, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let tail = parts.next().unwrap_or("");
                match keyword {
                    "HELP" => {
                        assert!(!tail.is_empty(), "empty help: {line}");
                        assert!(helped.insert(name.to_owned()), "family twice: {line}");
                    }
                    "TYPE" => {
                        assert!(helped.contains(name), "TYPE before HELP: {line}");
                        assert!(
                            ["counter", "gauge", "histogram", "info", "unknown"].contains(&tail),
                            "type: {line}"
                        );
                        types.insert(name.to_owned(), tail.to_owned());
                        family = Some((name.to_owned(), tail.to_owned()));
                    }
                    "UNIT" => assert!(name.ends_with(&format!("_{tail}")), "unit: {line}"),
                    _ => panic!("unknown comment line: {line}"),
                }
                continue;
            }
            let (family_name, kind) = family.clone().unwrap_or_else(|| panic!("no TYPE: {line}"));
            let sample = parse_sample(line);
            let suffix = sample
                .name
                .strip_prefix(family_name.as_str())
                .unwrap_or_else(|| panic!("{} outside family {family_name}", sample.name));
            let allowed: &[&str] = match kind.as_str() {
                "counter" => &["_total", "_created"],
                "histogram" => &["_bucket", "_count", "_sum", "_created"],
                _ => &[""],
            };
            assert!(allowed.contains(&suffix), "{} in a {kind}", sample.name);
            assert!(
                !samples
                    .iter()
                    .any(|s| s.name == sample.name && s.labels == sample.labels),
                "sample twice: {line}"
            );
            samples.push(sample);
        }
        assert!(ended, "no # EOF");
        Self { types, samples }
    }

    /// The value of the sample `name` whose labels include `labels`, when exactly one has.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matching: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect();
        match matching.as_slice() {
            [one] => Some(one.value),
            [] => None,
            many => panic!("{name} {labels:?} matches {many:?}"),
        }
    }

    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels)
            .unwrap_or_else(|| panic!("no sample {name} {labels:?} in {:#?}", self.samples))
    }
}

/// `name{k="v",…} value` (label values with `\\`, `\"` and `\n` escapes).
fn parse_sample(line: &str) -> Sample {
    let (name, rest) = match line.find(['{', ' ']) {
        Some(i) => line.split_at(i),
        None => panic!("no value: {line}"),
    };
    assert!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
        "name: {line}"
    );
    let mut labels = BTreeMap::new();
    let mut rest = rest;
    if let Some(body) = rest.strip_prefix('{') {
        let mut chars = body.char_indices();
        let mut key = String::new();
        let end = loop {
            let (i, c) = chars.next().unwrap_or_else(|| panic!("labels: {line}"));
            match c {
                '}' if key.is_empty() => break i,
                ',' if key.is_empty() => {}
                '=' => {
                    assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
                    let mut value = String::new();
                    loop {
                        match chars.next().map(|(_, c)| c) {
                            Some('"') => break,
                            Some('\\') => match chars.next().map(|(_, c)| c) {
                                Some('n') => value.push('\n'),
                                Some(c @ ('\\' | '"')) => value.push(c),
                                other => panic!("escape {other:?}: {line}"),
                            },
                            Some(c) => value.push(c),
                            None => panic!("unterminated: {line}"),
                        }
                    }
                    assert!(
                        labels.insert(std::mem::take(&mut key), value).is_none(),
                        "label twice: {line}"
                    );
                }
                c if c.is_ascii_alphanumeric() || c == '_' => key.push(c),
                _ => panic!("label syntax: {line}"),
            }
        };
        rest = &body[end + 1..];
    }
    let value = rest.strip_prefix(' ').unwrap_or_else(|| panic!("{line}"));
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other
            .parse()
            .unwrap_or_else(|_| panic!("value {other:?}: {line}")),
    };
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

async fn scrape(harness: &Harness, key: &str) -> Exposition {
    let answer = harness
        .send(Method::GET, "/metrics", &[("x-api-key", key)], "")
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.headers["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    Exposition::parse(&answer.body)
}

#[tokio::test]
async fn metrics_need_an_admin_read_credential() {
    let harness = Harness::start(FRONT_DOOR).await;
    let none = harness.send(Method::GET, "/metrics", &[], "").await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{}", none.body);
    assert_eq!(none.json()["error"], "unauthorized");
    let wrong = harness
        .send(
            Method::GET,
            "/metrics",
            &[("x-api-key", "nope-0123456789abcdef")],
            "",
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", wrong.body);
    // A tenant's agent key has no admin role.
    let agent = harness
        .send(Method::GET, "/metrics", &[("x-api-key", KEY_A)], "")
        .await;
    assert_eq!(agent.status, StatusCode::FORBIDDEN, "{}", agent.body);
    assert!(!agent.body.contains("mcp_gateway"), "{}", agent.body);
    let post = harness
        .send(Method::POST, "/metrics", &[("x-api-key", ADMIN_KEY)], "")
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    // A viewer (read) and an admin may.
    for key in [VIEWER_KEY, ADMIN_KEY] {
        let exposition = scrape(&harness, key).await;
        assert_eq!(exposition.types["mcp_gateway_requests"], "counter");
        assert_eq!(
            exposition.types["mcp_gateway_request_duration_seconds"],
            "histogram"
        );
        assert_eq!(exposition.types["mcp_gateway_backend_up"], "gauge");
    }
    // The refusals above were counted, by reason.
    let exposition = scrape(&harness, VIEWER_KEY).await;
    for (reason, count) in [
        ("missing_credential", 1.0),
        ("invalid_api_key", 1.0),
        ("permission_denied", 1.0),
    ] {
        assert_eq!(
            exposition.get("mcp_gateway_auth_failure_total", &[("reason", reason)]),
            count,
            "{reason}"
        );
    }
    harness.stop().await;
}

#[tokio::test]
async fn counters_and_gauges_follow_the_traffic() {
    let harness = Harness::start(FRONT_DOOR).await;
    let before = scrape(&harness, VIEWER_KEY).await;
    let a = harness.session(KEY_A).await;
    let b = harness.session(KEY_B).await;
    for _ in 0..2 {
        assert_eq!(harness.call(&a, "charge").await.status, StatusCode::OK);
    }
    assert_eq!(harness.call(&b, "refund").await.status, StatusCode::OK);
    // Hidden from tenant:a: denied (refund) and unknown (nosuch).
    for tool in ["refund", "nosuch"] {
        let hidden = harness.call(&a, tool).await.json();
        assert_eq!(hidden["error"]["code"], -32602);
    }
    // A runtime withdrawal for tenant:b through the admin API.
    let withdraw = harness
        .send(
            Method::POST,
            "/api/admin/tools/payments/charge/withdraw",
            &[("x-api-key", ADMIN_KEY)],
            r#"{"tenant_id":"tenant:b"}"#,
        )
        .await;
    assert_eq!(withdraw.status, StatusCode::OK, "{}", withdraw.body);

    let after = scrape(&harness, VIEWER_KEY).await;
    let ok = [("server", "payments"), ("outcome", "ok")];
    assert_eq!(after.get("mcp_gateway_tool_calls_total", &ok), 3.0);
    for outcome in ["error", "timeout", "busy"] {
        let labels = [("server", "payments"), ("outcome", outcome)];
        assert_eq!(after.get("mcp_gateway_tool_calls_total", &labels), 0.0);
    }
    assert_eq!(
        after.get(
            "mcp_gateway_tool_call_duration_seconds_count",
            &[("server", "payments")]
        ),
        3.0
    );
    assert_eq!(after.get("mcp_gateway_tool_denials_total", &[]), 2.0);
    // Two initializes, two initialized notifications, five calls: on /mcp, 200 and 202.
    let mcp_ok = [("endpoint", "mcp"), ("status", "200")];
    assert_eq!(
        after.get("mcp_gateway_requests_total", &mcp_ok)
            - before
                .value("mcp_gateway_requests_total", &mcp_ok)
                .unwrap_or(0.0),
        7.0
    );
    assert_eq!(
        after.get(
            "mcp_gateway_requests_total",
            &[("endpoint", "mcp"), ("status", "202")]
        ),
        2.0
    );
    // The first scrape itself was counted on its endpoint, with its duration.
    assert!(
        after.get(
            "mcp_gateway_requests_total",
            &[("endpoint", "metrics"), ("status", "200")]
        ) >= 1.0
    );
    assert!(
        after.get(
            "mcp_gateway_request_duration_seconds_bucket",
            &[("endpoint", "mcp"), ("le", "+Inf")]
        ) >= 9.0
    );
    // Every request authenticated with an API key, and was timed.
    let api_key = after.get("mcp_gateway_auth_success_total", &[("method", "api_key")]);
    assert!(api_key >= 10.0, "{api_key}");
    assert!(after.get("mcp_gateway_auth_duration_seconds_count", &[]) >= api_key);
    // Withdrawals: legacy_charge (config, global); beta_tool (config) and charge
    // (runtime) for one tenant each.
    assert_eq!(
        after.get("mcp_gateway_withdrawals_active", &[("scope", "global")]),
        1.0
    );
    assert_eq!(
        after.get("mcp_gateway_withdrawals_active", &[("scope", "tenant")]),
        2.0
    );
    assert_eq!(
        after.get(
            "mcp_gateway_withdrawal_changes_total",
            &[("action", "withdraw")]
        ),
        1.0
    );
    assert_eq!(
        after.get(
            "mcp_gateway_withdrawal_changes_total",
            &[("action", "restore")]
        ),
        0.0
    );
    // The back end's state, and the sessions.
    let payments = [("server", "payments")];
    assert_eq!(after.get("mcp_gateway_backend_up", &payments), 1.0);
    assert_eq!(after.get("mcp_gateway_backend_tools", &payments), 4.0);
    assert_eq!(after.get("mcp_gateway_sessions_active", &[]), 2.0);
    assert_eq!(
        after.get("mcp_gateway_config_reloads_total", &[("result", "failed")]),
        0.0
    );
    assert_eq!(
        after.get("mcp_gateway_tls_handshake_failures_total", &[]),
        0.0
    );
    // The audit log is off: no audit counters.
    assert_eq!(after.value("mcp_gateway_audit_records_total", &[]), None);
    // No tenant, subject or tool in any label.
    for sample in &after.samples {
        for (name, value) in &sample.labels {
            assert!(
                !["tenant", "subject", "tool"].contains(&name.as_str()),
                "{sample:?}"
            );
            for secret in ["tenant:a", "tenant:b", "charge", "refund", KEY_A, KEY_B] {
                assert_ne!(value, secret, "{sample:?}");
            }
        }
    }

    // The admin stats read the same counters (their shape unchanged).
    let stats = harness
        .send(
            Method::GET,
            "/api/admin/stats",
            &[("x-api-key", VIEWER_KEY)],
            "",
        )
        .await
        .json();
    assert_eq!(stats["tool_calls_total"], 3, "{stats}");
    assert_eq!(stats["denials"], 2, "{stats}");
    assert_eq!(stats["tool_calls_by_tool"]["charge"], 2, "{stats}");
    assert_eq!(stats["tool_calls_by_tenant"]["tenant:b"], 1, "{stats}");
    let mcp_total: f64 = after
        .samples
        .iter()
        .filter(|s| {
            s.name == "mcp_gateway_requests_total"
                && s.labels.get("endpoint").map(String::as_str) == Some("mcp")
        })
        .map(|s| s.value)
        .sum();
    assert!(
        stats["requests_total"].as_f64() >= Some(mcp_total),
        "{stats}"
    );
    harness.stop().await;
}

#[tokio::test]
async fn egress_calls_are_counted_by_the_back_end_tool() {
    let harness = Harness::start(EGRESS).await;
    let session = harness.session("no-key-needed").await;
    let call = |tool: &str| format!(r#"{{"server":"payments","tool":"{tool}","arguments":{{}}}}"#);
    for tool in ["charge", "refund"] {
        let answer = harness
            .rpc(
                &session,
                "tools/call",
                &format!(r#"{{"name":"hangar_call","arguments":{}}}"#, call(tool)),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
    // Without auth the caller is anonymous, and has no admin role: the main listener's
    // /metrics stays closed to it; the metrics listener serves it.
    let anonymous = harness.send(Method::GET, "/metrics", &[], "").await;
    assert_eq!(
        anonymous.status,
        StatusCode::FORBIDDEN,
        "{}",
        anonymous.body
    );
    let listener = hangar_gateway::bind("127.0.0.1", 0).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let serving = tokio::spawn(harness.gateway.clone().serve_metrics(listener));
    let exposition = Exposition::parse(&get(addr, "/metrics", None).await.1);
    // charge went through, refund is denied by the server-level rule (hidden).
    assert_eq!(
        exposition.get(
            "mcp_gateway_tool_calls_total",
            &[("server", "payments"), ("outcome", "ok")]
        ),
        1.0
    );
    assert_eq!(exposition.get("mcp_gateway_tool_denials_total", &[]), 1.0);
    harness.stop().await;
    serving.await.expect("joined").expect("served");
}

/// `GET path` on `addr` over a fresh connection (`Connection: close`), with `host` as the
/// `Host` header (default: the address): the status and the body.
async fn get(addr: SocketAddr, path: &str, host: Option<&str>) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let host = host.map_or_else(|| addr.to_string(), str::to_owned);
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let response = String::from_utf8(response).expect("utf-8");
    let (head, body) = response.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    // Small bodies come with a Content-Length; chunked ones would need decoding.
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    (status, body.to_owned())
}

#[tokio::test]
async fn the_metrics_listener_serves_without_authentication() {
    let harness = Harness::start(FRONT_DOOR).await;
    let a = harness.session(KEY_A).await;
    assert_eq!(harness.call(&a, "charge").await.status, StatusCode::OK);
    let listener = hangar_gateway::bind("127.0.0.1", 0).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let serving = tokio::spawn(harness.gateway.clone().serve_metrics(listener));

    let (status, body) = get(addr, "/metrics", None).await;
    assert_eq!(status, 200, "{body}");
    let exposition = Exposition::parse(&body);
    assert_eq!(
        exposition.get(
            "mcp_gateway_tool_calls_total",
            &[("server", "payments"), ("outcome", "ok")]
        ),
        1.0
    );
    assert_eq!(get(addr, "/health", None).await.0, 200);
    // Nothing else is served there: not the admin API, not MCP.
    for path in ["/api/admin/stats", "/mcp", "/health/ready", "/"] {
        assert_eq!(get(addr, path, None).await.0, 404, "{path}");
    }
    // A loopback listener answers loopback host names only (DNS rebinding).
    assert_eq!(get(addr, "/metrics", Some("evil.example")).await.0, 403);
    assert_eq!(
        get(
            addr,
            "/metrics",
            Some(&format!("localhost:{}", addr.port()))
        )
        .await
        .0,
        200
    );
    // The listener's own requests are counted too (the two 200s and the 403 above; a
    // scrape is counted once answered).
    let (_, body) = get(addr, "/metrics", None).await;
    let exposition = Exposition::parse(&body);
    let metrics = |status| {
        exposition.get(
            "mcp_gateway_requests_total",
            &[("endpoint", "metrics"), ("status", status)],
        )
    };
    assert_eq!((metrics("200"), metrics("403")), (2.0, 1.0));
    // Shutdown ends it.
    harness.stop().await;
    tokio::time::timeout(std::time::Duration::from_secs(5), serving)
        .await
        .expect("the metrics listener stopped")
        .expect("joined")
        .expect("served");
}

#[tokio::test]
async fn disabled_metrics_are_404_on_both_listeners() {
    let config = format!("metrics:\n  enabled: false\n{FRONT_DOOR}");
    let harness = Harness::start(&config).await;
    let answer = harness
        .send(Method::GET, "/metrics", &[("x-api-key", ADMIN_KEY)], "")
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    assert_eq!(answer.json()["error"], "not_found");
    let listener = hangar_gateway::bind("127.0.0.1", 0).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let serving = tokio::spawn(harness.gateway.clone().serve_metrics(listener));
    assert_eq!(get(addr, "/metrics", None).await.0, 404);
    assert_eq!(get(addr, "/health", None).await.0, 200);
    harness.stop().await;
    serving.await.expect("joined").expect("served");
}

async fn reload(harness: &Harness) -> Answer {
    let key = [("x-api-key", ADMIN_KEY)];
    harness
        .send(Method::POST, "/api/admin/reload", &key, "")
        .await
}

#[tokio::test]
async fn a_changed_metrics_listen_is_refused_on_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, crate::support::literal_keys(FRONT_DOOR)).expect("write");
    let harness = Harness::start_from_file(&path).await;
    let yaml = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, format!("metrics:\n  listen: 127.0.0.1:9464\n{yaml}")).expect("write");
    let answer = reload(&harness).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert!(answer.body.contains("metrics.listen"), "{}", answer.body);
    // metrics.enabled may change live: off, then /metrics is 404.
    std::fs::write(&path, format!("metrics:\n  enabled: false\n{yaml}")).expect("write");
    let answer = reload(&harness).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["changed"][0], "metrics: changed");
    let gone = harness
        .send(Method::GET, "/metrics", &[("x-api-key", ADMIN_KEY)], "")
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    harness.stop().await;
}

const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

fn traceparent_parts(value: &str) -> (String, String, String) {
    let parts: Vec<&str> = value.split('-').collect();
    assert_eq!(parts.len(), 4, "{value}");
    assert_eq!(parts[0], "00", "{value}");
    assert_eq!(parts[1].len(), 32, "{value}");
    assert_eq!(parts[2].len(), 16, "{value}");
    assert!(
        value
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "{value}"
    );
    assert_ne!(parts[1], "0".repeat(32));
    assert_ne!(parts[2], "0".repeat(16));
    (
        parts[1].to_owned(),
        parts[2].to_owned(),
        parts[3].to_owned(),
    )
}

async fn call_with(
    harness: &Harness,
    session: &crate::support::Session,
    headers: &[(&str, &str)],
) -> Answer {
    let mut all = session.headers();
    all.extend_from_slice(headers);
    harness
        .post(
            &all,
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"charge","arguments":{}}}"#,
        )
        .await
}

#[tokio::test]
async fn a_call_carries_the_trace_context_to_the_back_end() {
    let payments = FakeUpstream::new(
        "payments",
        ["charge", "refund", "legacy_charge", "beta_tool"],
    );
    let harness = Harness::start_with_upstreams(
        FRONT_DOOR,
        hangar_gateway::Options::default(),
        payments,
        &[],
    )
    .await;
    let b = harness.session(KEY_B).await;
    // The caller's trace continues: same trace id, the gateway's span as the parent.
    let answer = call_with(
        &harness,
        &b,
        &[("traceparent", TRACEPARENT), ("tracestate", "rojo=1")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // An invalid one (upper-case hex) and none start new traces.
    let invalid = TRACEPARENT.to_ascii_uppercase();
    assert_eq!(
        call_with(&harness, &b, &[("traceparent", &invalid)])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(call_with(&harness, &b, &[]).await.status, StatusCode::OK);

    let received = harness.payments.received();
    let sent: Vec<String> = received
        .iter()
        .map(|r| r.traceparent.clone().expect("traced"))
        .collect();
    assert_eq!(sent.len(), 3, "{received:?}");
    let (trace, parent, flags) = traceparent_parts(&sent[0]);
    assert_eq!(trace, "0af7651916cd43dd8448eb211c80319c");
    assert_ne!(parent, "b7ad6b7169203331");
    assert_eq!(flags, "01");
    let (fresh_a, _, _) = traceparent_parts(&sent[1]);
    let (fresh_b, _, _) = traceparent_parts(&sent[2]);
    assert_ne!(fresh_a, "0af7651916cd43dd8448eb211c80319c");
    assert_ne!(fresh_a, fresh_b);
    // The params themselves are untouched (older protocol: header only, for HTTP).
    assert!(
        received
            .iter()
            .all(|r| !r.params.as_deref().unwrap_or("").contains("traceparent"))
    );
    harness.stop().await;
}

#[tokio::test]
async fn rate_limit_and_busy_refusals_are_counted() {
    let config = format!(
        "{}rate_limits:\n  per_tenant: {{requests_per_second: 1000, burst: 1000}}\n  tenants:\n    \"tenant:b\": {{requests_per_second: 1, burst: 1}}\n",
        FRONT_DOOR.replace(
            "    description: \"Payments backend\"\n",
            "    description: \"Payments backend\"\n    max_concurrency: 1\n",
        )
    );
    let payments = FakeUpstream::new("payments", ["charge", "refund"])
        .with_call_delay(std::time::Duration::from_millis(500));
    let harness =
        Harness::start_with_upstreams(&config, hangar_gateway::Options::default(), payments, &[])
            .await;
    // tenant:b's bucket holds one request: the second is refused (429).
    let ping = r#"{"jsonrpc":"2.0","id":0,"method":"ping"}"#;
    assert_eq!(
        harness.post(&[("x-api-key", KEY_B)], ping).await.status,
        StatusCode::BAD_REQUEST
    );
    let refused = harness.post(&[("x-api-key", KEY_B)], ping).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    // Two calls at once on a back end with max_concurrency 1: one is refused as busy.
    let a = harness.session(KEY_A).await;
    let (first, second) = tokio::join!(harness.call(&a, "charge"), harness.call(&a, "charge"));
    let busy = [&first, &second]
        .iter()
        .filter(|answer| answer.body.contains("Back end busy"))
        .count();
    assert_eq!(busy, 1, "{}\n{}", first.body, second.body);

    let exposition = scrape(&harness, VIEWER_KEY).await;
    assert_eq!(
        exposition.get("mcp_gateway_rate_limited_total", &[("scope", "tenant")]),
        1.0
    );
    assert_eq!(
        exposition.get("mcp_gateway_rate_limited_total", &[("scope", "source")]),
        0.0
    );
    let payments = [("server", "payments")];
    assert_eq!(
        exposition.get("mcp_gateway_backend_busy_total", &payments),
        1.0
    );
    for (outcome, count) in [("ok", 1.0), ("busy", 1.0)] {
        let labels = [("server", "payments"), ("outcome", outcome)];
        assert_eq!(
            exposition.get("mcp_gateway_tool_calls_total", &labels),
            count
        );
    }
    // 429s are requests answered too.
    assert_eq!(
        exposition.get(
            "mcp_gateway_requests_total",
            &[("endpoint", "mcp"), ("status", "429")]
        ),
        1.0
    );
    harness.stop().await;
}

#[tokio::test]
async fn the_audit_logs_counters_are_exported_when_it_is_on() {
    let (_dir, path, config) = with_audit_log(FRONT_DOOR);
    let harness = Harness::start(&config).await;
    let a = harness.session(KEY_A).await;
    assert_eq!(harness.call(&a, "charge").await.status, StatusCode::OK);
    // The writer thread writes soon after: wait for the counter to move.
    let mut written = 0.0;
    for _ in 0..100 {
        let exposition = scrape(&harness, VIEWER_KEY).await;
        written = exposition.get("mcp_gateway_audit_records_total", &[]);
        assert_eq!(exposition.get("mcp_gateway_audit_dropped_total", &[]), 0.0);
        if written >= 3.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // At least the session's two authentications and the call.
    assert!(written >= 3.0, "{written}");
    // A wrong key on /metrics is refused, and recorded like any refused credential.
    let refused = harness
        .send(
            Method::GET,
            "/metrics",
            &[("x-api-key", "wrong-key-0123456789abcdef")],
            "",
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    harness.stop().await;
    // Each scrape's credential check is an auth decision in the audit log.
    let text = std::fs::read_to_string(&path).expect("the audit file");
    let by = |needle: &str| text.lines().filter(|l| l.contains(needle)).count();
    assert!(by(r#""subject":"ops-viewer""#) >= 1, "{text}");
    assert_eq!(by(r#""reason":"invalid_api_key""#), 1, "{text}");
}
