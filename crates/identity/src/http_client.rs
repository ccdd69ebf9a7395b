//! A small HTTP client over hyper-util for discovery, JWKS and introspection.
//!
//! Rules: `https` anywhere (rustls with the aws-lc-rs provider and the system's root
//! certificates), plain `http` only to a loopback host; no redirects are followed; every
//! request (connect, answer and body) must finish within the timeout; bodies larger than
//! [`MAX_BODY`] are refused.

mod connector;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use connector::Connector;

/// The largest answer body accepted from an identity provider (1 MiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// Outbound HTTP for identity providers: timeouts, size limits, https or loopback http only.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<Connector, Full<Bytes>>,
    timeout: Duration,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why an outbound request failed (never contains credentials or tokens).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL is not acceptable (bad syntax, plain http to a non-loopback host, …).
    #[error("refused url: {0}")]
    Url(String),
    /// Connecting, sending or receiving failed.
    #[error("request failed: {0}")]
    Transport(String),
    /// The request did not finish in time.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The answer body is larger than the limit.
    #[error("answer body larger than {MAX_BODY} bytes")]
    TooLarge,
}

impl HttpClient {
    /// A client whose every request (connect + answer) must finish within `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(4)
            .build(Connector::new(timeout));
        Self { client, timeout }
    }

    /// Sends `request` and reads the whole answer (status, headers, body ≤ [`MAX_BODY`]).
    pub async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, HttpError> {
        check_url(request.uri())?;
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| HttpError::Transport(describe(&e)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        HttpError::TooLarge
                    } else {
                        HttpError::Transport(e.to_string().to_lowercase())
                    }
                })?
                .to_bytes();
            Ok(http::Response::from_parts(parts, body.to_vec()))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| HttpError::Timeout(self.timeout))?
    }

    /// `GET url` with `Accept: application/json`.
    pub async fn get(&self, url: &str) -> Result<http::Response<Vec<u8>>, HttpError> {
        let request = http::Request::get(url)
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| HttpError::Url(e.to_string().to_lowercase()))?;
        self.send(request).await
    }
}

/// The adapter `openidconnect` uses for discovery and JWKS fetches.
impl<'c> openidconnect::AsyncHttpClient<'c> for HttpClient {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<http::Response<Vec<u8>>, HttpError>> + Send + 'c>,
    >;

    fn call(&'c self, request: http::Request<Vec<u8>>) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// https anywhere, http only to loopback hosts, nothing else.
pub(crate) fn check_url(uri: &http::Uri) -> Result<(), HttpError> {
    let host = uri
        .host()
        .ok_or_else(|| HttpError::Url("missing host".into()))?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback(host) => Ok(()),
        Some("http") => Err(HttpError::Url(format!(
            "plain http is allowed only to loopback hosts, not {host}"
        ))),
        _ => Err(HttpError::Url(
            "scheme must be https (or http on loopback)".into(),
        )),
    }
}

/// `localhost`, `127.0.0.0/8`, `::1`.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A lowercase description of a client error with its causes (no URL query, no body).
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.to_lowercase()
}

#[cfg(test)]
mod tests;
