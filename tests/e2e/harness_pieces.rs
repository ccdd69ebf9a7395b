//! Each third-party test piece works on its own (no gateway): the official SDK clients
//! against the payments back ends of both Python SDK eras, server-everything and the
//! stdio demo back end, and the headers log records what a client sent.

use serde_json::{Value, json};

use crate::harness::{Client, Era, Everything, PaymentsServer, PythonEra, demo_backend};

const PAYMENTS_TOOLS: [&str; 4] = ["charge", "refund", "legacy_charge", "beta_tool"];

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("a JSON list of tool names: {list}"))
        .iter()
        .map(|n| n.as_str().expect("tool name"))
        .collect()
}

fn log_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("headers.jsonl")
}

#[test]
fn python_v1_client_lists_and_calls_the_v1_payments_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = PaymentsServer::start(PythonEra::V1, &log_path(&dir));
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );

    let list = Client::run(Era::PyV1, &server.url, &[], &["list"]);
    assert_eq!(names(list.ok()), PAYMENTS_TOOLS);

    let call = Client::run(
        Era::PyV1,
        &server.url,
        &[],
        &["call", "charge", r#"{"amount":5}"#],
    );
    let result = call.ok();
    assert_eq!(result["isError"], false);
    assert_eq!(
        result["structuredContent"],
        json!({"charge_id":"ch_5_EUR","amount":5,"currency":"EUR","status":"succeeded"})
    );

    let info = Client::run(Era::PyV1, &server.url, &[], &["info"]);
    assert_eq!(info.ok()["protocolVersion"], "2025-11-25");
}

#[test]
fn python_v1_client_offers_2025_06_18() {
    let dir = tempfile::tempdir().unwrap();
    let server = PaymentsServer::start(PythonEra::V1, &log_path(&dir));
    let info = Client::run_with(
        Era::PyV1,
        &["--protocol-version", "2025-06-18"],
        &server.url,
        &[],
        &["info"],
    );
    assert_eq!(info.ok()["protocolVersion"], "2025-06-18");
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r["headers"]["mcp-protocol-version"] == "2025-06-18"),
        "{requests:#?}"
    );
}

#[test]
fn python_v2_client_speaks_2026_07_28_to_the_v2_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = PaymentsServer::start(PythonEra::V2, &log_path(&dir));

    let info = Client::run(Era::PyV2, &server.url, &[], &["info"]);
    assert_eq!(info.ok()["protocolVersion"], "2026-07-28");
    let list = Client::run(Era::PyV2, &server.url, &[], &["list"]);
    assert_eq!(names(list.ok()), PAYMENTS_TOOLS);
    let call = Client::run(
        Era::PyV2,
        &server.url,
        &[],
        &["call", "refund", r#"{"charge_id":"ch_1"}"#],
    );
    let result = call.ok();
    assert_eq!(result["resultType"], "complete");
    assert_eq!(
        result["structuredContent"],
        json!({"refund_id":"re_ch_1","charge_id":"ch_1","status":"refunded"})
    );

    // 2026-07-28 requests carry the routing headers and no session.
    let requests = server.requests();
    let call_request = requests
        .iter()
        .find(|r| r["headers"]["mcp-method"] == "tools/call")
        .unwrap_or_else(|| panic!("no tools/call with Mcp-Method: {requests:#?}"));
    assert_eq!(call_request["headers"]["mcp-name"], "refund");
    assert_eq!(
        call_request["headers"]["mcp-protocol-version"],
        "2026-07-28"
    );
    assert!(call_request["headers"].get("mcp-session-id").is_none());
}

#[test]
fn python_v2_client_in_legacy_mode_uses_the_handshake_with_the_v2_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = PaymentsServer::start(PythonEra::V2, &log_path(&dir));
    let info = Client::run_with(
        Era::PyV2,
        &["--mode", "legacy"],
        &server.url,
        &[],
        &["info"],
    );
    assert_eq!(info.ok()["protocolVersion"], "2025-11-25");
    let call = Client::run_with(
        Era::PyV2,
        &["--mode", "legacy"],
        &server.url,
        &[],
        &["call", "beta_tool", "{}"],
    );
    assert_eq!(call.ok()["content"][0]["text"], "beta ok");
}

