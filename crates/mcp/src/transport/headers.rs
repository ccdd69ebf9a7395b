//! The HTTP header names of Streamable HTTP and of W3C trace context, shared by the
//! transport (which sends them to back ends) and by servers built on this crate (which
//! read them from their callers).

use http::HeaderName;

/// `Mcp-Session-Id`: the session of protocol versions up to 2025-11-25.
pub const SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
/// `MCP-Protocol-Version`.
pub const PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
/// `Mcp-Method` (2026-07-28): the request's method, for routing without the body.
pub const METHOD: HeaderName = HeaderName::from_static("mcp-method");
/// `Mcp-Name` (2026-07-28): the tool, prompt or resource a request names.
pub const NAME: HeaderName = HeaderName::from_static("mcp-name");
/// W3C trace context: `traceparent`.
pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// W3C trace context: `tracestate`.
pub const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
