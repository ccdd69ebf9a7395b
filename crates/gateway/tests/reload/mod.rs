//! Operating live: config reload (admin API and the function SIGHUP and the file watch
//! call), back-end start/stop, stats, and their RBAC.

use std::time::Duration;

use hangar_projection::WithdrawalKey;
use http::{Method, StatusCode};
use serde_json::Value;

use crate::next_chunk;
use crate::support::{
    ADMIN_KEY, Answer, FRONT_DOOR, Harness, KEY_A, KEY_B, OPERATOR_B_KEY, Session, VIEWER_KEY,
    literal_keys, stall_reads,
};

const RULE_A: &str = r#""tenant:a": { deny_list: [refund] }"#;
const RULE_A_CHANGED: &str = r#""tenant:a": { deny_list: [charge] }"#;

async fn admin(harness: &Harness, method: Method, path: &str, key: &str) -> Answer {
    harness.send(method, path, &[("x-api-key", key)], "").await
}

/// A gateway started from a config file in a fresh directory.
async fn from_file() -> (tempfile::TempDir, std::path::PathBuf, Harness) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, literal_keys(FRONT_DOOR)).expect("write");
    let harness = Harness::start_from_file(&path).await;
    (dir, path, harness)
}

fn rewrite(path: &std::path::Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from}");
    std::fs::write(path, text.replace(from, to)).expect("write");
}

async fn eventually_names(harness: &Harness, session: &Session, want: &[&str]) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..50 {
        names = harness.tool_names(session).await;
        if names == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    names
}

#[tokio::test]
async fn a_valid_reload_changes_the_tenants_surface_and_keeps_runtime_withdrawals() {
    let (_dir, path, harness) = from_file().await;
    let a = harness.session(KEY_A).await;
    let b = harness.session(KEY_B).await;
    assert_eq!(harness.tool_names(&a).await, ["charge"]);
    harness
        .gateway
        .overlays()
        .withdraw(
            &WithdrawalKey::for_tenant("payments", "refund", "tenant:b"),
            "ops",
        )
        .expect("withdraw");
    let (status, mut stream) = harness.open_stream(&a).await;
    assert_eq!(status, StatusCode::OK);
    assert!(next_chunk(&mut stream).await.is_some());

    rewrite(&path, RULE_A, RULE_A_CHANGED);
    let answer = admin(&harness, Method::POST, "/api/admin/reload", ADMIN_KEY).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let json = answer.json();
    assert_eq!(json["reloaded"], true);
    assert_eq!(
        json["changed"],
        serde_json::json!(["mcp_servers.payments: rules changed"])
    );
    let event = next_chunk(&mut stream).await.expect("list_changed");
    assert!(
        event.contains("notifications/tools/list_changed"),
        "{event}"
    );
    assert_eq!(harness.tool_names(&a).await, ["refund"]);
    // The runtime withdrawal for tenant:b survived the reload.
    assert_eq!(harness.tool_names(&b).await, ["charge"]);
    harness.stop().await;
}

#[tokio::test]
async fn an_invalid_file_keeps_the_old_config_and_names_the_path() {
    let (_dir, path, harness) = from_file().await;
    let a = harness.session(KEY_A).await;
    rewrite(
        &path,
        "  mode: front_door\n",
        "  mode: front_door\n  unlisted_tenants: sometimes\n",
    );
    let answer = admin(&harness, Method::POST, "/api/admin/reload", ADMIN_KEY).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    let json = answer.json();
    assert_eq!(json["reloaded"], false);
    let error = json["error"].as_str().expect("error");
    assert!(error.contains("tool_access.unlisted_tenants"), "{error}");
    assert_eq!(harness.tool_names(&a).await, ["charge"]);
    assert_eq!(harness.call(&a, "charge").await.status, StatusCode::OK);
    assert_eq!(harness.gateway.failed_reloads(), 1);
    let stats = admin(&harness, Method::GET, "/api/admin/stats", ADMIN_KEY).await;
    assert_eq!(stats.json()["reloads"]["failed"], 1, "{}", stats.body);
    harness.stop().await;
}

#[tokio::test]
async fn a_mode_or_data_dir_change_is_refused_naming_the_key() {
    let (_dir, path, harness) = from_file().await;
    let a = harness.session(KEY_A).await;
    rewrite(&path, "  mode: front_door\n", "  mode: egress\n");
    let answer = admin(&harness, Method::POST, "/api/admin/reload", ADMIN_KEY).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert_eq!(answer.json()["reloaded"], false);
    assert!(
        answer.json()["error"]
            .as_str()
            .expect("error")
            .contains("tool_access.mode"),
        "{}",
        answer.body
    );
    rewrite(
        &path,
        "  mode: egress\n",
        "  mode: front_door\ndata_dir: /tmp/elsewhere\n",
    );
    let answer = admin(&harness, Method::POST, "/api/admin/reload", ADMIN_KEY).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert!(answer.body.contains("data_dir"), "{}", answer.body);
    assert_eq!(harness.tool_names(&a).await, ["charge"]);
    harness.stop().await;
}

