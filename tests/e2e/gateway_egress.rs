//! The real `mcp-hangar` in egress mode in front of the stdio demo back end: the
//! `hangar_*` tools through a real SDK client, and the child ends with the gateway.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::gateway::{Hangar, children_of, demo_command, is_running};
use crate::harness::{Client, Era};

const KEY: &str = "e2e-egress-key-4b0e";

#[test]
fn egress_tools_reach_the_stdio_demo_back_end_and_shutdown_stops_it() {
    let config = format!(
        r#"
tool_access:
  mode: egress
auth:
  enabled: true
  allow_anonymous: false
  api_keys:
    - name: agent
      key: ${{EGRESS_KEY}}
mcp_servers:
  demo:
    mode: stdio
    command: {demo}
    description: "Bundled demo back end"
    env:
      HANGAR_DEMO_IDENTITY: e2e
"#,
        demo = demo_command().display(),
    );
    let mut hangar = Hangar::start(&config, &[("EGRESS_KEY", KEY)]);
    let bearer = format!("Bearer {KEY}");
    let auth = [("Authorization", bearer.as_str())];

    let list = Client::run(Era::PyV1, &hangar.url, &auth, &["list"]);
    let names: Vec<&str> = list
        .ok()
        .as_array()
        .expect("names")
        .iter()
        .filter_map(|v| v.as_str())
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

    let servers = Client::run(
        Era::PyV1,
        &hangar.url,
        &auth,
        &["call", "hangar_list_servers", "{}"],
    );
    let servers = &servers.ok()["structuredContent"]["servers"];
    assert_eq!(servers[0]["name"], "demo", "{servers}");
    assert_eq!(servers[0]["status"], "ready", "{servers}");

    let tools = Client::run(
        Era::Ts,
        &hangar.url,
        &auth,
        &["call", "hangar_list_tools", r#"{"server":"demo"}"#],
    );
    let tools: Vec<&str> = tools.ok()["structuredContent"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(tools, ["echo", "add", "whoami"]);

    let arguments = json!({"server": "demo", "tool": "add", "arguments": {"a": 2, "b": 3}});
    let sum = Client::run(
        Era::PyV1,
        &hangar.url,
        &auth,
        &["call", "hangar_call", &arguments.to_string()],
    );
    assert_eq!(sum.ok()["structuredContent"]["sum"], 5, "{:?}", sum.json);

    // The stdio child is the gateway's; a graceful shutdown ends it.
    let children: Vec<u32> = children_of(hangar.pid())
        .into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.contains("hangar-demo-backend"))
        })
        .collect();
    assert_eq!(children.len(), 1, "one demo child: {children:?}");
    assert_eq!(hangar.stop(), Some(0), "clean exit:\n{}", hangar.stderr());
    let deadline = Instant::now() + Duration::from_secs(5);
    while is_running(children[0]) {
        assert!(
            Instant::now() < deadline,
            "the demo child outlived the gateway"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
