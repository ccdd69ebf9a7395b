//! Verification keys. Each key's algorithm is pinned when the key is loaded (from the
//! configuration, or from the JWK's `alg` / `kty` / `crv`), never from a token header.

use base64::Engine as _;
use josekit::jwk::Jwk;
use josekit::jws::JwsVerifier;

pub(crate) use super::alg::Alg;
use super::compact::Compact;
use crate::{TokenError, TokenErrorKind};

/// A public key (or HMAC secret) with its pinned algorithm.
#[derive(Debug)]
pub(crate) struct Key {
    alg: Alg,
    kid: Option<String>,
    verifier: Box<dyn JwsVerifier>,
}

/// Builds an asymmetric verifier for `$alg` with `$make` (a josekit algorithm method).
macro_rules! asymmetric {
    ($alg:expr, |$a:ident| $make:expr) => {{
        use josekit::jws::*;
        let verifier: Box<dyn JwsVerifier> = match $alg {
            Alg::RS256 => {
                let $a = RS256;
                Box::new($make?)
            }
            Alg::RS384 => {
                let $a = RS384;
                Box::new($make?)
            }
            Alg::RS512 => {
                let $a = RS512;
                Box::new($make?)
            }
            Alg::PS256 => {
                let $a = PS256;
                Box::new($make?)
            }
            Alg::PS384 => {
                let $a = PS384;
                Box::new($make?)
            }
            Alg::PS512 => {
                let $a = PS512;
                Box::new($make?)
            }
            Alg::ES256 => {
                let $a = ES256;
                Box::new($make?)
            }
            Alg::ES384 => {
                let $a = ES384;
                Box::new($make?)
            }
            Alg::ES512 => {
                let $a = ES512;
                Box::new($make?)
            }
            Alg::EdDSA => {
                let $a = EdDSA;
                Box::new($make?)
            }
            Alg::HS256 | Alg::HS384 | Alg::HS512 => {
                return Err("hmac algorithms take a secret, not a public key".into());
            }
        };
        verifier
    }};
}

impl Key {
    /// An HMAC key; RFC 7518 §3.2: at least as long as the hash output.
    pub(crate) fn hmac(alg: Alg, secret: &[u8]) -> Result<Self, String> {
        use josekit::jws::{HS256, HS384, HS512};
        let min = match alg {
            Alg::HS256 => 32,
            Alg::HS384 => 48,
            Alg::HS512 => 64,
            _ => return Err(format!("{} takes a public key, not a secret", alg.name())),
        };
        if secret.len() < min {
            return Err(format!("must be at least {min} bytes for {}", alg.name()));
        }
        let verifier: Box<dyn JwsVerifier> = match alg {
            Alg::HS256 => Box::new(HS256.verifier_from_bytes(secret).map_err(lower)?),
            Alg::HS384 => Box::new(HS384.verifier_from_bytes(secret).map_err(lower)?),
            _ => Box::new(HS512.verifier_from_bytes(secret).map_err(lower)?),
        };
        Ok(Self {
            alg,
            kid: None,
            verifier,
        })
    }

    /// A public key from a PEM document (SubjectPublicKeyInfo, or PKCS#1 for RSA).
    pub(crate) fn from_pem(alg: Alg, pem: &[u8]) -> Result<Self, String> {
        let build = || -> Result<Box<dyn JwsVerifier>, String> {
            Ok(asymmetric!(alg, |a| match alg {
                // A plain rsaEncryption key is fine for PS*: josekit's DER path rewraps it.
                Alg::PS256 | Alg::PS384 | Alg::PS512 => a
                    .verifier_from_pem(pem)
                    .or_else(|_| a.verifier_from_der(pem_to_der(pem)?))
                    .map_err(lower),
                _ => a.verifier_from_pem(pem).map_err(lower),
            }))
        };
        let verifier =
            build().map_err(|e| format!("not a pem public key usable for {} ({e})", alg.name()))?;
        Ok(Self {
            alg,
            kid: None,
            verifier,
        })
    }

