//! The bundled first-run demo (`examples/demo/config.yaml` in front of the stdio
//! `hangar-demo-backend`) is a valid config whose back end is the built binary.

use serde_json::json;

use crate::gateway::{Hangar, raw};
use crate::harness::demo_backend;
use crate::support::{hangarctl, repo_root};

#[test]
fn the_demo_config_passes_config_check() {
    let output = hangarctl(&["config", "check", "examples/demo/config.yaml"]);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_demo_config_starts_the_built_demo_backend() {
    let config = std::fs::read_to_string(repo_root().join("examples/demo/config.yaml"))
        .expect("examples/demo/config.yaml");
    let command = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("command:"))
        .expect("a stdio command")
        .split('#')
        .next()
        .expect("value")
        .trim();
    assert_eq!(command, "target/debug/hangar-demo-backend");
    // Relative to the repository root, where the README's run command is run from.
    assert!(
        repo_root().join(command).exists() || demo_backend().exists(),
        "build it with `cargo build -p hangar-demo-backend`"
    );
}

/// The README's "Run" and gateway quick start: the real gateway on the demo config (from
/// the repository root, as the README runs it), then initialize, tools/list and
/// `hangar_call` as the README's curl lines send them.
#[test]
fn the_readme_quick_start_works_against_the_demo_config() {
    let root = repo_root();
    let dir = tempfile::tempdir().expect("tempdir");
    let hangar = Hangar::start_file(
        &root.join("examples/demo/config.yaml"),
        &root,
        &[("HANGAR_DEMO_KEY", "demo-key")],
        dir,
    );
    let auth = ("Authorization", "Bearer demo-key");
    let init = raw(
        "POST",
        &hangar.url,
        &[auth],
        Some(
            &json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
            "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}),
        ),
    );
    assert_eq!(
        init.body["result"]["serverInfo"]["name"], "mcp-hangar",
        "{init:?}"
    );
    let session = init.headers["mcp-session-id"].clone();
    let headers = [
        auth,
        ("Mcp-Session-Id", session.as_str()),
        ("MCP-Protocol-Version", "2025-11-25"),
    ];
    let list = raw(
        "POST",
        &hangar.url,
        &headers,
        Some(&json!({"jsonrpc":"2.0","id":2,"method":"tools/list"})),
    );
    let names: Vec<&str> = list.body["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "hangar_list_servers",
            "hangar_list_tools",
            "hangar_call",
            "hangar_status"
        ]
    );
    let call = raw(
        "POST",
        &hangar.url,
        &headers,
        Some(
            &json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"hangar_call",
            "arguments":{"server":"demo","tool":"add","arguments":{"a":2,"b":3}}}}),
        ),
    );
    assert_eq!(
        call.body,
        json!({"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"5"}],
            "isError":false,"structuredContent":{"sum":5}}})
    );
}
