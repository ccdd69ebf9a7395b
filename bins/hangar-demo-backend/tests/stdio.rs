//! Speaks to the built `hangar-demo-backend` binary over its stdin/stdout.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

/// The running binary; killed (by pid) and reaped on drop.
struct Demo {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Demo {
    fn start() -> Self {
        Self::start_with_env(&[])
    }

    fn start_with_env(env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hangar-demo-backend"));
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_remove("HANGAR_DEMO_IDENTITY");
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("the demo back end starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Self {
            child,
            stdin: Some(stdin),
            stdout,
        }
    }

    /// Sends one raw line and reads one answer line.
    fn raw(&mut self, line: &str) -> Value {
        self.send(line);
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).expect("read answer");
        assert!(!answer.is_empty(), "the demo back end closed stdout");
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("answer {answer:?}: {e}"))
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").expect("write");
        stdin.flush().expect("flush");
    }

    fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.raw(&json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}).to_string())
    }

    fn initialize(&mut self, version: &str) -> Value {
        let answer = self.request(
            0,
            "initialize",
            json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name":"t","version":"1"}}),
        );
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        answer
    }
}

impl Demo {
    fn close_stdin_and_wait(&mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        self.child.wait().expect("wait")
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn initialize_answers_the_clients_version_when_supported() {
    for version in ["2025-03-26", "2025-06-18", "2025-11-25"] {
        let mut demo = Demo::start();
        let answer = demo.initialize(version);
        assert_eq!(answer["id"], 0);
        assert_eq!(answer["result"]["protocolVersion"], version);
        assert_eq!(
            answer["result"]["serverInfo"]["name"],
            "hangar-demo-backend"
        );
        assert!(answer["result"]["capabilities"]["tools"].is_object());
    }
}

#[test]
fn initialize_with_an_unknown_version_gets_the_latest() {
    let mut demo = Demo::start();
    assert_eq!(
        demo.initialize("2024-11-05")["result"]["protocolVersion"],
        "2025-11-25"
    );
    let mut demo = Demo::start();
    assert_eq!(
        demo.initialize("2026-07-28")["result"]["protocolVersion"],
        "2025-11-25"
    );
}

#[test]
fn ping_and_tools_list() {
    let mut demo = Demo::start();
    demo.initialize("2025-06-18");
    assert_eq!(
        demo.request(1, "ping", json!({})),
        json!({"jsonrpc":"2.0","id":1,"result":{}})
    );
    let list = demo.request(2, "tools/list", json!({}));
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["echo", "add", "whoami"]);
    assert!(list["result"].get("resultType").is_none());
}

#[test]
fn tools_call_echo_add_whoami() {
    let mut demo = Demo::start_with_env(&[("HANGAR_DEMO_IDENTITY", "from-the-gateway")]);
    demo.initialize("2025-11-25");
    let echo = demo.request(
        3,
        "tools/call",
        json!({"name":"echo","arguments":{"text":"hi"}}),
    );
    assert_eq!(
        echo["result"],
        json!({"content":[{"type":"text","text":"hi"}],"isError":false})
    );
    let add = demo.request(
        4,
        "tools/call",
        json!({"name":"add","arguments":{"a":2,"b":3}}),
    );
    assert_eq!(add["result"]["structuredContent"], json!({"sum": 5}));
    assert_eq!(add["result"]["content"][0]["text"], "5");
    let who = demo.request(5, "tools/call", json!({"name":"whoami"}));
    assert_eq!(
        who["result"]["structuredContent"]["identity"],
        "from-the-gateway"
    );
    assert_eq!(
        who["result"]["structuredContent"]["protocolVersion"],
        "2025-11-25"
    );
    let bad = demo.request(6, "tools/call", json!({"name":"add","arguments":{"a":1}}));
    assert_eq!(bad["result"]["isError"], true);
}

#[test]
fn string_ids_are_echoed_verbatim() {
    let mut demo = Demo::start();
    let answer = demo.raw(r#"{"jsonrpc":"2.0","id":"7","method":"ping"}"#);
    assert_eq!(answer, json!({"jsonrpc":"2.0","id":"7","result":{}}));
}

#[test]
fn errors_unknown_tool_unknown_method_malformed_line() {
    let mut demo = Demo::start();
    demo.initialize("2025-11-25");
    let unknown_tool = demo.request(1, "tools/call", json!({"name":"nope","arguments":{}}));
    assert_eq!(unknown_tool["error"]["code"], -32602);
    assert_eq!(unknown_tool["error"]["message"], "Unknown tool: nope");
    let unknown_method = demo.request(2, "resources/list", json!({}));
    assert_eq!(unknown_method["id"], 2);
    assert_eq!(unknown_method["error"]["code"], -32601);
    let discover = demo.request(3, "server/discover", json!({}));
    assert_eq!(discover["error"]["code"], -32601);
    let malformed = demo.raw("{not json");
    assert_eq!(malformed["error"]["code"], -32700);
    assert!(malformed["id"].is_null(), "{malformed}");
    // Still serving after the bad line.
    assert_eq!(demo.request(4, "ping", json!({}))["result"], json!({}));
}

#[test]
fn exits_when_stdin_closes() {
    let mut demo = Demo::start();
    demo.initialize("2025-11-25");
    let status = demo.close_stdin_and_wait();
    assert!(status.success(), "{status}");
}
