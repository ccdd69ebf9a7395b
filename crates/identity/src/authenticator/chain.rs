//! The walk over `auth.order` for one request's credential.

use hangar_config::AuthMethodKind;
use rustls::pki_types::CertificateDer;

use super::Authenticator;
use crate::credential::{self, Credential, Shape};
use crate::{CallerIdentity, Rejection, TokenError, TokenErrorKind};

impl Authenticator {
    pub(super) async fn chain(
        &self,
        credential: Option<Credential<'_>>,
        certificate: Option<&CertificateDer<'_>>,
    ) -> Result<CallerIdentity, Rejection> {
        // A bearer value verified before is answered from the cache before the walk:
        // only a JWT or OIDC verifier caches, and which one a value goes to depends on the
        // value alone, so the walk would end at the same cached caller. Not when a client
        // certificate is present, which the walk may prefer (`mtls` earlier in the order).
        let caching = self.cache.is_some() && (self.jwt.is_some() || self.oidc.is_some());
        let cache_checked = match (credential, certificate) {
            (Some(Credential::Bearer(token)), None) if caching => match self.cache_hit(token) {
                Some(caller) => return Ok(caller),
                None => true,
            },
            _ => false,
        };
        let bearer = match credential {
            Some(Credential::Bearer(token)) => Some((token, self.route(token))),
            _ => None,
        };
        let mut api_key_missed = matches!(credential, Some(Credential::ApiKey(_)));
        let mut introspection_error = None;
        for &method in &self.order {
            match (method, credential, &bearer) {
                (AuthMethodKind::Mtls, _, _) => {
                    if let (Some(mtls), Some(certificate)) = (&self.mtls, certificate) {
                        return mtls.identify(certificate);
                    }
                }
                (AuthMethodKind::ApiKey, Some(Credential::ApiKey(key)), _) => {
                    return self.api_keys.verify(key).ok_or(Rejection::InvalidApiKey);
                }
                (AuthMethodKind::ApiKey, _, Some((token, Route::Unclaimed { .. }))) => {
                    match self.api_keys.verify(token) {
                        Some(caller) => return Ok(caller),
                        None => api_key_missed = true,
                    }
                }
                (AuthMethodKind::Jwt, _, Some((token, Route::Jwt | Route::Both))) => {
                    if let Some((jwt, _)) = &self.jwt {
                        if !cache_checked && let Some(caller) = self.cache_hit(token) {
                            return Ok(caller);
                        }
                        return self.remember(token, jwt.verify(token));
                    }
                }
                (AuthMethodKind::Oidc, _, Some((token, Route::Oidc | Route::Both))) => {
                    if let Some((oidc, _)) = &self.oidc {
                        if !cache_checked && let Some(caller) = self.cache_hit(token) {
                            return Ok(caller);
                        }
                        // Boxed: the key fetch behind a miss is a large future, and the
                        // hit above must not carry it (nor copy it) on every request.
                        let verified = Box::pin(oidc.verify(token)).await;
                        return self.remember(token, verified);
                    }
                }
                (AuthMethodKind::Introspection, _, Some((token, Route::Unclaimed { .. }))) => {
                    // Not through the shared token cache: the introspector keeps its own,
                    // bounded by cache_ttl_seconds, so a revoked token stops working then
                    // and not only at its exp.
                    if let Some(introspector) = &self.introspection {
                        // Boxed, like the OIDC miss: an HTTP exchange is a large future.
                        match Box::pin(introspector.verify(token)).await {
                            Ok(caller) if !caller.has_scopes(introspector.required_scopes()) => {
                                return Err(Rejection::InsufficientScope {
                                    required: introspector.required_scopes().to_vec(),
                                });
                            }
                            Ok(caller) => return Ok(caller),
                            Err(error) => {
                                introspection_error = Some(Rejection::InvalidToken(error))
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Err(match (introspection_error, &bearer) {
            (Some(rejection), _) => rejection,
            (None, Some((_, Route::Unclaimed { jwt: true })))
                if self.jwt.is_some() || self.oidc.is_some() =>
            {
                invalid(
                    TokenErrorKind::WrongIssuer,
                    "the token's issuer is not trusted",
                )
            }
            _ if api_key_missed => Rejection::InvalidApiKey,
            (None, Some(_)) => invalid(
                TokenErrorKind::Malformed,
                "no configured method accepts this token",
            ),
            (None, None) => Rejection::MissingCredential,
        })
    }

    /// Which JWT method, if any, a bearer value belongs to (by its unverified `iss`): an
    /// OIDC issuer's token goes to OIDC; the static-key verifier takes its configured
    /// issuer, or, when none is configured, every JWT no OIDC issuer claims.
    pub(super) fn route(&self, token: &str) -> Route {
        let Shape::Jwt { issuer } = credential::shape(token) else {
            return Route::Unclaimed { jwt: false };
        };
        let oidc = self
            .oidc
            .as_ref()
            .is_some_and(|(_, issuers)| issuer.as_ref().is_some_and(|iss| issuers.contains(iss)));
        let jwt = self
            .jwt
            .as_ref()
            .is_some_and(|(_, expected)| match expected {
                Some(expected) => issuer.as_ref() == Some(expected),
                None => !oidc,
            });
        match (jwt, oidc) {
            (true, true) => Route::Both,
            (true, false) => Route::Jwt,
            (false, true) => Route::Oidc,
            (false, false) => Route::Unclaimed { jwt: true },
        }
    }

    /// The cached caller for `token`, if the cache has it.
    fn cache_hit(&self, token: &str) -> Option<CallerIdentity> {
        self.cache.as_ref().and_then(|c| c.get(token))
    }

    /// A verifier's answer for `token`, cached when good.
    fn remember(
        &self,
        token: &str,
        verified: Result<CallerIdentity, TokenError>,
    ) -> Result<CallerIdentity, Rejection> {
        let caller = verified.map_err(Rejection::InvalidToken)?;
        if let Some(cache) = &self.cache {
            cache.insert(token, &caller);
        }
        Ok(caller)
    }
}

/// Where a bearer value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    /// The static-key JWT verifier.
    Jwt,
    /// An OIDC issuer.
    Oidc,
    /// Both claim it (the static issuer is also an OIDC issuer): the first in order decides.
    Both,
    /// No JWT method: API keys and introspection. `jwt`: it looks like a JWT.
    Unclaimed { jwt: bool },
}

fn invalid(kind: TokenErrorKind, detail: &str) -> Rejection {
    Rejection::InvalidToken(TokenError::new(kind, detail))
}

#[cfg(test)]
mod tests;
