//! Prompts and resources through the real `mcp-hangar` (front_door) in front of
//! `@modelcontextprotocol/server-everything`, with every official SDK client: a tenant
//! granted the back end's tools sees and uses its prompts and resources as it would
//! directly; a tenant granted none of them sees none and gets the hidden-existence error.

use serde_json::{Value, json};

use crate::gateway::{Hangar, raw};
use crate::harness::{Client, Era, Everything};

const KEY_A: &str = "e2e-passthrough-key-a-5d1c";
const KEY_B: &str = "e2e-passthrough-key-b-7e2f";

/// A readable document server-everything lists.
const DOCUMENT: &str = "demo://resource/static/document/features.md";

#[test]
fn prompts_and_resources_pass_through_under_the_tenant_policy() {
    let everything = Everything::start();
    let direct_prompts = Client::run(Era::Ts, &everything.url, &[], &["prompts"]);
    let direct_prompts = direct_prompts.ok().clone();
    assert!(
        direct_prompts
            .as_array()
            .is_some_and(|p| p.contains(&json!("simple-prompt"))),
        "{direct_prompts}"
    );
    let direct_resources = Client::run(Era::Ts, &everything.url, &[], &["resources"]);
    let direct_resources = direct_resources.ok().clone();
    assert!(
        direct_resources
            .as_array()
            .is_some_and(|r| r.contains(&json!(DOCUMENT))),
        "{direct_resources}"
    );
    let direct_read = Client::run(Era::Ts, &everything.url, &[], &["read", DOCUMENT]);
    let direct_text = direct_read.ok()["contents"][0]["text"].clone();
    assert!(direct_text.is_string(), "{}", direct_read.stdout);

    // tenant:b is named by no rule and the server has no `tools` block: it is granted
    // none of everything's tools, so it reaches none of its prompts or resources.
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
  everything:
    mode: remote
    endpoint: {}
    tool_access:
      member:
        "tenant:a": {{ allow_list: ["*"] }}
"#,
        everything.url
    );
    let hangar = Hangar::start(&config, &[("TENANT_A_KEY", KEY_A), ("TENANT_B_KEY", KEY_B)]);

    // The handshake announces what the back end offers.
    let init = raw(
        "POST",
        &hangar.url,
        &[("X-API-Key", KEY_A)],
        Some(&json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "e2e", "version": "1"}},
        })),
    );
    let capabilities = &init.body["result"]["capabilities"];
    for capability in ["tools", "prompts", "resources", "completions"] {
        assert!(
            capabilities.get(capability).is_some(),
            "{capability}: {init:?}"
        );
    }

    let a = [("X-API-Key", KEY_A)];
    let b = [("X-API-Key", KEY_B)];
    for era in [Era::Ts, Era::PyV1, Era::PyV2] {
        let prompts = Client::run(era, &hangar.url, &a, &["prompts"]);
        assert_eq!(prompts.ok(), &direct_prompts, "{era:?}");
        let resources = Client::run(era, &hangar.url, &a, &["resources"]);
        assert_eq!(resources.ok(), &direct_resources, "{era:?}");
        let read = Client::run(era, &hangar.url, &a, &["read", DOCUMENT]);
        assert_eq!(read.ok()["contents"][0]["text"], direct_text, "{era:?}");
        let prompt = Client::run(era, &hangar.url, &a, &["prompt", "simple-prompt"]);
        assert_eq!(
            prompt.ok()["messages"][0]["content"]["text"],
            "This is a simple prompt without arguments.",
            "{era:?}"
        );

        let none = Client::run(era, &hangar.url, &b, &["prompts"]);
        assert_eq!(none.ok(), &json!([]), "{era:?}");
        let none = Client::run(era, &hangar.url, &b, &["resources"]);
        assert_eq!(none.ok(), &json!([]), "{era:?}");
        // Unreachable and absent are the same answer.
        for (headers, name) in [(&b, "simple-prompt"), (&a, "no-such-prompt")] {
            let refused = Client::run(era, &hangar.url, headers, &["prompt", name]);
            assert_eq!(refused.code(), 3, "{era:?} {name}: {}", refused.stdout);
            assert_error(&refused.json, &format!("Unknown prompt: {name}"), era);
        }
        for (headers, uri) in [(&b, DOCUMENT), (&a, "demo://no/such")] {
            let refused = Client::run(era, &hangar.url, headers, &["read", uri]);
            assert_eq!(refused.code(), 3, "{era:?} {uri}: {}", refused.stdout);
            assert_error(&refused.json, &format!("Unknown resource: {uri}"), era);
        }
    }
}

/// `{"error":{"code":-32602,"message":…}}`, the message as the SDK reports it (some
/// prefix it with `MCP error -32602: `).
fn assert_error(output: &Value, message: &str, era: Era) {
    assert_eq!(output["error"]["code"], -32602, "{era:?}: {output}");
    let text = output["error"]["message"].as_str().unwrap_or_default();
    assert!(text.ends_with(message), "{era:?}: {output}");
}
