use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::Workers;

/// Accepts `count` connections and hands each to `workers`; each served connection
/// echoes one byte (so the socket works on the runtime it moved to) and reports the
/// name of the thread that served it. Returns the names in connection order.
async fn served_on(workers: &Workers, count: usize) -> Vec<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut names = Vec::new();
    for n in 0..count {
        let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        workers.serve(stream, move |mut stream| async move {
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).await.unwrap();
            stream.write_all(&byte).await.unwrap();
            let name = std::thread::current().name().unwrap_or("?").to_owned();
            tx.send(name).unwrap();
        });
        let sent = [b'a' + u8::try_from(n).unwrap()];
        client.write_all(&sent).await.unwrap();
        let mut echoed = [0u8; 1];
        client.read_exact(&mut echoed).await.unwrap();
        assert_eq!(echoed, sent);
        names.push(rx.recv().await.unwrap());
    }
    names
}

#[tokio::test]
async fn connections_go_round_robin_to_the_serving_threads() {
    let mut workers = Workers::start(2).unwrap();
    assert_eq!(workers.len(), 2);
    assert_eq!(
        served_on(&workers, 4).await,
        [
            "hangar-worker-0",
            "hangar-worker-1",
            "hangar-worker-0",
            "hangar-worker-1"
        ]
    );
    // Stopping joins the threads (off the runtime: a join blocks).
    tokio::task::spawn_blocking(move || workers.stop())
        .await
        .unwrap();
}

#[tokio::test]
async fn without_serving_threads_the_current_runtime_serves() {
    let workers = Workers::start(0).unwrap();
    assert_eq!(workers.len(), 0);
    let here = std::thread::current().name().unwrap_or("?").to_owned();
    assert_eq!(served_on(&workers, 2).await, [here.clone(), here]);
}
