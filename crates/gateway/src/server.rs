//! The listener (hyper 1 over TCP, HTTP/1.1 and HTTP/2 by `hyper_util`'s auto builder)
//! and the router.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::admin;
use crate::error::Error;
use crate::pipeline;
use crate::state::Gateway;
use crate::wire::{self, Body, Failure};

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
    pub(crate) client_certificate: Option<rustls::pki_types::CertificateDer<'static>>,
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
    /// Serves HTTP on `listener` until `shutdown` completes, then stops accepting and
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
        // On loopback, serve loopback host names only (DNS rebinding; see the pipeline).
        self.set_loopback_only(local.ip().is_loopback());
        // Back ends start now; their tools arrive in the background (`/health/ready`).
        self.start_upstreams();
        self.follow_upstreams();
        let gateway = Arc::clone(&self);
        tokio::spawn(gateway.discover_tools());
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.options.header_read_timeout);
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        tracing::info!(%local, "listening");
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
                    self.spawn_connection(&builder, &graceful, stream, peer);
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
        Ok(())
    }

    fn spawn_connection(
        self: &Arc<Self>,
        builder: &auto::Builder<TokioExecutor>,
        graceful: &GracefulShutdown,
        stream: tokio::net::TcpStream,
        peer: SocketAddr,
    ) {
        let _ = stream.set_nodelay(true);
        let gateway = Arc::clone(self);
        let info = ConnectionInfo {
            peer,
            client_certificate: None,
        };
        let service = service_fn(move |mut request: Request<Incoming>| {
            let gateway = Arc::clone(&gateway);
            request.extensions_mut().insert(info.clone());
            async move { Ok::<_, Infallible>(route(&gateway, request).await) }
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
}

/// The router: the MCP endpoint, the admin API, discovery, health; everything else is a JSON `404`.
pub(crate) async fn route(gateway: &Arc<Gateway>, request: Request<Incoming>) -> Response<Body> {
    let path = request.uri().path();
    if path == MCP_PATH {
        gateway.stats.request();
    }
    match (request.method(), path) {
        (&Method::POST, MCP_PATH) => pipeline::post(gateway, request).await,
        (&Method::DELETE, MCP_PATH) => pipeline::delete(gateway, request).await,
        (&Method::GET, MCP_PATH) => pipeline::get(gateway, request).await,
        (_, MCP_PATH) => wire::answer(Failure::http(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "use POST, GET or DELETE",
        )),
        (_, path) if path.starts_with(admin::PREFIX) => admin::handle(gateway, request).await,
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
