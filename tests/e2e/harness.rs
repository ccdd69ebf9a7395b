//! The third-party test pieces (tests/harness/, installed by `bash scripts/test.sh`),
//! started on 127.0.0.1 for one test and killed (by pid) when dropped:
//!
//! * [`PaymentsServer`]: the "payments" back end written with the official Python `mcp`
//!   SDK, 1.x (`FastMCP`) or 2.x (`MCPServer`), recording every request's headers;
//! * [`Everything`]: `@modelcontextprotocol/server-everything` over Streamable HTTP;
//! * [`Client`]: the official Python (1.x, 2.x) and TypeScript SDK clients, one process
//!   per command (`list`, `call`, `listen`, `info`);
//! * [`demo_backend`]: the workspace's stdio demo back end.
//!
//! A piece that is not installed fails the test with "run scripts/test.sh to install the
//! test harness": these tests never skip silently.

#![allow(dead_code)]

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::support::{binary, repo_root};

/// How long a piece may take to print its ready line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one client command may take.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

/// tests/harness/.
pub(crate) fn harness_dir() -> PathBuf {
    repo_root().join("tests/harness")
}

fn not_installed(what: &Path) -> ! {
    panic!(
        "the test harness is not installed ({} is missing): run scripts/test.sh to install the \
         test harness (its \"install the test harness\" step creates the Python venvs and runs \
         `npm ci` in tests/harness)",
        what.display()
    )
}

/// The Python of one SDK era's venv.
fn python(era: PythonEra) -> PathBuf {
    let path = harness_dir().join(era.venv()).join("bin/python");
    if !path.exists() {
        not_installed(&path);
    }
    path
}

/// The harness's Node (its own Node 22 when installed, else `node` on PATH); fails when
/// the npm packages are missing.
pub(crate) fn node() -> PathBuf {
    let dir = harness_dir();
    let sdk = dir.join("node_modules/@modelcontextprotocol/sdk");
    if !sdk.is_dir() {
        not_installed(&sdk);
    }
    let local = dir.join("node_modules/.bin/node");
    if local.exists() {
        local
    } else {
        PathBuf::from("node")
    }
}

/// The built stdio demo back end (`target/<profile>/hangar-demo-backend`).
pub(crate) fn demo_backend() -> PathBuf {
    binary("hangar-demo-backend")
}

/// Which Python SDK a Python piece runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PythonEra {
    /// `mcp==1.30.0`: `FastMCP`, initialize handshake (up to 2025-11-25).
    V1,
    /// `mcp==2.3.0`: `MCPServer` / `Client`, 2026-07-28 first, handshake as fallback.
    V2,
}

impl PythonEra {
    fn venv(self) -> &'static str {
        match self {
            Self::V1 => ".venv-mcp1",
            Self::V2 => ".venv-mcp2",
        }
    }
}

/// A running piece: a child process whose first stdout line (JSON) said it was ready.
struct Piece {
    name: &'static str,
    child: Child,
    ready: Value,
    stderr: Arc<Mutex<String>>,
}

impl Piece {
    fn start(name: &'static str, mut command: Command) -> Self {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| {
            panic!("cannot start {name} ({command:?}): {e}; run scripts/test.sh to install the test harness")
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
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
            // Keep draining: a piece writing to a closed pipe would die of EPIPE.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "{name} did not start ({other:?}); its stderr:\n{}",
                    stderr.lock().expect("stderr lock")
                );
            }
        };
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{name}: ready line {line:?} is not JSON: {e}"));
        Self {
            name,
            child,
            ready,
            stderr,
        }
    }

    fn url(&self) -> String {
        self.ready["url"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: ready line has no url: {}", self.name, self.ready))
            .to_owned()
    }
}

impl Drop for Piece {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl fmt::Debug for Piece {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Piece")
            .field("name", &self.name)
            .field("pid", &self.child.id())
            .field("ready", &self.ready)
            .finish_non_exhaustive()
    }
}

