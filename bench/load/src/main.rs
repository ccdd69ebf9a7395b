//! `hangar-load`: the load driver of the benchmark in bench/load/run.sh (run by hand, not
//! in CI). Subcommands:
//!
//! * `hangar-load run --url URL [--header 'K: V']... --body JSON [--concurrency N]
//!   [--duration SECS | --requests N] [--warmup SECS] [--threads N] [--rate R]`: N
//!   workers, each on its own keep-alive HTTP/1.1 connection, POST the body in a loop (as
//!   fast as answers come back, or, with `--rate`, R requests per second in all, each
//!   worker on its own fixed schedule); after the warm-up, every latency is recorded
//!   (nanoseconds, sorted at the end). Prints p50/p90/p99/max, requests/s and errors,
//!   then one `RESULT k=v ...` line for scripts. A `429` is counted apart (`limited`,
//!   with how many lacked `Retry-After`, and their own p50/p99), keeps the connection and
//!   is not an error; any other answer is an error unless its status is 2xx and its body
//!   holds a JSON-RPC `"result"`.
//! * `hangar-load mint-hs256 --secret S --claims JSON [--ttl SECS]`: prints an HS256 JWT
//!   with the claims, plus `iat` and `exp` (now + ttl, default 1 day) unless given.
//! * `hangar-load startup --runs N -- PROGRAM ARGS...`: spawns the program N times and
//!   measures spawn → first stdout line (the ready line, `... listening on http://H:P`)
//!   and spawn → `GET http://H:P/health/ready` answering 200, then stops it (SIGTERM via
//!   `kill`); prints each run and the medians, and a `RESULT` line.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("mint-hs256") => mint(&args[1..]),
        Some("startup") => startup(&args[1..]),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hangar-load: {message}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "usage:
  hangar-load run --url URL [--header 'K: V']... --body JSON [--concurrency 1] [--duration 10 | --requests N] [--warmup 2] [--threads N] [--rate R]
  hangar-load mint-hs256 --secret S --claims JSON [--ttl 86400]
  hangar-load startup [--runs 5] -- PROGRAM ARGS...";

/// `--name value` pairs (repeatable) until `--`.
struct Flags {
    pairs: Vec<(String, String)>,
    rest: Vec<String>,
}

impl Flags {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut pairs = Vec::new();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if arg == "--" {
                return Ok(Self {
                    pairs,
                    rest: iter.cloned().collect(),
                });
            }
            let Some(name) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument {arg:?}\n{USAGE}"));
            };
            let value = iter
                .next()
                .ok_or_else(|| format!("--{name} needs a value"))?;
            pairs.push((name.to_owned(), value.clone()));
        }
        Ok(Self {
            pairs,
            rest: Vec::new(),
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.pairs
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            Some(v) => v.parse().map_err(|_| format!("--{name}: bad number {v:?}")),
            None => Ok(default),
        }
    }

    fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("--{name} is required\n{USAGE}"))
    }
}

// ---------------------------------------------------------------------------------------
// run

struct Plan {
    /// The request target in origin form (`/mcp`): hyper's connection sends the URI as
    /// given, and not every server takes the absolute form (Starlette answers 404).
    target: Uri,
    authority: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    warmup: Duration,
    /// Either a duration or a request count (per run, split over the workers).
    duration: Option<Duration>,
    requests: Option<u64>,
    /// Each worker's pause between sends (`--rate`); `None`: send when answered.
    interval: Option<Duration>,
}

#[derive(Default)]
struct WorkerStats {
    latencies: Vec<u64>,
    total: u64,
    errors: u64,
    first_error: Option<String>,
    /// Latencies of the `429` answers (measured window).
    limited: Vec<u64>,
    /// `429` answers without a `Retry-After` header (whole window).
    limited_without_retry_after: u64,
}

/// How one exchange ended.
enum Outcome {
    /// 2xx with a JSON-RPC result.
    Served,
    /// `429`; whether it carried `Retry-After`.
    Limited { retry_after: bool },
}

