//! The crate's one error type.

use std::error::Error as StdError;

/// A boxed error from an overlay store's backing engine.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong in this crate: an invalid config withdrawal, or an overlay
/// store that cannot be opened, read or written.
///
/// Messages are lowercase and say where; the cause is kept as the
/// [`source`](std::error::Error::source), e.g.
/// `overlay store at /var/lib/hangar/overlays.redb: cannot commit a withdrawal`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A config withdrawal names an empty server or tenant.
    #[error("invalid config withdrawal {pattern:?} on server {server:?}: {reason}")]
    InvalidWithdrawal {
        /// The server as written.
        server: String,
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A config withdrawal's pattern is not a valid glob.
    #[error("invalid config withdrawal {pattern:?} on server {server:?}")]
    InvalidPattern {
        /// The server as written.
        server: String,
        /// The pattern as written.
        pattern: String,
        /// Why the pattern was rejected.
        #[source]
        source: hangar_policy::Error,
    },
    /// The overlay store failed; nothing was changed in memory.
    #[error("overlay store {location}: {action}")]
    Store {
        /// Where the store is, as a phrase: `at /var/lib/hangar/overlays.redb`, `in memory`.
        location: String,
        /// What was being done: `cannot open`, `cannot commit a withdrawal`, …
        action: String,
        /// The store engine's error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// An overlay store error, for [`OverlayStore`](crate::OverlayStore) implementations
    /// outside this crate: `location` is a phrase such as `at redis://cache:6379`, `action`
    /// says what failed (`cannot remove a withdrawal`).
    pub fn store(
        location: impl Into<String>,
        action: impl Into<String>,
        source: impl Into<BoxError>,
    ) -> Self {
        Self::Store {
            location: location.into(),
            action: action.into(),
            source: source.into(),
        }
    }

    /// The error comes from an overlay store.
    pub fn is_store(&self) -> bool {
        matches!(self, Self::Store { .. })
    }

    /// The error is an invalid config withdrawal.
    pub fn is_invalid_withdrawal(&self) -> bool {
        matches!(
            self,
            Self::InvalidWithdrawal { .. } | Self::InvalidPattern { .. }
        )
    }
}

/// This crate's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
