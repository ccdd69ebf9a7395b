//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the document and where it is served.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

use crate::{Error, WireAnswer};

/// The well-known path of the metadata document (RFC 9728 §3).
pub const WELL_KNOWN_PATH: &str = "/.well-known/oauth-protected-resource";

/// The metadata document of this gateway as a protected resource, and the URLs it is
/// served at.
///
/// For the resource `https://hangar.example.com/mcp` the metadata URL is
/// `https://hangar.example.com/.well-known/oauth-protected-resource/mcp` (RFC 9728 §3.1:
/// the well-known suffix goes between the host and the path); the document is served
/// there and at the root form `/.well-known/oauth-protected-resource`, which clients that
/// know only the origin ask first.
#[derive(Debug, Clone)]
pub struct ResourceMetadata {
    resource: String,
    url: String,
    paths: Vec<String>,
    body: Bytes,
}

#[derive(serde::Serialize)]
struct Document<'a> {
    resource: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    authorization_servers: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    scopes_supported: &'a [String],
    bearer_methods_supported: [&'static str; 1],
}

impl ResourceMetadata {
    /// The metadata of `resource` (an absolute http(s) URL without fragment), trusting
    /// `authorization_servers` and listing `scopes_supported`. Tokens are accepted in the
    /// `Authorization` header only (`bearer_methods_supported: ["header"]`).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `resource` is not an absolute http(s) URL.
    pub fn new(
        resource: &str,
        authorization_servers: &[String],
        scopes_supported: &[String],
    ) -> Result<Self, Error> {
        let invalid = |message: &str| Error::Config {
            path: "auth.oidc.resource_uri".to_owned(),
            message: format!("{resource:?}: {message}"),
        };
        let parsed = url::Url::parse(resource).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(invalid("not an absolute http or https url"));
        }
        if parsed.fragment().is_some() {
            return Err(invalid("must not contain a fragment"));
        }
        let suffix = parsed.path().trim_end_matches('/');
        let mut paths = vec![WELL_KNOWN_PATH.to_owned()];
        if !suffix.is_empty() {
            paths.push(format!("{WELL_KNOWN_PATH}{suffix}"));
        }
        let mut url = format!(
            "{}{}",
            parsed.origin().ascii_serialization(),
            paths.last().map_or(WELL_KNOWN_PATH, String::as_str)
        );
        if let Some(query) = parsed.query() {
            url.push('?');
            url.push_str(query);
        }
        let document = Document {
            resource,
            authorization_servers,
            scopes_supported,
            bearer_methods_supported: ["header"],
        };
        let body = serde_json::to_vec(&document).map_err(|e| invalid(&e.to_string()))?;
        Ok(Self {
            resource: resource.to_owned(),
            url,
            paths,
            body: Bytes::from(body),
        })
    }

    /// The resource identifier, as configured.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The metadata URL, as advertised in `WWW-Authenticate: Bearer resource_metadata="…"`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The request paths the document is served at: the root form, then the
    /// path-suffixed form when the resource has a path.
    pub fn well_known_paths(&self) -> &[String] {
        &self.paths
    }

    /// Whether a request for `path` is a request for this document.
    pub fn serves(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path)
    }

    /// The document, as JSON.
    pub fn document(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// The `200` answer carrying the document (JSON, cacheable for an hour).
    pub fn answer(&self) -> WireAnswer {
        let mut answer = WireAnswer::json(StatusCode::OK, self.body.clone());
        answer.headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
        answer
    }
}

/// The metadata `auth` describes: present when OIDC is enabled and a `resource_uri` is
/// configured (the main one, else the first issuer's).
pub(crate) fn from_config(auth: &hangar_config::Auth) -> Result<Option<ResourceMetadata>, Error> {
    let Some(oidc) = auth.oidc.as_ref().filter(|o| o.enabled) else {
        return Ok(None);
    };
    let Some(resource) = oidc
        .resource_uri
        .as_ref()
        .or_else(|| oidc.issuers.iter().find_map(|i| i.resource_uri.as_ref()))
    else {
        return Ok(None);
    };
    let mut servers: Vec<String> = Vec::new();
    for issuer in oidc
        .issuer
        .iter()
        .chain(oidc.issuers.iter().map(|i| &i.issuer))
    {
        if !servers.contains(issuer) {
            servers.push(issuer.clone());
        }
    }
    let mut scopes = oidc.scopes_supported.clone();
    for scope in &auth.required_scopes {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    ResourceMetadata::new(resource, &servers, &scopes).map(Some)
}

#[cfg(test)]
mod tests;
