//! The real `mcp-hangar` in front_door mode (BEHAVIOUR.md §1) in front of the Python
//! 1.x payments server, driven by the official SDK clients and raw HTTP.

use serde_json::{Value, json};

use crate::gateway::{Hangar, raw, stateless_tool_names};
use crate::harness::{Client, Era, Everything, PaymentsServer, PythonEra};

const KEY_A: &str = "e2e-tenant-a-key-5d1c9b";
const KEY_B: &str = "e2e-tenant-b-key-8e27fa";

/// The reference scenario, with API keys that carry the tenants (from the child's env).
fn front_door_config(payments_url: &str) -> String {
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

const KEYS: [(&str, &str); 2] = [("TENANT_A_KEY", KEY_A), ("TENANT_B_KEY", KEY_B)];

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
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

struct Setup {
    payments: PaymentsServer,
    hangar: Hangar,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let payments = PaymentsServer::start(PythonEra::V1, &dir.path().join("headers.jsonl"));
    let hangar = Hangar::start(&front_door_config(&payments.url), &KEYS);
    Setup {
        payments,
        hangar,
        _dir: dir,
    }
}

#[test]
fn tenants_see_their_surface_and_hidden_tools_all_look_unknown() {
    let Setup {
        payments,
        hangar,
        _dir,
    } = setup();
    let a = bearer(KEY_A);
    let b = bearer(KEY_B);

    // tools/list per tenant, with the Python 1.x client and the TypeScript client.
    for era in [Era::PyV1, Era::Ts] {
        let list_a = Client::run(era, &hangar.url, &[("Authorization", &a)], &["list"]);
        assert_eq!(sorted_names(list_a.ok()), ["charge"], "{era:?} tenant:a");
        let list_b = Client::run(era, &hangar.url, &[("X-API-Key", KEY_B)], &["list"]);
        assert_eq!(
            sorted_names(list_b.ok()),
            ["charge", "refund"],
            "{era:?} tenant:b"
        );
    }

    // Denied (refund), unknown and withdrawn (legacy_charge) give the same error.
    for name in ["refund", "no_such_tool", "legacy_charge"] {
        let call = Client::run(
            Era::PyV1,
            &hangar.url,
            &[("Authorization", &a)],
            &["call", name, "{}"],
        );
        assert_eq!(call.code(), 3, "{name}: {call:?}");
        assert_eq!(
            call.json["error"],
            json!({"code": -32602, "message": format!("Unknown tool: {name}")}),
            "{name}"
        );
    }
    // The whole error objects on the wire, too (no `data` telling them apart).
    let errors: Vec<Value> = ["refund", "no_such_tool", "legacy_charge"]
        .iter()
        .map(|name| {
            let answer = stateless_call(&hangar.url, &a, name, name);
            assert_eq!(answer.status, 200, "{name}: {answer:?}");
            let mut error = answer.body["error"].clone();
            error["message"] = Value::String(
                error["message"]
                    .as_str()
                    .expect("a message")
                    .replace(name, "<name>"),
            );
            error
        })
        .collect();
    assert_eq!(
        errors[0],
        json!({"code": -32602, "message": "Unknown tool: <name>"})
    );
    assert!(errors.iter().all(|e| *e == errors[0]), "{errors:#?}");

    // tenant:b calls charge; the back end never sees a caller credential.
    let call = Client::run(
        Era::PyV1,
        &hangar.url,
        &[("Authorization", &b)],
        &["call", "charge", r#"{"amount":5}"#],
    );
    assert_eq!(
        call.json["structuredContent"]["charge_id"],
        "ch_5_EUR",
        "{call:?}\ngateway:\n{}\npayments:\n{}",
        hangar.stderr(),
        payments.stderr()
    );
    let requests = payments.requests();
    assert!(!requests.is_empty(), "the payments server saw no request");
    for request in &requests {
        let headers = request["headers"].to_string();
        for key in [KEY_A, KEY_B] {
            assert!(
                !headers.contains(key),
                "a caller's key reached the back end: {request}"
            );
        }
    }
}

/// A 2026-07-28 (stateless) `tools/call` of `body_name` with `Mcp-Name: header_name`.
fn stateless_call(
    url: &str,
    authorization: &str,
    header_name: &str,
    body_name: &str,
) -> crate::gateway::RawAnswer {
    raw(
        "POST",
        url,
        &[
            ("Authorization", authorization),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", header_name),
        ],
        Some(&json!({
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {
                "name": body_name,
                "arguments": {},
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"},
            },
        })),
    )
}

fn initialize(url: &str, authorization: &str) -> String {
    let answer = raw(
        "POST",
        url,
        &[("Authorization", authorization)],
        Some(&json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "e2e", "version": "1"},
            },
        })),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    answer
        .headers
        .get("mcp-session-id")
        .unwrap_or_else(|| panic!("no session id: {answer:?}"))
        .clone()
}

