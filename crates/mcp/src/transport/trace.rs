//! W3C Trace Context (<https://www.w3.org/TR/trace-context/>): the `traceparent` and
//! `tracestate` values a gateway takes from its caller and hands to a back end.
//!
//! Parsing is strict, as the recommendation asks of a vendor that cannot be sure of its
//! input: version `00` only, lower-case hex, a trace id and a parent id that are not all
//! zeros; anything else is no trace context at all (the caller starts a new trace). A
//! `tracestate` is kept only with a valid `traceparent` and only when it is a
//! well-formed list of at most 32 members of at most 512 characters in total.
//!
//! On the wire to a back end ([`Backend::request_traced`](super::Backend::request_traced))
//! the context is the `traceparent` / `tracestate` HTTP headers, and in `params._meta`
//! (keys `traceparent` and `tracestate`, the exception to `_meta`'s prefix rule that MCP
//! 2026-07-28 reserves for OpenTelemetry) for 2026-07-28 HTTP back ends and every stdio
//! back end.

use std::fmt;

use serde_json::value::RawValue;

#[cfg(test)]
mod tests;

/// A version-00 `traceparent`: trace id, parent (span) id, flags.
///
/// Displays as the header value, `00-<32 hex>-<16 hex>-<2 hex>`.
///
/// ```
/// use hangar_mcp::transport::TraceParent;
///
/// let incoming = TraceParent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
///     .expect("valid");
/// // The next hop: same trace, the gateway's own span as the parent.
/// let outgoing = incoming.child([0x11; 8]).expect("not all zeros");
/// assert_eq!(
///     outgoing.to_string(),
///     "00-0af7651916cd43dd8448eb211c80319c-1111111111111111-01"
/// );
/// assert!(TraceParent::parse("00-00000000000000000000000000000000-b7ad6b7169203331-01").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    trace_id: [u8; 16],
    parent_id: [u8; 8],
    flags: u8,
}

impl TraceParent {
    /// The `sampled` trace flag.
    pub const SAMPLED: u8 = 0x01;

    /// The length of a version-00 `traceparent` value.
    pub const LEN: usize = 55;

    /// A context from its parts; `None` when the trace id or the parent id is all zeros
    /// (the recommendation makes those invalid).
    pub fn new(trace_id: [u8; 16], parent_id: [u8; 8], flags: u8) -> Option<Self> {
        (trace_id != [0; 16] && parent_id != [0; 8]).then_some(Self {
            trace_id,
            parent_id,
            flags,
        })
    }

    /// Parses a `traceparent` header value (surrounding spaces and tabs ignored); `None`
    /// for anything but a valid version-00 value.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim_matches([' ', '\t']).as_bytes();
        if value.len() != Self::LEN || value[2] != b'-' || value[35] != b'-' || value[52] != b'-' {
            return None;
        }
        let [version] = hex::<1>(&value[0..2])?;
        if version != 0 {
            return None;
        }
        let trace_id = hex::<16>(&value[3..35])?;
        let parent_id = hex::<8>(&value[36..52])?;
        let [flags] = hex::<1>(&value[53..55])?;
        Self::new(trace_id, parent_id, flags)
    }

    /// The same trace and flags with another parent id (the next hop's view of this
    /// one); `None` when `parent_id` is all zeros.
    pub fn child(&self, parent_id: [u8; 8]) -> Option<Self> {
        Self::new(self.trace_id, parent_id, self.flags)
    }

    /// The trace id.
    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// The parent (span) id.
    pub fn parent_id(&self) -> [u8; 8] {
        self.parent_id
    }

    /// The trace flags.
    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// The version-00 header value (`00-<trace id>-<parent id>-<flags>`, lower-case
    /// hex), written without allocating: it goes out on every traced request.
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..3].copy_from_slice(b"00-");
        write_hex(&mut out[3..35], &self.trace_id);
        out[35] = b'-';
        write_hex(&mut out[36..52], &self.parent_id);
        out[52] = b'-';
        write_hex(&mut out[53..55], &[self.flags]);
        out
    }

    /// The trace id as 32 lower-case hex digits (what logs and trace back ends show).
    pub fn trace_id_hex(&self) -> String {
        let mut out = [0u8; 32];
        write_hex(&mut out, &self.trace_id);
        out.iter().copied().map(char::from).collect()
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.encode();
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceParent({self})")
    }
}

/// A trace context to hand to a back end: the `traceparent` of the hop, and the caller's
/// `tracestate` passed along unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// The `traceparent` to send (its parent id is the sender's span).
    pub traceparent: TraceParent,
    /// The `tracestate` to send, when the caller sent a valid one.
    pub tracestate: Option<String>,
}

impl TraceContext {
    /// The `params._meta` members that carry this context: `traceparent` and, when
    /// there is one, `tracestate` (as JSON strings).
    pub(crate) fn meta_members(&self) -> Vec<(&'static str, Box<RawValue>)> {
        let mut members = Vec::with_capacity(2);
        let string = |text: &str| {
            // A JSON string of visible ASCII (checked on parse): always valid.
            serde_json::value::to_raw_value(text).ok()
        };
        if let Some(value) = string(&self.traceparent.to_string()) {
            members.push(("traceparent", value));
        }
        if let Some(value) = self.tracestate.as_deref().and_then(string) {
            members.push(("tracestate", value));
        }
        members
    }
}

