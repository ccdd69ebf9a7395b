//! The crate's one error type, its JSON-RPC codes, and the single place where an error
//! becomes a wire answer ([`Error::to_error_object`]).

use serde_json::value::RawValue;

use crate::json;
use crate::jsonrpc::{ErrorObject, Id};
use crate::version::{McpHeader, ProtocolVersion};

/// Everything that can go wrong while decoding, validating or encoding MCP traffic.
///
/// Every variant maps to a JSON-RPC error code ([`Error::code`]) and to a wire error
/// object ([`Error::to_error_object`]). Messages are lowercase; the wire messages follow
/// the spelling of the MCP examples (`Unknown tool: <name>`, `Header mismatch: …`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not valid UTF-8 (JSON-RPC parse error, -32700).
    #[error("parse error: invalid utf-8")]
    InvalidUtf8(#[source] std::str::Utf8Error),
    /// The bytes are not valid JSON (JSON-RPC parse error, -32700).
    #[error("parse error: invalid json")]
    InvalidJson(#[source] serde_json::Error),
    /// The message is larger than the configured limit (-32600).
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size of the message in bytes.
        size: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The JSON nests arrays and objects deeper than the configured limit (-32600).
    #[error("json nesting exceeds the limit of {limit} levels")]
    TooDeep {
        /// The configured depth limit.
        limit: usize,
    },
    /// A JSON-RPC batch (a top-level array) arrived where batches are not allowed
    /// (every protocol version after 2025-03-26) (-32600).
    #[error("invalid request: batches are not allowed")]
    BatchNotAllowed,
    /// Valid JSON that is not a valid JSON-RPC 2.0 message (-32600).
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong with the message.
        reason: &'static str,
        /// The message's id when it could still be read, so the answer can carry it.
        id: Option<Id>,
    },
    /// The method is not known or not available in the negotiated version (-32601).
    #[error("method not found: {method}")]
    MethodNotFound {
        /// The method name as received.
        method: String,
    },
    /// The params do not have the shape the method needs (-32602).
    #[error("invalid params: {reason}")]
    InvalidParams {
        /// What is wrong, prefixed with the method name.
        reason: String,
        /// The JSON error behind it, when there is one.
        #[source]
        source: Option<serde_json::Error>,
    },
    /// `tools/call` named a tool the caller cannot see (-32602). Unknown, denied and
    /// withdrawn tools all answer with this same error.
    #[error("unknown tool: {name}")]
    UnknownTool {
        /// The tool name as received.
        name: String,
    },
    /// An MCP HTTP header disagrees with the body, is missing, or is present without a
    /// counterpart in the body (2026-07-28, -32020, HTTP 400).
    #[error("header mismatch: {}", mismatch_text(*.header, .expected.as_deref(), .got.as_deref()))]
    HeaderMismatch {
        /// The header that failed.
        header: McpHeader,
        /// The value the body implies, `None` when the header must be absent.
        expected: Option<String>,
        /// The header's value, `None` when it is missing.
        got: Option<String>,
    },
    /// The requested protocol version is not one this crate speaks (-32022, HTTP 400).
    #[error("unsupported protocol version {requested:?}")]
    UnsupportedProtocolVersion {
        /// The version string as received.
        requested: String,
    },
    /// A builder could not serialise its output (-32603); not expected in practice.
    #[error("failed to encode json")]
    Encode(#[source] serde_json::Error),
    /// An SSE event grew past the decoder's limit; the stream must be dropped (-32603).
    #[error("sse event exceeds the limit of {limit} bytes")]
    SseEventTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// An SSE field to encode contains a character the format cannot carry (-32603).
    #[error("invalid sse {field}: {reason}")]
    InvalidSseField {
        /// `event` or `id`.
        field: &'static str,
        /// Why the value cannot be encoded.
        reason: &'static str,
    },
}

/// The JSON-RPC and MCP error codes this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// -32700: invalid JSON or invalid UTF-8.
    ParseError,
    /// -32600: not a valid JSON-RPC request object.
    InvalidRequest,
    /// -32601: the method does not exist or is not available.
    MethodNotFound,
    /// -32602: invalid method parameters (also: unknown tool, unknown prompt).
    InvalidParams,
    /// -32603: internal error.
    InternalError,
    /// -32020 (2026-07-28): HTTP headers do not match the body, or are missing.
    HeaderMismatch,
    /// -32021 (2026-07-28): the request needs a client capability it did not declare.
    MissingRequiredClientCapability,
    /// -32022 (2026-07-28): the requested protocol version is not supported.
    UnsupportedProtocolVersion,
}

impl ErrorCode {
    /// Every known code.
    pub const ALL: [ErrorCode; 8] = [
        Self::ParseError,
        Self::InvalidRequest,
        Self::MethodNotFound,
        Self::InvalidParams,
        Self::InternalError,
        Self::HeaderMismatch,
        Self::MissingRequiredClientCapability,
        Self::UnsupportedProtocolVersion,
    ];

    /// The numeric code sent on the wire.
    pub const fn as_i64(self) -> i64 {
        match self {
            Self::ParseError => -32700,
            Self::InvalidRequest => -32600,
            Self::MethodNotFound => -32601,
            Self::InvalidParams => -32602,
            Self::InternalError => -32603,
            Self::HeaderMismatch => -32020,
            Self::MissingRequiredClientCapability => -32021,
            Self::UnsupportedProtocolVersion => -32022,
        }
    }

