//! Unit tests: the line format, the time format, the writer (queue, rotation, restart).

use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::chain::Digest;
use crate::writer::rotated_path;
use crate::{AuditLog, Kind, Opened, Options, Record, Sink, Verdict, Verifier, rfc3339, verify};

fn tool_record(n: usize) -> Record {
    Record::new(Kind::Tool, Verdict::Allow)
        .request_id(format!("req-{n}"))
        .tenant("tenant:b")
        .subject("tenant-b-agent")
        .server("payments")
        .tool("charge")
        .reason("allowed by allow_list of member \"tenant:b\" (pattern \"charge\")")
        .latency_us(n as u64)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn verify_files(paths: &[PathBuf]) -> Result<crate::Summary, crate::VerifyError> {
    let mut verifier = Verifier::new();
    for path in paths {
        verifier.file(BufReader::new(std::fs::File::open(path).expect("open")))?;
    }
    Ok(verifier.summary())
}

#[test]
fn rfc3339_utc_with_milliseconds() {
    let at = |secs: u64, millis: u64| {
        rfc3339(SystemTime::UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis))
    };
    assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
    assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.005Z");
    assert_eq!(at(1_709_251_199, 999), "2024-02-29T23:59:59.999Z");
    assert_eq!(at(1_772_368_496, 789), "2026-03-01T12:34:56.789Z");
    assert_eq!(at(4_102_444_800, 0), "2100-01-01T00:00:00.000Z");
    assert_eq!(
        rfc3339(SystemTime::UNIX_EPOCH - Duration::from_secs(1)),
        "1970-01-01T00:00:00.000Z"
    );
    // A replayed record from far in the future still formats (no panic).
    assert_eq!(at(253_402_300_800, 0), "+10000-01-01T00:00:00.000Z");
    let far = SystemTime::UNIX_EPOCH + Duration::from_secs(1 << 60);
    assert_eq!(rfc3339(far), "+262142-12-31T23:59:59.999Z");
}

#[test]
fn a_line_is_the_record_then_its_hash_over_the_bytes_before() {
    let time = SystemTime::UNIX_EPOCH + Duration::from_millis(1_772_368_496_789);
    let record = Record::new(Kind::Auth, Verdict::Allow)
        .request_id("r-1")
        .tenant("tenant:a")
        .subject("tenant-a-agent")
        .method("api_key")
        .at(time);
    let (line, hash) = record.encode(1, &Digest::ZERO);
    let text = String::from_utf8(line).expect("utf-8");
    let zeros = "0".repeat(64);
    let body = format!(
        r#"{{"seq":1,"time":"2026-03-01T12:34:56.789Z","kind":"auth","request_id":"r-1","tenant":"tenant:a","subject":"tenant-a-agent","method":"api_key","verdict":"allow","prev":"{zeros}"}}"#
    );
    assert_eq!(Digest::of(body.as_bytes()), hash);
    let expected = format!("{},\"hash\":\"{hash}\"}}\n", &body[..body.len() - 1]);
    assert_eq!(text, expected);
    // It is JSON with every field.
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(value["hash"], hash.to_hex());
    assert_eq!(value["verdict"], "allow");
}

#[test]
fn text_fields_are_escaped_and_bounded() {
    let long = "é".repeat(1000);
    let record = Record::new(Kind::Tool, Verdict::Hidden)
        .tool(long.as_str())
        .subject("quote\" back\\ newline\n")
        .tenant(None::<&str>);
    let (line, _) = record.encode(1, &Digest::ZERO);
    assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
    let value: serde_json::Value = serde_json::from_slice(&line).expect("json");
    assert_eq!(value["subject"], "quote\" back\\ newline\n");
    let tool = value["tool"].as_str().expect("tool");
    assert!(tool.len() <= crate::MAX_FIELD_BYTES, "{}", tool.len());
    assert!(tool.ends_with('…'));
    assert!(value.get("tenant").is_none());
    assert_eq!(verify(&line[..]).expect("verifies").records, 1);
}

