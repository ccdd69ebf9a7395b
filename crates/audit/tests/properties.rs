//! Properties of the chain: whatever the records hold, the log verifies; any single
//! changed byte, and any removed line inside the file, makes verification fail.

use std::io::Write;
use std::sync::{Arc, Mutex};

use hangar_audit::{AuditLog, Kind, Options, Record, Sink, Verdict, verify};
use proptest::prelude::*;

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Auth),
        Just(Kind::Tool),
        Just(Kind::Admin),
        Just(Kind::Notice)
    ]
}

fn verdict() -> impl Strategy<Value = Verdict> {
    prop_oneof![
        Just(Verdict::Allow),
        Just(Verdict::Deny),
        Just(Verdict::Hidden),
        Just(Verdict::Error)
    ]
}

/// Any text, control characters, quotes and non-ASCII included.
fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(any::<String>())
}

fn record() -> impl Strategy<Value = Record> {
    (
        kind(),
        verdict(),
        (text(), text(), text(), text()),
        (text(), text(), text(), text()),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(kind, verdict, a, b, latency)| {
            let record = Record::new(kind, verdict)
                .request_id(a.0)
                .tenant(a.1)
                .subject(a.2)
                .issuer(a.3)
                .server(b.0)
                .tool(b.1)
                .action(b.2)
                .reason(b.3);
            match latency {
                Some(micros) => record.latency_us(micros),
                None => record,
            }
        })
}

/// The bytes the log writes for `records`.
fn written(records: Vec<Record>) -> Vec<u8> {
    let out = Shared::default();
    let (log, _) = AuditLog::open(Sink::writer(out.clone()), Options::default()).expect("open");
    for record in records {
        log.record(record);
    }
    let stats = log.close();
    assert_eq!(stats.dropped, 0);
    out.0.lock().expect("lock").clone()
}

/// The 1-based line holding byte `index`.
fn line_of(bytes: &[u8], index: usize) -> u64 {
    bytes[..index].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_records_verify(records in proptest::collection::vec(record(), 0..20)) {
        let count = records.len() as u64;
        let bytes = written(records);
        let summary = verify(&bytes[..]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(summary.records, count);
        prop_assert_eq!(summary.last_seq, count);
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            prop_assert!(serde_json::from_slice::<serde_json::Value>(line).is_ok());
        }
    }

    #[test]
    fn any_changed_byte_fails_at_its_line_or_the_next(
        records in proptest::collection::vec(record(), 1..8),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let mut bytes = written(records);
        let index = position.index(bytes.len());
        let line = line_of(&bytes, index);
        bytes[index] ^= flip;
        match verify(&bytes[..]) {
            Ok(summary) => prop_assert!(false, "byte {} changed, still verifies: {}", index, summary),
            Err(error) => prop_assert!(
                error.line == line || error.line == line + 1,
                "byte {} on line {} changed; failed at {}", index, line, error
            ),
        }
    }

    #[test]
    fn a_removed_line_inside_the_file_fails(
        records in proptest::collection::vec(record(), 3..10),
        which in any::<prop::sample::Index>(),
    ) {
        let count = records.len();
        let bytes = written(records);
        let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
        // Not the first nor the last: those look like a continued or a shorter chain
        // (the summary's first seq and chain head tell; see docs/observability.md).
        let removed = 1 + which.index(count - 2);
        let kept: Vec<u8> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != removed)
            .flat_map(|(_, line)| line.iter().copied())
            .collect();
        let error = verify(&kept[..]).expect_err("a line is missing");
        prop_assert_eq!(error.line, removed as u64 + 1);
    }
}
