//! Effective withdrawals (config OR runtime), shared by the whole gateway.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use tokio::sync::watch;

use crate::runtime::RuntimeOverlay;
use crate::{
    ConfigWithdrawals, OverlayStore, Result, RuntimeWithdrawal, WithdrawalCheck, WithdrawalKey,
    WithdrawnBy,
};

/// Both overlays at one instant.
#[derive(Debug, Default)]
struct State {
    config: Arc<ConfigWithdrawals>,
    runtime: RuntimeOverlay,
}

impl State {
    fn check(&self, server: &str, tool: &str, tenant: Option<&str>) -> Option<WithdrawnBy> {
        // Global before tenant, config before runtime.
        if let Some(by) = self.config.check_global(server, tool) {
            return Some(by);
        }
        if let Some(by) = self.runtime.check_global(server, tool) {
            return Some(by);
        }
        let tenant = tenant?;
        self.config
            .check_tenant(server, tool, tenant)
            .or_else(|| self.runtime.check_tenant(server, tool, tenant))
    }

    fn list(&self) -> Vec<WithdrawnBy> {
        let mut all: Vec<WithdrawnBy> = self.config.iter().collect();
        let mut runtime: Vec<WithdrawnBy> = self.runtime.iter().collect();
        runtime.sort_by(|a, b| list_order(a).cmp(&list_order(b)));
        all.append(&mut runtime);
        all
    }
}

/// Runtime entries are listed by server, tool, then global before tenants.
fn list_order(by: &WithdrawnBy) -> (&str, &str, Option<&str>) {
    match by {
        WithdrawnBy::RuntimeGlobal { server, tool, .. } => (server, tool, None),
        WithdrawnBy::RuntimeTenant {
            server,
            tool,
            tenant,
            ..
        } => (server, tool, Some(tenant)),
        WithdrawnBy::ConfigGlobal { server, pattern } => (server, pattern, None),
        WithdrawnBy::ConfigTenant {
            server,
            tenant,
            pattern,
        } => (server, pattern, Some(tenant)),
    }
}

/// The effective withdrawal overlays, **config OR runtime**, global and per tenant, shared
/// by every thread of the gateway.
///
/// - Reads ([`check`](Self::check), [`snapshot`](Self::snapshot)) take no lock: the state is
///   an immutable snapshot behind an atomic pointer.
/// - Writes ([`withdraw`](Self::withdraw), [`restore`](Self::restore),
///   [`replace_config`](Self::replace_config)) are serialized by one mutex. A runtime change
///   is written to the [`OverlayStore`] first; only when that succeeded is the new snapshot
///   published and the epoch moved, all before the call returns. Concurrent writers on the
///   same key therefore end in the state of the last acknowledged write.
/// - The epoch ([`epoch`](Self::epoch), [`subscribe`](Self::subscribe)) moves after every
///   change, and on [`bump_epoch`](Self::bump_epoch) for causes outside this crate (policy
///   reload, a back end's tool list). Caches of per-tenant surfaces key on it.
///
/// Precedence when several overlays withdraw a tool: config global, runtime global,
/// config tenant, runtime tenant; the first is reported.
///
/// ```
/// use hangar_projection::{ConfigWithdrawals, MemoryOverlayStore, Overlays, WithdrawalKey};
///
/// let config = ConfigWithdrawals::new([("payments", "legacy_charge", None)])?;
/// let overlays = Overlays::new(config, MemoryOverlayStore::new())?;
/// let before = overlays.epoch();
///
/// let key = WithdrawalKey::for_tenant("payments", "refund", "tenant:b");
/// assert!(overlays.withdraw(&key, "ops-admin")?.changed());
/// assert!(overlays.epoch() > before);
/// assert!(overlays.check("payments", "refund", Some("tenant:b")).is_some());
/// assert!(overlays.check("payments", "refund", Some("tenant:a")).is_none());
///
/// let restored = overlays.restore(&key)?;
/// assert!(restored.removed() && !restored.is_still_withdrawn());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Overlays {
    state: ArcSwap<State>,
    /// Serializes store write + snapshot swap.
    writer: Mutex<()>,
    store: Box<dyn OverlayStore>,
    epoch: AtomicU64,
    epoch_tx: watch::Sender<u64>,
}