    /// A public key from a JWK. The algorithm is `expected` (static configuration) or
    /// pinned from the JWK itself: its `alg`, else RS256 for RSA, ES256/384/512 by curve,
    /// EdDSA for OKP. Symmetric (`oct`) and encryption keys are refused.
    pub(crate) fn from_jwk(jwk: &Jwk, expected: Option<Alg>) -> Result<Self, String> {
        if jwk.key_use().is_some_and(|u| u != "sig") {
            return Err("not a signing key".into());
        }
        let kty = jwk.key_type();
        let named = match jwk.algorithm() {
            Some(name) => Some(Alg::from_name(name).ok_or("unsupported alg")?),
            None => None,
        };
        let alg = match (expected, named) {
            (Some(e), Some(n)) if e != n => return Err(format!("alg is not {}", e.name())),
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => match (kty, jwk.curve()) {
                ("RSA", _) => Alg::RS256,
                ("EC", Some("P-256")) => Alg::ES256,
                ("EC", Some("P-384")) => Alg::ES384,
                ("EC", Some("P-521")) => Alg::ES512,
                ("OKP", Some("Ed25519" | "Ed448")) => Alg::EdDSA,
                _ => return Err("unsupported key type or curve".into()),
            },
        };
        if kty == "oct" || alg.kty() != kty {
            return Err(format!("key type {kty} cannot verify {}", alg.name()));
        }
        let build = || -> Result<Box<dyn JwsVerifier>, String> {
            Ok(asymmetric!(alg, |a| a
                .verifier_from_jwk(jwk)
                .map_err(lower)))
        };
        let verifier = build()?;
        Ok(Self {
            alg,
            kid: jwk.key_id().map(str::to_owned),
            verifier,
        })
    }

    /// The key id, if the key has one.
    pub(crate) fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Checks the header `alg` against the pinned one, then the signature.
    pub(crate) fn verify(&self, jws: &Compact<'_>) -> Result<(), TokenError> {
        if jws.alg() != self.alg.name() {
            return Err(TokenError::new(
                TokenErrorKind::BadSignature,
                "token alg is not the key's pinned algorithm",
            ));
        }
        self.verifier
            .verify(jws.signing_input.as_bytes(), &jws.signature)
            .map_err(|_| TokenError::new(TokenErrorKind::BadSignature, "signature does not verify"))
    }
}

/// A set of keys, selected by `kid`.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    keys: Vec<Key>,
}

impl KeySet {
    /// A set of these keys.
    pub(crate) fn new(keys: Vec<Key>) -> Self {
        Self { keys }
    }

    /// How many keys.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether a key could verify a token with this `kid` (a key without a kid matches any).
    pub(crate) fn has_candidate(&self, kid: Option<&str>) -> bool {
        self.candidates(kid).next().is_some()
    }

    fn candidates<'a>(&'a self, kid: Option<&'a str>) -> impl Iterator<Item = &'a Key> + 'a {
        self.keys.iter().filter(move |key| match (key.kid(), kid) {
            (Some(have), Some(want)) => have == want,
            _ => true,
        })
    }

    /// Verifies the signature with the key the token names (or, without a `kid`, any key).
    pub(crate) fn verify(&self, jws: &Compact<'_>) -> Result<(), TokenError> {
        let mut last =
            TokenError::new(TokenErrorKind::UnknownKey, "no key matches the token's kid");
        for key in self.candidates(jws.header.kid.as_deref()) {
            match key.verify(jws) {
                Ok(()) => return Ok(()),
                Err(error) => last = error,
            }
        }
        Err(last)
    }
}

/// The DER body of a PEM document.
fn pem_to_der(pem: &[u8]) -> Result<Vec<u8>, josekit::JoseError> {
    let text = String::from_utf8_lossy(pem);
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .flat_map(|line| line.trim().chars())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| josekit::JoseError::InvalidKeyFormat(e.into()))
}

/// A josekit error as a lowercase message.
fn lower(error: josekit::JoseError) -> String {
    error.to_string().to_lowercase()
}
