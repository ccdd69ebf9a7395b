//! Reading an SSE answer: events until the response to our request; notifications that
//! come first go to subscribers; the stream's size is capped (its time is capped by the
//! request timeout around it).

use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::{MAX_MESSAGE, MAX_SSE_STREAM, reply_for};
use crate::jsonrpc::{DecodeLimits, Message};
use crate::sse::SseDecoder;
use crate::transport::{Reply, Shared, TransportError};

/// Reads `body` until the answer to request `expect` (the rest of the stream, if any, is
/// left in `body`).
pub(super) async fn read(
    shared: &Shared,
    body: &mut Incoming,
    expect: i64,
    limits: &DecodeLimits,
) -> Result<Reply, TransportError> {
    let mut decoder = SseDecoder::new(MAX_MESSAGE);
    let mut total = 0usize;
    loop {
        let frame = match body.frame().await {
            Some(Ok(frame)) => frame,
            // The stream ended or broke before our answer.
            Some(Err(_)) | None => return Err(shared.err_closed()),
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        total += data.len();
        if total > MAX_SSE_STREAM {
            return Err(
                shared.err_invalid(format!("event stream longer than {MAX_SSE_STREAM} bytes"))
            );
        }
        let events = decoder
            .feed(&data)
            .map_err(|e| shared.err_invalid(e.to_string()))?;
        for event in events {
            if event.event.as_deref().is_some_and(|e| e != "message") || event.data.is_empty() {
                continue; // priming events, other event types
            }
            let message = Message::decode(event.data.as_bytes(), limits)
                .map_err(|e| shared.err_invalid(e.to_string()))?;
            if let Some(reply) = dispatch(shared, message, expect) {
                return Ok(reply);
            }
        }
    }
}

/// Reads a session's GET stream until it ends, handing notifications on.
pub(super) async fn listen(shared: &Shared, mut body: Incoming) {
    let limits = DecodeLimits::default().max_size(MAX_MESSAGE);
    let mut decoder = SseDecoder::new(MAX_MESSAGE);
    while let Some(Ok(frame)) = body.frame().await {
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let Ok(events) = decoder.feed(&data) else {
            return;
        };
        for event in events {
            if event.event.as_deref().is_some_and(|e| e != "message") || event.data.is_empty() {
                continue;
            }
            match Message::decode(event.data.as_bytes(), &limits) {
                Ok(message) => {
                    // No request of ours is answered here.
                    let _ = dispatch(shared, message, 0);
                }
                Err(e) => {
                    tracing::debug!(target: "hangar_mcp::http", backend = %shared.name, "bad event on the session stream: {e}");
                }
            }
        }
    }
}

/// Our answer, or `None` after handing anything else on.
pub(super) fn dispatch(shared: &Shared, message: Message, expect: i64) -> Option<Reply> {
    match message {
        Message::Notification(n) => {
            shared.publish(n);
            None
        }
        Message::Request(r) => {
            tracing::debug!(
                target: "hangar_mcp::http",
                backend = %shared.name,
                method = %r.method,
                "server request on an answer stream ignored"
            );
            None
        }
        other => reply_for(other, expect),
    }
}
