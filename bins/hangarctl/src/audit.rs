//! `hangarctl audit verify FILE...`: checks an audit log's hash chain (one file, or a
//! rotated series oldest first) with `hangar-audit`'s verifier.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::PathBuf;

use hangar_audit::{Digest, Verifier};

use crate::Failure;

/// Verifies `files` in order; prints `ok: <summary>` when the chain holds.
pub(crate) fn verify(
    files: &[PathBuf],
    anchors: &[String],
    out: &mut impl Write,
) -> Result<(), Failure> {
    let mut verifier = Verifier::new();
    for anchor in anchors {
        let hash = Digest::from_hex(anchor).ok_or_else(|| {
            Failure::Invalid(format!(
                "--anchor {anchor:?}: expected a record hash (64 hex digits)"
            ))
        })?;
        verifier.anchor(hash);
    }
    for path in files {
        let file = File::open(path)
            .map_err(|error| Failure::Io(format!("cannot read {}: {error}", path.display())))?;
        verifier.file(BufReader::new(file)).map_err(|error| {
            let message = format!("{}: {error}", path.display());
            if error.is_io() {
                Failure::Io(message)
            } else {
                Failure::Invalid(message)
            }
        })?;
    }
    if let Some(missing) = verifier.missing_anchors().first() {
        return Err(Failure::Invalid(format!(
            "the chain verifies but holds no record with hash {missing}: it was rewritten or \
             cut before that record (chain head now {})",
            verifier.summary().last_hash
        )));
    }
    let _ = writeln!(out, "ok: {}", verifier.summary());
    Ok(())
}
