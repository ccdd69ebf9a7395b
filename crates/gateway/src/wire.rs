//! The one place a request's outcome becomes a wire answer: every [`Failure`] maps to
//! an HTTP status and a JSON body (plain `{"error","message"}` for HTTP-level refusals,
//! a JSON-RPC error object for protocol-level ones), and every success is framed here.

use std::borrow::Cow;
use std::convert::Infallible;

use bytes::Bytes;
use hangar_identity::WireAnswer;
use hangar_mcp::{ErrorCode, ErrorObject, ErrorResponse, Id};
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use serde_json::value::RawValue;

use crate::upstream::UpstreamError;

/// The body type of every answer: a whole JSON document, or an event stream.
pub(crate) type Body = BoxBody<Bytes, Infallible>;

/// Why a request was not served.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An HTTP-level refusal: `{"error": <error>, "message": <message>}`.
    Http {
        status: StatusCode,
        error: &'static str,
        message: Cow<'static, str>,
    },
    /// The authenticator's answer (status, challenge, body), passed through untouched.
    Auth(Box<WireAnswer>),
    /// A codec error (parse, invalid request, header mismatch, unsupported version, …).
    Codec {
        id: Option<Id>,
        error: hangar_mcp::Error,
    },
    /// A JSON-RPC error object answered under `id`, with `status`.
    Rpc {
        status: StatusCode,
        id: Option<Id>,
        error: ErrorObject,
    },
    /// Over a rate limit (`limits.rs`): `429` with `Retry-After: <seconds>`; on `/mcp` a
    /// JSON-RPC error `-32029` under `id` (`null` when the body was not read yet) with
    /// `data: {"retryAfterSeconds", "scope"}`, elsewhere `{"error": "rate_limited", …}`.
    RateLimited {
        scope: &'static str,
        retry_after: u64,
        jsonrpc: bool,
        id: Option<Id>,
    },
}

/// The JSON-RPC error code of a rate-limited request (implementation-defined range).
pub(crate) const RATE_LIMITED_CODE: i64 = -32029;

impl Failure {
    pub(crate) fn http(
        status: StatusCode,
        error: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Http {
            status,
            error,
            message: message.into(),
        }
    }

    pub(crate) fn codec(id: Option<Id>, error: hangar_mcp::Error) -> Self {
        Self::Codec { id, error }
    }

    /// A JSON-RPC error with HTTP 200 (the request was understood and answered).
    pub(crate) fn rpc(id: Id, code: i64, message: impl Into<String>) -> Self {
        Self::Rpc {
            status: StatusCode::OK,
            id: Some(id),
            error: ErrorObject {
                code,
                message: message.into(),
                data: None,
            },
        }
    }

    /// `-32602 Unknown tool: <name>`: unknown, denied and withdrawn alike.
    pub(crate) fn unknown_tool(id: Id, name: &str) -> Self {
        let ErrorResponse { id, error } = ErrorResponse::unknown_tool(id, name);
        Self::Rpc {
            status: StatusCode::OK,
            id,
            error,
        }
    }

    /// Over a rate limit: see [`Failure::RateLimited`].
    pub(crate) fn rate_limited(
        scope: &'static str,
        retry_after: u64,
        jsonrpc: bool,
        id: Option<Id>,
    ) -> Self {
        Self::RateLimited {
            scope,
            retry_after,
            jsonrpc,
            id,
        }
    }

    /// A back end at its `max_concurrency`: HTTP 200, JSON-RPC `-32000 Back end busy`,
    /// naming the back end only when `server` is given (egress; front_door hides it).
    pub(crate) fn backend_busy(id: Id, server: Option<&str>) -> Self {
        let (message, data) = match server {
            Some(server) => (
                format!("Back end busy: {server}"),
                serde_json::json!({"backend": server, "reason": "busy"}),
            ),
            None => (
                "Back end busy".to_owned(),
                serde_json::json!({"reason": "busy"}),
            ),
        };
        Self::Rpc {
            status: StatusCode::OK,
            id: Some(id),
            error: ErrorObject {
                code: -32000,
                message,
                data: RawValue::from_string(data.to_string()).ok(),
            },
        }
    }

    /// The session id is unknown, expired or another principal's: `404`, JSON-RPC
    /// `-32001 Session not found` (the client starts a new session).
    pub(crate) fn session_not_found(id: Option<Id>) -> Self {
        Self::Rpc {
            status: StatusCode::NOT_FOUND,
            id,
            error: ErrorObject {
                code: -32001,
                message: "Session not found".to_owned(),
                data: None,
            },
        }
    }
}

