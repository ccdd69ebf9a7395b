//! The hash chain on the exact bytes of each line.
//!
//! A line is `{…,"prev":"<P>","hash":"<H>"}` followed by `\n`, where `<P>` is the hash of
//! the record before (64 zeros for the first record of a chain) and `<H>` is the
//! lowercase hex SHA-256 of the line with its last 75 bytes (`,"hash":"<H>"}`) replaced
//! by `}` — that is, of the record as it was before the hash was added. A verifier never
//! re-serialises parsed JSON: it hashes the bytes it read.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;

/// Bytes of the `,"hash":"<64 hex>"}` tail of every line.
const TAIL: usize = HASH_KEY.len() + 64 + 2;
const HASH_KEY: &[u8] = b",\"hash\":\"";

/// A SHA-256 digest: a record's hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// All zeros: the `prev` of the first record of a chain.
    pub const ZERO: Digest = Digest([0; 32]);

    /// SHA-256 of `bytes`.
    pub(crate) fn of(bytes: &[u8]) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
        let mut out = [0; 32];
        out.copy_from_slice(digest.as_ref());
        Self(out)
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(64);
        for byte in self.0 {
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 15)]));
        }
        out
    }

    /// Parses 64 lowercase hex characters.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut out = [0; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
        }
        Some(Self(out))
    }

    /// Whether this is [`Digest::ZERO`].
    pub fn is_zero(&self) -> bool {
        *self == Self::ZERO
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// Hashes `line` (a JSON object ending in `}`), then appends `,"hash":"<hex>"}` and a
/// newline in place of its closing brace; returns the hash.
pub(crate) fn seal(line: &mut Vec<u8>) -> Digest {
    let hash = Digest::of(line);
    line.pop();
    line.extend_from_slice(HASH_KEY);
    line.extend_from_slice(hash.to_hex().as_bytes());
    line.extend_from_slice(b"\"}\n");
    hash
}

/// What the chain needs from one verified line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub(crate) seq: u64,
    pub(crate) prev: Digest,
    pub(crate) hash: Digest,
}

/// The fields every record has; the others are not needed to check the chain.
#[derive(Deserialize)]
struct Fields<'a> {
    seq: u64,
    #[serde(borrow)]
    time: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    verdict: Cow<'a, str>,
    #[serde(borrow)]
    prev: Cow<'a, str>,
    #[serde(borrow)]
    hash: Cow<'a, str>,
}

/// Checks one line (without its newline) on its own: it is a JSON object with the record
/// fields, it ends in its hash, and the hash matches its bytes.
pub(crate) fn check_line(line: &[u8]) -> Result<Link, String> {
    if line.is_empty() {
        return Err("empty line".into());
    }
    let Some(body_len) = line.len().checked_sub(TAIL) else {
        return Err("not a record (too short to end in a hash)".into());
    };
    let (body, tail) = line.split_at(body_len);
    let hex = &tail[HASH_KEY.len()..HASH_KEY.len() + 64];
    let sealed = tail.starts_with(HASH_KEY) && tail.ends_with(b"\"}");
    let Some(hash) = std::str::from_utf8(hex)
        .ok()
        .filter(|_| sealed)
        .and_then(Digest::from_hex)
    else {
        return Err("not a record (it does not end in ,\"hash\":\"<64 hex>\"})".into());
    };
    let mut unsealed = Vec::with_capacity(body.len() + 1);
    unsealed.extend_from_slice(body);
    unsealed.push(b'}');
    if Digest::of(&unsealed) != hash {
        return Err("hash mismatch: the line was changed after it was written".into());
    }
    let fields: Fields<'_> =
        serde_json::from_slice(line).map_err(|error| format!("not a record: {error}"))?;
    if fields.hash != hex_str(hex) {
        return Err("not a record: two hash fields".into());
    }
    if fields.seq == 0 || fields.time.is_empty() || fields.kind.is_empty() {
        return Err("not a record: seq, time or kind missing".into());
    }
    if fields.verdict.is_empty() {
        return Err("not a record: verdict missing".into());
    }
    let prev = Digest::from_hex(&fields.prev)
        .ok_or_else(|| "not a record: prev is not 64 lowercase hex characters".to_owned())?;
    Ok(Link {
        seq: fields.seq,
        prev,
        hash,
    })
}

fn hex_str(hex: &[u8]) -> &str {
    std::str::from_utf8(hex).unwrap_or_default()
}
