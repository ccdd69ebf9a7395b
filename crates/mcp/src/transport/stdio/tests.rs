//! Stdio back ends against a tiny fixture server (inline `python3`, standard library only).

use std::time::Duration;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::transport::{
    Backend, BackendConfig, BackendKind, BackendState, Reply, TraceContext, TraceParent,
    TransportError,
};
use crate::version::ProtocolVersion;

/// Newline-delimited JSON-RPC: initialize (answers 2025-06-18), two tools/list pages, and
/// tools/call `echo`, `notify` (a list_changed notification first), `ping_me` (asks the
/// client for a ping first), `crash` (exits 3 when FIXTURE_CRASH says so).
const FIXTURE: &str = r#"
import json, os, sys
sys.stderr.write("fixture started\n"); sys.stderr.flush()
def send(m):
    sys.stdout.write(json.dumps(m, separators=(",", ":")) + "\n"); sys.stdout.flush()
for line in sys.stdin:
    m = json.loads(line)
    method, mid = m.get("method"), m.get("id")
    p = m.get("params") or {}
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": mid, "result": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {"listChanged": True}}, "serverInfo": {"name": "fixture", "version": "1"}}})
    elif method == "tools/list":
        if p.get("cursor") == "p2":
            send({"jsonrpc": "2.0", "id": mid, "result": {"tools": [{"name": "b"}]}})
        else:
            send({"jsonrpc": "2.0", "id": mid, "result": {"tools": [{"name": "a"}], "nextCursor": "p2"}})
    elif method == "tools/call":
        name = p.get("name")
        if name == "notify":
            send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
            send({"jsonrpc": "2.0", "id": mid, "result": {"content": []}})
        elif name == "ping_me":
            send({"jsonrpc": "2.0", "id": "srv-1", "method": "ping"})
            send({"jsonrpc": "2.0", "id": "srv-2", "method": "sampling/createMessage", "params": {}})
            a = json.loads(sys.stdin.readline()); b = json.loads(sys.stdin.readline())
            send({"jsonrpc": "2.0", "id": mid, "result": {"answers": [a, b]}})
        elif name == "crash":
            sys.exit(3)
        else:
            send({"jsonrpc": "2.0", "id": mid, "result": {"echo": p.get("arguments"), "meta": p.get("_meta"), "pid": os.getpid()}})
    elif mid is not None:
        send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "Method not found"}})
"#;

fn fixture() -> Backend {
    Backend::start(BackendConfig {
        name: "fixture".into(),
        kind: BackendKind::Stdio {
            command: "python3".into(),
            args: vec!["-u".into(), "-c".into(), FIXTURE.into()],
            env: vec![("FIXTURE".into(), "1".into())],
        },
        request_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(1),
    })
}

fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_owned()).unwrap()
}