/// The HTTP status a codec error is answered with: `400` for what the client must fix
/// before the request means anything (parse, invalid request, header mismatch,
/// unsupported version), `200` for errors about an understood request.
fn codec_status(error: &hangar_mcp::Error) -> StatusCode {
    match error.error_code() {
        ErrorCode::ParseError
        | ErrorCode::InvalidRequest
        | ErrorCode::HeaderMismatch
        | ErrorCode::UnsupportedProtocolVersion => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}

/// A failure as an HTTP answer.
pub(crate) fn answer(failure: Failure) -> Response<Body> {
    match failure {
        Failure::Http {
            status,
            error,
            message,
        } => {
            let body = serde_json::json!({"error": error, "message": message});
            json(status, body.to_string().into_bytes())
        }
        Failure::Auth(answer) => identity(*answer),
        Failure::Codec { id, error } => {
            let status = codec_status(&error);
            let id = id.or_else(|| error.request_id().cloned());
            rpc_error(status, id, error.to_error_object())
        }
        Failure::Rpc { status, id, error } => rpc_error(status, id, error),
        Failure::RateLimited {
            scope,
            retry_after,
            jsonrpc,
            id,
        } => {
            let mut response = if jsonrpc {
                let data = serde_json::json!({"retryAfterSeconds": retry_after, "scope": scope});
                let error = ErrorObject {
                    code: RATE_LIMITED_CODE,
                    message: "Rate limit exceeded".to_owned(),
                    data: RawValue::from_string(data.to_string()).ok(),
                };
                rpc_error(StatusCode::TOO_MANY_REQUESTS, id, error)
            } else {
                let message = format!("rate limit exceeded ({scope}); retry after {retry_after} s");
                let body = serde_json::json!({"error": "rate_limited", "message": message});
                json(StatusCode::TOO_MANY_REQUESTS, body.to_string().into_bytes())
            };
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after));
            response
        }
    }
}

fn rpc_error(status: StatusCode, id: Option<Id>, error: ErrorObject) -> Response<Body> {
    let response = ErrorResponse { id, error };
    let mut out = Vec::with_capacity(96);
    response.encode_with_id(response.id.as_ref(), &mut out);
    json(status, out)
}

/// A `200` JSON document (the admin API's answers).
pub(crate) fn document(value: &impl serde::Serialize) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(body) => json(StatusCode::OK, body),
        Err(error) => answer(Failure::http(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("cannot encode the answer: {error}"),
        )),
    }
}

/// An overlay store failure (the change was not made): `500 store_error`.
pub(crate) fn store_failure(error: &hangar_projection::Error) -> Failure {
    // The causes too (e.g. "File too large", "No space left on device"): the operator
    // reading this answer needs them to act.
    let mut message = format!("the overlay store refused the change (nothing changed): {error}");
    let mut cause = std::error::Error::source(error);
    while let Some(error) = cause {
        let text = error.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = error.source();
    }
    Failure::http(StatusCode::INTERNAL_SERVER_ERROR, "store_error", message)
}

/// A start or stop that did nothing: `404 not_found` (unknown back end), `409 conflict`
/// (already in that state).
pub(crate) fn lifecycle_failure(error: &crate::reload::LifecycleError) -> Failure {
    use crate::reload::LifecycleError;
    match error {
        LifecycleError::Unknown { .. } => {
            Failure::http(StatusCode::NOT_FOUND, "not_found", error.to_string())
        }
        _ => Failure::http(StatusCode::CONFLICT, "conflict", error.to_string()),
    }
}

/// A reload that kept the running config: `422` for an invalid file (every problem with
/// its path), `409` for a change that cannot apply live (or no file to read);
/// body `{"reloaded": false, "error": "..."}`.
pub(crate) fn reload_failure(error: &crate::reload::ReloadError) -> Response<Body> {
    use crate::reload::ReloadError;
    let status = match error {
        ReloadError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::CONFLICT,
    };
    let body = serde_json::json!({"reloaded": false, "error": error.to_string()});
    json(status, body.to_string().into_bytes())
}

/// The identity crate's refusal (`401` with its challenge, `403 forbidden`) as a failure.
pub(crate) fn refused(
    authenticator: &hangar_identity::Authenticator,
    rejection: &hangar_identity::Rejection,
) -> Failure {
    Failure::Auth(Box::new(authenticator.answer(rejection)))
}

/// A JSON-RPC result for `id`.
pub(crate) fn result(id: &Id, result: Box<RawValue>) -> Response<Body> {
    let mut out = Vec::with_capacity(result.get().len() + 48);
    hangar_mcp::Response::new(id.clone(), result).encode_with_id(id, &mut out);
    json(StatusCode::OK, out)
}