    /// The known code with this number, if any.
    pub fn from_i64(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_i64() == code)
    }
}

impl Error {
    /// The kind of JSON-RPC error this is.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::InvalidUtf8(_) | Self::InvalidJson(_) => ErrorCode::ParseError,
            Self::TooLarge { .. }
            | Self::TooDeep { .. }
            | Self::BatchNotAllowed
            | Self::InvalidRequest { .. } => ErrorCode::InvalidRequest,
            Self::MethodNotFound { .. } => ErrorCode::MethodNotFound,
            Self::InvalidParams { .. } | Self::UnknownTool { .. } => ErrorCode::InvalidParams,
            Self::HeaderMismatch { .. } => ErrorCode::HeaderMismatch,
            Self::UnsupportedProtocolVersion { .. } => ErrorCode::UnsupportedProtocolVersion,
            Self::Encode(_) | Self::SseEventTooLarge { .. } | Self::InvalidSseField { .. } => {
                ErrorCode::InternalError
            }
        }
    }

    /// The numeric JSON-RPC code, e.g. -32700 for a parse error.
    pub fn code(&self) -> i64 {
        self.error_code().as_i64()
    }

    /// The id of the offending message when it could be read despite the error, so the
    /// error response can carry it (JSON-RPC: `null` otherwise).
    pub fn request_id(&self) -> Option<&Id> {
        match self {
            Self::InvalidRequest { id, .. } => id.as_ref(),
            _ => None,
        }
    }

    /// The JSON-RPC error object to send for this error: the one place where an error
    /// becomes a wire answer.
    pub fn to_error_object(&self) -> ErrorObject {
        let (message, data) = match self {
            Self::InvalidUtf8(_) | Self::InvalidJson(_) => ("Parse error".to_owned(), None),
            Self::TooLarge { limit, .. } => (
                format!("Invalid Request: message exceeds {limit} bytes"),
                None,
            ),
            Self::TooDeep { limit } => (
                format!("Invalid Request: nesting exceeds {limit} levels"),
                None,
            ),
            Self::BatchNotAllowed => ("Invalid Request: batches are not allowed".to_owned(), None),
            Self::InvalidRequest { reason, .. } => (format!("Invalid Request: {reason}"), None),
            Self::MethodNotFound { method } => (format!("Method not found: {method}"), None),
            Self::InvalidParams { reason, .. } => (format!("Invalid params: {reason}"), None),
            Self::UnknownTool { name } => (format!("Unknown tool: {name}"), None),
            Self::HeaderMismatch {
                header,
                expected,
                got,
            } => (
                format!(
                    "Header mismatch: {}",
                    mismatch_text(*header, expected.as_deref(), got.as_deref())
                ),
                header_mismatch_data(*header, expected.as_deref(), got.as_deref()),
            ),
            Self::UnsupportedProtocolVersion { requested } => (
                "Unsupported protocol version".to_owned(),
                unsupported_version_data(requested),
            ),
            Self::Encode(_) | Self::SseEventTooLarge { .. } | Self::InvalidSseField { .. } => {
                ("Internal error".to_owned(), None)
            }
        };
        ErrorObject {
            code: self.code(),
            message,
            data,
        }
    }
}

/// `Mcp-Name header value 'foo' does not match body value 'bar'`, and the variants for a
/// missing header or one without a counterpart in the body.
fn mismatch_text(header: McpHeader, expected: Option<&str>, got: Option<&str>) -> String {
    match (expected, got) {
        (Some(body), Some(value)) => {
            format!("{header} header value '{value}' does not match body value '{body}'")
        }
        (Some(body), None) => format!("missing {header} header (body value '{body}')"),
        (None, None) => format!("missing {header} header"),
        (None, Some(value)) => {
            format!("{header} header value '{value}' has no counterpart in the body")
        }
    }
}

/// `{"header":"Mcp-Name","expected":"bar","got":"foo"}` (absent values as `null`).
fn header_mismatch_data(
    header: McpHeader,
    expected: Option<&str>,
    got: Option<&str>,
) -> Option<Box<RawValue>> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"{\"header\":");
    json::write_str(&mut out, header.as_str());
    for (key, value) in [(&b",\"expected\":"[..], expected), (&b",\"got\":"[..], got)] {
        out.extend_from_slice(key);
        match value {
            Some(v) => json::write_str(&mut out, v),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b'}');
    raw(out)
}

/// `{"supported":["2026-07-28",…],"requested":"1900-01-01"}`, newest version first.
fn unsupported_version_data(requested: &str) -> Option<Box<RawValue>> {
    let mut out = Vec::with_capacity(96);
    out.extend_from_slice(b"{\"supported\":[");
    for (i, v) in ProtocolVersion::ALL.iter().rev().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json::write_str(&mut out, v.as_str());
    }
    out.extend_from_slice(b"],\"requested\":");
    json::write_str(&mut out, requested);
    out.push(b'}');
    raw(out)
}

/// Wraps JSON the crate wrote itself; it is always valid, so `None` is unreachable in
/// practice (and never a panic).
pub(crate) fn raw(bytes: Vec<u8>) -> Option<Box<RawValue>> {
    String::from_utf8(bytes)
        .ok()
        .and_then(|s| RawValue::from_string(s).ok())
}

#[cfg(test)]
mod tests;