impl Overlays {
    /// Loads the runtime overlay from `store` and combines it with `config`. The epoch
    /// starts at 0.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) if the store cannot be read.
    pub fn new(config: ConfigWithdrawals, store: impl OverlayStore + 'static) -> Result<Self> {
        let runtime = RuntimeOverlay::from_withdrawals(store.load()?);
        Ok(Self {
            state: ArcSwap::from_pointee(State {
                config: Arc::new(config),
                runtime,
            }),
            writer: Mutex::new(()),
            store: Box::new(store),
            epoch: AtomicU64::new(0),
            epoch_tx: watch::Sender::new(0),
        })
    }

    /// Withdraws `key` at runtime on behalf of `actor` (the admin principal), stamped with
    /// the current time. Idempotent: if the key is already withdrawn at runtime nothing is
    /// written, the original entry is kept and [`WithdrawOutcome::changed`] is `false`.
    ///
    /// A tool need not be in any back end's list (yet) to be withdrawn.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) if the store write failed; nothing changed.
    pub fn withdraw(&self, key: &WithdrawalKey, actor: &str) -> Result<WithdrawOutcome> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.state.load_full();
        if let Some(existing) = current.runtime.get(key) {
            return Ok(WithdrawOutcome {
                changed: false,
                withdrawal: existing,
            });
        }
        let withdrawal = RuntimeWithdrawal::new(key.clone(), actor, now_unix_ms());
        self.store.put(&withdrawal)?;
        let mut runtime = current.runtime.clone();
        runtime.insert(&withdrawal);
        self.publish(State {
            config: current.config.clone(),
            runtime,
        });
        Ok(WithdrawOutcome {
            changed: true,
            withdrawal,
        })
    }

    /// Clears the runtime withdrawal of exactly `key`. Config withdrawals are never
    /// cleared (edit the config and reload); the outcome says whether the tool is still
    /// withdrawn for `key`'s tenant (or, for a global key, for every tenant) and by what.
    /// Idempotent: restoring a key with no runtime entry writes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) if the store write failed; nothing changed.
    pub fn restore(&self, key: &WithdrawalKey) -> Result<RestoreOutcome> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.state.load_full();
        if current.runtime.get(key).is_none() {
            return Ok(RestoreOutcome {
                removed: None,
                still_withdrawn: current.check(key.server(), key.tool(), key.tenant()),
            });
        }
        self.store.remove(key)?;
        let mut runtime = current.runtime.clone();
        let removed = runtime.remove(key);
        let state = State {
            config: current.config.clone(),
            runtime,
        };
        let still_withdrawn = state.check(key.server(), key.tool(), key.tenant());
        self.publish(state);
        Ok(RestoreOutcome {
            removed,
            still_withdrawn,
        })
    }

    /// Replaces the config overlay (after a config reload); runtime withdrawals are kept.
    /// Moves the epoch.
    pub fn replace_config(&self, config: ConfigWithdrawals) {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.state.load_full();
        self.publish(State {
            config: Arc::new(config),
            runtime: current.runtime.clone(),
        });
    }

    /// Which overlay withdraws `server`/`tool` for `tenant` (`None`: a caller without a
    /// tenant, who sees only global withdrawals), or `None` if it is not withdrawn.
    pub fn check(&self, server: &str, tool: &str, tenant: Option<&str>) -> Option<WithdrawnBy> {
        self.state.load().check(server, tool, tenant)
    }

    /// The runtime entry for exactly `key`, if any.
    pub fn runtime_withdrawal(&self, key: &WithdrawalKey) -> Option<RuntimeWithdrawal> {
        self.state.load().runtime.get(key)
    }

    /// Every withdrawal: config entries in the order declared, then runtime entries
    /// sorted by server, tool, and tenant (global first).
    pub fn list(&self) -> Vec<WithdrawnBy> {
        self.state.load().list()
    }

    /// A consistent view of both overlays, unaffected by later changes. Compute a surface
    /// from one snapshot so that it reflects a single instant.
    pub fn snapshot(&self) -> OverlaySnapshot {
        OverlaySnapshot {
            state: self.state.load_full(),
        }
    }

    /// The current config overlay.
    pub fn config(&self) -> Arc<ConfigWithdrawals> {
        self.state.load().config.clone()
    }

    /// The change counter. It only grows; it has moved before any change returns. Read it
    /// *before* computing anything from the overlays and tag the result with it: a result
    /// tagged with the current epoch is never stale.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// A receiver of epoch changes (values coalesce: a slow receiver sees the latest).
    /// Works without a tokio runtime; `changed().await` needs one.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.epoch_tx.subscribe()
    }

    /// Moves the epoch for a cause outside the overlays (a policy reload, a back end's tool
    /// list changed) and notifies subscribers; returns the new epoch.
    pub fn bump_epoch(&self) -> u64 {
        let epoch = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        self.epoch_tx.send_if_modified(|current| {
            if epoch > *current {
                *current = epoch;
                true
            } else {
                false
            }
        });
        epoch
    }

    /// Publishes a new state, then moves the epoch (in that order: whoever sees the new
    /// epoch also sees the new state).
    fn publish(&self, state: State) {
        self.state.store(Arc::new(state));
        self.bump_epoch();
    }
}

