//! The TLS listener's rustls configuration, built from the `tls` section (certificate
//! chain and key files, minimum version, cipher suites; ALPN `h2` and `http/1.1`) and
//! `auth.mtls` (the identity crate's client-certificate verifier: CA bundle and CRL).
//!
//! The configuration in place sits behind an `ArcSwap`: each accepted connection takes
//! the current one for its handshake, and a reload reads the files again (even when the
//! config text did not change: a certificate rotated on disk is picked up) and swaps a
//! new one in. Established connections keep their session. Switching TLS on or off needs
//! a restart.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use hangar_config::{Config, MtlsClientAuth, Tls, TlsVersion};
use hangar_identity::{Authenticator, ClientAuth, MtlsIdentity};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use rustls::{ServerConfig, SupportedProtocolVersion};
use tokio_rustls::TlsAcceptor;

use crate::error::Error;
use crate::reload::ReloadError;
use crate::state::Gateway;

/// YAML paths named in errors.
const CERT_FILE: &str = "tls.cert_file";
const KEY_FILE: &str = "tls.key_file";
const CIPHER_SUITES: &str = "tls.cipher_suites";

/// The application protocols offered through ALPN, preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// How long a connection's client certificate is trusted on the strength of one check:
/// past it (or after a reload changed the configuration) the next request checks it
/// again against the verifier in place — expiry, a new CRL, a CA no longer trusted.
const RECHECK_AFTER: Duration = Duration::from_secs(60);

/// One built TLS configuration and the certificate it serves.
#[derive(Debug)]
pub(crate) struct Loaded {
    server: Arc<ServerConfig>,
    /// The end-entity certificate of `tls.cert_file` (a reload reports a new one).
    leaf: CertificateDer<'static>,
    /// The client-certificate verifier (`auth.mtls`), for checks after the handshake.
    verifier: Option<Arc<dyn ClientCertVerifier>>,
}

/// A connection's verified client certificate. The handshake checked it once; requests
/// on a long-lived connection take it through [`ClientCertificate::current`], which
/// checks it again when the TLS configuration changed (a reload with a new CRL or CA)
/// or [`RECHECK_AFTER`] has passed (expiry), so a revoked or expired certificate stops
/// working on connections that were already open, not only on new ones.
#[derive(Debug)]
pub(crate) struct ClientCertificate {
    leaf: CertificateDer<'static>,
    intermediates: Vec<CertificateDer<'static>>,
    /// The configuration in place (shared with the listener).
    config: Arc<ArcSwap<Loaded>>,
    /// The configuration of the last good check and when it was.
    checked: Mutex<Option<(Arc<Loaded>, Instant)>>,
}

impl ClientCertificate {
    /// The certificate, if it still passes the verifier in place; `None` once it does not
    /// (the request then has no client certificate: fail closed).
    pub(crate) fn current(&self) -> Option<&CertificateDer<'static>> {
        let config = self.config.load_full();
        let mut checked = self.checked.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh = checked.as_ref().is_some_and(|(loaded, at)| {
            Arc::ptr_eq(loaded, &config) && at.elapsed() < RECHECK_AFTER
        });
        if !fresh {
            let verifier = config.verifier.as_ref()?;
            if let Err(error) =
                verifier.verify_client_cert(&self.leaf, &self.intermediates, UnixTime::now())
            {
                tracing::info!(%error, "a connection's client certificate no longer verifies");
                *checked = None;
                return None;
            }
            *checked = Some((config, Instant::now()));
        }
        Some(&self.leaf)
    }
}

/// The TLS side of the listener: the configuration in place and a failure counter.
#[derive(Debug)]
pub(crate) struct TlsListener {
    current: Arc<ArcSwap<Loaded>>,
    /// Handshakes that failed or timed out (plain HTTP on the TLS port, a refused client
    /// certificate, no common version or suite …).
    handshake_failures: AtomicU64,
}

impl TlsListener {
    /// The listener for `config`, `None` when it has no `tls` section.
    ///
    /// # Errors
    ///
    /// See [`load`].
    pub(crate) fn new(
        config: &Config,
        authenticator: &Authenticator,
    ) -> Result<Option<Self>, Error> {
        Ok(load(config, authenticator)?.map(|loaded| Self {
            current: Arc::new(ArcSwap::from_pointee(loaded)),
            handshake_failures: AtomicU64::new(0),
        }))
    }

