//! `hangarctl audit verify` as a user runs it: exit 0 with a summary for an intact chain,
//! 1 naming the first broken line, 74 for an unreadable file, 2 for bad usage.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hangar_audit::{AuditLog, Kind, Options, Record, Sink, Verdict};

fn hangarctl(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hangarctl"))
        .arg("audit")
        .arg("verify")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("hangarctl runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An audit file of `count` records (tenants `tenant:0`, `tenant:1`, …), written by the
/// real writer, rotated past `max_file_bytes` (0: never).
fn audit_file(dir: &Path, count: usize, max_file_bytes: u64) -> PathBuf {
    let path = dir.join("audit.jsonl");
    let (log, _) = AuditLog::open(
        Sink::File(path.clone()),
        Options::new(1000, max_file_bytes, 5),
    )
    .expect("open");
    for n in 0..count {
        log.record(
            Record::new(Kind::Tool, Verdict::Allow)
                .tenant(format!("tenant:{n}"))
                .subject("agent")
                .server("payments")
                .tool("charge"),
        );
    }
    log.close();
    path
}

#[test]
fn an_intact_chain_verifies_with_a_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audit_file(dir.path(), 3, 0);
    let output = hangarctl(&[&path]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with("ok: 3 records, seq 1..3, chain head "),
        "{stdout}"
    );
    let head = stdout.trim().rsplit(' ').next().expect("a hash");
    assert_eq!(head.len(), 64, "{stdout}");
    assert!(std::fs::read_to_string(&path).expect("read").contains(head));
}

#[test]
fn an_edited_line_fails_naming_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audit_file(dir.path(), 5, 0);
    let original = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, original.replace("tenant:2", "tenant:9")).expect("edit");
    let output = hangarctl(&[&path]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("line 3: hash mismatch"), "{stderr}");
    assert!(stderr.contains("audit.jsonl"), "{stderr}");

    // A removed line: the next one no longer links.
    let lines: Vec<&str> = original.lines().collect();
    let removed = [&lines[..1], &lines[2..]].concat().join("\n") + "\n";
    std::fs::write(&path, removed).expect("remove a line");
    let output = hangarctl(&[&path]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        text(&output.stderr).contains("line 2: chain broken"),
        "{output:?}"
    );
}

#[test]
fn rotated_files_verify_in_order_and_not_out_of_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    // About two records per file.
    let path = audit_file(dir.path(), 7, 700);
    let rotated = |n: usize| PathBuf::from(format!("{}.{n}", path.display()));
    assert!(rotated(2).exists(), "rotation happened");
    let oldest = (1..=5)
        .rev()
        .find(|n| rotated(*n).exists())
        .expect("rotated");
    let mut files: Vec<PathBuf> = (1..=oldest).rev().map(rotated).collect();
    files.push(path.clone());
    let args: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let output = hangarctl(&args);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(text(&output.stdout).contains("seq 1..7"), "{output:?}");

    // The live file alone continues a chain from the rotated one.
    let output = hangarctl(&[&path]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        text(&output.stdout).contains("continues a chain from "),
        "{output:?}"
    );

    // Newest first is wrong.
    let reversed: Vec<&Path> = args.iter().rev().copied().collect();
    let output = hangarctl(&reversed);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(text(&output.stderr).contains("line 1: "), "{output:?}");
}

#[test]
fn an_unreadable_file_is_74_and_no_file_is_usage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = hangarctl(&[&dir.path().join("missing.jsonl")]);
    assert_eq!(output.status.code(), Some(74), "{output:?}");
    assert!(text(&output.stderr).contains("cannot read"), "{output:?}");
    let output = hangarctl(&[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

#[test]
fn an_anchor_kept_elsewhere_catches_a_rewritten_or_cut_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = audit_file(dir.path(), 3, 0);
    let output = hangarctl(&[&path]);
    let stdout = text(&output.stdout);
    let head = stdout.trim().rsplit(' ').next().expect("a hash").to_owned();
    // The gateway writes on (a restart continues the chain): the anchor is still held.
    audit_file(dir.path(), 2, 0);
    let anchored = |file: &Path, anchor: &str| {
        Command::new(env!("CARGO_BIN_EXE_hangarctl"))
            .args(["audit", "verify", "--anchor", anchor])
            .arg(file)
            .output()
            .expect("hangarctl runs")
    };
    let output = anchored(&path, &head);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).starts_with("ok: 5 records"));

    // A whole chain written anew (every hash recomputed) verifies on its own, but does
    // not hold the anchor.
    let other = tempfile::tempdir().expect("tempdir");
    let rewritten = audit_file(other.path(), 5, 0);
    assert_eq!(hangarctl(&[&rewritten]).status.code(), Some(0));
    let output = anchored(&rewritten, &head);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains(&format!("holds no record with hash {head}")),
        "{}",
        text(&output.stderr)
    );

    // The end cut off before the anchored record: also refused.
    let lines: Vec<String> = std::fs::read_to_string(&path)
        .expect("read")
        .lines()
        .map(str::to_owned)
        .collect();
    std::fs::write(&path, format!("{}\n", lines[..2].join("\n"))).expect("write");
    assert_eq!(
        hangarctl(&[&path]).status.code(),
        Some(0),
        "a cut chain verifies alone"
    );
    assert_eq!(anchored(&path, &head).status.code(), Some(1));
    // A malformed anchor is a usage error of its own kind (exit 1, named).
    let output = anchored(&path, "not-a-hash");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("--anchor"),
        "{}",
        text(&output.stderr)
    );
}
