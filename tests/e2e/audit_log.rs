//! The audit log through the real binaries (issue 6's acceptance check): the real
//! `mcp-hangar` in front_door mode with API keys and a real OpenID provider, the demo
//! back end, `audit.enabled`; a mixed sequence of decisions (allowed calls, hidden tools,
//! a bad key, no credential, a bad token, a refused and an accepted admin withdraw);
//! then, after a SIGTERM drain: one record per decision (counted by kind and verdict),
//! no credential in the file, `hangarctl audit verify` passes, and one edited line makes
//! it fail naming that line.

use std::collections::BTreeMap;
use std::process::Output;

use serde_json::{Value, json};

use crate::gateway::{Hangar, RawAnswer, demo_command, free_port, raw, stateless_tool_names};
use crate::harness::OidcProvider;
use crate::support::hangarctl;

const KEY_A: &str = "k3y-audit-a-5f1e9c27d4";
const KEY_B: &str = "k3y-audit-b-83a0e6b1f2";
const ADMIN_KEY: &str = "k3y-audit-ops-c94d2e7a10";
const WRONG_KEY: &str = "k3y-audit-wrong-0b7e33c5";
const BAD_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJlLWZha2U";

fn config(issuer: &str, resource: &str, audit: &str) -> String {
    format!(
        r#"
tool_access:
  mode: front_door
auth:
  enabled: true
  allow_anonymous: false
  api_keys:
    - name: tenant-a-agent
      key: ${{KEY_A}}
      tenant_id: "tenant:a"
    - name: tenant-b-agent
      key: ${{KEY_B}}
      tenant_id: "tenant:b"
    - name: ops-admin
      key: ${{ADMIN_KEY}}
      roles: [admin]
  oidc:
    enabled: true
    issuer: {issuer}
    audience: mcp-hangar
    resource_uri: {resource}
    tenant_claim: tenant_id
audit:
  enabled: true
  path: {audit}
mcp_servers:
  demo:
    mode: stdio
    command: {demo}
    tool_access:
      member:
        "tenant:a": {{ deny_list: [whoami] }}
        "tenant:b": {{ allow_list: [echo, add, whoami] }}
"#,
        demo = demo_command().display()
    )
}

/// A stateless 2026-07-28 `tools/call` of `tool` with `headers` (a credential, or none).
fn call(hangar: &Hangar, headers: &[(&str, &str)], tool: &str) -> RawAnswer {
    let mut all = vec![
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", tool),
    ];
    all.extend_from_slice(headers);
    raw(
        "POST",
        &hangar.url,
        &all,
        Some(&json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {
                "name": tool,
                "arguments": {"a": 2, "b": 3, "text": "hi"},
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"},
            },
        })),
    )
}

fn hidden(answer: &RawAnswer, tool: &str) {
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.body["error"],
        json!({"code": -32602, "message": format!("Unknown tool: {tool}")}),
        "{answer:?}"
    );
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{output:?}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every substring of `secret` at least `len` long is absent from `text`: checking each
/// window of `len` characters is enough.
fn assert_no_part_of(text: &str, secret: &str, len: usize) {
    let chars: Vec<char> = secret.chars().collect();
    for window in chars.windows(len.min(chars.len())) {
        let part: String = window.iter().collect();
        assert!(
            !text.contains(&part),
            "the audit file holds {part:?}, part of a credential"
        );
    }
}

