//! What the audit log costs: `record()` on the caller's thread (the request path), and the
//! writer's sustained rate to a file.
//!
//! `cargo run --release -p hangar-audit --example throughput [RECORDS]`

use std::time::Instant;

use hangar_audit::{AuditLog, Kind, Options, Record, Sink, Verdict};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: u64 = std::env::args().nth(1).map_or(Ok(200_000), |n| n.parse())?;
    let dir = std::env::temp_dir().join(format!("hangar-audit-throughput-{}", std::process::id()));
    let path = dir.join("audit.jsonl");
    let options = Options::new(usize::try_from(count)?, 0, 0);
    let (log, _) = AuditLog::open(Sink::File(path.clone()), options)?;
    let started = Instant::now();
    for n in 0..count {
        log.record(
            Record::new(Kind::Tool, Verdict::Allow)
                .request_id(format!("19c4a1f2b3e-{n:x}"))
                .tenant("tenant:b")
                .subject("tenant-b-agent")
                .server("payments")
                .tool("charge")
                .reason("allowed by allow_list of member \"tenant:b\" (pattern \"charge\")")
                .latency_us(840),
        );
    }
    let queued = started.elapsed();
    let stats = log.close();
    let written = started.elapsed();
    let bytes = std::fs::metadata(&path)?.len();
    let summary = hangar_audit::verify(std::io::BufReader::new(std::fs::File::open(&path)?))?;
    let verified = started.elapsed() - written;
    std::fs::remove_dir_all(&dir)?;
    println!(
        "{count} records: record() {:.0} ns each on the caller's thread; written in {:.2} s ({:.0} records/s, {} bytes/record); verified in {:.2} s; {stats:?}; {} records in the chain",
        queued.as_nanos() as f64 / count as f64,
        written.as_secs_f64(),
        count as f64 / written.as_secs_f64(),
        bytes / count.max(1),
        verified.as_secs_f64(),
        summary.records,
    );
    Ok(())
}
