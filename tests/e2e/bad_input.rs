//! Hostile and malformed client input against the real `mcp-hangar` (front_door, the
//! API-key tenants of `gateway_faults`, the stdio demo back end): headers dribbled
//! slowly (slowloris), a 1 MB header, a chunked body over the limit, invalid UTF-8,
//! deeply nested JSON, JSON-RPC batches, the same id twice in flight, unknown methods and
//! a body that is not declared JSON. Every case asserts the exact answer, and that the
//! gateway then still serves a normal call.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::gateway::Hangar;
use crate::gateway_faults::{
    Answer, CALLER_KEY, Fault, FaultBackend, KEYS, call, call_with_id, config, exchange, post,
    send, split_url, wait_for_tools,
};

/// The header read timeout of `mcp-hangar` (hangar_gateway::Options, not configurable
/// from the binary).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

fn start() -> Hangar {
    Hangar::start(&config(&[]), &KEYS)
}

/// A normal call through the gateway still succeeds.
fn assert_still_serving(hangar: &Hangar) {
    let (answer, took) = call(
        &hangar.url,
        CALLER_KEY,
        "echo",
        &json!({"text": "still here"}),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.contains("still here"), "{answer:?}");
    assert!(took < Duration::from_secs(2), "a normal call took {took:?}");
}

/// The headers of a stateless (2026-07-28) request for `method` as [`CALLER_KEY`].
fn stateless(method: &str) -> [(&str, &str); 3] {
    [
        ("X-API-Key", CALLER_KEY),
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", method),
    ]
}

