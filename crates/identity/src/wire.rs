//! The one place a [`Rejection`] becomes an HTTP answer: status, `WWW-Authenticate`
//! challenge, JSON body `{"error": "<code>", "message": "…"}`, and the metric reason.
//!
//! | rejection | status | `error` | challenge |
//! |---|---|---|---|
//! | missing credential | 401 | `unauthorized` | `Bearer resource_metadata="…"[, scope="…"], ApiKey` |
//! | token in the query string | 401 | `invalid_request` | `Bearer …, error="invalid_request", error_description="…"` |
//! | malformed / oversized header | 401 | `invalid_request` | `Bearer …, error="invalid_request", error_description="…"` |
//! | bad token | 401 | `invalid_token` | `Bearer …, error="invalid_token", error_description="…"` |
//! | identity provider unreachable | 503 | `temporarily_unavailable` | none (`Retry-After: 5`) |
//! | missing scope | 403 | `insufficient_scope` | `Bearer …, error="insufficient_scope", scope="…", error_description="…"` |
//! | wrong API key | 403 | `forbidden` | none |
//! | certificate not allowed | 403 | `forbidden` | none |
//! | admin permission missing | 403 | `forbidden` | none |

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::Full;

use crate::{Rejection, TokenErrorKind};

/// An HTTP answer: status, headers, body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WireAnswer {
    /// The status.
    pub status: StatusCode,
    /// `Content-Type`, `Cache-Control`, and `WWW-Authenticate` / `Retry-After` when due.
    pub headers: HeaderMap,
    /// The JSON body.
    pub body: Bytes,
}