    /// An acceptor with the configuration in place (a connection keeps it for its life).
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(&self.current.load().server))
    }

    /// The client certificate a handshake verified (`chain`: leaf first), held for the
    /// connection's requests; `None` when the client sent none.
    pub(crate) fn client_certificate(
        &self,
        chain: Option<&[CertificateDer<'_>]>,
    ) -> Option<Arc<ClientCertificate>> {
        let (leaf, intermediates) = chain?.split_first()?;
        Some(Arc::new(ClientCertificate {
            leaf: leaf.clone().into_owned(),
            intermediates: intermediates
                .iter()
                .map(|c| c.clone().into_owned())
                .collect(),
            config: Arc::clone(&self.current),
            checked: Mutex::new(Some((self.current.load_full(), Instant::now()))),
        }))
    }
}

impl Gateway {
    /// Whether the listener speaks TLS (the config has a `tls` section).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// TLS handshakes that failed or timed out since start (plain HTTP sent to the TLS
    /// port, a client certificate refused or missing under `client_auth: require`, no
    /// common protocol version or cipher suite). 0 without TLS.
    pub fn tls_handshake_failures(&self) -> u64 {
        self.tls
            .as_ref()
            .map_or(0, |tls| tls.handshake_failures.load(Ordering::Relaxed))
    }

    /// Counts a TLS handshake that failed or timed out.
    pub(crate) fn tls_handshake_failed(&self) {
        if let Some(tls) = &self.tls {
            tls.handshake_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// For a reload: the TLS configuration of `config`, its files read again. Switching
    /// TLS on or off is refused (the listener is bound as one or the other).
    pub(crate) fn prepare_tls(
        &self,
        config: &Config,
        authenticator: &Authenticator,
    ) -> Result<Option<Loaded>, ReloadError> {
        if config.tls.is_some() != self.tls.is_some() {
            let switch = if config.tls.is_some() { "on" } else { "off" };
            return Err(ReloadError::Refused(format!(
                "tls cannot be switched {switch} while running (restart mcp-hangar)"
            )));
        }
        load(config, authenticator).map_err(|e| ReloadError::Invalid(e.to_string()))
    }

    /// For a reload: puts `loaded` in place; new connections handshake with it.
    pub(crate) fn install_tls(&self, loaded: Option<Loaded>, changed: &mut Vec<String>) {
        let (Some(tls), Some(loaded)) = (&self.tls, loaded) else {
            return;
        };
        let previous = tls.current.swap(Arc::new(loaded));
        if previous.leaf != tls.current.load().leaf {
            changed.push("tls: new certificate".to_owned());
        }
    }
}

/// The rustls configuration for `config`'s `tls` section, `None` without one.
///
/// `tls.cert_file` (PEM chain, leaf first) and `tls.key_file` (PEM key) are read; the
/// protocol versions are 1.3 and 1.2 (`min_version: "1.2"`) or 1.3 alone, each only if
/// a listed cipher suite serves it; `cipher_suites` keeps only the named suites, in the
/// given order, and then the server's order wins over the client's. With `auth.mtls`
/// enabled, client certificates are verified (CA, CRL) and, with `client_auth: require`,
/// required.
///
/// # Errors
///
/// [`Error::Tls`] naming the YAML path and the file: a file that cannot be read, no
/// certificate or no private key in it, a key that does not match the certificate, no
/// protocol version left for the listed suites; an `auth.mtls` that cannot be built.
pub(crate) fn load(
    config: &Config,
    authenticator: &Authenticator,
) -> Result<Option<Loaded>, Error> {
    let Some(tls) = &config.tls else {
        return Ok(None);
    };
    let chain = read_chain(&tls.cert_file)?;
    let key = read_key(&tls.key_file)?;
    let (provider, versions) = provider(tls)?;
    let builder = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&versions)
        .map_err(|e| tls_error(CIPHER_SUITES, e.to_string()))?;
    let verifier = client_verifier(config, authenticator)?;
    let builder = match &verifier {
        Some(verifier) => builder.with_client_cert_verifier(Arc::clone(verifier)),
        None => builder.with_no_client_auth(),
    };
    let leaf = chain[0].clone();
    let mut server = builder.with_single_cert(chain, key).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => tls_error(
            KEY_FILE,
            format!(
                "the private key in {} does not match the certificate in {}",
                tls.key_file.display(),
                tls.cert_file.display()
            ),
        ),
        e => tls_error(
            KEY_FILE,
            format!(
                "unusable certificate and key ({} and {}): {e}",
                tls.cert_file.display(),
                tls.key_file.display()
            ),
        ),
    })?;
    server.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    // An operator's suite list is an order of preference: the server's choice wins.
    server.ignore_client_order = !tls.cipher_suites.is_empty();
    Ok(Some(Loaded {
        server: Arc::new(server),
        leaf,
        verifier,
    }))
}