/// Most list members a `tracestate` may have.
const MAX_TRACESTATE_MEMBERS: usize = 32;
/// Longest `tracestate` kept (the length every vendor must be able to propagate).
const MAX_TRACESTATE_LEN: usize = 512;

/// A `tracestate` value (the values of several header lines joined by `,`) when it is a
/// well-formed list: at most 32 members `key=value`, keys as the recommendation defines
/// them (`lcalpha *(lcalpha / DIGIT / _ - * /)`, optionally `tenant@system`), values of
/// printable ASCII without `,` and `=`, at most 512 characters in all. `None` otherwise
/// (dropped whole rather than guessed at).
pub fn parse_tracestate(value: &str) -> Option<String> {
    if value.len() > MAX_TRACESTATE_LEN {
        return None;
    }
    let mut members = 0;
    for member in value.split(',') {
        let member = member.trim_matches([' ', '\t']);
        if member.is_empty() {
            continue;
        }
        members += 1;
        let (key, val) = member.split_once('=')?;
        if members > MAX_TRACESTATE_MEMBERS || !tracestate_key(key) || !tracestate_value(val) {
            return None;
        }
    }
    (members > 0).then(|| value.trim_matches([' ', '\t']).to_owned())
}

fn tracestate_key(key: &str) -> bool {
    let simple = |key: &str, max: usize, first_digit: bool| {
        let bytes = key.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= max
            && (bytes[0].is_ascii_lowercase() || (first_digit && bytes[0].is_ascii_digit()))
            && bytes[1..].iter().all(|&b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'_' | b'-' | b'*' | b'/')
            })
    };
    match key.split_once('@') {
        Some((tenant, system)) => simple(tenant, 241, true) && simple(system, 14, false),
        None => simple(key, 256, false),
    }
}

fn tracestate_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 256
        && bytes.last() != Some(&b' ')
        && bytes
            .iter()
            .all(|&b| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=')
}

/// Lower-case hex digits into `N` bytes (upper case is invalid in `traceparent`).
fn hex<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    fn digit(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        }
    }
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lower-case hex into `out` (twice as long as `bytes`).
fn write_hex(out: &mut [u8], bytes: &[u8]) {
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX_DIGITS[usize::from(b >> 4)];
        pair[1] = HEX_DIGITS[usize::from(b & 0x0f)];
    }
}

/// `params` with the trace context in its `_meta` object (see [`merge_meta`]).
pub(crate) fn with_trace(
    params: Option<&RawValue>,
    trace: &TraceContext,
) -> Result<Box<RawValue>, String> {
    let members = trace.meta_members();
    let members: Vec<(&str, &RawValue)> = members
        .iter()
        .map(|(name, value)| (*name, &**value))
        .collect();
    merge_meta(params, &members)
}

/// `params` with `members` set in its `_meta` object (replacing members of the same name,
/// keeping the others); `params` absent is `{}`. Params that are not a JSON object (or a
/// `_meta` that is not one) are an error.
///
/// When `params` has no `_meta` member (and no `\u` escape that could spell one), the
/// members are spliced in front of the others without parsing or re-serialising them,
/// so a large `arguments` object costs one copy.
pub(crate) fn merge_meta(
    params: Option<&RawValue>,
    members: &[(&str, &RawValue)],
) -> Result<Box<RawValue>, String> {
    use std::collections::BTreeMap;
    let text = params.map_or("{}", RawValue::get).trim();
    let Some(rest) = text.strip_prefix('{') else {
        return Err("params must be an object".to_owned());
    };
    let meta = |existing: BTreeMap<String, &RawValue>| -> Result<String, String> {
        let mut meta = existing;
        for (name, value) in members {
            meta.insert((*name).to_owned(), value);
        }
        serde_json::to_string(&meta).map_err(|e| e.to_string())
    };
    if !text.contains("\"_meta\"") && !text.contains("\\u") {
        let empty = rest.trim_start().starts_with('}');
        let mut out = String::with_capacity(text.len() + 128);
        out.push_str("{\"_meta\":");
        out.push_str(&meta(BTreeMap::new())?);
        if !empty {
            out.push(',');
        }
        out.push_str(rest);
        return RawValue::from_string(out).map_err(|e| format!("params must be an object: {e}"));
    }
    let mut object: BTreeMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|e| format!("params must be an object: {e}"))?;
    let existing: BTreeMap<String, &RawValue> = match object.remove("_meta") {
        Some(raw) => serde_json::from_str(raw.get())
            .map_err(|e| format!("params._meta must be an object: {e}"))?,
        None => BTreeMap::new(),
    };
    let meta = RawValue::from_string(meta(existing)?).map_err(|e| e.to_string())?;
    object.insert("_meta".to_owned(), &meta);
    let text = serde_json::to_string(&object).map_err(|e| e.to_string())?;
    RawValue::from_string(text).map_err(|e| e.to_string())
}
