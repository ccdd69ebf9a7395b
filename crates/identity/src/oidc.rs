//! OpenID Connect: discovery, JWKS cache, access-token verification.

use crate::{CallerIdentity, Error, HttpClient, TokenError};

/// Verifies access tokens from one or more OpenID providers.
#[derive(Debug)]
pub struct OidcVerifier {}

impl OidcVerifier {
    /// Builds the verifier. Does not fail when a provider is down: discovery and JWKS
    /// fetches are retried lazily, rate limited.
    pub fn new(config: &hangar_config::Oidc, http: HttpClient) -> Result<Self, Error> {
        let _ = (config, http);
        todo!()
    }

    /// Verifies an access token: signature (JWKS, key by `kid`), issuer, audience /
    /// resource (RFC 8707), lifetime, tenant claim, allowed tenants.
    pub async fn verify(&self, token: &str) -> Result<CallerIdentity, TokenError> {
        let _ = token;
        todo!()
    }

    /// The trusted issuer URLs (for RFC 9728 `authorization_servers`).
    pub fn issuers(&self) -> Vec<String> {
        todo!()
    }
}