fn run(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(args)?;
    let uri: Uri = flags
        .required("url")?
        .parse()
        .map_err(|e| format!("--url: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err("--url must be http://".to_owned());
    }
    let authority = uri
        .authority()
        .ok_or("--url has no host")?
        .as_str()
        .to_owned();
    let mut headers = vec![
        (
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
        (
            http::header::ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        ),
    ];
    for header in flags.all("header") {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| format!("--header {header:?}: expected 'Name: value'"))?;
        let name = HeaderName::try_from(name.trim()).map_err(|e| format!("{name}: {e}"))?;
        let value = HeaderValue::try_from(value.trim()).map_err(|e| format!("{value}: {e}"))?;
        headers.push((name, value));
    }
    let body = flags.required("body")?;
    serde_json::from_str::<serde_json::Value>(body).map_err(|e| format!("--body: {e}"))?;
    let concurrency: usize = flags.num("concurrency", 1)?;
    let concurrency = concurrency.max(1);
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let threads: usize = flags.num("threads", concurrency.min(cores))?;
    let rate: f64 = flags.num("rate", 0.0)?;
    let target = uri
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str)
        .parse()
        .map_err(|e| format!("--url: {e}"))?;
    let plan = Arc::new(Plan {
        target,
        authority,
        headers,
        body: Bytes::copy_from_slice(body.as_bytes()),
        warmup: Duration::from_secs_f64(flags.num("warmup", 2.0)?),
        duration: match flags.get("requests") {
            Some(_) => None,
            None => Some(Duration::from_secs_f64(flags.num("duration", 10.0)?)),
        },
        requests: match flags.get("requests") {
            Some(_) => Some(flags.num("requests", 0u64)?),
            None => None,
        },
        #[allow(clippy::cast_precision_loss)]
        interval: (rate > 0.0).then(|| Duration::from_secs_f64(concurrency as f64 / rate)),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let (stats, measured) = runtime.block_on(async move {
        let start = Instant::now();
        let measure_from = start + plan.warmup;
        let mut tasks = Vec::with_capacity(concurrency);
        for worker in 0..concurrency {
            let plan = Arc::clone(&plan);
            let quota = plan.requests.map(|n| {
                n / concurrency as u64 + u64::from((worker as u64) < n % concurrency as u64)
            });
            tasks.push(tokio::spawn(worker_loop(plan, measure_from, quota)));
        }
        let mut all = Vec::with_capacity(concurrency);
        for task in tasks {
            all.push(task.await.map_err(|e| format!("worker panicked: {e}"))?);
        }
        let measured = Instant::now().saturating_duration_since(measure_from);
        Ok::<_, String>((all, measured))
    })?;
    report(concurrency, &stats, measured);
    Ok(())
}

async fn connect(
    plan: &Plan,
) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(plan.authority.as_str())
        .await
        .map_err(|e| format!("connect {}: {e}", plan.authority))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn worker_loop(plan: Arc<Plan>, measure_from: Instant, quota: Option<u64>) -> WorkerStats {
    let mut stats = WorkerStats {
        latencies: Vec::with_capacity(1 << 16),
        ..WorkerStats::default()
    };
    let end = plan.duration.map(|d| measure_from + d);
    let mut sender = None;
    let mut measured: u64 = 0;
    let mut next_send = Instant::now();
    loop {
        if let Some(interval) = plan.interval {
            // A fixed schedule; a worker that fell behind sends at once (no catch-up burst).
            tokio::time::sleep_until(next_send.into()).await;
            next_send = (next_send + interval).max(Instant::now());
        }
        let now = Instant::now();
        if let Some(end) = end
            && now >= end
        {
            break;
        }
        if let Some(quota) = quota
            && measured >= quota
        {
            break;
        }
        let conn = match sender.as_mut() {
            Some(conn) => conn,
            None => match connect(&plan).await {
                Ok(conn) => sender.insert(conn),
                Err(e) => {
                    stats.errors += 1;
                    stats.total += 1;
                    stats.first_error.get_or_insert(e);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let mut request = Request::post(plan.target.clone())
            .header(http::header::HOST, plan.authority.as_str())
            .body(Full::new(plan.body.clone()))
            .expect("a valid request");
        request
            .headers_mut()
            .extend(plan.headers.iter().map(|(n, v)| (n.clone(), v.clone())));
        let started = Instant::now();
        let outcome = async {
            let response = conn
                .send_request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            let retry_after = response.headers().contains_key(http::header::RETRY_AFTER);
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            if status == http::StatusCode::TOO_MANY_REQUESTS {
                return Ok(Outcome::Limited { retry_after });
            }
            if !status.is_success() {
                return Err(format!(
                    "status {status}: {}",
                    String::from_utf8_lossy(&body)
                ));
            }
            if memchr_result(&body) {
                Ok(Outcome::Served)
            } else {
                Err(format!("no result: {}", String::from_utf8_lossy(&body)))
            }
        }
        .await;
        let elapsed = started.elapsed();
        stats.total += 1;
        let in_window = started >= measure_from;
        if in_window {
            measured += 1;
        }
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        match outcome {
            Ok(Outcome::Served) => {
                if in_window {
                    stats.latencies.push(nanos);
                }
            }
            Ok(Outcome::Limited { retry_after }) => {
                stats.limited_without_retry_after += u64::from(!retry_after);
                if in_window {
                    stats.limited.push(nanos);
                }
            }
            Err(e) => {
                stats.errors += 1;
                stats.first_error.get_or_insert(e);
                // A failed exchange may leave the connection unusable: reconnect.
                sender = None;
            }
        }
    }
    stats
}

/// This process's utime + stime in clock ticks (Linux `/proc/self/stat`).
fn own_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the `(comm)` field: state is field 3, utime 14 and stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Whether a JSON-RPC answer body carries a `"result"` member (not an error).
fn memchr_result(body: &[u8]) -> bool {
    body.windows(9).any(|w| w == b"\"result\":")
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    // Nearest-rank.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[allow(clippy::cast_precision_loss)]
fn report(concurrency: usize, stats: &[WorkerStats], measured: Duration) {
    let mut latencies: Vec<u64> = stats
        .iter()
        .flat_map(|s| s.latencies.iter().copied())
        .collect();
    latencies.sort_unstable();
    let total: u64 = stats.iter().map(|s| s.total).sum();
    let errors: u64 = stats.iter().map(|s| s.errors).sum();
    let ok = latencies.len() as u64;
    let secs = measured.as_secs_f64().max(1e-9);
    let rps = ok as f64 / secs;
    let us = |ns: u64| ns as f64 / 1000.0;
    let (p50, p90, p99, max) = (
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(0),
    );
    let mean = if latencies.is_empty() {
        0.0
    } else {
        latencies.iter().sum::<u64>() as f64 / latencies.len() as f64 / 1000.0
    };
    println!(
        "c={concurrency}: {ok} ok in {secs:.2}s = {rps:.0} req/s; latency p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs, mean {mean:.1} µs; errors {errors}; requests incl. warm-up {total}",
        us(p50),
        us(p90),
        us(p99),
        us(max)
    );
    if let Some(e) = stats.iter().find_map(|s| s.first_error.as_ref()) {
        println!("first error: {e}");
    }
    let mut limited: Vec<u64> = stats
        .iter()
        .flat_map(|s| s.limited.iter().copied())
        .collect();
    limited.sort_unstable();
    let without_retry_after: u64 = stats.iter().map(|s| s.limited_without_retry_after).sum();
    if !limited.is_empty() {
        println!(
            "429: {} in the window ({:.0}/s), latency p50 {:.1} µs, p99 {:.1} µs; without Retry-After: {without_retry_after}",
            limited.len(),
            limited.len() as f64 / secs,
            us(percentile(&limited, 50.0)),
            us(percentile(&limited, 99.0)),
        );
    }
    println!(
        "RESULT c={concurrency} ok={ok} errors={errors} total={total} secs={secs:.3} rps={rps:.0} p50_us={:.1} p90_us={:.1} p99_us={:.1} max_us={:.1} mean_us={mean:.1} limited={} limited_no_retry_after={without_retry_after} limited_p50_us={:.1} limited_p99_us={:.1} driver_ticks={}",
        us(p50),
        us(p90),
        us(p99),
        us(max),
        limited.len(),
        us(percentile(&limited, 50.0)),
        us(percentile(&limited, 99.0)),
        own_cpu_ticks().unwrap_or(0)
    );
}

// ---------------------------------------------------------------------------------------
// mint-hs256

fn mint(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(args)?;
    let secret = flags.required("secret")?;
    let claims: serde_json::Value =
        serde_json::from_str(flags.required("claims")?).map_err(|e| format!("--claims: {e}"))?;
    let serde_json::Value::Object(mut claims) = claims else {
        return Err("--claims must be a JSON object".to_owned());
    };
    let ttl: u64 = flags.num("ttl", 86_400)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    claims.entry("iat").or_insert(now.into());
    claims.entry("exp").or_insert((now + ttl).into());
    println!(
        "{}",
        hs256(secret.as_bytes(), &serde_json::Value::Object(claims))
    );
    Ok(())
}

fn hs256(secret: &[u8], claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

// ---------------------------------------------------------------------------------------
// startup

fn startup(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(args)?;
    let runs: usize = flags.num("runs", 5)?;
    let (program, program_args) = flags
        .rest
        .split_first()
        .ok_or_else(|| format!("startup needs `-- PROGRAM ARGS...`\n{USAGE}"))?;
    let mut to_line = Vec::new();
    let mut to_ready = Vec::new();
    for run in 1..=runs.max(1) {
        let (line, ready) = start_once(program, program_args)?;
        println!(
            "run {run}: ready line after {:.1} ms, /health/ready 200 after {:.1} ms",
            ms(line),
            ms(ready)
        );
        to_line.push(line);
        to_ready.push(ready);
    }
    to_line.sort_unstable();
    to_ready.sort_unstable();
    let line = to_line[to_line.len() / 2];
    let ready = to_ready[to_ready.len() / 2];
    println!(
        "median of {}: ready line {:.1} ms, /health/ready {:.1} ms",
        to_line.len(),
        ms(line),
        ms(ready)
    );
    println!(
        "RESULT runs={} ready_line_ms={:.1} health_ready_ms={:.1}",
        to_line.len(),
        ms(line),
        ms(ready)
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn start_once(program: &str, args: &[String]) -> Result<(Duration, Duration), String> {
    let spawned = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("spawn {program}: {e}"))?;
    let stop = |child: &mut std::process::Child| {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
    };
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let line = match lines.next() {
        Some(Ok(line)) => line,
        other => {
            stop(&mut child);
            return Err(format!("{program} printed no ready line: {other:?}"));
        }
    };
    let to_line = spawned.elapsed();
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let Some(base) = line
        .split_once("listening on http://")
        .map(|(_, rest)| rest.trim().trim_end_matches("/mcp").to_owned())
    else {
        stop(&mut child);
        return Err(format!("unexpected ready line {line:?}"));
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let to_ready = loop {
        if health_ready(&base) {
            break spawned.elapsed();
        }
        if Instant::now() > deadline {
            stop(&mut child);
            return Err(format!("{base}/health/ready never answered 200"));
        }
        std::thread::sleep(Duration::from_micros(500));
    };
    stop(&mut child);
    Ok((to_line, to_ready))
}

/// `GET /health/ready` over a fresh connection; true on 200.
fn health_ready(authority: &str) -> bool {
    let Ok(mut stream) = std::net::TcpStream::connect(authority) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /health/ready HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer.starts_with(b"HTTP/1.1 200")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs256_matches_rfc7515_appendix_a1_shape() {
        let token = hs256(
            b"0123456789abcdef0123456789abcdef",
            &serde_json::json!({"sub": "a"}),
        );
        assert_eq!(token.split('.').count(), 3);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[], 50.0), 0);
    }

    #[test]
    fn result_detection() {
        assert!(memchr_result(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#));
        assert!(!memchr_result(br#"{"jsonrpc":"2.0","id":1,"error":{}}"#));
    }
}
