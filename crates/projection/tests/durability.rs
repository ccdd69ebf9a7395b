//! The redb overlay store keeps every acknowledged write across a restart and across a
//! `kill -9` in the middle of a burst of writes.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use hangar_projection::{
    ConfigWithdrawals, OverlayStore, Overlays, RedbOverlayStore, WithdrawalKey,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Set in the child process: the data directory to write to.
const WRITER_DIR: &str = "HANGAR_PROJECTION_CRASH_WRITER_DIR";
/// Set in the child process: which run (keys of each run are distinct).
const WRITER_RUN: &str = "HANGAR_PROJECTION_CRASH_WRITER_RUN";

/// One step of the writer's deterministic sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Withdraw(WithdrawalKey),
    Restore(WithdrawalKey),
}

fn key(run: u64, i: u64) -> WithdrawalKey {
    let tool = format!("run{run}_tool{i}");
    if i.is_multiple_of(2) {
        WithdrawalKey::global("payments", tool)
    } else {
        WithdrawalKey::for_tenant("payments", tool, format!("tenant:{}", i % 5))
    }
}

/// Every third step restores the key the step before withdrew.
fn op(run: u64, i: u64) -> Op {
    if i % 3 == 2 {
        Op::Restore(key(run, i - 1))
    } else {
        Op::Withdraw(key(run, i))
    }
}

/// The keys present after steps `0..=last`.
fn expected(run: u64, last: Option<u64>) -> BTreeSet<WithdrawalKey> {
    let mut keys = BTreeSet::new();
    for i in last.map_or(0..0, |last| 0..last + 1) {
        match op(run, i) {
            Op::Withdraw(key) => keys.insert(key),
            Op::Restore(key) => keys.remove(&key),
        };
    }
    keys
}

/// Not a test on its own: the child process of `kill_9_mid_burst_loses_no_acknowledged_write`.
/// Without its environment variable it returns at once.
#[test]
fn crash_writer_child() {
    let Some(dir) = std::env::var_os(WRITER_DIR) else {
        return;
    };
    let run: u64 = std::env::var(WRITER_RUN)
        .expect("run number")
        .parse()
        .expect("run number");
    let store = RedbOverlayStore::open(Path::new(&dir)).expect("open store");
    let overlays = Overlays::new(ConfigWithdrawals::default(), store).expect("overlays");
    let mut out = std::io::stdout().lock();
    // Bounded, in case the parent died before killing us.
    for i in 0..50_000 {
        match op(run, i) {
            Op::Withdraw(key) => overlays.withdraw(&key, "crash-writer").map(drop),
            Op::Restore(key) => overlays.restore(&key).map(drop),
        }
        .expect("write");
        // Printed only once the write is durable: an acknowledgement.
        writeln!(out, "ack {i}").expect("stdout");
        out.flush().expect("stdout");
    }
}

#[test]
fn kill_9_mid_burst_loses_no_acknowledged_write() -> TestResult {
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe()?;
    for run in 0..8_u64 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER_DIR, dir.path())
            .env(WRITER_RUN, run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let kill_after = 3 + run * 11;
        let mut last_ack: Option<u64> = None;
        for line in lines.by_ref() {
            if let Some(n) = line?.strip_prefix("ack ") {
                let n: u64 = n.parse()?;
                last_ack = Some(n);
                if n >= kill_after {
                    break;
                }
            }
        }
        // Let the writer get a little further, to a different point of a commit each run.
        std::thread::sleep(std::time::Duration::from_micros(run * 733 % 3000));
        child.kill()?; // SIGKILL, while the child keeps writing.
        // Lines already in the pipe were printed after a durable write: acknowledged too.
        for line in lines {
            if let Some(n) = line?.strip_prefix("ack ") {
                last_ack = Some(n.parse()?);
            }
        }
        child.wait()?;
        let last_ack = last_ack.ok_or("the writer acknowledged nothing")?;
        assert!(
            last_ack >= kill_after,
            "run {run}: the writer stopped early"
        );
        eprintln!("run {run}: killed after step {last_ack} was acknowledged");

        // The file opens cleanly (redb checks every page on open) and holds exactly the
        // acknowledged state; the one step in flight at the kill may or may not have landed.
        let store = RedbOverlayStore::open(dir.path())?;
        let prefix = format!("run{run}_");
        let stored: BTreeSet<WithdrawalKey> = store
            .load()?
            .into_iter()
            .map(|withdrawal| withdrawal.key().clone())
            .filter(|key| key.tool().starts_with(&prefix))
            .collect();
        let in_flight = match op(run, last_ack + 1) {
            Op::Withdraw(key) | Op::Restore(key) => key,
        };
        let mut want = expected(run, Some(last_ack));
        let mut got = stored.clone();
        want.remove(&in_flight);
        got.remove(&in_flight);
        assert_eq!(got, want, "run {run}: acknowledged through step {last_ack}");

        // Earlier runs are intact too, and the store still takes writes.
        for earlier in 0..run {
            let prefix = format!("run{earlier}_");
            let count = store
                .load()?
                .iter()
                .filter(|w| w.key().tool().starts_with(&prefix))
                .count();
            assert!(count > 0, "run {earlier} lost its entries");
        }
        let probe = WithdrawalKey::global("payments", format!("probe{run}"));
        store.put(&hangar_projection::RuntimeWithdrawal::new(
            probe.clone(),
            "test",
            0,
        ))?;
        assert!(store.remove(&probe)?);
    }
    Ok(())
}

#[test]
fn restart_keeps_every_write() -> TestResult {
    let dir = tempfile::tempdir()?;
    let config = || ConfigWithdrawals::new([("payments", "legacy_charge", None)]);
    let before = {
        let overlays = Overlays::new(config()?, RedbOverlayStore::open(dir.path())?)?;
        for i in 0..30 {
            overlays.withdraw(&key(99, i), "ops-admin")?;
        }
        for i in (0..30).step_by(4) {
            assert!(overlays.restore(&key(99, i))?.removed());
        }
        overlays.list()
    };
    let overlays = Overlays::new(config()?, RedbOverlayStore::open(dir.path())?)?;
    assert_eq!(overlays.list(), before);
    assert_eq!(overlays.snapshot().runtime_len(), 30 - 8);
    assert!(
        overlays
            .check("payments", "run99_tool1", Some("tenant:1"))
            .is_some()
    );
    assert!(overlays.check("payments", "run99_tool4", None).is_none());
    Ok(())
}
