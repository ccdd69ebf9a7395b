//! The limits a decoder enforces before parsing: size, and nesting depth (by a scan that
//! never recurses).

use crate::error::Error;
use crate::scan;
use crate::version::ProtocolVersion;

/// Limits applied by [`Message::decode`](crate::Message::decode).
///
/// ```
/// use hangar_mcp::{DecodeLimits, ProtocolVersion};
///
/// let limits = DecodeLimits::for_version(ProtocolVersion::V2025_03_26).max_size(1 << 20);
/// assert!(limits.allows_batch());
/// assert_eq!(DecodeLimits::default().depth_limit(), Some(64));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    max_size: usize,
    max_depth: Option<usize>,
    allow_batch: bool,
}

impl DecodeLimits {
    /// The default size limit: 4 MiB.
    pub const DEFAULT_MAX_SIZE: usize = 4 << 20;
    /// The default nesting limit: 64 levels of arrays and objects.
    pub const DEFAULT_MAX_DEPTH: usize = 64;

    /// The defaults with batches allowed exactly when `version` allows them
    /// (2025-03-26 only).
    pub fn for_version(version: ProtocolVersion) -> Self {
        Self::default().allow_batch(version.allows_batch())
    }

    /// Sets the largest accepted message, in bytes.
    #[must_use]
    pub fn max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// Sets the deepest accepted nesting of arrays and objects (`{}` is 1 level,
    /// `{"a":[1]}` is 2).
    #[must_use]
    pub fn max_depth(mut self, levels: usize) -> Self {
        self.max_depth = Some(levels);
        self
    }

    /// Accepts any nesting and skips the depth scan (a third or more of the decoding
    /// time of a large result). The decoder itself is safe without it (raw members are
    /// skipped without recursion), so this suits input from a trusted peer, such as a
    /// back end's results, where the limit would only protect whoever reads the JSON next.
    #[must_use]
    pub fn no_depth_limit(mut self) -> Self {
        self.max_depth = None;
        self
    }

    /// Decodes a top-level array as [`Message::Batch`](crate::Message::Batch) instead of rejecting it with
    /// [`Error::BatchNotAllowed`].
    #[must_use]
    pub fn allow_batch(mut self, allow: bool) -> Self {
        self.allow_batch = allow;
        self
    }

    /// The size limit in bytes.
    pub fn size_limit(&self) -> usize {
        self.max_size
    }

    /// The nesting limit, `None` when there is none.
    pub fn depth_limit(&self) -> Option<usize> {
        self.max_depth
    }

    /// Whether batches are decoded.
    pub fn allows_batch(&self) -> bool {
        self.allow_batch
    }
}

impl Default for DecodeLimits {
    /// 4 MiB, 64 levels, no batches.
    fn default() -> Self {
        Self {
            max_size: Self::DEFAULT_MAX_SIZE,
            max_depth: Some(Self::DEFAULT_MAX_DEPTH),
            allow_batch: false,
        }
    }
}

/// Rejects input whose arrays and objects nest deeper than `limit`. A single pass that
/// only tracks strings (so brackets inside them do not count); it runs before the parser,
/// so deep input never reaches serde_json. String contents, most of a typical payload,
/// are skipped eight bytes at a time.
pub(crate) fn check_depth(bytes: &[u8], limit: usize) -> Result<(), Error> {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b'"' => i = string_end(bytes, i),
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Err(Error::TooDeep { limit });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// The index just past the closing quote of the string whose contents start at `i` (or
/// past the end of the input when it is unterminated).
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    loop {
        let Some(at) = bytes
            .get(i..)
            .and_then(|rest| scan::find2(rest, b'"', b'\\'))
        else {
            return bytes.len();
        };
        i += at;
        match bytes.get(i) {
            Some(b'"') => return i + 1,
            _ => i += 2, // a backslash and the byte it escapes
        }
    }
}

#[cfg(test)]
mod tests;
