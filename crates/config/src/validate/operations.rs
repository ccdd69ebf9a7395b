//! `tls`, `rate_limits`, `audit`, `metrics`, and a server's `max_concurrency`.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use super::{Validator, flag};
use crate::model::{
    Audit, AuditSink, IpNet, Metrics, Rate, RateLimits, TLS_CIPHER_SUITES, Tls, TlsVersion,
};
use crate::path::YamlPath;
use crate::raw::{Count, RawAudit, RawMetrics, RawRate, RawRateLimits, RawTls, Text};

/// Default `audit.queue_size`.
const AUDIT_QUEUE_SIZE: usize = 10_000;
/// Default `audit.max_file_bytes` (100 MiB).
const AUDIT_MAX_FILE_BYTES: u64 = 100 << 20;
/// Default `audit.max_files`.
const AUDIT_MAX_FILES: usize = 5;
/// Largest `audit.queue_size` (a queue is memory held while the disk is slow).
const AUDIT_MAX_QUEUE: u64 = 1_000_000;

impl Validator<'_, '_> {
    /// `tls`; `None` when it is disabled (or invalid: reported).
    pub(super) fn tls(&mut self, path: &YamlPath, raw: RawTls) -> Option<Tls> {
        // Written at all means "on", unless `enabled: false` says otherwise.
        if raw.enabled.is_some_and(|f| !f.0) {
            return None;
        }
        let cert_file = self.required_path(path, "cert_file", raw.cert_file);
        let key_file = self.required_path(path, "key_file", raw.key_file);
        let min_version = match raw.min_version {
            None => TlsVersion::default(),
            Some(Text(v)) => match v.as_str() {
                "1.2" => TlsVersion::Tls12,
                "1.3" => TlsVersion::Tls13,
                _ => {
                    self.report(
                        &path.key("min_version"),
                        format!("unknown TLS version {v:?}: use \"1.2\" or \"1.3\""),
                    );
                    TlsVersion::default()
                }
            },
        };
        let suites_path = path.key("cipher_suites");
        let mut cipher_suites = Vec::new();
        for (i, Text(suite)) in raw
            .cipher_suites
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            if !TLS_CIPHER_SUITES.contains(&suite.as_str()) {
                self.report(
                    &suites_path.index(i),
                    format!(
                        "unknown cipher suite {suite:?}: use one of {}",
                        TLS_CIPHER_SUITES.join(", ")
                    ),
                );
            } else if cipher_suites.contains(&suite) {
                self.report(&suites_path.index(i), format!("{suite} is listed twice"));
            }
            cipher_suites.push(suite);
        }
        if !cipher_suites.is_empty() {
            let has13 = cipher_suites.iter().any(|s| s.starts_with("TLS13_"));
            let has12 = cipher_suites.iter().any(|s| !s.starts_with("TLS13_"));
            if !has13 && (min_version == TlsVersion::Tls13 || !has12) {
                self.report(
                    &suites_path,
                    "no TLS 1.3 cipher suite listed: add one (TLS 1.3 needs its own suites)",
                );
            }
        }
        Some(Tls {
            cert_file: cert_file?,
            key_file: key_file?,
            min_version,
            cipher_suites,
        })
    }

    /// `rate_limits`; `None` when disabled.
    pub(super) fn rate_limits(
        &mut self,
        path: &YamlPath,
        raw: RawRateLimits,
    ) -> Option<RateLimits> {
        if raw.enabled.is_some_and(|f| !f.0) {
            return None;
        }
        let per_tenant = raw
            .per_tenant
            .and_then(|r| self.rate(&path.key("per_tenant"), r));
        let per_subject = raw
            .per_subject
            .and_then(|r| self.rate(&path.key("per_subject"), r));
        let per_source = raw
            .per_source
            .and_then(|r| self.rate(&path.key("per_source"), r));
        let mut tenants = BTreeMap::new();
        let tenants_path = path.key("tenants");
        for (tenant, rate) in raw.tenants.unwrap_or_default() {
            let tenant_path = tenants_path.key(&tenant);
            if tenant.trim().is_empty() {
                self.report(&tenant_path, "empty tenant id");
            }
            if let Some(rate) = self.rate(&tenant_path, rate) {
                tenants.insert(tenant, rate);
            }
        }
        if per_tenant.is_none()
            && per_subject.is_none()
            && per_source.is_none()
            && tenants.is_empty()
        {
            self.report(
                path,
                "no limit set: add per_tenant, per_subject, per_source or tenants (or enabled: false)",
            );
        }
        Some(RateLimits {
            per_tenant,
            per_subject,
            per_source,
            tenants,
            allow_cidrs: self.cidrs(&path.key("allow_cidrs"), raw.allow_cidrs),
            trusted_proxies: self.cidrs(&path.key("trusted_proxies"), raw.trusted_proxies),
        })
    }

    fn rate(&mut self, path: &YamlPath, raw: RawRate) -> Option<Rate> {
        let per_second_path = path.key("requests_per_second");
        let Some(per_second) = raw.requests_per_second else {
            self.missing(&per_second_path, "missing key \"requests_per_second\"");
            return None;
        };
        let per_second = self.positive(&per_second_path, Some(per_second))?;
        let burst = match raw.burst {
            None => per_second,
            Some(burst) => self.positive(&path.key("burst"), Some(burst))?,
        };
        Some(Rate::new(per_second, burst))
    }

    /// A list of CIDRs (`10.0.0.0/8`, `::1/128`); a bare address is a /32 or /128.
    fn cidrs(&mut self, path: &YamlPath, list: Option<Vec<Text>>) -> Vec<IpNet> {
        let mut nets = Vec::new();
        for (i, Text(text)) in list.unwrap_or_default().into_iter().enumerate() {
            let parsed = text
                .parse::<IpNet>()
                .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from));
            match parsed {
                Ok(net) => nets.push(net.trunc()),
                Err(_) => self.report(
                    &path.index(i),
                    format!("invalid CIDR {text:?} (e.g. 10.0.0.0/8, 192.168.1.7, ::1/128)"),
                ),
            }
        }
        nets
    }

    /// `audit`; `None` when not enabled (an audit section is off unless `enabled: true`).
    pub(super) fn audit(&mut self, path: &YamlPath, raw: RawAudit) -> Option<Audit> {
        if !flag(raw.enabled) {
            return None;
        }
        let sink = match raw.sink.as_ref().map(|t| t.0.as_str()) {
            None | Some("file") => {
                AuditSink::File(raw.path.and_then(|p| self.path_value(&path.key("path"), p)))
            }
            Some("stdout") => {
                if raw.path.is_some() {
                    self.report(&path.key("path"), "a path needs `sink: file`");
                }
                AuditSink::Stdout
            }
            Some(other) => {
                self.report(
                    &path.key("sink"),
                    format!("unknown sink {other:?}: use \"file\" or \"stdout\""),
                );
                AuditSink::Stdout
            }
        };
        let queue_size = match raw.queue_size {
            None => AUDIT_QUEUE_SIZE,
            Some(Count(n)) if (1..=AUDIT_MAX_QUEUE).contains(&n) => n as usize,
            Some(_) => {
                self.report(
                    &path.key("queue_size"),
                    format!("must be between 1 and {AUDIT_MAX_QUEUE}"),
                );
                AUDIT_QUEUE_SIZE
            }
        };
        let max_files = match raw.max_files {
            None => AUDIT_MAX_FILES,
            Some(Count(n)) => usize::try_from(n).unwrap_or(usize::MAX),
        };
        Some(Audit {
            sink,
            include_failed: raw.include_failed.is_none_or(|f| f.0),
            queue_size,
            max_file_bytes: raw.max_file_bytes.map_or(AUDIT_MAX_FILE_BYTES, |c| c.0),
            max_files,
        })
    }

    /// `metrics`.
    pub(super) fn metrics(&mut self, path: &YamlPath, raw: RawMetrics) -> Metrics {
        let listen = raw.listen.and_then(|Text(text)| match text.parse() {
            Ok(address) => Some(address),
            Err(_) => {
                self.report(
                    &path.key("listen"),
                    format!("invalid address {text:?} (e.g. 127.0.0.1:9464 or [::1]:9464)"),
                );
                None
            }
        });
        Metrics {
            enabled: raw.enabled.is_none_or(|f| f.0),
            listen,
        }
    }

    /// An optional count that must be at least 1.
    pub(super) fn positive(&mut self, path: &YamlPath, value: Option<Count>) -> Option<NonZeroU32> {
        let Count(n) = value?;
        match u32::try_from(n).ok().and_then(NonZeroU32::new) {
            Some(n) => Some(n),
            None => {
                self.report(path, format!("must be between 1 and {}", u32::MAX));
                None
            }
        }
    }

    /// A required file path at `parent.key`.
    fn required_path(
        &mut self,
        parent: &YamlPath,
        key: &str,
        value: Option<Text>,
    ) -> Option<std::path::PathBuf> {
        let path = parent.key(key);
        match value {
            None => {
                self.missing(&path, format!("missing key {key:?}"));
                None
            }
            Some(text) => self.path_value(&path, text),
        }
    }
}
