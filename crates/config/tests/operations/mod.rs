//! The operational sections: `tls`, `rate_limits`, `audit`, `metrics`, and a server's
//! `max_concurrency`.

use std::path::PathBuf;

use hangar_config::{AuditSink, TlsVersion};

use super::{REFERENCE, load, problems, single};

#[test]
fn absent_sections_mean_plain_http_no_limits_no_audit_and_metrics_on() {
    let config = load(REFERENCE).unwrap();
    assert_eq!(config.tls, None);
    assert_eq!(config.rate_limits, None);
    assert_eq!(config.audit, None);
    assert!(config.metrics.enabled);
    assert_eq!(config.metrics.listen, None);
    assert!(
        config
            .mcp_servers
            .iter()
            .all(|s| s.max_concurrency.is_none())
    );
}

#[test]
fn tls_section() {
    let tls = load("tls:\n  cert_file: /etc/h/cert.pem\n  key_file: /etc/h/key.pem\n  min_version: 1.3\n  cipher_suites: [TLS13_AES_256_GCM_SHA384]\n")
        .unwrap()
        .tls
        .unwrap();
    assert_eq!(tls.cert_file, PathBuf::from("/etc/h/cert.pem"));
    assert_eq!(tls.min_version, TlsVersion::Tls13);
    assert_eq!(tls.cipher_suites, ["TLS13_AES_256_GCM_SHA384"]);
    let tls = load("tls: {cert_file: c.pem, key_file: k.pem}\n")
        .unwrap()
        .tls
        .unwrap();
    assert_eq!(tls.min_version, TlsVersion::Tls12);
    assert!(tls.cipher_suites.is_empty());
    assert_eq!(load("tls: {enabled: false}\n").unwrap().tls, None);

    let all = problems(load(
        "tls: {min_version: \"1.1\", cipher_suites: [RC4_MD5]}\n",
    ));
    assert_eq!(
        all[..3],
        [
            "config.yaml:1: tls.cert_file: missing key \"cert_file\"",
            "config.yaml:1: tls.key_file: missing key \"key_file\"",
            "config.yaml:1: tls.min_version: unknown TLS version \"1.1\": use \"1.2\" or \"1.3\"",
        ]
    );
    assert_eq!(all.len(), 4, "{all:?}");
    let d = single(load(
        "tls: {cert_file: c, key_file: k, cipher_suites: [RC4_MD5]}\n",
    ));
    assert!(
        d.message().starts_with("unknown cipher suite \"RC4_MD5\""),
        "{d}"
    );
    let d = single(load(
        "tls: {cert_file: c, key_file: k, min_version: \"1.3\", cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]}\n",
    ));
    assert_eq!(d.path(), "tls.cipher_suites");
}

#[test]
fn mtls_needs_the_tls_listener() {
    let d = single(load(
        "auth:\n  mtls:\n    enabled: true\n    ca_file: /ca.pem\n",
    ));
    assert_eq!(d.path(), "auth.mtls");
    assert!(d.message().contains("needs the TLS listener"), "{d}");
}