#[test]
fn python_eras_interoperate_through_the_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = PaymentsServer::start(PythonEra::V1, &dir.path().join("v1.jsonl"));
    let v2 = PaymentsServer::start(PythonEra::V2, &dir.path().join("v2.jsonl"));

    // The 2.x client (auto mode) probes server/discover, falls back to initialize on a 1.x server.
    let info = Client::run(Era::PyV2, &v1.url, &[], &["info"]);
    assert_eq!(info.ok()["protocolVersion"], "2025-11-25");
    let list = Client::run(Era::PyV2, &v1.url, &[], &["list"]);
    assert_eq!(names(list.ok()), PAYMENTS_TOOLS);

    // The 1.x client's handshake is still answered by a 2.x server.
    let info = Client::run(Era::PyV1, &v2.url, &[], &["info"]);
    assert_eq!(info.ok()["protocolVersion"], "2025-11-25");
    let call = Client::run(
        Era::PyV1,
        &v2.url,
        &[],
        &["call", "legacy_charge", r#"{"amount":3}"#],
    );
    assert_eq!(call.ok()["structuredContent"]["charge_id"], "lch_3");

    // A 2.x client pinned to 2026-07-28 (no probe, no handshake) is refused by a 1.x
    // server: it has no session id.
    let pinned = Client::run_with(
        Era::PyV2,
        &["--mode", "2026-07-28"],
        &v1.url,
        &[],
        &["list"],
    );
    assert_eq!(pinned.code(), 3, "{pinned:?}");
    assert_eq!(pinned.json["error"]["code"], -32600);
}

#[test]
fn stateless_payments_servers_answer_both_eras() {
    let dir = tempfile::tempdir().unwrap();
    for era in [PythonEra::V1, PythonEra::V2] {
        let server =
            PaymentsServer::start_with(era, &log_path(&dir), &["--stateless", "--json-response"]);
        let list = Client::run(Era::PyV1, &server.url, &[], &["list"]);
        assert_eq!(names(list.ok()), PAYMENTS_TOOLS, "{era:?}");
        let list = Client::run(Era::Ts, &server.url, &[], &["list"]);
        assert_eq!(names(list.ok()), PAYMENTS_TOOLS, "{era:?}");
    }
}

#[test]
fn headers_log_records_the_authorization_header_a_client_sent() {
    let dir = tempfile::tempdir().unwrap();
    for (era, client) in [
        (PythonEra::V1, Era::PyV1),
        (PythonEra::V2, Era::PyV2),
        (PythonEra::V1, Era::Ts),
    ] {
        let log = dir.path().join(format!("{era:?}-{client:?}.jsonl"));
        let server = PaymentsServer::start(era, &log);
        let token = format!("caller-token-{client:?}");
        let list = Client::run(
            client,
            &server.url,
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("X-Trace", "t1"),
            ],
            &["list"],
        );
        assert_eq!(names(list.ok()), PAYMENTS_TOOLS);
        let requests = server.requests();
        assert!(!requests.is_empty(), "nothing recorded for {client:?}");
        for request in &requests {
            assert_eq!(request["path"], "/mcp");
            assert_eq!(
                request["headers"]["authorization"],
                format!("Bearer {token}"),
                "{client:?}: {request}"
            );
            assert_eq!(request["headers"]["x-trace"], "t1");
        }
        assert!(requests.iter().any(|r| r["method"] == "POST"));
    }
}

#[test]
fn unknown_tools_are_tool_errors_in_both_python_eras() {
    // What the SDK back ends do on their own, for comparison with the gateway's -32602.
    let dir = tempfile::tempdir().unwrap();
    let v1 = PaymentsServer::start(PythonEra::V1, &log_path(&dir));
    let call = Client::run(Era::PyV1, &v1.url, &[], &["call", "nope", "{}"]);
    assert_eq!(call.ok()["isError"], true);
    assert_eq!(call.json["content"][0]["text"], "Unknown tool: nope");
}

