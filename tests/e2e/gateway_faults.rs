//! The fault matrix through the real `mcp-hangar` (front_door, one API-key tenant granted
//! every tool): back ends that are down, slower than `timeout_seconds: 1`, hung (never
//! answering), resetting the connection, answering garbage, cutting an SSE answer
//! mid-stream or streaming forever without the answer each give their caller a clear
//! JSON-RPC error within a bounded time, while a second caller's calls to the healthy
//! stdio demo back end keep succeeding without a stall; plus an oversized body (413) and
//! malformed JSON (-32700) over raw HTTP; an identity provider that is down at start or
//! goes down mid-run; and a full disk under the overlay store.
//!
//! The faulty back ends are [`FaultBackend`]s: a few dozen lines of `std::net` HTTP/1.1
//! that answer `initialize` and `tools/list` like an MCP server (2025-11-25, JSON
//! answers, no session) and misbehave only on `tools/call`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::gateway::{Hangar, demo_command, free_port, raw};
use crate::harness::OidcProvider;
use crate::support::binary;

pub(crate) const CALLER_KEY: &str = "e2e-faults-caller-key-71c2d0";
pub(crate) const HEALTHY_KEY: &str = "e2e-faults-healthy-key-0b93ae";
/// The environment [`config`] needs.
pub(crate) const KEYS: [(&str, &str); 2] =
    [("CALLER_KEY", CALLER_KEY), ("HEALTHY_KEY", HEALTHY_KEY)];
/// How long a faulty call may take to come back as an error (the timeout is 1 s).
const ERROR_BOUND: Duration = Duration::from_secs(5);
/// How long one healthy call may take while the faults happen.
const HEALTHY_BOUND: Duration = Duration::from_secs(2);

/// How a [`FaultBackend`] answers `tools/call`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Normally: the `text` argument back, else `ok`.
    None,
    /// Normally, after 300 ms (so that calls overlap).
    Delay,
    /// After 10 s (past the gateway's 1 s timeout).
    Slow,
    /// Never: the request is read and the connection held open until the gateway closes it.
    Hang,
    /// The connection is reset (RST) as soon as the request has arrived, unanswered.
    Reset,
    /// `200 application/json` with a body that is not JSON.
    Garbage,
    /// `200 text/event-stream`, half an event, then the connection is closed.
    CutStream,
    /// `200 text/event-stream`, then keep-alive comments, notifications and answers to
    /// other ids every 20 ms, never the answer, until the gateway closes the connection.
    EndlessStream,
}

/// A tiny MCP-over-HTTP back end on 127.0.0.1 serving one tool, `<name>_op`.
pub(crate) struct FaultBackend {
    pub(crate) url: String,
    stop: Arc<AtomicBool>,
    /// Hung and endless calls whose connection the gateway closed.
    abandoned: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultBackend {
    pub(crate) fn start(tool: &'static str, fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/mcp", listener.local_addr().expect("addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let abandoned = Arc::new(AtomicUsize::new(0));
        let flag = Arc::clone(&stop);
        let counter = Arc::clone(&abandoned);
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let counter = Arc::clone(&counter);
                        std::thread::spawn(move || serve(stream, tool, fault, &counter));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            // The listener is dropped here: the port refuses connections from now on.
        });
        Self {
            url,
            stop,
            abandoned,
            thread: Some(thread),
        }
    }

    /// Stops listening (connections are never kept alive, so the back end is then down).
    fn shut_down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Waits up to `within` until the gateway closed `count` hung or endless calls.
    fn wait_abandoned(&self, count: usize, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while self.abandoned.load(Ordering::SeqCst) < count {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }
}

