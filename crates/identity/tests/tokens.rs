//! Static-key JWTs: every algorithm's valid control, then a table of bad tokens, each
//! refused with the right `TokenErrorKind`. Keys are generated per test.

mod jwt_support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hangar_config::{Config, MapEnvironment};
use hangar_identity::{AuthMethod, Error, JwtVerifier, TokenErrorKind};
use josekit::jws::JwsSigner;
use jwt_support::{AUDIENCE, ISSUER, claims, hmac_signer, key_pair, now, sign, with};
use serde_json::{Value, json};

const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A verifier for `alg` and a signer holding the matching private key.
struct Fixture {
    alg: &'static str,
    verifier: JwtVerifier,
    signer: Box<dyn JwsSigner>,
    public_pem: Vec<u8>,
    _dir: tempfile::TempDir,
}

/// Builds `auth.jwt` from YAML (`key_line` names the key; `extra` adds settings).
fn build(alg: &str, key_line: &str, extra: &str) -> Result<JwtVerifier, Error> {
    let yaml = format!(
        "auth:\n  jwt:\n    enabled: true\n    algorithm: {alg}\n    {key_line}\n    issuer: {ISSUER}\n    audience: {AUDIENCE}\n{extra}"
    );
    let env = MapEnvironment::new().with("JWT_SECRET", SECRET);
    let config = Config::from_yaml_str(&yaml, "test.yaml", &env).unwrap_or_else(|e| panic!("{e}"));
    JwtVerifier::new(&config.auth.jwt.expect("auth.jwt"))
}

fn fixture(alg: &'static str, extra: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    if alg.starts_with("HS") {
        let verifier = build(alg, "secret: ${JWT_SECRET}", extra).unwrap();
        let signer = hmac_signer(alg, SECRET.as_bytes());
        return Fixture {
            alg,
            verifier,
            signer,
            public_pem: Vec::new(),
            _dir: dir,
        };
    }
    let (signer, public_pem, _) = key_pair(alg);
    let file = dir.path().join("key.pem");
    std::fs::write(&file, &public_pem).unwrap();
    let verifier = build(alg, &format!("public_key_file: {}", file.display()), extra).unwrap();
    Fixture {
        alg,
        verifier,
        signer,
        public_pem,
        _dir: dir,
    }
}

impl Fixture {
    fn token(&self, claims: &Value) -> String {
        sign(
            &json!({"alg": self.alg, "typ": "JWT"}),
            claims,
            self.signer.as_ref(),
        )
    }
}

#[test]
fn every_algorithm_verifies_its_own_tokens() {
    for alg in [
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
        "ES384", "ES512", "EdDSA",
    ] {
        let f = fixture(alg, "");
        let caller = f
            .verifier
            .verify(&f.token(&claims()))
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(caller.subject, "agent-7", "{alg}");
        assert_eq!(caller.tenant_id.as_deref(), Some("tenant:a"));
        assert_eq!(caller.issuer.as_deref(), Some(ISSUER));
        assert_eq!(caller.scopes, ["mcp:read", "mcp:write"]);
        assert_eq!(caller.roles, ["admin"]);
        assert_eq!(caller.method, AuthMethod::Jwt);
        assert_eq!(
            caller.expires_at,
            Some(u64::try_from(claims()["exp"].as_i64().unwrap()).unwrap())
        );
    }
}