/// A back end that could not answer, as the caller's JSON-RPC error (HTTP 200): a
/// transport failure answers the transport's own error object (`-32603`, the back end
/// and the reason in `data`, never a credential or a back-end body); the other
/// failures the same shape.
pub(crate) fn upstream_failure(id: &Id, error: &UpstreamError, named: bool) -> Failure {
    let (server, reason) = match error {
        UpstreamError::Transport(error) => {
            let mut object = error.to_error_object();
            if !named {
                // front_door: the reason, not which back end (the surface hides it).
                let data = serde_json::json!({"reason": error.reason()});
                object.data = RawValue::from_string(data.to_string()).ok();
            }
            return Failure::Rpc {
                status: StatusCode::OK,
                id: Some(id.clone()),
                error: object,
            };
        }
        UpstreamError::Unavailable { server } => (server, "unreachable"),
        UpstreamError::Timeout { server } => (server, "timeout"),
        UpstreamError::Failed { server, .. } => (server, "closed"),
        UpstreamError::Protocol { server, .. } => (server, "invalid_response"),
    };
    let (message, data) = if named {
        (
            format!("Back-end error: back end {server} unavailable"),
            serde_json::json!({"backend": server, "reason": reason}),
        )
    } else {
        (
            "Back-end error: back end unavailable".to_owned(),
            serde_json::json!({"reason": reason}),
        )
    };
    let error = ErrorObject {
        code: ErrorCode::InternalError.as_i64(),
        message,
        data: RawValue::from_string(data.to_string()).ok(),
    };
    Failure::Rpc {
        status: StatusCode::OK,
        id: Some(id.clone()),
        error,
    }
}

/// A JSON-RPC error object a back end sent, answered under the caller's `id`.
pub(crate) fn upstream_error(id: &Id, error: ErrorObject) -> Response<Body> {
    rpc_error(StatusCode::OK, Some(id.clone()), error)
}

/// `202 Accepted`, no body: a notification or a response was taken.
pub(crate) fn accepted() -> Response<Body> {
    status_only(StatusCode::ACCEPTED)
}

/// A status with an empty body.
pub(crate) fn status_only(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()).boxed());
    *response.status_mut() = status;
    response
}

/// A JSON body with `status`.
pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()).boxed());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A text document of `content_type` (the metrics exposition).
pub(crate) fn text(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut response = json(status, body);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The identity crate's answer (metadata document), as a response.
pub(crate) fn identity(answer: WireAnswer) -> Response<Body> {
    answer.into_response().map(BodyExt::boxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response<Body>) -> String {
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn unknown_tool_is_the_hidden_existence_error() {
        let response = answer(Failure::unknown_tool(Id::Number(3), "refund"));
        assert_eq!(response.status(), StatusCode::OK);
        let text = body(response).await;
        assert!(text.contains(r#""code":-32602"#), "{text}");
        assert!(text.contains("Unknown tool: refund"), "{text}");
        assert!(text.contains(r#""id":3"#), "{text}");
    }

    #[tokio::test]
    async fn a_transport_failure_is_the_transports_error_object() {
        let error = UpstreamError::Transport(hangar_mcp::transport::TransportError::Unreachable {
            backend: "payments".to_owned(),
            reason: "connection refused".to_owned(),
        });
        let response = answer(upstream_failure(&Id::Number(4), &error, true));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            body(response).await,
            r#"{"jsonrpc":"2.0","id":4,"error":{"code":-32603,"message":"Back-end error: back end unreachable","data":{"backend":"payments","reason":"unreachable"}}}"#
        );
        // front_door: the same error without the back end's name.
        let response = answer(upstream_failure(&Id::Number(4), &error, false));
        assert_eq!(
            body(response).await,
            r#"{"jsonrpc":"2.0","id":4,"error":{"code":-32603,"message":"Back-end error: back end unreachable","data":{"reason":"unreachable"}}}"#
        );
    }

    #[tokio::test]
    async fn rate_limited_is_429_with_retry_after() {
        let response = answer(Failure::rate_limited("tenant", 3, true, None));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "3");
        assert_eq!(
            body(response).await,
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32029,"message":"Rate limit exceeded","data":{"retryAfterSeconds":3,"scope":"tenant"}}}"#
        );
        let admin = answer(Failure::rate_limited("source", 1, false, None));
        assert_eq!(admin.headers()[RETRY_AFTER], "1");
        assert_eq!(
            body(admin).await,
            r#"{"error":"rate_limited","message":"rate limit exceeded (source); retry after 1 s"}"#
        );
    }

    #[tokio::test]
    async fn http_failures_are_json() {
        let response = answer(Failure::http(
            StatusCode::NOT_FOUND,
            "not_found",
            "no route",
        ));
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            body(response).await,
            r#"{"error":"not_found","message":"no route"}"#
        );
    }

    #[tokio::test]
    async fn parse_errors_are_400_with_a_null_id() {
        let error = hangar_mcp::Message::decode(
            b"{",
            &hangar_mcp::DecodeLimits::for_version(hangar_mcp::ProtocolVersion::V2025_11_25),
        )
        .expect_err("invalid json");
        let response = answer(Failure::codec(None, error));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let text = body(response).await;
        assert!(text.contains(r#""id":null"#), "{text}");
        assert!(text.contains("-32700"), "{text}");
    }
}
