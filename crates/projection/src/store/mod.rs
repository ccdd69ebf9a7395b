//! Where runtime withdrawals live between restarts.

mod memory;
mod redb;

pub use self::memory::MemoryOverlayStore;
pub use self::redb::RedbOverlayStore;

use std::fmt::Debug;
use std::sync::Arc;

use crate::{Result, RuntimeWithdrawal, WithdrawalKey};

/// Durable storage of the runtime overlay.
///
/// [`Overlays`](crate::Overlays) calls `load` once when it is built, then `put` and
/// `remove` for each change, one at a time (it serializes its writes), and updates its
/// in-memory view only after the store call returned `Ok`. An implementation therefore
/// needs no cache of its own.
///
/// The embedded default is [`RedbOverlayStore`]; [`MemoryOverlayStore`] is for tests. A
/// shared store for several gateway replicas (Redis, PostgreSQL) implements the same trait.
pub trait OverlayStore: Send + Sync + Debug {
    /// Every stored withdrawal, in any order.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) if the store cannot be read.
    fn load(&self) -> Result<Vec<RuntimeWithdrawal>>;

    /// Stores a withdrawal, replacing any with the same key. It must be durable when this
    /// returns `Ok`: a crash right after must not lose it.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) if the write did not happen.
    fn put(&self, withdrawal: &RuntimeWithdrawal) -> Result<()>;

    /// Removes a withdrawal; `true` if one was stored. Durable when it returns `Ok`.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) if the write did not happen.
    fn remove(&self, key: &WithdrawalKey) -> Result<bool>;
}

impl<T: OverlayStore + ?Sized> OverlayStore for Box<T> {
    fn load(&self) -> Result<Vec<RuntimeWithdrawal>> {
        (**self).load()
    }

    fn put(&self, withdrawal: &RuntimeWithdrawal) -> Result<()> {
        (**self).put(withdrawal)
    }

    fn remove(&self, key: &WithdrawalKey) -> Result<bool> {
        (**self).remove(key)
    }
}

impl<T: OverlayStore + ?Sized> OverlayStore for Arc<T> {
    fn load(&self) -> Result<Vec<RuntimeWithdrawal>> {
        (**self).load()
    }

    fn put(&self, withdrawal: &RuntimeWithdrawal) -> Result<()> {
        (**self).put(withdrawal)
    }

    fn remove(&self, key: &WithdrawalKey) -> Result<bool> {
        (**self).remove(key)
    }
}

#[cfg(test)]
mod tests;
