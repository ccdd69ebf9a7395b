//! The chain verifier: every line parses, its hash matches its bytes, its `prev` is the
//! hash of the line before, and `seq` grows by one — within a file and across the files
//! of one chain (rotated files first, oldest first).

use std::fmt;
use std::io::BufRead;

use crate::chain::{Digest, Link, check_line};

/// What a verified chain (one file or several in order) holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Records checked.
    pub records: u64,
    /// `seq` of the first record (0 when there is none).
    pub first_seq: u64,
    /// `seq` of the last record (0 when there is none).
    pub last_seq: u64,
    /// The hash of the last record: the chain's head (zeros when there is none). Keep it
    /// somewhere else to detect a later truncation of the file's end.
    pub last_hash: Digest,
    /// The `prev` of the first record when it is not zero: the first file continues a
    /// chain whose earlier records are elsewhere (a rotated file, or the oldest files
    /// were deleted). `None` when the chain starts in the first file.
    pub chain_start_prev: Option<Digest>,
}

impl fmt::Display for Summary {
    /// `1234 records, seq 1..1234, chain head <hash>` (and `, continues a chain from
    /// <hash>` for a continued chain).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.records == 0 {
            return f.write_str("0 records");
        }
        let plural = if self.records == 1 { "" } else { "s" };
        write!(
            f,
            "{} record{plural}, seq {}..{}, chain head {}",
            self.records, self.first_seq, self.last_seq, self.last_hash
        )?;
        if let Some(prev) = self.chain_start_prev {
            write!(f, ", continues a chain from {prev}")?;
        }
        Ok(())
    }
}

/// Where and why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
#[non_exhaustive]
pub struct VerifyError {
    /// The 1-based line number in the file being verified.
    pub line: u64,
    /// What is wrong, in lowercase words.
    pub reason: String,
    io: bool,
}

impl VerifyError {
    fn at(line: u64, reason: impl Into<String>) -> Self {
        Self {
            line,
            reason: reason.into(),
            io: false,
        }
    }

    /// The file could not be read (rather than read and found broken).
    pub fn is_io(&self) -> bool {
        self.io
    }
}

/// Verifies one file's chain (`reader` is the whole file).
///
/// ```
/// let summary = hangar_audit::verify(&b""[..])?;
/// assert_eq!(summary.records, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// The first line that breaks the chain, with the reason.
pub fn verify(reader: impl BufRead) -> Result<Summary, VerifyError> {
    let mut verifier = Verifier::new();
    verifier.file(reader)?;
    Ok(verifier.summary())
}

/// Verifies several files of one chain, in order (`audit.jsonl.2`, `audit.jsonl.1`,
/// `audit.jsonl`): each file on its own, and the link from the last record of one file
/// to the first record of the next.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    summary: Option<Summary>,
    /// Hashes kept elsewhere (an earlier chain head) and whether the chain held each.
    anchors: Vec<(Digest, bool)>,
}

impl Verifier {
    /// A verifier that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires a record with this hash somewhere in the chain: a chain head written down
    /// earlier (outside the file's reach). A chain rewritten from any point before that
    /// record on, or cut before it, no longer holds it ([`Verifier::missing_anchors`]).
    pub fn anchor(&mut self, hash: Digest) {
        self.anchors.push((hash, false));
    }

    /// The anchors no verified record had (all of them until the chain reaches them).
    pub fn missing_anchors(&self) -> Vec<Digest> {
        self.anchors
            .iter()
            .filter(|(_, seen)| !seen)
            .map(|(hash, _)| *hash)
            .collect()
    }

    /// Checks the next file of the chain.
    ///
    /// # Errors
    ///
    /// The first line (counted in this file) that breaks the chain.
    pub fn file(&mut self, mut reader: impl BufRead) -> Result<(), VerifyError> {
        let mut number = 0u64;
        let mut line = Vec::new();
        loop {
            line.clear();
            number += 1;
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|error| VerifyError {
                    line: number,
                    reason: format!("cannot read: {error}"),
                    io: true,
                })?;
            if read == 0 {
                return Ok(());
            }
            let Some(text) = line.strip_suffix(b"\n") else {
                return Err(VerifyError::at(
                    number,
                    "incomplete record: no newline at the end (a torn write, or a truncated file)",
                ));
            };
            let link = check_line(text).map_err(|reason| VerifyError::at(number, reason))?;
            self.link(&link)
                .map_err(|reason| VerifyError::at(number, reason))?;
            for (hash, seen) in &mut self.anchors {
                *seen |= *hash == link.hash;
            }
        }
    }

    /// Appends one checked line to the chain.
    fn link(&mut self, link: &Link) -> Result<(), String> {
        let Some(summary) = &mut self.summary else {
            if link.prev.is_zero() && link.seq != 1 {
                return Err(format!(
                    "a chain starts (prev is zero) but seq is {}, not 1",
                    link.seq
                ));
            }
            self.summary = Some(Summary {
                records: 1,
                first_seq: link.seq,
                last_seq: link.seq,
                last_hash: link.hash,
                chain_start_prev: (!link.prev.is_zero()).then_some(link.prev),
            });
            return Ok(());
        };
        if link.prev != summary.last_hash {
            return Err(format!(
                "chain broken: prev is {} but the record before has hash {} (a record was removed, inserted or changed)",
                link.prev, summary.last_hash
            ));
        }
        if Some(link.seq) != summary.last_seq.checked_add(1) {
            return Err(format!(
                "seq {} does not follow seq {}",
                link.seq, summary.last_seq
            ));
        }
        summary.records += 1;
        summary.last_seq = link.seq;
        summary.last_hash = link.hash;
        Ok(())
    }

    /// What was verified so far.
    pub fn summary(&self) -> Summary {
        self.summary.clone().unwrap_or(Summary {
            records: 0,
            first_seq: 0,
            last_seq: 0,
            last_hash: Digest::ZERO,
            chain_start_prev: None,
        })
    }
}
