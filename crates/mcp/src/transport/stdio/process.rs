//! The supervisor of a stdio child: spawn, handshake, watch, restart with exponential
//! backoff (100 ms doubling to 30 s, reset after a child that stayed up a while), stop;
//! and the child's I/O tasks.

use std::process::Stdio;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::{mpsc, oneshot};

use super::{Core, Link, Phase};
use crate::jsonrpc::{DecodeLimits, ErrorObject, ErrorResponse, Message, Notification, Response};
use crate::transport::{BackendState, Reply};
use crate::version::ProtocolVersion;

/// The first restart delay.
pub(crate) const INITIAL_BACKOFF: Duration = Duration::from_millis(100);
/// The longest restart delay.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A child that stayed up this long restarts after [`INITIAL_BACKOFF`] again.
const STABLE_AFTER: Duration = Duration::from_secs(30);
/// The longest line read from a child's stdout.
const MAX_LINE: usize = 16 << 20;

/// How a child's life ended.
enum End {
    Stopped,
    Exited(String),
}

/// Runs children until `stop` fires (or its sender is dropped with the last handle).
pub(super) async fn supervise(core: Arc<Core>, mut stop: oneshot::Receiver<()>) {
    let mut backoff = INITIAL_BACKOFF;
    loop {
        core.phase.send_replace(Phase::Starting);
        let started = Instant::now();
        let end = match spawn(&core) {
            Ok(child) => run(&core, child, &mut stop).await,
            Err(e) => {
                let reason = format!("cannot start {}: {e}", core.command.program);
                let error = core.shared.err_unreachable(&reason);
                core.shared.record_error(&error, Some(BackendState::Failed));
                End::Exited(reason)
            }
        };
        *core.pid.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let reason = match end {
            End::Stopped => {
                core.phase.send_replace(Phase::Stopped);
                core.fail_pending();
                return;
            }
            End::Exited(reason) => reason,
        };
        core.phase
            .send_replace(Phase::Down(format!("{reason}; restarting")));
        core.fail_pending();
        if started.elapsed() >= STABLE_AFTER {
            backoff = INITIAL_BACKOFF;
        }
        tracing::warn!(
            target: "hangar_mcp::stdio",
            backend = %core.shared.name,
            "{reason}; restarting in {} ms",
            backoff.as_millis()
        );
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = &mut stop => {
                core.phase.send_replace(Phase::Stopped);
                return;
            }
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
        core.shared.update(|s| s.restarts += 1);
    }
}

fn spawn(core: &Core) -> std::io::Result<Child> {
    let command = &core.command;
    let child = tokio::process::Command::new(&command.program)
        .args(&command.args)
        .envs(command.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    *core.pid.lock().unwrap_or_else(PoisonError::into_inner) = child.id();
    Ok(child)
}

/// One child's life: I/O tasks, handshake, then waiting for its exit or a stop.
async fn run(core: &Arc<Core>, mut child: Child, stop: &mut oneshot::Receiver<()>) -> End {
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.start_kill();
        return End::Exited("child has no pipes".into());
    };
    let (writer, lines) = mpsc::channel(64);
    tokio::spawn(write_stdin(stdin, lines));
    tokio::spawn(read_stdout(Arc::clone(core), stdout, writer.clone()));
    tokio::spawn(log_stderr(core.shared.name.clone(), stderr));

    let handshake = tokio::time::timeout(core.shared.request_timeout, handshake(core, &writer));
    tokio::select! {
        result = handshake => match result {
            Ok(Ok(version)) => {
                core.shared.ready(version);
                core.phase.send_replace(Phase::Ready(Link { writer }));
            }
            Ok(Err(e)) => {
                core.shared.record_error(&core.shared.err_handshake(e.clone()), Some(BackendState::Degraded));
                kill(&mut child).await;
                return End::Exited(format!("handshake failed: {e}"));
            }
            Err(_) => {
                kill(&mut child).await;
                return End::Exited("handshake timed out".into());
            }
        },
        status = child.wait() => {
            return End::Exited(exit_text(status));
        }
        _ = &mut *stop => {
            kill(&mut child).await;
            return End::Stopped;
        }
    }
    tokio::select! {
        status = child.wait() => {
            let reason = exit_text(status);
            let error = core.shared.err_unreachable(&reason);
            core.shared.record_error(&error, Some(BackendState::Degraded));
            End::Exited(reason)
        }
        _ = &mut *stop => {
            kill(&mut child).await;
            End::Stopped
        }
    }
}

async fn kill(child: &mut Child) {
    let _ = child.start_kill();
    let _ = child.wait().await;
}