#[test]
fn no_credential_hijacked_sessions_and_header_mismatches_are_refused() {
    let Setup {
        payments,
        hangar,
        _dir,
    } = setup();
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});

    // No credential: 401 with the challenge.
    let answer = raw("POST", &hangar.url, &[], Some(&list));
    assert_eq!(answer.status, 401, "{answer:?}");
    let challenge = answer
        .headers
        .get("www-authenticate")
        .unwrap_or_else(|| panic!("no challenge: {answer:?}"));
    assert!(challenge.contains("ApiKey"), "{challenge}");
    assert_eq!(answer.body["error"], "unauthorized");

    // tenant:a's session presented with tenant:b's key: not found for tenant:b.
    let session = initialize(&hangar.url, &bearer(KEY_A));
    let own = raw(
        "POST",
        &hangar.url,
        &[
            ("Authorization", &bearer(KEY_A)),
            ("Mcp-Session-Id", &session),
            ("MCP-Protocol-Version", "2025-11-25"),
        ],
        Some(&list),
    );
    assert_eq!(own.status, 200, "{own:?}");
    let hijack = raw(
        "POST",
        &hangar.url,
        &[
            ("Authorization", &bearer(KEY_B)),
            ("Mcp-Session-Id", &session),
            ("MCP-Protocol-Version", "2025-11-25"),
        ],
        Some(&list),
    );
    assert_eq!(hijack.status, 404, "{hijack:?}");
    assert_eq!(hijack.body["error"]["code"], -32001, "{hijack:?}");
    assert!(hijack.body.get("result").is_none(), "{hijack:?}");

    // Mcp-Name says charge, the body says refund: -32020, nothing forwarded (the gateway
    // speaks 2025-11-25 to this back end: a forwarded call would be one more POST).
    let posts = || -> Vec<Value> {
        payments
            .requests()
            .into_iter()
            .filter(|r| r["method"] == "POST")
            .collect()
    };
    let before = posts().len();
    let mismatch = stateless_call(&hangar.url, &bearer(KEY_A), "charge", "refund");
    assert_eq!(mismatch.status, 400, "{mismatch:?}");
    assert_eq!(mismatch.body["error"]["code"], -32020, "{mismatch:?}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let after = posts();
    assert_eq!(
        after.len(),
        before,
        "the back end received requests: {:#?}",
        &after[before..]
    );
}

#[test]
fn a_2026_07_28_client_and_a_2025_06_18_client_list_tools_on_one_gateway() {
    let Setup {
        hangar,
        payments: _payments,
        _dir,
    } = setup();
    let b = bearer(KEY_B);
    let stateless = Client::run_with(
        Era::PyV2,
        &["--mode", "2026-07-28"],
        &hangar.url,
        &[("Authorization", &b)],
        &["list"],
    );
    assert_eq!(sorted_names(stateless.ok()), ["charge", "refund"]);
    let info = Client::run_with(
        Era::PyV2,
        &["--mode", "2026-07-28"],
        &hangar.url,
        &[("Authorization", &b)],
        &["info"],
    );
    assert_eq!(info.ok()["protocolVersion"], "2026-07-28");
    let old = Client::run_with(
        Era::PyV1,
        &["--protocol-version", "2025-06-18"],
        &hangar.url,
        &[("Authorization", &b)],
        &["list"],
    );
    assert_eq!(sorted_names(old.ok()), ["charge", "refund"]);
}

