//! The crate's one error type: what can go wrong building or running a gateway.
//!
//! Errors met while answering a request never surface here: they become wire answers
//! in `wire.rs`.

use std::path::PathBuf;

/// Building or serving a gateway failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The config file could not be loaded (every problem with its YAML path).
    #[error(transparent)]
    Config(#[from] hangar_config::Error),
    /// The config's withdrawals or overlay store are invalid.
    #[error("tool projection: {0}")]
    Projection(#[from] hangar_projection::Error),
    /// The authenticator could not be built from the `auth` section.
    #[error("auth: {0}")]
    Identity(#[from] hangar_identity::Error),
    /// The `tls` section cannot be used: a certificate or key file that cannot be read
    /// or holds no usable certificate or key, a key that does not match the certificate,
    /// cipher suites that leave no protocol version.
    #[error("{path}: {message}")]
    Tls {
        /// The YAML path (`tls.cert_file`, `tls.key_file`, `tls.cipher_suites`).
        path: String,
        /// What is wrong, naming the file.
        message: String,
    },
    /// No data directory: none configured and no `$XDG_DATA_HOME` / `$HOME`.
    #[error("no data directory: set data_dir in the config or pass --data-dir")]
    NoDataDir,
    /// The listener could not bind its address.
    #[error("cannot listen on {address}")]
    Bind {
        /// The address asked for.
        address: String,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another I/O failure (accepting connections, reading a file).
    #[error("i/o error at {}", path.display())]
    Io {
        /// What was being read or written.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The error comes from the configuration (the binary exits with 64, `EX_USAGE`).
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            Self::Config(_)
                | Self::Projection(_)
                | Self::Identity(_)
                | Self::Tls { .. }
                | Self::NoDataDir
        )
    }
}
