//! The admin API through the real binaries: `hangarctl withdraw/restore` against the real
//! `mcp-hangar` in front of the Python payments server, seen by the official SDK clients
//! (BEHAVIOUR.md §1, the withdraw / restore / global / CLI rows).

use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};

use crate::gateway::{Hangar, stateless_tool_names};
use crate::harness::{Client, Era, PaymentsServer, PythonEra};
use crate::support::hangarctl;

const KEY_A: &str = "e2e-admin-tenant-a-key-31c7";
const KEY_B: &str = "e2e-admin-tenant-b-key-9f04";
const ADMIN_KEY: &str = "e2e-admin-ops-key-77ab20";

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
        "tenant:b": {{ allow_list: [charge, refund] }}
    tool_projection:
      withdrawn: [legacy_charge]
"#
    )
}

const KEYS: [(&str, &str); 3] = [
    ("TENANT_A_KEY", KEY_A),
    ("TENANT_B_KEY", KEY_B),
    ("ADMIN_KEY", ADMIN_KEY),
];

/// `hangarctl ARGS --url BASE --api-key ADMIN_KEY`.
fn ctl(hangar: &Hangar, args: &[&str]) -> Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--url", &hangar.base, "--api-key", ADMIN_KEY]);
    hangarctl(&all)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn ok_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "hangarctl failed: {output:?}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout(output)).unwrap_or_else(|e| panic!("json: {e}: {output:?}"))
}

/// A stateless 2026-07-28 `tools/list` with `key`: the sorted names.
fn list(hangar: &Hangar, key: &str) -> Vec<String> {
    stateless_tool_names(&hangar.url, ("X-API-Key", key))
}

struct Setup {
    _payments: PaymentsServer,
    hangar: Hangar,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let payments = PaymentsServer::start(PythonEra::V1, &dir.path().join("headers.jsonl"));
    let hangar = Hangar::start(&config(&payments.url), &KEYS);
    Setup {
        _payments: payments,
        hangar,
        _dir: dir,
    }
}