#[tokio::test]
async fn the_signal_handlers_reload_function_applies_the_file() {
    let (_dir, path, harness) = from_file().await;
    let a = harness.session(KEY_A).await;
    rewrite(&path, RULE_A, RULE_A_CHANGED);
    // What SIGHUP (and the file watch) call.
    let changed = harness.gateway.reload().await.expect("reload");
    assert_eq!(changed, ["mcp_servers.payments: rules changed"]);
    assert_eq!(harness.tool_names(&a).await, ["refund"]);
    // Nothing changed: an empty summary.
    assert!(harness.gateway.reload().await.expect("reload").is_empty());
    harness.stop().await;
}

#[tokio::test]
async fn the_file_watch_reloads_an_edited_file() {
    let (_dir, path, harness) = from_file().await;
    harness.gateway.watch_config(Duration::from_millis(100));
    let a = harness.session(KEY_A).await;
    // Replaced, as editors do: written elsewhere, renamed over.
    let text = std::fs::read_to_string(&path).expect("read");
    let temp = path.with_extension("yaml.tmp");
    std::fs::write(&temp, text.replace(RULE_A, RULE_A_CHANGED)).expect("write");
    std::fs::rename(&temp, &path).expect("rename");
    assert_eq!(
        eventually_names(&harness, &a, &["refund"]).await,
        ["refund"]
    );
    harness.stop().await;
}

