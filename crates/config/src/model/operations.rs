//! The operational sections: the TLS listener, rate limits, the audit log, metrics.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

pub use ipnet::IpNet;

/// `tls`: the listener speaks TLS (rustls) instead of plain HTTP. Client certificates
/// are `auth.mtls` (`ca_file`, `crl_file`, `client_auth`), which needs this section.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tls {
    /// `cert_file`: the certificate chain, PEM, leaf first.
    pub cert_file: PathBuf,
    /// `key_file`: the private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// `min_version`: `"1.2"` (default) or `"1.3"`.
    pub min_version: TlsVersion,
    /// `cipher_suites`: rustls suite names in order of preference (the IANA names,
    /// e.g. `TLS13_AES_256_GCM_SHA384`); empty means rustls' defaults.
    pub cipher_suites: Vec<String>,
}

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2 (and 1.3).
    #[default]
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// The cipher suites `tls.cipher_suites` may name: those of rustls' aws-lc-rs provider.
pub const TLS_CIPHER_SUITES: &[&str] = &[
    "TLS13_AES_256_GCM_SHA384",
    "TLS13_AES_128_GCM_SHA256",
    "TLS13_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

/// `rate_limits`: token buckets per tenant, per subject and per source address. A
/// request must pass every bucket that applies to it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateLimits {
    /// `per_tenant`: every tenant's bucket (callers without a tenant are not in one).
    pub per_tenant: Option<Rate>,
    /// `per_subject`: every authenticated subject's bucket.
    pub per_subject: Option<Rate>,
    /// `per_source`: every source address's bucket (applied before authentication).
    pub per_source: Option<Rate>,
    /// `tenants`: a tenant's own rate, instead of `per_tenant`.
    pub tenants: BTreeMap<String, Rate>,
    /// `allow_cidrs`: source addresses no limit applies to.
    pub allow_cidrs: Vec<IpNet>,
    /// `trusted_proxies`: peers whose `X-Forwarded-For` names the source address;
    /// from any other peer the header is ignored.
    pub trusted_proxies: Vec<IpNet>,
}

/// A rate: `requests_per_second` sustained, bursts of up to `burst` (default: the rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rate {
    /// `requests_per_second`.
    pub requests_per_second: NonZeroU32,
    /// `burst`.
    pub burst: NonZeroU32,
}

impl Rate {
    /// A rate of `requests_per_second` with bursts of `burst`.
    pub fn new(requests_per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        Self {
            requests_per_second,
            burst,
        }
    }
}

/// `audit`: the JSON-lines audit log (one record per authentication decision and per
/// tool decision, chained by hash).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Audit {
    /// Where records go.
    pub sink: AuditSink,
    /// `include_failed`: also record refused credentials and hidden tools (default true).
    pub include_failed: bool,
    /// `queue_size`: records waiting for the writer; when full, new records are dropped
    /// and counted, the request is never held up (default 10 000).
    pub queue_size: usize,
    /// `max_file_bytes`: rotate the file past this size; 0: never (default 100 MiB).
    pub max_file_bytes: u64,
    /// `max_files`: rotated files kept besides the live one (default 5).
    pub max_files: usize,
}

/// Where audit records are written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditSink {
    /// `sink: stdout`.
    Stdout,
    /// `sink: file` (default) with `path`; `None`: `audit.jsonl` in the data directory.
    File(Option<PathBuf>),
}

/// `metrics`: Prometheus text at `GET /metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// `enabled` (default true).
    pub enabled: bool,
    /// `listen`: also serve `/metrics` (without authentication) on this address,
    /// meant for an internal network; `None`: only the main listener serves it.
    pub listen: Option<SocketAddr>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: None,
        }
    }
}
