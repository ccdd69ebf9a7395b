//! JSON-RPC 2.0 envelopes: decoding with limits, encoding that copies raw payloads.
//!
//! Params, results and error data stay raw JSON ([`RawValue`]): the codec reads the
//! envelope (`jsonrpc`, `id`, `method`, which of `params` / `result` / `error`) and
//! nothing else, and writes the raw bytes back untouched when a message is forwarded.

mod decode;
mod id;
mod limits;

use serde::Deserialize;
use serde_json::value::RawValue;

pub use id::Id;
pub use limits::DecodeLimits;

use crate::error::Error;
use crate::json;

/// One decoded JSON-RPC 2.0 message (or a batch of them).
#[derive(Debug, Clone)]
pub enum Message {
    /// A request: has an id and expects a response.
    Request(Request),
    /// A notification: no id, no response.
    Notification(Notification),
    /// A successful response.
    Response(Response),
    /// An error response.
    ErrorResponse(ErrorResponse),
    /// A JSON-RPC batch (a top-level array); only 2025-03-26 allows them, and only when
    /// [`DecodeLimits::allow_batch`] is set. Never empty, never nested.
    Batch(Vec<Message>),
}

/// A JSON-RPC request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request id, echoed by the response.
    pub id: Id,
    /// The method name, e.g. `tools/call`.
    pub method: String,
    /// The params object (or array), raw.
    pub params: Option<Box<RawValue>>,
}

/// A JSON-RPC notification.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The method name, e.g. `notifications/tools/list_changed`.
    pub method: String,
    /// The params object (or array), raw.
    pub params: Option<Box<RawValue>>,
}

/// A successful JSON-RPC response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The id of the request this answers.
    pub id: Id,
    /// The result, raw: it is forwarded byte for byte.
    pub result: Box<RawValue>,
}

/// A JSON-RPC error response.
#[derive(Debug, Clone)]
pub struct ErrorResponse {
    /// The id of the request this answers; `None` (sent as `null`) when the request's id
    /// could not be read.
    pub id: Option<Id>,
    /// The error.
    pub error: ErrorObject,
}

/// The `error` member of an error response.
#[derive(Debug, Clone)]
pub struct ErrorObject {
    /// The error code, e.g. -32602 (see [`ErrorCode`](crate::ErrorCode)).
    pub code: i64,
    /// A short description.
    pub message: String,
    /// Additional information, raw.
    pub data: Option<Box<RawValue>>,
}

impl Message {
    /// Decodes one message (or a batch) from bytes, enforcing `limits`.
    ///
    /// Invalid UTF-8 or JSON is [`Error::InvalidUtf8`] / [`Error::InvalidJson`]
    /// (-32700); valid JSON that is not a JSON-RPC 2.0 message is
    /// [`Error::InvalidRequest`] (-32600), as are oversize or overdeep input and a batch
    /// where none is allowed.
    pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Self, Error> {
        decode::decode(bytes, limits)
    }

    /// The message's id, if it has one (requests and responses).
    pub fn id(&self) -> Option<&Id> {
        match self {
            Self::Request(r) => Some(&r.id),
            Self::Response(r) => Some(&r.id),
            Self::ErrorResponse(r) => r.id.as_ref(),
            Self::Notification(_) | Self::Batch(_) => None,
        }
    }

    /// The method name of a request or notification.
    pub fn method(&self) -> Option<&str> {
        match self {
            Self::Request(r) => Some(&r.method),
            Self::Notification(n) => Some(&n.method),
            _ => None,
        }
    }

    /// Encodes the message as compact JSON.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Appends the message as compact JSON to `out`; raw members are copied untouched.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Self::Request(r) => r.encode_with_id(&r.id, out),
            Self::Notification(n) => n.encode_into(out),
            Self::Response(r) => r.encode_with_id(&r.id, out),
            Self::ErrorResponse(r) => r.encode_with_id(r.id.as_ref(), out),
            Self::Batch(messages) => {
                out.push(b'[');
                for (i, m) in messages.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    m.encode_into(out);
                }
                out.push(b']');
            }
        }
    }
}

impl Request {
    /// A request with the given id, method and raw params.
    pub fn new(
        id: impl Into<Id>,
        method: impl Into<String>,
        params: Option<Box<RawValue>>,
    ) -> Self {
        Self {
            id: id.into(),
            method: method.into(),
            params,
        }
    }

    /// Appends the request with another id, e.g. the one the gateway uses towards a back
    /// end; the params bytes are copied untouched.
    pub fn encode_with_id(&self, id: &Id, out: &mut Vec<u8>) {
        Self::encode_parts(id, &self.method, self.params.as_deref(), out);
    }

