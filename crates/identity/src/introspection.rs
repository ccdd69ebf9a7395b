//! OAuth2 token introspection (RFC 7662) for opaque tokens.
//!
//! The gateway authenticates to the endpoint with HTTP Basic (`client_id` /
//! `client_secret`, form-encoded per RFC 6749 §2.3.1). Answers are cached by the SHA-256
//! of the token: an active token until `min(now + cache_ttl, exp)`, a refused one
//! (inactive, expired, missing a required scope) for `cache_ttl`; an unreachable endpoint
//! is never cached.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use quick_cache::sync::Cache;
use serde_json::{Map, Value};

use crate::claims::{self, string_claim};
use crate::jwt::compact::MAX_TOKEN_LEN;
use crate::token_cache::token_hash;
use crate::{AuthMethod, CallerIdentity, Error, HttpClient, TokenError, TokenErrorKind};

type Answer = Result<Arc<CallerIdentity>, TokenError>;

/// Checks opaque tokens with the authorization server's introspection endpoint.
pub struct Introspector {
    endpoint: String,
    authorization: String,
    required_scopes: Vec<String>,
    tenant_claim: String,
    ttl: Duration,
    cache: Cache<[u8; 32], (Answer, Instant)>,
    http: HttpClient,
}

impl std::fmt::Debug for Introspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introspector")
            .field("endpoint", &self.endpoint)
            .field("required_scopes", &self.required_scopes)
            .field("cached", &self.cache.len())
            .finish_non_exhaustive()
    }
}

fn config_error(key: &str, message: &str) -> Error {
    Error::Config {
        path: format!("auth.introspection.{key}"),
        message: message.to_owned(),
    }
}

fn form(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

impl Introspector {
    /// Builds the introspector.
    pub fn new(config: &hangar_config::Introspection, http: HttpClient) -> Result<Self, Error> {
        let endpoint = config
            .endpoint
            .clone()
            .ok_or_else(|| config_error("endpoint", "missing"))?;
        let uri = http::Uri::try_from(endpoint.as_str())
            .map_err(|_| config_error("endpoint", "not a valid url"))?;
        crate::http_client::check_url(&uri)
            .map_err(|e| config_error("endpoint", &e.to_string()))?;
        let id = config
            .client_id
            .as_deref()
            .ok_or_else(|| config_error("client_id", "missing"))?;
        let secret = config
            .client_secret
            .as_ref()
            .ok_or_else(|| config_error("client_secret", "missing"))?;
        let credentials = format!("{}:{}", form(id), form(secret.expose()));
        let authorization = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        );
        Ok(Self {
            endpoint,
            authorization,
            required_scopes: config.required_scopes.clone(),
            tenant_claim: config.tenant_claim.clone(),
            ttl: Duration::from_secs(config.cache_ttl_seconds),
            cache: Cache::new(
                usize::try_from(config.cache_size)
                    .unwrap_or(usize::MAX)
                    .max(1),
            ),
            http,
        })
    }

    /// The scopes `auth.introspection.required_scopes` asks of every token; the
    /// authenticator answers 403 `insufficient_scope` when one is missing.
    pub fn required_scopes(&self) -> &[String] {
        &self.required_scopes
    }

    /// Introspects (or answers from the cache): `active: false` → `Inactive`.
    pub async fn verify(&self, token: &str) -> Result<CallerIdentity, TokenError> {
        if token.is_empty()
            || token.len() > MAX_TOKEN_LEN
            || token.bytes().any(|b| !b.is_ascii_graphic())
        {
            return Err(TokenError::new(
                TokenErrorKind::Malformed,
                "not a bearer token",
            ));
        }
        let key = token_hash(token);
        if let Some((answer, until)) = self.cache.get(&key) {
            if until > Instant::now() {
                return answer.map(|identity| CallerIdentity::clone(&identity));
            }
            self.cache.remove(&key);
        }
        let answer = self.introspect(token).await;
        let now = claims::now();
        let until = match &answer {
            Err(e) if e.kind == TokenErrorKind::Unavailable => return answer,
            Ok(identity) => {
                let left = identity
                    .expires_at
                    .map_or(self.ttl, |exp| Duration::from_secs(exp.saturating_sub(now)));
                Instant::now() + left.min(self.ttl)
            }
            Err(_) => Instant::now() + self.ttl,
        };
        let answer = answer.map(Arc::new);
        self.cache.insert(key, (answer.clone(), until));
        answer.map(|identity| CallerIdentity::clone(&identity))
    }

    /// How many answers are cached.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    async fn introspect(&self, token: &str) -> Result<CallerIdentity, TokenError> {
        let unavailable = |detail: String| TokenError::new(TokenErrorKind::Unavailable, detail);
        let body = format!("token={}&token_type_hint=access_token", form(token));
        let request = http::Request::post(&self.endpoint)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::AUTHORIZATION, &self.authorization)
            .body(body.into_bytes())
            .map_err(|_| unavailable("cannot build the introspection request".into()))?;
        let response = self.http.send(request).await.map_err(|e| {
            tracing::warn!(endpoint = %self.endpoint, error = %e, "introspection failed");
            unavailable(format!("introspection endpoint unreachable: {e}"))
        })?;
        if !response.status().is_success() {
            let status = response.status().as_u16();
            tracing::warn!(endpoint = %self.endpoint, status, "introspection endpoint refused the request");
            return Err(unavailable(format!(
                "introspection endpoint answered http {status}"
            )));
        }
        let answer: Map<String, Value> = serde_json::from_slice(response.body())
            .map_err(|_| unavailable("introspection answer is not a json object".into()))?;
        self.identity(&answer, claims::now())
    }

    /// Maps an introspection answer onto a caller.
    pub(crate) fn identity(
        &self,
        answer: &Map<String, Value>,
        now: u64,
    ) -> Result<CallerIdentity, TokenError> {
        if answer.get("active") != Some(&Value::Bool(true)) {
            return Err(TokenError::new(
                TokenErrorKind::Inactive,
                "token is not active",
            ));
        }
        let exp = answer.get("exp").and_then(Value::as_u64);
        if exp.is_some_and(|exp| exp <= now) {
            return Err(TokenError::new(
                TokenErrorKind::Expired,
                "token has expired",
            ));
        }
        if answer
            .get("nbf")
            .and_then(Value::as_u64)
            .is_some_and(|nbf| nbf > now)
        {
            return Err(TokenError::new(
                TokenErrorKind::NotYetValid,
                "token is not valid yet",
            ));
        }
        let subject = ["sub", "client_id", "username"]
            .into_iter()
            .find_map(|name| {
                string_claim(answer, name)
                    .ok()
                    .flatten()
                    .filter(|s| !s.is_empty())
            })
            .ok_or_else(|| {
                TokenError::new(TokenErrorKind::BadClaims, "answer has no sub or client_id")
            })?;
        let mut identity = CallerIdentity::new(subject, AuthMethod::Introspection);
        identity.scopes = claims::scopes(answer)?;
        identity.tenant_id = claims::tenant(answer, &self.tenant_claim, &[])?;
        identity.issuer = string_claim(answer, "iss")
            .ok()
            .flatten()
            .map(str::to_owned);
        identity.roles = claims::string_list(answer, "roles")?;
        identity.expires_at = exp;
        Ok(identity)
    }
}

#[cfg(test)]
mod tests;
