//! The crate's one error type.

use std::path::PathBuf;

/// Opening the audit log failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file (or its directory) cannot be created, opened or read.
    #[error("cannot open the audit log {}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The writer thread cannot be started.
    #[error("cannot start the audit writer thread")]
    Thread(#[source] std::io::Error),
}
