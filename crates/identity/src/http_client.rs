//! A small HTTP client over hyper-util for discovery, JWKS and introspection.

use std::time::Duration;

/// Outbound HTTP for identity providers: timeouts, size limits, https or loopback http only.
#[derive(Debug, Clone)]
pub struct HttpClient {}

impl HttpClient {
    /// A client whose every request (connect + answer) must finish within `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let _ = timeout;
        todo!()
    }
}
