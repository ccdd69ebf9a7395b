//! The admin API (`/api/admin/…`) over the real listener: answers, RBAC, errors, and
//! what a withdrawal does to the tenants' surfaces and streams.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::next_chunk;
use crate::support::{
    ADMIN_KEY, Answer, FRONT_DOOR, Harness, KEY_A, KEY_B, OPERATOR_B_KEY, VIEWER_KEY,
    with_audit_log,
};

const WITHDRAW: &str = "/api/admin/tools/payments/refund/withdraw";
const RESTORE: &str = "/api/admin/tools/payments/refund/restore";

async fn admin(harness: &Harness, method: Method, path: &str, key: &str, body: &str) -> Answer {
    harness
        .send(
            method,
            path,
            &[("x-api-key", key), ("content-type", "application/json")],
            body,
        )
        .await
}

#[tokio::test]
async fn withdraw_for_one_tenant_hides_the_tool_from_that_tenant_only() {
    let harness = Harness::start(FRONT_DOOR).await;
    let a = harness.session(KEY_A).await;
    let b = harness.session(KEY_B).await;
    let answer = admin(
        &harness,
        Method::POST,
        WITHDRAW,
        ADMIN_KEY,
        r#"{"tenant_id":"tenant:b"}"#,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.json(),
        json!({"withdrawn":true,"mcp_server":"payments","tool":"refund","tenant_id":"tenant:b","known":true})
    );
    assert_eq!(harness.tool_names(&b).await, ["charge"]);
    assert_eq!(harness.tool_names(&a).await, ["charge"]);
    let call = harness.call(&b, "refund").await.json();
    assert_eq!(call["error"]["code"], -32602);
    assert_eq!(call["error"]["message"], "Unknown tool: refund");
    // The actor is the caller's subject.
    let listed = admin(
        &harness,
        Method::GET,
        "/api/admin/withdrawals",
        ADMIN_KEY,
        "",
    )
    .await;
    let listed_json = listed.json();
    let runtime: Vec<&Value> = listed_json["withdrawals"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|w| w["source"] == "runtime_tenant")
        .collect();
    assert_eq!(runtime.len(), 1, "{}", listed.body);
    assert_eq!(runtime[0]["actor"], "ops-admin");
    assert_eq!(runtime[0]["tenant_id"], "tenant:b");

    let answer = admin(
        &harness,
        Method::POST,
        RESTORE,
        ADMIN_KEY,
        r#"{"tenant_id":"tenant:b"}"#,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.json(),
        json!({"restored":true,"mcp_server":"payments","tool":"refund","tenant_id":"tenant:b","known":true})
    );
    assert_eq!(harness.tool_names(&b).await, ["charge", "refund"]);
    harness.stop().await;
}

#[tokio::test]
async fn no_body_empty_object_and_null_are_global() {
    let harness = Harness::start(FRONT_DOOR).await;
    let b = harness.session(KEY_B).await;
    for body in ["", "{}", r#"{"tenant_id":null}"#] {
        let answer = admin(&harness, Method::POST, WITHDRAW, ADMIN_KEY, body).await;
        assert_eq!(answer.status, StatusCode::OK, "{body}: {}", answer.body);
        assert_eq!(answer.json()["tenant_id"], Value::Null);
        assert_eq!(answer.json()["withdrawn"], true);
        assert_eq!(harness.tool_names(&b).await, ["charge"]);
        let answer = admin(&harness, Method::POST, RESTORE, ADMIN_KEY, body).await;
        assert_eq!(answer.status, StatusCode::OK, "{body}: {}", answer.body);
        assert_eq!(answer.json()["restored"], true);
        assert_eq!(answer.json()["tenant_id"], Value::Null);
        assert_eq!(harness.tool_names(&b).await, ["charge", "refund"]);
    }
    harness.stop().await;
}

#[tokio::test]
async fn withdraw_is_idempotent_and_accepts_unknown_tools() {
    let harness = Harness::start(FRONT_DOOR).await;
    for _ in 0..2 {
        let answer = admin(&harness, Method::POST, WITHDRAW, ADMIN_KEY, "").await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.json()["withdrawn"], true);
    }
    assert_eq!(harness.gateway.overlays().list().len(), 3);
    let answer = admin(
        &harness,
        Method::POST,
        "/api/admin/tools/payments/not_yet/withdraw",
        ADMIN_KEY,
        "",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["known"], false);
    harness.stop().await;
}

