//! `auth.oidc`, `auth.jwt`, `auth.introspection`, `auth.mtls`.

use std::collections::BTreeMap;

use super::Validator;
use super::flag;
use crate::model::{Introspection, Jwt, Mtls, Oidc, OidcIssuer};
use crate::path::YamlPath;
use crate::raw::{RawIntrospection, RawJwt, RawMtls, RawOidc, Text};

const DEFAULT_TENANT_CLAIM: &str = "tenant_id";
const DEFAULT_ROLES_CLAIM: &str = "roles";
const DEFAULT_CLOCK_SKEW_SECONDS: u64 = 60;
const DEFAULT_CACHE_TTL_SECONDS: u64 = 60;
const DEFAULT_CACHE_SIZE: u64 = 10_000;
const DEFAULT_JWKS_CACHE_SECONDS: u64 = 300;
const DEFAULT_JWKS_MIN_REFRESH_SECONDS: u64 = 10;

const UNBOUND_AUDIENCE: &str = "set audience or resource_uri: without one, tokens the issuer minted for other services would be accepted";

impl Validator<'_, '_> {
    pub(super) fn oidc(&mut self, path: &YamlPath, raw: RawOidc) -> Oidc {
        let enabled = flag(raw.enabled);
        let issuer = raw
            .issuer
            .and_then(|t| self.issuer_url(&path.key("issuer"), t));
        let audience = self.optional_name(&path.key("audience"), raw.audience);
        let resource_uri = raw
            .resource_uri
            .and_then(|t| self.resource_url(&path.key("resource_uri"), t));
        let tenant_claim = self.claim(
            &path.key("tenant_claim"),
            raw.tenant_claim,
            DEFAULT_TENANT_CLAIM,
        );
        let scopes_supported = self.scopes(&path.key("scopes_supported"), raw.scopes_supported);
        let mut issuers = Vec::new();
        for (i, entry) in raw.issuers.unwrap_or_default().into_iter().enumerate() {
            let entry_path = path.key("issuers").index(i);
            let entry_issuer = self
                .required(&entry_path, "issuer", entry.issuer, "")
                .and_then(|t| self.issuer_url(&entry_path.key("issuer"), Text(t)));
            let entry_audience = self
                .optional_name(&entry_path.key("audience"), entry.audience)
                .or_else(|| audience.clone());
            let entry_resource = entry
                .resource_uri
                .and_then(|t| self.resource_url(&entry_path.key("resource_uri"), t))
                .or_else(|| resource_uri.clone());
            if enabled && entry_audience.is_none() && entry_resource.is_none() {
                self.report(&entry_path.key("audience"), UNBOUND_AUDIENCE);
            }
            let entry_claim = self
                .optional_name(&entry_path.key("tenant_claim"), entry.tenant_claim)
                .unwrap_or_else(|| tenant_claim.clone());
            let allowed_tenants = self.names(
                &entry_path.key("allowed_tenants"),
                entry.allowed_tenants,
                "tenant id",
            );
            issuers.push(OidcIssuer {
                issuer: entry_issuer.unwrap_or_default(),
                audience: entry_audience,
                resource_uri: entry_resource,
                tenant_claim: entry_claim,
                allowed_tenants,
            });
        }
        if enabled {
            if issuer.is_none() && issuers.is_empty() {
                self.missing(
                    &path.key("issuer"),
                    "missing key \"issuer\" (required when oidc is enabled, unless issuers is set)",
                );
            }
            if issuer.is_some() && audience.is_none() && resource_uri.is_none() {
                self.report(&path.key("audience"), UNBOUND_AUDIENCE);
            }
        }
        Oidc {
            enabled,
            issuer,
            audience,
            resource_uri,
            tenant_claim,
            scopes_supported,
            issuers,
            roles_claim: self.claim(
                &path.key("roles_claim"),
                raw.roles_claim,
                DEFAULT_ROLES_CLAIM,
            ),
            clock_skew_seconds: raw
                .clock_skew_seconds
                .map_or(DEFAULT_CLOCK_SKEW_SECONDS, |c| c.0),
            max_lifetime_seconds: raw.max_lifetime_seconds.map(|c| c.0),
            jwks_cache_seconds: raw
                .jwks_cache_seconds
                .map_or(DEFAULT_JWKS_CACHE_SECONDS, |c| c.0),
            jwks_min_refresh_seconds: raw
                .jwks_min_refresh_seconds
                .map_or(DEFAULT_JWKS_MIN_REFRESH_SECONDS, |c| c.0),
        }
    }

