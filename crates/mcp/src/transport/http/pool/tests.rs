//! The connection pool against an in-process hyper server on 127.0.0.1:0 that counts the
//! connections it accepted.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use super::{Pool, PoolError};

/// A server answering every request with `path host` (its request target and `Host`).
struct Server {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl Server {
    /// `keep_alive: false`: the server closes each connection after one answer.
    async fn start(keep_alive: bool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp?x=1", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&connections);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(|request: Request<Incoming>| async move {
                            let host = request.headers()[http::header::HOST]
                                .to_str()
                                .unwrap()
                                .to_owned();
                            let target = request.uri().to_string();
                            let _ = request.into_body().collect().await;
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(format!(
                                "{target} {host}"
                            )))))
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(keep_alive)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { url, connections }
    }

    fn pool(&self) -> Pool {
        let connector = crate::transport::https::connector(Duration::from_secs(1), None).unwrap();
        Pool::new(connector, self.url.parse().unwrap()).unwrap()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn post() -> Request<Full<Bytes>> {
    Request::builder()
        .method(Method::POST)
        .uri("http://ignored.example/elsewhere")
        .body(Full::new(Bytes::from_static(b"{}")))
        .unwrap()
}

/// One request through `pool`, its answer read whole; the connection released when
/// `release`, else dropped.
async fn call(pool: &Pool, release: bool) -> String {
    let (response, lease) = pool.send(post()).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    if release {
        lease.release();
    }
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn sequential_calls_share_one_connection_with_the_endpoints_target_and_host() {
    let server = Server::start(true).await;
    let pool = server.pool();
    let authority = server.url.split('/').nth(2).unwrap().to_owned();
    for _ in 0..5 {
        assert_eq!(call(&pool, true).await, format!("/mcp?x=1 {authority}"));
    }
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn a_connection_the_back_end_closed_is_replaced_without_an_error() {
    let server = Server::start(false).await;
    let pool = server.pool();
    for _ in 0..3 {
        assert!(call(&pool, true).await.starts_with("/mcp?x=1 "));
    }
    assert_eq!(server.connections(), 3);
}

#[tokio::test]
async fn a_connection_not_released_is_not_used_again() {
    let server = Server::start(true).await;
    let pool = server.pool();
    call(&pool, false).await;
    call(&pool, true).await;
    call(&pool, true).await;
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn concurrent_calls_open_their_own_connections_which_then_serve_later_calls() {
    let server = Server::start(true).await;
    let pool = server.pool();
    let (a, b, c) = tokio::join!(call(&pool, true), call(&pool, true), call(&pool, true));
    assert!(
        [a, b, c]
            .iter()
            .all(|answer| answer.starts_with("/mcp?x=1 "))
    );
    let opened = server.connections();
    assert!((1..=3).contains(&opened), "{opened}");
    for _ in 0..6 {
        call(&pool, true).await;
    }
    assert_eq!(server.connections(), opened);
}

#[tokio::test]
async fn clear_closes_the_idle_connections() {
    let server = Server::start(true).await;
    let pool = server.pool();
    call(&pool, true).await;
    pool.clear();
    call(&pool, true).await;
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn each_thread_has_its_own_connections() {
    let server = Arc::new(Server::start(true).await);
    let pool = Arc::new(server.pool());
    call(&pool, true).await;
    // Another thread with its own runtime: it does not borrow this thread's connection.
    let other = Arc::clone(&pool);
    // (spawn_blocking: this runtime must keep serving the server's connections.)
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            call(&other, true).await;
            call(&other, true).await;
        });
    })
    .await
    .unwrap();
    assert_eq!(server.connections(), 2);
    call(&pool, true).await;
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error_naming_the_cause() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    drop(listener);
    let connector = crate::transport::https::connector(Duration::from_secs(1), None).unwrap();
    let pool = Pool::new(connector, url.parse().unwrap()).unwrap();
    match pool.send(post()).await {
        Err(PoolError::Connect(reason)) => assert!(reason.contains("refused"), "{reason}"),
        Err(other) => panic!("expected a connect error, got {other:?}"),
        Ok(_) => panic!("expected a connect error, got an answer"),
    }
}

#[tokio::test]
async fn prune_closes_connections_idle_past_the_timeout_on_every_thread() {
    let server = Server::start(true).await;
    let pool = server.pool();
    call(&pool, true).await;
    assert_eq!(server.connections(), 1);
    // Age this thread's idle connection past the timeout, as a thread that stopped
    // calling would leave it.
    for idle in pool.idle().lock().unwrap().iter_mut() {
        idle.since -= super::IDLE_TIMEOUT + Duration::from_secs(1);
    }
    pool.prune();
    assert!(pool.idle().lock().unwrap().is_empty());
    call(&pool, true).await;
    assert_eq!(server.connections(), 2);
    // A fresh one is kept.
    pool.prune();
    assert_eq!(pool.idle().lock().unwrap().len(), 1);
}

#[test]
fn the_host_header_leaves_out_the_schemes_default_port() {
    for (endpoint, host) in [
        ("https://mcp.example:443/mcp", "mcp.example"),
        ("http://mcp.example:80/mcp", "mcp.example"),
        ("http://mcp.example/mcp", "mcp.example"),
        ("http://mcp.example:443/mcp", "mcp.example:443"),
        ("https://mcp.example:8443/mcp", "mcp.example:8443"),
        ("http://[::1]:9000/mcp", "[::1]:9000"),
    ] {
        assert_eq!(
            super::host_header(&endpoint.parse().unwrap()).unwrap(),
            host,
            "{endpoint}"
        );
    }
}
