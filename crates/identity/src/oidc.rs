//! OpenID Connect: discovery, JWKS cache, access-token verification.
//!
//! A token is routed to its issuer by its (not yet trusted) `iss`; an issuer that is not
//! configured is refused with `WrongIssuer` before any network call. The signature is
//! then checked with that issuer's JWKS (see `issuer` for the cache and refresh rules),
//! and the claims with [`crate::claims`]: `aud` must name the issuer's `resource_uri`
//! (RFC 8707) or `audience`, `exp` is required, the tenant comes from `tenant_claim` and
//! must be one of the issuer's `allowed_tenants` when that list is set.

mod discovery;
mod issuer;

use std::sync::Arc;
use std::time::Duration;

use crate::claims::{self, ClaimRules};
use crate::jwt::compact;
use crate::{AuthMethod, CallerIdentity, Error, HttpClient, TokenError, TokenErrorKind};
use issuer::{Issuer, IssuerConfig};

/// Verifies access tokens from one or more OpenID providers.
#[derive(Debug)]
pub struct OidcVerifier {
    issuers: Vec<Arc<Issuer>>,
}

impl OidcVerifier {
    /// Builds the verifier. Does not fail when a provider is down: discovery and JWKS
    /// fetches are retried lazily, rate limited.
    pub fn new(config: &hangar_config::Oidc, http: HttpClient) -> Result<Self, Error> {
        let mut entries = Vec::new();
        if let Some(url) = &config.issuer {
            let audiences = [&config.resource_uri, &config.audience];
            entries.push((
                "auth.oidc".to_owned(),
                url,
                audiences,
                &config.tenant_claim,
                &[][..],
            ));
        }
        for (i, extra) in config.issuers.iter().enumerate() {
            let audiences = [&extra.resource_uri, &extra.audience];
            let path = format!("auth.oidc.issuers[{i}]");
            entries.push((
                path,
                &extra.issuer,
                audiences,
                &extra.tenant_claim,
                &extra.allowed_tenants[..],
            ));
        }
        let mut issuers: Vec<Arc<Issuer>> = Vec::new();
        for (path, url, audiences, tenant_claim, allowed) in entries {
            let error = |message: &str| Error::Config {
                path: path.clone(),
                message: message.to_owned(),
            };
            if issuers.iter().any(|i| &i.config.url == url) {
                return Err(error("issuer is listed twice"));
            }
            let parsed = http::Uri::try_from(url.as_str())
                .map_err(|_| error("issuer is not a valid url"))?;
            crate::http_client::check_url(&parsed).map_err(|e| error(&e.to_string()))?;
            let audiences: Vec<String> = audiences.into_iter().flatten().cloned().collect();
            if audiences.is_empty() {
                return Err(error(
                    "set resource_uri or audience (tokens must be bound to this gateway)",
                ));
            }
            let rules = ClaimRules {
                issuer: Some(url.clone()),
                audiences,
                clock_skew: config.clock_skew_seconds,
                max_lifetime: config.max_lifetime_seconds,
                required_typ: None,
                tenant_claim: tenant_claim.clone(),
                roles_claim: config.roles_claim.clone(),
                allowed_tenants: allowed.to_vec(),
            };
            let issuer_config = IssuerConfig {
                url: url.clone(),
                rules,
                cache_ttl: Duration::from_secs(config.jwks_cache_seconds),
                min_refresh: Duration::from_secs(config.jwks_min_refresh_seconds),
            };
            issuers.push(Arc::new(Issuer::new(issuer_config, http.clone())));
        }
        if issuers.is_empty() {
            return Err(Error::Config {
                path: "auth.oidc.issuer".into(),
                message: "no issuer configured".into(),
            });
        }
        Ok(Self { issuers })
    }

    /// Verifies an access token: signature (JWKS, key by `kid`), issuer, audience /
    /// resource (RFC 8707), lifetime, tenant claim, allowed tenants.
    pub async fn verify(&self, token: &str) -> Result<CallerIdentity, TokenError> {
        let jws = compact::parse(token)?;
        // Read before the signature is checked only to pick the issuer's keys.
        let claims = jws.claims()?;
        let iss = claims::string_claim(&claims, "iss")
            .ok()
            .flatten()
            .ok_or_else(|| TokenError::new(TokenErrorKind::WrongIssuer, "token has no iss"))?;
        let issuer = self
            .issuers
            .iter()
            .find(|issuer| issuer.config.url == iss)
            .ok_or_else(|| {
                TokenError::new(TokenErrorKind::WrongIssuer, "token issuer is not trusted")
            })?;
        issuer.verify_signature(&jws).await?;
        claims::validate(
            &issuer.config.rules,
            jws.header.typ.as_deref(),
            &claims,
            claims::now(),
            AuthMethod::Oidc,
        )
    }

    /// The trusted issuer URLs (for RFC 9728 `authorization_servers`).
    pub fn issuers(&self) -> Vec<String> {
        self.issuers.iter().map(|i| i.config.url.clone()).collect()
    }

    /// Discovers every issuer and fetches its keys now rather than on the first token
    /// (call it at start-up; never fails: an unreachable provider is retried lazily).
    /// Answers how many issuers have keys.
    pub async fn warm_up(&self) -> usize {
        let mut ready = 0;
        for issuer in &self.issuers {
            if issuer.warm_up().await {
                ready += 1;
            }
        }
        ready
    }
}

#[cfg(test)]
mod tests;
