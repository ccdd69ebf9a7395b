//! API SKELETON — being implemented. Signatures here are the contract between modules.
#![forbid(unsafe_code)]

mod error;
mod identity;
mod rejection;

mod http_client;
mod introspection;
mod jwt;
mod mtls;
mod oidc;

pub use error::Error;
pub use http_client::HttpClient;
pub use identity::{AuthMethod, CallerIdentity};
pub use introspection::Introspector;
pub use jwt::JwtVerifier;
pub use mtls::{ClientAuth, MtlsIdentity};
pub use oidc::OidcVerifier;
pub use rejection::{Rejection, TokenError, TokenErrorKind};