/// The process's crypto provider (aws-lc-rs) keeping only the listed suites, in order,
/// and the protocol versions those suites serve from `min_version` up.
fn provider(tls: &Tls) -> Result<(CryptoProvider, Vec<&'static SupportedProtocolVersion>), Error> {
    let mut provider = CryptoProvider::get_default()
        .map(|p| (**p).clone())
        .unwrap_or_else(rustls::crypto::aws_lc_rs::default_provider);
    if !tls.cipher_suites.is_empty() {
        provider.cipher_suites = tls
            .cipher_suites
            .iter()
            .map(|name| {
                rustls::crypto::aws_lc_rs::ALL_CIPHER_SUITES
                    .iter()
                    .find(|s| s.suite().as_str() == Some(name.as_str()))
                    .copied()
                    .ok_or_else(|| {
                        tls_error(CIPHER_SUITES, format!("unknown cipher suite {name:?}"))
                    })
            })
            .collect::<Result<_, _>>()?;
    }
    let allowed: &[&'static SupportedProtocolVersion] = match tls.min_version {
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
        _ => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let versions: Vec<_> = allowed
        .iter()
        .copied()
        .filter(|v| provider.cipher_suites.iter().any(|s| s.version() == *v))
        .collect();
    if versions.is_empty() {
        return Err(tls_error(
            CIPHER_SUITES,
            "no listed cipher suite serves a protocol version from tls.min_version up",
        ));
    }
    Ok((provider, versions))
}

/// The client-certificate verifier when `auth.mtls` is enabled. The authenticator's mTLS
/// identity (the same CA and CRL it identifies callers with) when it has one; with
/// `auth.enabled: false` the handshake still checks certificates (nobody is identified).
fn client_verifier(
    config: &Config,
    authenticator: &Authenticator,
) -> Result<Option<Arc<dyn ClientCertVerifier>>, Error> {
    let Some(mtls) = config.auth.mtls.as_ref().filter(|m| m.enabled) else {
        return Ok(None);
    };
    let mode = match mtls.client_auth {
        MtlsClientAuth::Optional => ClientAuth::Optional,
        _ => ClientAuth::Require,
    };
    let verifier = match authenticator.mtls() {
        Some(identity) => identity.client_verifier(mode)?,
        None => MtlsIdentity::new(mtls)?.client_verifier(mode)?,
    };
    Ok(Some(verifier))
}

fn read_chain(file: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let pem = read(CERT_FILE, file)?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(CERT_FILE, format!("invalid PEM in {}: {e}", file.display())))?;
    if chain.is_empty() {
        return Err(tls_error(
            CERT_FILE,
            format!(
                "no certificate (-----BEGIN CERTIFICATE-----) in {}",
                file.display()
            ),
        ));
    }
    Ok(chain)
}

fn read_key(file: &Path) -> Result<PrivateKeyDer<'static>, Error> {
    let pem = read(KEY_FILE, file)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        let message = match e {
            rustls::pki_types::pem::Error::NoItemsFound => format!(
                "no private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE \
                 KEY) in {}",
                file.display()
            ),
            e => format!("invalid PEM in {}: {e}", file.display()),
        };
        tls_error(KEY_FILE, message)
    })
}

fn read(path: &str, file: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(file).map_err(|e| tls_error(path, format!("cannot read {}: {e}", file.display())))
}

fn tls_error(path: &str, message: impl Into<String>) -> Error {
    Error::Tls {
        path: path.to_owned(),
        message: message.into(),
    }
}
