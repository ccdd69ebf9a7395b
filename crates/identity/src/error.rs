//! Errors building the authenticators from configuration.

/// Why an authenticator could not be built (bad key file, bad URL, …).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is unusable.
    #[error("{path}: {message}")]
    Config {
        /// The YAML path (`auth.jwt.public_key_file`).
        path: String,
        /// What is wrong, lowercase.
        message: String,
    },
    /// A file named by the configuration could not be read.
    #[error("{path}: cannot read {}: {source}", file.display())]
    Io {
        /// The YAML path.
        path: String,
        /// The file.
        file: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
