//! `auth`: the block itself, its method order and the API keys. The token and
//! certificate methods are in `auth_methods`.

use std::collections::HashMap;

use super::{Validator, flag};
use crate::model::{ApiKey, ApiKeySecret, Auth, AuthMethodKind, PerMessage, Secret};
use crate::path::YamlPath;
use crate::raw::{RawApiKey, RawAuth, Text};

impl Validator<'_, '_> {
    pub(super) fn auth(&mut self, path: &YamlPath, raw: RawAuth) -> Auth {
        let mut auth = Auth {
            enabled: flag(raw.enabled),
            allow_anonymous: flag(raw.allow_anonymous),
            api_keys: self.api_keys(&path.key("api_keys"), raw.api_keys.unwrap_or_default()),
            oidc: raw.oidc.map(|o| self.oidc(&path.key("oidc"), o)),
            jwt: raw.jwt.map(|j| self.jwt(&path.key("jwt"), j)),
            introspection: raw
                .introspection
                .map(|i| self.introspection(&path.key("introspection"), i)),
            mtls: raw.mtls.map(|m| self.mtls(&path.key("mtls"), m)),
            required_scopes: self.scopes(&path.key("required_scopes"), raw.required_scopes),
            ..Auth::default()
        };
        auth.per_message = PerMessage {
            enabled: flag(raw.per_message.and_then(|p| p.enabled)),
        };
        if let Some(size) = raw.token_cache_size {
            auth.token_cache_size = size.0;
        }
        if let Some(order) = raw.order {
            auth.order = self.order(&path.key("order"), order, &auth);
        }
        auth
    }

    /// An explicit `auth.order`: no duplicates, every enabled method named.
    fn order(
        &mut self,
        path: &YamlPath,
        order: Vec<AuthMethodKind>,
        auth: &Auth,
    ) -> Vec<AuthMethodKind> {
        let mut seen: HashMap<AuthMethodKind, usize> = HashMap::new();
        for (i, &method) in order.iter().enumerate() {
            if let Some(first) = seen.insert(method, i) {
                self.report(
                    &path.index(i),
                    format!(
                        "duplicate method {:?} (also at {path}[{first}])",
                        method.as_str()
                    ),
                );
            }
        }
        for method in AuthMethodKind::DEFAULT_ORDER {
            if is_enabled(auth, method) && !order.contains(&method) {
                self.report(
                    path,
                    format!(
                        "enabled method {:?} is missing (an explicit order must name every enabled method)",
                        method.as_str()
                    ),
                );
            }
        }
        order
    }

    fn api_keys(&mut self, path: &YamlPath, raw: Vec<RawApiKey>) -> Vec<ApiKey> {
        let mut keys = Vec::with_capacity(raw.len());
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut secrets: HashMap<String, usize> = HashMap::new();
        let mut digests: HashMap<[u8; 32], usize> = HashMap::new();
        for (i, entry) in raw.into_iter().enumerate() {
            let entry_path = path.index(i);
            let name = self
                .required(&entry_path, "name", entry.name, "")
                .unwrap_or_default();
            if !name.is_empty()
                && let Some(first) = names.insert(name.clone(), i)
            {
                self.report(
                    &entry_path.key("name"),
                    format!("duplicate api key name {name:?} (also used by {path}[{first}])"),
                );
            }
            let secret = match (entry.key, entry.key_sha256) {
                (Some(_), Some(_)) => {
                    self.report(
                        &entry_path.key("key_sha256"),
                        "set either key or key_sha256, not both",
                    );
                    None
                }
                (None, None) => {
                    self.missing(
                        &entry_path.key("key"),
                        "missing key \"key\" (or \"key_sha256\")",
                    );
                    None
                }
                (Some(Text(key)), None) => {
                    if key.is_empty() {
                        self.report(
                            &entry_path.key("key"),
                            "empty key (is the environment variable set to \"\"?)",
                        );
                        None
                    } else {
                        if let Some(first) = secrets.insert(key.clone(), i) {
                            self.report(
                                &entry_path.key("key"),
                                format!("the same key as {path}[{first}] (keys must be unique)"),
                            );
                        }
                        Some(ApiKeySecret::Plain(Secret::new(key)))
                    }
                }
                (None, Some(Text(hex))) => match decode_sha256(&hex) {
                    Ok(digest) => {
                        if let Some(first) = digests.insert(digest, i) {
                            self.report(
                                &entry_path.key("key_sha256"),
                                format!("the same key as {path}[{first}] (keys must be unique)"),
                            );
                        }
                        Some(ApiKeySecret::Sha256(digest))
                    }
                    Err(message) => {
                        self.report(&entry_path.key("key_sha256"), message);
                        None
                    }
                },
            };
            let roles = self.names(&entry_path.key("roles"), entry.roles, "role");
            let tenant_id = self.optional_name(&entry_path.key("tenant_id"), entry.tenant_id);
            keys.push(ApiKey {
                name,
                secret: secret.unwrap_or(ApiKeySecret::Sha256([0; 32])),
                roles,
                tenant_id,
            });
        }
        keys
    }
}

/// 64 hex digits → 32 bytes.
fn decode_sha256(hex: &str) -> Result<[u8; 32], String> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return Err(format!(
            "expected 64 hexadecimal characters (a sha-256 digest), found {} characters{}",
            hex.chars().count(),
            if bytes.iter().all(u8::is_ascii_hexdigit) {
                ""
            } else {
                " with non-hex ones"
            }
        ));
    }
    let mut digest = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let high = hex_value(pair[0]);
        let low = hex_value(pair[1]);
        digest[i] = (high << 4) | low;
    }
    Ok(digest)
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

/// Whether a method is switched on: API keys when at least one is configured, the
/// others when their block says `enabled: true`.
fn is_enabled(auth: &Auth, method: AuthMethodKind) -> bool {
    match method {
        AuthMethodKind::ApiKey => !auth.api_keys.is_empty(),
        AuthMethodKind::Mtls => auth.mtls.as_ref().is_some_and(|m| m.enabled),
        AuthMethodKind::Jwt => auth.jwt.as_ref().is_some_and(|j| j.enabled),
        AuthMethodKind::Oidc => auth.oidc.as_ref().is_some_and(|o| o.enabled),
        AuthMethodKind::Introspection => auth.introspection.as_ref().is_some_and(|i| i.enabled),
    }
}
