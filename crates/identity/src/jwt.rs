//! JWTs verified with a static key (HS*, RS*, PS*, ES*, EdDSA); the algorithm is pinned by the key.

use crate::{CallerIdentity, Error, TokenError};

/// Verifies JWTs with the static key of `auth.jwt`.
#[derive(Debug)]
pub struct JwtVerifier {}

impl JwtVerifier {
    /// Builds the verifier: reads the key file, pins the algorithm.
    pub fn new(config: &hangar_config::Jwt) -> Result<Self, Error> {
        let _ = config;
        todo!()
    }

    /// Verifies signature and claims.
    pub fn verify(&self, token: &str) -> Result<CallerIdentity, TokenError> {
        let _ = token;
        todo!()
    }
}