#[test]
fn rate_limits_section() {
    let limits = load(
        "rate_limits:\n  per_tenant: {requests_per_second: 50, burst: 100}\n  per_source: {requests_per_second: 10}\n  tenants:\n    \"tenant:a\": {requests_per_second: 2, burst: 4}\n  allow_cidrs: [10.0.0.0/8, 192.168.1.7, \"::1/128\"]\n  trusted_proxies: [127.0.0.1/32]\n",
    )
    .unwrap()
    .rate_limits
    .unwrap();
    let per_tenant = limits.per_tenant.unwrap();
    assert_eq!(
        (per_tenant.requests_per_second.get(), per_tenant.burst.get()),
        (50, 100)
    );
    let per_source = limits.per_source.unwrap();
    assert_eq!(per_source.burst.get(), 10, "burst defaults to the rate");
    assert_eq!(limits.per_subject, None);
    assert_eq!(limits.tenants["tenant:a"].burst.get(), 4);
    let cidrs: Vec<String> = limits.allow_cidrs.iter().map(ToString::to_string).collect();
    assert_eq!(cidrs, ["10.0.0.0/8", "192.168.1.7/32", "::1/128"]);
    assert_eq!(limits.trusted_proxies.len(), 1);
    assert_eq!(
        load("rate_limits: {enabled: false}\n").unwrap().rate_limits,
        None
    );

    let all = problems(load(
        "rate_limits:\n  per_tenant: {requests_per_second: 0}\n  per_subject: {burst: 3}\n  allow_cidrs: [10.0.0.0/33, nonsense]\n",
    ));
    assert_eq!(
        all,
        [
            "config.yaml:1: rate_limits: no limit set: add per_tenant, per_subject, per_source or tenants (or enabled: false)",
            "config.yaml:2: rate_limits.per_tenant.requests_per_second: must be between 1 and 4294967295",
            "config.yaml:3: rate_limits.per_subject.requests_per_second: missing key \"requests_per_second\"",
            "config.yaml:4: rate_limits.allow_cidrs[0]: invalid CIDR \"10.0.0.0/33\" (e.g. 10.0.0.0/8, 192.168.1.7, ::1/128)",
            "config.yaml:4: rate_limits.allow_cidrs[1]: invalid CIDR \"nonsense\" (e.g. 10.0.0.0/8, 192.168.1.7, ::1/128)",
        ]
    );
}

#[test]
fn audit_section() {
    let audit = load("audit:\n  enabled: true\n  path: logs/audit.jsonl\n  queue_size: 100\n")
        .unwrap()
        .audit
        .unwrap();
    assert_eq!(
        audit.sink,
        AuditSink::File(Some(PathBuf::from("logs/audit.jsonl")))
    );
    assert!(audit.include_failed);
    assert_eq!((audit.queue_size, audit.max_files), (100, 5));
    assert_eq!(audit.max_file_bytes, 100 << 20);
    let audit = load("audit: {enabled: true, sink: stdout, include_failed: false}\n")
        .unwrap()
        .audit
        .unwrap();
    assert_eq!(audit.sink, AuditSink::Stdout);
    assert!(!audit.include_failed);
    assert_eq!(
        load("audit: {enabled: true}\n")
            .unwrap()
            .audit
            .unwrap()
            .sink,
        AuditSink::File(None)
    );
    assert_eq!(
        load("audit: {path: a.jsonl}\n").unwrap().audit,
        None,
        "off unless enabled"
    );

    let all = problems(load(
        "audit: {enabled: true, sink: syslog, queue_size: 0}\n",
    ));
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(
        all[0].contains("audit.sink: unknown sink \"syslog\""),
        "{all:?}"
    );
    assert!(
        all[1].contains("audit.queue_size: must be between 1 and 1000000"),
        "{all:?}"
    );
}

#[test]
fn metrics_section_and_max_concurrency() {
    let config = load(
        "metrics: {listen: \"127.0.0.1:9464\"}\nmcp_servers:\n  p:\n    mode: remote\n    endpoint: http://p/mcp\n    max_concurrency: 8\n",
    )
    .unwrap();
    assert_eq!(
        config.metrics.listen,
        Some("127.0.0.1:9464".parse().unwrap())
    );
    assert_eq!(
        config.mcp_servers[0].max_concurrency.map(|n| n.get()),
        Some(8)
    );
    assert!(!load("metrics: {enabled: false}\n").unwrap().metrics.enabled);
    let d = single(load("metrics: {listen: \"localhost\"}\n"));
    assert_eq!(d.path(), "metrics.listen");
    let d = single(load(
        "mcp_servers:\n  p:\n    mode: remote\n    endpoint: http://p/mcp\n    max_concurrency: 0\n",
    ));
    assert_eq!(d.path(), "mcp_servers.p.max_concurrency");
}
