//! `hangarctl explain` on the reference scenario (BEHAVIOUR.md §1), as scripts use it.

use serde_json::Value;

use crate::support::hangarctl;

const CONFIG: &str = "examples/front-door/config.yaml";
const TOOLS: &str = "examples/front-door/tools.json";

/// Runs `hangarctl explain --json` and returns the parsed answer.
fn explain(extra: &[&str]) -> Value {
    let mut args = vec!["explain", "--config", CONFIG, "--tools", TOOLS, "--json"];
    args.extend_from_slice(extra);
    let output = hangarctl(&args);
    assert!(
        output.status.success(),
        "hangarctl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("explain --json prints JSON")
}

fn visible(answer: &Value) -> Vec<&str> {
    tools(answer)
        .iter()
        .filter(|t| t["visible"] == Value::Bool(true))
        .map(|t| t["tool"].as_str().expect("tool is a string"))
        .collect()
}

fn tools(answer: &Value) -> &Vec<Value> {
    answer["tools"].as_array().expect("tools is an array")
}

fn reason<'a>(answer: &'a Value, tool: &str) -> &'a str {
    tools(answer)
        .iter()
        .find(|t| t["tool"] == tool)
        .and_then(|t| t["reason"].as_str())
        .unwrap_or_else(|| panic!("no entry for {tool} in {answer}"))
}

#[test]
fn every_catalog_tool_is_reported_once_with_server_and_reason() {
    let answer = explain(&["--tenant", "tenant:a"]);
    assert_eq!(answer["tenant"], "tenant:a");
    let names: Vec<&str> = tools(&answer)
        .iter()
        .map(|t| t["tool"].as_str().expect("tool"))
        .collect();
    assert_eq!(names, ["charge", "refund", "legacy_charge", "beta_tool"]);
    for tool in tools(&answer) {
        assert_eq!(tool["server"], "payments");
        assert!(tool["visible"].is_boolean());
        assert!(!tool["reason"].as_str().expect("reason").is_empty());
        assert_eq!(
            tool.as_object().expect("object").len(),
            4,
            "stable shape: {tool}"
        );
    }
}

#[test]
fn tenant_a_sees_charge_only() {
    let answer = explain(&["--tenant", "tenant:a"]);
    assert_eq!(visible(&answer), ["charge"]);
    assert!(reason(&answer, "refund").contains("deny_list"), "{answer}");
    let beta = reason(&answer, "beta_tool");
    assert!(
        beta.contains("withdrawn") && beta.contains("tenant:a"),
        "{beta}"
    );
    let legacy = reason(&answer, "legacy_charge");
    assert!(
        legacy.contains("withdrawn") && legacy.contains("all tenants"),
        "{legacy}"
    );
}

#[test]
fn tenant_b_sees_charge_and_refund() {
    let answer = explain(&["--tenant", "tenant:b"]);
    assert_eq!(visible(&answer), ["charge", "refund"]);
    assert!(
        reason(&answer, "beta_tool").contains("allow_list"),
        "{answer}"
    );
}

#[test]
fn a_tenant_no_rule_names_gets_nothing_from_a_server_without_a_tools_block() {
    let answer = explain(&["--tenant", "tenant:c"]);
    assert!(visible(&answer).is_empty(), "{answer}");
    assert!(
        reason(&answer, "charge").contains("unlisted")
            || reason(&answer, "charge").contains("named by no"),
        "{answer}"
    );
}

#[test]
fn no_tenant_gets_nothing() {
    let answer = explain(&[]);
    assert_eq!(answer["tenant"], Value::Null);
    assert!(visible(&answer).is_empty(), "{answer}");
    assert!(
        reason(&answer, "charge").contains("no authenticated tenant"),
        "{answer}"
    );
}

#[test]
fn human_output_is_a_table_with_every_tool() {
    let output = hangarctl(&[
        "explain", "--config", CONFIG, "--tools", TOOLS, "--tenant", "tenant:b",
    ]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(text.lines().any(|l| l.starts_with("SERVER")), "{text}");
    for tool in ["charge", "refund", "legacy_charge", "beta_tool"] {
        assert!(text.contains(tool), "{tool} missing from\n{text}");
    }
}

#[test]
fn runtime_withdrawals_from_the_data_directory_are_applied() {
    use hangar_projection::{
        OverlayStore as _, RedbOverlayStore, RuntimeWithdrawal, WithdrawalKey,
    };

    let data_dir = tempfile::tempdir().expect("tempdir");
    {
        let store = RedbOverlayStore::open(data_dir.path()).expect("open store");
        let key = WithdrawalKey::for_tenant("payments", "refund", "tenant:b");
        store
            .put(&RuntimeWithdrawal::new(key, "ops-admin", 1_700_000_000_000))
            .expect("store the withdrawal");
    } // closed: the file lock is released before hangarctl opens it

    let dir = data_dir.path().to_str().expect("utf-8 path");
    let answer = explain(&["--tenant", "tenant:b", "--data-dir", dir]);
    assert_eq!(visible(&answer), ["charge"]);
    let refund = reason(&answer, "refund");
    assert!(
        refund.contains("runtime") && refund.contains("ops-admin"),
        "{refund}"
    );

    // Another tenant is not affected.
    let answer = explain(&["--tenant", "tenant:a", "--data-dir", dir]);
    assert_eq!(visible(&answer), ["charge"]);
    assert!(reason(&answer, "refund").contains("deny_list"), "{answer}");
}

#[test]
fn a_missing_overlay_store_is_an_error_not_an_empty_overlay() {
    let empty = tempfile::tempdir().expect("tempdir");
    let output = hangarctl(&[
        "explain",
        "--config",
        CONFIG,
        "--tools",
        TOOLS,
        "--data-dir",
        empty.path().to_str().expect("utf-8 path"),
    ]);
    assert_eq!(output.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no overlay store"));
    assert!(
        !empty.path().join("overlays.redb").exists(),
        "explain must not create a store"
    );
}
