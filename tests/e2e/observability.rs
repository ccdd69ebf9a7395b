//! The real `mcp-hangar` observed as an operator observes it: W3C trace context reaching
//! a real back end (the Python payments server records every request's headers), JSON
//! log lines on stderr, and `/metrics` on the unauthenticated metrics listener.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::gateway::{Hangar, free_port, raw};
use crate::harness::{PaymentsServer, PythonEra};
use crate::support::binary;

const KEY: &str = "e2e-observability-key-3f9a1c";
const CALLER_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const CALLER_PARENT: &str = "b7ad6b7169203331";

fn config(payments_url: &str, metrics_port: u16) -> String {
    format!(
        r#"
tool_access:
  mode: front_door
auth:
  enabled: true
  allow_anonymous: false
  api_keys:
    - name: tenant-b-agent
      key: ${{TENANT_B_KEY}}
      tenant_id: "tenant:b"
metrics:
  listen: 127.0.0.1:{metrics_port}
mcp_servers:
  payments:
    mode: remote
    endpoint: {payments_url}
    tool_access:
      member:
        "tenant:b": {{ allow_list: [charge, refund] }}
"#
    )
}

/// A stateless (2026-07-28) `tools/call` of `charge`, with extra `headers`.
fn charge(url: &str, headers: &[(&str, &str)]) -> crate::gateway::RawAnswer {
    let bearer = format!("Bearer {KEY}");
    let mut all = vec![
        ("Authorization", bearer.as_str()),
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", "charge"),
    ];
    all.extend_from_slice(headers);
    raw(
        "POST",
        url,
        &all,
        Some(&json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {
                "name": "charge",
                "arguments": {"amount": 5},
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"},
            },
        })),
    )
}

/// `(trace id, parent id, flags)` of a valid version-00 `traceparent`.
fn parts(traceparent: &str) -> (String, String, String) {
    let fields: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(fields.len(), 4, "{traceparent}");
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let not_zero = |s: &str| s.bytes().any(|b| b != b'0');
    assert!(
        fields[0] == "00"
            && hex(fields[1], 32)
            && not_zero(fields[1])
            && hex(fields[2], 16)
            && not_zero(fields[2])
            && hex(fields[3], 2),
        "not a valid traceparent: {traceparent}"
    );
    (
        fields[1].to_owned(),
        fields[2].to_owned(),
        fields[3].to_owned(),
    )
}

/// The value of the exposition line `series` (name and labels exactly as written).
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|value| value.parse().ok())
    })
}

