//! The binary: ready line, health, clean drain on SIGTERM, exit 64 on a bad config.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mcp-hangar");

const CONFIG: &str = r#"
tool_access:
  mode: front_door
auth:
  enabled: true
  api_keys:
    - name: agent-b
      key: test-key-0123456789
      tenant_id: "tenant:b"
mcp_servers:
  payments:
    mode: remote
    endpoint: http://localhost:8080/mcp
"#;

fn get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n"
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

#[test]
fn serves_until_sigterm_then_exits_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, CONFIG).expect("write config");
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["serve", "--http", "--host", "127.0.0.1", "--port", "0"])
        .env("HANGAR_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let address = line
        .trim()
        .strip_prefix("mcp-hangar listening on http://")
        .unwrap_or_else(|| panic!("ready line: {line:?}"))
        .to_owned();
    let health = get(&address, "/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with(r#"{"status":"ok"}"#), "{health}");
    let metadata = get(&address, "/nope");
    assert!(metadata.starts_with("HTTP/1.1 404"), "{metadata}");
    // The overlay store lives under --data-dir.
    assert!(dir.path().join("data").join("overlays.redb").exists());

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert_eq!(exit.code(), Some(0));
}

#[test]
fn a_bad_config_exits_64_with_the_yaml_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "tool_access:\n  mode: frontdoor\n").expect("write config");
    let output = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .args(["serve", "--http", "--port", "0"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(":2: tool_access.mode"), "{stderr}");
}