fn exit_text(status: std::io::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(status) => format!("child exited ({status})"),
        Err(e) => format!("child lost: {e}"),
    }
}

/// `initialize` (offering 2025-11-25) and `notifications/initialized`.
async fn handshake(core: &Core, writer: &mpsc::Sender<Vec<u8>>) -> Result<ProtocolVersion, String> {
    #[derive(Deserialize)]
    struct Initialized {
        #[serde(rename = "protocolVersion")]
        protocol_version: String,
    }
    let offer = ProtocolVersion::LATEST_WITH_INITIALIZE;
    let params = format!(
        r#"{{"protocolVersion":"{}","capabilities":{{}},"clientInfo":{{"name":"hangar","version":"{}"}}}}"#,
        offer.as_str(),
        env!("CARGO_PKG_VERSION")
    );
    let params = RawValue::from_string(params).map_err(|e| e.to_string())?;
    let id = core.shared.next_id();
    let reply = core
        .call(writer, id, "initialize", Some(&params))
        .await
        .map_err(|e| e.to_string())?;
    let result = match reply {
        Reply::Result(result) => result,
        Reply::Error(error) => {
            return Err(format!(
                "initialize refused: {} ({})",
                error.message, error.code
            ));
        }
    };
    let answered: Initialized =
        serde_json::from_str(result.get()).map_err(|e| format!("initialize result: {e}"))?;
    let version = answered
        .protocol_version
        .parse::<ProtocolVersion>()
        .ok()
        .filter(|v| v.has_initialize())
        .ok_or_else(|| {
            format!(
                "unsupported protocol version {:?}",
                answered.protocol_version
            )
        })?;
    let mut line = Vec::new();
    Notification::new("notifications/initialized", None).encode_into(&mut line);
    writer
        .send(line)
        .await
        .map_err(|_| "child closed stdin".to_owned())?;
    Ok(version)
}

async fn write_stdin(mut stdin: ChildStdin, mut lines: mpsc::Receiver<Vec<u8>>) {
    while let Some(mut line) = lines.recv().await {
        line.push(b'\n');
        if stdin.write_all(&line).await.is_err() || stdin.flush().await.is_err() {
            return;
        }
    }
}

/// Answers, notifications and server requests from the child's stdout.
async fn read_stdout(
    core: Arc<Core>,
    stdout: impl AsyncRead + Unpin,
    writer: mpsc::Sender<Vec<u8>>,
) {
    let limits =
        DecodeLimits::for_version(ProtocolVersion::LATEST_WITH_INITIALIZE).max_size(MAX_LINE);
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .await
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line.last() != Some(&b'\n') && line.len() > MAX_LINE {
            tracing::warn!(target: "hangar_mcp::stdio", backend = %core.shared.name, "line longer than {MAX_LINE} bytes dropped");
            // Skip the rest of the line.
            loop {
                line.clear();
                match (&mut reader)
                    .take(MAX_LINE as u64)
                    .read_until(b'\n', &mut line)
                    .await
                {
                    Ok(0) | Err(_) => return,
                    Ok(_) if line.last() == Some(&b'\n') => break,
                    Ok(_) => {}
                }
            }
            continue;
        }
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        match Message::decode(text, &limits) {
            Ok(Message::Response(r)) => core.resolve(&r.id, Reply::Result(r.result)),
            Ok(Message::ErrorResponse(r)) => {
                if let Some(id) = &r.id {
                    core.resolve(id, Reply::Error(r.error));
                }
            }
            Ok(Message::Notification(n)) => core.shared.publish(n),
            Ok(Message::Request(r)) => {
                let mut out = Vec::new();
                if r.method == "ping" {
                    let empty = RawValue::from_string("{}".into())
                        .unwrap_or_else(|_| unreachable!("constant JSON"));
                    Response::new(r.id.clone(), empty).encode_with_id(&r.id, &mut out);
                } else {
                    let error = ErrorResponse {
                        id: Some(r.id.clone()),
                        error: ErrorObject {
                            code: crate::ErrorCode::MethodNotFound.as_i64(),
                            message: format!("Method not found: {}", r.method),
                            data: None,
                        },
                    };
                    error.encode_with_id(Some(&r.id), &mut out);
                }
                if writer.send(out).await.is_err() {
                    return;
                }
            }
            Ok(Message::Batch(_)) | Err(_) => {
                tracing::warn!(target: "hangar_mcp::stdio", backend = %core.shared.name, "ignoring a line that is not a json-rpc message");
            }
        }
    }
}

async fn log_stderr(backend: String, stderr: impl AsyncRead + Unpin) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(target: "hangar_mcp::stdio", backend = %backend, "{line}");
    }
}
