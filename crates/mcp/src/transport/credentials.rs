//! A back end's own credentials: static headers and an OAuth 2.0 client-credentials
//! bearer token, fetched once and cached until shortly before it expires.
//!
//! These are the only credentials a back end ever sees; nothing from a caller's request
//! reaches this module.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue,
};
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use serde::Deserialize;

use super::headers as header_name;
use super::http::Client;
use super::{ClientCredentials, Shared, TransportError};

/// Headers the transport sets itself; configuring them is refused.
const RESERVED: [HeaderName; 8] = [
    ACCEPT,
    CONTENT_TYPE,
    CONTENT_LENGTH,
    HOST,
    header_name::SESSION_ID,
    header_name::PROTOCOL_VERSION,
    header_name::METHOD,
    header_name::NAME,
];

/// The largest token endpoint answer read.
const MAX_TOKEN_RESPONSE: usize = 64 << 10;

/// How long before `expires_in` a cached token is refreshed.
const REFRESH_MARGIN: Duration = Duration::from_secs(30);

/// Static headers plus an optional OAuth token source.
pub(crate) struct Credentials {
    headers: HeaderMap,
    oauth: Option<OAuth>,
}

struct OAuth {
    token_uri: Uri,
    form: String,
    cache: tokio::sync::Mutex<Option<Token>>,
}

struct Token {
    value: HeaderValue,
    expires: Option<Instant>,
}

impl Credentials {
    /// Validates header names and values and the token URL.
    pub(crate) fn new(
        headers: &[(String, String)],
        oauth: Option<ClientCredentials>,
    ) -> Result<Self, String> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("header name {name:?} is not valid"))?;
            if RESERVED.contains(&header) {
                return Err(format!("header {name} is set by the transport itself"));
            }
            if header == AUTHORIZATION && oauth.is_some() {
                return Err("an Authorization header and oauth cannot both be set".into());
            }
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| format!("the value of header {name} is not a valid header value"))?;
            value.set_sensitive(true);
            map.append(header, value);
        }
        let oauth = oauth
            .map(|c| -> Result<OAuth, String> {
                let token_uri: Uri = c
                    .token_url
                    .parse()
                    .map_err(|e| format!("oauth token_url: {e}"))?;
                // The client secret is sent there: https, or plain http only on loopback.
                let loopback = token_uri.host().is_some_and(|host| {
                    host == "localhost"
                        || host
                            .trim_start_matches('[')
                            .trim_end_matches(']')
                            .parse::<std::net::IpAddr>()
                            .is_ok_and(|ip| ip.is_loopback())
                });
                match token_uri.scheme_str() {
                    Some("https") => {}
                    Some("http") if loopback => {}
                    _ => {
                        return Err(
                            "oauth token_url: must be https (plain http only on loopback)".into(),
                        );
                    }
                }
                let mut form = String::from("grant_type=client_credentials&client_id=");
                form_encode(&c.client_id, &mut form);
                form.push_str("&client_secret=");
                form_encode(&c.client_secret, &mut form);
                if !c.scopes.is_empty() {
                    form.push_str("&scope=");
                    form_encode(&c.scopes.join(" "), &mut form);
                }
                Ok(OAuth {
                    token_uri,
                    form,
                    cache: tokio::sync::Mutex::new(None),
                })
            })
            .transpose()?;
        Ok(Self {
            headers: map,
            oauth,
        })
    }

    /// Whether a 401 might be cured by fetching a new token.
    pub(crate) fn has_oauth(&self) -> bool {
        self.oauth.is_some()
    }

    /// Adds the static headers and the bearer token (fetched if needed) to `headers`.
    pub(crate) async fn apply(
        &self,
        shared: &Shared,
        client: &Client,
        headers: &mut HeaderMap,
    ) -> Result<(), TransportError> {
        for (name, value) in &self.headers {
            headers.append(name, value.clone());
        }
        if let Some(oauth) = &self.oauth {
            let mut cache = oauth.cache.lock().await;
            let fresh = cache
                .as_ref()
                .is_some_and(|t| t.expires.is_none_or(|at| Instant::now() < at));
            if !fresh {
                *cache = Some(oauth.fetch(shared, client).await?);
            }
            if let Some(token) = cache.as_ref() {
                headers.insert(AUTHORIZATION, token.value.clone());
            }
        }
        Ok(())
    }

    /// Forgets the cached token (the back end refused it).
    pub(crate) async fn invalidate(&self) {
        if let Some(oauth) = &self.oauth {
            *oauth.cache.lock().await = None;
        }
    }
}

impl OAuth {
    async fn fetch(&self, shared: &Shared, client: &Client) -> Result<Token, TransportError> {
        #[derive(Deserialize)]
        struct TokenResponse {
            access_token: String,
            #[serde(default)]
            token_type: Option<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let fail = |reason: String| TransportError::Credentials {
            backend: shared.name.clone(),
            reason,
        };
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.token_uri.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(self.form.clone())))
            .map_err(|e| fail(e.to_string()))?;
        let fetch = async {
            let response = client
                .request(request)
                .await
                .map_err(|e| fail(format!("token endpoint unreachable: {e}")))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_TOKEN_RESPONSE)
                .collect()
                .await
                .map_err(|e| fail(format!("token response: {e}")))?
                .to_bytes();
            if !status.is_success() {
                return Err(fail(format!(
                    "token endpoint answered http {}",
                    status.as_u16()
                )));
            }
            let token: TokenResponse = serde_json::from_slice(&body)
                .map_err(|e| fail(format!("token response is not valid: {e}")))?;
            if token
                .token_type
                .as_deref()
                .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
            {
                return Err(fail("token type is not bearer".into()));
            }
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.access_token))
                .map_err(|_| fail("access token is not a valid header value".into()))?;
            value.set_sensitive(true);
            let expires = token.expires_in.map(|secs| {
                let lifetime = Duration::from_secs(secs);
                let margin = REFRESH_MARGIN.min(lifetime / 2);
                Instant::now() + (lifetime - margin)
            });
            Ok(Token { value, expires })
        };
        tokio::time::timeout(shared.request_timeout, fetch)
            .await
            .map_err(|_| fail("token endpoint timed out".into()))?
    }
}

/// `application/x-www-form-urlencoded` encoding of one value (unreserved bytes kept,
/// everything else `%XX`).
fn form_encode(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
}