#[test]
fn the_audit_file_has_one_record_per_decision_no_credential_and_a_verifiable_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit_path = dir.path().join("audit/audit.jsonl");
    let idp = OidcProvider::start("RS256");
    let port = free_port();
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let mut hangar = Hangar::start_on_port(
        &config(&idp.issuer, &resource, &audit_path.display().to_string()),
        &[("KEY_A", KEY_A), ("KEY_B", KEY_B), ("ADMIN_KEY", ADMIN_KEY)],
        port,
    );
    let token_b = idp.token("tenant-b", &resource);
    let bearer_b = format!("Bearer {token_b}");
    let bad_bearer = format!("Bearer {BAD_TOKEN}");

    // 1. tenant:a lists its tools: one auth allow.
    assert_eq!(
        stateless_tool_names(&hangar.url, ("X-API-Key", KEY_A)),
        ["add", "echo"]
    );
    // 2. tenant:a calls add with its own request id: auth allow, tool allow.
    let answer = call(
        &hangar,
        &[("X-API-Key", KEY_A), ("X-Request-Id", "e2e-audit-req-1")],
        "add",
    );
    assert_eq!(
        answer.body["result"]["structuredContent"]["sum"], 5,
        "{answer:?}"
    );
    assert_eq!(
        answer.headers.get("x-request-id").map(String::as_str),
        Some("e2e-audit-req-1")
    );
    // 3, 4. Denied and unknown: auth allow, tool hidden (twice).
    hidden(&call(&hangar, &[("X-API-Key", KEY_A)], "whoami"), "whoami");
    hidden(
        &call(&hangar, &[("X-API-Key", KEY_A)], "no_such_tool"),
        "no_such_tool",
    );
    // 5, 6, 7. A wrong key, no credential, a forged token: auth deny (three).
    assert_eq!(
        call(&hangar, &[("X-API-Key", WRONG_KEY)], "add").status,
        403
    );
    assert_eq!(call(&hangar, &[], "add").status, 401);
    assert_eq!(
        call(&hangar, &[("Authorization", &bad_bearer)], "add").status,
        401
    );
    // 8. tenant:b with an OIDC token calls echo: auth allow (oidc), tool allow.
    let answer = call(&hangar, &[("Authorization", &bearer_b)], "echo");
    assert!(answer.body["result"].is_object(), "{answer:?}");
    // 9. tenant:a may not withdraw for tenant:b: auth allow, admin deny.
    let refused = raw(
        "POST",
        &format!("{}/api/admin/tools/demo/add/withdraw", hangar.base),
        &[("X-API-Key", KEY_A)],
        Some(&json!({"tenant_id": "tenant:b"})),
    );
    assert_eq!(refused.status, 403, "{refused:?}");
    // 10. The operator withdraws add for tenant:b: auth allow, admin allow.
    ok(&hangarctl(&[
        "withdraw",
        "demo/add",
        "--tenant",
        "tenant:b",
        "--url",
        &hangar.base,
        "--api-key",
        ADMIN_KEY,
    ]));
    // 11. tenant:b's add is now hidden (withdrawn): auth allow, tool hidden.
    hidden(&call(&hangar, &[("X-API-Key", KEY_B)], "add"), "add");

    // A drained stop writes out the queue.
    assert_eq!(hangar.stop(), Some(0), "stderr:\n{}", hangar.stderr());
    let text = std::fs::read_to_string(&audit_path).expect("the audit file exists");
    let records: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect();

    // One record per decision, exactly.
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for record in &records {
        let key = (
            record["kind"].as_str().expect("kind").to_owned(),
            record["verdict"].as_str().expect("verdict").to_owned(),
        );
        *counts.entry(key).or_default() += 1;
    }
    let expected: BTreeMap<(String, String), usize> = [
        (("auth", "allow"), 8),
        (("auth", "deny"), 3),
        (("tool", "allow"), 2),
        (("tool", "hidden"), 3),
        (("admin", "allow"), 1),
        (("admin", "deny"), 1),
    ]
    .into_iter()
    .map(|((kind, verdict), n)| ((kind.to_owned(), verdict.to_owned()), n))
    .collect();
    assert_eq!(counts, expected, "{text}");
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record["seq"], i + 1, "{record}");
    }

    // What the records say.
    let find = |what: &dyn Fn(&Value) -> bool| -> &Value {
        records
            .iter()
            .find(|r| what(r))
            .unwrap_or_else(|| panic!("no such record in:\n{text}"))
    };
    let tagged: Vec<&Value> = records
        .iter()
        .filter(|r| r["request_id"] == "e2e-audit-req-1")
        .collect();
    assert_eq!(tagged.len(), 2, "{text}");
    assert_eq!(tagged[0]["kind"], "auth");
    assert_eq!(tagged[0]["method"], "api_key");
    assert_eq!(tagged[0]["subject"], "tenant-a-agent");
    assert_eq!(tagged[0]["tenant"], "tenant:a");
    assert_eq!(tagged[1]["kind"], "tool");
    assert_eq!(tagged[1]["server"], "demo");
    assert_eq!(tagged[1]["tool"], "add");
    assert!(tagged[1]["latency_us"].as_u64().is_some(), "{}", tagged[1]);
    assert!(
        tagged[1]["reason"]
            .as_str()
            .expect("reason")
            .starts_with("allowed"),
        "{}",
        tagged[1]
    );
    let whoami = find(&|r| r["verdict"] == "hidden" && r["tool"] == "whoami");
    assert!(
        whoami["reason"]
            .as_str()
            .expect("reason")
            .contains("deny_list of member \"tenant:a\""),
        "{whoami}"
    );
    let unknown = find(&|r| r["verdict"] == "hidden" && r["tool"] == "no_such_tool");
    assert!(
        unknown["reason"]
            .as_str()
            .expect("reason")
            .contains("unknown tool"),
        "{unknown}"
    );
    let withdrawn = find(&|r| r["verdict"] == "hidden" && r["tenant"] == "tenant:b");
    assert!(
        withdrawn["reason"]
            .as_str()
            .expect("reason")
            .contains("withdrawn"),
        "{withdrawn}"
    );
    let oidc = find(&|r| r["kind"] == "auth" && r["method"] == "oidc");
    assert_eq!(oidc["issuer"], idp.issuer.as_str());
    assert_eq!(oidc["tenant"], "tenant:b");
    let echo = find(&|r| r["kind"] == "tool" && r["tool"] == "echo");
    assert_eq!(
        (&echo["verdict"], &echo["tenant"]),
        (&json!("allow"), &json!("tenant:b"))
    );
    let denials: Vec<&str> = records
        .iter()
        .filter(|r| r["kind"] == "auth" && r["verdict"] == "deny")
        .map(|r| r["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(
        denials[..2],
        ["invalid_api_key", "missing_credential"],
        "{text}"
    );
    let refusal = find(&|r| r["kind"] == "admin" && r["verdict"] == "deny");
    assert_eq!(refusal["subject"], "tenant-a-agent");
    let action = find(&|r| r["kind"] == "admin" && r["verdict"] == "allow");
    assert_eq!(
        (
            &action["action"],
            &action["subject"],
            &action["tool"],
            &action["tenant"]
        ),
        (
            &json!("withdraw"),
            &json!("ops-admin"),
            &json!("add"),
            &json!("tenant:b")
        )
    );

    // No credential, nor any 12-character part of one, nor an 8-character prefix.
    for secret in [
        KEY_A,
        KEY_B,
        ADMIN_KEY,
        WRONG_KEY,
        BAD_TOKEN,
        token_b.as_str(),
    ] {
        assert!(
            !text.contains(&secret[..8]),
            "prefix of {secret} in the file"
        );
        assert_no_part_of(&text, secret, 12);
    }

    // The chain verifies with the real CLI.
    let path = audit_path.display().to_string();
    let stdout = ok(&hangarctl(&["audit", "verify", &path]));
    assert!(
        stdout.starts_with("ok: 18 records, seq 1..18, chain head "),
        "{stdout}"
    );

    // One edited line (a tenant changed in the middle of the file) makes it fail there.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let middle = (lines.len() / 3..)
        .find(|&i| lines[i].contains("\"tenant\":\"tenant:a\""))
        .expect("a tenant:a record in the middle");
    lines[middle] = lines[middle].replace("\"tenant\":\"tenant:a\"", "\"tenant\":\"tenant:c\"");
    std::fs::write(&audit_path, lines.join("\n") + "\n").expect("edit");
    let output = hangarctl(&["audit", "verify", &path]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("line {}: hash mismatch", middle + 1)),
        "{stderr}"
    );
}
