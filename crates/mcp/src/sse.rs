//! Server-Sent Events framing (the WHATWG `text/event-stream` format) as MCP's
//! Streamable HTTP transport uses it: an encoder and an incremental, size-bounded decoder.

mod decode;

pub use decode::SseDecoder;

use crate::error::Error;
use crate::{json, scan};

/// One server-sent event.
///
/// The encoder writes `event:`, `id:`, `retry:` and one `data:` line per line of `data`.
/// The decoder fills `id` with the stream's last event id at dispatch time (the id
/// carries over to later events that set none, as the format specifies) and `retry` with
/// a `retry:` field seen in the same event block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The event type (`event:`); `None` means the default, `message`.
    pub event: Option<String>,
    /// The payload; lines are joined with `\n`.
    pub data: String,
    /// The event id (`id:`), used to resume a stream with `Last-Event-ID`.
    pub id: Option<String>,
    /// The reconnection time in milliseconds (`retry:`).
    pub retry: Option<u64>,
}

impl SseEvent {
    /// A `message` event carrying `data` (typically one JSON-RPC message).
    pub fn new(data: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            ..Self::default()
        }
    }

    /// Sets the event type.
    #[must_use]
    pub fn with_event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(event.into());
        self
    }

    /// Sets the event id.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the reconnection time in milliseconds.
    #[must_use]
    pub fn with_retry(mut self, millis: u64) -> Self {
        self.retry = Some(millis);
        self
    }

    /// Encodes the event, ending with the blank line that dispatches it.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(self.data.len() + 32);
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Appends the event to `out`. Lines of `data` (split at `\n`, `\r\n` or `\r`) become
    /// one `data:` line each; an event type or id containing a line break, or an id
    /// containing NUL (which decoders ignore), is [`Error::InvalidSseField`] and nothing
    /// is written.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        if let Some(event) = &self.event {
            check_field("event", event)?;
        }
        if let Some(id) = &self.id {
            check_field("id", id)?;
            if id.contains('\0') {
                return Err(Error::InvalidSseField {
                    field: "id",
                    reason: "contains nul",
                });
            }
        }
        if let Some(event) = &self.event {
            write_field(out, b"event", event.as_bytes());
        }
        if let Some(id) = &self.id {
            write_field(out, b"id", id.as_bytes());
        }
        if let Some(retry) = self.retry {
            out.extend_from_slice(b"retry: ");
            json::write_u64(out, retry);
            out.push(b'\n');
        }
        let mut rest = self.data.as_bytes();
        loop {
            match scan::find2(rest, b'\n', b'\r') {
                Some(at) => {
                    write_field(out, b"data", &rest[..at]);
                    let skip = if rest[at..].starts_with(b"\r\n") {
                        2
                    } else {
                        1
                    };
                    rest = &rest[at + skip..];
                }
                None => {
                    write_field(out, b"data", rest);
                    break;
                }
            }
        }
        out.push(b'\n');
        Ok(())
    }
}

/// Appends a comment line (`: text`), e.g. a keep-alive; decoders ignore it. Line breaks
/// in `text` are replaced by spaces.
pub fn encode_comment(text: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b": ");
    out.extend(
        text.bytes()
            .map(|b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
    );
    out.push(b'\n');
}

fn check_field(field: &'static str, value: &str) -> Result<(), Error> {
    if value.contains(['\n', '\r']) {
        Err(Error::InvalidSseField {
            field,
            reason: "contains a line break",
        })
    } else {
        Ok(())
    }
}

fn write_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.push(b'\n');
}

#[cfg(test)]
mod tests;
