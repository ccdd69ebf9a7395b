//! One trusted issuer: its claim rules and its JWKS cache.
//!
//! Keys are read lock-free (an `ArcSwap` snapshot). Fetches go through one async mutex
//! (single flight) and at most one fetch *attempt* happens per `min_refresh` interval,
//! whatever triggered it (first use, an unknown `kid`, an expired cache), so a flood of
//! tokens with random `kid`s cannot hammer the provider. A failed fetch keeps the last
//! good keys; a successful one replaces them (the published JWKS is authoritative: a key
//! the provider removed stops verifying).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use openidconnect::JsonWebKeySetUrl;

use super::discovery;
use crate::claims::ClaimRules;
use crate::jwt::compact::Compact;
use crate::jwt::keys::KeySet;
use crate::{HttpClient, TokenError, TokenErrorKind};

/// The settings of one issuer.
#[derive(Debug, Clone)]
pub(crate) struct IssuerConfig {
    pub(crate) url: String,
    pub(crate) rules: ClaimRules,
    pub(crate) cache_ttl: Duration,
    pub(crate) min_refresh: Duration,
}

#[derive(Debug)]
struct Snapshot {
    keys: KeySet,
    fetched: Instant,
}

#[derive(Debug, Default)]
struct FetchState {
    jwks_uri: Option<JsonWebKeySetUrl>,
    last_attempt: Option<Instant>,
}

/// A trusted issuer and its cached keys.
#[derive(Debug)]
pub(crate) struct Issuer {
    pub(crate) config: IssuerConfig,
    http: HttpClient,
    keys: ArcSwapOption<Snapshot>,
    fetch: tokio::sync::Mutex<FetchState>,
    background: AtomicBool,
}

impl Issuer {
    pub(crate) fn new(config: IssuerConfig, http: HttpClient) -> Self {
        Self {
            config,
            http,
            keys: ArcSwapOption::empty(),
            fetch: tokio::sync::Mutex::new(FetchState::default()),
            background: AtomicBool::new(false),
        }
    }

    /// Verifies the signature with this issuer's keys, fetching them when needed.
    pub(crate) async fn verify_signature(
        self: &Arc<Self>,
        jws: &Compact<'_>,
    ) -> Result<(), TokenError> {
        let kid = jws.header.kid.as_deref();
        if let Some(snapshot) = self.keys.load_full()
            && snapshot.keys.has_candidate(kid)
        {
            if snapshot.fetched.elapsed() >= self.config.cache_ttl {
                self.refresh_in_background();
            }
            return snapshot.keys.verify(jws);
        }
        // Unknown kid, or no keys yet: one rate-limited fetch, then decide.
        self.refresh(kid).await?.keys.verify(jws)
    }

    /// Fetches keys if none are cached yet (start-up warm-up); errors are logged.
    pub(crate) async fn warm_up(&self) -> bool {
        if self.keys.load().is_none() {
            let _ = self.refresh(None).await;
        }
        self.keys.load().is_some()
    }

    /// A rate-limited, single-flight fetch. Answers the keys to verify with, or
    /// `Unavailable` when there are none at all.
    async fn refresh(&self, kid: Option<&str>) -> Result<Arc<Snapshot>, TokenError> {
        let mut state = self.fetch.lock().await;
        let current = self.keys.load_full();
        // Another task may have fetched the key while this one waited.
        if let Some(snapshot) = &current
            && kid.is_some()
            && snapshot.keys.has_candidate(kid)
        {
            return Ok(Arc::clone(snapshot));
        }
        let recent = state
            .last_attempt
            .is_some_and(|at| at.elapsed() < self.config.min_refresh);
        if !recent {
            state.last_attempt = Some(Instant::now());
            match self.fetch_keys(&mut state).await {
                Ok(keys) => {
                    tracing::debug!(issuer = %self.config.url, keys = keys.len(), "jwks fetched");
                    let snapshot = Arc::new(Snapshot {
                        keys,
                        fetched: Instant::now(),
                    });
                    self.keys.store(Some(Arc::clone(&snapshot)));
                    return Ok(snapshot);
                }
                Err(error) => {
                    tracing::warn!(issuer = %self.config.url, %error, "cannot fetch the jwks; keeping the last good keys");
                }
            }
        }
        current.ok_or_else(|| {
            TokenError::new(
                TokenErrorKind::Unavailable,
                "the issuer's keys could not be fetched yet",
            )
        })
    }

    async fn fetch_keys(&self, state: &mut FetchState) -> Result<KeySet, String> {
        if let Some(uri) = &state.jwks_uri {
            return discovery::fetch_jwks(&self.http, uri).await;
        }
        let discovered = discovery::discover(&self.http, &self.config.url).await?;
        state.jwks_uri = Some(discovered.jwks_uri);
        Ok(discovered.keys)
    }

    /// Refreshes an expired cache without making the caller wait (at most one at a time).
    fn refresh_in_background(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.background.swap(true, Ordering::AcqRel) {
            return;
        }
        let issuer = Arc::clone(self);
        runtime.spawn(async move {
            let _ = issuer.refresh(None).await;
            issuer.background.store(false, Ordering::Release);
        });
    }
}