#[test]
fn bad_tokens_are_refused_with_the_right_kind() {
    use TokenErrorKind::*;
    let f = fixture("RS256", "    max_lifetime_seconds: 3600\n");
    let (other_signer, _, _) = key_pair("RS256");
    let good = f.token(&claims());
    let (head, rest) = good.split_once('.').unwrap();
    let signature = rest.split_once('.').unwrap().1;
    let tampered_claims = B64.encode(with(json!({"tenant_id": "tenant:b"})).to_string());
    let none = format!(
        "{}.{}.",
        B64.encode(r#"{"alg":"none"}"#),
        B64.encode(claims().to_string())
    );
    let none_signed = format!(
        "{}.{}.{signature}",
        B64.encode(r#"{"alg":"none"}"#),
        B64.encode(claims().to_string())
    );
    let confused = sign(
        &json!({"alg": "HS256"}),
        &claims(),
        hmac_signer("HS256", &f.public_pem).as_ref(),
    );
    let cases: Vec<(&str, String, TokenErrorKind)> = vec![
        (
            "expired",
            f.token(&with(json!({"iat": now() - 600, "exp": now() - 120}))),
            Expired,
        ),
        (
            "not yet valid",
            f.token(&with(json!({"nbf": now() + 300}))),
            NotYetValid,
        ),
        (
            "issued in the future",
            f.token(&with(json!({"iat": now() + 300, "exp": now() + 600}))),
            NotYetValid,
        ),
        (
            "wrong issuer",
            f.token(&with(json!({"iss": "https://evil.test"}))),
            WrongIssuer,
        ),
        (
            "missing issuer",
            f.token(&with(json!({"iss": null}))),
            WrongIssuer,
        ),
        (
            "wrong audience",
            f.token(&with(json!({"aud": "someone-else"}))),
            WrongAudience,
        ),
        (
            "audience list without us",
            f.token(&with(json!({"aud": ["a", "b"]}))),
            WrongAudience,
        ),
        (
            "another key",
            sign(&json!({"alg": "RS256"}), &claims(), other_signer.as_ref()),
            BadSignature,
        ),
        ("alg none", none, Malformed),
        ("alg none with a signature", none_signed, Malformed),
        ("hs256 with the rsa public key", confused, BadSignature),
        (
            "tampered payload",
            format!("{head}.{tampered_claims}.{signature}"),
            BadSignature,
        ),
        (
            "missing exp",
            f.token(&with(json!({"exp": null}))),
            BadLifetime,
        ),
        (
            "lifetime too long",
            f.token(&with(json!({"exp": now() + 2 * 86_400}))),
            BadLifetime,
        ),
        (
            "missing sub",
            f.token(&with(json!({"sub": null}))),
            BadClaims,
        ),
        (
            "tenant not a string",
            f.token(&with(json!({"tenant_id": 7}))),
            BadClaims,
        ),
        (
            "exp not a number",
            f.token(&with(json!({"exp": "tomorrow"}))),
            Malformed,
        ),
        (
            "crit header",
            sign(
                &json!({"alg": "RS256", "crit": ["b64"], "b64": false}),
                &claims(),
                f.signer.as_ref(),
            ),
            Malformed,
        ),
        ("encrypted (five parts)", "a.b.c.d.e".into(), Malformed),
        (
            "two parts",
            format!("{head}.{}", rest.split_once('.').unwrap().0),
            Malformed,
        ),
        ("not base64", "!!!.???.***".into(), Malformed),
        ("empty", String::new(), Malformed),
        (
            "header not json",
            format!("{}.{rest}", B64.encode("hello")),
            Malformed,
        ),
        (
            "oversized",
            format!("{head}.{}.{signature}", "A".repeat(20_000)),
            Malformed,
        ),
    ];
    for (name, token, kind) in cases {
        let error = f.verifier.verify(&token).expect_err(name);
        assert_eq!(error.kind, kind, "{name}: {error}");
        assert!(
            !error.detail.contains(&token) || token.is_empty(),
            "{name}: the token leaked"
        );
        assert_eq!(
            error.detail,
            error.detail.to_lowercase(),
            "{name}: lowercase detail"
        );
    }
    // Controls: within the clock skew, and an `aud` list naming us.
    let skewed = f.token(&with(json!({"iat": now() - 600, "exp": now() - 30})));
    assert!(f.verifier.verify(&skewed).is_ok());
    assert!(
        f.verifier
            .verify(&f.token(&with(json!({"aud": ["x", AUDIENCE]}))))
            .is_ok()
    );
}

#[test]
fn required_typ() {
    let f = fixture("ES256", "    required_typ: at+jwt\n");
    let typed = |typ: Value| {
        sign(
            &json!({"alg": "ES256", "typ": typ}),
            &claims(),
            f.signer.as_ref(),
        )
    };
    assert!(f.verifier.verify(&typed(json!("at+jwt"))).is_ok());
    assert!(
        f.verifier
            .verify(&typed(json!("application/AT+JWT")))
            .is_ok()
    );
    assert_eq!(
        f.verifier.verify(&typed(json!("JWT"))).unwrap_err().kind,
        TokenErrorKind::BadClaims
    );
    let untyped = sign(&json!({"alg": "ES256"}), &claims(), f.signer.as_ref());
    assert_eq!(
        f.verifier.verify(&untyped).unwrap_err().kind,
        TokenErrorKind::BadClaims
    );
}

#[test]
fn jwk_set_file_selects_by_kid() {
    let dir = tempfile::tempdir().unwrap();
    let (signer_1, _, mut jwk_1) = key_pair("RS256");
    let (signer_2, _, mut jwk_2) = key_pair("RS256");
    let (impostor, _, _) = key_pair("RS256");
    jwk_1.set_key_id("k1");
    jwk_2.set_key_id("k2");
    let file = dir.path().join("keys.json");
    std::fs::write(
        &file,
        json!({"keys": [jwk_1.as_ref(), jwk_2.as_ref()]}).to_string(),
    )
    .unwrap();
    let verifier = build("RS256", &format!("public_key_file: {}", file.display()), "").unwrap();
    let token = |kid: &str, signer: &dyn JwsSigner| {
        sign(&json!({"alg": "RS256", "kid": kid}), &claims(), signer)
    };
    assert!(verifier.verify(&token("k1", signer_1.as_ref())).is_ok());
    assert!(verifier.verify(&token("k2", signer_2.as_ref())).is_ok());
    let same_kid = verifier
        .verify(&token("k1", impostor.as_ref()))
        .unwrap_err();
    assert_eq!(
        same_kid.kind,
        TokenErrorKind::BadSignature,
        "signed by another key with the same kid"
    );
    let unknown = verifier
        .verify(&token("k3", signer_1.as_ref()))
        .unwrap_err();
    assert_eq!(unknown.kind, TokenErrorKind::UnknownKey);
}

#[test]
fn unusable_keys_are_configuration_errors() {
    let dir = tempfile::tempdir().unwrap();
    let short = build("HS256", "secret: too-short", "").unwrap_err();
    assert!(short.to_string().contains("at least 32 bytes"), "{short}");
    let (_, ec_pem, _) = key_pair("ES256");
    let file = dir.path().join("ec.pem");
    std::fs::write(&file, ec_pem).unwrap();
    let mismatch = build("RS256", &format!("public_key_file: {}", file.display()), "").unwrap_err();
    assert!(
        mismatch
            .to_string()
            .starts_with("auth.jwt.public_key_file: "),
        "{mismatch}"
    );
    let (_, _, jwk) = key_pair("ES384");
    let file = dir.path().join("es384.json");
    std::fs::write(&file, json!(jwk.as_ref()).to_string()).unwrap();
    assert!(build("ES256", &format!("public_key_file: {}", file.display()), "").is_err());
    let missing = build("RS256", "public_key_file: /nonexistent/key.pem", "").unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing}");
}
