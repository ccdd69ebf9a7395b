//! The incremental SSE decoder.

use std::mem;

use super::SseEvent;
use crate::error::Error;
use crate::scan;

/// Room for a field name (`event: `, `data: `…) on top of the event size, per line.
const LINE_SLACK: usize = 16;

/// Decodes a `text/event-stream` incrementally: feed it chunks split anywhere (even inside
/// a `\r\n`), get back the events they complete.
///
/// It follows the WHATWG rules: lines end with `\n`, `\r\n` or `\r`; a leading BOM is
/// dropped; `:` starts a comment; a field without a colon has an empty value and one
/// space after the colon is stripped; `data:` lines join with `\n`; `id:` values
/// containing NUL are ignored; `retry:` takes only ASCII digits; unknown fields are
/// ignored; a blank line dispatches the event unless no `data:` line was seen (then it
/// only resets the event type); an incomplete event at the end of the stream is dropped.
/// Bytes that are not UTF-8 decode as U+FFFD.
///
/// Memory is bounded, whatever the chunking: when an event's data plus type grows past
/// `max_event_size` bytes, or a single line (complete or not) past that plus 16 bytes for
/// its field name, [`feed`](Self::feed) fails with [`Error::SseEventTooLarge`] and keeps
/// failing: drop the stream.
///
/// ```
/// use hangar_mcp::SseDecoder;
///
/// let mut decoder = SseDecoder::new(1 << 20);
/// assert!(decoder.feed(b"id: 1\r\ndata: {\"jsonrpc\":")?.is_empty());
/// let events = decoder.feed(b"\"2.0\"}\r\n\r\n")?;
/// assert_eq!(events[0].data, r#"{"jsonrpc":"2.0"}"#);
/// assert_eq!(events[0].id.as_deref(), Some("1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SseDecoder {
    max_event_size: usize,
    /// The current line while it is incomplete.
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` starting the next one belongs to it.
    after_cr: bool,
    /// No line has completed yet (a BOM may still be stripped).
    at_start: bool,
    data: String,
    event: String,
    last_event_id: String,
    block_retry: Option<u64>,
    retry: Option<u64>,
    failed: bool,
}

impl SseDecoder {
    /// The default `max_event_size`: 4 MiB.
    pub const DEFAULT_MAX_EVENT_SIZE: usize = 4 << 20;

    /// A decoder for a new stream whose events may not exceed `max_event_size` bytes.
    pub fn new(max_event_size: usize) -> Self {
        Self {
            max_event_size,
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            data: String::new(),
            event: String::new(),
            last_event_id: String::new(),
            block_retry: None,
            retry: None,
            failed: false,
        }
    }

    /// The stream's last event id (for `Last-Event-ID` when reconnecting).
    pub fn last_event_id(&self) -> Option<&str> {
        (!self.last_event_id.is_empty()).then_some(self.last_event_id.as_str())
    }

    /// The last reconnection time the stream asked for, in milliseconds.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// Decodes the next chunk and returns the events it completes, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, Error> {
        if self.failed {
            return Err(self.too_large());
        }
        let mut events = Vec::new();
        if chunk.is_empty() {
            // Nothing to read, and a `\r` that ended the previous chunk still waits for
            // the `\n` that may start the next one.
            return Ok(events);
        }
        let mut rest = chunk;
        if mem::take(&mut self.after_cr)
            && let Some(tail) = rest.strip_prefix(b"\n")
        {
            rest = tail;
        }
        while let Some(at) = scan::find2(rest, b'\n', b'\r') {
            let (head, tail) = rest.split_at(at);
            if self.line.is_empty() {
                self.line_done(head, &mut events)?;
            } else {
                self.buffer(head)?;
                let line = mem::take(&mut self.line);
                let done = self.line_done(&line, &mut events);
                self.line = line;
                self.line.clear();
                done?;
            }
            rest = match tail {
                [b'\r', b'\n', after @ ..] => after,
                [b'\r'] => {
                    self.after_cr = true;
                    &[]
                }
                [_, after @ ..] => after,
                [] => &[],
            };
        }
        self.buffer(rest)?;
        Ok(events)
    }

    /// Appends to the incomplete line, within the line limit.
    fn buffer(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.line.len() + bytes.len() > self.max_line() {
            return Err(self.fail());
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// The longest line: a whole event plus room for its field name.
    fn max_line(&self) -> usize {
        self.max_event_size.saturating_add(LINE_SLACK)
    }

    /// Processes one complete line.
    fn line_done(&mut self, line: &[u8], events: &mut Vec<SseEvent>) -> Result<(), Error> {
        if line.len() > self.max_line() {
            return Err(self.fail());
        }
        let mut line = line;
        if mem::take(&mut self.at_start)
            && let Some(tail) = line.strip_prefix("\u{feff}".as_bytes())
        {
            line = tail;
        }
        if line.is_empty() {
            self.dispatch(events);
            return Ok(());
        }
        if line.starts_with(b":") {
            return Ok(());
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(at) => {
                let value = &line[at + 1..];
                (&line[..at], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                self.data.push_str(&String::from_utf8_lossy(value));
                self.data.push('\n');
                self.check_size()?;
            }
            b"event" => {
                self.event = String::from_utf8_lossy(value).into_owned();
                self.check_size()?;
            }
            b"id" if !value.contains(&0) => {
                self.last_event_id = String::from_utf8_lossy(value).into_owned();
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // All digits, so only overflow can fail; an overflowing value is ignored.
                if let Some(millis) = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) {
                    self.retry = Some(millis);
                    self.block_retry = Some(millis);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A blank line: dispatch the event if it has data, then start a new one.
    fn dispatch(&mut self, events: &mut Vec<SseEvent>) {
        let event = mem::take(&mut self.event);
        let retry = self.block_retry.take();
        if self.data.is_empty() {
            return;
        }
        let mut data = mem::take(&mut self.data);
        data.pop(); // the `\n` after the last data line
        events.push(SseEvent {
            event: (!event.is_empty()).then_some(event),
            data,
            id: self.last_event_id().map(str::to_owned),
            retry,
        });
    }

    /// The event so far: its data without the `\n` that follows the last line, and its type.
    fn check_size(&mut self) -> Result<(), Error> {
        if self.data.len().saturating_sub(1) + self.event.len() > self.max_event_size {
            return Err(self.fail());
        }
        Ok(())
    }

    fn fail(&mut self) -> Error {
        self.failed = true;
        self.line = Vec::new();
        self.data = String::new();
        self.event = String::new();
        self.too_large()
    }

    fn too_large(&self) -> Error {
        Error::SseEventTooLarge {
            limit: self.max_event_size,
        }
    }
}

impl Default for SseDecoder {
    /// A decoder with [`DEFAULT_MAX_EVENT_SIZE`](Self::DEFAULT_MAX_EVENT_SIZE).
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_EVENT_SIZE)
    }
}