#[test]
fn ts_client_lists_and_calls_server_everything() {
    let everything = Everything::start();
    assert!(
        everything.url.starts_with("http://127.0.0.1:"),
        "{}",
        everything.url
    );
    let list = Client::run(Era::Ts, &everything.url, &[], &["list"]);
    let tools = names(list.ok());
    assert!(tools.contains(&"echo"), "{tools:?}");
    assert!(tools.contains(&"get-sum"), "{tools:?}");
    let echo = Client::run(
        Era::Ts,
        &everything.url,
        &[],
        &["call", "echo", r#"{"message":"hello"}"#],
    );
    assert_eq!(echo.ok()["content"][0]["text"], "Echo: hello");
    let info = Client::run(Era::Ts, &everything.url, &[], &["info"]);
    assert_eq!(info.ok()["protocolVersion"], "2025-11-25");
    assert!(!everything.version().is_empty());
}

#[test]
fn python_clients_reach_server_everything() {
    let everything = Everything::start();
    for era in [Era::PyV1, Era::PyV2] {
        let echo = Client::run(
            era,
            &everything.url,
            &[],
            &["call", "echo", r#"{"message":"py"}"#],
        );
        assert_eq!(echo.ok()["content"][0]["text"], "Echo: py", "{era:?}");
    }
}

#[test]
fn ts_client_reports_http_errors_and_json_rpc_errors() {
    // A closed port: a transport failure, exit 1.
    let closed = Client::run(Era::Ts, "http://127.0.0.1:9/mcp", &[], &["list"]);
    assert_eq!(closed.code(), 1, "{closed:?}");
    let everything = Everything::start();
    let unknown = Client::run(Era::Ts, &everything.url, &[], &["call", "nope", "{}"]);
    // server-everything answers an unknown tool with an isError result.
    assert_eq!(unknown.ok()["isError"], true);
}

#[test]
fn python_v1_sdk_speaks_stdio_to_the_demo_backend() {
    let command = demo_backend().display().to_string();
    let list = Client::run(Era::PyV1, &command, &[], &["list"]);
    assert_eq!(names(list.ok()), ["echo", "add", "whoami"]);
    let add = Client::run(
        Era::PyV1,
        &command,
        &[],
        &["call", "add", r#"{"a":2,"b":40}"#],
    );
    assert_eq!(add.ok()["structuredContent"], json!({"sum": 42}));
    let unknown = Client::run(Era::PyV1, &command, &[], &["call", "nope", "{}"]);
    assert_eq!(unknown.code(), 3, "{unknown:?}");
    assert_eq!(
        unknown.json["error"],
        json!({"code": -32602, "message": "Unknown tool: nope"})
    );
}

/// Each client listens while the server's tool list changes, and hears it once.
fn clients_hear_tools_list_changed(server_era: PythonEra, clients: &[(Era, &[&str])]) {
    let dir = tempfile::tempdir().unwrap();
    for (i, (client, options)) in clients.iter().enumerate() {
        let server = PaymentsServer::start(server_era, &dir.path().join(format!("{i}.jsonl")));
        let listener = Client::listen(*client, options, &server.url, 5);
        let modern = server_era == PythonEra::V2 && *client == Era::PyV2 && options.is_empty();
        if modern {
            server.wait_for_request("subscriptions/listen", |r| {
                r["headers"]["mcp-method"] == "subscriptions/listen"
            });
        } else {
            server.wait_for_request("the GET stream", |r| r["method"] == "GET");
        }
        let answer = server.tools_changed(&json!({"add": "extra_tool"}));
        assert_eq!(
            names(&answer["tools"]),
            [
                "charge",
                "refund",
                "legacy_charge",
                "beta_tool",
                "extra_tool"
            ]
        );
        let output = listener.join().expect("listener thread");
        output.ok();
        let case = format!("{server_era:?} server, {client:?} client {options:?}");
        assert_eq!(output.lines.len(), 1, "{case}: {output:?}");
        assert_eq!(
            output.lines[0]["method"], "notifications/tools/list_changed",
            "{case}"
        );
        let list = Client::run(Era::PyV1, &server.url, &[], &["list"]);
        assert!(names(list.ok()).contains(&"extra_tool"), "{case}");
    }
}

#[test]
fn every_client_hears_tools_list_changed_from_the_v1_server() {
    clients_hear_tools_list_changed(
        PythonEra::V1,
        &[(Era::PyV1, &[]), (Era::PyV2, &[]), (Era::Ts, &[])],
    );
}

#[test]
fn every_client_hears_tools_list_changed_from_the_v2_server() {
    // The 2.x client in auto mode listens with subscriptions/listen (2026-07-28); the
    // others on the handshake session's GET stream.
    clients_hear_tools_list_changed(
        PythonEra::V2,
        &[
            (Era::PyV2, &[]),
            (Era::PyV2, &["--mode", "legacy"]),
            (Era::Ts, &[]),
        ],
    );
}
