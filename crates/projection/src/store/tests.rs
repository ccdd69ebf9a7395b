//! Store tests: both implementations satisfy the same contract.

use crate::{MemoryOverlayStore, OverlayStore, RedbOverlayStore, RuntimeWithdrawal, WithdrawalKey};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn exercise(store: &dyn OverlayStore) -> TestResult {
    assert!(store.load()?.is_empty());
    let global = RuntimeWithdrawal::new(WithdrawalKey::global("payments", "refund"), "ops", 1);
    let tenant = RuntimeWithdrawal::new(
        WithdrawalKey::for_tenant("payments", "refund", "tenant:b"),
        "ops-admin",
        2,
    );
    store.put(&global)?;
    store.put(&tenant)?;
    let mut loaded = store.load()?;
    loaded.sort_by(|a, b| a.key().cmp(b.key()));
    assert_eq!(loaded, [global.clone(), tenant.clone()]);

    // Same key again replaces.
    let replaced = RuntimeWithdrawal::new(global.key().clone(), "someone-else", 3);
    store.put(&replaced)?;
    assert_eq!(store.load()?.len(), 2);
    assert!(store.load()?.contains(&replaced));

    assert!(store.remove(global.key())?);
    assert!(!store.remove(global.key())?);
    assert_eq!(store.load()?, [tenant]);
    // A tenant key and a global key for the same tool are distinct; so is an empty tenant.
    assert!(!store.remove(&WithdrawalKey::for_tenant("payments", "refund", ""))?);
    Ok(())
}

#[test]
fn memory_store_contract() -> TestResult {
    exercise(&MemoryOverlayStore::new())
}

#[test]
fn redb_store_contract() -> TestResult {
    let dir = tempfile::tempdir()?;
    exercise(&RedbOverlayStore::open(dir.path())?)
}

#[test]
fn redb_store_creates_the_data_directory_and_survives_reopen() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data_dir = dir.path().join("nested/data");
    let withdrawal = RuntimeWithdrawal::new(
        WithdrawalKey::for_tenant("payments", "refund", "tenant:b"),
        "ops-admin",
        1_778_312_002_123,
    );
    {
        let store = RedbOverlayStore::open(&data_dir)?;
        assert_eq!(store.path(), data_dir.join("overlays.redb"));
        store.put(&withdrawal)?;
    }
    let store = RedbOverlayStore::open(&data_dir)?;
    assert_eq!(store.load()?, [withdrawal]);
    Ok(())
}

#[test]
fn redb_store_refuses_a_second_opener() -> TestResult {
    let dir = tempfile::tempdir()?;
    let _first = RedbOverlayStore::open(dir.path())?;
    let err = RedbOverlayStore::open(dir.path()).unwrap_err();
    assert!(err.is_store());
    let message = err.to_string();
    assert!(message.starts_with("overlay store at "), "{message}");
    assert!(
        message.ends_with("overlays.redb: cannot open: another process has it open"),
        "{message}"
    );
    assert!(std::error::Error::source(&err).is_some());
    Ok(())
}

#[test]
fn redb_store_rejects_a_file_that_is_not_a_database() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("overlays.redb"),
        b"not a redb file, just some bytes.",
    )?;
    let err = RedbOverlayStore::open(dir.path()).unwrap_err();
    assert!(
        err.to_string().ends_with("overlays.redb: cannot open"),
        "{err}"
    );
    Ok(())
}

#[test]
fn memory_store_fails_on_demand() {
    let store = MemoryOverlayStore::new();
    store.set_failing(true);
    assert!(store.load().unwrap_err().is_store());
    assert!(
        store
            .remove(&WithdrawalKey::global("a", "b"))
            .unwrap_err()
            .is_store()
    );
    store.set_failing(false);
    assert!(store.is_empty());
}
