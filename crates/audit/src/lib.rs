//! Hangar's audit log: one JSON line per decision, chained by hash so that a changed,
//! removed or inserted line is detectable, written without ever blocking the request
//! path.
//!
//! - [`Record`]: typed fields only (kind, request id, tenant, subject, issuer, auth
//!   method, server, tool, action, verdict, reason, latency) — no field can carry a
//!   credential.
//! - [`AuditLog`]: a bounded queue and one writer thread; a full queue drops and counts
//!   ([`Stats::dropped`]) and the next write adds a `notice` record saying so; files
//!   rotate past a size and the chain continues across rotations and restarts.
//! - [`verify`] / [`Verifier`]: checks a file (or a rotated series) line by line on the
//!   exact bytes read (see [`chain`] for the line format).
//!
//! ```
//! use std::io::Write;
//! use std::sync::{Arc, Mutex};
//!
//! use hangar_audit::{AuditLog, Kind, Options, Record, Sink, Verdict};
//!
//! #[derive(Clone, Default)]
//! struct Shared(Arc<Mutex<Vec<u8>>>);
//! impl Write for Shared {
//!     fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
//!         self.0.lock().unwrap().write(bytes)
//!     }
//!     fn flush(&mut self) -> std::io::Result<()> {
//!         Ok(())
//!     }
//! }
//!
//! let out = Shared::default();
//! let (log, _) = AuditLog::open(Sink::writer(out.clone()), Options::default())?;
//! log.record(Record::new(Kind::Auth, Verdict::Deny).reason("invalid_api_key"));
//! log.record(
//!     Record::new(Kind::Tool, Verdict::Allow)
//!         .tenant("tenant:b")
//!         .subject("tenant-b-agent")
//!         .server("payments")
//!         .tool("charge")
//!         .latency_us(840),
//! );
//! log.close();
//!
//! let bytes = out.0.lock().unwrap().clone();
//! let summary = hangar_audit::verify(&bytes[..])?;
//! assert_eq!((summary.records, summary.first_seq, summary.last_seq), (2, 1, 2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chain;
mod error;
mod record;
mod verify;
mod writer;

pub use chain::Digest;
pub use error::Error;
pub use record::{Kind, MAX_FIELD_BYTES, Record, Text, Verdict, rfc3339};
pub use verify::{Summary, Verifier, VerifyError, verify};
pub use writer::{AuditLog, Opened, Options, Sink, Stats};

#[cfg(test)]
mod tests;
