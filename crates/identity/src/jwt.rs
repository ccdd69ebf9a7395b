//! JWTs verified with a static key (HS*, RS*, PS*, ES*, EdDSA); the algorithm is pinned by the key.
//!
//! `auth.jwt.algorithm` fixes the one algorithm accepted: a token whose header names
//! another one (`none`, or `HS256` against an RSA key) is refused before any signature
//! check. HMAC secrets must be at least as long as the hash (RFC 7518 §3.2). The public
//! key file is a PEM document, a JWK, or a JWK set (keys then selected by `kid`).

mod alg;
pub(crate) mod compact;
pub(crate) mod keys;

pub use compact::{JwsHeader, jws_header};

use crate::claims::{self, ClaimRules};
use crate::{AuthMethod, CallerIdentity, Error, TokenError};
use keys::{Alg, Key, KeySet};

/// Verifies JWTs with the static key of `auth.jwt`.
#[derive(Debug)]
pub struct JwtVerifier {
    keys: KeySet,
    rules: ClaimRules,
}

fn config_error(path: &str, message: impl Into<String>) -> Error {
    Error::Config {
        path: format!("auth.jwt.{path}"),
        message: message.into(),
    }
}

impl JwtVerifier {
    /// Builds the verifier: reads the key file, pins the algorithm.
    pub fn new(config: &hangar_config::Jwt) -> Result<Self, Error> {
        let alg = config
            .algorithm
            .ok_or_else(|| config_error("algorithm", "missing (required when jwt is enabled)"))?;
        let alg = Alg::from_config(alg)
            .ok_or_else(|| config_error("algorithm", format!("{alg:?} is not supported")))?;
        let keys = if alg.name().starts_with("HS") {
            let secret = config.secret.as_ref().ok_or_else(|| {
                config_error("secret", format!("missing (required for {})", alg.name()))
            })?;
            vec![
                Key::hmac(alg, secret.expose().as_bytes())
                    .map_err(|m| config_error("secret", m))?,
            ]
        } else {
            let file = config.public_key_file.as_ref().ok_or_else(|| {
                config_error(
                    "public_key_file",
                    format!("missing (required for {})", alg.name()),
                )
            })?;
            let bytes = std::fs::read(file).map_err(|source| Error::Io {
                path: "auth.jwt.public_key_file".into(),
                file: file.clone(),
                source,
            })?;
            public_keys(alg, &bytes).map_err(|m| config_error("public_key_file", m))?
        };
        let rules = ClaimRules {
            issuer: config.issuer.clone(),
            audiences: config.audience.iter().cloned().collect(),
            clock_skew: config.clock_skew_seconds,
            max_lifetime: config.max_lifetime_seconds,
            required_typ: config.required_typ.clone(),
            tenant_claim: config.tenant_claim.clone(),
            roles_claim: config.roles_claim.clone(),
            allowed_tenants: Vec::new(),
        };
        Ok(Self {
            keys: KeySet::new(keys),
            rules,
        })
    }

    /// Verifies signature and claims.
    pub fn verify(&self, token: &str) -> Result<CallerIdentity, TokenError> {
        self.verify_at(token, claims::now())
    }

    /// [`verify`](Self::verify) at a given time (unix seconds).
    pub(crate) fn verify_at(&self, token: &str, now: u64) -> Result<CallerIdentity, TokenError> {
        let jws = compact::parse(token)?;
        self.keys.verify(&jws)?;
        let claims = jws.claims()?;
        claims::validate(
            &self.rules,
            jws.header.typ.as_deref(),
            &claims,
            now,
            AuthMethod::Jwt,
        )
    }
}

/// The keys of a public key file: PEM, one JWK, or a JWK set (`{"keys": [...]}`).
fn public_keys(alg: Alg, bytes: &[u8]) -> Result<Vec<Key>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "is neither pem nor json".to_owned())?;
    if !text.trim_start().starts_with('{') {
        return Ok(vec![Key::from_pem(alg, bytes)?]);
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid json: {e}"))?;
    let members = match value.get("keys") {
        Some(serde_json::Value::Array(keys)) => keys.clone(),
        Some(_) => return Err("keys is not an array".into()),
        None => vec![value],
    };
    let mut keys = Vec::new();
    for (i, member) in members.into_iter().enumerate() {
        let serde_json::Value::Object(map) = member else {
            return Err(format!("key {i} is not an object"));
        };
        if map.contains_key("d") || map.contains_key("k") {
            return Err(format!(
                "key {i} holds private or secret material; give the public key"
            ));
        }
        let jwk =
            josekit::jwk::Jwk::from_map(map).map_err(|e| format!("key {i}: {e}").to_lowercase())?;
        keys.push(Key::from_jwk(&jwk, Some(alg)).map_err(|e| format!("key {i}: {e}"))?);
    }
    if keys.is_empty() {
        return Err("the jwk set has no keys".into());
    }
    Ok(keys)
}

#[cfg(test)]
mod tests;