impl fmt::Debug for Overlays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load();
        f.debug_struct("Overlays")
            .field("epoch", &self.epoch())
            .field("config_withdrawals", &state.config.len())
            .field("runtime_withdrawals", &state.runtime.len())
            .field("store", &self.store)
            .finish()
    }
}

impl WithdrawalCheck for Overlays {
    fn check(&self, server: &str, tool: &str, tenant: Option<&str>) -> Option<WithdrawnBy> {
        Overlays::check(self, server, tool, tenant)
    }
}

/// Both overlays at one instant (from [`Overlays::snapshot`]). Cheap to clone.
#[derive(Clone)]
pub struct OverlaySnapshot {
    state: Arc<State>,
}

impl fmt::Debug for OverlaySnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OverlaySnapshot")
            .field("config_withdrawals", &self.state.config.len())
            .field("runtime_withdrawals", &self.state.runtime.len())
            .finish()
    }
}

impl OverlaySnapshot {
    /// Which overlay withdraws the tool for `tenant`; see [`Overlays::check`].
    pub fn check(&self, server: &str, tool: &str, tenant: Option<&str>) -> Option<WithdrawnBy> {
        self.state.check(server, tool, tenant)
    }

    /// Every withdrawal; see [`Overlays::list`].
    pub fn list(&self) -> Vec<WithdrawnBy> {
        self.state.list()
    }

    /// The config overlay of this snapshot.
    pub fn config(&self) -> &ConfigWithdrawals {
        &self.state.config
    }

    /// How many runtime withdrawals.
    pub fn runtime_len(&self) -> usize {
        self.state.runtime.len()
    }
}

impl WithdrawalCheck for OverlaySnapshot {
    fn check(&self, server: &str, tool: &str, tenant: Option<&str>) -> Option<WithdrawnBy> {
        self.state.check(server, tool, tenant)
    }
}

/// What [`Overlays::withdraw`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawOutcome {
    changed: bool,
    withdrawal: RuntimeWithdrawal,
}

impl WithdrawOutcome {
    /// `true` if the withdrawal is new; `false` if the key was already withdrawn at runtime.
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// The runtime entry now in force (the earlier one when nothing changed).
    pub fn withdrawal(&self) -> &RuntimeWithdrawal {
        &self.withdrawal
    }
}

/// What [`Overlays::restore`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreOutcome {
    removed: Option<RuntimeWithdrawal>,
    still_withdrawn: Option<WithdrawnBy>,
}

impl RestoreOutcome {
    /// `true` if a runtime entry was removed; `false` if there was none.
    pub fn removed(&self) -> bool {
        self.removed.is_some()
    }

    /// The runtime entry that was removed.
    pub fn removed_withdrawal(&self) -> Option<&RuntimeWithdrawal> {
        self.removed.as_ref()
    }

    /// The tool is still withdrawn for the key's tenant (for a global key: for every
    /// tenant) after the restore: by config, or by a global runtime entry when a tenant
    /// key was restored.
    pub fn is_still_withdrawn(&self) -> bool {
        self.still_withdrawn.is_some()
    }

    /// What still withdraws it, if anything.
    pub fn still_withdrawn_by(&self) -> Option<&WithdrawnBy> {
        self.still_withdrawn.as_ref()
    }
}

fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}