    pub(super) fn jwt(&mut self, path: &YamlPath, raw: RawJwt) -> Jwt {
        let enabled = flag(raw.enabled);
        let secret = self.secret(&path.key("secret"), raw.secret);
        let public_key_file = raw
            .public_key_file
            .and_then(|t| self.path_value(&path.key("public_key_file"), t));
        match raw.algorithm {
            Some(algorithm) if algorithm.is_hmac() => {
                if public_key_file.is_some() {
                    self.report(
                        &path.key("public_key_file"),
                        format!("not used with {algorithm:?} (hmac algorithms take a secret)"),
                    );
                }
                if enabled && secret.is_none() {
                    self.missing(
                        &path.key("secret"),
                        format!("missing key \"secret\" (required for {algorithm:?})"),
                    );
                }
            }
            Some(algorithm) => {
                if secret.is_some() {
                    self.report(
                        &path.key("secret"),
                        format!("not used with {algorithm:?} (asymmetric algorithms take a public_key_file)"),
                    );
                }
                if enabled && public_key_file.is_none() {
                    self.missing(
                        &path.key("public_key_file"),
                        format!("missing key \"public_key_file\" (required for {algorithm:?})"),
                    );
                }
            }
            None if enabled => self.missing(
                &path.key("algorithm"),
                "missing key \"algorithm\" (required when jwt is enabled)",
            ),
            None => {}
        }
        Jwt {
            enabled,
            algorithm: raw.algorithm,
            secret,
            public_key_file,
            issuer: self.optional_name(&path.key("issuer"), raw.issuer),
            audience: self.optional_name(&path.key("audience"), raw.audience),
            clock_skew_seconds: raw
                .clock_skew_seconds
                .map_or(DEFAULT_CLOCK_SKEW_SECONDS, |c| c.0),
            max_lifetime_seconds: raw.max_lifetime_seconds.map(|c| c.0),
            tenant_claim: self.claim(
                &path.key("tenant_claim"),
                raw.tenant_claim,
                DEFAULT_TENANT_CLAIM,
            ),
            roles_claim: self.claim(
                &path.key("roles_claim"),
                raw.roles_claim,
                DEFAULT_ROLES_CLAIM,
            ),
            required_typ: self.optional_name(&path.key("required_typ"), raw.required_typ),
        }
    }

    pub(super) fn introspection(
        &mut self,
        path: &YamlPath,
        raw: RawIntrospection,
    ) -> Introspection {
        let enabled = flag(raw.enabled);
        let endpoint = match raw.endpoint {
            Some(t) => self.issuer_url(&path.key("endpoint"), t),
            None => {
                if enabled {
                    self.missing(
                        &path.key("endpoint"),
                        "missing key \"endpoint\" (required when introspection is enabled)",
                    );
                }
                None
            }
        };
        let client_id = match raw.client_id {
            Some(t) => self.optional_name(&path.key("client_id"), Some(t)),
            None => {
                if enabled {
                    self.missing(
                        &path.key("client_id"),
                        "missing key \"client_id\" (required when introspection is enabled)",
                    );
                }
                None
            }
        };
        let client_secret = match raw.client_secret {
            Some(t) => self.secret(&path.key("client_secret"), Some(t)),
            None => {
                if enabled {
                    self.missing(
                        &path.key("client_secret"),
                        "missing key \"client_secret\" (required when introspection is enabled)",
                    );
                }
                None
            }
        };
        Introspection {
            enabled,
            endpoint,
            client_id,
            client_secret,
            required_scopes: self.scopes(&path.key("required_scopes"), raw.required_scopes),
            cache_ttl_seconds: raw
                .cache_ttl_seconds
                .map_or(DEFAULT_CACHE_TTL_SECONDS, |c| c.0),
            cache_size: raw.cache_size.map_or(DEFAULT_CACHE_SIZE, |c| c.0),
            tenant_claim: self.claim(
                &path.key("tenant_claim"),
                raw.tenant_claim,
                DEFAULT_TENANT_CLAIM,
            ),
        }
    }

    pub(super) fn mtls(&mut self, path: &YamlPath, raw: RawMtls) -> Mtls {
        let enabled = flag(raw.enabled);
        let ca_file = raw
            .ca_file
            .and_then(|t| self.path_value(&path.key("ca_file"), t));
        if enabled && ca_file.is_none() {
            self.missing(
                &path.key("ca_file"),
                "missing key \"ca_file\" (required when mtls is enabled)",
            );
        }
        let crl_file = raw
            .crl_file
            .and_then(|t| self.path_value(&path.key("crl_file"), t));
        let allowed_subjects = self.names(
            &path.key("allowed_subjects"),
            raw.allowed_subjects,
            "subject",
        );
        let mut tenant_map = BTreeMap::new();
        for (subject, Text(tenant)) in raw.tenant_map.unwrap_or_default() {
            let entry_path = path.key("tenant_map").key(&subject);
            if subject.trim().is_empty() {
                self.report(&entry_path, "empty subject pattern");
            }
            if tenant.trim().is_empty() {
                self.report(&entry_path, "empty tenant id");
            }
            tenant_map.insert(subject, tenant);
        }
        Mtls {
            enabled,
            ca_file,
            crl_file,
            allowed_subjects,
            tenant_map,
            client_auth: raw.client_auth.unwrap_or_default(),
        }
    }

    /// A claim name: not empty when written, `default` otherwise.
    fn claim(&mut self, path: &YamlPath, value: Option<Text>, default: &str) -> String {
        self.optional_name(path, value)
            .unwrap_or_else(|| default.to_owned())
    }
}