#[test]
fn verify_reports_the_first_bad_line() {
    let mut bytes = Vec::new();
    let mut head = Digest::ZERO;
    for n in 1..=5 {
        let (line, hash) = tool_record(n).encode(n as u64, &head);
        bytes.extend_from_slice(&line);
        head = hash;
    }
    let summary = verify(&bytes[..]).expect("verifies");
    assert_eq!(
        (summary.records, summary.first_seq, summary.last_seq),
        (5, 1, 5)
    );
    assert_eq!(summary.last_hash, head);
    assert_eq!(summary.chain_start_prev, None);
    assert_eq!(
        summary.to_string(),
        format!("5 records, seq 1..5, chain head {head}")
    );

    // A tenant changed on line 3.
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    let mut edited: Vec<&str> = text.lines().collect();
    let changed = edited[2].replace("tenant:b", "tenant:x");
    edited[2] = &changed;
    let edited = edited.join("\n") + "\n";
    let error = verify(edited.as_bytes()).expect_err("edited");
    assert_eq!(error.line, 3);
    assert!(error.reason.contains("hash mismatch"), "{error}");

    // Line 2 removed: line 3 (now the second line) does not link.
    let removed: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| l)
        .collect();
    let removed = removed.join("\n") + "\n";
    let error = verify(removed.as_bytes()).expect_err("removed");
    assert_eq!(error.line, 2);
    assert!(error.reason.contains("chain broken"), "{error}");

    // A torn last line.
    let error = verify(&bytes[..bytes.len() - 10]).expect_err("torn");
    assert_eq!(error.line, 5);
    assert!(!error.is_io());

    // Not JSON at all.
    let error = verify(&b"hello\n"[..]).expect_err("garbage");
    assert_eq!(error.line, 1);
}

#[test]
fn a_file_that_continues_a_chain_says_from_where() {
    let (first, head) = tool_record(1).encode(1, &Digest::ZERO);
    let (second, second_hash) = tool_record(2).encode(2, &head);
    let summary = verify(&second[..]).expect("a continued chain verifies");
    assert_eq!(summary.chain_start_prev, Some(head));
    assert_eq!(
        summary.to_string(),
        format!("1 record, seq 2..2, chain head {second_hash}, continues a chain from {head}")
    );
    // In order, the two files link; the wrong way round they do not.
    let mut verifier = Verifier::new();
    verifier.file(&first[..]).expect("first");
    verifier.file(&second[..]).expect("second links");
    assert_eq!(verifier.summary().records, 2);
    let mut verifier = Verifier::new();
    verifier.file(&second[..]).expect("second");
    assert_eq!(verifier.file(&first[..]).expect_err("wrong order").line, 1);
    // A chain start with a seq other than 1 is refused.
    let (odd, _) = tool_record(1).encode(5, &Digest::ZERO);
    assert!(verify(&odd[..]).is_err());
}

/// The log's file with `n` tool records, closed.
fn write_records(path: &Path, options: Options, range: std::ops::Range<usize>) -> Opened {
    let (log, opened) = AuditLog::open(Sink::File(path.to_path_buf()), options).expect("open");
    for n in range {
        log.record(tool_record(n));
    }
    let stats = log.close();
    assert_eq!(stats.dropped, 0, "{stats:?}");
    assert_eq!(stats.write_errors, 0, "{stats:?}");
    opened
}

#[test]
fn records_reach_the_file_without_waiting_for_close() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("logs/audit.jsonl");
    let (log, opened) = AuditLog::open(Sink::File(path.clone()), Options::default()).expect("open");
    assert_eq!(opened, Opened::New);
    log.record(tool_record(1));
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_to_string(&path).map_or(0, |t| t.lines().count()) < 1 {
        assert!(
            Instant::now() < deadline,
            "the record never reached the file"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(log.stats().written, 1);
    drop(log);
}

#[test]
fn a_restart_continues_the_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    assert_eq!(write_records(&path, Options::default(), 0..3), Opened::New);
    assert_eq!(
        write_records(&path, Options::default(), 3..5),
        Opened::Continued { seq: 3 }
    );
    let summary = verify_files(std::slice::from_ref(&path)).expect("one chain across the restart");
    assert_eq!((summary.records, summary.last_seq), (5, 5));
}

#[test]
fn a_torn_last_line_starts_a_new_chain_with_a_notice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    write_records(&path, Options::default(), 0..3);
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() - 20]).expect("tear");
    let opened = write_records(&path, Options::default(), 3..5);
    assert!(matches!(opened, Opened::Restarted { .. }), "{opened:?}");
    let lines = lines(&path);
    assert_eq!(lines.len(), 6, "{lines:#?}");
    let notice: serde_json::Value = serde_json::from_str(&lines[3]).expect("json");
    assert_eq!(notice["kind"], "notice");
    assert_eq!(notice["seq"], 1);
    assert!(
        notice["reason"]
            .as_str()
            .expect("reason")
            .contains("a new chain starts here"),
        "{notice}"
    );
    // verify names the torn line; the new chain after it verifies on its own.
    let error = verify_files(std::slice::from_ref(&path)).expect_err("torn line");
    assert_eq!(error.line, 3, "{error}");
    let rest = lines[3..].join("\n") + "\n";
    assert_eq!(verify(rest.as_bytes()).expect("new chain").records, 3);
}

