//! One audit record: typed fields only (no free-form text that could carry a header or a
//! credential), and its encoding as one JSON line.

use std::fmt;
use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::chain::{self, Digest};

/// Longest value of a text field, in bytes; longer values are cut at a character
/// boundary and end in `…` (a client controls tool names and request ids: a record must
/// stay small, and so must the queue).
pub const MAX_FIELD_BYTES: usize = 512;

/// What a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// An authentication decision (a credential accepted or refused).
    Auth,
    /// A tool decision (a `tools/call` allowed, hidden, or its outcome).
    Tool,
    /// An administrative action (withdraw, restore, reload, start, stop) or its refusal.
    Admin,
    /// Something about the log or the gateway itself (records dropped, a new chain, a
    /// tool-name collision).
    Notice,
}

impl Kind {
    /// `auth`, `tool`, `admin` or `notice`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Tool => "tool",
            Self::Admin => "admin",
            Self::Notice => "notice",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// Allowed (for a tool call: allowed and the back end answered).
    Allow,
    /// Refused (a credential, a permission).
    Deny,
    /// A tool the caller may not see (unknown, denied, withdrawn: the same to the caller).
    Hidden,
    /// Allowed, but it failed (the back end could not be reached, a reload was invalid).
    Error,
}

impl Verdict {
    /// `allow`, `deny`, `hidden` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::Hidden => "hidden",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One decision, built field by field:
///
/// ```
/// use hangar_audit::{Kind, Record, Verdict};
///
/// let record = Record::new(Kind::Tool, Verdict::Hidden)
///     .tenant("tenant:a")
///     .subject("tenant-a-agent")
///     .tool("refund")
///     .reason("denied by deny_list of member \"tenant:a\" (pattern \"refund\")");
/// assert_eq!(record.kind(), Kind::Tool);
/// ```
///
/// The time is taken when the record is made; the sequence number and the chain hashes
/// when the writer appends it. Every field is an identifier, a name or a reason: there is
/// no field a credential could travel in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    time: SystemTime,
    kind: Kind,
    verdict: Verdict,
    request_id: Option<Box<str>>,
    tenant: Option<Box<str>>,
    subject: Option<Box<str>>,
    issuer: Option<Box<str>>,
    method: Option<Box<str>>,
    server: Option<Box<str>>,
    tool: Option<Box<str>>,
    action: Option<Box<str>>,
    reason: Option<Box<str>>,
    latency_us: Option<u64>,
}

/// A text field's value: `&str`, `String`, `&String`, or an `Option` of one (`None`
/// leaves the field out).
pub trait Text {
    /// The value, if any.
    fn text(&self) -> Option<&str>;
}

impl Text for &str {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl Text for String {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl Text for &String {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl<T: Text> Text for Option<T> {
    fn text(&self) -> Option<&str> {
        self.as_ref().and_then(Text::text)
    }
}

macro_rules! text_setters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name(mut self, value: impl Text) -> Self {
                self.$name = value.text().map(bounded);
                self
            }
        )*
    };
}

impl Record {
    /// A record of `kind` with `verdict`, timed now.
    pub fn new(kind: Kind, verdict: Verdict) -> Self {
        Self {
            time: SystemTime::now(),
            kind,
            verdict,
            request_id: None,
            tenant: None,
            subject: None,
            issuer: None,
            method: None,
            server: None,
            tool: None,
            action: None,
            reason: None,
            latency_us: None,
        }
    }

    /// A `notice` (verdict `allow`) saying `reason`.
    pub fn notice(reason: impl Text) -> Self {
        Self::new(Kind::Notice, Verdict::Allow).reason(reason)
    }

    text_setters! {
        /// The request's id (`X-Request-Id`, or one the gateway made).
        request_id,
        /// The caller's tenant (for an admin action: the tenant it concerns).
        tenant,
        /// The caller: an API key's name, a token's `sub`, a certificate subject.
        subject,
        /// The token's issuer.
        issuer,
        /// How the caller authenticated (`api_key`, `oidc`, …).
        method,
        /// The back end.
        server,
        /// The tool (front_door: the flat name the caller asked for).
        tool,
        /// An admin action: `withdraw`, `restore`, `reload`, `start`, `stop`.
        action,
        /// Why: the deciding rule or overlay, the rejection's code, the failure.
        reason,
    }

    /// How long the decision (or the call it allowed) took.
    #[must_use]
    pub fn latency_us(mut self, micros: u64) -> Self {
        self.latency_us = Some(micros);
        self
    }

    /// Replaces the time (tests, replays).
    #[must_use]
    pub fn at(mut self, time: SystemTime) -> Self {
        self.time = time;
        self
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The verdict.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// The JSON line for this record as number `seq` after the record whose hash is
    /// `prev`, newline included, and its hash: `{…,"prev":"<hex>","hash":"<hex>"}` where
    /// the hash is SHA-256 over the line without `,"hash":"<hex>"` (see [`crate::chain`]).
    pub(crate) fn encode(&self, seq: u64, prev: &Digest) -> (Vec<u8>, Digest) {
        let mut line = Vec::with_capacity(256);
        line.extend_from_slice(b"{\"seq\":");
        line.extend_from_slice(seq.to_string().as_bytes());
        line.extend_from_slice(b",\"time\":\"");
        line.extend_from_slice(rfc3339(self.time).as_bytes());
        line.push(b'"');
        push_str(&mut line, "kind", Some(self.kind.as_str()));
        let fields = [
            ("request_id", &self.request_id),
            ("tenant", &self.tenant),
            ("subject", &self.subject),
            ("issuer", &self.issuer),
            ("method", &self.method),
            ("server", &self.server),
            ("tool", &self.tool),
            ("action", &self.action),
        ];
        for (name, value) in fields {
            push_str(&mut line, name, value.as_deref());
        }
        push_str(&mut line, "verdict", Some(self.verdict.as_str()));
        push_str(&mut line, "reason", self.reason.as_deref());
        if let Some(micros) = self.latency_us {
            line.extend_from_slice(b",\"latency_us\":");
            line.extend_from_slice(micros.to_string().as_bytes());
        }
        push_str(&mut line, "prev", Some(&prev.to_hex()));
        line.push(b'}');
        let hash = chain::seal(&mut line);
        (line, hash)
    }
}

/// `,"name":"value"` (JSON-escaped), or nothing for `None`.
fn push_str(line: &mut Vec<u8>, name: &str, value: Option<&str>) {
    let Some(value) = value else {
        return;
    };
    line.extend_from_slice(b",\"");
    line.extend_from_slice(name.as_bytes());
    line.extend_from_slice(b"\":");
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *line, value);
}

/// `value`, cut to [`MAX_FIELD_BYTES`] at a character boundary (ending in `…`).
fn bounded(value: &str) -> Box<str> {
    if value.len() <= MAX_FIELD_BYTES {
        return value.into();
    }
    let mut end = MAX_FIELD_BYTES - '…'.len_utf8();
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    let mut cut = String::with_capacity(end + '…'.len_utf8());
    cut.push_str(&value[..end]);
    cut.push('…');
    cut.into_boxed_str()
}

/// RFC 3339, UTC, milliseconds: `2026-03-01T12:34:56.789Z`. Times before 1970 print as
/// the epoch, times past chrono's last day (year 262 142) as that day; years past 9999,
/// which RFC 3339 cannot write, get a sign (`+10000-…`).
pub fn rfc3339(time: SystemTime) -> String {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis())
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}