/// `{"_meta": {protocolVersion: 2026-07-28}}` plus `extra` members, as params.
fn meta(extra: &str) -> String {
    format!(r#"{{"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}{extra}}}"#)
}

/// Asserts a JSON-RPC error answer: HTTP `status`, `code`, `message` and `id`.
fn assert_rpc_error(answer: &Answer, status: u16, code: i64, message: &str, id: &Value) {
    assert_eq!(answer.status, status, "{answer:?}");
    let body = answer.json();
    assert_eq!(
        body,
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
        "{answer:?}"
    );
}

#[test]
fn slowloris_headers_are_cut_off_at_the_header_read_timeout() {
    let hangar = start();
    let (authority, _) = split_url(&hangar.url);
    let mut stream = TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let mut writer = stream.try_clone().expect("clone");
    let started = Instant::now();
    // One byte every 200 ms, a header line that never ends: each byte is progress, so a
    // timeout that restarted on every read would never fire.
    let dribble = std::thread::spawn(move || {
        let head = format!("POST /mcp HTTP/1.1\r\nHost: {}\r\nX-Slow: ", "127.0.0.1");
        if writer.write_all(head.as_bytes()).is_err() {
            return;
        }
        while started.elapsed() < Duration::from_secs(25) {
            if writer.write_all(b"a").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    // Meanwhile other callers are served at once.
    std::thread::sleep(Duration::from_secs(1));
    assert_still_serving(&hangar);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let closed_after = started.elapsed();
    let _ = dribble.join();
    eprintln!(
        "slowloris: closed after {closed_after:?}, answer {:?}",
        String::from_utf8_lossy(&answer)
    );
    assert!(
        closed_after >= HEADER_READ_TIMEOUT - Duration::from_millis(500)
            && closed_after < HEADER_READ_TIMEOUT + Duration::from_secs(3),
        "the connection was closed after {closed_after:?}"
    );
    // The connection is dropped without an answer (hyper sends none on a header timeout).
    assert!(answer.is_empty(), "{:?}", String::from_utf8_lossy(&answer));
    assert_still_serving(&hangar);
}

#[test]
fn a_one_megabyte_header_or_too_many_headers_are_431() {
    let hangar = start();
    let big = "a".repeat(1 << 20);
    let many: Vec<(String, String)> = (0..200)
        .map(|i| (format!("X-Header-{i}"), "v".repeat(50)))
        .collect();
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.to_vec();
    for (case, extra) in [
        ("1 MB header", vec![("X-Big".to_owned(), big)]),
        ("200 headers", many),
    ] {
        let mut headers: Vec<(&str, &str)> = vec![("Content-Type", "application/json")];
        headers.extend(extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let answer = post(&hangar.url, &headers, body.clone());
        let answer = answer.unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(answer.status, 431, "{case}: {answer:?}");
    }
    assert_still_serving(&hangar);
}

#[test]
fn a_chunked_body_over_the_limit_is_413() {
    let hangar = start();
    let (authority, path) = split_url(&hangar.url);
    // 5 MiB in 64 KiB chunks, no Content-Length: the limit (4 MiB) is met while reading.
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nX-API-Key: {CALLER_KEY}\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    let chunk = vec![b' '; 64 << 10];
    for _ in 0..80 {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let started = Instant::now();
    let answer = exchange(authority, request).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.status, 413, "{answer:?}");
    assert_eq!(
        answer.json(),
        json!({"error": "payload_too_large", "message": "request body exceeds 4194304 bytes"})
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_still_serving(&hangar);
}

#[test]
fn invalid_utf8_is_a_parse_error() {
    let hangar = start();
    let call = |text: &[u8]| {
        let mut body = br#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"text":""#.to_vec();
        body.extend_from_slice(text);
        body.extend_from_slice(br#""}}}"#);
        body
    };
    let cases: [(&str, Vec<u8>); 5] = [
        ("invalid byte in a value", call(b"\xff\xfe")),
        ("overlong encoding of '/'", call(b"\xc0\xaf")),
        ("lone continuation byte", call(b"\x80")),
        ("truncated sequence", call(b"\xe2\x82")),
        (
            "invalid byte in a member the gateway ignores",
            br#"{"jsonrpc":"2.0","id":4,"method":"ping","x":"\xed\xa0\x80"}"#.to_vec(),
        ),
    ];
    for (case, body) in cases {
        let answer = send(&hangar.url, &[("X-API-Key", CALLER_KEY)], body);
        eprintln!("{case}: {answer:?}");
        assert_rpc_error(&answer, 400, -32700, "Parse error", &Value::Null);
    }
    assert_still_serving(&hangar);
}

#[test]
fn deep_nesting_is_refused_by_the_depth_limit_without_a_stack_overflow() {
    let hangar = start();
    let too_deep = "Invalid Request: nesting exceeds 64 levels";
    let deep = 100_000;
    let cases = [
        ("100 000 '['", "[".repeat(deep)),
        (
            "100 000 balanced arrays in params",
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{}}}"#,
                meta(&format!(r#","x":{}{}"#, "[".repeat(deep), "]".repeat(deep)))
            ),
        ),
        (
            "100 000 nested objects",
            format!("{}1{}", r#"{"a":"#.repeat(deep), "}".repeat(deep)),
        ),
    ];
    for (case, body) in cases {
        let started = Instant::now();
        let answer = send(&hangar.url, &stateless("ping"), body.into_bytes());
        assert_rpc_error(&answer, 400, -32600, too_deep, &Value::Null);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{case}: {:?}",
            started.elapsed()
        );
    }
    // The limit itself: 64 levels pass (envelope, params, then 62 arrays), 65 do not.
    let nested = |levels: usize| {
        format!(
            r#"{{"jsonrpc":"2.0","id":2,"method":"ping","params":{}}}"#,
            meta(&format!(
                r#","x":{}{}"#,
                "[".repeat(levels),
                "]".repeat(levels)
            ))
        )
    };
    let answer = send(&hangar.url, &stateless("ping"), nested(62).into_bytes());
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["id"], 2, "{answer:?}");
    let answer = send(&hangar.url, &stateless("ping"), nested(63).into_bytes());
    assert_rpc_error(&answer, 400, -32600, too_deep, &Value::Null);
    assert_still_serving(&hangar);
}

/// `initialize` for `version` as [`CALLER_KEY`]: the session id.
fn open_session(hangar: &Hangar, version: &str) -> String {
    let answer = send(
        &hangar.url,
        &[("X-API-Key", CALLER_KEY)],
        json!({
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "bad-input", "version": "1"},
            },
        })
        .to_string()
        .into_bytes(),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["result"]["protocolVersion"], version);
    answer
        .headers
        .get("mcp-session-id")
        .unwrap_or_else(|| panic!("no session: {answer:?}"))
        .clone()
}

#[test]
fn batches_are_refused_for_every_protocol_version() {
    let hangar = start();
    let refused = "Invalid Request: batches are not allowed";
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "echo", "arguments": {"text": "from a batch"}}},
    ])
    .to_string();
    // 2025-03-26 allowed batches; the gateway refuses them there too (docs/mcp-compatibility.md).
    for version in ["2025-03-26", "2025-11-25"] {
        let session = open_session(&hangar, version);
        let headers = [
            ("X-API-Key", CALLER_KEY),
            ("Mcp-Session-Id", session.as_str()),
            ("MCP-Protocol-Version", version),
        ];
        let answer = send(&hangar.url, &headers, batch.clone().into_bytes());
        assert_rpc_error(&answer, 400, -32600, refused, &Value::Null);
        assert!(!answer.body.contains("from a batch"), "{answer:?}");
    }
    for body in [batch.as_str(), "[]", "[1, 2]"] {
        let answer = send(&hangar.url, &stateless("ping"), body.as_bytes().to_vec());
        assert_rpc_error(&answer, 400, -32600, refused, &Value::Null);
    }
    // Broken JSON is a parse error first, batch or not.
    let answer = send(&hangar.url, &stateless("ping"), b"[{\"jsonrpc\":".to_vec());
    assert_rpc_error(&answer, 400, -32700, "Parse error", &Value::Null);
    assert_still_serving(&hangar);
}

