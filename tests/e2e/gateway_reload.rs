//! Operating live through the real binaries: `mcp-hangar` in front of the Python payments
//! server, reloaded through the admin API (`hangarctl reload`) and by its file watch,
//! under concurrent load; concurrent withdraw/restore through the admin API.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::gateway::{Hangar, raw};
use crate::harness::{PaymentsServer, PythonEra};
use crate::support::hangarctl;

const KEY_A: &str = "e2e-reload-tenant-a-key-5d21";
const KEY_B: &str = "e2e-reload-tenant-b-key-0ac9";
const ADMIN_KEY: &str = "e2e-reload-ops-key-e0417c";

const KEYS: [(&str, &str); 3] = [
    ("TENANT_A_KEY", KEY_A),
    ("TENANT_B_KEY", KEY_B),
    ("ADMIN_KEY", ADMIN_KEY),
];

const RULE_B: &str = r#""tenant:b": { allow_list: [charge, refund] }"#;
const RULE_B_NARROW: &str = r#""tenant:b": { allow_list: [charge] }"#;

fn config(payments_url: &str) -> String {
    format!(
        r#"
tool_access:
  mode: front_door
auth:
  enabled: true
  allow_anonymous: false
  api_keys:
    - name: tenant-a-agent
      key: ${{TENANT_A_KEY}}
      tenant_id: "tenant:a"
    - name: tenant-b-agent
      key: ${{TENANT_B_KEY}}
      tenant_id: "tenant:b"
    - name: ops-admin
      key: ${{ADMIN_KEY}}
      roles: [admin]
mcp_servers:
  payments:
    mode: remote
    endpoint: {payments_url}
    tool_access:
      member:
        "tenant:a": {{ allow_list: [charge, refund] }}
        {RULE_B}
"#
    )
}

struct Setup {
    _payments: PaymentsServer,
    hangar: Hangar,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let payments = PaymentsServer::start(PythonEra::V1, &dir.path().join("headers.jsonl"));
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, config(&payments.url)).expect("write config");
    let state = tempfile::tempdir().expect("state dir");
    let hangar = Hangar::start_file(&path, &crate::support::repo_root(), &KEYS, state);
    Setup {
        _payments: payments,
        hangar,
        path,
        _dir: dir,
    }
}

fn rewrite(path: &std::path::Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read config");
    assert!(text.contains(from), "{from}");
    // In place (same file, truncated and rewritten).
    std::fs::write(path, text.replace(from, to)).expect("write config");
}

/// A stateless 2026-07-28 request with `key`.
fn mcp(hangar: &Hangar, key: &str, method: &str, name: Option<&str>, params: Value) -> Value {
    let mut params = params;
    params["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"});
    let mut headers = vec![
        ("X-API-Key", key),
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", method),
    ];
    if let Some(name) = name {
        headers.push(("Mcp-Name", name));
    }
    let answer = raw(
        "POST",
        &hangar.url,
        &headers,
        Some(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})),
    );
    if answer.status == 200 {
        answer.body
    } else {
        json!({"http_status": answer.status, "body": answer.body})
    }
}