/// The "payments" back end (tools `charge`, `refund`, `legacy_charge`, `beta_tool`) on
/// `http://127.0.0.1:PORT/mcp`, appending every request's method, path and headers to a
/// JSONL file.
#[derive(Debug)]
pub(crate) struct PaymentsServer {
    piece: Piece,
    /// `http://127.0.0.1:PORT/mcp`.
    pub(crate) url: String,
    /// The SDK era it runs with.
    pub(crate) era: PythonEra,
    headers_log: PathBuf,
}

impl PaymentsServer {
    /// Starts the server of `era` (stateful, SSE answers), logging requests to `headers_log`.
    pub(crate) fn start(era: PythonEra, headers_log: &Path) -> Self {
        Self::start_with(era, headers_log, &[])
    }

    /// Same, with extra flags: `--stateless`, `--json-response`.
    pub(crate) fn start_with(era: PythonEra, headers_log: &Path, flags: &[&str]) -> Self {
        let script = match era {
            PythonEra::V1 => "payments_server.py",
            PythonEra::V2 => "payments_server_v2.py",
        };
        let dir = harness_dir().join("python");
        let mut command = Command::new(python(era));
        command
            .arg(dir.join(script))
            .args(["--port", "0", "--headers-log"])
            .arg(headers_log)
            .args(flags)
            .current_dir(&dir);
        let piece = Piece::start("the payments server", command);
        let url = piece.url();
        Self {
            piece,
            url,
            era,
            headers_log: headers_log.to_path_buf(),
        }
    }