#[test]
fn trace_context_reaches_the_back_end_and_metrics_count_the_calls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let payments = PaymentsServer::start(PythonEra::V1, &dir.path().join("headers.jsonl"));
    let metrics_port = free_port();
    let hangar = Hangar::start(
        &config(&payments.url, metrics_port),
        &[("TENANT_B_KEY", KEY), ("HANGAR_LOG_FORMAT", "json")],
    );

    // A caller's trace continues through the gateway; a call without one gets a new trace.
    let traced = charge(
        &hangar.url,
        &[
            (
                "traceparent",
                &format!("00-{CALLER_TRACE}-{CALLER_PARENT}-01"),
            ),
            ("tracestate", "rojo=00f067aa0ba902b7"),
        ],
    );
    assert_eq!(traced.status, 200, "{traced:?}\n{}", hangar.stderr());
    assert_eq!(
        traced.body["result"]["structuredContent"]["charge_id"], "ch_5_EUR",
        "{traced:?}"
    );
    let untraced = charge(&hangar.url, &[]);
    assert_eq!(untraced.status, 200, "{untraced:?}");

    // What reached the back end: the two calls carry a traceparent, nothing else does.
    let requests = payments.requests();
    let sent: Vec<&Value> = requests
        .iter()
        .filter(|r| r["headers"].get("traceparent").is_some())
        .collect();
    assert_eq!(sent.len(), 2, "{requests:#?}");
    let (trace, parent, flags) = parts(sent[0]["headers"]["traceparent"].as_str().expect("text"));
    assert_eq!(trace, CALLER_TRACE, "the caller's trace continues");
    assert_ne!(parent, CALLER_PARENT, "the gateway's hop is a new span");
    assert_eq!(flags, "01");
    assert_eq!(sent[0]["headers"]["tracestate"], "rojo=00f067aa0ba902b7");
    let (fresh, fresh_parent, _) = parts(sent[1]["headers"]["traceparent"].as_str().expect("text"));
    assert_ne!(fresh, CALLER_TRACE, "a new trace");
    assert_ne!(fresh_parent, parent);
    assert!(sent[1]["headers"].get("tracestate").is_none());

    // The metrics listener: no credential needed, the calls and the auth counted.
    let metrics = format!("http://127.0.0.1:{metrics_port}/metrics");
    let answer = raw("GET", &metrics, &[], None);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(
        answer.headers["content-type"].starts_with("application/openmetrics-text"),
        "{answer:?}"
    );
    let exposition = answer.body.as_str().expect("text");
    assert!(exposition.ends_with("# EOF\n"), "{exposition}");
    assert_eq!(
        sample(
            exposition,
            r#"mcp_gateway_tool_calls_total{server="payments",outcome="ok"}"#
        ),
        Some(2.0),
        "{exposition}"
    );
    assert!(
        sample(
            exposition,
            r#"mcp_gateway_auth_success_total{method="api_key"}"#
        ) >= Some(2.0),
        "{exposition}"
    );
    assert_eq!(
        sample(exposition, r#"mcp_gateway_backend_up{server="payments"}"#),
        Some(1.0),
        "{exposition}"
    );
    assert_eq!(
        sample(
            exposition,
            r#"mcp_gateway_backend_tools{server="payments"}"#
        ),
        Some(4.0),
        "{exposition}"
    );
    // Never a key, a tenant or a tool name in the exposition.
    for secret in [KEY, "tenant:b", "charge"] {
        assert!(!exposition.contains(secret), "{secret} in {exposition}");
    }
    // On the main listener, /metrics needs an admin credential (this key has no role).
    let refused = raw(
        "GET",
        &format!("{}/metrics", hangar.base),
        &[("X-API-Key", KEY)],
        None,
    );
    assert_eq!(refused.status, 403, "{refused:?}");

    // HANGAR_LOG_FORMAT=json: every log line on stderr is a JSON object.
    let logs = hangar.stderr();
    let lines: Vec<Value> = logs
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "metrics listening"),
        "{logs}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string())
    );
}

/// The gateway binary on `config` with `args` before `serve`; its stderr once it printed
/// its ready line and was stopped with SIGTERM.
fn run_and_stop(config: &str, args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, config).expect("write config");
    let mut child = Command::new(binary("mcp-hangar"))
        .arg("--config")
        .arg(&path)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(args)
        .args(["serve", "--http", "--host", "127.0.0.1", "--port", "0"])
        .env("HANGAR_LOG", "info")
        .env_remove("HANGAR_LOG_FORMAT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mcp-hangar starts");
    let stdout = child.stdout.take().expect("stdout");
    let ready = BufReader::new(stdout).lines().next();
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("exit");
    assert!(
        matches!(ready, Some(Ok(ref line)) if line.starts_with("mcp-hangar listening on ")),
        "{ready:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn log_format_json_prints_json_lines_and_text_is_the_default() {
    let config = "tool_access: { mode: egress }\n";
    let (code, json_logs) = run_and_stop(config, &["--log-format", "json"]);
    assert_eq!(code, Some(0), "{json_logs}");
    let lines: Vec<Value> = json_logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .collect();
    let listening = lines
        .iter()
        .find(|l| l["fields"]["message"] == "listening")
        .unwrap_or_else(|| panic!("no listening line: {json_logs}"));
    assert_eq!(listening["level"], "INFO");
    assert!(listening["fields"]["local"].is_string(), "{listening}");
    assert!(lines.iter().any(|l| l["fields"]["message"] == "stopped"));

    let (code, text_logs) = run_and_stop(config, &[]);
    assert_eq!(code, Some(0), "{text_logs}");
    assert!(text_logs.contains("listening"), "{text_logs}");
    assert!(
        text_logs
            .lines()
            .all(|line| serde_json::from_str::<Value>(line).is_err()),
        "{text_logs}"
    );

    // An unknown format is a usage error (exit 2), named in the message.
    let output = Command::new(binary("mcp-hangar"))
        .args(["--log-format", "xml", "serve"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("xml"));
}