fn list(hangar: &Hangar, key: &str) -> Vec<String> {
    let answer = mcp(hangar, key, "tools/list", None, json!({}));
    let mut names: Vec<String> = answer["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("tools: {answer}"))
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

fn admin(hangar: &Hangar, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let answer = raw(
        method,
        &format!("{}/api/admin/{path}", hangar.base),
        &[("X-API-Key", ADMIN_KEY)],
        body,
    );
    (answer.status, answer.body)
}

#[test]
fn a_broken_file_keeps_serving_and_the_reload_names_the_path() {
    let Setup {
        _payments,
        hangar,
        path,
        _dir,
    } = setup();
    assert_eq!(list(&hangar, KEY_B), ["charge", "refund"]);
    rewrite(
        &path,
        "  mode: front_door\n",
        "  mode: front_door\n  unlisted_tenants: maybe\n",
    );
    let output = hangarctl(&["reload", "--url", &hangar.base, "--api-key", ADMIN_KEY]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tool_access.unlisted_tenants"), "{stderr}");
    let (status, body) = admin(&hangar, "POST", "reload", None);
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["reloaded"], false);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("tool_access.unlisted_tenants")),
        "{body}"
    );
    // Still serving the old config.
    assert_eq!(list(&hangar, KEY_B), ["charge", "refund"]);
    let call = mcp(
        &hangar,
        KEY_B,
        "tools/call",
        Some("charge"),
        json!({"name": "charge", "arguments": {"amount": 5}}),
    );
    assert!(call["result"].is_object(), "{call}");
    let (status, stats) = admin(&hangar, "GET", "stats", None);
    assert_eq!(status, 200, "{stats}");
    assert!(stats["reloads"]["failed"].as_u64() >= Some(2), "{stats}");
    assert!(
        hangar.stderr().contains("config reload failed"),
        "{}",
        hangar.stderr()
    );
}

