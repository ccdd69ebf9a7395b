//! `hangar_identity::jws_header` (the compact JWS parser every JWT and OIDC verifier
//! runs first) on arbitrary UTF-8. Properties: what it accepts has exactly three
//! dot-separated parts, is at most 16 KiB, never says `alg: none`; a refusal is
//! `Malformed` with one of the parser's fixed details, so it can never quote the token.
#![no_main]

use hangar_identity::{TokenErrorKind, jws_header};
use libfuzzer_sys::fuzz_target;

/// Every detail the parser gives (crates/identity/src/jwt/compact.rs).
const DETAILS: [&str; 9] = [
    "token is too long",
    "not a compact jws (expected three dot-separated parts)",
    "header is not base64url",
    "header is not a json object with string alg/kid/typ",
    "header has no alg",
    "unsigned tokens (alg none) are not accepted",
    "critical header extensions are not supported",
    "signature is not base64url",
    "empty signature",
];

fuzz_target!(|token: &str| {
    match jws_header(token) {
        Ok(header) => {
            assert_eq!(token.split('.').count(), 3);
            assert!(token.len() <= 16 * 1024);
            assert!(!header.alg.eq_ignore_ascii_case("none"));
        }
        Err(error) => {
            assert_eq!(error.kind, TokenErrorKind::Malformed);
            assert!(DETAILS.contains(&error.detail.as_str()), "{error}");
        }
    }
});
