//! `hangarctl` as a user runs it: exit codes, messages naming the YAML path, no panics.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const REFERENCE: &str = include_str!("../../../examples/front-door/config.yaml");

/// Runs hangarctl with a clean environment (no HANGAR_* overrides leak in from the caller).
fn hangarctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hangarctl"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent-home")
        .output()
        .expect("hangarctl runs")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

/// `config check` on `text` must fail with exit 1 and name `path` (and no panic).
fn assert_check_fails(text: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "config.yaml", text);
    let output = hangarctl(&["config", "check", file.to_str().expect("utf-8 path")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    for needle in expected {
        assert!(stderr.contains(needle), "expected {needle:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_reference_config_is_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "config.yaml", REFERENCE);
    let output = hangarctl(&["config", "check", file.to_str().expect("utf-8 path")]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("ok (front_door mode, 1 server)"),
        "{stdout}"
    );
}

#[test]
fn a_typo_in_a_key_names_its_path_and_line() {
    let text = REFERENCE.replace("deny_list: [refund]", "deny_lst: [refund]");
    assert_check_fails(
        &text,
        &[
            "config.yaml:20:",
            r#"mcp_servers.payments.tool_access.member."tenant:a".deny_lst"#,
            "unknown key",
        ],
    );
}

#[test]
fn a_bad_glob_names_the_list_entry() {
    let text = REFERENCE.replace("deny_list: [refund]", r#"deny_list: [refund, "beta_[ab"]"#);
    assert_check_fails(
        &text,
        &[
            r#"mcp_servers.payments.tool_access.member."tenant:a".deny_list[1]"#,
            "glob",
        ],
    );
}

#[test]
fn an_unset_variable_is_named_with_its_path() {
    let text = REFERENCE.replace("http://localhost:8080/mcp", "${PAYMENTS_URL}");
    assert_check_fails(&text, &["mcp_servers.payments.endpoint", "PAYMENTS_URL"]);
}

#[test]
fn a_variable_with_a_default_is_fine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = REFERENCE.replace(
        "http://localhost:8080/mcp",
        "${PAYMENTS_URL:-http://127.0.0.1:9/mcp}",
    );
    let file = write(dir.path(), "config.yaml", &text);
    let output = hangarctl(&["config", "check", file.to_str().expect("utf-8 path")]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_wrong_type_names_the_key() {
    let text = REFERENCE.replace("allow_anonymous: false", "allow_anonymous: [no]");
    assert_check_fails(&text, &["auth.allow_anonymous"]);
}

#[test]
fn an_unknown_mode_names_the_key_and_the_choices() {
    let text = REFERENCE.replace("mode: front_door ", "mode: frontdoor ");
    assert_check_fails(&text, &["tool_access.mode", "front_door", "egress"]);
}

#[test]
fn an_unknown_server_mode_names_the_key() {
    let text = REFERENCE.replace("mode: remote", "mode: telepathy");
    assert_check_fails(&text, &["mcp_servers.payments.mode"]);
}

#[test]
fn malformed_yaml_names_the_line() {
    assert_check_fails("tool_access:\n  mode: [front_door\n", &["config.yaml:"]);
}

#[test]
fn a_missing_file_exits_74() {
    let output = hangarctl(&["config", "check", "/nonexistent/config.yaml"]);
    assert_eq!(output.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/config.yaml"));
}

#[test]
fn explain_rejects_a_server_the_config_does_not_define() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(dir.path(), "config.yaml", REFERENCE);
    let tools = write(dir.path(), "tools.json", r#"{"billing": ["invoice"]}"#);
    let output = hangarctl(&[
        "explain",
        "--config",
        config.to_str().expect("utf-8"),
        "--tools",
        tools.to_str().expect("utf-8"),
        "--tenant",
        "tenant:a",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(r#""billing""#) && stderr.contains(r#""payments""#),
        "{stderr}"
    );
}

#[test]
fn explain_rejects_a_malformed_tools_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(dir.path(), "config.yaml", REFERENCE);
    let tools = write(dir.path(), "tools.json", r#"{"payments": "charge"}"#);
    let output = hangarctl(&[
        "explain",
        "--config",
        config.to_str().expect("utf-8"),
        "--tools",
        tools.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("tools.json"));
}

#[test]
fn explain_needs_tools_or_a_single_tool() {
    let output = hangarctl(&["explain", "--config", "x.yaml", "--tenant", "tenant:a"]);
    assert_eq!(output.status.code(), Some(2), "clap usage error");
    let output = hangarctl(&["explain", "--config", "x.yaml", "--server", "payments"]);
    assert_eq!(output.status.code(), Some(2), "--server needs --tool");
}

#[test]
fn explain_a_single_tool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(dir.path(), "config.yaml", REFERENCE);
    let output = hangarctl(&[
        "explain",
        "--config",
        config.to_str().expect("utf-8"),
        "--server",
        "payments",
        "--tool",
        "refund",
        "--tenant",
        "tenant:b",
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(answer["tools"][0]["tool"], "refund");
    assert_eq!(answer["tools"][0]["visible"], true);
}

#[test]
fn completions_are_generated() {
    let output = hangarctl(&["completions", "bash"]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("hangarctl"));
}