    /// Every request received so far: `{"method", "path", "query", "headers": {name: value}}`
    /// with lower-case header names.
    pub(crate) fn requests(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.headers_log).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).expect("headers log line is JSON"))
            .collect()
    }

    /// What the server wrote on stderr so far.
    pub(crate) fn stderr(&self) -> String {
        self.piece.stderr.lock().expect("stderr lock").clone()
    }

    /// Changes the tool list through the test control endpoint
    /// (`POST /__test/tools_changed`, body e.g. `{"add":"extra_tool"}`, `{"remove":"refund"}`
    /// or `{}`) and notifies every connected client (`notifications/tools/list_changed`);
    /// returns the answer `{"notified": N, "tools": [...]}`.
    pub(crate) fn tools_changed(&self, body: &Value) -> Value {
        let (status, answer) =
            http_post_json(&self.url.replace("/mcp", "/__test/tools_changed"), body);
        assert_eq!(status, 200, "tools_changed answered {status}: {answer}");
        answer
    }

    /// Waits until the headers log shows a request `matches` accepts (e.g. a client's GET
    /// stream or its `subscriptions/listen`), then a little longer for the server to act on it.
    pub(crate) fn wait_for_request(&self, what: &str, matches: impl Fn(&Value) -> bool) {
        let deadline = std::time::Instant::now() + START_TIMEOUT;
        while !self.requests().iter().any(&matches) {
            assert!(
                std::time::Instant::now() < deadline,
                "the payments server never received {what}: {:#?}",
                self.requests()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// A minimal HTTP/1.1 `POST` of a JSON body to a `http://127.0.0.1:PORT/…` URL; returns the
/// status and the JSON answer.
pub(crate) fn http_post_json(url: &str, body: &Value) -> (u16, Value) {
    use std::io::Write;
    let rest = url.strip_prefix("http://").expect("an http:// url");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let body = body.to_string();
    let mut stream = std::net::TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(CLIENT_TIMEOUT))
        .expect("read timeout");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let json = serde_json::from_str(payload).unwrap_or(Value::String(payload.to_owned()));
    (status, json)
}

/// `@modelcontextprotocol/server-everything` (Streamable HTTP) on `http://127.0.0.1:PORT/mcp`.
#[derive(Debug)]
pub(crate) struct Everything {
    piece: Piece,
    /// `http://127.0.0.1:PORT/mcp`.
    pub(crate) url: String,
}

impl Everything {
    /// Starts it on an ephemeral port, bound to 127.0.0.1 only.
    pub(crate) fn start() -> Self {
        let dir = harness_dir();
        let mut command = Command::new(node());
        command.arg(dir.join("everything.mjs")).current_dir(&dir);
        let piece = Piece::start("server-everything", command);
        let url = piece.url();
        Self { piece, url }
    }

    /// The server-everything version it runs.
    pub(crate) fn version(&self) -> String {
        self.piece.ready["version"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// What the server wrote on stderr so far.
    pub(crate) fn stderr(&self) -> String {
        self.piece.stderr.lock().expect("stderr lock").clone()
    }
}

/// Which official SDK client to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Era {
    /// Python `mcp` 1.30.0: initialize handshake, offers 2025-11-25 (pass
    /// `--protocol-version 2025-06-18` before the URL to offer another).
    PyV1,
    /// Python `mcp` 2.3.0: `--mode auto` (default: `server/discover` for 2026-07-28, else
    /// the handshake), `--mode legacy`, `--mode 2026-07-28`.
    PyV2,
    /// TypeScript `@modelcontextprotocol/sdk` 1.32.2: initialize handshake, 2025-11-25.
    Ts,
}

/// What a client command printed and how it exited.
#[derive(Debug)]
pub(crate) struct ClientOutput {
    /// Exit code: 0 ok, 3 JSON-RPC error, 4 HTTP error status, 1 other failure.
    pub(crate) status: ExitStatus,
    /// The first stdout line as JSON (`Null` when there is none).
    pub(crate) json: Value,
    /// Every stdout line as JSON (`listen` prints one per notification).
    pub(crate) lines: Vec<Value>,
    /// The raw stdout.
    pub(crate) stdout: String,
    /// The raw stderr.
    pub(crate) stderr: String,
}

impl ClientOutput {
    /// The exit code (`-1` when killed by a signal).
    pub(crate) fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// Asserts success and returns the JSON answer.
    pub(crate) fn ok(&self) -> &Value {
        assert!(
            self.status.success(),
            "the client failed ({}):\nstdout: {}\nstderr: {}",
            self.status,
            self.stdout,
            self.stderr
        );
        &self.json
    }
}

/// The official SDK clients, one process per command.
#[derive(Debug)]
pub(crate) struct Client;

impl Client {
    /// Runs `args` (e.g. `["list"]`, `["call", "charge", r#"{"amount":5}"#]`,
    /// `["listen", "3"]`, `["info"]`) against `url` with extra HTTP `headers`.
    /// Options for the client go in `options` (before the URL), e.g.
    /// `["--mode", "legacy"]` for [`Era::PyV2`].
    pub(crate) fn run(
        era: Era,
        url: &str,
        headers: &[(&str, &str)],
        args: &[&str],
    ) -> ClientOutput {
        Self::run_with(era, &[], url, headers, args)
    }

    /// Starts `listen SECONDS` in the background; join the handle for the output.
    pub(crate) fn listen(
        era: Era,
        options: &[&str],
        url: &str,
        seconds: u32,
    ) -> std::thread::JoinHandle<ClientOutput> {
        let options: Vec<String> = options.iter().map(|o| (*o).to_owned()).collect();
        let url = url.to_owned();
        std::thread::spawn(move || {
            let options: Vec<&str> = options.iter().map(String::as_str).collect();
            Self::run_with(era, &options, &url, &[], &["listen", &seconds.to_string()])
        })
    }

    /// [`Client::run`] with client options before the URL.
    pub(crate) fn run_with(
        era: Era,
        options: &[&str],
        url: &str,
        headers: &[(&str, &str)],
        args: &[&str],
    ) -> ClientOutput {
        let dir = harness_dir();
        let mut command = match era {
            Era::PyV1 | Era::PyV2 => {
                let (py_era, script) = if era == Era::PyV1 {
                    (PythonEra::V1, "client_v1.py")
                } else {
                    (PythonEra::V2, "client_v2.py")
                };
                let mut c = Command::new(python(py_era));
                c.arg(dir.join("python").join(script));
                c
            }
            Era::Ts => {
                let mut c = Command::new(node());
                c.arg(dir.join("ts-client.mjs"));
                c
            }
        };
        for (name, value) in headers {
            command.arg("--header").arg(format!("{name}: {value}"));
        }
        command
            .args(options)
            .arg(url)
            .args(args)
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let described = format!("{command:?}");
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {era:?} client: {e}; run scripts/test.sh to install the test harness"));
        let pid = child.id();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let output = match rx.recv_timeout(CLIENT_TIMEOUT) {
            Ok(output) => output.expect("client output"),
            Err(_) => {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                panic!("the {era:?} client did not finish within {CLIENT_TIMEOUT:?}: {described}");
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let lines: Vec<Value> = stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("client printed non-JSON {l:?}: {e}"))
            })
            .collect();
        ClientOutput {
            status: output.status,
            json: lines.first().cloned().unwrap_or(Value::Null),
            lines,
            stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A real OpenID provider (npm `oidc-provider`, tests/harness/oidc-provider.mjs) on
/// `http://127.0.0.1:PORT`: clients `tenant-a`, `tenant-b`, `tenant-c` (tokens carry
/// `tenant_id`), `no-tenant`, `gateway`; secret `<id>-secret`; JWT access tokens with
/// `aud` = the requested `resource`.
#[derive(Debug)]
pub(crate) struct OidcProvider {
    piece: Piece,
    /// `http://127.0.0.1:PORT` (the issuer).
    pub(crate) issuer: String,
}

impl OidcProvider {
    /// Starts a provider signing with `alg` (`RS256` / `ES256`) on an ephemeral port.
    pub(crate) fn start(alg: &str) -> Self {
        let dir = harness_dir();
        if !dir.join("node_modules/oidc-provider").is_dir() {
            not_installed(&dir.join("node_modules/oidc-provider"));
        }
        let mut command = Command::new(node());
        command
            .arg(dir.join("oidc-provider.mjs"))
            .args(["--port", "0", "--alg", alg])
            .current_dir(&dir);
        let piece = Piece::start("the oidc provider", command);
        let issuer = piece.ready["issuer"]
            .as_str()
            .unwrap_or_else(|| panic!("the oidc provider's ready line: {}", piece.ready))
            .to_owned();
        Self { piece, issuer }
    }

    /// A client_credentials access token (a JWT) for `client` (e.g. `tenant-a`) bound to
    /// `resource` (RFC 8707), scope `mcp:read`.
    pub(crate) fn token(&self, client: &str, resource: &str) -> String {
        use std::io::Write;
        let form = format!(
            "grant_type=client_credentials&scope=mcp%3Aread&resource={}",
            percent_encode(resource)
        );
        let basic = base64(format!("{client}:{client}-secret").as_bytes());
        let authority = self.issuer.strip_prefix("http://").expect("an http issuer");
        let mut stream = std::net::TcpStream::connect(authority).expect("connect");
        stream
            .set_read_timeout(Some(CLIENT_TIMEOUT))
            .expect("read timeout");
        write!(
            stream,
            "POST /token HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Basic {basic}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{form}",
            form.len()
        )
        .expect("write token request");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("read token answer");
        let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "token request for {client} failed: {response}\nprovider:\n{}",
            self.stderr()
        );
        // The provider may answer chunked: the JSON object is between the outer braces.
        let json = &payload[payload.find('{').unwrap_or(0)..=payload.rfind('}').unwrap_or(0)];
        let answer: Value = serde_json::from_str(json)
            .unwrap_or_else(|e| panic!("token answer {payload:?} is not JSON: {e}"));
        answer["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token: {answer}"))
            .to_owned()
    }

    /// What the provider wrote on stderr so far.
    pub(crate) fn stderr(&self) -> String {
        self.piece.stderr.lock().expect("stderr lock").clone()
    }
}

/// `application/x-www-form-urlencoded` escaping of a value.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
