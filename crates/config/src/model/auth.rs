//! `auth`: the typed authentication sections.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::Secret;

/// `auth`: how callers authenticate. Several methods can be enabled together.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Auth {
    /// `enabled` (default `false`): authenticate callers at all.
    pub enabled: bool,
    /// `allow_anonymous` (default `false`): let callers without a credential in (they
    /// have no tenant, so front_door still gives them nothing).
    pub allow_anonymous: bool,
    /// `api_keys`: static API keys.
    pub api_keys: Vec<ApiKey>,
    /// `oidc`: OpenID Connect issuers (absent when the block is not written).
    pub oidc: Option<Oidc>,
    /// `jwt`: JWTs checked with a static key.
    pub jwt: Option<Jwt>,
    /// `introspection`: OAuth2 token introspection (RFC 7662) for opaque tokens.
    pub introspection: Option<Introspection>,
    /// `mtls`: client certificates.
    pub mtls: Option<Mtls>,
    /// `order`: the order methods are tried in (default
    /// [`AuthMethodKind::DEFAULT_ORDER`]). Always complete: every enabled method is in it
    /// exactly once; it may also name methods that are not enabled.
    pub order: Vec<AuthMethodKind>,
    /// `required_scopes`: scopes every token-authenticated caller must hold (advertised
    /// in the `WWW-Authenticate` challenge as `scope="…"`).
    pub required_scopes: Vec<String>,
    /// `per_message`: a token in `params._auth.token` of each message.
    pub per_message: PerMessage,
    /// `token_cache_size` (default 10000): verified tokens kept in the cache; 0 turns the
    /// cache off.
    pub token_cache_size: u64,
}

impl Auth {
    /// The default `token_cache_size`.
    pub const DEFAULT_TOKEN_CACHE_SIZE: u64 = 10_000;
}

impl Default for Auth {
    /// Authentication off, no methods, the default order and cache size.
    fn default() -> Self {
        Self {
            enabled: false,
            allow_anonymous: false,
            api_keys: Vec::new(),
            oidc: None,
            jwt: None,
            introspection: None,
            mtls: None,
            order: AuthMethodKind::DEFAULT_ORDER.to_vec(),
            required_scopes: Vec::new(),
            per_message: PerMessage::default(),
            token_cache_size: Self::DEFAULT_TOKEN_CACHE_SIZE,
        }
    }
}

/// One entry of `auth.order`: an authentication method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthMethodKind {
    /// `api_key`: `auth.api_keys`.
    ApiKey,
    /// `mtls`: `auth.mtls`.
    Mtls,
    /// `jwt`: `auth.jwt`.
    Jwt,
    /// `oidc`: `auth.oidc`.
    Oidc,
    /// `introspection`: `auth.introspection`.
    Introspection,
}

impl AuthMethodKind {
    /// The order used when `auth.order` is not written.
    pub const DEFAULT_ORDER: [Self; 5] = [
        Self::Mtls,
        Self::ApiKey,
        Self::Jwt,
        Self::Oidc,
        Self::Introspection,
    ];

    /// The name written in the configuration (`api_key`, `mtls`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key",
            Self::Mtls => "mtls",
            Self::Jwt => "jwt",
            Self::Oidc => "oidc",
            Self::Introspection => "introspection",
        }
    }
}

/// `auth.per_message`: per-message authentication.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PerMessage {
    /// `enabled` (default `false`): validate `params._auth.token` on every message.
    pub enabled: bool,
}

/// One entry of `auth.api_keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiKey {
    /// `name`: unique label, used in logs and audit records.
    pub name: String,
    /// `key` or `key_sha256`.
    pub secret: ApiKeySecret,
    /// `roles` (e.g. `admin`).
    pub roles: Vec<String>,
    /// `tenant_id`: the tenant the key acts for.
    pub tenant_id: Option<String>,
}

/// How an API key is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiKeySecret {
    /// `key`: the key itself (usually `${VAR}`).
    Plain(Secret),
    /// `key_sha256`: the SHA-256 digest of the key (64 hex characters in the file).
    Sha256([u8; 32]),
}

