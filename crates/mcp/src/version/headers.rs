//! The 2026-07-28 rule that the `Mcp-Method`, `Mcp-Name` and `MCP-Protocol-Version` HTTP
//! headers must agree with the body, checked on plain strings (no HTTP types).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::Error;
use crate::jsonrpc::Message;
use crate::mcp::{Method, NameParam};

/// One of the MCP HTTP headers that mirror the body (2026-07-28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum McpHeader {
    /// `Mcp-Method`: the JSON-RPC method of a request or notification.
    Method,
    /// `Mcp-Name`: `params.name` of `tools/call` and `prompts/get`, `params.uri` of
    /// `resources/read`.
    Name,
    /// `MCP-Protocol-Version`: `params._meta["io.modelcontextprotocol/protocolVersion"]`.
    ProtocolVersion,
}

impl McpHeader {
    /// The header name as the specification spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Method => "Mcp-Method",
            Self::Name => "Mcp-Name",
            Self::ProtocolVersion => "MCP-Protocol-Version",
        }
    }
}

impl fmt::Display for McpHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The values of the MCP headers on one HTTP request, `None` when absent. The transport
/// fills it in (header names are case-insensitive there; values are compared exactly).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct McpHeaders<'a> {
    /// The `Mcp-Method` header.
    pub method: Option<&'a str>,
    /// The `Mcp-Name` header.
    pub name: Option<&'a str>,
    /// The `MCP-Protocol-Version` header.
    pub protocol_version: Option<&'a str>,
}

/// Checks a decoded 2026-07-28 message against its MCP headers, before anything trusts
/// either.
///
/// * `MCP-Protocol-Version` is required on every message and, on a request, must equal
///   `params._meta["io.modelcontextprotocol/protocolVersion"]`.
/// * `Mcp-Method` is required on requests and notifications and must equal `method`;
///   responses must not carry it.
/// * `Mcp-Name` is required on `tools/call` and `prompts/get` (= `params.name`) and
///   `resources/read` (= `params.uri`), and must be absent everywhere else.
///
/// The first failure is [`Error::HeaderMismatch`] (-32020, HTTP 400) naming the header,
/// the value the body implies and the header's value. A batch is
/// [`Error::BatchNotAllowed`]; params that are not an object are
/// [`Error::InvalidParams`]. Whether the version itself is supported is a separate
/// question: parse it ([`ProtocolVersion`](crate::ProtocolVersion)) afterwards.
pub fn validate_headers(headers: &McpHeaders<'_>, message: &Message) -> Result<(), Error> {
    match message {
        Message::Batch(_) => Err(Error::BatchNotAllowed),
        Message::Request(request) => {
            let body: Body<'_> = request.params_as()?;
            let version = body.meta.and_then(|m| m.protocol_version);
            check(
                McpHeader::ProtocolVersion,
                version.as_deref(),
                headers.protocol_version,
            )?;
            check(McpHeader::Method, Some(&request.method), headers.method)?;
            let name = match Method::from_name(&request.method).and_then(Method::name_param) {
                Some(NameParam::Name) => body.name.and_then(string),
                Some(NameParam::Uri) => body.uri.and_then(string),
                None => None,
            };
            check(McpHeader::Name, name.as_deref(), headers.name)
        }
        Message::Notification(notification) => {
            require(McpHeader::ProtocolVersion, headers.protocol_version)?;
            check(
                McpHeader::Method,
                Some(&notification.method),
                headers.method,
            )?;
            check(McpHeader::Name, None, headers.name)
        }
        Message::Response(_) | Message::ErrorResponse(_) => {
            require(McpHeader::ProtocolVersion, headers.protocol_version)?;
            check(McpHeader::Method, None, headers.method)?;
            check(McpHeader::Name, None, headers.name)
        }
    }
}

/// The members of a request's params that headers mirror; the rest is ignored.
#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow, default)]
    name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    uri: Option<&'a RawValue>,
    #[serde(rename = "_meta", borrow, default)]
    meta: Option<Meta<'a>>,
}

#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", borrow, default)]
    protocol_version: Option<Cow<'a, str>>,
}

/// The string a raw member holds, `None` when it is not a string.
fn string(raw: &RawValue) -> Option<Cow<'_, str>> {
    serde_json::from_str(raw.get()).ok()
}

fn check(header: McpHeader, expected: Option<&str>, got: Option<&str>) -> Result<(), Error> {
    if expected == got {
        Ok(())
    } else {
        Err(mismatch(header, expected, got))
    }
}

fn require(header: McpHeader, got: Option<&str>) -> Result<(), Error> {
    match got {
        Some(_) => Ok(()),
        None => Err(mismatch(header, None, None)),
    }
}

fn mismatch(header: McpHeader, expected: Option<&str>, got: Option<&str>) -> Error {
    Error::HeaderMismatch {
        header,
        expected: expected.map(str::to_owned),
        got: got.map(str::to_owned),
    }
}
