//! The chain: finds the request's credential and lets the configured methods, in the
//! configured order, decide who the caller is.

use hangar_config::AuthMethodKind;
use http::{HeaderMap, Uri};
use rustls::pki_types::CertificateDer;

use crate::api_key::ApiKeys;
use crate::credential::{self, Credential};
use crate::discovery::{self, ResourceMetadata};
use crate::{
    AuthMethod, CallerIdentity, Challenge, Error, HttpClient, Introspector, JwtVerifier,
    MtlsIdentity, OidcVerifier, Rejection, TokenCache, WireAnswer,
};

/// What [`Authenticator::authenticate`] looks at in a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// The request headers (`Authorization`, `X-API-Key`).
    pub headers: &'a HeaderMap,
    /// The request target (its query string is checked for credentials).
    pub uri: &'a Uri,
    /// The client certificate the TLS layer verified on this connection, if any.
    pub client_certificate: Option<&'a CertificateDer<'a>>,
}

/// Turns requests into callers, with the methods of `auth` tried in `auth.order`.
///
/// Rules (docs/authentication.md has the whole story):
/// - credentials in the query string (`access_token`, `api_key`, `token`) are refused;
/// - the chain walks `auth.order`; each method looks for its own credential (mTLS: the
///   client certificate; API keys: `X-API-Key` or an opaque `Bearer` value; JWT / OIDC: a
///   `Bearer` JWT whose `iss` is theirs; introspection: a `Bearer` value no JWT method
///   claimed). The first method that finds its credential decides, except that a `Bearer`
///   value matching no API key, or refused by introspection, is still offered to the
///   bearer methods after it;
/// - verified tokens are cached (by a hash of the token) until they expire;
/// - token callers must hold every `auth.required_scopes` scope.
#[derive(Debug)]
pub struct Authenticator {
    enabled: bool,
    allow_anonymous: bool,
    per_message: bool,
    order: Vec<AuthMethodKind>,
    api_keys: ApiKeys,
    jwt: Option<(JwtVerifier, Option<String>)>,
    oidc: Option<(OidcVerifier, Vec<String>)>,
    introspection: Option<Introspector>,
    mtls: Option<MtlsIdentity>,
    cache: Option<TokenCache>,
    required_scopes: Vec<String>,
    metadata: Option<ResourceMetadata>,
    challenge: Challenge,
}

impl Authenticator {
    /// Builds every enabled method of `auth` (nothing when `auth.enabled` is false: every
    /// request is then anonymous).
    ///
    /// # Errors
    ///
    /// A method that cannot be built (unreadable key file, bad resource URI, …).
    pub fn new(auth: &hangar_config::Auth, http: HttpClient) -> Result<Self, Error> {
        let on = |enabled: bool| auth.enabled && enabled;
        let jwt = match auth.jwt.as_ref().filter(|j| on(j.enabled)) {
            Some(config) => Some((JwtVerifier::new(config)?, config.issuer.clone())),
            None => None,
        };
        let oidc = match auth.oidc.as_ref().filter(|o| on(o.enabled)) {
            Some(config) => {
                let verifier = OidcVerifier::new(config, http.clone())?;
                let issuers = verifier.issuers();
                Some((verifier, issuers))
            }
            None => None,
        };
        let introspection = match auth.introspection.as_ref().filter(|i| on(i.enabled)) {
            Some(config) => Some(Introspector::new(config, http)?),
            None => None,
        };
        let mtls = match auth.mtls.as_ref().filter(|m| on(m.enabled)) {
            Some(config) => Some(MtlsIdentity::new(config)?),
            None => None,
        };
        let api_keys = ApiKeys::new(if auth.enabled { &auth.api_keys } else { &[] });
        let metadata = if auth.enabled {
            discovery::from_config(auth)?
        } else {
            None
        };
        let challenge = Challenge::new(
            metadata.as_ref().map(|m| m.url().to_owned()),
            auth.required_scopes.clone(),
            !api_keys.is_empty(),
        );
        let mut authenticator = Self {
            enabled: auth.enabled,
            allow_anonymous: auth.allow_anonymous,
            per_message: auth.enabled && auth.per_message.enabled,
            order: Vec::new(),
            api_keys,
            jwt,
            oidc,
            introspection,
            mtls,
            cache: usize::try_from(auth.token_cache_size)
                .ok()
                .filter(|&size| size > 0)
                .map(TokenCache::new),
            required_scopes: auth.required_scopes.clone(),
            metadata,
            challenge,
        };
        authenticator.order = auth
            .order
            .iter()
            .copied()
            .filter(|&m| authenticator.is_enabled(m))
            .collect();
        Ok(authenticator)
    }

