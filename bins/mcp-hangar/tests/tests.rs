//! The binary: ready line, health, serving threads, clean drain on SIGTERM, exit 64 on a
//! bad config.

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

/// The names of the serving threads of process `pid` (`hangar-worker-N`), sorted.
fn serving_threads(pid: u32) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("tasks")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| name.starts_with("hangar-worker-"))
        .collect();
    names.sort();
    names
}

/// Starts the gateway (`--workers` when given), checks the ready line, health, a 404 and
/// its serving threads, then SIGTERM: exit 0.
fn serve_then_stop(workers: Option<&str>, expected_threads: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, CONFIG).expect("write config");
    let mut command = Command::new(BIN);
    command
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["serve", "--http", "--host", "127.0.0.1", "--port", "0"])
        .env("HANGAR_LOG", "warn")
        .env_remove("HANGAR_WORKERS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(workers) = workers {
        command.args(["--workers", workers]);
    }
    let mut child = command.spawn().expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let address = line
        .trim()
        .strip_prefix("mcp-hangar listening on http://")
        .unwrap_or_else(|| panic!("ready line: {line:?}"))
        .to_owned();
    // Several connections: each is served (round robin over the serving threads).
    for _ in 0..4 {
        let health = get(&address, "/health");
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");
        assert!(health.ends_with(r#"{"status":"ok"}"#), "{health}");
    }
    let metadata = get(&address, "/nope");
    assert!(metadata.starts_with("HTTP/1.1 404"), "{metadata}");
    // The overlay store lives under --data-dir.
    assert!(dir.path().join("data").join("overlays.redb").exists());
    assert_eq!(serving_threads(child.id()), expected_threads);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert_eq!(exit.code(), Some(0));
}

#[test]
fn serves_until_sigterm_then_exits_cleanly() {
    // The default: one serving thread per CPU.
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let names: Vec<String> = (0..cpus).map(|n| format!("hangar-worker-{n}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    serve_then_stop(None, &names);
}

#[test]
fn workers_sets_the_serving_threads_and_zero_serves_on_one_runtime() {
    serve_then_stop(
        Some("3"),
        &["hangar-worker-0", "hangar-worker-1", "hangar-worker-2"],
    );
    serve_then_stop(Some("0"), &[]);
    // Past 1024 is a bad argument (exit 2), not thousands of threads.
    let refused = Command::new(BIN)
        .args(["serve", "--http", "--port", "0", "--workers", "5000"])
        .env_remove("HANGAR_WORKERS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run");
    assert_eq!(refused.code(), Some(2));
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
