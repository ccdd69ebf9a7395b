//! Finding the credential of a request: `Authorization: Bearer`, `X-API-Key`, never the
//! query string; and telling a JWT from an opaque token.

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use http::{HeaderMap, HeaderName, Uri, header};

use crate::{Rejection, TokenError, TokenErrorKind};

/// The largest credential header accepted (`Authorization`, `X-API-Key`): 8 KiB.
pub const MAX_CREDENTIAL_LEN: usize = 8 * 1024;

/// The API key header.
pub const API_KEY_HEADER: &str = "x-api-key";

/// [`API_KEY_HEADER`] as a header name (looked up without parsing the name per request).
static API_KEY: HeaderName = HeaderName::from_static(API_KEY_HEADER);

/// Query parameters that carry credentials; a request with any of them is refused.
pub const QUERY_CREDENTIALS: [&str; 3] = ["access_token", "api_key", "token"];

/// A credential found in the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credential<'a> {
    /// `X-API-Key: <key>`.
    ApiKey(&'a str),
    /// `Authorization: Bearer <token>` (an API key or a token).
    Bearer(&'a str),
}

/// Refuses a request whose query string names a credential parameter.
pub(crate) fn reject_query_credentials(uri: &Uri) -> Result<(), Rejection> {
    let Some(query) = uri.query() else {
        return Ok(());
    };
    let named = url::form_urlencoded::parse(query.as_bytes()).any(|(name, _)| {
        QUERY_CREDENTIALS
            .iter()
            .any(|c| name.eq_ignore_ascii_case(c))
    });
    if named {
        Err(Rejection::TokenInQuery)
    } else {
        Ok(())
    }
}

/// The credential of the headers, if any. One header of each kind at most, each at most
/// [`MAX_CREDENTIAL_LEN`] bytes; `Authorization` must be `Bearer <token>`; both headers
/// at once are refused (which one would count is not for the client to guess).
pub(crate) fn extract(headers: &HeaderMap) -> Result<Option<Credential<'_>>, Rejection> {
    let authorization = single(headers, &header::AUTHORIZATION)?;
    let api_key = single(headers, &API_KEY)?;
    match (authorization, api_key) {
        (Some(_), Some(_)) => Err(Rejection::MalformedHeader),
        (Some(value), None) => bearer(value).map(|t| Some(Credential::Bearer(t))),
        (None, Some("")) => Err(Rejection::MalformedHeader),
        (None, Some(value)) => Ok(Some(Credential::ApiKey(value))),
        (None, None) => Ok(None),
    }
}

/// The value of a header that may appear once, as trimmed visible ASCII.
fn single<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Result<Option<&'h str>, Rejection> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() || value.len() > MAX_CREDENTIAL_LEN {
        return Err(Rejection::MalformedHeader);
    }
    // A header value holds no control character but tab (`http` guarantees it), so
    // "ASCII" is `HeaderValue::to_str`'s visible ASCII, checked a word at a time.
    let bytes = value.as_bytes();
    if !bytes.is_ascii() {
        return Err(Rejection::MalformedHeader);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Rejection::MalformedHeader)?;
    Ok(Some(text.trim_matches(|c| c == ' ' || c == '\t')))
}

/// `Bearer <token>` → the token (scheme case-insensitive, one token, no other scheme).
fn bearer(value: &str) -> Result<&str, Rejection> {
    let (scheme, rest) = value.split_once(' ').ok_or(Rejection::MalformedHeader)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Rejection::MalformedHeader);
    }
    let token = rest.trim_start_matches(' ');
    if is_token(token) {
        Ok(token)
    } else {
        Err(Rejection::MalformedHeader)
    }
}

/// A per-message token (`params._auth.token`): the same rules as a bearer token.
pub(crate) fn check_message_token(token: &str) -> Result<&str, Rejection> {
    if token.len() <= MAX_CREDENTIAL_LEN && is_token(token) {
        Ok(token)
    } else {
        let error = TokenError::new(TokenErrorKind::Malformed, "malformed or oversized token");
        Err(Rejection::InvalidToken(error))
    }
}

/// One non-empty run of visible ASCII without `"`, `,` or `\`.
fn is_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b'\\'))
}

/// What a bearer value looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Three base64url segments (the signature may be empty, as in `alg: none`): a JWT,
    /// with its `iss` if the payload could be read (unverified, for routing only).
    Jwt { issuer: Option<String> },
    /// Anything else: an API key or an opaque token.
    Opaque,
}

const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The shape of a bearer value.
pub(crate) fn shape(token: &str) -> Shape {
    let base64url = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='))
    };
    let mut segments = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Shape::Opaque;
    };
    let is_jwt = !header.is_empty()
        && !payload.is_empty()
        && [header, payload, signature].iter().all(|s| base64url(s));
    if !is_jwt {
        return Shape::Opaque;
    }
    // Only `iss` is read (skipping the other claims, no map is built): this runs on every
    // request, cache hits included. A payload that is not an object, a non-string `iss`
    // or a repeated one gives no issuer, which no verifier claims.
    #[derive(serde::Deserialize)]
    struct Unverified {
        iss: Option<String>,
    }
    let issuer = LENIENT_URL_SAFE
        .decode(payload)
        .ok()
        // (A derived struct also reads a JSON array; claims are an object.)
        .filter(|payload| payload.trim_ascii_start().starts_with(b"{"))
        .and_then(|payload| serde_json::from_slice::<Unverified>(&payload).ok())
        .and_then(|claims| claims.iss);
    Shape::Jwt { issuer }
}

#[cfg(test)]
mod tests;
