//! The connections that carry a back end's JSON-RPC POSTs: HTTP/1.1 connections (hyper's
//! `client::conn::http1`) kept per thread, reused last-in first-out.
//!
//! Per thread, because a connection's task runs on the runtime that opened it: a
//! thread-per-core gateway (one single-threaded runtime per serving thread) then drives
//! a call's back-end connection on the thread that serves the call, and a call wakes no
//! other thread. Leaner than hyper-util's pooled client for this one job (no pool key
//! hashing, no shared pool lock, no per-request `Host` formatting): that client cost
//! about a sixth of the gateway's instructions per forwarded call. hyper-util's client
//! still serves the cold requests (session `DELETE`, the GET event stream, OAuth).
//!
//! A connection goes back to its thread's idle list only after its answer was read to
//! the end ([`Lease::release`]); a lease dropped earlier (an SSE answer left open, an
//! error) closes the connection once its answer ends. Idle connections are dropped when
//! closed by the back end, after [`IDLE_TIMEOUT`] (checked on use and every
//! [`PRUNE_INTERVAL`]), and past [`MAX_IDLE`] per thread.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HOST, HeaderValue};
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use thread_local::ThreadLocal;
use tower_service::Service as _;

use super::source_text;
use crate::transport::https::Connector;

/// An idle connection unused this long is closed.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// How often every thread's idle connections are checked against [`IDLE_TIMEOUT`].
pub(crate) const PRUNE_INTERVAL: Duration = Duration::from_secs(30);

/// Most idle connections kept per thread and back end.
pub(crate) const MAX_IDLE: usize = 64;

type Sender = SendRequest<Full<Bytes>>;

/// Why a request could not be sent, or got no answer.
#[derive(Debug)]
pub(crate) enum PoolError {
    /// No connection could be opened (refused, unreachable, TLS handshake, timeout).
    Connect(String),
    /// The connection failed or closed before the answer's head arrived.
    Closed(hyper::Error),
}

/// One back end's connections.
pub(crate) struct Pool {
    connector: Connector,
    endpoint: Uri,
    /// The request target sent on the connections: the endpoint's path and query.
    target: Uri,
    /// The `Host` header of every request ([`host_header`]).
    host: HeaderValue,
    idle: ThreadLocal<Mutex<Vec<Idle>>>,
}

struct Idle {
    sender: Sender,
    since: Instant,
}

impl Idle {
    /// Still open, and idle for less than [`IDLE_TIMEOUT`] at `now`.
    fn usable(&self, now: Instant) -> bool {
        !self.sender.is_closed() && now.duration_since(self.since) < IDLE_TIMEOUT
    }
}

/// A connection in use; [`Lease::release`] gives it back once its answer was read.
pub(crate) struct Lease<'p> {
    pool: &'p Pool,
    sender: Sender,
}

impl Pool {
    pub(crate) fn new(connector: Connector, endpoint: Uri) -> Result<Self, String> {
        let host = HeaderValue::from_str(&host_header(&endpoint)?)
            .map_err(|e| format!("endpoint {endpoint}: {e}"))?;
        let target = endpoint
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()
            .map_err(|e| format!("endpoint {endpoint}: {e}"))?;
        Ok(Self {
            connector,
            endpoint,
            target,
            host,
            idle: ThreadLocal::new(),
        })
    }

    /// Sends `request` (its URI: the endpoint's path, its `Host`: the endpoint's) on an
    /// idle connection of this thread, else on a new one. A request refused by a reused
    /// connection that the back end had closed meanwhile is sent again on a new one.
    pub(crate) async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<(Response<Incoming>, Lease<'_>), PoolError> {
        *request.uri_mut() = self.target.clone();
        request.headers_mut().insert(HOST, self.host.clone());
        if let Some(mut sender) = self.checkout() {
            match sender.try_send_request(request).await {
                Ok(response) => return Ok((response, self.lease(sender))),
                Err(mut error) => match error.take_message() {
                    // Not sent: the connection was gone; a new one gets it.
                    Some(unsent) => request = unsent,
                    None => return Err(PoolError::Closed(error.into_error())),
                },
            }
        }
        let mut sender = self.connect().await?;
        let response = sender
            .send_request(request)
            .await
            .map_err(PoolError::Closed)?;
        Ok((response, self.lease(sender)))
    }