async fn call(backend: &Backend, name: &str) -> Result<Value, TransportError> {
    let params = raw(&format!(r#"{{"name":"{name}","arguments":{{"x":1}}}}"#));
    match backend.request("tools/call", Some(&params)).await? {
        Reply::Result(r) => Ok(serde_json::from_str(r.get()).unwrap()),
        Reply::Error(e) => panic!("error reply: {}", e.message),
    }
}

async fn wait_for(backend: &Backend, what: impl Fn(&crate::transport::BackendStatus) -> bool) {
    for _ in 0..200 {
        if what(&backend.status()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("status never matched: {:?}", backend.status());
}

#[tokio::test]
async fn handshake_then_paginated_tools() {
    let backend = fixture();
    assert_eq!(
        backend.connect().await.unwrap(),
        ProtocolVersion::V2025_06_18
    );
    assert_eq!(backend.status().state, BackendState::Ready);
    let tools = backend.list_tools().await.unwrap();
    let tools: Vec<&str> = tools.iter().map(|t| t.get()).collect();
    assert_eq!(tools, [r#"{"name":"a"}"#, r#"{"name":"b"}"#]);
    assert_eq!(
        call(&backend, "echo").await.unwrap()["echo"],
        serde_json::json!({"x": 1})
    );
    // The back end's own error passes through as a reply.
    let Reply::Error(error) = backend.request("resources/list", None).await.unwrap() else {
        panic!("expected the back end's error")
    };
    assert_eq!(error.code, -32601);
    backend.stop().await;
}

#[tokio::test]
async fn server_notifications_reach_subscribers() {
    let backend = fixture();
    let mut notifications = backend.subscribe();
    call(&backend, "notify").await.unwrap();
    let notification = tokio::time::timeout(Duration::from_secs(2), notifications.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notification.method, "notifications/tools/list_changed");
    backend.stop().await;
}

#[tokio::test]
async fn server_requests_are_answered_ping_with_an_empty_result_others_not_found() {
    let backend = fixture();
    let answers = call(&backend, "ping_me").await.unwrap();
    assert_eq!(
        answers["answers"][0],
        serde_json::json!({"jsonrpc": "2.0", "id": "srv-1", "result": {}})
    );
    assert_eq!(answers["answers"][1]["id"], "srv-2");
    assert_eq!(answers["answers"][1]["error"]["code"], -32601);
    backend.stop().await;
}

#[tokio::test]
async fn a_crashed_child_is_restarted_and_answers_again() {
    let backend = fixture();
    let first = call(&backend, "echo").await.unwrap()["pid"].clone();
    let error = call(&backend, "crash").await.unwrap_err();
    assert!(matches!(error, TransportError::Closed { .. }), "{error}");
    wait_for(&backend, |s| {
        s.restarts == 1 && s.state == BackendState::Ready
    })
    .await;
    let second = call(&backend, "echo").await.unwrap()["pid"].clone();
    assert_ne!(first, second, "a new process");
    assert!(backend.status().last_error.is_some());
    backend.stop().await;
}

#[tokio::test]
async fn stop_kills_the_child_and_restart_starts_a_new_one() {
    let backend = fixture();
    backend.connect().await.unwrap();
    let pid = backend.pid().unwrap();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    backend.stop().await;
    // Killed and reaped: not even a zombie is left.
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert_eq!(backend.status().state, BackendState::Stopped);
    assert_eq!(backend.pid(), None);
    let error = backend.request("tools/list", None).await.unwrap_err();
    assert!(matches!(error, TransportError::Stopped { .. }), "{error}");

    backend.restart().await;
    backend.connect().await.unwrap();
    assert_ne!(backend.pid(), Some(pid));
    call(&backend, "echo").await.unwrap();
    backend.stop().await;
}

#[tokio::test]
async fn a_command_that_cannot_start_fails_fast() {
    let backend = Backend::start(BackendConfig {
        name: "missing".into(),
        kind: BackendKind::Stdio {
            command: "/nonexistent/hangar-backend".into(),
            args: vec![],
            env: vec![],
        },
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(1),
    });
    wait_for(&backend, |s| s.state == BackendState::Failed).await;
    let error = backend.request("tools/list", None).await.unwrap_err();
    assert!(
        matches!(error, TransportError::Unreachable { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("cannot start"), "{error}");
    backend.stop().await;
}

#[tokio::test]
async fn a_request_that_times_out_is_cancelled_and_others_continue() {
    // `cat` echoes our request back: it is neither an answer nor ever answered.
    let backend = Backend::start(BackendConfig {
        name: "silent".into(),
        kind: BackendKind::Stdio {
            command: "python3".into(),
            args: vec![
                "-c".into(),
                r#"
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("method") == "initialize":
        print(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": {"protocolVersion": "2025-11-25"}}), flush=True)
    elif m.get("method") == "notifications/cancelled":
        print(json.dumps({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": m["params"]}}), flush=True)
    elif m.get("method") == "ping":
        print(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": {}}), flush=True)
"#
                .into(),
            ],
            env: vec![],
        },
        request_timeout: Duration::from_millis(500),
        connect_timeout: Duration::from_secs(1),
    });
    let mut notifications = backend.subscribe();
    backend.connect().await.unwrap();
    let error = backend
        .request("tools/call", Some(&raw(r#"{"name":"never"}"#)))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Timeout { .. }), "{error}");
    let cancelled = tokio::time::timeout(Duration::from_secs(2), notifications.recv())
        .await
        .unwrap()
        .unwrap();
    let params: Value = serde_json::from_str(cancelled.params.unwrap().get()).unwrap();
    assert_eq!(params["data"]["reason"], "timeout");
    assert!(params["data"]["requestId"].is_i64());
    assert!(matches!(
        backend.request("ping", None).await.unwrap(),
        Reply::Result(_)
    ));
    backend.stop().await;
}

#[tokio::test]
async fn restarts_back_off_exponentially() {
    // Exits at once, every time: without a backoff this would restart hundreds of times.
    let backend = Backend::start(BackendConfig {
        name: "crashing".into(),
        kind: BackendKind::Stdio {
            command: "python3".into(),
            args: vec!["-c".into(), "import sys; sys.exit(1)".into()],
            env: vec![],
        },
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(1),
    });
    // Restarts at about 0.1, 0.3, 0.7 and 1.5 s (plus python's start-up each time).
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let status = backend.status();
    assert!((1..=4).contains(&status.restarts), "{status:?}");
    assert_ne!(status.state, BackendState::Ready);
    let error = backend.request("tools/list", None).await.unwrap_err();
    assert!(
        matches!(
            error,
            TransportError::Unreachable { .. } | TransportError::Closed { .. }
        ),
        "{error}"
    );
    backend.stop().await;
    let restarts = backend.status().restarts;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        backend.status().restarts,
        restarts,
        "no restarts after stop"
    );
}

#[tokio::test]
async fn dropping_the_last_handle_kills_the_child() {
    let backend = fixture();
    backend.connect().await.unwrap();
    let pid = backend.pid().unwrap();
    let clone = backend.clone();
    drop(backend);
    // A clone keeps it alive.
    call(&clone, "echo").await.unwrap();
    drop(clone);
    for _ in 0..100 {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("child {pid} still running");
}

#[tokio::test]
async fn a_traced_request_carries_the_context_in_meta() {
    let backend = fixture();
    let trace = TraceContext {
        traceparent: TraceParent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
            .unwrap(),
        tracestate: Some("rojo=1".into()),
    };
    let params = raw(r#"{"name":"echo","arguments":{"x":1},"_meta":{"progressToken":3}}"#);
    let Reply::Result(result) = backend
        .request_traced("tools/call", Some(&params), &trace)
        .await
        .unwrap()
    else {
        panic!("a result")
    };
    let result: Value = serde_json::from_str(result.get()).unwrap();
    assert_eq!(
        result["meta"],
        serde_json::json!({
            "progressToken": 3,
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "tracestate": "rojo=1",
        })
    );
    assert_eq!(result["echo"], serde_json::json!({"x": 1}));
    // Untraced: the params go as they are.
    assert_eq!(call(&backend, "echo").await.unwrap()["meta"], Value::Null);
    backend.stop().await;
}