impl Drop for FaultBackend {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Whether the request waiting on `stream` is a `tools/call`, read without consuming it
/// (so that closing the socket afterwards resets the connection).
fn peek_is_call(stream: &TcpStream) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buf = vec![0u8; 64 * 1024];
    while Instant::now() < deadline {
        let n = stream.peek(&mut buf).unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return body.contains("\"tools/call\"");
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

/// Answers one request on `stream` (every answer says `Connection: close`).
fn serve(stream: TcpStream, tool: &str, fault: Fault, abandoned: &AtomicUsize) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    if fault == Fault::Reset && peek_is_call(&stream) {
        // Unread bytes in the receive queue: closing now sends RST, not FIN.
        drop(stream);
        return;
    }
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let method = line
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut stream = reader.into_inner();
    if method != "POST" {
        respond(&mut stream, "405 Method Not Allowed", "text/plain", "");
        return;
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        respond(&mut stream, "400 Bad Request", "text/plain", "bad json");
        return;
    };
    let Some(id) = request.get("id").cloned() else {
        respond(&mut stream, "202 Accepted", "text/plain", "");
        return;
    };
    let result = match request["method"].as_str().unwrap_or_default() {
        "initialize" => json!({
            "protocolVersion": request["params"]["protocolVersion"].as_str().unwrap_or("2025-11-25"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": format!("fault-{tool}"), "version": "1.0.0"},
        }),
        "ping" => json!({}),
        "tools/list" => json!({"tools": [{
            "name": tool,
            "description": "a tool of a misbehaving back end",
            "inputSchema": {"type": "object"},
        }]}),
        "tools/call" => {
            match fault {
                Fault::None | Fault::Reset => {}
                Fault::Delay => std::thread::sleep(Duration::from_millis(300)),
                Fault::Slow => std::thread::sleep(Duration::from_secs(10)),
                Fault::Hang => {
                    // Blocks until the gateway gives up on the call and closes the connection.
                    let closed = match stream.read(&mut [0u8; 1]) {
                        Ok(n) => n == 0,
                        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
                    };
                    if closed {
                        abandoned.fetch_add(1, Ordering::SeqCst);
                    }
                    return;
                }
                Fault::Garbage => {
                    respond(
                        &mut stream,
                        "200 OK",
                        "application/json",
                        "<html>this is not JSON-RPC {",
                    );
                    return;
                }
                Fault::CutStream => {
                    let part =
                        format!("event: message\ndata: {{\"jsonrpc\":\"2.0\",\"id\":{id},\"res");
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{part}\r\n",
                        part.len()
                    );
                    let _ = stream.flush();
                    std::thread::sleep(Duration::from_millis(100));
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                    return;
                }
                Fault::EndlessStream => {
                    if stream_forever(&mut stream, &id) {
                        abandoned.fetch_add(1, Ordering::SeqCst);
                    }
                    return;
                }
            }
            let text = request["params"]["arguments"]["text"]
                .as_str()
                .unwrap_or("ok");
            json!({"content": [{"type": "text", "text": text}], "isError": false})
        }
        _ => {
            let answer = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found"}});
            respond(
                &mut stream,
                "200 OK",
                "application/json",
                &answer.to_string(),
            );
            return;
        }
    };
    let answer = json!({"jsonrpc": "2.0", "id": id, "result": result});
    respond(
        &mut stream,
        "200 OK",
        "application/json",
        &answer.to_string(),
    );
}

/// An event stream that never carries the answer to `id`: a keep-alive comment, a
/// progress notification and the answer to another id, every 20 ms, until a write fails
/// (the gateway closed the connection: `true`) or 60 s passed (`false`).
fn stream_forever(stream: &mut TcpStream, id: &Value) -> bool {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    if stream.write_all(head.as_bytes()).is_err() {
        return true;
    }
    let other = json!(format!("not-{id}"));
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(60) {
        let events = format!(
            ": keep-alive {n}\n\n\
             event: message\ndata: {}\n\n\
             event: message\ndata: {}\n\n",
            json!({"jsonrpc": "2.0", "method": "notifications/progress",
                   "params": {"progressToken": n, "progress": n}}),
            json!({"jsonrpc": "2.0", "id": other, "result": {"n": n}}),
        );
        let chunk = format!("{:x}\r\n{events}\r\n", events.len());
        if stream
            .write_all(chunk.as_bytes())
            .and_then(|()| stream.flush())
            .is_err()
        {
            return true;
        }
        n += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// An HTTP answer to [`send`]: status, headers (lower-case names), body text.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// Writes `request` (head and body, by a second thread, so an early answer is read even
/// if the gateway stops reading) to `authority` and reads until the gateway closes the
/// connection; `Err` with what was read when that is not an HTTP answer (e.g. the
/// connection was reset first).
pub(crate) fn exchange(authority: &str, request: Vec<u8>) -> Result<Answer, String> {
    let mut stream = TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let mut writer = stream.try_clone().expect("clone");
    let write = std::thread::spawn(move || {
        let _ = writer.write_all(&request);
    });
    let mut response = Vec::new();
    let read = stream.read_to_end(&mut response);
    let _ = write.join();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.strip_prefix("HTTP/1.1 "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP response ({read:?}): {response:?}"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: payload.to_owned(),
    })
}

/// `url` as (authority, path).
pub(crate) fn split_url(url: &str) -> (&str, &str) {
    let rest = url.strip_prefix("http://").expect("an http:// url");
    rest.split_at(rest.find('/').unwrap_or(rest.len()))
}

/// One HTTP/1.1 POST of raw `body` bytes with `headers`, `Host`, `Connection: close` and
/// `Content-Length` (and no other header).
pub(crate) fn post(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Result<Answer, String> {
    let (authority, path) = split_url(url);
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(&body);
    exchange(authority, request)
}

/// One HTTP/1.1 POST of raw `body` bytes declared `application/json`, as MCP clients send.
pub(crate) fn send(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let mut all = vec![
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
    ];
    all.extend_from_slice(headers);
    post(url, &all, body).unwrap_or_else(|error| panic!("{error}"))
}

/// A 2026-07-28 (stateless) `tools/call` as the API key `key`; the answer and how long it took.
pub(crate) fn call(url: &str, key: &str, tool: &str, arguments: &Value) -> (Answer, Duration) {
    call_with_id(url, key, tool, arguments, &json!(11))
}

/// [`call`] with the JSON-RPC id `id`.
pub(crate) fn call_with_id(
    url: &str,
    key: &str,
    tool: &str,
    arguments: &Value,
    id: &Value,
) -> (Answer, Duration) {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "tools/call",
        "params": {
            "name": tool,
            "arguments": arguments,
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"},
        },
    });
    let started = Instant::now();
    let answer = send(
        url,
        &[
            ("X-API-Key", key),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", tool),
        ],
        body.to_string().into_bytes(),
    );
    (answer, started.elapsed())
}

/// front_door with two API-key tenants (`CALLER_KEY` → tenant:a, `HEALTHY_KEY` →
/// tenant:b; see [`KEYS`]) granted every tool of the stdio demo back end and of the
/// remote `backends` (name, URL; `timeout_seconds: 1`).
pub(crate) fn config(backends: &[(&str, &str)]) -> String {
    config_with_auth("", backends)
}

/// [`config`] with more of the `auth` section (indented YAML lines).
fn config_with_auth(auth: &str, backends: &[(&str, &str)]) -> String {
    let mut config = format!(
        r#"
tool_access:
  mode: front_door
auth:
  enabled: true
  allow_anonymous: false
  api_keys:
    - name: caller
      key: ${{CALLER_KEY}}
      tenant_id: "tenant:a"
    - name: healthy-caller
      key: ${{HEALTHY_KEY}}
      tenant_id: "tenant:b"
{auth}mcp_servers:
  demo:
    mode: stdio
    command: {demo}
    tools: {{ allow_list: ["*"] }}
"#,
        demo = demo_command().display()
    );
    for (name, url) in backends {
        config.push_str(&format!(
            r#"  {name}:
    mode: remote
    endpoint: {url}
    protocol_version: "2025-11-25"
    timeout_seconds: 1
    connect_timeout_seconds: 1
    tools: {{ allow_list: ["*"] }}
"#
        ));
    }
    config
}

/// Waits until `key`'s tools/list shows every tool in `tools`.
pub(crate) fn wait_for_tools(hangar: &Hangar, key: &str, tools: &[&str]) {
    // Generous: a back end missed at start is retried after 1, 3, 7, 15 and 31 s.
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let answer = send(
            &hangar.url,
            &[
                ("X-API-Key", key),
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "tools/list"),
            ],
            json!({
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/list",
                "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}},
            })
            .to_string()
            .into_bytes(),
        );
        let names: Vec<String> = answer.json()["result"]["tools"]
            .as_array()
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|t| t["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if tools.iter().all(|t| names.iter().any(|n| n == t)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "tools {tools:?} never listed (got {names:?}); gateway:\n{}",
            hangar.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A second caller calling the healthy demo back end's `echo` in a loop until stopped;
/// its (worst latency, calls, failures).
fn healthy_caller(
    url: String,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(Duration, u32, Vec<String>)> {
    std::thread::spawn(move || {
        let mut worst = Duration::ZERO;
        let mut calls = 0;
        let mut failures = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            let text = format!("ping {calls}");
            let (answer, took) = call(&url, HEALTHY_KEY, "echo", &json!({"text": text}));
            worst = worst.max(took);
            calls += 1;
            let ok = answer.status == 200
                && serde_json::from_str::<Value>(&answer.body).is_ok_and(|v| {
                    v["result"]["isError"] == false
                        && v["result"]["content"][0]["text"]
                            .as_str()
                            .is_some_and(|t| t.contains(&text))
                });
            if !ok || took > HEALTHY_BOUND {
                failures.push(format!("after {took:?}: {answer:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        (worst, calls, failures)
    })
}

#[test]
fn faulty_back_ends_give_clear_errors_while_a_healthy_one_keeps_answering() {
    let mut down = FaultBackend::start("down_op", Fault::None);
    let slow = FaultBackend::start("slow_op", Fault::Slow);
    let garbage = FaultBackend::start("garbage_op", Fault::Garbage);
    let cut = FaultBackend::start("cut_op", Fault::CutStream);
    let hang = FaultBackend::start("hang_op", Fault::Hang);
    let reset = FaultBackend::start("reset_op", Fault::Reset);
    let endless = FaultBackend::start("endless_op", Fault::EndlessStream);
    // A back end that never came up: nothing ever listened on its port.
    let never = format!("http://127.0.0.1:{}/mcp", crate::gateway::free_port());
    let hangar = Hangar::start(
        &config(&[
            ("never", &never),
            ("down", &down.url),
            ("slow", &slow.url),
            ("garbage", &garbage.url),
            ("cut", &cut.url),
            ("hang", &hang.url),
            ("reset", &reset.url),
            ("endless", &endless.url),
        ]),
        &KEYS,
    );
    let all = [
        "echo",
        "down_op",
        "slow_op",
        "garbage_op",
        "cut_op",
        "hang_op",
        "reset_op",
        "endless_op",
    ];
    wait_for_tools(&hangar, CALLER_KEY, &all);
    wait_for_tools(&hangar, HEALTHY_KEY, &all);
    // The "down" back end works, then goes away (nothing listens on its port any more).
    let (answer, _) = call(&hangar.url, CALLER_KEY, "down_op", &json!({}));
    assert_eq!(
        answer.json()["result"]["content"][0]["text"],
        "ok",
        "{answer:?}"
    );
    down.shut_down();

    let stop = Arc::new(AtomicBool::new(false));
    let healthy = healthy_caller(hangar.url.clone(), Arc::clone(&stop));

    // (tool, the reason in `data`, words the message must hold)
    let cases: [(&str, &[&str], &str); 7] = [
        ("down_op", &["unreachable"], "back end unreachable"),
        ("slow_op", &["timeout"], "back end timed out"),
        (
            "garbage_op",
            &["invalid_response"],
            "back end sent an invalid response",
        ),
        ("cut_op", &["closed"], "back end closed the connection"),
        ("hang_op", &["timeout"], "back end timed out"),
        ("reset_op", &["closed"], "back end closed the connection"),
        // Keep-alives, notifications and other ids' answers do not hold the call open.
        ("endless_op", &["timeout"], "back end timed out"),
    ];
    let mut report = Vec::new();
    for (tool, reasons, words) in cases {
        let backend = tool.trim_end_matches("_op");
        let (answer, took) = call(&hangar.url, CALLER_KEY, tool, &json!({}));
        report.push(format!("{tool}: {took:?} {}", answer.body.trim()));
        assert!(took < ERROR_BOUND, "{tool} took {took:?}: {answer:?}");
        if ["slow_op", "hang_op", "endless_op"].contains(&tool) {
            // It is the configured timeout (1 s) that ended it.
            assert!(took >= Duration::from_millis(900), "{tool} took {took:?}");
        }
        assert_eq!(answer.status, 200, "{tool}: {answer:?}");
        let body = answer.json();
        let error = &body["error"];
        assert_eq!(error["code"], -32603, "{tool}: {body}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("Back-end error: ") && message.contains(words),
            "{tool}: {message:?}"
        );
        // front_door: the flat surface hides which back end holds a tool, and so do its
        // errors (the reason stays).
        assert!(error["data"].get("backend").is_none(), "{tool}: {body}");
        assert!(!body.to_string().contains(backend), "{tool}: {body}");
        assert!(
            reasons.iter().any(|r| error["data"]["reason"] == *r),
            "{tool}: reason not one of {reasons:?}: {body}"
        );
        assert!(body.get("result").is_none(), "{tool}: {body}");
    }
    // The gateway let go of the hung call and of the endless stream: it closed both
    // connections (so nothing keeps reading, or buffering, an answer nobody waits for).
    assert!(
        hang.wait_abandoned(1, ERROR_BOUND),
        "the hung call's connection stayed open"
    );
    assert!(
        endless.wait_abandoned(1, ERROR_BOUND),
        "the endless stream was still being read"
    );
    // The slow call again, twice at once: each its own bounded error.
    let url = hangar.url.clone();
    let parallel: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || call(&url, CALLER_KEY, "slow_op", &json!({})))
        })
        .collect();
    for handle in parallel {
        let (answer, took) = handle.join().expect("slow caller");
        assert!(took < ERROR_BOUND, "slow_op took {took:?}");
        assert_eq!(
            answer.json()["error"]["data"]["reason"],
            "timeout",
            "{answer:?}"
        );
    }
    // The back end that never came up never listed a tool: calling one is the same
    // hidden-existence error as any unknown tool.
    let (answer, took) = call(&hangar.url, CALLER_KEY, "never_op", &json!({}));
    assert!(took < ERROR_BOUND, "never_op took {took:?}");
    assert_eq!(
        answer.json()["error"],
        json!({"code": -32602, "message": "Unknown tool: never_op"}),
        "{answer:?}"
    );
    stop.store(true, Ordering::SeqCst);
    let (worst, calls, failures) = healthy.join().expect("healthy caller");
    assert!(calls >= 5, "the healthy caller made only {calls} calls");
    eprintln!("faults: {report:#?}; healthy caller: {calls} calls, worst {worst:?}");
    assert!(
        failures.is_empty(),
        "the healthy caller failed or stalled (worst {worst:?}, {calls} calls): {failures:#?}\nfaults: {report:#?}"
    );
    // The gateway is still healthy itself.
    assert_eq!(
        crate::gateway::raw("GET", &format!("{}/health/live", hangar.base), &[], None).status,
        200
    );
}

#[test]
fn an_oversized_body_is_413_and_malformed_json_is_a_parse_error() {
    let hangar = Hangar::start(&config(&[]), &KEYS);
    let auth = [("X-API-Key", CALLER_KEY)];

    // 10 MB of JSON (a tools/call whose argument is one long string).
    let mut body = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":""#.to_vec();
    body.resize(body.len() + 10 * 1024 * 1024, b'a');
    body.extend_from_slice(br#""}}}"#);
    let started = Instant::now();
    let answer = send(&hangar.url, &auth, body);
    assert_eq!(answer.status, 413, "{} {:?}", answer.status, answer.headers);
    assert!(started.elapsed() < Duration::from_secs(10));

    // Malformed JSON: -32700, id null.
    for bad in [
        &b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"[..],
        b"not json at all",
        b"{\"a\":1}}",
    ] {
        let answer = send(&hangar.url, &auth, bad.to_vec());
        let body = answer.json();
        assert_eq!(body["error"]["code"], -32700, "{answer:?}");
        assert!(body["id"].is_null(), "{answer:?}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.to_ascii_lowercase().contains("parse")),
            "{answer:?}"
        );
    }

    // The gateway still answers normally.
    let (answer, _) = call(
        &hangar.url,
        CALLER_KEY,
        "echo",
        &json!({"text": "still here"}),
    );
    assert!(answer.body.contains("still here"), "{answer:?}");
}

/// [`config`] with `auth.oidc` bound to `issuer` and `resource`.
fn oidc_config(issuer: &str, resource: &str) -> String {
    let oidc = format!(
        "  oidc:\n    enabled: true\n    issuer: {issuer}\n    resource_uri: {resource}\n    \
         tenant_claim: tenant_id\n"
    );
    config_with_auth(&oidc, &[])
}

/// A stateless `tools/list` with `credential`: the raw answer.
fn list_with(hangar: &Hangar, credential: (&str, &str)) -> crate::gateway::RawAnswer {
    raw(
        "POST",
        &hangar.url,
        &[
            credential,
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/list"),
        ],
        Some(&json!({
            "jsonrpc": "2.0",
            "id": 5,
            "method": "tools/list",
            "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}},
        })),
    )
}

fn tool_count(answer: &crate::gateway::RawAnswer) -> usize {
    answer.body["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools: {answer:?}"))
        .len()
}

#[test]
fn an_identity_provider_down_at_start_is_503_while_api_keys_keep_working() {
    // A real token from a real provider, which is then stopped before the gateway starts.
    let idp = OidcProvider::start("RS256");
    let port = free_port();
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let token = idp.token("tenant-a", &resource);
    let issuer = idp.issuer.clone();
    drop(idp);
    let hangar = Hangar::start_on_port(&oidc_config(&issuer, &resource), &KEYS, port);
    let bearer = format!("Bearer {token}");
    for attempt in 0..2 {
        let started = Instant::now();
        let answer = list_with(&hangar, ("Authorization", &bearer));
        assert!(started.elapsed() < ERROR_BOUND, "{:?}", started.elapsed());
        // Not the caller's fault: 503 and a retry hint, not 401 invalid_token.
        assert_eq!(answer.status, 503, "attempt {attempt}: {answer:?}");
        assert_eq!(
            answer.body["error"], "temporarily_unavailable",
            "{answer:?}"
        );
        assert_eq!(
            answer.headers.get("retry-after").map(String::as_str),
            Some("5")
        );
        assert!(
            !answer.headers.contains_key("www-authenticate"),
            "{answer:?}"
        );
    }
    // The gateway itself is up and serves callers that do not need the provider.
    assert_eq!(
        raw("GET", &format!("{}/health/live", hangar.base), &[], None).status,
        200
    );
    let answer = list_with(&hangar, ("X-API-Key", CALLER_KEY));
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(tool_count(&answer), 3, "{answer:?}");
}

#[test]
fn cached_keys_keep_verifying_when_the_identity_provider_goes_down_mid_run() {
    let idp = OidcProvider::start("RS256");
    let port = free_port();
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let hangar = Hangar::start_on_port(&oidc_config(&idp.issuer, &resource), &KEYS, port);
    let first = format!("Bearer {}", idp.token("tenant-a", &resource));
    // Minted now, presented only after the provider is gone: no cached verification of
    // this token exists, only the provider's keys fetched for the first one.
    let second = format!("Bearer {}", idp.token("tenant-b", &resource));
    let answer = list_with(&hangar, ("Authorization", &first));
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(tool_count(&answer), 3, "{answer:?}");
    drop(idp);
    for bearer in [&second, &first] {
        let answer = list_with(&hangar, ("Authorization", bearer));
        assert_eq!(
            answer.status,
            200,
            "{answer:?}; gateway:\n{}",
            hangar.stderr()
        );
        assert_eq!(tool_count(&answer), 3, "{answer:?}");
    }
}

/// `mcp-hangar` started by `bash -c "trap '' XFSZ; exec prlimit --fsize=N …"`: a write
/// that would make any file larger than N bytes fails with `EFBIG` (SIGXFSZ is ignored),
/// as a full disk makes writes fail, without needing one. Stopped by pid when dropped.
struct CappedHangar {
    child: Child,
    base: String,
}

impl CappedHangar {
    fn start(
        config: &std::path::Path,
        data_dir: &std::path::Path,
        env: &[(&str, &str)],
        max_file_bytes: u64,
    ) -> Self {
        let log = std::fs::File::create(data_dir.with_extension("log")).expect("log file");
        let mut child = Command::new("bash")
            .arg("-c")
            // Soft limit only, so that the test can lift it on the running process.
            .arg(r#"trap '' XFSZ; exec prlimit --fsize="$0":unlimited -- "$@""#)
            .arg(max_file_bytes.to_string())
            .arg(binary("mcp-hangar"))
            .arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--http", "--host", "127.0.0.1", "--port", "0"])
            .arg("--no-watch")
            .env("HANGAR_LOG", "warn")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("bash starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let line = rx.recv_timeout(Duration::from_secs(30));
        let base = match &line {
            Ok(Some(Ok(line))) => line
                .strip_prefix("mcp-hangar listening on ")
                .map(str::to_owned),
            _ => None,
        };
        let Some(base) = base else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the capped gateway did not start ({line:?}): {}",
                std::fs::read_to_string(data_dir.with_extension("log")).unwrap_or_default()
            );
        };
        Self { child, base }
    }
}

impl Drop for CappedHangar {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ADMIN_KEY: &str = "e2e-faults-admin-key-5d81c4";

/// The runtime withdrawals `GET /api/admin/withdrawals` lists: (tool, tenant).
fn runtime_withdrawals(base: &str) -> BTreeSet<(String, String)> {
    let answer = raw(
        "GET",
        &format!("{base}/api/admin/withdrawals"),
        &[("X-API-Key", ADMIN_KEY)],
        None,
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body["withdrawals"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer:?}"))
        .iter()
        .filter(|w| {
            w["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("runtime"))
        })
        .map(|w| {
            let field = |name: &str| w[name].as_str().unwrap_or_default().to_owned();
            (field("tool"), field("tenant_id"))
        })
        .collect()
}

#[test]
fn a_full_disk_refuses_withdrawals_and_acknowledges_only_what_was_stored() {
    // Grows the overlay store past its cap: each withdrawal carries a 2 KB tenant id.
    const MAX_FILE_BYTES: u64 = 2 << 20;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            r#"
auth:
  enabled: true
  api_keys:
    - name: ops-admin
      key: ${{ADMIN_KEY}}
      roles: [admin]
    - name: caller
      key: ${{CALLER_KEY}}
mcp_servers:
  demo:
    mode: stdio
    command: {demo}
"#,
            demo = demo_command().display()
        ),
    )
    .expect("write config");
    let data = dir.path().join("data");
    let env = [("ADMIN_KEY", ADMIN_KEY), ("CALLER_KEY", CALLER_KEY)];
    let capped = CappedHangar::start(&config, &data, &env, MAX_FILE_BYTES);
    let tenant = format!("tenant:{}", "x".repeat(2000));
    let withdraw = |base: &str, tool: &str| {
        raw(
            "POST",
            &format!("{base}/api/admin/tools/demo/{tool}/withdraw"),
            &[("X-API-Key", ADMIN_KEY)],
            Some(&json!({"tenant_id": tenant})),
        )
    };
    let mut acknowledged = BTreeSet::new();
    let mut refused = Vec::new();
    let mut first_refusal = None;
    for i in 0..2000 {
        let tool = format!("tool_{i:04}");
        let answer = withdraw(&capped.base, &tool);
        if answer.status == 200 {
            assert_eq!(answer.body["withdrawn"], true, "{answer:?}");
            acknowledged.insert((tool, tenant.clone()));
        } else {
            // A server-side failure, said as such: never a 2xx, never the caller's fault.
            assert_eq!(answer.status, 500, "{tool}: {answer:?}");
            assert_eq!(answer.body["error"], "store_error", "{answer:?}");
            first_refusal.get_or_insert(answer.body["message"].clone());
            refused.push((tool, tenant.clone()));
            if refused.len() == 5 {
                break;
            }
        }
    }
    eprintln!(
        "full disk: {} withdrawals acknowledged, then {} refused: {first_refusal:?}",
        acknowledged.len(),
        refused.len()
    );
    // The answer names the cause the operator must fix (EFBIG here: "File too large").
    let said = first_refusal
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(said.contains("too large"), "{first_refusal:?}");
    assert!(
        acknowledged.len() >= 10,
        "the store took {} writes",
        acknowledged.len()
    );
    assert_eq!(refused.len(), 5, "the store never filled up");
    // The gateway stays up: health, an MCP call, and the admin API's reads.
    assert_eq!(
        raw("GET", &format!("{}/health/live", capped.base), &[], None).status,
        200
    );
    let (answer, _) = call(
        &format!("{}/mcp", capped.base),
        CALLER_KEY,
        "hangar_status",
        &json!({}),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.json().get("result").is_some(), "{answer:?}");
    // What the running gateway enforces is exactly what it acknowledged.
    assert_eq!(runtime_withdrawals(&capped.base), acknowledged);
    // A restore on the full disk is acknowledged only if it was stored too.
    let restored = acknowledged.first().cloned().expect("one withdrawal");
    let answer = raw(
        "POST",
        &format!(
            "{}/api/admin/tools/demo/{}/restore",
            capped.base, restored.0
        ),
        &[("X-API-Key", ADMIN_KEY)],
        Some(&json!({"tenant_id": tenant})),
    );
    match answer.status {
        200 => {
            acknowledged.remove(&restored);
        }
        500 => assert_eq!(answer.body["error"], "store_error", "{answer:?}"),
        other => panic!("restore answered {other}: {answer:?}"),
    }
    // Room again (the cap lifted on the running process): the store opens its file anew
    // and takes writes, without a restart.
    let lifted = Command::new("prlimit")
        .args(["--pid", &capped.child.id().to_string(), "--fsize=unlimited"])
        .status()
        .expect("prlimit runs");
    assert!(lifted.success(), "prlimit --pid: {lifted}");
    let answer = withdraw(&capped.base, &refused[0].0);
    assert_eq!(answer.status, 200, "{answer:?}");
    acknowledged.insert(refused.remove(0));
    assert_eq!(runtime_withdrawals(&capped.base), acknowledged);
    drop(capped);

    // Restarted without the cap on the same data directory: every acknowledged
    // withdrawal is there, no refused one is.
    let hangar = Hangar::start_file_with_data_dir(
        &config,
        &crate::support::repo_root(),
        &env,
        data.to_str().expect("a UTF-8 path"),
    );
    assert_eq!(runtime_withdrawals(&hangar.base), acknowledged);
}
