//! `mcp-echo-backend`: a minimal, fast Streamable-HTTP MCP back end for the load
//! benchmark (bench/load/run.sh). Not a product piece.
//!
//! `mcp-echo-backend [--host H] [--port P] [--threads N]` serves `POST /mcp` on a
//! multi-threaded tokio runtime and prints `mcp-echo-backend listening on http://H:P/mcp`
//! on stdout once it accepts connections. It is stateless: every answer is plain JSON
//! (never SSE), no `Mcp-Session-Id` is issued, `GET` answers 405 (no server stream).
//!
//! * `initialize` → 2025-11-25 (or the client's version when supported), tools capability;
//! * `server/discover` → -32601, so a gateway falls back to `initialize`;
//! * notifications → 202;
//! * `ping` → `{}`;
//! * `tools/list` → `echo` and `noop`;
//! * `tools/call` of `echo` or `noop` → a small fixed text result (`ok`).

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use hangar_mcp::{
    CallToolParams, DecodeLimits, Error, ErrorResponse, Id, InitializeParams, Message, Method,
    ProtocolVersion, Request as RpcRequest, Response as RpcResponse, ToolListBuilder,
};
use http::{Method as HttpMethod, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::value::RawValue;

const NAME: &str = "mcp-echo-backend";
const VERSION: &str = env!("CARGO_PKG_VERSION");

const TOOLS: [&str; 2] = [
    r#"{"name":"echo","description":"Answers a small fixed text.","inputSchema":{"type":"object","properties":{"text":{"type":"string"}}}}"#,
    r#"{"name":"noop","description":"Does nothing.","inputSchema":{"type":"object","properties":{}}}"#,
];

/// The fixed `tools/call` result.
const CALL_RESULT: &str = r#"{"content":[{"type":"text","text":"ok"}],"isError":false}"#;

/// The largest request body read.
const MAX_BODY: usize = 1 << 20;

fn main() -> std::process::ExitCode {
    let mut host = "127.0.0.1".to_owned();
    let mut port: u16 = 0;
    let mut threads: usize = 2;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| fail(&format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--host" => host = value("--host"),
            "--port" => {
                port = value("--port")
                    .parse()
                    .unwrap_or_else(|_| fail("bad --port"))
            }
            "--threads" => {
                threads = value("--threads")
                    .parse()
                    .unwrap_or_else(|_| fail("bad --threads"));
            }
            "-h" | "--help" => {
                println!("Usage: {NAME} [--host 127.0.0.1] [--port 0] [--threads 2]");
                return std::process::ExitCode::SUCCESS;
            }
            other => fail(&format!("unknown argument {other:?}")),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("tokio runtime: {e}")));
    runtime.block_on(serve(host, port))
}

fn fail(message: &str) -> ! {
    eprintln!("{NAME}: {message}");
    std::process::exit(2)
}

async fn serve(host: String, port: u16) -> std::process::ExitCode {
    let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("{NAME}: cannot bind {host}:{port}: {e}");
            return std::process::ExitCode::from(69);
        }
    };
    let addr: SocketAddr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => fail(&format!("local_addr: {e}")),
    };
    println!("{NAME} listening on http://{addr}/mcp");
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service_fn(handle))
                        .await;
                });
            }
            _ = tokio::signal::ctrl_c() => return std::process::ExitCode::SUCCESS,
        }
    }
}

async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.uri().path() != "/mcp" {
        return Ok(status(StatusCode::NOT_FOUND));
    }
    match *request.method() {
        HttpMethod::POST => {}
        HttpMethod::DELETE => return Ok(status(StatusCode::OK)),
        _ => return Ok(status(StatusCode::METHOD_NOT_ALLOWED)),
    }
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return Ok(status(StatusCode::PAYLOAD_TOO_LARGE)),
    };
    let limits = DecodeLimits::for_version(ProtocolVersion::V2026_07_28);
    let answer = match Message::decode(&body, &limits) {
        Ok(Message::Request(request)) => answer_request(&request),
        Ok(Message::Notification(_) | Message::Response(_) | Message::ErrorResponse(_)) => {
            return Ok(status(StatusCode::ACCEPTED));
        }
        Ok(Message::Batch(_)) => return Ok(status(StatusCode::BAD_REQUEST)),
        Err(err) => Message::from(ErrorResponse::from_error(err.request_id().cloned(), &err)),
    };
    let mut response = Response::new(Full::new(Bytes::from(answer.encode())));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

fn answer_request(request: &RpcRequest) -> Message {
    let result = match Method::from_name(&request.method) {
        Some(Method::Initialize) => initialize(request),
        Some(Method::Ping) => raw("{}"),
        Some(Method::ToolsList) => ToolListBuilder::new(ProtocolVersion::LATEST_WITH_INITIALIZE)
            .tools(TOOLS.iter().map(|t| raw_static(t)))
            .build(),
        Some(Method::ToolsCall) => match request.params_as::<CallToolParams<'_>>() {
            Ok(call) if call.name == "echo" || call.name == "noop" => raw(CALL_RESULT),
            Ok(call) => {
                return Message::from(ErrorResponse::unknown_tool(request.id.clone(), &call.name));
            }
            Err(err) => Err(err),
        },
        _ => Err(Error::MethodNotFound {
            method: request.method.clone(),
        }),
    };
    answer(&request.id, result)
}

fn initialize(request: &RpcRequest) -> Result<Box<RawValue>, Error> {
    let params: InitializeParams<'_> = request.params_as()?;
    let version = ProtocolVersion::negotiate(&params.protocol_version);
    let capabilities = raw(r#"{"tools":{"listChanged":false}}"#)?;
    hangar_mcp::InitializeResultBuilder::new(version, NAME, VERSION)
        .capabilities(&capabilities)
        .build()
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}

fn answer(id: &Id, result: Result<Box<RawValue>, Error>) -> Message {
    match result {
        Ok(result) => RpcResponse::new(id.clone(), result).into(),
        Err(err) => ErrorResponse::from_error(Some(id.clone()), &err).into(),
    }
}

fn raw(json: &str) -> Result<Box<RawValue>, Error> {
    RawValue::from_string(json.to_owned()).map_err(Error::Encode)
}

fn raw_static(json: &'static str) -> &'static RawValue {
    serde_json::from_str::<&RawValue>(json)
        .unwrap_or_else(|e| panic!("tool literal {json} is not valid JSON: {e}"))
}
