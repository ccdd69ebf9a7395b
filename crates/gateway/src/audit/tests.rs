//! The gateway side of the audit log: request ids, the scope, `include_failed`, the
//! reload refusal, the collision notice.

use std::path::Path;
use std::sync::Arc;

use hangar_config::{Config, MapEnvironment};
use hangar_identity::{AuthMethod, CallerIdentity, Rejection};
use http::{HeaderMap, HeaderValue, Response};
use serde_json::Value;
use serde_json::value::RawValue;

use super::*;
use crate::reload::ReloadError;
use crate::upstream::FakeUpstream;
use crate::wire::{self, Body};

fn config(yaml: &str) -> Config {
    Config::from_yaml_str(yaml, "config.yaml", &MapEnvironment::new()).expect("config")
}

fn audit_config(path: &Path, include_failed: bool) -> Config {
    config(&format!(
        "audit: {{enabled: true, path: {}, include_failed: {include_failed}}}\n",
        path.display()
    ))
}

fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("json"))
        .collect()
}

fn headers(request_id: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(id) = request_id {
        headers.insert(REQUEST_ID, HeaderValue::from_str(id).expect("header"));
    }
    headers
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn request_ids_come_from_the_header_when_sane_else_are_made() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = audit_config(&dir.path().join("audit.jsonl"), true);
    let audit = Audit::open(config.audit.as_ref(), || None).expect("open");
    let id = |given: Option<&str>| audit.scope(&headers(given)).expect("on").request_id;
    assert_eq!(&*id(Some("req-42")), "req-42");
    let long = "x".repeat(MAX_REQUEST_ID + 1);
    for bad in [Some(long.as_str()), Some("two words"), None] {
        let made = id(bad);
        assert_ne!(Some(&*made), bad);
        assert!(made.contains('-'), "{made}");
    }
    assert_ne!(id(None), id(None), "made ids are unique");
    // Off: no scope, nothing computed.
    assert!(Audit::default().scope(&headers(Some("x"))).is_none());
}

#[test]
fn records_are_made_inside_a_scope_and_refusals_only_with_include_failed() {
    let dir = tempfile::tempdir().expect("tempdir");
    for include_failed in [true, false] {
        let path = dir.path().join(format!("audit-{include_failed}.jsonl"));
        let config = audit_config(&path, include_failed);
        let audit = Audit::open(config.audit.as_ref(), || None).expect("open");
        let mut caller = CallerIdentity::new("tenant-b-agent", AuthMethod::ApiKey);
        caller.tenant_id = Some("tenant:b".to_owned());
        // Outside a request's scope: nothing.
        auth_allowed(&caller, None);
        let response: Response<Body> =
            runtime().block_on(within(audit.scope(&headers(Some("r-1"))), async {
                let started = clock();
                assert!(started.is_some());
                auth_denied(&Rejection::InvalidApiKey, started);
                auth_allowed(&caller, started);
                wire::status_only(http::StatusCode::NO_CONTENT)
            }));
        assert_eq!(response.headers()[REQUEST_ID], "r-1");
        audit.close();
        let records = records(&path);
        let verdicts: Vec<&str> = records
            .iter()
            .map(|r| r["verdict"].as_str().expect("verdict"))
            .collect();
        if include_failed {
            assert_eq!(verdicts, ["deny", "allow"]);
            assert_eq!(records[0]["reason"], "invalid_api_key");
        } else {
            assert_eq!(verdicts, ["allow"]);
        }
        let allowed = records.last().expect("a record");
        assert_eq!(allowed["request_id"], "r-1");
        assert_eq!(allowed["method"], "api_key");
        assert_eq!(allowed["tenant"], "tenant:b");
    }
}

fn gateway(config: Config) -> Arc<Gateway> {
    let gateway = Gateway::builder(config)
        .in_memory_overlays()
        .upstream(Arc::new(FakeUpstream::new("a", ["charge"])))
        .upstream(Arc::new(FakeUpstream::new("b", ["charge"])))
        .build()
        .expect("gateway");
    Arc::new(gateway)
}

const SERVERS: &str = "mcp_servers:\n  a: {mode: remote, endpoint: \"http://127.0.0.1:1/mcp\"}\n  b: {mode: remote, endpoint: \"http://127.0.0.1:2/mcp\"}\n";

#[test]
fn a_changed_audit_section_is_refused_by_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = |file: &str| {
        format!(
            "{SERVERS}audit: {{enabled: true, path: {}}}\n",
            dir.path().join(file).display()
        )
    };
    let gateway = gateway(config(&yaml("audit.jsonl")));
    let runtime = runtime();
    let refused = runtime.block_on(gateway.reload_with(config(&yaml("other.jsonl"))));
    match refused {
        Err(ReloadError::Refused(why)) => {
            assert_eq!(why, "restart mcp-hangar to change the audit log");
        }
        other => panic!("{other:?}"),
    }
    let off = runtime.block_on(gateway.reload_with(config(SERVERS)));
    assert!(matches!(off, Err(ReloadError::Refused(_))), "{off:?}");
    let same = runtime.block_on(gateway.reload_with(config(&yaml("audit.jsonl"))));
    assert!(same.is_ok(), "{same:?}");
}

#[test]
fn a_new_collision_is_one_notice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    let gateway = gateway(config(&format!(
        "{SERVERS}audit: {{enabled: true, path: {}}}\n",
        path.display()
    )));
    let tools = || vec![RawValue::from_string(r#"{"name":"charge"}"#.to_owned()).expect("raw")];
    gateway.set_tools("a", tools());
    gateway.set_tools("b", tools());
    gateway.set_tools("b", tools());
    gateway.audit.close();
    let records = records(&path);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["kind"], "notice");
    assert_eq!(records[0]["tool"], "charge");
    assert_eq!(
        records[0]["reason"],
        "tool name served by several back ends (a, b): dropped from every surface"
    );
}
