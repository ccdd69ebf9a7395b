//! Who the caller is, once a credential has been verified.

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthMethod {
    /// An API key (`X-API-Key` or `Authorization: Bearer`).
    ApiKey,
    /// A JWT verified with a static key (`auth.jwt`).
    Jwt,
    /// A JWT from an OpenID provider, verified with its JWKS (`auth.oidc`).
    Oidc,
    /// An opaque token checked by OAuth2 token introspection (`auth.introspection`).
    Introspection,
    /// A verified TLS client certificate (`auth.mtls`).
    Mtls,
    /// No credential, and `allow_anonymous` let the caller in.
    Anonymous,
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CallerIdentity {
    /// The principal: the key's name, the token's `sub` (or `client_id`), the certificate subject.
    pub subject: String,
    /// The tenant, if the credential carries one.
    pub tenant_id: Option<String>,
    /// The token issuer (`iss`), for token methods.
    pub issuer: Option<String>,
    /// Granted scopes (`scope` / `scp`).
    pub scopes: Vec<String>,
    /// Roles for the admin API (key `roles`, token `roles`/`groups`).
    pub roles: Vec<String>,
    /// How the caller authenticated.
    pub method: AuthMethod,
    /// When the credential stops being valid (unix seconds), if it expires.
    pub expires_at: Option<u64>,
}

impl CallerIdentity {
    /// A new identity with no tenant, issuer, scopes, roles or expiry.
    pub fn new(subject: impl Into<String>, method: AuthMethod) -> Self {
        Self {
            subject: subject.into(),
            tenant_id: None,
            issuer: None,
            scopes: Vec::new(),
            roles: Vec::new(),
            method,
            expires_at: None,
        }
    }

    /// The subject of callers let in without a credential (`allow_anonymous`).
    pub const ANONYMOUS_SUBJECT: &str = "anonymous";

    /// A caller without a credential: subject `anonymous`, no tenant, no roles.
    pub fn anonymous() -> Self {
        Self::new(Self::ANONYMOUS_SUBJECT, AuthMethod::Anonymous)
    }

    /// Whether every scope in `required` was granted.
    pub fn has_scopes(&self, required: &[String]) -> bool {
        required.iter().all(|r| self.scopes.iter().any(|s| s == r))
    }
}
