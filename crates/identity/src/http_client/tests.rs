//! Unit tests for the outbound HTTP client.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{HttpClient, HttpError, check_url, is_loopback};

#[test]
fn only_https_or_loopback_http() {
    let ok = |url: &str| check_url(&url.parse().unwrap()).is_ok();
    assert!(ok(
        "https://auth.example.com/.well-known/openid-configuration"
    ));
    assert!(ok("http://127.0.0.1:9400/jwks"));
    assert!(ok("http://127.8.9.10/"));
    assert!(ok("http://localhost:8080/"));
    assert!(ok("http://[::1]:8080/"));
    assert!(!ok("http://auth.example.com/"));
    assert!(!ok("http://10.0.0.1/"));
    assert!(!ok("http://127.0.0.1.evil.example/"));
    assert!(!ok("ftp://127.0.0.1/"));
    assert!(!ok("/relative"));
    assert!(is_loopback("LOCALHOST"));
    assert!(!is_loopback("localhost.example"));
}

/// A one-shot server on 127.0.0.1 answering every connection with `answer`
/// (or never answering when `None`).
async fn serve(answer: Option<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = [0; 4096];
                let _ = stream.read(&mut buf).await;
                match answer {
                    Some(answer) => {
                        let _ = stream.write_all(&answer).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    format!("http://{address}/")
}

fn response(body: &[u8]) -> Vec<u8> {
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body);
    answer
}

#[tokio::test]
async fn reads_a_small_answer() {
    let url = serve(Some(response(br#"{"ok":true}"#))).await;
    let answer = HttpClient::new(Duration::from_secs(5))
        .get(&url)
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.body(), br#"{"ok":true}"#);
}

#[tokio::test]
async fn refuses_large_answers() {
    let url = serve(Some(response(&vec![b'x'; super::MAX_BODY + 1]))).await;
    let error = HttpClient::new(Duration::from_secs(5))
        .get(&url)
        .await
        .unwrap_err();
    assert!(matches!(error, HttpError::TooLarge), "{error}");
}

#[tokio::test]
async fn times_out() {
    let url = serve(None).await;
    let error = HttpClient::new(Duration::from_millis(200))
        .get(&url)
        .await
        .unwrap_err();
    assert!(matches!(error, HttpError::Timeout(_)), "{error}");
}

#[tokio::test]
async fn refused_and_unreachable() {
    let client = HttpClient::new(Duration::from_secs(2));
    let error = client.get("http://example.com/").await.unwrap_err();
    assert!(matches!(error, HttpError::Url(_)), "{error}");
    let error = client.get("http://127.0.0.1:9/").await.unwrap_err();
    assert!(matches!(error, HttpError::Transport(_)), "{error}");
    let error = client.get("https://127.0.0.1:9/").await.unwrap_err();
    assert!(matches!(error, HttpError::Transport(_)), "{error}");
}
