//! The real `mcp-hangar` binary for one test: started on 127.0.0.1 with port 0 and a
//! config written to a tempdir, found ready by its ready line
//! (`mcp-hangar listening on http://H:P`) and `/health/ready`, stopped (SIGTERM, then
//! SIGKILL) by pid when dropped; plus a raw HTTP/1.1 client for what the SDK clients
//! cannot send.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::binary;

/// How long the gateway may take to print its ready line and to list its back ends' tools.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the gateway may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `mcp-hangar --config <tempdir>/config.yaml serve --http --host 127.0.0.1 --port 0`.
#[derive(Debug)]
pub(crate) struct Hangar {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: String,
    /// `http://127.0.0.1:PORT/mcp`.
    pub(crate) url: String,
    stderr: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Hangar {
    /// Writes `config` (YAML) to a tempdir and starts the gateway on it, with `env` in its
    /// environment (the config's `${VAR}`s); waits until `/health/ready` answers 200
    /// (plain HTTP only: with TLS, once the ready line is printed).
    pub(crate) fn start(config: &str, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, config).expect("write config");
        Self::start_file(&path, &crate::support::repo_root(), env, dir)
    }

    /// [`Hangar::start`] on a given port (e.g. one a config's `resource_uri` names).
    pub(crate) fn start_on_port(config: &str, env: &[(&str, &str)], port: u16) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, config).expect("write config");
        Self::start_file_on(&path, &crate::support::repo_root(), env, dir, port, None)
    }

    /// Starts the gateway on the config file `path`, from `cwd` (runtime state in `dir`).
    pub(crate) fn start_file(
        path: &std::path::Path,
        cwd: &std::path::Path,
        env: &[(&str, &str)],
        dir: tempfile::TempDir,
    ) -> Self {
        Self::start_file_on(path, cwd, env, dir, 0, None)
    }

    /// [`Hangar::start_file`] keeping the runtime state in `data_dir` (kept across restarts).
    pub(crate) fn start_file_with_data_dir(
        path: &std::path::Path,
        cwd: &std::path::Path,
        env: &[(&str, &str)],
        data_dir: &str,
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_file_on(path, cwd, env, dir, 0, Some(std::path::Path::new(data_dir)))
    }

    /// SIGKILL (no drain, no shutdown), then waits for the exit.
    pub(crate) fn kill_9(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    fn start_file_on(
        path: &std::path::Path,
        cwd: &std::path::Path,
        env: &[(&str, &str)],
        dir: tempfile::TempDir,
        port: u16,
        data_dir: Option<&std::path::Path>,
    ) -> Self {
        let port = port.to_string();
        let data_dir =
            data_dir.map_or_else(|| dir.path().join("data"), std::path::Path::to_path_buf);
        let mut command = Command::new(binary("mcp-hangar"));
        command
            .current_dir(cwd)
            .arg("--config")
            .arg(path)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["serve", "--http", "--host", "127.0.0.1", "--port", &port])
            .env("HANGAR_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("mcp-hangar starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("stderr lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let mut hangar = Self {
            child: Some(child),
            base: String::new(),
            url: String::new(),
            stderr,
            _dir: dir,
        };
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            other => panic!(
                "mcp-hangar did not print its ready line ({other:?}); stderr:\n{}",
                hangar.stderr()
            ),
        };
        let base = line
            .strip_prefix("mcp-hangar listening on ")
            .unwrap_or_else(|| panic!("unexpected ready line {line:?}"))
            .trim()
            .to_owned();
        hangar.url = format!("{base}/mcp");
        hangar.base = base;
        // An https gateway (a `tls` section) is probed by its test, with its own client.
        if hangar.base.starts_with("http://") {
            hangar.wait_ready();
        }
        hangar
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let answer = raw("GET", &format!("{}/health/ready", self.base), &[], None);
            if answer.status == 200 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mcp-hangar never became ready; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The gateway's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// What the gateway logged so far.
    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// SIGTERM, then waits for the exit (SIGKILL after [`STOP_TIMEOUT`]); the exit code.
    pub(crate) fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return status.code(),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
            }
        }
    }
}

impl Drop for Hangar {
    fn drop(&mut self) {
        // SIGTERM first: the gateway then stops its stdio children itself.
        let _ = self.stop();
    }
}

/// The process ids whose parent is `pid` (from /proc).
pub(crate) fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let child: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
            // pid (comm) state ppid …; comm may hold spaces: split after the last ')'.
            let rest = &stat[stat.rfind(')')? + 1..];
            let ppid: u32 = rest.split_whitespace().nth(1)?.parse().ok()?;
            (ppid == pid).then_some(child)
        })
        .collect()
}

/// Whether process `pid` is still running (not gone, not a zombie).
pub(crate) fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

/// An HTTP answer: status, headers (lower-case names), body as JSON (a JSON string
/// when it is not JSON).
#[derive(Debug)]
pub(crate) struct RawAnswer {
    pub(crate) status: u16,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: Value,
}

/// A minimal HTTP/1.1 request (`Connection: close`) to an `http://127.0.0.1:PORT/…` URL.
pub(crate) fn raw(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> RawAnswer {
    let rest = url.strip_prefix("http://").expect("an http:// url");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = std::net::TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!(
            "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).expect("write request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = serde_json::from_str(payload).unwrap_or(Value::String(payload.to_owned()));
    RawAnswer {
        status,
        headers,
        body,
    }
}

/// The path of the stdio demo back end, for a config's `command`.
pub(crate) fn demo_command() -> PathBuf {
    crate::harness::demo_backend()
}

/// A free port on 127.0.0.1 (bound, then released) for a process that needs its port
/// before it starts (e.g. the gateway whose `resource_uri` names it).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A stateless 2026-07-28 `tools/list` sent with one credential header: the tool names,
/// sorted (the answer must be 200).
pub(crate) fn stateless_tool_names(url: &str, credential: (&str, &str)) -> Vec<String> {
    let answer = raw(
        "POST",
        url,
        &[
            credential,
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/list"),
        ],
        Some(&serde_json::json!({
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/list",
            "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}},
        })),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let mut names: Vec<String> = answer.body["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("tools: {answer:?}"))
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}