    /// Closes this process's idle connections (every thread's).
    pub(crate) fn clear(&self) {
        for idle in &self.idle {
            idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
        }
    }

    /// Closes every thread's idle connections that are past [`IDLE_TIMEOUT`] or that
    /// the back end closed: a thread that stopped calling this back end keeps none open
    /// for long (run every [`PRUNE_INTERVAL`], see [`Pool::prune_every`]).
    pub(crate) fn prune(&self) {
        let now = Instant::now();
        for idle in &self.idle {
            idle.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|idle| idle.usable(now));
        }
    }

    /// Prunes this pool every [`PRUNE_INTERVAL`] until it is dropped (a task on the
    /// current runtime, when there is one).
    pub(crate) fn prune_every(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let pool = Arc::downgrade(self);
        runtime.spawn(async move {
            let mut interval = tokio::time::interval(PRUNE_INTERVAL);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval.tick().await;
            loop {
                interval.tick().await;
                let Some(pool) = pool.upgrade() else {
                    return;
                };
                pool.prune();
            }
        });
    }

    fn lease(&self, sender: Sender) -> Lease<'_> {
        Lease { pool: self, sender }
    }

    /// The most recently used idle connection of this thread that is still open; idle
    /// connections past [`IDLE_TIMEOUT`] are dropped on the way.
    fn checkout(&self) -> Option<Sender> {
        let mut idle = self.idle().lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        idle.retain(|idle| idle.usable(now));
        while let Some(Idle { sender, .. }) = idle.pop() {
            if sender.is_ready() {
                return Some(sender);
            }
        }
        None
    }

    fn checkin(&self, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle().lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }

    fn idle(&self) -> &Mutex<Vec<Idle>> {
        self.idle.get_or(|| Mutex::new(Vec::new()))
    }

    /// A new connection (TCP, TLS for https, HTTP/1.1 handshake) whose task runs on this
    /// thread's runtime until the connection closes.
    async fn connect(&self) -> Result<Sender, PoolError> {
        let mut connector = self.connector.clone();
        std::future::poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(|e| PoolError::Connect(source_text(&*e)))?;
        let io = connector
            .call(self.endpoint.clone())
            .await
            .map_err(|e| PoolError::Connect(source_text(&*e)))?;
        let (sender, connection) = http1::handshake(io)
            .await
            .map_err(|e| PoolError::Connect(source_text(&e)))?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(target: "hangar_mcp::http", %error, "back-end connection ended");
            }
        });
        Ok(sender)
    }
}

/// The `Host` of requests to `endpoint`: its host, and its port unless it is the scheme's
/// default (`https://h:443/mcp` → `h`), as HTTP clients send it and servers that check
/// `Host` (DNS-rebinding protection, virtual hosts) expect it.
fn host_header(endpoint: &Uri) -> Result<String, String> {
    let host = endpoint
        .host()
        .ok_or_else(|| format!("endpoint {endpoint} has no host"))?;
    let default_port = match endpoint.scheme_str() {
        Some("https") => 443,
        _ => 80,
    };
    Ok(match endpoint.port_u16() {
        Some(port) if port != default_port => format!("{host}:{port}"),
        _ => host.to_owned(),
    })
}

/// Whether `body` has ended, without waiting (an answer read to its end, or one that
/// had nothing more to read): then its connection can be released. An SSE answer whose
/// stream the back end closed right after the response, as servers should, is one.
fn ended(body: &mut Incoming) -> bool {
    use hyper::body::Body as _;
    if body.is_end_stream() {
        return true;
    }
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    matches!(
        std::pin::Pin::new(body).poll_frame(&mut context),
        std::task::Poll::Ready(None)
    )
}

impl Lease<'_> {
    /// The answer was read to the end: the connection can carry the next request.
    pub(crate) fn release(self) {
        self.pool.checkin(self.sender);
    }

    /// Releases the connection if `body` has ended ([`ended`]); otherwise it closes with
    /// the lease, once the rest of its answer is dropped.
    pub(crate) fn release_if_ended(self, body: &mut Incoming) {
        if ended(body) {
            self.release();
        }
    }
}

#[cfg(test)]
mod tests;
