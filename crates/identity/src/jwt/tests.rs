//! Unit tests for JWS parsing, key pinning and the static-key verifier.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use josekit::jwk::Jwk;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{self, JwsSigner as _};
use serde_json::json;

use super::compact::parse;
use super::keys::{Alg, Key};
use crate::TokenErrorKind;

fn part(value: serde_json::Value) -> String {
    B64.encode(value.to_string())
}

#[test]
fn compact_parsing() {
    let token = format!(
        "{}.{}.c2ln",
        part(json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"})),
        part(json!({"a": 1}))
    );
    let jws = parse(&token).unwrap();
    assert_eq!(jws.alg(), "RS256");
    assert_eq!(jws.header.kid.as_deref(), Some("k1"));
    assert_eq!(jws.header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(jws.signature, b"sig");
    assert_eq!(jws.signing_input, token.rsplit_once('.').unwrap().0);
    assert_eq!(jws.claims().unwrap()["a"], 1);

    let malformed = |token: &str| parse(token).unwrap_err().kind;
    for alg in ["none", "NONE", "None"] {
        let token = format!("{}.{}.c2ln", part(json!({"alg": alg})), part(json!({})));
        assert_eq!(malformed(&token), TokenErrorKind::Malformed, "{alg}");
    }
    let cases = [
        format!("{}.{}.c2ln", part(json!({"kid": "k"})), part(json!({}))),
        format!("{}.{}.c2ln", part(json!({"alg": 256})), part(json!({}))),
        format!(
            "{}.{}.c2ln",
            part(json!({"alg": "RS256", "crit": ["exp"]})),
            part(json!({}))
        ),
        format!("{}.{}.", part(json!({"alg": "RS256"})), part(json!({}))),
        format!(
            "{}.{}.c2ln=",
            part(json!({"alg": "RS256"})),
            part(json!({}))
        ),
        "a.b.c.d.e".to_owned(),
        "only-one-part".to_owned(),
    ];
    for token in cases {
        assert_eq!(malformed(&token), TokenErrorKind::Malformed, "{token}");
    }
    let not_object = format!(
        "{}.{}.c2ln",
        part(json!({"alg": "RS256"})),
        part(json!([1]))
    );
    assert_eq!(
        parse(&not_object).unwrap().claims().unwrap_err().kind,
        TokenErrorKind::Malformed
    );
}

#[test]
fn algorithm_names() {
    for name in ["HS256", "RS384", "PS512", "ES256", "EdDSA"] {
        assert_eq!(Alg::from_name(name).unwrap().name(), name);
    }
    assert_eq!(Alg::from_name("rs256"), None);
    assert_eq!(Alg::from_name("none"), None);
    assert_eq!(
        Alg::from_config(hangar_config::JwtAlgorithm::PS384),
        Some(Alg::PS384)
    );
}

fn jwk(value: serde_json::Value) -> Jwk {
    Jwk::from_map(value.as_object().unwrap().clone()).unwrap()
}

#[test]
fn jwk_algorithm_is_pinned_from_the_key() {
    let rsa = jws::RS256
        .generate_key_pair(2048)
        .unwrap()
        .to_jwk_public_key();
    let ec384 = jws::ES384.generate_key_pair().unwrap().to_jwk_public_key();
    let ed = jws::EdDSA
        .generate_key_pair(EdCurve::Ed25519)
        .unwrap()
        .to_jwk_public_key();
    let key = |jwk: &Jwk| Key::from_jwk(jwk, None);
    assert!(key(&rsa).is_ok(), "rsa without alg: RS256");
    assert!(key(&ec384).is_ok(), "P-384: ES384");
    assert!(key(&ed).is_ok(), "OKP: EdDSA");

    let mut rsa_as_es = rsa.clone();
    rsa_as_es.set_algorithm("ES256");
    assert!(key(&rsa_as_es).unwrap_err().contains("cannot verify"));
    let mut enc = rsa.clone();
    enc.set_key_use("enc");
    assert!(key(&enc).is_err());
    assert!(
        key(&jwk(json!({"kty": "oct", "k": "c2VjcmV0"}))).is_err(),
        "no hmac keys from a jwks"
    );
    let mut rsa_ps = rsa.clone();
    rsa_ps.set_algorithm("PS256");
    assert!(key(&rsa_ps).is_ok());
    assert!(
        Key::from_jwk(&rsa_ps, Some(Alg::RS256)).is_err(),
        "configured alg wins"
    );
    assert!(
        Key::from_jwk(&ec384, Some(Alg::ES256)).is_err(),
        "curve must match"
    );
}

#[test]
fn pss_keys_in_both_pem_forms() {
    let pss = jws::PS256.generate_key_pair(2048).unwrap();
    assert!(
        Key::from_pem(Alg::PS256, &pss.to_pem_public_key()).is_ok(),
        "rsassa-pss spki"
    );
    let rsa = jws::RS256.generate_key_pair(2048).unwrap();
    assert!(
        Key::from_pem(Alg::PS256, &rsa.to_pem_public_key()).is_ok(),
        "rsaEncryption spki"
    );
    assert!(Key::from_pem(Alg::HS256, &rsa.to_pem_public_key()).is_err());
}

#[test]
fn hmac_secrets_must_be_long_enough() {
    assert!(Key::hmac(Alg::HS256, &[7; 31]).is_err());
    assert!(Key::hmac(Alg::HS256, &[7; 32]).is_ok());
    assert!(Key::hmac(Alg::HS384, &[7; 47]).is_err());
    assert!(Key::hmac(Alg::HS512, &[7; 63]).is_err());
    assert!(Key::hmac(Alg::HS512, &[7; 64]).is_ok());
    assert!(Key::hmac(Alg::RS256, &[7; 64]).is_err());
}

#[test]
fn verifier_checks_time_against_the_given_clock() {
    let secret = "s".repeat(32);
    let yaml = "auth:\n  jwt:\n    enabled: true\n    algorithm: HS256\n    secret: ${S}\n";
    let env = hangar_config::MapEnvironment::new().with("S", secret.as_str());
    let config = hangar_config::Config::from_yaml_str(yaml, "t.yaml", &env).unwrap();
    let verifier = super::JwtVerifier::new(&config.auth.jwt.unwrap()).unwrap();
    let input = format!(
        "{}.{}",
        part(json!({"alg": "HS256"})),
        part(json!({"sub": "a", "exp": 1000}))
    );
    let signature = jws::HS256
        .signer_from_bytes(secret.as_bytes())
        .unwrap()
        .sign(input.as_bytes())
        .unwrap();
    let token = format!("{input}.{}", B64.encode(signature));
    assert!(verifier.verify_at(&token, 900).is_ok());
    assert_eq!(
        verifier.verify_at(&token, 1060).unwrap_err().kind,
        TokenErrorKind::Expired
    );
    assert!(format!("{verifier:?}").len() < 2000);
}

#[test]
fn the_public_header_reader_agrees_with_the_verifiers_parser() {
    let token = format!(
        "{}.{}.c2ln",
        part(json!({"alg": "PS384", "kid": "k9", "typ": "at+jwt", "jku": "https://x"})),
        part(json!({"sub": "a"}))
    );
    let header = super::jws_header(&token).unwrap();
    assert_eq!(
        (
            header.alg.as_str(),
            header.kid.as_deref(),
            header.typ.as_deref()
        ),
        ("PS384", Some("k9"), Some("at+jwt"))
    );
    let bare = format!("{}.{}.c2ln", part(json!({"alg": "HS256"})), part(json!({})));
    let header = super::jws_header(&bare).unwrap();
    assert_eq!((header.kid, header.typ), (None, None));
    for bad in [
        format!(
            "{}.e30.c2ln",
            part(json!({"alg": "none", "kid": "secret-kid"}))
        ),
        format!("{}.e30.", part(json!({"alg": "RS256"}))),
        "x".repeat(super::compact::MAX_TOKEN_LEN + 1),
        "a.b".to_owned(),
    ] {
        let error = super::jws_header(&bad).unwrap_err();
        assert_eq!(error.kind, TokenErrorKind::Malformed, "{bad}");
        assert_eq!(error, parse(&bad).unwrap_err(), "{bad}");
        assert!(!error.detail.contains(&bad), "{error}");
    }
}