/// `auth.oidc`: OpenID Connect. The top-level `issuer`, `audience`, `resource_uri` and
/// `tenant_claim` describe the main issuer; `issuers` adds more, each inheriting the
/// top-level `audience`, `resource_uri` and `tenant_claim` it does not set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Oidc {
    /// `enabled` (default `false`).
    pub enabled: bool,
    /// `issuer`: the issuer URL (https, or http on a loopback host).
    pub issuer: Option<String>,
    /// `audience`: the expected `aud`.
    pub audience: Option<String>,
    /// `resource_uri`: this gateway's resource identifier (RFC 8707 / RFC 9728).
    pub resource_uri: Option<String>,
    /// `tenant_claim` (default `tenant_id`): the claim holding the tenant.
    pub tenant_claim: String,
    /// `scopes_supported`: advertised in the protected-resource metadata.
    pub scopes_supported: Vec<String>,
    /// `issuers`: further issuers, with inherited values filled in.
    pub issuers: Vec<OidcIssuer>,
    /// `roles_claim` (default `roles`): the claim holding admin roles.
    pub roles_claim: String,
    /// `clock_skew_seconds` (default 60): tolerance for `exp` / `nbf` / `iat`.
    pub clock_skew_seconds: u64,
    /// `max_lifetime_seconds`: reject tokens whose `exp - iat` is longer.
    pub max_lifetime_seconds: Option<u64>,
    /// `jwks_cache_seconds` (default 300): how long a fetched JWKS is used before it is
    /// fetched again.
    pub jwks_cache_seconds: u64,
    /// `jwks_min_refresh_seconds` (default 10): at most one JWKS fetch per issuer in this
    /// interval (an unknown `kid` cannot make the gateway hammer the IdP).
    pub jwks_min_refresh_seconds: u64,
}

/// One entry of `auth.oidc.issuers`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OidcIssuer {
    /// `issuer`: the issuer URL.
    pub issuer: String,
    /// `audience` (default: `auth.oidc.audience`).
    pub audience: Option<String>,
    /// `resource_uri` (default: `auth.oidc.resource_uri`).
    pub resource_uri: Option<String>,
    /// `tenant_claim` (default: `auth.oidc.tenant_claim`).
    pub tenant_claim: String,
    /// `allowed_tenants`: if not empty, the only tenants this issuer may assert.
    pub allowed_tenants: Vec<String>,
}

/// `auth.jwt.algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum JwtAlgorithm {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
}

impl JwtAlgorithm {
    /// HS256/384/512: checked with a shared `secret` rather than a public key.
    pub fn is_hmac(self) -> bool {
        matches!(self, Self::HS256 | Self::HS384 | Self::HS512)
    }
}

/// `auth.jwt`: JWTs verified with a static key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Jwt {
    /// `enabled` (default `false`).
    pub enabled: bool,
    /// `algorithm` (required when enabled).
    pub algorithm: Option<JwtAlgorithm>,
    /// `secret`: the HMAC key (HS*).
    pub secret: Option<Secret>,
    /// `public_key_file`: PEM public key (RS*, PS*, ES*, EdDSA).
    pub public_key_file: Option<PathBuf>,
    /// `issuer`: expected `iss`.
    pub issuer: Option<String>,
    /// `audience`: expected `aud`.
    pub audience: Option<String>,
    /// `clock_skew_seconds` (default 60).
    pub clock_skew_seconds: u64,
    /// `max_lifetime_seconds`: reject tokens whose `exp - iat` is longer.
    pub max_lifetime_seconds: Option<u64>,
    /// `tenant_claim` (default `tenant_id`): the claim holding the tenant.
    pub tenant_claim: String,
    /// `roles_claim` (default `roles`): the claim holding admin roles.
    pub roles_claim: String,
    /// `required_typ`: if set, the JOSE header `typ` must be this (e.g. `at+jwt`).
    pub required_typ: Option<String>,
}

/// `auth.introspection`: OAuth2 token introspection (RFC 7662).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Introspection {
    /// `enabled` (default `false`).
    pub enabled: bool,
    /// `endpoint`: the introspection URL (https, or http on a loopback host).
    pub endpoint: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<Secret>,
    /// `required_scopes`: every one must be granted.
    pub required_scopes: Vec<String>,
    /// `cache_ttl_seconds` (default 60).
    pub cache_ttl_seconds: u64,
    /// `cache_size` (default 10000 entries).
    pub cache_size: u64,
    /// `tenant_claim` (default `tenant_id`): the member of the introspection answer
    /// holding the tenant.
    pub tenant_claim: String,
}

/// `auth.mtls`: client certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mtls {
    /// `enabled` (default `false`).
    pub enabled: bool,
    /// `ca_file`: PEM bundle of the CAs client certificates must chain to.
    pub ca_file: Option<PathBuf>,
    /// `crl_file`: PEM certificate revocation list.
    pub crl_file: Option<PathBuf>,
    /// `allowed_subjects`: subject patterns (`CN=service-*`); empty = any subject.
    pub allowed_subjects: Vec<String>,
    /// `tenant_map`: subject pattern → tenant id.
    pub tenant_map: BTreeMap<String, String>,
    /// `client_auth` (default `require`): whether the TLS listener requires a client
    /// certificate.
    pub client_auth: MtlsClientAuth,
}

/// `auth.mtls.client_auth`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MtlsClientAuth {
    /// `require`: a connection without a verified client certificate is refused.
    #[default]
    Require,
    /// `optional`: a certificate is verified if presented; callers without one use the
    /// other methods.
    Optional,
}