#[test]
fn hangarctl_withdraws_and_restores_for_one_tenant_and_for_all() {
    let Setup {
        _payments,
        hangar,
        _dir,
    } = setup();
    assert_eq!(list(&hangar, KEY_B), ["charge", "refund"]);

    let answer = ok_json(&ctl(
        &hangar,
        &[
            "withdraw",
            "payments/refund",
            "--tenant",
            "tenant:b",
            "--json",
        ],
    ));
    assert_eq!(
        answer,
        json!({"withdrawn":true,"mcp_server":"payments","tool":"refund","tenant_id":"tenant:b","known":true})
    );
    assert_eq!(list(&hangar, KEY_B), ["charge"]);
    assert_eq!(
        list(&hangar, KEY_A),
        ["charge", "refund"],
        "tenant:a unchanged"
    );
    // The official SDK client: the call is the hidden-existence error.
    let call = Client::run(
        Era::PyV1,
        &hangar.url,
        &[("X-API-Key", KEY_B)],
        &["call", "refund", r#"{"amount":5}"#],
    );
    assert_eq!(call.code(), 3, "{call:?}");
    assert_eq!(
        call.json["error"],
        json!({"code": -32602, "message": "Unknown tool: refund"})
    );
    // The human answer and the withdrawals list.
    let listed = ctl(&hangar, &["withdrawals"]);
    assert!(listed.status.success(), "{listed:?}");
    let text = stdout(&listed);
    assert!(
        text.contains("tenant:b") && text.contains("ops-admin"),
        "{text}"
    );

    let restored = ctl(
        &hangar,
        &["restore", "payments/refund", "--tenant", "tenant:b"],
    );
    assert!(restored.status.success(), "{restored:?}");
    assert_eq!(
        stdout(&restored),
        "restored payments/refund for tenant tenant:b\n"
    );
    assert_eq!(list(&hangar, KEY_B), ["charge", "refund"]);

    // Global: no --tenant.
    let answer = ok_json(&ctl(&hangar, &["withdraw", "payments/refund", "--json"]));
    assert_eq!(answer["tenant_id"], Value::Null);
    assert_eq!(list(&hangar, KEY_A), ["charge"]);
    assert_eq!(list(&hangar, KEY_B), ["charge"]);
    let answer = ok_json(&ctl(&hangar, &["restore", "payments/refund", "--json"]));
    assert_eq!(answer["restored"], true);
    assert_eq!(list(&hangar, KEY_A), ["charge", "refund"]);

    // A config-declared withdrawal stays, and the answer says so.
    let restored = ctl(&hangar, &["restore", "payments/legacy_charge"]);
    assert!(restored.status.success(), "{restored:?}");
    let text = stdout(&restored);
    assert!(text.contains("still withdrawn"), "{text}");
    assert!(text.contains("tool_projection.withdrawn"), "{text}");
    assert!(!list(&hangar, KEY_B).contains(&"legacy_charge".to_owned()));

    // The tenant's surface with reasons, the servers.
    let tools = ok_json(&ctl(&hangar, &["tools", "--tenant", "tenant:b", "--json"]));
    assert_eq!(tools["tenant"], "tenant:b");
    let servers = ok_json(&ctl(&hangar, &["servers", "--json"]));
    assert_eq!(servers["servers"][0]["id"], "payments");
    assert_eq!(servers["servers"][0]["state"], "ready");
}

#[test]
fn hangarctl_failures_have_their_exit_codes() {
    let Setup {
        _payments,
        hangar,
        _dir,
    } = setup();
    let unknown = ctl(&hangar, &["withdraw", "nosuch/refund"]);
    assert_eq!(unknown.status.code(), Some(3), "{unknown:?}");
    let no_key = hangarctl(&["withdraw", "payments/refund", "--url", &hangar.base]);
    assert_eq!(no_key.status.code(), Some(4), "{no_key:?}");
    assert!(
        String::from_utf8_lossy(&no_key.stderr).contains("HANGAR_API_KEY"),
        "{no_key:?}"
    );
    let forbidden = hangarctl(&[
        "withdraw",
        "payments/refund",
        "--url",
        &hangar.base,
        "--api-key",
        KEY_B,
    ]);
    assert_eq!(forbidden.status.code(), Some(4), "{forbidden:?}");
    // A port nothing listens on.
    let port = crate::gateway::free_port();
    let unreachable = hangarctl(&["servers", "--url", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(unreachable.status.code(), Some(69), "{unreachable:?}");
    assert!(
        String::from_utf8_lossy(&unreachable.stderr).contains("Is the gateway running"),
        "{unreachable:?}"
    );
}

#[test]
fn a_withdrawal_survives_kill_9_right_after_the_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let payments = PaymentsServer::start(PythonEra::V1, &dir.path().join("headers.jsonl"));
    let state = tempfile::tempdir().expect("state dir");
    let path = state.path().join("config.yaml");
    std::fs::write(&path, config(&payments.url)).expect("write config");
    let cwd = crate::support::repo_root();
    let data = tempfile::tempdir().expect("data dir");
    let data_dir = data.path().to_str().expect("utf-8 path").to_owned();
    let hangar = Hangar::start_file_with_data_dir(&path, &cwd, &KEYS, &data_dir);
    let answer = ok_json(&ctl(
        &hangar,
        &[
            "withdraw",
            "payments/refund",
            "--tenant",
            "tenant:b",
            "--json",
        ],
    ));
    assert_eq!(answer["withdrawn"], true);
    hangar.kill_9();
    let hangar = Hangar::start_file_with_data_dir(&path, &cwd, &KEYS, &data_dir);
    assert_eq!(list(&hangar, KEY_B), ["charge"]);
    assert_eq!(list(&hangar, KEY_A), ["charge", "refund"]);
    drop(payments);
}

#[test]
fn a_connected_client_hears_tools_list_changed_after_a_withdrawal() {
    let Setup {
        _payments,
        hangar,
        _dir,
    } = setup();
    let url = hangar.url.clone();
    let listen = std::thread::spawn(move || {
        Client::run_with(
            Era::PyV1,
            &[],
            &url,
            &[("X-API-Key", KEY_B)],
            &["listen", "8"],
        )
    });
    // Time for the client to start and open its stream.
    std::thread::sleep(Duration::from_secs(4));
    let answer = ok_json(&ctl(
        &hangar,
        &[
            "withdraw",
            "payments/refund",
            "--tenant",
            "tenant:b",
            "--json",
        ],
    ));
    assert_eq!(answer["withdrawn"], true);
    let output = listen.join().expect("listen thread");
    assert!(output.status.success(), "{output:?}");
    assert!(
        output
            .lines
            .iter()
            .any(|line| line["method"] == "notifications/tools/list_changed"),
        "no list_changed: {output:?}\ngateway:\n{}",
        hangar.stderr()
    );
}