#[tokio::test]
async fn restore_of_a_config_withdrawal_says_it_stays_withdrawn() {
    let harness = Harness::start(FRONT_DOOR).await;
    let answer = admin(
        &harness,
        Method::POST,
        "/api/admin/tools/payments/legacy_charge/restore",
        ADMIN_KEY,
        "",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let answer = answer.json();
    assert_eq!(answer["restored"], true);
    assert_eq!(answer["still_withdrawn_by_config"], true);
    assert!(
        answer["message"]
            .as_str()
            .expect("message")
            .contains("tool_projection.withdrawn"),
        "{answer}"
    );
    let b = harness.session(KEY_B).await;
    assert!(
        !harness
            .tool_names(&b)
            .await
            .contains(&"legacy_charge".to_owned())
    );
    harness.stop().await;
}

#[tokio::test]
async fn rbac_viewer_reads_operator_is_confined_no_key_is_401() {
    let harness = Harness::start(FRONT_DOOR).await;
    let body = r#"{"tenant_id":"tenant:b"}"#;
    let answer = admin(&harness, Method::POST, WITHDRAW, VIEWER_KEY, body).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(answer.json()["error"], "forbidden");
    let answer = admin(
        &harness,
        Method::GET,
        "/api/admin/withdrawals",
        VIEWER_KEY,
        "",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // A tenant-bound agent key has no admin role at all.
    let answer = admin(&harness, Method::GET, "/api/admin/servers", KEY_B, "").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);

    let other = r#"{"tenant_id":"tenant:a"}"#;
    let answer = admin(&harness, Method::POST, WITHDRAW, OPERATOR_B_KEY, other).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    let answer = admin(&harness, Method::POST, WITHDRAW, OPERATOR_B_KEY, "").await;
    assert_eq!(
        answer.status,
        StatusCode::FORBIDDEN,
        "global: {}",
        answer.body
    );
    let answer = admin(&harness, Method::POST, WITHDRAW, OPERATOR_B_KEY, body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let answer = admin(
        &harness,
        Method::GET,
        "/api/admin/tenants/tenant%3Ab/tools",
        OPERATOR_B_KEY,
        "",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let answer = admin(
        &harness,
        Method::GET,
        "/api/admin/tenants/tenant:a/tools",
        OPERATOR_B_KEY,
        "",
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);

    let answer = harness.send(Method::POST, WITHDRAW, &[], body).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(answer.json()["error"], "unauthorized");
    harness.stop().await;
}

#[tokio::test]
async fn errors_are_json_with_a_code() {
    let harness = Harness::start(FRONT_DOOR).await;
    let answer = admin(
        &harness,
        Method::POST,
        "/api/admin/tools/nosuch/refund/withdraw",
        ADMIN_KEY,
        "",
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    assert_eq!(answer.json()["error"], "not_found");
    assert!(
        answer.json()["message"]
            .as_str()
            .expect("message")
            .contains("payments")
    );
    for body in ["{", r#"{"tenant":"tenant:b"}"#, r#"{"tenant_id":7}"#] {
        let answer = admin(&harness, Method::POST, WITHDRAW, ADMIN_KEY, body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
        assert_eq!(answer.json()["error"], "bad_request");
    }
    let answer = admin(&harness, Method::GET, WITHDRAW, ADMIN_KEY, "").await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.json()["error"], "method_not_allowed");
    let answer = admin(&harness, Method::GET, "/api/admin/nope", ADMIN_KEY, "").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = admin(
        &harness,
        Method::GET,
        "/api/admin/servers/nosuch",
        ADMIN_KEY,
        "",
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(
        harness.gateway.overlays().list().len() == 2,
        "nothing withdrawn"
    );
    harness.stop().await;
}

#[tokio::test]
async fn tenant_tools_report_has_a_reason_for_every_tool() {
    let harness = Harness::start(FRONT_DOOR).await;
    let answer = admin(
        &harness,
        Method::GET,
        "/api/admin/tenants/tenant:a/tools",
        ADMIN_KEY,
        "",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let report = answer.json();
    assert_eq!(report["tenant"], "tenant:a");
    let tools = report["tools"].as_array().expect("tools");
    assert_eq!(tools.len(), 4);
    let line = |name: &str| {
        tools
            .iter()
            .find(|t| t["tool"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    assert_eq!(line("charge")["visible"], true);
    assert_eq!(line("refund")["visible"], false);
    assert_eq!(line("beta_tool")["visible"], false);
    assert!(
        line("beta_tool")["reason"]
            .as_str()
            .expect("reason")
            .contains("withdrawn for tenant"),
        "{report}"
    );
    assert_eq!(line("legacy_charge")["server"], "payments");
    harness.stop().await;
}

#[tokio::test]
async fn servers_show_state_transport_and_tools() {
    let harness = Harness::start(FRONT_DOOR).await;
    let answer = admin(&harness, Method::GET, "/api/admin/servers", VIEWER_KEY, "").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let servers = answer.json()["servers"].clone();
    assert_eq!(servers[0]["id"], "payments");
    assert_eq!(servers[0]["state"], "ready");
    assert_eq!(servers[0]["transport"], "remote");
    assert_eq!(servers[0]["tool_count"], 4);
    let answer = admin(
        &harness,
        Method::GET,
        "/api/admin/servers/payments",
        VIEWER_KEY,
        "",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["id"], "payments");
    let answer = admin(
        &harness,
        Method::GET,
        "/api/admin/servers/payments/tools",
        VIEWER_KEY,
        "",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        crate::support::names(&answer.json()["tools"]),
        ["charge", "refund", "legacy_charge", "beta_tool"]
    );
    harness.stop().await;
}

#[tokio::test]
async fn an_open_stream_hears_about_an_admin_withdrawal() {
    let harness = Harness::start(FRONT_DOOR).await;
    let b = harness.session(KEY_B).await;
    let (status, mut body) = harness.open_stream(&b).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        next_chunk(&mut body).await.as_deref(),
        Some(": stream open\n\n")
    );
    let answer = admin(
        &harness,
        Method::POST,
        WITHDRAW,
        ADMIN_KEY,
        r#"{"tenant_id":"tenant:b"}"#,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let event = next_chunk(&mut body).await.expect("an event");
    assert!(
        event.contains("notifications/tools/list_changed"),
        "{event}"
    );
    drop(body);
    harness.stop().await;
}

/// An overlay store whose writes wait until the test lets them through (a disk slow to
/// sync); `entered` fires when a write starts.
#[derive(Debug)]
struct GatedStore {
    inner: hangar_projection::MemoryOverlayStore,
    entered: std::sync::Arc<tokio::sync::Notify>,
    release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl hangar_projection::OverlayStore for GatedStore {
    fn load(&self) -> hangar_projection::Result<Vec<hangar_projection::RuntimeWithdrawal>> {
        self.inner.load()
    }

    fn put(
        &self,
        withdrawal: &hangar_projection::RuntimeWithdrawal,
    ) -> hangar_projection::Result<()> {
        self.entered.notify_one();
        let release = self.release.lock().expect("lock");
        // Bounded: a broken test must not hang the suite.
        let _ = release.recv_timeout(std::time::Duration::from_secs(30));
        self.inner.put(withdrawal)
    }

    fn remove(&self, key: &hangar_projection::WithdrawalKey) -> hangar_projection::Result<bool> {
        self.inner.remove(key)
    }
}

impl GatedStore {
    /// The store, the signal that a write started, and the sender that lets it finish.
    fn new() -> (
        Self,
        std::sync::Arc<tokio::sync::Notify>,
        std::sync::mpsc::Sender<()>,
    ) {
        let entered = std::sync::Arc::new(tokio::sync::Notify::new());
        let (release, gate) = std::sync::mpsc::channel();
        let store = Self {
            inner: hangar_projection::MemoryOverlayStore::new(),
            entered: std::sync::Arc::clone(&entered),
            release: std::sync::Mutex::new(gate),
        };
        (store, entered, release)
    }
}

#[tokio::test]
async fn a_slow_store_write_does_not_stall_its_serving_thread() {
    let (store, entered, release) = GatedStore::new();
    // One serving thread: the withdrawal and the health check land on the same one.
    let mut options = hangar_gateway::Options::default();
    options.workers = 1;
    let harness = Harness::start_with_store(FRONT_DOOR, options, store).await;
    let withdraw = admin(&harness, Method::POST, WITHDRAW, ADMIN_KEY, "{}");
    let meanwhile = async {
        entered.notified().await;
        // The store write is under way: the serving thread still answers others.
        let health = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            harness.send(Method::GET, "/health/live", &[], ""),
        )
        .await;
        release.send(()).expect("the store waits");
        health
    };
    let (withdrawn, health) = tokio::join!(withdraw, meanwhile);
    let health = health.expect("answered while the store write waited");
    assert_eq!(health.status, StatusCode::OK, "{}", health.body);
    // The withdrawal is answered once it is stored, and holds.
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    let b = harness.session(KEY_B).await;
    assert_eq!(harness.tool_names(&b).await, ["charge"]);
    harness.stop().await;
}

#[tokio::test]
async fn a_withdrawal_whose_client_left_mid_write_is_still_audited() {
    let (_dir, audit, config) = with_audit_log(FRONT_DOOR);
    let (store, entered, release) = GatedStore::new();
    let harness =
        Harness::start_with_store(&config, hangar_gateway::Options::default(), store).await;
    // The client sends the withdrawal and goes away while the store is writing it.
    tokio::select! {
        answer = admin(&harness, Method::POST, WITHDRAW, ADMIN_KEY, "{}") => {
            panic!("answered before the store wrote: {}", answer.body)
        }
        () = entered.notified() => {}
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    release.send(()).expect("the store waits");
    // The withdrawal takes effect (nobody waits for it: the client left)...
    let b = harness.session(KEY_B).await;
    let mut names = Vec::new();
    for _ in 0..250 {
        names = harness.tool_names(&b).await;
        if names == ["charge"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(names, ["charge"]);
    // ...so its audit record must be there too.
    let mut withdrawals = Vec::new();
    for _ in 0..250 {
        let text = std::fs::read_to_string(&audit).unwrap_or_default();
        withdrawals = text
            .lines()
            .filter(|line| line.contains(r#""action":"withdraw""#))
            .map(str::to_owned)
            .collect();
        if !withdrawals.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(withdrawals.len(), 1, "{withdrawals:?}");
    assert!(
        withdrawals[0].contains(r#""tool":"refund""#),
        "{}",
        withdrawals[0]
    );
    harness.stop().await;
}
