//! JWS compact serialization: `base64url(header).base64url(payload).base64url(signature)`.
//!
//! Only what verification needs is read from the header (`alg`, `kid`, `typ`); key
//! location headers (`jku`, `jwk`, `x5u`, `x5c`) are ignored, never followed. `alg: none`
//! and any `crit` extension are refused.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::{TokenError, TokenErrorKind};

/// Tokens longer than this are refused before any decoding (16 KiB).
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A parsed, not yet verified, JWS.
#[derive(Debug)]
pub(crate) struct Compact<'a> {
    /// `header.payload`, the bytes the signature covers.
    pub(crate) signing_input: &'a str,
    payload: &'a str,
    /// The decoded signature.
    pub(crate) signature: Vec<u8>,
    /// The protected header.
    pub(crate) header: Header,
}

/// The header members verification uses.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Header {
    /// `alg`, as written in the token (checked against the key's pinned algorithm).
    #[serde(default)]
    pub(crate) alg: Option<String>,
    /// `kid`: selects the key.
    #[serde(default)]
    pub(crate) kid: Option<String>,
    /// `typ`: checked when a type is required.
    #[serde(default)]
    pub(crate) typ: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
}

/// The protected header of a compact JWS as Hangar's verifiers read it before they look
/// for a key; returned by [`jws_header`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JwsHeader {
    /// `alg`, as written in the token (never `none`, in any case).
    pub alg: String,
    /// `kid`: the key the token says it was signed with.
    pub kid: Option<String>,
    /// `typ`, e.g. `at+jwt` for an OAuth 2.0 access token (RFC 9068).
    pub typ: Option<String>,
}

/// Reads the protected header of a compact JWS (a JWT access token) for diagnostics: which
/// algorithm and key it names, or why every verifier refuses it before any key is looked
/// up. Nothing is verified and the payload is not read; the token is checked exactly as
/// the verifiers check it first: at most 16 KiB, three dot-separated base64url parts, a
/// JSON object header with a string `alg` that is not `none` and no `crit`, and a
/// non-empty signature.
///
/// ```
/// use hangar_identity::{TokenErrorKind, jws_header};
///
/// // {"alg":"ES256","kid":"key-1","typ":"at+jwt"} . {"sub":"agent"} . signature
/// let token = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImtleS0xIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJhZ2VudCJ9.c2ln";
/// let header = jws_header(token)?;
/// assert_eq!(header.alg, "ES256");
/// assert_eq!(header.kid.as_deref(), Some("key-1"));
/// assert_eq!(header.typ.as_deref(), Some("at+jwt"));
///
/// // {"alg":"none"}: unsigned tokens are refused whatever else they hold.
/// let unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZ2VudCJ9.c2ln";
/// assert_eq!(jws_header(unsigned).unwrap_err().kind, TokenErrorKind::Malformed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// A [`TokenError`] of kind [`Malformed`](TokenErrorKind::Malformed) saying what is wrong
/// (never containing the token).
pub fn jws_header(token: &str) -> Result<JwsHeader, TokenError> {
    let Header { alg, kid, typ, .. } = parse(token)?.header;
    Ok(JwsHeader {
        alg: alg.unwrap_or_default(),
        kid,
        typ,
    })
}

fn malformed(detail: &str) -> TokenError {
    TokenError::new(TokenErrorKind::Malformed, detail)
}

/// Splits and decodes a compact JWS; the signature is not checked here.
pub(crate) fn parse(token: &str) -> Result<Compact<'_>, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed("token is too long"));
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(
            "not a compact jws (expected three dot-separated parts)",
        ));
    };
    let header_bytes = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| malformed("header is not base64url"))?;
    let header: Header = serde_json::from_slice(&header_bytes)
        .map_err(|_| malformed("header is not a json object with string alg/kid/typ"))?;
    match header.alg.as_deref() {
        None => return Err(malformed("header has no alg")),
        Some(alg) if alg.eq_ignore_ascii_case("none") => {
            return Err(malformed("unsigned tokens (alg none) are not accepted"));
        }
        Some(_) => {}
    }
    if header.crit.is_some() {
        return Err(malformed("critical header extensions are not supported"));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| malformed("signature is not base64url"))?;
    if signature.is_empty() {
        return Err(malformed("empty signature"));
    }
    Ok(Compact {
        signing_input: &token[..header_b64.len() + 1 + payload.len()],
        payload,
        signature,
        header,
    })
}

impl Compact<'_> {
    /// The header `alg` (present: checked by [`parse`]).
    pub(crate) fn alg(&self) -> &str {
        self.header.alg.as_deref().unwrap_or_default()
    }

    /// Decodes the payload as a JSON object. Call only after the signature verified,
    /// except to route a token to its issuer.
    pub(crate) fn claims(&self) -> Result<Map<String, Value>, TokenError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(self.payload)
            .map_err(|_| malformed("payload is not base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| malformed("payload is not a json object"))
    }
}