impl WireAnswer {
    /// A JSON answer.
    pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Self {
            status,
            headers,
            body: body.into(),
        }
    }

    /// The answer as a hyper-compatible response.
    pub fn into_response(self) -> http::Response<Full<Bytes>> {
        let mut response = http::Response::new(Full::new(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

/// What the challenges of one gateway say: the metadata URL, the scopes it asks for, and
/// whether API keys are configured (for the wording of the 401 body).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    resource_metadata: Option<String>,
    scopes: Vec<String>,
    api_keys: bool,
}

impl Challenge {
    /// Challenges pointing at `resource_metadata` (RFC 9728 metadata URL) and asking for
    /// `scopes`; `api_keys`: whether API keys are configured.
    pub fn new(resource_metadata: Option<String>, scopes: Vec<String>, api_keys: bool) -> Self {
        Self {
            resource_metadata,
            scopes,
            api_keys,
        }
    }

    /// The answer to `rejection`.
    pub fn answer(&self, rejection: &Rejection) -> WireAnswer {
        let (status, error, message, challenge) = match rejection {
            Rejection::MissingCredential => {
                let scope = (!self.scopes.is_empty()).then(|| self.scopes.join(" "));
                let message = if self.api_keys { "API key required" } else { "Authentication required" };
                let bearer = self.bearer(&[("scope", scope)]);
                (StatusCode::UNAUTHORIZED, "unauthorized", message.to_owned(), Some(format!("{bearer}, ApiKey")))
            }
            Rejection::TokenInQuery => self.invalid_request(
                "Credentials are not accepted in the query string; send them in the Authorization header",
                "credentials are not accepted in the query string",
            ),
            Rejection::MalformedHeader => self.invalid_request(
                "Malformed or oversized credential header",
                "malformed or oversized credential header",
            ),
            Rejection::InvalidToken(error) if error.kind == TokenErrorKind::Unavailable => {
                let message = "The identity provider cannot be reached; retry later";
                let mut answer = body(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", message);
                answer.headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                return answer;
            }
            Rejection::InvalidToken(error) => {
                let description = description(&error.detail);
                let bearer = self.bearer(&[
                    ("error", Some("invalid_token".to_owned())),
                    ("error_description", Some(description.clone())),
                ]);
                (StatusCode::UNAUTHORIZED, "invalid_token", format!("Invalid token: {description}"), Some(bearer))
            }
            Rejection::InsufficientScope { required } => {
                let scope = required.join(" ");
                let bearer = self.bearer(&[
                    ("error", Some("insufficient_scope".to_owned())),
                    ("scope", Some(description(&scope))),
                    ("error_description", Some("the token lacks a required scope".to_owned())),
                ]);
                (StatusCode::FORBIDDEN, "insufficient_scope", format!("Insufficient scope: requires {scope}"), Some(bearer))
            }
            Rejection::InvalidApiKey => (StatusCode::FORBIDDEN, "forbidden", "Invalid API key".to_owned(), None),
            Rejection::CertificateNotAllowed { .. } => {
                (StatusCode::FORBIDDEN, "forbidden", "Client certificate not allowed".to_owned(), None)
            }
            Rejection::PermissionDenied { permission } => {
                (StatusCode::FORBIDDEN, "forbidden", format!("Permission {permission} required"), None)
            }
        };
        let mut answer = body(status, error, &message);
        if let Some(value) = challenge.and_then(|c| HeaderValue::try_from(c).ok()) {
            answer.headers.insert(header::WWW_AUTHENTICATE, value);
        }
        answer
    }

    fn invalid_request(
        &self,
        message: &str,
        description: &str,
    ) -> (StatusCode, &'static str, String, Option<String>) {
        let bearer = self.bearer(&[
            ("error", Some("invalid_request".to_owned())),
            ("error_description", Some(description.to_owned())),
        ]);
        (
            StatusCode::UNAUTHORIZED,
            "invalid_request",
            message.to_owned(),
            Some(bearer),
        )
    }

    /// `Bearer resource_metadata="…", name="value", …` (parameters that are `None` left out).
    fn bearer(&self, params: &[(&str, Option<String>)]) -> String {
        let mut out = String::from("Bearer");
        let metadata = self
            .resource_metadata
            .clone()
            .map(|url| ("resource_metadata", Some(url)));
        let all = metadata
            .iter()
            .chain(params)
            .filter_map(|(name, value)| Some((name, value.as_ref()?)));
        for (i, (name, value)) in all.enumerate() {
            out.push_str(if i == 0 { " " } else { ", " });
            out.push_str(&format!("{name}=\"{value}\""));
        }
        out
    }
}

/// A JSON error body answer, never cached.
fn body(status: StatusCode, error: &str, message: &str) -> WireAnswer {
    let body = serde_json::json!({ "error": error, "message": message });
    let mut answer = WireAnswer::json(status, body.to_string());
    answer
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    answer
}

/// Text fit for a quoted challenge parameter (RFC 6750 §3: printable ASCII without `"`
/// and `\`), at most 200 characters.
fn description(text: &str) -> String {
    text.chars()
        .map(|c| {
            if (' '..='~').contains(&c) && c != '"' && c != '\\' {
                c
            } else {
                '?'
            }
        })
        .take(200)
        .collect()
}

impl Rejection {
    /// The status this rejection is answered with.
    pub fn status(&self) -> StatusCode {
        Challenge::default().answer(self).status
    }

    /// A short stable code for metrics (`mcp_gateway_auth_failure_total{reason=…}`) and
    /// audit records: `missing_credential`, `invalid_api_key`, `token_in_query`,
    /// `malformed_header`, `insufficient_scope`, `certificate_not_allowed`,
    /// `permission_denied`, or for a bad token its kind (`expired`, `bad_signature`, …).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingCredential => "missing_credential",
            Self::InvalidApiKey => "invalid_api_key",
            Self::InvalidToken(error) => error.kind.code(),
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::CertificateNotAllowed { .. } => "certificate_not_allowed",
            Self::TokenInQuery => "token_in_query",
            Self::MalformedHeader => "malformed_header",
            Self::PermissionDenied { .. } => "permission_denied",
        }
    }
}

#[cfg(test)]
mod tests;
