//! API keys: stored as SHA-256 digests, compared in constant time against every key.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use hangar_config::ApiKeySecret;

use crate::{AuthMethod, CallerIdentity};

/// The configured API keys. Plain keys are hashed when the set is built; only digests
/// are kept in memory.
#[derive(Debug)]
pub(crate) struct ApiKeys {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    digest: [u8; 32],
    /// The identity a match yields (the key's name, tenant and roles).
    identity: CallerIdentity,
}

impl ApiKeys {
    /// Hashes the plain keys of `auth.api_keys`; `key_sha256` digests are taken as written.
    pub(crate) fn new(keys: &[hangar_config::ApiKey]) -> Self {
        let entries = keys
            .iter()
            .map(|key| {
                let digest = match &key.secret {
                    ApiKeySecret::Plain(secret) => sha256(secret.expose()),
                    ApiKeySecret::Sha256(digest) => *digest,
                    // A future storage form this version cannot check never matches.
                    _ => [0; 32],
                };
                let mut identity = CallerIdentity::new(key.name.clone(), AuthMethod::ApiKey);
                identity.tenant_id.clone_from(&key.tenant_id);
                identity.roles.clone_from(&key.roles);
                Entry { digest, identity }
            })
            .collect();
        Self { entries }
    }

    /// Whether no key is configured.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The caller whose key is `presented`, if any. The digest of `presented` is compared
    /// with every configured digest, in constant time and without stopping at a match, so
    /// the time taken says nothing about which key (or how much of one) matched.
    pub(crate) fn verify(&self, presented: &str) -> Option<CallerIdentity> {
        let presented = sha256(presented);
        let mut found = None;
        for entry in &self.entries {
            let equal = verify_slices_are_equal(&entry.digest, &presented).is_ok();
            if equal && found.is_none() {
                found = Some(&entry.identity);
            }
        }
        found.cloned()
    }
}

/// The SHA-256 digest of a key.
pub(crate) fn sha256(key: &str) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, key.as_bytes()).as_ref());
    out
}

#[cfg(test)]
mod tests;
