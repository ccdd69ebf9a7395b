//! The fault matrix through the real `mcp-hangar` (front_door, one API-key tenant granted
//! every tool): back ends that are down, slower than `timeout_seconds: 1`, answering
//! garbage, or cutting an SSE answer mid-stream each give their caller a clear JSON-RPC
//! error within a bounded time, while a second caller's calls to the healthy stdio demo
//! back end keep succeeding without a stall; plus an oversized body (413) and malformed
//! JSON (-32700) over raw HTTP.
//!
//! The faulty back ends are [`FaultBackend`]s: a few dozen lines of `std::net` HTTP/1.1
//! that answer `initialize` and `tools/list` like an MCP server (2025-11-25, JSON
//! answers, no session) and misbehave only on `tools/call`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::gateway::{Hangar, demo_command};

const CALLER_KEY: &str = "e2e-faults-caller-key-71c2d0";
const HEALTHY_KEY: &str = "e2e-faults-healthy-key-0b93ae";
/// How long a faulty call may take to come back as an error (the timeout is 1 s).
const ERROR_BOUND: Duration = Duration::from_secs(5);
/// How long one healthy call may take while the faults happen.
const HEALTHY_BOUND: Duration = Duration::from_secs(2);

/// How a [`FaultBackend`] answers `tools/call`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Normally (`ok`).
    None,
    /// After 10 s (past the gateway's 1 s timeout).
    Slow,
    /// `200 application/json` with a body that is not JSON.
    Garbage,
    /// `200 text/event-stream`, half an event, then the connection is closed.
    CutStream,
}

/// A tiny MCP-over-HTTP back end on 127.0.0.1 serving one tool, `<name>_op`.
struct FaultBackend {
    url: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultBackend {
    fn start(tool: &'static str, fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/mcp", listener.local_addr().expect("addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        std::thread::spawn(move || serve(stream, tool, fault));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            // The listener is dropped here: the port refuses connections from now on.
        });
        Self {
            url,
            stop,
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
}

impl Drop for FaultBackend {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Answers one request on `stream` (every answer says `Connection: close`).
fn serve(stream: TcpStream, tool: &str, fault: Fault) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
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
                Fault::None => {}
                Fault::Slow => std::thread::sleep(Duration::from_secs(10)),
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
            }
            json!({"content": [{"type": "text", "text": "ok"}], "isError": false})
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
struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// One HTTP/1.1 POST of raw `body` bytes (written by a second thread, so an early answer
/// is read even if the gateway stops reading).
fn send(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let rest = url.strip_prefix("http://").expect("an http:// url");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut writer = stream.try_clone().expect("clone");
    let write = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&body);
    });
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let _ = write.join();
    let response = String::from_utf8_lossy(&response).into_owned();
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
    Answer {
        status,
        headers,
        body: payload.to_owned(),
    }
}

/// A 2026-07-28 (stateless) `tools/call` as the API key `key`; the answer and how long it took.
fn call(url: &str, key: &str, tool: &str, arguments: &Value) -> (Answer, Duration) {
    let body = json!({
        "jsonrpc": "2.0",
        "id": 11,
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

fn config(backends: &[(&str, &str)]) -> String {
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
mcp_servers:
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
fn wait_for_tools(hangar: &Hangar, key: &str, tools: &[&str]) {
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
    // A back end that never came up: nothing ever listened on its port.
    let never = format!("http://127.0.0.1:{}/mcp", crate::gateway::free_port());
    let hangar = Hangar::start(
        &config(&[
            ("never", &never),
            ("down", &down.url),
            ("slow", &slow.url),
            ("garbage", &garbage.url),
            ("cut", &cut.url),
        ]),
        &[("CALLER_KEY", CALLER_KEY), ("HEALTHY_KEY", HEALTHY_KEY)],
    );
    let all = ["echo", "down_op", "slow_op", "garbage_op", "cut_op"];
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
    let cases: [(&str, &[&str], &str); 4] = [
        ("down_op", &["unreachable"], "back end unreachable"),
        ("slow_op", &["timeout"], "back end timed out"),
        (
            "garbage_op",
            &["invalid_response"],
            "back end sent an invalid response",
        ),
        ("cut_op", &["closed"], "back end closed the connection"),
    ];
    let mut report = Vec::new();
    for (tool, reasons, words) in cases {
        let backend = tool.trim_end_matches("_op");
        let (answer, took) = call(&hangar.url, CALLER_KEY, tool, &json!({}));
        report.push(format!("{tool}: {took:?} {}", answer.body.trim()));
        assert!(took < ERROR_BOUND, "{tool} took {took:?}: {answer:?}");
        if tool == "slow_op" {
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
        assert_eq!(error["data"]["backend"], backend, "{tool}: {body}");
        assert!(
            reasons.iter().any(|r| error["data"]["reason"] == *r),
            "{tool}: reason not one of {reasons:?}: {body}"
        );
        assert!(body.get("result").is_none(), "{tool}: {body}");
    }
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
    let hangar = Hangar::start(
        &config(&[]),
        &[("CALLER_KEY", CALLER_KEY), ("HEALTHY_KEY", HEALTHY_KEY)],
    );
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
