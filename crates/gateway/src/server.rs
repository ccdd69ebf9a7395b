//! The listener (hyper 1 over TCP or TLS, HTTP/1.1 and HTTP/2 by `hyper_util`'s auto
//! builder) and the router.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::TcpListener;
use tracing::Instrument as _;

use crate::admin;
use crate::error::Error;
use crate::limits;
use crate::metrics;
use crate::pipeline;
use crate::state::Gateway;
use crate::trace::Trace;
use crate::wire::{self, Body, Failure};
use crate::workers::Workers;

/// The MCP endpoint's path.
pub const MCP_PATH: &str = "/mcp";

/// What the listener knows about a request's connection, put into every request's
/// extensions before routing: the peer address (rate limits per source, audit) and
/// the client certificate the TLS layer verified (mTLS identity).
#[derive(Debug, Clone)]
pub(crate) struct ConnectionInfo {
    /// The TCP peer.
    pub(crate) peer: SocketAddr,
    /// The verified client certificate (leaf), when the connection is TLS with one.
    pub(crate) client_certificate: Option<Arc<crate::tls::ClientCertificate>>,
}

/// How long shutdown waits for each back end to stop.
const STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Binds a TCP listener on `host:port` (`port` 0: any free port).
///
/// # Errors
///
/// [`Error::Bind`] when the address cannot be bound.
pub async fn bind(host: &str, port: u16) -> Result<TcpListener, Error> {
    let address = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    TcpListener::bind(&address)
        .await
        .map_err(|source| Error::Bind { address, source })
}

impl Gateway {
    /// Serves HTTP on `listener` (HTTPS when the config has a `tls` section: each
    /// connection handshakes with the certificate in place, see [`Gateway::reload`])
    /// until `shutdown` completes, then stops accepting and
    /// waits up to `drain_timeout` for in-flight requests, then stops the back ends. Starts
    /// the back ends and fetches the back ends' tool
    /// lists in the background when that has not happened yet (`/health/ready` says when),
    /// and again whenever a back end announces `notifications/tools/list_changed`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the listener's address cannot be read.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let local = listener.local_addr().map_err(|source| Error::Io {
            path: "listener".into(),
            source,
        })?;
        // The serving threads (Options::workers; none: this runtime serves).
        let workers = Workers::start(self.options.workers).map_err(|source| Error::Io {
            path: "serving threads".into(),
            source,
        })?;
        // On loopback, serve loopback host names only (DNS rebinding; see the pipeline).
        self.set_loopback_only(local.ip().is_loopback());
        // Back ends start now; their tools arrive in the background (`/health/ready`).
        self.start_upstreams();
        self.follow_upstreams();
        let gateway = Arc::clone(&self);
        tokio::spawn(gateway.discover_tools());
        // Idle rate-limit keys are dropped every minute (bounded memory).
        tokio::spawn(Arc::clone(&self).sweep_limits());
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.options.header_read_timeout);
        let builder = Arc::new(builder);
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        tracing::info!(%local, tls = self.tls.is_some(), workers = workers.len(), "listening");
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(accepted) => accepted,
                        Err(error) => {
                            // Out of file descriptors and the like: back off, keep serving.
                            tracing::warn!(%error, "accept failed");
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    self.spawn_connection(&workers, &builder, &graceful, stream, peer);
                }
                () = &mut shutdown => break,
            }
        }
        drop(listener);
        self.begin_shutdown();
        tracing::info!(connections = graceful.count(), "draining");
        if tokio::time::timeout(self.options.drain_timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("drain timeout: closing the remaining connections");
        }
        // After the drain: no request needs a back end any more; stdio children end here.
        self.stop_upstreams(STOP_TIMEOUT).await;
        // Every request has finished: the audit queue is written out last.
        self.close_audit().await;
        // The serving threads are stopped and joined off the runtime (a join blocks).
        let mut workers = workers;
        let _ = tokio::task::spawn_blocking(move || workers.stop()).await;
        Ok(())
    }

    /// Serves one accepted connection in its own task, on a serving thread when there are
    /// some: with TLS, the handshake first (within the header read timeout; a failure is
    /// logged at debug and counted), then HTTP/1.1 or HTTP/2 (ALPN, or the connection
    /// preface) on it.
    fn spawn_connection(
        self: &Arc<Self>,
        workers: &Workers,
        builder: &Arc<auto::Builder<TokioExecutor>>,
        graceful: &GracefulShutdown,
        stream: tokio::net::TcpStream,
        peer: SocketAddr,
    ) {
        let _ = stream.set_nodelay(true);
        let gateway = Arc::clone(self);
        let builder = Arc::clone(builder);
        // Taken now: a connection still in its handshake holds the drain up (bounded by
        // the handshake timeout) and is shut down gracefully right after it.
        let watcher = graceful.watcher();
        let Some(tls) = &self.tls else {
            let info = ConnectionInfo {
                peer,
                client_certificate: None,
            };
            workers.serve(stream, move |stream| {
                gateway.serve_connection(builder, watcher, stream, info)
            });
            return;
        };
        let acceptor = tls.acceptor();
        workers.serve(stream, move |stream| async move {
            let timeout = gateway.options.header_read_timeout;
            let handshake = acceptor.accept(stream).into_fallible();
            let stream = match tokio::time::timeout(timeout, handshake).await {
                Ok(Ok(stream)) => stream,
                Ok(Err((error, stream))) => {
                    gateway.tls_handshake_failed();
                    tracing::debug!(%peer, %error, "tls handshake failed");
                    linger(stream).await;
                    return;
                }
                Err(_) => {
                    gateway.tls_handshake_failed();
                    tracing::debug!(%peer, ?timeout, "tls handshake timed out");
                    return;
                }
            };
            let info = ConnectionInfo {
                peer,
                // The verifier checked the chain (and the CRL): the leaf is the caller's,
                // checked again on later requests after a reload or a minute.
                client_certificate: gateway
                    .tls
                    .as_ref()
                    .and_then(|tls| tls.client_certificate(stream.get_ref().1.peer_certificates())),
            };
            gateway
                .serve_connection(builder, watcher, stream, info)
                .await;
        });
    }

    /// HTTP on `io` until the client closes it or a graceful shutdown ends it; `info` goes
    /// into every request's extensions.
    async fn serve_connection<I>(
        self: Arc<Self>,
        builder: Arc<auto::Builder<TokioExecutor>>,
        watcher: Watcher,
        io: I,
        info: ConnectionInfo,
    ) where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let peer = info.peer;
        let gateway = self;
        let service = service_fn(move |mut request: Request<Incoming>| {
            let gateway = Arc::clone(&gateway);
            request.extensions_mut().insert(info.clone());
            async move { Ok::<_, Infallible>(route(&gateway, request).await) }
        });
        let connection = builder
            .serve_connection(TokioIo::new(io), service)
            .into_owned();
        if let Err(error) = watcher.watch(connection).await {
            tracing::debug!(%peer, %error, "connection ended with an error");
        }
    }
}

