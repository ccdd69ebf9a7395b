//! Client certificates: rustls verifier configuration and identity mapping.
//!
//! The TLS listener asks [`MtlsIdentity::client_verifier`] for the verifier rustls runs
//! during the handshake (chain to `auth.mtls.ca_file`, revocation against
//! `auth.mtls.crl_file`); once the handshake is done it hands the end-entity certificate to
//! [`MtlsIdentity::identify`], which renders the subject (RFC 4514), applies
//! `allowed_subjects` and maps the subject to a tenant with `tenant_map`.
//!
//! A subject pattern is a list of `TYPE=GLOB` terms (`CN=service-*`, `CN=svc-a,O=Acme`):
//! it matches when the subject has, for every term, an attribute of that type whose value
//! the glob matches, whatever the order of the attributes.

mod subject;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::{VerifierBuilderError, WebPkiClientVerifier};

use self::subject::{Subject, SubjectPattern};
use crate::{AuthMethod, CallerIdentity, Error, Rejection};

/// YAML paths named in errors.
const CA_FILE: &str = "auth.mtls.ca_file";
const CRL_FILE: &str = "auth.mtls.crl_file";
const ALLOWED_SUBJECTS: &str = "auth.mtls.allowed_subjects";
const TENANT_MAP: &str = "auth.mtls.tenant_map";

/// The subject reported for a certificate `identify` cannot parse. `<` is always escaped
/// in an RFC 4514 string, so this never collides with a real subject.
const UNPARSABLE_SUBJECT: &str = "<unparsable certificate>";
/// The subject reported for a certificate whose subject is empty (names only in SANs).
const EMPTY_SUBJECT: &str = "<empty subject>";

/// Whether the TLS listener asks for a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// A certificate is required: a client without one fails the handshake.
    Require,
    /// A certificate is verified if presented; a client without one completes the
    /// handshake and authenticates some other way (API key, token) or not at all.
    Optional,
}

/// Verifies client certificates (CA, CRL) and maps a verified one to a caller.
///
/// Built once from `auth.mtls`; cheap to share behind an `Arc`.
///
/// ```no_run
/// use hangar_config::{Config, MapEnvironment};
/// use hangar_identity::{ClientAuth, MtlsIdentity};
///
/// let yaml = r#"
/// tls: { enabled: true, cert_file: /etc/hangar/server.pem, key_file: /etc/hangar/server-key.pem }
/// auth:
///   mtls:
///     enabled: true
///     ca_file: /etc/hangar/clients-ca.pem
///     crl_file: /etc/hangar/clients-ca.crl.pem
///     allowed_subjects: ["CN=service-*,O=Acme"]
///     tenant_map:
///       "CN=service-billing-*": "tenant:billing"
/// "#;
/// let config = Config::from_yaml_str(yaml, "config.yaml", &MapEnvironment::new())?;
/// let mtls = MtlsIdentity::new(config.auth.mtls.as_ref().ok_or("no auth.mtls")?)?;
/// let verifier = mtls.client_verifier(ClientAuth::Require)?;
/// // rustls::ServerConfig::builder().with_client_cert_verifier(verifier)…; after the
/// // handshake: mtls.identify(&connection.peer_certificates().unwrap()[0])
/// # let _ = verifier;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct MtlsIdentity {
    /// The verifier for [`ClientAuth::Require`].
    require: Arc<dyn ClientCertVerifier>,
    /// The verifier for [`ClientAuth::Optional`].
    optional: Arc<dyn ClientCertVerifier>,
    /// `allowed_subjects`; empty = any verified subject.
    allowed_subjects: Vec<SubjectPattern>,
    /// `tenant_map`, most specific pattern first (ties in key order).
    tenant_map: Vec<(SubjectPattern, String)>,
}

