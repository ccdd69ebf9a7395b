//! An overlay store in memory, for tests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::{Error, OverlayStore, Result, RuntimeWithdrawal, WithdrawalKey};

/// Keeps runtime withdrawals in memory: nothing survives the process. For tests and for
/// offline tools that need an [`Overlays`](crate::Overlays) without a data directory.
///
/// [`set_failing`](Self::set_failing) makes every later call fail, to test what happens
/// when the real store is unavailable.
#[derive(Debug, Default)]
pub struct MemoryOverlayStore {
    entries: Mutex<BTreeMap<WithdrawalKey, RuntimeWithdrawal>>,
    failing: AtomicBool,
}

impl MemoryOverlayStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that already holds `withdrawals` (as if written before a restart).
    pub fn with_withdrawals(withdrawals: impl IntoIterator<Item = RuntimeWithdrawal>) -> Self {
        let entries = withdrawals
            .into_iter()
            .map(|withdrawal| (withdrawal.key().clone(), withdrawal))
            .collect();
        Self {
            entries: Mutex::new(entries),
            failing: AtomicBool::new(false),
        }
    }

    /// While `true`, `load`, `put` and `remove` fail with [`Error::Store`] and change nothing.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// How many withdrawals are stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Nothing stored.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<WithdrawalKey, RuntimeWithdrawal>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn check(&self, action: &str) -> Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(Error::store(
                "in memory",
                action,
                "the store was told to fail (MemoryOverlayStore::set_failing)",
            ));
        }
        Ok(())
    }
}

impl OverlayStore for MemoryOverlayStore {
    fn load(&self) -> Result<Vec<RuntimeWithdrawal>> {
        self.check("cannot load withdrawals")?;
        Ok(self.lock().values().cloned().collect())
    }

    fn put(&self, withdrawal: &RuntimeWithdrawal) -> Result<()> {
        self.check("cannot store a withdrawal")?;
        self.lock()
            .insert(withdrawal.key().clone(), withdrawal.clone());
        Ok(())
    }

    fn remove(&self, key: &WithdrawalKey) -> Result<bool> {
        self.check("cannot remove a withdrawal")?;
        Ok(self.lock().remove(key).is_some())
    }
}