/// How long a refused TLS client's socket stays open for [`linger`], at most.
const LINGER_TIME: std::time::Duration = std::time::Duration::from_secs(1);
/// How much a refused TLS client may still send during [`linger`], at most.
const LINGER_BYTES: usize = 64 << 10;

/// Closes a connection whose handshake was refused without destroying the alert rustls
/// sent: a TLS 1.3 client sends its first request right after its Finished, before it
/// learns it was refused, and closing a socket with unread data resets it, which throws
/// the alert away on the client's side ("connection reset" instead of "certificate
/// revoked"). So: end the sending side, read and drop what still comes (bounded), close.
async fn linger(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let _ = stream.shutdown().await;
    let mut buffer = [0u8; 4096];
    let mut read = 0;
    let _ = tokio::time::timeout(LINGER_TIME, async {
        while read < LINGER_BYTES {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    })
    .await;
}

/// The router: the MCP endpoint, the admin API, discovery, health; everything else is a JSON `404`.
pub(crate) async fn route(
    gateway: &Arc<Gateway>,
    mut request: Request<Incoming>,
) -> Response<Body> {
    // Counted and timed (metrics.rs); the caller's W3C trace context (trace.rs) goes into
    // the extensions for the back ends, and the request runs in its (debug) span.
    let timer = metrics::RequestTimer::start(request.uri().path());
    let trace = Trace::from_headers(request.headers());
    let span = trace.span(request.method(), request.uri().path(), request.headers());
    request.extensions_mut().insert(trace);
    let response = routes(gateway, request).instrument(span).await;
    timer.finish(&gateway.metrics, response.status());
    response
}

async fn routes(gateway: &Arc<Gateway>, mut request: Request<Incoming>) -> Response<Body> {
    let mcp = request.uri().path() == MCP_PATH;
    // Per source address before anything else (a flood of bad credentials is limited
    // too); the admin API and /metrics (both authenticate) per source only, health and
    // discovery not at all (limits.rs).
    let path = request.uri().path();
    if (mcp || path.starts_with(admin::PREFIX) || path == metrics::PATH)
        && let Err(refused) = limits::admit_source(gateway, &mut request, mcp)
    {
        return wire::answer(refused);
    }
    // The cold routes' futures are boxed: the hot one (POST /mcp) must not be as large
    // as the largest of them, since hyper moves the whole request future once per request.
    let path = request.uri().path();
    match (request.method(), path) {
        (&Method::POST, MCP_PATH) => pipeline::post(gateway, request).await,
        (&Method::DELETE, MCP_PATH) => Box::pin(pipeline::delete(gateway, request)).await,
        (&Method::GET, MCP_PATH) => Box::pin(pipeline::get(gateway, request)).await,
        (_, MCP_PATH) => wire::answer(Failure::http(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "use POST, GET or DELETE",
        )),
        (_, path) if path.starts_with(admin::PREFIX) => {
            Box::pin(admin::handle(gateway, request)).await
        }
        (_, metrics::PATH) => Box::pin(metrics::handle(gateway, request)).await,
        (&Method::GET, "/health" | "/health/live") => {
            wire::json(StatusCode::OK, &br#"{"status":"ok"}"#[..])
        }
        (&Method::GET, "/health/ready") => {
            if gateway.is_ready() {
                wire::json(StatusCode::OK, &br#"{"status":"ready"}"#[..])
            } else {
                wire::json(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &br#"{"status":"starting"}"#[..],
                )
            }
        }
        (&Method::GET, path) if path.starts_with("/.well-known/") => {
            let snapshot = gateway.snapshot();
            match snapshot.authenticator.resource_metadata() {
                Some(metadata) if metadata.serves(path) => wire::identity(metadata.answer()),
                _ => not_found(),
            }
        }
        _ => not_found(),
    }
}

fn not_found() -> Response<Body> {
    wire::answer(Failure::http(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint",
    ))
}