#[test]
fn concurrent_calls_with_the_same_id_each_get_their_own_answer() {
    let slow = FaultBackend::start("slow_echo", Fault::Delay);
    let hangar = Hangar::start(&config(&[("slow", &slow.url)]), &KEYS);
    wait_for_tools(&hangar, CALLER_KEY, &["echo", "slow_echo"]);
    // Ten calls with one id at once, each held 300 ms by the back end: all in flight
    // together, each answered with its own text under the shared id.
    for (tool, id) in [("slow_echo", json!("dup")), ("echo", json!(7))] {
        let started = Instant::now();
        let callers: Vec<_> = (0..10)
            .map(|i| {
                let (url, id) = (hangar.url.clone(), id.clone());
                std::thread::spawn(move || {
                    let text = format!("caller {i}");
                    let (answer, _) =
                        call_with_id(&url, CALLER_KEY, tool, &json!({"text": text}), &id);
                    (text, answer)
                })
            })
            .collect();
        for caller in callers {
            let (text, answer) = caller.join().expect("caller");
            let body = answer.json();
            assert_eq!(body["id"], id, "{tool}: {answer:?}");
            assert_eq!(
                body["result"]["content"][0]["text"], text,
                "{tool}: {answer:?}"
            );
        }
        if tool == "slow_echo" {
            let took = started.elapsed();
            assert!(took < Duration::from_millis(2500), "serialised: {took:?}");
        }
    }
    assert_still_serving(&hangar);
}

#[test]
fn unknown_methods_are_32601_and_unknown_notifications_are_accepted() {
    let hangar = start();
    let request = |method: &str, id: Value| {
        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}})
        .to_string()
        .into_bytes()
    };
    for (method, id) in [
        ("tools/frobnicate", json!(9)),
        ("x", json!("id-x")),
        ("initialize", json!(10)),
    ] {
        let answer = send(&hangar.url, &stateless(method), request(method, id.clone()));
        assert_rpc_error(
            &answer,
            200,
            -32601,
            &format!("Method not found: {method}"),
            &id,
        );
    }
    // In a session too, including a method of another version.
    let session = open_session(&hangar, "2025-11-25");
    let headers = [
        ("X-API-Key", CALLER_KEY),
        ("Mcp-Session-Id", session.as_str()),
        ("MCP-Protocol-Version", "2025-11-25"),
    ];
    for method in ["server/discover", "tools/frobnicate"] {
        let body = json!({"jsonrpc": "2.0", "id": 3, "method": method}).to_string();
        let answer = send(&hangar.url, &headers, body.into_bytes());
        assert_rpc_error(
            &answer,
            200,
            -32601,
            &format!("Method not found: {method}"),
            &json!(3),
        );
    }
    let notification = json!({"jsonrpc": "2.0", "method": "notifications/frobnicated"});
    let answer = send(&hangar.url, &headers, notification.to_string().into_bytes());
    assert_eq!(answer.status, 202, "{answer:?}");
    assert_still_serving(&hangar);
}

#[test]
fn a_body_not_declared_json_is_415() {
    let hangar = start();
    let ping = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.to_vec();
    let key = ("X-API-Key", CALLER_KEY);
    let session = open_session(&hangar, "2025-11-25");
    let session = ("Mcp-Session-Id", session.as_str());
    for content_type in [
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/json-seq"),
        None,
    ] {
        let mut headers = vec![key, session];
        headers.extend(content_type.map(|value| ("Content-Type", value)));
        let answer = post(&hangar.url, &headers, ping.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.status, 415, "{content_type:?}: {answer:?}");
        assert_eq!(
            answer.json(),
            json!({"error": "unsupported_media_type", "message": "Content-Type must be application/json"}),
            "{content_type:?}"
        );
    }
    // Identity still comes first: no credential is 401, whatever the body.
    let answer = post(&hangar.url, &[("Content-Type", "text/plain")], ping.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.status, 401, "{answer:?}");
    // JSON with parameters, in any case, is JSON.
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let answer = post(
            &hangar.url,
            &[key, session, ("Content-Type", content_type)],
            ping.clone(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.status, 200, "{content_type}: {answer:?}");
        assert_eq!(answer.json()["result"], json!({}), "{answer:?}");
    }
    assert_still_serving(&hangar);
}