#[test]
fn a_reload_under_load_changes_the_tenants_surface_with_zero_failed_calls() {
    let Setup {
        _payments,
        hangar,
        path,
        _dir,
    } = setup();
    let hangar = Arc::new(hangar);
    assert_eq!(list(&hangar, KEY_B), ["charge", "refund"]);
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let (hangar, stop, calls, failures) = (
                Arc::clone(&hangar),
                Arc::clone(&stop),
                Arc::clone(&calls),
                Arc::clone(&failures),
            );
            std::thread::spawn(move || {
                let key = if i % 2 == 0 { KEY_A } else { KEY_B };
                while !stop.load(Ordering::Relaxed) {
                    let answer = mcp(
                        &hangar,
                        key,
                        "tools/call",
                        Some("charge"),
                        json!({"name": "charge", "arguments": {"amount": 5}}),
                    );
                    calls.fetch_add(1, Ordering::Relaxed);
                    if !answer["result"].is_object() || answer["result"]["isError"] == true {
                        failures.lock().expect("lock").push(answer);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1000));
    rewrite(&path, RULE_B, RULE_B_NARROW);
    let output = hangarctl(&[
        "reload",
        "--json",
        "--url",
        &hangar.base,
        "--api-key",
        ADMIN_KEY,
    ]);
    assert!(output.status.success(), "{output:?}");
    let answer: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(answer["reloaded"], true, "{answer}");
    // The file watch may have applied it first: then the summary is empty.
    assert_eq!(list(&hangar, KEY_B), ["charge"]);
    assert_eq!(list(&hangar, KEY_A), ["charge", "refund"]);
    std::thread::sleep(Duration::from_millis(2000));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().expect("worker");
    }
    let failures = failures.lock().expect("lock");
    let total = calls.load(Ordering::Relaxed);
    assert!(total > 20, "only {total} calls");
    assert!(
        failures.is_empty(),
        "{} of {total} calls failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    // Refund for tenant:b is now the hidden-existence answer.
    let refused = mcp(
        &hangar,
        KEY_B,
        "tools/call",
        Some("refund"),
        json!({"name": "refund", "arguments": {"charge_id": "c1"}}),
    );
    assert_eq!(
        refused["error"]["message"], "Unknown tool: refund",
        "{refused}"
    );
}

#[test]
fn concurrent_withdraw_and_restore_end_in_the_last_acknowledged_state() {
    let Setup {
        _payments,
        hangar,
        path: _,
        _dir,
    } = setup();
    let hangar = Arc::new(hangar);
    let start = Instant::now();
    // (sent, acknowledged, withdraw?) for every write.
    let log = Arc::new(Mutex::new(Vec::<(Duration, Duration, bool)>::new()));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (hangar, log) = (Arc::clone(&hangar), Arc::clone(&log));
            std::thread::spawn(move || {
                for i in 0..20 {
                    let withdraw = (t + i) % 2 == 0;
                    let action = if withdraw { "withdraw" } else { "restore" };
                    let sent = start.elapsed();
                    let (status, body) = admin(
                        &hangar,
                        "POST",
                        &format!("tools/payments/refund/{action}"),
                        Some(&json!({"tenant_id": "tenant:b"})),
                    );
                    let acknowledged = start.elapsed();
                    assert_eq!(status, 200, "{action}: {body}");
                    log.lock()
                        .expect("lock")
                        .push((sent, acknowledged, withdraw));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("writer");
    }
    let log = log.lock().expect("lock");
    assert_eq!(log.len(), 160);
    let last = *log.iter().max_by_key(|(_, ack, _)| *ack).expect("writes");
    // The writes the last acknowledged one may have raced with (their request and answer
    // overlap it): the store serialises them in an order the client cannot see.
    let overlapping: Vec<bool> = log
        .iter()
        .filter(|(sent, _, _)| *sent <= last.1)
        .filter(|(_, ack, _)| *ack >= last.0)
        .map(|(_, _, withdraw)| *withdraw)
        .collect();
    let (_, listed) = admin(&hangar, "GET", "withdrawals", None);
    let withdrawn = listed["withdrawals"]
        .as_array()
        .expect("withdrawals")
        .iter()
        .any(|w| w["tool"] == "refund" && w["tenant_id"] == "tenant:b");
    if overlapping.iter().all(|w| *w == last.2) {
        assert_eq!(withdrawn, last.2, "last acknowledged: {last:?}; {listed}");
    } else {
        assert!(overlapping.contains(&withdrawn), "{listed}");
    }
    // The surface agrees with the list.
    let b = list(&hangar, KEY_B);
    assert_eq!(
        b.contains(&"refund".to_owned()),
        !withdrawn,
        "{b:?} {listed}"
    );
    // And a final, uncontended write is what stays.
    let (status, _) = admin(
        &hangar,
        "POST",
        "tools/payments/refund/withdraw",
        Some(&json!({"tenant_id": "tenant:b"})),
    );
    assert_eq!(status, 200);
    assert_eq!(list(&hangar, KEY_B), ["charge"]);
}

#[test]
fn editing_the_file_in_place_reloads_within_seconds() {
    let Setup {
        _payments,
        hangar,
        path,
        _dir,
    } = setup();
    assert_eq!(list(&hangar, KEY_B), ["charge", "refund"]);
    rewrite(&path, RULE_B, RULE_B_NARROW);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let names = list(&hangar, KEY_B);
        if names == ["charge"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {names:?}; gateway:\n{}",
            hangar.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        hangar.stderr().contains("config reloaded"),
        "{}",
        hangar.stderr()
    );
    // Stats see the reload; the stop/start lifecycle through hangarctl.
    let stop = hangarctl(&[
        "stop",
        "payments",
        "--url",
        &hangar.base,
        "--api-key",
        ADMIN_KEY,
    ]);
    assert!(stop.status.success(), "{stop:?}");
    assert!(list(&hangar, KEY_B).is_empty());
    let again = hangarctl(&[
        "stop",
        "payments",
        "--url",
        &hangar.base,
        "--api-key",
        ADMIN_KEY,
    ]);
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    let start = hangarctl(&[
        "start",
        "payments",
        "--url",
        &hangar.base,
        "--api-key",
        ADMIN_KEY,
    ]);
    assert!(start.status.success(), "{start:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while list(&hangar, KEY_B) != ["charge"] {
        assert!(Instant::now() < deadline, "{}", hangar.stderr());
        std::thread::sleep(Duration::from_millis(100));
    }
    let stats = hangarctl(&[
        "stats",
        "--json",
        "--url",
        &hangar.base,
        "--api-key",
        ADMIN_KEY,
    ]);
    assert!(stats.status.success(), "{stats:?}");
    let stats: Value = serde_json::from_slice(&stats.stdout).expect("json");
    assert!(stats["reloads"]["ok"].as_u64() >= Some(1), "{stats}");
}
