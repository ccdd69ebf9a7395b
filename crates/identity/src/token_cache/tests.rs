//! Unit tests for the verified-token cache.

use super::TokenCache;
use crate::claims::now;
use crate::{AuthMethod, CallerIdentity};

fn caller(expires_at: Option<u64>) -> CallerIdentity {
    let mut caller = CallerIdentity::new("agent", AuthMethod::Jwt);
    caller.tenant_id = Some("tenant:a".into());
    caller.expires_at = expires_at;
    caller
}

#[test]
fn hit_until_exp_then_gone() {
    let cache = TokenCache::new(16);
    let exp = now() + 100;
    cache.insert("token-1", &caller(Some(exp)));
    assert_eq!(cache.get("token-1"), Some(caller(Some(exp))));
    assert_eq!(cache.get("token-2"), None);
    assert_eq!(cache.get_at("token-1", exp - 1), Some(caller(Some(exp))));
    assert_eq!(
        cache.get_at("token-1", exp),
        None,
        "an entry expires at exp"
    );
    assert_eq!(cache.len(), 0, "the expired entry is dropped");
}

#[test]
fn uncacheable_identities() {
    let cache = TokenCache::new(16);
    cache.insert("no-exp", &caller(None));
    cache.insert("expired", &caller(Some(now() - 1)));
    assert!(cache.is_empty());
}

#[test]
fn bounded() {
    let cache = TokenCache::new(50);
    let exp = Some(now() + 100);
    for i in 0..1000 {
        cache.insert(&format!("token-{i}"), &caller(exp));
    }
    assert!(cache.len() <= 50, "{}", cache.len());
    cache.clear();
    assert!(cache.is_empty());
}

#[test]
fn keyed_by_hash_not_by_token() {
    let cache = TokenCache::new(4);
    cache.insert("secret-token", &caller(Some(now() + 100)));
    assert!(!format!("{cache:?}").contains("secret-token"));
    assert_eq!(super::token_hash("a"), super::token_hash("a"));
    assert_ne!(super::token_hash("a"), super::token_hash("b"));
}
