//! The embedded overlay store: one redb file under the data directory.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

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
///
/// An I/O error (a full disk, say) fails that write, and redb then refuses every later
/// one until the file is opened again: the store closes the file and opens it anew (with
/// the integrity check and repair from the last commit) on the next call, so that writes
/// work again as soon as the disk does, without restarting the process.
pub struct RedbOverlayStore {
    /// `None` after an I/O error closed it, until the next call opens it again.
    db: Mutex<Option<Database>>,
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
        let db = open_file(&path)?;
        let store = Self {
            db: Mutex::new(Some(db)),
            path,
        };
        // Create the table once, so that reads never meet a missing table.
        store.write("cannot initialise", |_| Ok(()))?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the open database, opening it again first if an I/O error closed
    /// it; an I/O error in `work` closes it (see the type's documentation).
    fn with_db<T>(
        &self,
        action: &str,
        work: impl FnOnce(&Database) -> Result<T, redb::Error>,
    ) -> Result<T> {
        let mut slot = self.db.lock().unwrap_or_else(PoisonError::into_inner);
        let db = match &mut *slot {
            Some(db) => db,
            empty => empty.insert(open_file(&self.path)?),
        };
        work(db).map_err(|err| {
            if matches!(err, redb::Error::Io(_) | redb::Error::PreviousIo) {
                // redb accepts nothing more from this handle: close the file now.
                *slot = None;
            }
            store_error(&self.path, action, err)
        })
    }

    /// Runs `change` in one durable write transaction.
    fn write<T>(
        &self,
        action: &str,
        change: impl FnOnce(&mut WithdrawalsTable<'_>) -> Result<T, redb::Error>,
    ) -> Result<T> {
        self.with_db(action, |db| {
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::Immediate)?;
            txn.set_two_phase_commit(true);
            let value = {
                let mut table = txn.open_table(WITHDRAWALS)?;
                change(&mut table)?
            };
            txn.commit()?;
            Ok(value)
        })
    }
}

/// Opens (or creates) the database file, checking it whole and repairing it from the
/// last commit if it was not closed cleanly.
fn open_file(path: &Path) -> Result<Database> {
    Database::builder()
        .set_check_integrity_on_open(true)
        .create(path)
        .map_err(|err| {
            let action = match err {
                DatabaseError::DatabaseAlreadyOpen => "cannot open: another process has it open",
                _ => "cannot open",
            };
            store_error(path, action, err)
        })
}

impl OverlayStore for RedbOverlayStore {
    fn load(&self) -> Result<Vec<RuntimeWithdrawal>> {
        self.with_db("cannot load withdrawals", |db| {
            let txn = db.begin_read()?;
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
        })
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
