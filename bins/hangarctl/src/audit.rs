//! `hangarctl audit verify FILE...`: checks an audit log's hash chain (one file, or a
//! rotated series oldest first) with `hangar-audit`'s verifier.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::PathBuf;

use hangar_audit::Verifier;

use crate::Failure;

/// Verifies `files` in order; prints `ok: <summary>` when the chain holds.
pub(crate) fn verify(files: &[PathBuf], out: &mut impl Write) -> Result<(), Failure> {
    let mut verifier = Verifier::new();
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
    let _ = writeln!(out, "ok: {}", verifier.summary());
    Ok(())
}