#[tokio::test]
async fn adding_and_removing_a_server_by_reload() {
    let (_dir, path, harness) = from_file().await;
    let b = harness.session(KEY_B).await;
    let text = std::fs::read_to_string(&path).expect("read");
    let mut added = text.clone();
    added.push_str("  ledger:\n    mode: remote\n    endpoint: http://127.0.0.1:9/mcp\n");
    std::fs::write(&path, &added).expect("write");
    let changed = harness.gateway.reload().await.expect("reload");
    assert_eq!(changed, ["mcp_servers.ledger: added"]);
    let servers = admin(&harness, Method::GET, "/api/admin/servers", ADMIN_KEY).await;
    assert_eq!(
        servers.json()["servers"][1]["id"],
        "ledger",
        "{}",
        servers.body
    );
    std::fs::write(&path, &text).expect("write");
    let changed = harness.gateway.reload().await.expect("reload");
    assert_eq!(changed, ["mcp_servers.ledger: removed"]);
    let missing = admin(
        &harness,
        Method::GET,
        "/api/admin/servers/ledger",
        ADMIN_KEY,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(harness.tool_names(&b).await, ["charge", "refund"]);
    harness.stop().await;
}

#[tokio::test]
async fn a_changed_back_end_ca_file_rebuilds_that_back_end_on_reload() {
    let (dir, path, harness) = from_file().await;
    let ca = dir.path().join("vault-ca.pem");
    std::fs::write(&ca, "first bundle").expect("write");
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str(&format!(
        "  vault:\n    mode: remote\n    endpoint: https://127.0.0.1:9/mcp\n    ca_file: {}\n",
        ca.display()
    ));
    std::fs::write(&path, &text).expect("write");
    assert_eq!(
        harness.gateway.reload().await.expect("reload"),
        ["mcp_servers.vault: added"]
    );
    // Same file, same bytes: nothing to do.
    assert!(harness.gateway.reload().await.expect("reload").is_empty());
    // Same path, new bytes (a CA taken out of the bundle): the back end is rebuilt, so
    // it stops trusting what the file no longer holds.
    std::fs::write(&ca, "second bundle").expect("write");
    assert_eq!(
        harness.gateway.reload().await.expect("reload"),
        ["mcp_servers.vault: changed (restarted)"]
    );
    harness.stop().await;
}

#[tokio::test]
async fn stop_and_start_a_back_end() {
    let harness = Harness::start(FRONT_DOOR).await;
    let b = harness.session(KEY_B).await;
    let (status, mut stream) = harness.open_stream(&b).await;
    assert_eq!(status, StatusCode::OK);
    assert!(next_chunk(&mut stream).await.is_some());
    let stop = "/api/admin/servers/payments/stop";
    let start = "/api/admin/servers/payments/start";
    let answer = admin(&harness, Method::POST, stop, ADMIN_KEY).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["state"], "stopped");
    let event = next_chunk(&mut stream).await.expect("list_changed");
    assert!(
        event.contains("notifications/tools/list_changed"),
        "{event}"
    );
    assert!(harness.tool_names(&b).await.is_empty());
    assert_eq!(
        harness.call(&b, "charge").await.json()["error"]["message"],
        "Unknown tool: charge"
    );
    let again = admin(&harness, Method::POST, stop, ADMIN_KEY).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let server = admin(
        &harness,
        Method::GET,
        "/api/admin/servers/payments",
        ADMIN_KEY,
    )
    .await;
    assert_eq!(server.json()["state"], "stopped");

    let answer = admin(&harness, Method::POST, start, ADMIN_KEY).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_ne!(answer.json()["state"], "stopped");
    assert_eq!(
        eventually_names(&harness, &b, &["charge", "refund"]).await,
        ["charge", "refund"]
    );
    let again = admin(&harness, Method::POST, start, ADMIN_KEY).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let unknown = admin(
        &harness,
        Method::POST,
        "/api/admin/servers/nosuch/stop",
        ADMIN_KEY,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    harness.stop().await;
}

#[tokio::test]
async fn stats_count_calls_denials_and_requests() {
    let harness = Harness::start(FRONT_DOOR).await;
    let a = harness.session(KEY_A).await;
    let b = harness.session(KEY_B).await;
    for _ in 0..2 {
        assert_eq!(harness.call(&a, "charge").await.status, StatusCode::OK);
    }
    assert_eq!(harness.call(&b, "refund").await.status, StatusCode::OK);
    // Denied for tenant:a: a hidden-existence answer.
    let denied = harness.call(&a, "refund").await.json();
    assert_eq!(denied["error"]["code"], -32602);
    let stats = admin(&harness, Method::GET, "/api/admin/stats", VIEWER_KEY).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.body);
    let json: Value = stats.json();
    assert_eq!(json["tool_calls_total"], 3, "{json}");
    assert_eq!(json["tool_calls_by_tool"]["charge"], 2, "{json}");
    assert_eq!(json["tool_calls_by_tool"]["refund"], 1, "{json}");
    assert_eq!(json["tool_calls_by_tenant"]["tenant:a"], 2, "{json}");
    assert_eq!(json["tool_calls_by_tenant"]["tenant:b"], 1, "{json}");
    assert_eq!(json["denials"], 1, "{json}");
    // Two initializes (and their notifications) and four calls, at least.
    assert!(
        json["requests_total"].as_u64().expect("count") >= 6,
        "{json}"
    );
    assert!(json["uptime_seconds"].is_u64(), "{json}");
    assert_eq!(json["reloads"], serde_json::json!({"ok": 0, "failed": 0}));
    harness.stop().await;
}

#[tokio::test]
async fn rbac_viewer_and_confined_operator_cannot_reload_or_stop() {
    let (_dir, _path, harness) = from_file().await;
    for key in [VIEWER_KEY, OPERATOR_B_KEY, KEY_B] {
        for path in [
            "/api/admin/reload",
            "/api/admin/servers/payments/stop",
            "/api/admin/servers/payments/start",
        ] {
            let answer = admin(&harness, Method::POST, path, key).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{key} {path}: {}",
                answer.body
            );
        }
    }
    let wrong = admin(&harness, Method::GET, "/api/admin/reload", ADMIN_KEY).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    let anonymous = harness
        .send(Method::POST, "/api/admin/reload", &[], "")
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    harness.stop().await;
}

#[tokio::test]
async fn a_reload_waiting_on_its_config_file_does_not_stall_the_gateway() {
    let (_dir, path, harness) = from_file().await;
    // Reading the config file waits until the test lets it through.
    let (go, writer) = stall_reads(&path);
    let reload = admin(&harness, Method::POST, "/api/admin/reload", ADMIN_KEY);
    let meanwhile = async {
        // Let the reload reach the read first.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let health = tokio::time::timeout(
            Duration::from_secs(10),
            harness.send(Method::GET, "/health/live", &[], ""),
        )
        .await;
        go.send(()).expect("the writer waits");
        health
    };
    let (reloaded, health) = tokio::join!(reload, meanwhile);
    writer.join().expect("writer");
    let health = health.expect("answered while the reload waited on its file");
    assert_eq!(health.status, StatusCode::OK, "{}", health.body);
    assert_eq!(reloaded.status, StatusCode::OK, "{}", reloaded.body);
    assert_eq!(reloaded.json()["reloaded"], true);
    harness.stop().await;
}
