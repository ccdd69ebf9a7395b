//! Stdio back ends: a child process speaking newline-delimited JSON-RPC on stdin/stdout,
//! supervised (restarted with exponential backoff when it exits unexpectedly), with its
//! stderr going to `tracing` (target `hangar_mcp::stdio`).

mod process;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::value::RawValue;
use tokio::sync::{mpsc, oneshot, watch};

use super::{Reply, Shared, TransportError};
use crate::jsonrpc::{Id, Notification, Request};
use crate::version::ProtocolVersion;

/// The program to run.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub(crate) program: String,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
}

/// Where the child is in its life; requests wait while `Starting`.
#[derive(Clone)]
enum Phase {
    Starting,
    Ready(Link),
    /// Exited or could not start; the supervisor retries after a backoff.
    Down(String),
    Stopped,
}

/// The running child's stdin (through its writer task) and negotiated version.
#[derive(Clone)]
struct Link {
    writer: mpsc::Sender<Vec<u8>>,
}

/// What the supervisor and the handles share.
struct Core {
    shared: Arc<Shared>,
    command: Command,
    pending: Mutex<HashMap<i64, oneshot::Sender<Reply>>>,
    phase: watch::Sender<Phase>,
    pid: Mutex<Option<u32>>,
}

/// A running supervisor: dropping `stop` (or sending on it) ends it and the child.
struct Supervisor {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

pub(crate) struct StdioTransport {
    core: Arc<Core>,
    supervisor: tokio::sync::Mutex<Option<Supervisor>>,
}

impl StdioTransport {
    pub(crate) fn start(shared: Arc<Shared>, command: Command) -> Self {
        let core = Arc::new(Core {
            shared,
            command,
            pending: Mutex::new(HashMap::new()),
            phase: watch::channel(Phase::Starting).0,
            pid: Mutex::new(None),
        });
        let supervisor = Supervisor::spawn(&core);
        Self {
            core,
            supervisor: tokio::sync::Mutex::new(Some(supervisor)),
        }
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        *self.core.pid.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) async fn connect(&self) -> Result<ProtocolVersion, TransportError> {
        let shared = &self.core.shared;
        tokio::time::timeout(shared.request_timeout, self.core.wait_ready())
            .await
            .map_err(|_| shared.err_timeout())??;
        shared
            .status()
            .protocol
            .ok_or_else(|| shared.err_handshake("no protocol version"))
    }

    pub(crate) async fn request(
        &self,
        method: &str,
        params: Option<&RawValue>,
        trace: Option<&super::TraceContext>,
    ) -> Result<Reply, TransportError> {
        let core = &self.core;
        // The trace context rides in `params._meta` (stdio has no headers); params that
        // are not an object go as they are.
        let traced = trace.and_then(|trace| super::trace::with_trace(params, trace).ok());
        let params = traced.as_deref().or(params);
        let id = core.shared.next_id();
        let call = async {
            let link = core.wait_ready().await?;
            core.call(&link.writer, id, method, params).await
        };
        match tokio::time::timeout(core.shared.request_timeout, call).await {
            Ok(result) => result,
            Err(_) => {
                core.forget(id);
                core.cancel(id);
                Err(core.shared.err_timeout())
            }
        }
    }

    pub(crate) async fn notify(
        &self,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<(), TransportError> {
        let core = &self.core;
        let link = tokio::time::timeout(core.shared.request_timeout, core.wait_ready())
            .await
            .map_err(|_| core.shared.err_timeout())??;
        let mut line = Vec::new();
        Notification::new(method, params.map(RawValue::to_owned)).encode_into(&mut line);
        link.writer
            .send(line)
            .await
            .map_err(|_| core.shared.err_closed())
    }

    /// Kills the child and waits for it and its supervisor.
    pub(crate) async fn stop(&self) {
        let supervisor = self.supervisor.lock().await.take();
        if let Some(supervisor) = supervisor {
            let _ = supervisor.stop.send(());
            let _ = supervisor.task.await;
        }
        self.core.phase.send_replace(Phase::Stopped);
    }

    /// Stops, then starts a fresh child.
    pub(crate) async fn restart(&self) {
        let mut slot = self.supervisor.lock().await;
        if let Some(supervisor) = slot.take() {
            let _ = supervisor.stop.send(());
            let _ = supervisor.task.await;
        }
        self.core.phase.send_replace(Phase::Starting);
        self.core
            .shared
            .update(|s| s.state = super::BackendState::Starting);
        *slot = Some(Supervisor::spawn(&self.core));
    }
}

impl Supervisor {
    fn spawn(core: &Arc<Core>) -> Self {
        let (stop, stop_rx) = oneshot::channel();
        let task = tokio::spawn(process::supervise(Arc::clone(core), stop_rx));
        Self { stop, task }
    }
}

impl Core {
    /// The link once the child is ready; fails at once when it is down or stopped.
    async fn wait_ready(&self) -> Result<Link, TransportError> {
        let mut phase = self.phase.subscribe();
        loop {
            let now = phase.borrow_and_update().clone();
            match now {
                Phase::Ready(link) => return Ok(link),
                Phase::Down(reason) => return Err(self.shared.err_unreachable(reason)),
                Phase::Stopped => return Err(self.shared.err_stopped()),
                Phase::Starting => {}
            }
            if phase.changed().await.is_err() {
                return Err(self.shared.err_stopped());
            }
        }
    }

    /// Sends request `id` through `writer` and waits for its answer (no timeout here).
    async fn call(
        &self,
        writer: &mpsc::Sender<Vec<u8>>,
        id: i64,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<Reply, TransportError> {
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, tx);
        let mut line = Vec::new();
        Request::new(Id::Number(id), method, params.map(RawValue::to_owned))
            .encode_with_id(&Id::Number(id), &mut line);
        if writer.send(line).await.is_err() {
            self.forget(id);
            return Err(self.shared.err_closed());
        }
        // A dropped sender means the child went away (see `fail_pending`).
        rx.await.map_err(|_| self.shared.err_closed())
    }

    /// Hands an answer to the request waiting for it.
    fn resolve(&self, id: &Id, reply: Reply) {
        let Id::Number(id) = id else { return };
        let waiter = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
        if let Some(waiter) = waiter {
            let _ = waiter.send(reply);
        }
    }

    fn forget(&self, id: i64) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    /// Every waiting request fails with [`TransportError::Closed`].
    fn fail_pending(&self) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Best-effort `notifications/cancelled` for a request that timed out.
    fn cancel(&self, id: i64) {
        if let Phase::Ready(link) = &*self.phase.borrow() {
            let mut line = Vec::new();
            let params = format!(r#"{{"requestId":{id},"reason":"timeout"}}"#);
            Notification::new(
                "notifications/cancelled",
                RawValue::from_string(params).ok(),
            )
            .encode_into(&mut line);
            let _ = link.writer.try_send(line);
        }
    }
}

#[cfg(test)]
mod tests;