    /// Appends the request made of `id`, `method` and raw `params` as compact JSON,
    /// without building a [`Request`] (the params bytes are copied once, into `out`).
    pub fn encode_parts(id: &Id, method: &str, params: Option<&RawValue>, out: &mut Vec<u8>) {
        let params_len = params.map_or(0, |p| p.get().len());
        out.reserve(method.len() + params_len + 64);
        out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
        id.write(out);
        write_method_params(method, params, out);
    }

    /// Reads the params as `T` (an absent `params` reads as `{}`); params that are not an
    /// object or do not fit `T` are [`Error::InvalidParams`] (-32602).
    pub fn params_as<'a, T: Deserialize<'a>>(&'a self) -> Result<T, Error> {
        params_as(&self.method, self.params.as_deref())
    }
}

impl Notification {
    /// A notification with the given method and raw params.
    pub fn new(method: impl Into<String>, params: Option<Box<RawValue>>) -> Self {
        Self {
            method: method.into(),
            params,
        }
    }

    /// Appends the notification as compact JSON.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"jsonrpc\":\"2.0\"");
        write_method_params(&self.method, self.params.as_deref(), out);
    }

    /// Reads the params as `T` (an absent `params` reads as `{}`); params that are not an
    /// object or do not fit `T` are [`Error::InvalidParams`] (-32602).
    pub fn params_as<'a, T: Deserialize<'a>>(&'a self) -> Result<T, Error> {
        params_as(&self.method, self.params.as_deref())
    }
}

impl Response {
    /// A response with the given id and raw result.
    pub fn new(id: impl Into<Id>, result: Box<RawValue>) -> Self {
        Self {
            id: id.into(),
            result,
        }
    }

    /// Appends `{"jsonrpc":"2.0","id":<id>,"result":<raw>}`: the result bytes are copied
    /// untouched, whatever their size; only the id is written anew.
    pub fn encode_with_id(&self, id: &Id, out: &mut Vec<u8>) {
        let result = self.result.get().as_bytes();
        out.reserve(result.len() + 48);
        out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
        id.write(out);
        out.extend_from_slice(b",\"result\":");
        out.extend_from_slice(result);
        out.push(b'}');
    }
}

impl ErrorResponse {
    /// The error response for `error` (see [`Error::to_error_object`]), answering `id`
    /// or, when `id` is `None`, the id recovered from the error ([`Error::request_id`]).
    pub fn from_error(id: Option<Id>, error: &Error) -> Self {
        let id = id.or_else(|| error.request_id().cloned());
        Self {
            id,
            error: error.to_error_object(),
        }
    }

    /// Appends the error response with another id (`None` is written as `null`).
    pub fn encode_with_id(&self, id: Option<&Id>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
        match id {
            Some(id) => id.write(out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"error\":{\"code\":");
        json::write_i64(out, self.error.code);
        out.extend_from_slice(b",\"message\":");
        json::write_str(out, &self.error.message);
        if let Some(data) = &self.error.data {
            out.extend_from_slice(b",\"data\":");
            out.extend_from_slice(data.get().as_bytes());
        }
        out.extend_from_slice(b"}}");
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Self {
        Self::Request(r)
    }
}

impl From<Notification> for Message {
    fn from(n: Notification) -> Self {
        Self::Notification(n)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Self {
        Self::Response(r)
    }
}

impl From<ErrorResponse> for Message {
    fn from(r: ErrorResponse) -> Self {
        Self::ErrorResponse(r)
    }
}

/// `,"method":"…","params":<raw>}`, closing the object.
fn write_method_params(method: &str, params: Option<&RawValue>, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"method\":");
    json::write_str(out, method);
    if let Some(params) = params {
        out.extend_from_slice(b",\"params\":");
        out.extend_from_slice(params.get().as_bytes());
    }
    out.push(b'}');
}

/// Reads params as `T`. MCP params are objects: an array is refused here rather than
/// read positionally (serde would fill a struct from an array in field order, and the
/// gateway must never read params differently from the back end).
fn params_as<'a, T: Deserialize<'a>>(
    method: &str,
    params: Option<&'a RawValue>,
) -> Result<T, Error> {
    let text = params.map_or("{}", RawValue::get);
    if !text.starts_with('{') {
        return Err(Error::InvalidParams {
            reason: format!("{method}: params must be an object"),
            source: None,
        });
    }
    serde_json::from_str(text).map_err(|e| Error::InvalidParams {
        reason: format!("{method}: {e}"),
        source: Some(e),
    })
}

#[cfg(test)]
mod tests;
