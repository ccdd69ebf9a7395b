//! `hangar-demo-backend`: a tiny MCP server on stdio, the back end of the bundled demo
//! (`examples/demo/config.yaml`). One JSON-RPC message per line on stdin, one answer per
//! line on stdout, logs on stderr.
//!
//! Speaks the initialize handshake of 2025-03-26, 2025-06-18 and 2025-11-25 (answers the
//! client's version when supported, else 2025-11-25), `ping`, `tools/list` and
//! `tools/call` with three deterministic tools:
//!
//! * `echo {text}` → the text;
//! * `add {a, b}` → the sum (text and `structuredContent {"sum": …}`);
//! * `whoami` → the server's name and version, the negotiated protocol version and the
//!   value of `$HANGAR_DEMO_IDENTITY` (`null` when unset), so a test can see what the
//!   gateway passed to the subprocess.
//!
//! Unknown methods get `-32601`, a line that is not JSON `-32700` with a `null` id, an
//! unknown tool `-32602 Unknown tool: <name>`.

use std::io::{self, BufRead, Write};

use hangar_mcp::{
    CallToolParams, DecodeLimits, Error, ErrorResponse, Id, InitializeParams, Message, Method,
    ProtocolVersion, Request, Response, ToolListBuilder,
};
use serde_json::value::RawValue;
use serde_json::{Value, json};

const NAME: &str = "hangar-demo-backend";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The tools, as MCP tool objects.
const TOOLS: [&str; 3] = [
    r#"{"name":"echo","description":"Echoes the text back.","inputSchema":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}}"#,
    r#"{"name":"add","description":"Adds two numbers.","inputSchema":{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}}"#,
    r#"{"name":"whoami","description":"Names this server, the negotiated protocol version and $HANGAR_DEMO_IDENTITY.","inputSchema":{"type":"object","properties":{}}}"#,
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "{NAME} {VERSION}: a demo MCP server on stdio (tools echo, add, whoami).\n\
             Usage: {NAME}   (speaks JSON-RPC, one message per line, on stdin/stdout)"
        );
        return;
    }
    if args.iter().any(|a| a == "--version" || a == "-V") {
        println!("{NAME} {VERSION}");
        return;
    }
    eprintln!("{NAME} {VERSION}: serving MCP on stdio");
    let mut server = Server::default();
    let stdin = io::stdin();
    let mut stdout = io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(line) => line,
            Err(err) => {
                eprintln!("{NAME}: cannot read stdin: {err}");
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        if let Some(answer) = server.handle_line(line.as_bytes())
            && stdout
                .write_all(&answer)
                .and_then(|()| stdout.write_all(b"\n"))
                .and_then(|()| stdout.flush())
                .is_err()
        {
            break;
        }
    }
    eprintln!("{NAME}: stdin closed, exiting");
}

/// The server's state: the negotiated protocol version.
#[derive(Debug, Default)]
struct Server {
    version: Option<ProtocolVersion>,
}

impl Server {
    /// Handles one line; returns the encoded answer, if any.
    fn handle_line(&mut self, line: &[u8]) -> Option<Vec<u8>> {
        let limits = DecodeLimits::for_version(ProtocolVersion::LATEST_WITH_INITIALIZE);
        let message = match Message::decode(line, &limits) {
            Ok(message) => message,
            Err(err) => {
                eprintln!("{NAME}: rejected a message: {err}");
                return Some(
                    Message::from(ErrorResponse::from_error(err.request_id().cloned(), &err))
                        .encode(),
                );
            }
        };
        match message {
            Message::Request(request) => Some(self.handle_request(&request).encode()),
            Message::Notification(notification) => {
                eprintln!("{NAME}: notification {}", notification.method);
                None
            }
            Message::Response(_) | Message::ErrorResponse(_) | Message::Batch(_) => {
                eprintln!("{NAME}: ignored a message that is not a request or notification");
                None
            }
        }
    }

    fn handle_request(&mut self, request: &Request) -> Message {
        eprintln!("{NAME}: request {} ({:?})", request.method, request.id);
        let result = match Method::from_name(&request.method) {
            Some(Method::Initialize) => self.initialize(request),
            Some(Method::Ping) => raw("{}"),
            Some(Method::ToolsList) => ToolListBuilder::new(self.version())
                .tools(TOOLS.iter().map(|t| raw_static(t)))
                .build(),
            Some(Method::ToolsCall) => return self.call_tool(request),
            _ => Err(Error::MethodNotFound {
                method: request.method.clone(),
            }),
        };
        answer(&request.id, result)
    }

