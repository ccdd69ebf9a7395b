//! Token verification costs.
//!
//! - `token_cache/hit`: a verified-token cache hit (SHA-256 of a ~700-byte JWT, lookup,
//!   clone of the caller). Budget (DESIGN.md): ≤ 2 µs.
//! - `verify_miss/{RS256,ES256,HS256}`: a cache miss: parse, signature, claims.
//!
//! `cargo bench -p hangar-identity --bench verify -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use criterion::{Criterion, criterion_group, criterion_main};
use hangar_config::{Config, MapEnvironment};
use hangar_identity::{JwtVerifier, TokenCache};
use josekit::jwk::KeyPair as _;
use josekit::jws::{self, JwsSigner};
use serde_json::json;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

/// A realistic access token's claims (oidc-provider's shape plus a tenant and roles).
fn claims() -> serde_json::Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({
        "iss": "https://auth.example.com", "aud": "https://hangar.example.com/mcp",
        "sub": "tenant-a-agent", "client_id": "tenant-a-agent", "tenant_id": "tenant:a",
        "scope": "mcp:read mcp:write", "roles": ["viewer"], "jti": "mYJKCXtKfL3JG1QXfe8TDEQ_8z8F3DoVO_94Z7hmM5Q",
        "iat": now, "exp": now + 3600,
    })
}

fn sign(alg: &str, signer: &dyn JwsSigner) -> String {
    let header =
        json!({"alg": alg, "typ": "at+jwt", "kid": "679c0d77-03ad-479e-8805-922f22225820"});
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims().to_string())
    );
    let signature = signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", B64.encode(signature))
}

/// A verifier for `alg` and a token it accepts.
fn setup(alg: &str, dir: &std::path::Path) -> (JwtVerifier, String) {
    let (key_line, token) = match alg {
        "HS256" => {
            let signer = jws::HS256.signer_from_bytes(SECRET).unwrap();
            ("secret: ${SECRET}".to_owned(), sign(alg, &signer))
        }
        _ => {
            let (pem, token) = if alg == "RS256" {
                let pair = jws::RS256.generate_key_pair(2048).unwrap();
                let signer = jws::RS256
                    .signer_from_der(pair.to_der_private_key())
                    .unwrap();
                (pair.to_pem_public_key(), sign(alg, &signer))
            } else {
                let pair = jws::ES256.generate_key_pair().unwrap();
                let signer = jws::ES256
                    .signer_from_der(pair.to_der_private_key())
                    .unwrap();
                (pair.to_pem_public_key(), sign(alg, &signer))
            };
            let file = dir.join(format!("{alg}.pem"));
            std::fs::write(&file, pem).unwrap();
            (format!("public_key_file: {}", file.display()), token)
        }
    };
    let yaml = format!(
        "auth:\n  jwt:\n    enabled: true\n    algorithm: {alg}\n    {key_line}\n    issuer: https://auth.example.com\n    audience: https://hangar.example.com/mcp\n"
    );
    let env = MapEnvironment::new().with("SECRET", SECRET);
    let config = Config::from_yaml_str(&yaml, "bench.yaml", &env).unwrap();
    (JwtVerifier::new(&config.auth.jwt.unwrap()).unwrap(), token)
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();

    let (verifier, token) = setup("RS256", dir.path());
    let caller = verifier.verify(&token).unwrap();
    let cache = TokenCache::new(10_000);
    for i in 0..9_999 {
        cache.insert(&format!("{token}{i}"), &caller);
    }
    cache.insert(&token, &caller);
    assert_eq!(cache.get(&token).as_ref(), Some(&caller));
    c.bench_function("token_cache/hit", |b| {
        b.iter(|| cache.get(black_box(&token)))
    });

    let mut group = c.benchmark_group("verify_miss");
    for alg in ["RS256", "ES256", "HS256"] {
        let (verifier, token) = setup(alg, dir.path());
        verifier.verify(&token).unwrap();
        group.bench_function(alg, |b| {
            b.iter(|| verifier.verify(black_box(&token)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(verify, benches);
criterion_main!(verify);
