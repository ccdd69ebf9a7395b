//! `hangar-relay`: the two reference proxies of the load benchmark (bench/load/ceiling.sh;
//! run by hand, not in CI). Not a product piece: they measure what *any* proxy costs on
//! this machine, so the gateway's ratio to direct can be read against a floor.
//!
//! `hangar-relay tcp|http --to HOST:PORT [--threads N]` listens on 127.0.0.1 (an
//! ephemeral port) and prints `hangar-relay listening on http://127.0.0.1:P` on stdout
//! once it accepts connections.
//!
//! * `tcp`: a layer-4 relay. Each accepted connection gets its own connection to the back
//!   end, and bytes are copied both ways (`tokio::io::copy_bidirectional`). It parses
//!   nothing: the least work a proxy in the path can do (two reads, two writes per call).
//! * `http`: the least an HTTP/1.1 proxy built on hyper can do. Each accepted connection
//!   is served by hyper's server and gets its own hyper client connection to the back end;
//!   every request is passed on as it came (method, target, headers, streamed body) and
//!   the back end's answer streamed back. No JSON, no authentication, no policy: what
//!   the gateway spends beyond this is its own work.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

const NAME: &str = "hangar-relay";
const USAGE: &str = "usage: hangar-relay tcp|http --to HOST:PORT [--threads N]";

#[derive(Clone, Copy)]
enum Kind {
    Tcp,
    Http,
}

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok((kind, to, threads)) => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => return fail(&format!("tokio runtime: {e}")),
            };
            match runtime.block_on(serve(kind, to)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e.to_string()),
            }
        }
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("{NAME}: {message}");
    ExitCode::from(2)
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<(Kind, SocketAddr, usize), String> {
    let kind = match args.next().as_deref() {
        Some("tcp") => Kind::Tcp,
        Some("http") => Kind::Http,
        _ => return Err(USAGE.to_owned()),
    };
    let mut to = None;
    let mut threads = std::thread::available_parallelism().map_or(1, usize::from);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--to" => {
                to = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--to: bad address {value:?}"))?,
                )
            }
            "--threads" => {
                threads = value
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--threads: bad number {value:?}"))?;
            }
            _ => return Err(format!("unknown argument {flag:?}\n{USAGE}")),
        }
    }
    let to = to.ok_or_else(|| format!("--to is required\n{USAGE}"))?;
    Ok((kind, to, threads))
}

async fn serve(kind: Kind, to: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("{NAME} listening on http://{}", listener.local_addr()?);
    accept_loop(listener, kind, to).await;
    Ok(())
}

/// Relays every connection `listener` accepts; a failed accept (out of descriptors, a
/// connection reset before it was taken) is logged and the loop goes on.
async fn accept_loop(listener: TcpListener, kind: Kind, to: SocketAddr) {
    loop {
        let inbound = match listener.accept().await {
            Ok((inbound, _)) => inbound,
            Err(e) => {
                eprintln!("{NAME}: accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        tokio::spawn(async move {
            if let Err(e) = relay(kind, inbound, to).await {
                eprintln!("{NAME}: connection: {e}");
            }
        });
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn relay(kind: Kind, mut inbound: TcpStream, to: SocketAddr) -> Result<(), BoxError> {
    inbound.set_nodelay(true)?;
    let mut outbound = TcpStream::connect(to).await?;
    outbound.set_nodelay(true)?;
    match kind {
        Kind::Tcp => {
            tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await?;
        }
        Kind::Http => {
            let (sender, connection) =
                hyper::client::conn::http1::handshake::<_, Incoming>(TokioIo::new(outbound))
                    .await?;
            // A back end that closes shows up as `ready()` failing on the next request,
            // which ends the inbound connection too: no reconnect, this is a benchmark.
            tokio::spawn(connection);
            let sender = Arc::new(Mutex::new(sender));
            let service = service_fn(move |request| forward(Arc::clone(&sender), request));
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(inbound), service)
                .await?;
        }
    }
    Ok(())
}

/// Passes one request on as it came (hop-by-hop headers included) and hands back the back
/// end's answer. hyper's HTTP/1.1 server reads a connection's next request only once the
/// last answer is written, so the lock is never contended; the future `send_request`
/// returns does not borrow the sender, so the lock is released before the answer comes.
async fn forward(
    sender: Arc<Mutex<SendRequest<Incoming>>>,
    request: http::Request<Incoming>,
) -> hyper::Result<http::Response<Incoming>> {
    let answer = {
        let mut sender = sender.lock().await;
        sender.ready().await?;
        sender.send_request(request)
    };
    answer.await
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http_body_util::{BodyExt as _, Full};

    use super::*;

    fn args(line: &str) -> impl Iterator<Item = String> {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn parses_kind_target_and_threads() {
        let (kind, to, threads) = parse(args("http --to 127.0.0.1:9 --threads 3")).unwrap();
        assert!(matches!(kind, Kind::Http));
        assert_eq!(to, "127.0.0.1:9".parse::<SocketAddr>().unwrap());
        assert_eq!(threads, 3);
        assert!(matches!(
            parse(args("tcp --to 127.0.0.1:9")).unwrap().0,
            Kind::Tcp
        ));
    }

    /// A back end that answers `<method> <target> <body>` on 127.0.0.1; its address.
    async fn echo_back_end() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let service = service_fn(|request: http::Request<Incoming>| async move {
                    let head = format!("{} {} ", request.method(), request.uri());
                    let body = request.into_body().collect().await?.to_bytes();
                    let answer = [head.as_bytes(), &body].concat();
                    Ok::<_, hyper::Error>(http::Response::new(Full::new(Bytes::from(answer))))
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        address
    }

    /// Both relays carry several requests on one kept-alive connection, each to its own
    /// answer (the HTTP relay's lock and `ready()` on the second).
    #[tokio::test]
    async fn relays_requests_on_a_kept_alive_connection() {
        let back_end = echo_back_end().await;
        for kind in [Kind::Tcp, Kind::Http] {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let relay = listener.local_addr().unwrap();
            let relaying = tokio::spawn(accept_loop(listener, kind, back_end));
            let stream = TcpStream::connect(relay).await.unwrap();
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
                    .await
                    .unwrap();
            tokio::spawn(connection);
            for n in 0..3 {
                sender.ready().await.unwrap();
                let request = http::Request::post(format!("/mcp?n={n}"))
                    .header(http::header::HOST, relay.to_string())
                    .body(Full::new(Bytes::from(format!("call {n}"))))
                    .unwrap();
                let answer =
                    tokio::time::timeout(Duration::from_secs(10), sender.send_request(request))
                        .await
                        .expect("an answer within 10 s")
                        .unwrap();
                assert_eq!(answer.status(), http::StatusCode::OK);
                let body = answer.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(body, format!("POST /mcp?n={n} call {n}").as_bytes());
            }
            relaying.abort();
        }
    }

    #[test]
    fn refuses_what_it_cannot_run() {
        for (line, says) in [
            ("", "usage"),
            ("udp --to 127.0.0.1:9", "usage"),
            ("tcp", "--to is required"),
            ("tcp --to localhost:9", "bad address"),
            ("tcp --to 127.0.0.1:9 --threads 0", "bad number"),
            ("tcp --to", "needs a value"),
            ("tcp --from 127.0.0.1:9", "unknown argument"),
        ] {
            let error = parse(args(line)).err().unwrap_or_default();
            assert!(error.contains(says), "{line:?}: {error:?}");
        }
    }
}
