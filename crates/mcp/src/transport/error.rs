//! [`TransportError`]: what can go wrong between the gateway and a back end, and the one
//! place where it becomes a JSON-RPC error for the caller ([`TransportError::to_error_object`]).

use std::time::Duration;

use serde_json::value::RawValue;

use crate::error::ErrorCode;
use crate::jsonrpc::ErrorObject;

/// A failure talking to a back end.
///
/// None of these is the back end's own JSON-RPC error answer: that arrives as
/// [`Reply::Error`](super::Reply::Error) and is passed through. Every variant maps to a
/// JSON-RPC error for the caller ([`code`](Self::code),
/// [`to_error_object`](Self::to_error_object)); the message names the back end but never
/// carries a credential or a back-end response body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The back end could not be reached: connection refused, DNS failure, connect
    /// timeout, or a stdio child that could not be started or is waiting to restart.
    #[error("back end {backend} is unreachable: {reason}")]
    Unreachable {
        /// The back end's name.
        backend: String,
        /// What failed.
        reason: String,
    },
    /// The back end did not answer within the request timeout; the request was
    /// cancelled (`notifications/cancelled`).
    #[error("back end {backend} timed out after {} ms", .after.as_millis())]
    Timeout {
        /// The back end's name.
        backend: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The back end answered something that is not a valid MCP answer: garbage bytes,
    /// a wrong content type, an oversize body, an answer without our id.
    #[error("back end {backend} sent an invalid response: {reason}")]
    InvalidResponse {
        /// The back end's name.
        backend: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The connection (HTTP body or SSE stream) or the stdio child went away before the
    /// answer arrived.
    #[error("back end {backend} closed the connection before answering")]
    Closed {
        /// The back end's name.
        backend: String,
    },
    /// The back end answered with an HTTP status that is not an MCP answer (e.g. 500,
    /// or 401/403 when its credentials are refused).
    #[error("back end {backend} answered http {status}")]
    HttpStatus {
        /// The back end's name.
        backend: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The initialize handshake or `server/discover` failed.
    #[error("back end {backend} handshake failed: {reason}")]
    Handshake {
        /// The back end's name.
        backend: String,
        /// Why.
        reason: String,
    },
    /// The back end's own credentials could not be obtained (OAuth token endpoint down,
    /// refused, or garbage).
    #[error("credentials for back end {backend} could not be obtained: {reason}")]
    Credentials {
        /// The back end's name.
        backend: String,
        /// Why.
        reason: String,
    },
    /// The back end answered a request the transport made for itself (e.g. a
    /// `tools/list` page) with a JSON-RPC error.
    #[error("back end {backend} refused {method}: {message} ({code})")]
    Refused {
        /// The back end's name.
        backend: String,
        /// The method the transport sent.
        method: String,
        /// The back end's error code.
        code: i64,
        /// The back end's error message.
        message: String,
    },
    /// The configuration cannot work: an endpoint that is not an http(s) URL, a header
    /// that is not valid, an unreadable `ca_file`.
    #[error("back end {backend} is misconfigured: {reason}")]
    Config {
        /// The back end's name.
        backend: String,
        /// What is wrong.
        reason: String,
    },
    /// The request cannot be sent as the back end's protocol needs it (2026-07-28 params
    /// that are not an object, a tool name that cannot be an HTTP header value) (-32602).
    #[error("request cannot be sent to back end {backend}: {reason}")]
    Unsendable {
        /// The back end's name.
        backend: String,
        /// Why.
        reason: String,
    },
    /// The back end was stopped ([`Backend::stop`](super::Backend::stop)).
    #[error("back end {backend} is stopped")]
    Stopped {
        /// The back end's name.
        backend: String,
    },
}

impl TransportError {
    /// The JSON-RPC error code the gateway answers its caller with.
    ///
    /// Every transport failure is the gateway's internal error as far as the caller is
    /// concerned: -32603, told apart by the message and `data.reason`
    /// ([`reason`](Self::reason)). [`Refused`](Self::Refused) keeps the back end's code.
    pub fn code(&self) -> i64 {
        match self {
            Self::Refused { code, .. } => *code,
            Self::Unsendable { .. } => ErrorCode::InvalidParams.as_i64(),
            _ => ErrorCode::InternalError.as_i64(),
        }
    }

    /// A short stable token for logs, metrics and `data.reason`: `unreachable`,
    /// `timeout`, `invalid_response`, `closed`, `http_status`, `handshake`,
    /// `credentials`, `refused`, `config`, `unsendable`, `stopped`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unreachable { .. } => "unreachable",
            Self::Timeout { .. } => "timeout",
            Self::InvalidResponse { .. } => "invalid_response",
            Self::Closed { .. } => "closed",
            Self::HttpStatus { .. } => "http_status",
            Self::Handshake { .. } => "handshake",
            Self::Credentials { .. } => "credentials",
            Self::Refused { .. } => "refused",
            Self::Config { .. } => "config",
            Self::Unsendable { .. } => "unsendable",
            Self::Stopped { .. } => "stopped",
        }
    }

    /// The back end the error is about.
    pub fn backend(&self) -> &str {
        match self {
            Self::Unreachable { backend, .. }
            | Self::Timeout { backend, .. }
            | Self::InvalidResponse { backend, .. }
            | Self::Closed { backend }
            | Self::HttpStatus { backend, .. }
            | Self::Handshake { backend, .. }
            | Self::Credentials { backend, .. }
            | Self::Refused { backend, .. }
            | Self::Config { backend, .. }
            | Self::Unsendable { backend, .. }
            | Self::Stopped { backend } => backend,
        }
    }

    /// The JSON-RPC error object for the caller: [`code`](Self::code), a message that
    /// says which back end failed and how, and
    /// `data: {"backend": …, "reason": …}`.
    pub fn to_error_object(&self) -> ErrorObject {
        let mut message = String::from("Back-end error: ");
        message.push_str(match self {
            Self::Unreachable { .. } => "back end unreachable",
            Self::Timeout { .. } => "back end timed out",
            Self::InvalidResponse { .. } => "back end sent an invalid response",
            Self::Closed { .. } => "back end closed the connection",
            Self::HttpStatus { .. } => "back end answered an unexpected http status",
            Self::Handshake { .. } => "back end handshake failed",
            Self::Credentials { .. } => "back-end credentials unavailable",
            Self::Refused { .. } => "back end refused the request",
            Self::Config { .. } => "back end misconfigured",
            Self::Unsendable { .. } => "request cannot be sent to the back end",
            Self::Stopped { .. } => "back end stopped",
        });
        let data = serde_json::json!({ "backend": self.backend(), "reason": self.reason() });
        ErrorObject {
            code: self.code(),
            message,
            data: RawValue::from_string(data.to_string()).ok(),
        }
    }
}
