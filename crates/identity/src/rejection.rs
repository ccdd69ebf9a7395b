//! Why a request was not authenticated. Wire answers are built in one place (see `wire`).

use std::fmt;

/// What was wrong with a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenErrorKind {
    /// Not a well-formed JWT / JWS (or an unacceptable header, e.g. `alg: none`).
    Malformed,
    /// The signature does not verify with the pinned key / algorithm.
    BadSignature,
    /// No key with that `kid` (after a refresh).
    UnknownKey,
    /// `exp` is in the past (beyond the clock skew).
    Expired,
    /// `nbf` / `iat` is in the future (beyond the clock skew).
    NotYetValid,
    /// `exp` missing, or lifetime longer than allowed.
    BadLifetime,
    /// `iss` is not a trusted issuer.
    WrongIssuer,
    /// `aud` does not contain the expected audience / resource.
    WrongAudience,
    /// A required claim (tenant, sub, typ) is missing or not allowed.
    BadClaims,
    /// Introspection answered `active: false`.
    Inactive,
    /// The issuer / introspection endpoint could not be reached and no cached answer helps.
    Unavailable,
}

impl TokenErrorKind {
    /// A short stable code for metrics and audit records (`expired`, `wrong_audience`, …).
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::BadSignature => "bad_signature",
            Self::UnknownKey => "unknown_key",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::BadLifetime => "bad_lifetime",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::BadClaims => "bad_claims",
            Self::Inactive => "inactive",
            Self::Unavailable => "unavailable",
        }
    }
}

/// A token that did not verify: the kind, and a lowercase detail for logs (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// What kind of failure.
    pub kind: TokenErrorKind,
    /// Detail for logs and `error_description` (never contains the token).
    pub detail: String,
}

impl TokenError {
    /// A new token error.
    pub fn new(kind: TokenErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.detail)
    }
}

impl std::error::Error for TokenError {}

/// Why a request is refused before it reaches the gateway's logic.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// No credential at all (401, challenge without `error=`).
    MissingCredential,
    /// An API key that matches no configured key (403 `Invalid API key`).
    InvalidApiKey,
    /// A bearer token that did not verify (401 `error="invalid_token"`).
    InvalidToken(TokenError),
    /// A verified caller without a required scope (403 `error="insufficient_scope"`).
    InsufficientScope {
        /// The scopes that would be enough.
        required: Vec<String>,
    },
    /// A client certificate that is not allowed (403).
    CertificateNotAllowed {
        /// The certificate subject, for logs.
        subject: String,
    },
    /// A credential in the query string (`?access_token=`), which is never accepted (401).
    TokenInQuery,
    /// The `Authorization` header is malformed or oversized (401 `error="invalid_request"`).
    MalformedHeader,
    /// An authenticated caller whose roles do not grant an admin permission (403).
    PermissionDenied {
        /// The permission that was needed.
        permission: crate::Permission,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingCredential => f.write_str("no credential"),
            Self::InvalidApiKey => f.write_str("invalid api key"),
            Self::InvalidToken(error) => write!(f, "invalid token: {error}"),
            Self::InsufficientScope { required } => {
                write!(f, "insufficient scope (required: {})", required.join(" "))
            }
            Self::CertificateNotAllowed { subject } => {
                write!(f, "client certificate not allowed: {subject}")
            }
            Self::TokenInQuery => f.write_str("credential in the query string"),
            Self::MalformedHeader => f.write_str("malformed credential header"),
            Self::PermissionDenied { permission } => {
                write!(f, "permission {} required", permission.as_str())
            }
        }
    }
}

impl std::error::Error for Rejection {}
