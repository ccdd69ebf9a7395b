//! A bounded cache of verified tokens, keyed by the SHA-256 of the token (the token itself
//! is never stored), each entry expiring at the token's `exp`.

use std::sync::Arc;

use aws_lc_rs::digest;
use quick_cache::sync::Cache;

use crate::CallerIdentity;
use crate::claims;

/// Verified tokens → callers, bounded in size, entries expire at the token's `exp`.
///
/// ```
/// use hangar_identity::{AuthMethod, CallerIdentity, TokenCache};
///
/// let cache = TokenCache::new(10_000);
/// let mut caller = CallerIdentity::new("agent-7", AuthMethod::Oidc);
/// caller.expires_at = Some(u64::MAX);
/// cache.insert("eyJ…", &caller);
/// assert_eq!(cache.get("eyJ…"), Some(caller));
/// assert_eq!(cache.get("another token"), None);
/// ```
pub struct TokenCache {
    entries: Cache<[u8; 32], Arc<CallerIdentity>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("len", &self.entries.len())
            .field("capacity", &self.entries.capacity())
            .finish()
    }
}

/// The cache key: SHA-256 of the token.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    let digest = digest::digest(&digest::SHA256, token.as_bytes());
    let mut key = [0; 32];
    key.copy_from_slice(digest.as_ref());
    key
}

impl TokenCache {
    /// A cache holding at most `size` tokens (least recently / frequently used go first).
    pub fn new(size: usize) -> Self {
        Self {
            entries: Cache::new(size.max(1)),
        }
    }

    /// The caller a token was verified as, if it is cached and has not expired.
    pub fn get(&self, token: &str) -> Option<CallerIdentity> {
        self.get_at(token, claims::now())
    }

    pub(crate) fn get_at(&self, token: &str, now: u64) -> Option<CallerIdentity> {
        let key = token_hash(token);
        let identity = self.entries.get(&key)?;
        if identity.expires_at.is_some_and(|exp| exp > now) {
            return Some(CallerIdentity::clone(&identity));
        }
        self.entries.remove(&key);
        None
    }

    /// Remembers a verified token until the caller's `expires_at`. A caller without an
    /// expiry, or already expired, is not cached.
    pub fn insert(&self, token: &str, identity: &CallerIdentity) {
        if identity.expires_at.is_some_and(|exp| exp > claims::now()) {
            self.entries
                .insert(token_hash(token), Arc::new(identity.clone()));
        }
    }

    /// Forgets every entry (e.g. after a configuration reload).
    pub fn clear(&self) {
        self.entries.clear();
    }

    /// How many entries are cached.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.len() == 0
    }
}

#[cfg(test)]
mod tests;
