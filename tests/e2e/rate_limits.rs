//! Rate limits through the real `mcp-hangar`: three API-key tenants call the stdio demo
//! back end's `echo` at once for a few seconds; `tenant:a` has a low rate of its own
//! (`rate_limits.tenants`) and is driven far past it, `tenant:b` and `tenant:c` stay
//! within the default `per_tenant` rate. tenant:a gets `429`s with `Retry-After` and
//! the JSON-RPC body; the other two get only results.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::gateway::{Hangar, RawAnswer, demo_command, raw};

const KEYS: [(&str, &str, &str); 3] = [
    ("RL_KEY_A", "e2e-rate-a-key-4f1c07", "tenant:a"),
    ("RL_KEY_B", "e2e-rate-b-key-9a3e52", "tenant:b"),
    ("RL_KEY_C", "e2e-rate-c-key-21d8bb", "tenant:c"),
];
/// How long the three callers run.
const LOAD: Duration = Duration::from_secs(3);
/// tenant:a's own rate: 2 per second, bursts of 4.
const A_RATE: u64 = 2;
const A_BURST: u64 = 4;

fn config() -> String {
    let mut keys = String::new();
    for (var, _, tenant) in KEYS {
        keys.push_str(&format!(
            "    - name: agent-{tenant}\n      key: ${{{var}}}\n      tenant_id: \"{tenant}\"\n"
        ));
    }
    format!(
        r#"
tool_access:
  mode: front_door
auth:
  enabled: true
  allow_anonymous: false
  api_keys:
{keys}mcp_servers:
  demo:
    mode: stdio
    command: {demo}
    tools: {{ allow_list: [echo] }}
rate_limits:
  per_tenant: {{ requests_per_second: 500, burst: 500 }}
  tenants:
    "tenant:a": {{ requests_per_second: {A_RATE}, burst: {A_BURST} }}
"#,
        demo = demo_command().display()
    )
}

/// One stateless 2026-07-28 `tools/call` of `echo`.
fn echo(url: &str, key: &str) -> RawAnswer {
    raw(
        "POST",
        url,
        &[
            ("X-API-Key", key),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "echo"),
        ],
        Some(&json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {
                "name": "echo",
                "arguments": {"text": "hi"},
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"},
            },
        })),
    )
}

/// Calls `echo` with `key` until [`LOAD`] has passed, pausing `pause` between calls.
fn drive(url: String, key: &'static str, pause: Duration) -> Vec<RawAnswer> {
    let end = Instant::now() + LOAD;
    let mut answers = Vec::new();
    while Instant::now() < end {
        answers.push(echo(&url, key));
        std::thread::sleep(pause);
    }
    answers
}

fn is_result(answer: &RawAnswer) -> bool {
    answer.status == 200 && answer.body["result"]["content"][0]["text"] == "hi"
}

#[test]
fn a_tenant_over_its_limit_gets_429s_while_two_others_are_served() {
    let env: Vec<(&str, &str)> = KEYS.iter().map(|(var, key, _)| (*var, *key)).collect();
    let hangar = Hangar::start(&config(), &env);
    let callers: Vec<_> = KEYS
        .iter()
        .map(|&(_, key, tenant)| {
            let url = hangar.url.clone();
            // tenant:a as fast as it can; the others about 50 calls a second each.
            let pause = if tenant == "tenant:a" {
                Duration::ZERO
            } else {
                Duration::from_millis(20)
            };
            std::thread::spawn(move || drive(url, key, pause))
        })
        .collect();
    let mut answers: Vec<Vec<RawAnswer>> = callers
        .into_iter()
        .map(|caller| caller.join().expect("caller thread"))
        .collect();
    let c = answers.pop().expect("tenant:c");
    let b = answers.pop().expect("tenant:b");
    let a = answers.pop().expect("tenant:a");

    for (tenant, answers) in [("tenant:b", &b), ("tenant:c", &c)] {
        assert!(
            answers.len() >= 20,
            "{tenant}: only {} calls",
            answers.len()
        );
        let failed: Vec<&RawAnswer> = answers.iter().filter(|a| !is_result(a)).collect();
        assert!(failed.is_empty(), "{tenant}: {failed:?}");
    }

    let served = a.iter().filter(|a| is_result(a)).count() as u64;
    let refused: Vec<&RawAnswer> = a.iter().filter(|a| a.status == 429).collect();
    assert_eq!(
        served + refused.len() as u64,
        a.len() as u64,
        "tenant:a: only results and 429s: {:?}",
        a.iter().find(|a| !is_result(a) && a.status != 429)
    );
    // The burst, then about the rate (one more second of slack for timing).
    let most = A_BURST + A_RATE * (LOAD.as_secs() + 1);
    assert!(
        (A_BURST..=most).contains(&served),
        "tenant:a served {served}"
    );
    assert!(
        refused.len() >= 10,
        "tenant:a refused only {}",
        refused.len()
    );
    for answer in refused {
        let retry_after: u64 = answer.headers["retry-after"]
            .parse()
            .expect("Retry-After in whole seconds");
        assert!(retry_after >= 1, "{answer:?}");
        let error = &answer.body["error"];
        assert_eq!(error["code"], -32029, "{answer:?}");
        assert_eq!(error["data"]["scope"], "tenant");
        assert_eq!(error["data"]["retryAfterSeconds"], Value::from(retry_after));
        assert!(answer.body["id"].is_null());
    }
}