#[test]
fn a_tool_name_served_by_two_back_ends_leaves_the_flat_surface() {
    let everything = Everything::start();
    let everything_tools = Client::run(Era::Ts, &everything.url, &[], &["list"]);
    let everything_tools = sorted_names(everything_tools.ok());
    let demo_tools = ["add", "echo", "whoami"];
    assert!(
        everything_tools.iter().any(|t| t == "echo"),
        "{everything_tools:?}"
    );
    let mut expected: Vec<String> = demo_tools
        .iter()
        .map(|t| (*t).to_owned())
        .chain(everything_tools.iter().cloned())
        .filter(|t| !(demo_tools.contains(&t.as_str()) && everything_tools.contains(t)))
        .collect();
    expected.sort();
    expected.dedup();
    let config = format!(
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
mcp_servers:
  demo:
    mode: stdio
    command: {demo}
    tools: {{ allow_list: ["*"] }}
  everything:
    mode: remote
    endpoint: {everything}
    tools: {{ allow_list: ["*"] }}
"#,
        demo = crate::gateway::demo_command().display(),
        everything = everything.url,
    );
    let hangar = Hangar::start(&config, &KEYS);
    for key in [KEY_A, KEY_B] {
        let list = Client::run(Era::PyV1, &hangar.url, &[("X-API-Key", key)], &["list"]);
        let names = sorted_names(list.ok());
        assert!(!names.iter().any(|n| n == "echo"), "{names:?}");
        assert!(names.iter().any(|n| n == "whoami"), "{names:?}");
        assert_eq!(names, expected);
    }
    assert!(
        hangar.stderr().contains("dropped from the flat surface"),
        "the collision is not logged:\n{}",
        hangar.stderr()
    );
}

/// A 2026-07-28 `tools/list` as `authorization`: the tool names, sorted.
fn stateless_list(url: &str, authorization: &str) -> Vec<String> {
    stateless_tool_names(url, ("Authorization", authorization))
}

#[test]
fn a_back_end_tool_change_reaches_the_flat_surface() {
    let Setup {
        payments,
        hangar,
        _dir,
    } = setup();
    let a = bearer(KEY_A);
    assert_eq!(stateless_list(&hangar.url, &a), ["charge"]);
    // The gateway's session GET stream carries the back end's notifications.
    payments.wait_for_request("the gateway's GET stream", |r| r["method"] == "GET");
    payments.tools_changed(&json!({"add": "extra_tool"}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let names = stateless_list(&hangar.url, &a);
        if names == ["charge", "extra_tool"] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "tenant:a still sees {names:?}; gateway:\n{}",
            hangar.stderr()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // tenant:b's allow_list does not name it.
    assert_eq!(
        stateless_list(&hangar.url, &bearer(KEY_B)),
        ["charge", "refund"]
    );
}

#[test]
fn a_2026_07_28_listen_stream_carries_the_tenants_tool_changes() {
    let Setup {
        payments,
        hangar,
        _dir,
    } = setup();
    let url = hangar.url.clone();
    let listen = std::thread::spawn(move || {
        let a = bearer(KEY_A);
        Client::run_with(
            Era::PyV2,
            &["--mode", "2026-07-28"],
            &url,
            &[("Authorization", &a)],
            &["listen", "12"],
        )
    });
    // The client's stream opens at a moment the test cannot see (a loaded machine may
    // take seconds to start Python): a change tenant:a can see, once a second, until
    // the client has listened its 12 s. Any one of them reaching the stream is the proof.
    let mut n = 0;
    while !listen.is_finished() {
        std::thread::sleep(std::time::Duration::from_secs(1));
        n += 1;
        payments.tools_changed(&json!({"add": format!("extra_tool_{n}")}));
    }
    let output = listen.join().expect("listen thread");
    assert!(output.status.success(), "{output:?}");
    assert!(
        output.lines.iter().any(|line| {
            line["method"] == "notifications/tools/list_changed"
                && line["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"].is_string()
        }),
        "no tagged list_changed on the listen stream: {output:?}\ngateway:\n{}",
        hangar.stderr()
    );
}

#[test]
fn a_back_end_that_starts_after_the_gateway_is_picked_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A free port, released for the back end that comes later.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let hangar = Hangar::start(&front_door_config(&url), &KEYS);
    let b = bearer(KEY_B);
    assert_eq!(stateless_list(&hangar.url, &b), Vec::<String>::new());
    // argparse keeps the last --port.
    let port = port.to_string();
    let _payments = PaymentsServer::start_with(
        PythonEra::V1,
        &dir.path().join("headers.jsonl"),
        &["--port", &port],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let names = stateless_list(&hangar.url, &b);
        if names == ["charge", "refund"] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "tenant:b still sees {names:?}; gateway:\n{}",
            hangar.stderr()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