    fn version(&self) -> ProtocolVersion {
        self.version
            .unwrap_or(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }

    fn initialize(&mut self, request: &Request) -> Result<Box<RawValue>, Error> {
        let params: InitializeParams<'_> = request.params_as()?;
        let version = ProtocolVersion::negotiate(&params.protocol_version);
        eprintln!(
            "{NAME}: initialize from {} {} asking for {}, answering {version}",
            params.client_info.name, params.client_info.version, params.protocol_version
        );
        self.version = Some(version);
        let capabilities = raw(r#"{"tools":{"listChanged":false}}"#)?;
        hangar_mcp::InitializeResultBuilder::new(version, NAME, VERSION)
            .capabilities(&capabilities)
            .instructions("A demo back end: echo, add, whoami.")
            .build()
    }

    fn call_tool(&self, request: &Request) -> Message {
        let call: CallToolParams<'_> = match request.params_as() {
            Ok(call) => call,
            Err(err) => return answer(&request.id, Err(err)),
        };
        let args: Value = match call.arguments {
            Some(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
            None => json!({}),
        };
        let result = match &*call.name {
            "echo" => match args.get("text").and_then(Value::as_str) {
                Some(text) => text_result(text, None),
                None => tool_error("echo needs a string argument `text`"),
            },
            "add" => match (
                args.get("a").and_then(Value::as_f64),
                args.get("b").and_then(Value::as_f64),
            ) {
                (Some(a), Some(b)) => {
                    let sum = number(a + b);
                    text_result(&sum.to_string(), Some(json!({ "sum": sum })))
                }
                _ => tool_error("add needs two number arguments `a` and `b`"),
            },
            "whoami" => {
                let who = json!({
                    "server": NAME,
                    "version": VERSION,
                    "protocolVersion": self.version().as_str(),
                    "identity": std::env::var("HANGAR_DEMO_IDENTITY").ok(),
                });
                text_result(&who.to_string(), Some(who.clone()))
            }
            other => return Message::from(ErrorResponse::unknown_tool(request.id.clone(), other)),
        };
        answer(&request.id, result)
    }
}

/// An integer-valued sum stays an integer in JSON (`5`, not `5.0`).
fn number(x: f64) -> Value {
    // Exact for integers up to 2^53, the range JSON numbers carry exactly.
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        #[allow(clippy::cast_possible_truncation)]
        let n = x as i64;
        json!(n)
    } else {
        json!(x)
    }
}

fn text_result(text: &str, structured: Option<Value>) -> Result<Box<RawValue>, Error> {
    let mut result = json!({ "content": [{ "type": "text", "text": text }], "isError": false });
    if let Some(structured) = structured {
        result["structuredContent"] = structured;
    }
    serde_json::value::to_raw_value(&result).map_err(Error::Encode)
}

fn tool_error(message: &str) -> Result<Box<RawValue>, Error> {
    let result = json!({ "content": [{ "type": "text", "text": message }], "isError": true });
    serde_json::value::to_raw_value(&result).map_err(Error::Encode)
}

fn answer(id: &Id, result: Result<Box<RawValue>, Error>) -> Message {
    match result {
        Ok(result) => Response::new(id.clone(), result).into(),
        Err(err) => ErrorResponse::from_error(Some(id.clone()), &err).into(),
    }
}

fn raw(json: &str) -> Result<Box<RawValue>, Error> {
    RawValue::from_string(json.to_owned()).map_err(Error::Encode)
}

fn raw_static(json: &'static str) -> &'static RawValue {
    // The tool objects are literals in this file; the unit test below parses each one.
    serde_json::from_str::<&RawValue>(json)
        .unwrap_or_else(|e| panic!("tool literal {json} is not valid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_literals_are_json_objects_with_names() {
        for tool in TOOLS {
            let value: Value = serde_json::from_str(tool).expect("valid json");
            assert!(value["name"].is_string(), "{tool}");
        }
    }

    #[test]
    fn integer_sums_stay_integers() {
        assert_eq!(number(5.0), json!(5));
        assert_eq!(number(0.5), json!(0.5));
    }
}