#[test]
fn rotation_keeps_the_chain_and_the_newest_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    let line_len = {
        let (line, _) = tool_record(10).encode(10, &Digest::ZERO);
        line.len() as u64
    };
    // About three records per file, two rotated files kept.
    let options = Options::new(100, line_len * 3 + 10, 2);
    write_records(&path, options.clone(), 10..30);
    let files = [rotated_path(&path, 2), rotated_path(&path, 1), path.clone()];
    assert!(!rotated_path(&path, 3).exists());
    for file in &files {
        let size = std::fs::metadata(file).expect("exists").len();
        assert!(size <= options.max_file_bytes, "{}: {size}", file.display());
    }
    let summary = verify_files(&files).expect("the rotated files form one chain");
    assert_eq!(summary.last_seq, 20);
    assert!(
        summary.chain_start_prev.is_some(),
        "the oldest files were deleted"
    );
    // Each file on its own continues the chain of the one before.
    let newest = verify_files(std::slice::from_ref(&path)).expect("live file");
    let middle = verify_files(&[rotated_path(&path, 1)]).expect("rotated file");
    assert_eq!(newest.chain_start_prev, Some(middle.last_hash));
    // A restart after rotation continues from the live file.
    assert_eq!(
        write_records(&path, options, 30..31),
        Opened::Continued { seq: 20 }
    );
}

/// A sink that blocks every write until the test lets it go.
struct Gate {
    open: Receiver<()>,
    out: Arc<Mutex<Vec<u8>>>,
    released: bool,
}

impl Write for Gate {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if !self.released {
            let _ = self.open.recv();
            self.released = true;
        }
        self.out.lock().expect("lock").write(bytes)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_full_queue_drops_and_counts_never_blocks_and_the_gap_is_in_the_chain() {
    let (release, open) = sync_channel(1);
    let out = Arc::new(Mutex::new(Vec::new()));
    let gate = Gate {
        open,
        out: Arc::clone(&out),
        released: false,
    };
    let (log, _) = AuditLog::open(Sink::writer(gate), Options::new(4, 0, 0)).expect("open");
    let started = Instant::now();
    for n in 0..1000 {
        log.record(tool_record(n));
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(500),
        "record() blocked: {elapsed:?}"
    );
    let stats = log.stats();
    // Only what the queue and the writer's buffer hold got through.
    assert!(stats.dropped > 900, "{stats:?}");
    release.send(()).expect("release");
    let stats = log.close();
    let text = String::from_utf8(out.lock().expect("lock").clone()).expect("utf-8");
    let values: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let notices: Vec<&serde_json::Value> =
        values.iter().filter(|v| v["kind"] == "notice").collect();
    // Drops may come in more than one run (the writer can drain a few records while
    // the producer still overflows it): each run gets its notice, and together the
    // notices account for every dropped record.
    assert!(!notices.is_empty(), "{text}");
    let told: u64 = notices
        .iter()
        .map(|n| {
            let reason = n["reason"].as_str().expect("reason");
            let count = reason
                .strip_suffix(" records dropped: the audit queue was full")
                .expect("a drop notice");
            count.parse::<u64>().expect("count")
        })
        .sum();
    assert_eq!(told, stats.dropped, "{text}");
    assert_eq!(stats.written as usize, values.len());
    assert_eq!(stats.written + stats.dropped, 1000 + notices.len() as u64);
    assert!(verify(text.as_bytes()).is_ok());
}

/// A sink that fails while `failing` is set.
struct Flaky {
    failing: Arc<Mutex<bool>>,
    out: Arc<Mutex<Vec<u8>>>,
}

impl Write for Flaky {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if *self.failing.lock().expect("lock") {
            return Err(io::Error::other("disk full"));
        }
        self.out.lock().expect("lock").write(bytes)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_errors_are_counted_and_told_in_a_notice() {
    let failing = Arc::new(Mutex::new(false));
    let out = Arc::new(Mutex::new(Vec::new()));
    let flaky = Flaky {
        failing: Arc::clone(&failing),
        out: Arc::clone(&out),
    };
    let (log, _) = AuditLog::open(Sink::writer(flaky), Options::default()).expect("open");
    log.record(tool_record(1));
    assert!(log.flush());
    *failing.lock().expect("lock") = true;
    log.record(tool_record(2));
    assert!(log.flush());
    *failing.lock().expect("lock") = false;
    log.record(tool_record(3));
    let stats = log.close();
    assert_eq!(stats.write_errors, 1, "{stats:?}");
    let text = String::from_utf8(out.lock().expect("lock").clone()).expect("utf-8");
    assert!(
        text.contains("1 record lost: the audit log could not be written"),
        "{text}"
    );
    // The lost record is a gap the verifier sees (a stream cannot be re-read).
    assert!(verify(text.as_bytes()).is_err());
}

#[test]
fn records_after_close_are_dropped() {
    let (log, _) = AuditLog::open(Sink::writer(io::sink()), Options::default()).expect("open");
    log.record(tool_record(1));
    let stats = log.close();
    assert_eq!(stats.written, 1);
    log.record(tool_record(2));
    assert_eq!(log.stats().dropped, 1);
    assert!(!log.flush());
}
