//! Keys, claims and compact JWS signing for the static-key JWT tests.

#![allow(dead_code, unreachable_pub)]

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{self, JwsSigner};
use serde_json::{Value, json};

pub const ISSUER: &str = "https://issuer.test";
pub const AUDIENCE: &str = "mcp-hangar";

pub fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// A fresh key pair for `alg`: (signer, public key PEM, public JWK).
pub fn key_pair(alg: &str) -> (Box<dyn JwsSigner>, Vec<u8>, josekit::jwk::Jwk) {
    let pair: Box<dyn josekit::jwk::KeyPair> = match &alg[..2] {
        "RS" | "PS" => Box::new(jws::RS256.generate_key_pair(2048).unwrap()),
        "ES" => match alg {
            "ES256" => Box::new(jws::ES256.generate_key_pair().unwrap()),
            "ES384" => Box::new(jws::ES384.generate_key_pair().unwrap()),
            _ => Box::new(jws::ES512.generate_key_pair().unwrap()),
        },
        _ => Box::new(jws::EdDSA.generate_key_pair(EdCurve::Ed25519).unwrap()),
    };
    let der = pair.to_der_private_key();
    let signer: Box<dyn JwsSigner> = match alg {
        "RS256" => Box::new(jws::RS256.signer_from_der(&der).unwrap()),
        "RS384" => Box::new(jws::RS384.signer_from_der(&der).unwrap()),
        "RS512" => Box::new(jws::RS512.signer_from_der(&der).unwrap()),
        "PS256" => Box::new(jws::PS256.signer_from_der(&der).unwrap()),
        "PS384" => Box::new(jws::PS384.signer_from_der(&der).unwrap()),
        "PS512" => Box::new(jws::PS512.signer_from_der(&der).unwrap()),
        "ES256" => Box::new(jws::ES256.signer_from_der(&der).unwrap()),
        "ES384" => Box::new(jws::ES384.signer_from_der(&der).unwrap()),
        "ES512" => Box::new(jws::ES512.signer_from_der(&der).unwrap()),
        _ => Box::new(jws::EdDSA.signer_from_der(&der).unwrap()),
    };
    (signer, pair.to_pem_public_key(), pair.to_jwk_public_key())
}

pub fn hmac_signer(alg: &str, secret: &[u8]) -> Box<dyn JwsSigner> {
    match alg {
        "HS256" => Box::new(jws::HS256.signer_from_bytes(secret).unwrap()),
        "HS384" => Box::new(jws::HS384.signer_from_bytes(secret).unwrap()),
        _ => Box::new(jws::HS512.signer_from_bytes(secret).unwrap()),
    }
}

/// A compact JWS of `header` and `claims`, signed by `signer`.
pub fn sign(header: &Value, claims: &Value, signer: &dyn JwsSigner) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let signature = signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", B64.encode(signature))
}

pub fn claims() -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "agent-7", "tenant_id": "tenant:a",
        "scope": "mcp:read mcp:write", "roles": ["admin"], "iat": now(), "exp": now() + 300,
    })
}

/// `claims()` with `changes` applied (`null` removes a claim).
pub fn with(changes: Value) -> Value {
    let mut claims = claims();
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(key);
        } else {
            claims[key] = value.clone();
        }
    }
    claims
}
