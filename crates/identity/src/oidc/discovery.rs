//! Finding an issuer's JWKS: OpenID discovery through `openidconnect`, RFC 8414
//! authorization-server metadata as the fallback, and JWKS fetches.

use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{DiscoveryError, IssuerUrl, JsonWebKeySetUrl};

use crate::HttpClient;
use crate::http_client::HttpError;
use crate::jwt::keys::{Key, KeySet};

/// What discovery yields: where the keys are, and the keys fetched from there.
#[derive(Debug)]
pub(crate) struct Discovered {
    pub(crate) jwks_uri: JsonWebKeySetUrl,
    pub(crate) keys: KeySet,
}

fn describe(error: &DiscoveryError<HttpError>) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.to_lowercase()
}

/// Discovers `issuer` (`/.well-known/openid-configuration`, then
/// `/.well-known/oauth-authorization-server`) and fetches its JWKS.
pub(crate) async fn discover(http: &HttpClient, issuer: &str) -> Result<Discovered, String> {
    let issuer_url =
        IssuerUrl::new(issuer.to_owned()).map_err(|e| format!("bad issuer url: {e}"))?;
    match CoreProviderMetadata::discover_async(issuer_url, http).await {
        Ok(metadata) => Ok(Discovered {
            jwks_uri: metadata.jwks_uri().clone(),
            keys: key_set(metadata.jwks())?,
        }),
        Err(DiscoveryError::Response(status, ..)) if status == http::StatusCode::NOT_FOUND => {
            let jwks_uri = oauth_metadata(http, issuer).await?;
            let keys = fetch_jwks(http, &jwks_uri).await?;
            Ok(Discovered { jwks_uri, keys })
        }
        Err(error) => Err(format!("openid discovery failed: {}", describe(&error))),
    }
}

/// RFC 8414 §3: `https://host/.well-known/oauth-authorization-server{/issuer path}`.
async fn oauth_metadata(http: &HttpClient, issuer: &str) -> Result<JsonWebKeySetUrl, String> {
    #[derive(serde::Deserialize)]
    struct Metadata {
        issuer: String,
        jwks_uri: String,
    }
    let url = url::Url::parse(issuer).map_err(|e| format!("bad issuer url: {e}"))?;
    let path = url.path().trim_end_matches('/');
    let mut metadata_url = url.clone();
    metadata_url.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    let response = http
        .get(metadata_url.as_str())
        .await
        .map_err(|e| format!("rfc 8414 metadata: {e}"))?;
    if !response.status().is_success() {
        return Err(format!(
            "no openid configuration or rfc 8414 metadata (http {})",
            response.status().as_u16()
        ));
    }
    let metadata: Metadata = serde_json::from_slice(response.body())
        .map_err(|e| format!("rfc 8414 metadata is not valid: {e}").to_lowercase())?;
    if metadata.issuer != issuer {
        return Err("rfc 8414 metadata names another issuer".into());
    }
    JsonWebKeySetUrl::new(metadata.jwks_uri).map_err(|e| format!("bad jwks_uri: {e}"))
}

/// Fetches and parses a JWKS.
pub(crate) async fn fetch_jwks(
    http: &HttpClient,
    uri: &JsonWebKeySetUrl,
) -> Result<KeySet, String> {
    let jwks = CoreJsonWebKeySet::fetch_async(uri, http)
        .await
        .map_err(|e| format!("jwks fetch failed: {}", describe(&e)))?;
    key_set(&jwks)
}

/// The usable signing keys of a JWKS, each with its algorithm pinned from the JWK.
/// Keys that cannot be used (encryption keys, unknown types) are skipped.
fn key_set(jwks: &CoreJsonWebKeySet) -> Result<KeySet, String> {
    let keys: Vec<Key> = jwks.keys().iter().filter_map(convert).collect();
    if keys.is_empty() {
        return Err(format!(
            "jwks has no usable signing key (of {})",
            jwks.keys().len()
        ));
    }
    Ok(KeySet::new(keys))
}

fn convert(key: &CoreJsonWebKey) -> Option<Key> {
    let serde_json::Value::Object(map) = serde_json::to_value(key).ok()? else {
        return None;
    };
    let converted = josekit::jwk::Jwk::from_map(map)
        .map_err(|e| e.to_string().to_lowercase())
        .and_then(|jwk| Key::from_jwk(&jwk, None));
    match converted {
        Ok(key) => Some(key),
        Err(error) => {
            tracing::debug!(%error, "skipping a jwks key");
            None
        }
    }
}
