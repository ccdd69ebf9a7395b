//! Who is calling: Hangar's caller identity.
//!
//! An [`Authenticator`] turns an HTTP request — its headers, its target and the
//! connection's verified client certificate — into a [`CallerIdentity`] (subject, tenant,
//! issuer, scopes, roles, method) or a [`Rejection`], trying the configured methods in
//! the configured order: API keys, JWTs with a static key ([`JwtVerifier`]), OpenID
//! Connect ([`OidcVerifier`]), OAuth2 token introspection ([`Introspector`]) and client
//! certificates ([`MtlsIdentity`]), with verified tokens cached by hash until they expire
//! ([`TokenCache`]). [`Authenticator::answer`] is the one place a rejection becomes an
//! HTTP answer (status, `WWW-Authenticate` challenge, JSON body); [`Rejection::reason`]
//! is its metric label. The crate also serves the RFC 9728 protected-resource metadata
//! ([`ResourceMetadata`]) and decides admin permissions ([`authorize`]).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//!
//! use hangar_config::{Config, MapEnvironment};
//! use hangar_identity::{Authenticator, HttpClient, Permission, RequestContext, authorize};
//!
//! let yaml = r#"
//! auth:
//!   enabled: true
//!   api_keys:
//!     - name: ops-admin
//!       key: ${HANGAR_ADMIN_KEY}
//!       roles: [admin]
//! "#;
//! let env = MapEnvironment::new().with("HANGAR_ADMIN_KEY", "s3cret");
//! let config = Config::from_yaml_str(yaml, "config.yaml", &env)?;
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! runtime.block_on(async {
//!     let http = HttpClient::new(Duration::from_secs(5));
//!     let authenticator = Authenticator::new(&config.auth, http)?;
//!     let uri: http::Uri = "/mcp".parse()?;
//!
//!     let mut headers = http::HeaderMap::new();
//!     headers.insert("x-api-key", "s3cret".parse()?);
//!     let request = RequestContext { headers: &headers, uri: &uri, client_certificate: None };
//!     let caller = authenticator.authenticate(&request).await?;
//!     assert_eq!(caller.subject, "ops-admin");
//!     authorize(&caller, Permission::ConfigReload, None)?;
//!
//!     let no_headers = http::HeaderMap::new();
//!     let request = RequestContext { headers: &no_headers, uri: &uri, client_certificate: None };
//!     let rejection = authenticator.authenticate(&request).await.unwrap_err();
//!     let answer = authenticator.answer(&rejection);
//!     assert_eq!(answer.status, 401);
//!     assert_eq!(answer.headers["www-authenticate"], "Bearer, ApiKey");
//!     assert_eq!(answer.body, r#"{"error":"unauthorized","message":"API key required"}"#);
//!     assert_eq!(rejection.reason(), "missing_credential");
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See `docs/authentication.md` for the chain, the challenges and the error table.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod identity;
mod rejection;

mod claims;
mod http_client;
mod introspection;
mod jwt;
mod mtls;
mod oidc;
mod token_cache;

mod api_key;
mod authenticator;
mod credential;
mod discovery;
mod rbac;
mod wire;

pub use error::Error;
pub use http_client::HttpClient;
pub use http_client::{HttpError, MAX_BODY};
pub use identity::{AuthMethod, CallerIdentity};
pub use introspection::Introspector;
pub use jwt::{JwsHeader, JwtVerifier, jws_header};
pub use mtls::{ClientAuth, MtlsIdentity};
pub use oidc::OidcVerifier;
pub use rejection::{Rejection, TokenError, TokenErrorKind};
pub use token_cache::TokenCache;

pub use authenticator::{Authenticator, RequestContext, message_token};
pub use credential::{API_KEY_HEADER, MAX_CREDENTIAL_LEN, QUERY_CREDENTIALS};
pub use discovery::{ResourceMetadata, WELL_KNOWN_PATH};
pub use rbac::{Grant, Permission, Role, authorize, grants};
pub use wire::{Challenge, WireAnswer};
