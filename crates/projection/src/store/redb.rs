//! The embedded overlay store: one redb file under the data directory.

use std::fmt;
use std::path::{Path, PathBuf};

use redb::{
    Database, DatabaseError, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition,
};

use crate::{BoxError, Error, OverlayStore, Result, RuntimeWithdrawal, WithdrawalKey};

/// (server, tool, tenant or none) → (actor, unix ms). A later schema gets a new table name
/// and a migration at open.
const WITHDRAWALS: TableDefinition<'_, (&str, &str, Option<&str>), (&str, u64)> =
    TableDefinition::new("runtime_withdrawals_v1");

type WithdrawalsTable<'txn> =
    redb::Table<'txn, (&'static str, &'static str, Option<&'static str>), (&'static str, u64)>;

/// Runtime withdrawals in `<data_dir>/overlays.redb`, a [redb](https://docs.rs/redb)
/// database: pure Rust, ACID, copy-on-write B-trees with checksummed commit slots, so a
/// crash at any point leaves the last committed state.
///
/// Every `put` and `remove` is one write transaction committed with
/// [`Durability::Immediate`] and two-phase commit: it is on disk when the call returns.
/// The file is locked while open; a second process (another gateway, an offline
/// `hangarctl`) gets an error instead of sharing it.
pub struct RedbOverlayStore {
    db: Database,
    path: PathBuf,
}

impl fmt::Debug for RedbOverlayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbOverlayStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RedbOverlayStore {
    /// The file name inside the data directory.
    pub const FILE_NAME: &'static str = "overlays.redb";

    /// Opens (or creates) `<data_dir>/overlays.redb`, creating `data_dir` if needed. The
    /// whole file is checked when it is opened, and repaired from the last commit after a
    /// crash.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] if the directory cannot be created, the file is locked by another
    /// process, or it is not a valid overlay store.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(Self::FILE_NAME);
        std::fs::create_dir_all(data_dir)
            .map_err(|err| store_error(&path, "cannot create the data directory", err))?;
        let db = Database::builder()
            .set_check_integrity_on_open(true)
            .create(&path)
            .map_err(|err| {
                let action = match err {
                    DatabaseError::DatabaseAlreadyOpen => {
                        "cannot open: another process has it open"
                    }
                    _ => "cannot open",
                };
                store_error(&path, action, err)
            })?;
        let store = Self { db, path };
        // Create the table once, so that reads never meet a missing table.
        store.write("cannot initialise", |_| Ok(()))?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `change` in one durable write transaction.
    fn write<T>(
        &self,
        action: &str,
        change: impl FnOnce(&mut WithdrawalsTable<'_>) -> Result<T, redb::Error>,
    ) -> Result<T> {
        let run = || -> Result<T, redb::Error> {
            let mut txn = self.db.begin_write()?;
            txn.set_durability(Durability::Immediate)?;
            txn.set_two_phase_commit(true);
            let value = {
                let mut table = txn.open_table(WITHDRAWALS)?;
                change(&mut table)?
            };
            txn.commit()?;
            Ok(value)
        };
        run().map_err(|err| store_error(&self.path, action, err))
    }
}

impl OverlayStore for RedbOverlayStore {
    fn load(&self) -> Result<Vec<RuntimeWithdrawal>> {
        let read = || -> Result<Vec<RuntimeWithdrawal>, redb::Error> {
            let txn = self.db.begin_read()?;
            let table = txn.open_table(WITHDRAWALS)?;
            let mut withdrawals = Vec::with_capacity(usize::try_from(table.len()?).unwrap_or(0));
            for row in table.iter()? {
                let (key, value) = row?;
                let (server, tool, tenant) = key.value();
                let (actor, at_unix_ms) = value.value();
                withdrawals.push(RuntimeWithdrawal::new(
                    WithdrawalKey::new(server, tool, tenant),
                    actor,
                    at_unix_ms,
                ));
            }
            Ok(withdrawals)
        };
        read().map_err(|err| store_error(&self.path, "cannot load withdrawals", err))
    }

    fn put(&self, withdrawal: &RuntimeWithdrawal) -> Result<()> {
        let key = withdrawal.key();
        self.write("cannot commit a withdrawal", |table| {
            table.insert(
                (key.server(), key.tool(), key.tenant()),
                (withdrawal.actor(), withdrawal.at_unix_ms()),
            )?;
            Ok(())
        })
    }

    fn remove(&self, key: &WithdrawalKey) -> Result<bool> {
        self.write("cannot commit a restore", |table| {
            Ok(table
                .remove((key.server(), key.tool(), key.tenant()))?
                .is_some())
        })
    }
}

fn store_error(path: &Path, action: &str, err: impl Into<BoxError>) -> Error {
    Error::store(format!("at {}", path.display()), action, err)
}
