//! The back-end transports against real third-party servers from tests/harness
//! (installed by `bash scripts/test.sh`): `@modelcontextprotocol/server-everything` over
//! Streamable HTTP, and the workspace's stdio demo back end (`bins/hangar-demo-backend`,
//! built by `cargo build --workspace --bins`). A missing piece fails the test with what
//! to run; nothing is skipped silently.

#![cfg(feature = "transport")]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hangar_mcp::ProtocolVersion;
use hangar_mcp::transport::{
    Backend, BackendConfig, BackendKind, BackendState, ProtocolPreference, Reply,
};
use serde_json::Value;
use serde_json::value::RawValue;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// server-everything on 127.0.0.1, killed (by its pid) when dropped.
struct Everything {
    child: Child,
    url: String,
}

impl Everything {
    fn start() -> Self {
        let harness = repo_root().join("tests/harness");
        assert!(
            harness
                .join("node_modules/@modelcontextprotocol/server-everything")
                .exists(),
            "server-everything is not installed: run scripts/test.sh to install the test harness"
        );
        let local_node = harness.join("node_modules/.bin/node");
        let node = if local_node.exists() {
            local_node
        } else {
            PathBuf::from("node")
        };
        let mut child = Command::new(node)
            .current_dir(&harness)
            .args(["everything.mjs", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start server-everything");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("server-everything's ready line");
        let ready: Value = serde_json::from_str(&line).expect("a json ready line");
        let url = ready["url"].as_str().expect("url").to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Self { child, url }
    }
}

impl Drop for Everything {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_owned()).unwrap()
}

fn config(name: &str, kind: BackendKind) -> BackendConfig {
    BackendConfig {
        name: name.into(),
        kind,
        request_timeout: Duration::from_secs(20),
        connect_timeout: Duration::from_secs(5),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_everything_over_http_and_the_demo_back_end_over_stdio() {
    // HTTP: server-everything speaks the session era; Auto falls back from discovery.
    let everything = Everything::start();
    let backend = Backend::start(config(
        "everything",
        BackendKind::Http {
            endpoint: everything.url.clone(),
            headers: vec![],
            oauth: None,
            protocol: ProtocolPreference::Auto,
            ca_file: None,
        },
    ));
    let version = backend.connect().await.unwrap();
    assert!(version.has_initialize(), "{version}");
    let tools = backend.list_tools().await.unwrap();
    let names: Vec<String> = tools
        .iter()
        .map(|t| {
            serde_json::from_str::<Value>(t.get()).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(names.iter().any(|n| n == "echo"), "{names:?}");
    let reply = backend
        .request(
            "tools/call",
            Some(&raw(r#"{"name":"echo","arguments":{"message":"hangar"}}"#)),
        )
        .await
        .unwrap();
    let Reply::Result(result) = reply else {
        panic!("echo failed")
    };
    assert!(result.get().contains("hangar"), "{}", result.get());
    assert_eq!(backend.status().state, BackendState::Ready);
    backend.stop().await;

    // Stdio: the workspace's demo back end.
    let demo = repo_root().join("target/debug/hangar-demo-backend");
    assert!(
        demo.exists(),
        "{} is missing: run `cargo build --workspace --bins` (scripts/test.sh does)",
        demo.display()
    );
    let backend = Backend::start(config(
        "demo",
        BackendKind::Stdio {
            command: demo.display().to_string(),
            args: vec![],
            env: vec![],
        },
    ));
    assert_eq!(
        backend.connect().await.unwrap(),
        ProtocolVersion::V2025_11_25
    );
    let tools = backend.list_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.get().contains(r#""name":"echo""#)));
    let reply = backend
        .request(
            "tools/call",
            Some(&raw(r#"{"name":"echo","arguments":{"text":"hangar"}}"#)),
        )
        .await
        .unwrap();
    let Reply::Result(result) = reply else {
        panic!("demo echo failed")
    };
    assert!(result.get().contains("hangar"), "{}", result.get());
    let pid = backend.pid().unwrap();
    backend.stop().await;
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}