    fn is_enabled(&self, method: AuthMethodKind) -> bool {
        match method {
            AuthMethodKind::ApiKey => !self.api_keys.is_empty(),
            AuthMethodKind::Mtls => self.mtls.is_some(),
            AuthMethodKind::Jwt => self.jwt.is_some(),
            AuthMethodKind::Oidc => self.oidc.is_some(),
            AuthMethodKind::Introspection => self.introspection.is_some(),
            _ => false,
        }
    }

    /// The enabled methods, in the order they are tried.
    pub fn order(&self) -> &[AuthMethodKind] {
        &self.order
    }

    /// Who sent `request`, or why it is refused (answer it with [`Authenticator::answer`]).
    pub async fn authenticate(
        &self,
        request: &RequestContext<'_>,
    ) -> Result<CallerIdentity, Rejection> {
        if !self.enabled {
            return Ok(CallerIdentity::anonymous());
        }
        credential::reject_query_credentials(request.uri)?;
        let credential = credential::extract(request.headers)?;
        let certificate = request.client_certificate.filter(|_| self.mtls.is_some());
        if credential.is_none() && certificate.is_none() {
            return if self.allow_anonymous {
                Ok(CallerIdentity::anonymous())
            } else {
                Err(Rejection::MissingCredential)
            };
        }
        let caller = self.chain(credential, certificate).await?;
        self.check_scopes(caller)
    }

    /// Whether `auth.per_message.enabled` is set.
    pub fn per_message(&self) -> bool {
        self.per_message
    }

    /// Who sent a message carrying `token` in `params._auth.token` (see
    /// [`message_token`](crate::message_token)): the token goes through the bearer
    /// methods and the cache exactly like an `Authorization: Bearer` value.
    pub async fn authenticate_message(&self, token: &str) -> Result<CallerIdentity, Rejection> {
        let token = credential::check_message_token(token)?;
        let caller = self.chain(Some(Credential::Bearer(token)), None).await?;
        self.check_scopes(caller)
    }

    /// The RFC 9728 metadata document, when OIDC and a `resource_uri` are configured.
    pub fn resource_metadata(&self) -> Option<&ResourceMetadata> {
        self.metadata.as_ref()
    }

    /// The HTTP answer to a rejection (status, challenge, JSON body).
    pub fn answer(&self, rejection: &Rejection) -> WireAnswer {
        self.challenge.answer(rejection)
    }

    /// The client-certificate identity (its `client_verifier` is for the TLS listener).
    pub fn mtls(&self) -> Option<&MtlsIdentity> {
        self.mtls.as_ref()
    }

    /// The verified-token cache, if `token_cache_size` is not 0.
    pub fn token_cache(&self) -> Option<&TokenCache> {
        self.cache.as_ref()
    }

    /// Token callers must hold every required scope; API-key, mTLS and anonymous callers
    /// carry no scopes and are not checked.
    fn check_scopes(&self, caller: CallerIdentity) -> Result<CallerIdentity, Rejection> {
        let token = matches!(
            caller.method,
            AuthMethod::Jwt | AuthMethod::Oidc | AuthMethod::Introspection
        );
        if token && !caller.has_scopes(&self.required_scopes) {
            return Err(Rejection::InsufficientScope {
                required: self.required_scopes.clone(),
            });
        }
        Ok(caller)
    }
}

/// The per-message token of a JSON-RPC message's `params`: `params._auth.token`.
pub fn message_token(params: &serde_json::Value) -> Option<&str> {
    params.get("_auth")?.get("token")?.as_str()
}

mod chain;

#[cfg(test)]
mod tests;