impl MtlsIdentity {
    /// Reads the CA bundle and the CRL, compiles the subject patterns.
    ///
    /// `enabled` is not looked at: the caller builds this only for an enabled block. Errors
    /// name the YAML path: a missing, empty or invalid `ca_file`; an unreadable or invalid
    /// `crl_file`, or one without a revocation list for some CA of `ca_file` (that CA's
    /// certificates would all fail with an unknown revocation status); an invalid pattern
    /// in `allowed_subjects` or `tenant_map`.
    pub fn new(config: &hangar_config::Mtls) -> Result<Self, Error> {
        let Some(ca_file) = config.ca_file.as_deref() else {
            return Err(config_error(
                CA_FILE,
                "missing (the PEM bundle of the CAs client certificates must chain to)",
            ));
        };
        let authorities = read_authorities(ca_file)?;
        let crls = match config.crl_file.as_deref() {
            Some(crl_file) => read_crls(crl_file, &authorities)?,
            None => Vec::new(),
        };
        let mut roots = RootCertStore::empty();
        for (index, authority) in authorities.iter().enumerate() {
            roots.add(authority.der.clone()).map_err(|e| {
                config_error(
                    CA_FILE,
                    format!(
                        "certificate #{} ({}) in {} is not a usable trust anchor: {e}",
                        index + 1,
                        authority.subject,
                        ca_file.display()
                    ),
                )
            })?;
        }
        let roots = Arc::new(roots);
        let provider = crypto_provider();
        let require = build_verifier(&roots, &crls, &provider, ClientAuth::Require, ca_file)?;
        let optional = build_verifier(&roots, &crls, &provider, ClientAuth::Optional, ca_file)?;

        let allowed_subjects = config
            .allowed_subjects
            .iter()
            .enumerate()
            .map(|(index, pattern)| {
                SubjectPattern::parse(pattern).map_err(|message| {
                    config_error(
                        format!("{ALLOWED_SUBJECTS}[{index}]"),
                        format!("invalid subject pattern {pattern:?}: {message}"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if allowed_subjects.is_empty() {
            tracing::info!(
                "{ALLOWED_SUBJECTS} is empty: every certificate that chains to {} is accepted",
                ca_file.display()
            );
        }

        let mut tenant_map = config
            .tenant_map
            .iter()
            .map(|(pattern, tenant_id)| {
                SubjectPattern::parse(pattern)
                    .map(|parsed| (parsed, tenant_id.clone()))
                    .map_err(|message| {
                        config_error(
                            format!("{TENANT_MAP}.{}", yaml_key(pattern)),
                            format!("invalid subject pattern: {message}"),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Most specific first; the sort is stable, so equal ones stay in key order.
        tenant_map.sort_by_key(|(pattern, _)| std::cmp::Reverse(pattern.specificity()));

        Ok(Self {
            require,
            optional,
            allowed_subjects,
            tenant_map,
        })
    }

    /// The rustls verifier the TLS listener installs
    /// (`ServerConfig::builder().with_client_cert_verifier(…)`).
    ///
    /// It checks the chain against `ca_file` (signature, validity period, client-auth
    /// usage) and, with a `crl_file`, the revocation status of every certificate of the
    /// chain below the trust anchor; an unknown status is refused. It does not look at the
    /// subject: that is [`identify`](Self::identify)'s job, after the handshake. The
    /// verifiers are built by [`new`](Self::new), so this does not fail today; the `Result`
    /// leaves room for a reloadable CA bundle.
    pub fn client_verifier(
        &self,
        client_auth: ClientAuth,
    ) -> Result<Arc<dyn ClientCertVerifier>, Error> {
        Ok(match client_auth {
            ClientAuth::Require => Arc::clone(&self.require),
            ClientAuth::Optional => Arc::clone(&self.optional),
        })
    }

    /// The caller for a certificate rustls has verified: subject allow-list, tenant map.
    ///
    /// `certificate` is the end entity (`peer_certificates()[0]`); it is parsed, not
    /// verified again. The caller's subject is the RFC 4514 subject string
    /// (`CN=service-a,O=Acme`), its tenant the value of the most specific matching
    /// `tenant_map` pattern, `expires_at` the certificate's notAfter. A subject no
    /// `allowed_subjects` pattern matches, an empty subject and an unparsable certificate
    /// are [`Rejection::CertificateNotAllowed`].
    pub fn identify(&self, certificate: &CertificateDer<'_>) -> Result<CallerIdentity, Rejection> {
        let parsed = match x509_parser::parse_x509_certificate(certificate.as_ref()) {
            Ok((_, parsed)) => parsed,
            Err(e) => {
                tracing::warn!(error = %e, "client certificate could not be parsed");
                return Err(Rejection::CertificateNotAllowed {
                    subject: UNPARSABLE_SUBJECT.to_owned(),
                });
            }
        };
        let subject = Subject::from_name(parsed.subject());
        if subject.is_empty() {
            return Err(Rejection::CertificateNotAllowed {
                subject: EMPTY_SUBJECT.to_owned(),
            });
        }
        if !self.is_allowed(&subject) {
            return Err(Rejection::CertificateNotAllowed {
                subject: subject.as_str().to_owned(),
            });
        }
        let mut caller = CallerIdentity::new(subject.as_str(), AuthMethod::Mtls);
        caller.tenant_id = self.tenant_for(&subject).map(str::to_owned);
        caller.expires_at =
            Some(u64::try_from(parsed.validity().not_after.timestamp()).unwrap_or(0));
        Ok(caller)
    }

    fn is_allowed(&self, subject: &Subject) -> bool {
        self.allowed_subjects.is_empty() || self.allowed_subjects.iter().any(|p| p.matches(subject))
    }

    fn tenant_for(&self, subject: &Subject) -> Option<&str> {
        self.tenant_map
            .iter()
            .find(|(pattern, _)| pattern.matches(subject))
            .map(|(pattern, tenant_id)| {
                tracing::trace!(pattern = pattern.as_str(), tenant_id, "tenant_map matched");
                tenant_id.as_str()
            })
    }
}

/// One certificate of the CA bundle.
struct Authority {
    der: CertificateDer<'static>,
    /// The subject as DER, which CRL issuers are compared with (as webpki does).
    subject_der: Vec<u8>,
    /// The subject as RFC 4514, for messages.
    subject: String,
}

fn read_authorities(ca_file: &Path) -> Result<Vec<Authority>, Error> {
    let pem = read_file(CA_FILE, ca_file)?;
    let mut authorities = Vec::new();
    for (index, der) in CertificateDer::pem_slice_iter(&pem).enumerate() {
        let der = der.map_err(|e| {
            config_error(
                CA_FILE,
                format!(
                    "invalid PEM in {} (block #{}): {e}",
                    ca_file.display(),
                    index + 1
                ),
            )
        })?;
        let (subject_der, subject) = match x509_parser::parse_x509_certificate(der.as_ref()) {
            Ok((_, parsed)) => (
                parsed.subject().as_raw().to_vec(),
                Subject::from_name(parsed.subject()).as_str().to_owned(),
            ),
            Err(e) => {
                return Err(config_error(
                    CA_FILE,
                    format!(
                        "certificate #{} in {} is not a valid x.509 certificate: {e}",
                        index + 1,
                        ca_file.display()
                    ),
                ));
            }
        };
        authorities.push(Authority {
            der,
            subject_der,
            subject,
        });
    }
    if authorities.is_empty() {
        return Err(config_error(
            CA_FILE,
            format!(
                "no certificate (-----BEGIN CERTIFICATE-----) in {}",
                ca_file.display()
            ),
        ));
    }
    Ok(authorities)
}

fn read_crls(
    crl_file: &Path,
    authorities: &[Authority],
) -> Result<Vec<CertificateRevocationListDer<'static>>, Error> {
    let pem = read_file(CRL_FILE, crl_file)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut crls = Vec::new();
    let mut issuers = Vec::new();
    for (index, der) in CertificateRevocationListDer::pem_slice_iter(&pem).enumerate() {
        let der = der.map_err(|e| {
            config_error(
                CRL_FILE,
                format!(
                    "invalid PEM in {} (block #{}): {e}",
                    crl_file.display(),
                    index + 1
                ),
            )
        })?;
        let parsed = match x509_parser::parse_x509_crl(der.as_ref()) {
            Ok((_, parsed)) => parsed,
            Err(e) => {
                return Err(config_error(
                    CRL_FILE,
                    format!(
                        "revocation list #{} in {} is not a valid crl: {e}",
                        index + 1,
                        crl_file.display()
                    ),
                ));
            }
        };
        let issuer = Subject::from_name(parsed.issuer());
        if let Some(next_update) = parsed.next_update()
            && next_update.timestamp() < now
        {
            tracing::warn!(
                file = %crl_file.display(),
                issuer = issuer.as_str(),
                next_update = %next_update,
                "revocation list is past its nextUpdate; it is still used, refresh it"
            );
        }
        issuers.push(parsed.issuer().as_raw().to_vec());
        crls.push(der);
    }
    if crls.is_empty() {
        return Err(config_error(
            CRL_FILE,
            format!(
                "no revocation list (-----BEGIN X509 CRL-----) in {}",
                crl_file.display()
            ),
        ));
    }
    if let Some(uncovered) = authorities
        .iter()
        .find(|a| !issuers.contains(&a.subject_der))
    {
        return Err(config_error(
            CRL_FILE,
            format!(
                "no revocation list from CA {:?} (in {CA_FILE}) in {}: with a crl_file, every \
                 CA needs one, or each certificate it issued would be refused",
                uncovered.subject,
                crl_file.display()
            ),
        ));
    }
    Ok(crls)
}

fn build_verifier(
    roots: &Arc<RootCertStore>,
    crls: &[CertificateRevocationListDer<'static>],
    provider: &Arc<CryptoProvider>,
    client_auth: ClientAuth,
    ca_file: &Path,
) -> Result<Arc<dyn ClientCertVerifier>, Error> {
    let mut builder =
        WebPkiClientVerifier::builder_with_provider(Arc::clone(roots), Arc::clone(provider))
            .with_crls(crls.iter().cloned());
    if client_auth == ClientAuth::Optional {
        builder = builder.allow_unauthenticated();
    }
    builder.build().map_err(|e| match e {
        VerifierBuilderError::InvalidCrl(e) => {
            config_error(CRL_FILE, format!("invalid revocation list: {e:?}"))
        }
        VerifierBuilderError::NoRootAnchors => config_error(
            CA_FILE,
            format!("no usable CA certificate in {}", ca_file.display()),
        ),
        e => config_error(CA_FILE, e.to_string()),
    })
}

/// The process-wide rustls provider if one is installed, else aws-lc-rs (never ring).
fn crypto_provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

fn read_file(path: &str, file: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(file).map_err(|source| Error::Io {
        path: path.to_owned(),
        file: file.to_owned(),
        source,
    })
}

fn config_error(path: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Config {
        path: path.into(),
        message: message.into(),
    }
}

/// A mapping key as hangar-config writes it in a path: bare, or quoted.
fn yaml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}
