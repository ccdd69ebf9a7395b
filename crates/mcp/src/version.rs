//! MCP protocol versions, their negotiation, and (for 2026-07-28) the HTTP header check.

mod headers;

use std::fmt;
use std::str::FromStr;

pub use headers::{McpHeader, McpHeaders, validate_headers};

use crate::error::Error;

/// An MCP protocol version this crate speaks, ordered oldest to newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProtocolVersion {
    /// `2025-03-26`: sessions, initialize handshake, JSON-RPC batches allowed.
    V2025_03_26,
    /// `2025-06-18`: no batches; `MCP-Protocol-Version` header on HTTP.
    V2025_06_18,
    /// `2025-11-25`: the last version with sessions and the initialize handshake.
    V2025_11_25,
    /// `2026-07-28`: stateless; `server/discover`, per-request `_meta` and
    /// `Mcp-Method` / `Mcp-Name` / `MCP-Protocol-Version` headers.
    V2026_07_28,
}

impl ProtocolVersion {
    /// Every version, oldest first.
    pub const ALL: [ProtocolVersion; 4] = [
        Self::V2025_03_26,
        Self::V2025_06_18,
        Self::V2025_11_25,
        Self::V2026_07_28,
    ];

    /// The newest version.
    pub const LATEST: ProtocolVersion = Self::V2026_07_28;

    /// The newest version that has the initialize handshake: what
    /// [`negotiate`](Self::negotiate) falls back to.
    pub const LATEST_WITH_INITIALIZE: ProtocolVersion = Self::V2025_11_25;

    /// The version's date string, e.g. `"2025-06-18"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V2025_03_26 => "2025-03-26",
            Self::V2025_06_18 => "2025-06-18",
            Self::V2025_11_25 => "2025-11-25",
            Self::V2026_07_28 => "2026-07-28",
        }
    }

    /// The version an `initialize` answer carries for a client that requested
    /// `requested`: the same version when this crate supports it and it has the
    /// handshake, otherwise the latest version that has one
    /// ([`LATEST_WITH_INITIALIZE`](Self::LATEST_WITH_INITIALIZE)); the client then
    /// decides whether it can speak that or disconnects.
    ///
    /// 2026-07-28 has no `initialize`: its clients name the version on every request
    /// (`_meta` and the `MCP-Protocol-Version` header), and an unknown one is answered
    /// with [`Error::UnsupportedProtocolVersion`] (-32022) — `requested.parse()`.
    pub fn negotiate(requested: &str) -> Self {
        match requested.parse::<Self>() {
            Ok(v) if v.has_initialize() => v,
            _ => Self::LATEST_WITH_INITIALIZE,
        }
    }

    /// The version has no sessions and no initialize handshake (2026-07-28).
    pub const fn is_stateless(self) -> bool {
        matches!(self, Self::V2026_07_28)
    }

    /// The version starts with `initialize` and keeps a session (all before 2026-07-28).
    pub const fn has_initialize(self) -> bool {
        !self.is_stateless()
    }

    /// The version accepts JSON-RPC batches (2025-03-26 only).
    pub const fn allows_batch(self) -> bool {
        matches!(self, Self::V2025_03_26)
    }

    /// Results carry `resultType`, and list results `ttlMs` + `cacheScope` (2026-07-28).
    pub const fn has_result_type(self) -> bool {
        matches!(self, Self::V2026_07_28)
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProtocolVersion {
    type Err = Error;

    /// Parses a date string; anything else is [`Error::UnsupportedProtocolVersion`].
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| Error::UnsupportedProtocolVersion {
                requested: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests;
