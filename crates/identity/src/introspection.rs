//! OAuth2 token introspection (RFC 7662) for opaque tokens.

use crate::{CallerIdentity, Error, HttpClient, TokenError};

/// Checks opaque tokens with the authorization server's introspection endpoint.
#[derive(Debug)]
pub struct Introspector {}

impl Introspector {
    /// Builds the introspector.
    pub fn new(config: &hangar_config::Introspection, http: HttpClient) -> Result<Self, Error> {
        let _ = (config, http);
        todo!()
    }

    /// Introspects (or answers from the cache): `active: false` → `Inactive`.
    pub async fn verify(&self, token: &str) -> Result<CallerIdentity, TokenError> {
        let _ = token;
        todo!()
    }
}
