//! The MCP (Model Context Protocol) codec of the Hangar gateway: JSON-RPC 2.0 envelopes,
//! the MCP methods a gateway routes, protocol versions 2025-03-26, 2025-06-18,
//! 2025-11-25 and 2026-07-28 with their negotiation and (2026-07-28) header checks, and
//! Server-Sent Events framing. It needs no async runtime.
//!
//! Payloads pass through: a [`Message`] keeps params, results and error data as raw JSON,
//! so forwarding a 1 MB tool result to a client rewrites its id and copies the rest byte
//! for byte. Only what policy and routing need is parsed, on demand, into borrowed views
//! such as [`CallToolParams`].
//!
//! # Example
//!
//! ```
//! use hangar_mcp::{CallToolParams, DecodeLimits, Id, Message, ProtocolVersion};
//!
//! // A client's request, decoded strictly and within limits.
//! let body = br#"{"jsonrpc":"2.0","id":"c-1","method":"tools/call",
//!                 "params":{"name":"charge","arguments":{"amount":5}}}"#;
//! let limits = DecodeLimits::for_version(ProtocolVersion::V2025_11_25);
//! let Message::Request(request) = Message::decode(body, &limits)? else {
//!     unreachable!("a request")
//! };
//! let call: CallToolParams<'_> = request.params_as()?;
//! assert_eq!(call.name, "charge");
//!
//! // Forward it to a back end under the gateway's own id; params are copied untouched.
//! let mut upstream = Vec::new();
//! request.encode_with_id(&Id::Number(41), &mut upstream);
//! assert!(upstream.starts_with(br#"{"jsonrpc":"2.0","id":41,"method":"tools/call""#));
//!
//! // The back end's answer goes back to the client under the client's id.
//! let answer = br#"{"jsonrpc":"2.0","id":41,"result":{"content":[]}}"#;
//! let Message::Response(response) = Message::decode(answer, &limits)? else {
//!     unreachable!("a response")
//! };
//! let mut downstream = Vec::new();
//! response.encode_with_id(&request.id, &mut downstream);
//! assert_eq!(downstream, br#"{"jsonrpc":"2.0","id":"c-1","result":{"content":[]}}"#);
//!
//! // Versions: an initialize handshake for an unknown version gets the latest one.
//! assert_eq!(ProtocolVersion::negotiate("2024-11-05"), ProtocolVersion::V2025_11_25);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules at a glance
//!
//! * JSON-RPC: [`Message`], [`Request`], [`Notification`], [`Response`],
//!   [`ErrorResponse`], [`ErrorObject`], [`Id`], [`DecodeLimits`].
//! * MCP: [`Method`], the params views ([`InitializeParams`], [`CallToolParams`],
//!   [`RequestMeta`], …) and the builders ([`ToolListBuilder`],
//!   [`InitializeResultBuilder`], [`DiscoverResultBuilder`],
//!   [`Notification::tools_list_changed`], [`ErrorResponse::unknown_tool`]).
//! * Versions: [`ProtocolVersion`], [`validate_headers`] with [`McpHeaders`].
//! * SSE: [`SseEvent`], [`SseDecoder`], [`encode_comment`].
//! * Errors: [`Error`] (one enum; [`Error::code`] and [`Error::to_error_object`]) and
//!   [`ErrorCode`].
//! * Back-end transports (cargo feature `transport`, off by default): `transport::Backend`,
//!   a Streamable-HTTP or stdio MCP server behind the gateway (tokio + hyper).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod json;
mod jsonrpc;
mod mcp;
mod scan;
mod sse;
mod version;

pub use error::{Error, ErrorCode};
pub use jsonrpc::{
    DecodeLimits, ErrorObject, ErrorResponse, Id, Message, Notification, Request, Response,
};
pub use mcp::{
    CacheScope, CallToolParams, CancelledParams, CompleteParams, CompletionRef,
    DiscoverResultBuilder, GetPromptParams, Implementation, InitializeParams,
    InitializeResultBuilder, LoggingMessageParams, Method, NameParam, PaginatedParams,
    ProgressParams, RequestMeta, ResourceParams, SetLevelParams, SubscriptionFilter,
    SubscriptionsListenParams, ToolListBuilder, list_changed,
};
pub use sse::{SseDecoder, SseEvent, encode_comment};
pub use version::{McpHeader, McpHeaders, ProtocolVersion, validate_headers};

#[cfg(feature = "transport")]
pub mod transport;
