//! The connector of HTTP back ends: plain TCP for `http://`, rustls (aws-lc-rs) for
//! `https://`, trusting either the system's root certificates or, when the back end
//! names one, only the CA certificates of its `ca_file`.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The connector every HTTP back end's client uses.
pub(crate) type Connector = HttpsConnector<HttpConnector>;

/// A connector with this connect timeout, trusting `ca_file`'s certificates (PEM) or,
/// without one, the system's roots.
pub(crate) fn connector(
    connect_timeout: Duration,
    ca_file: Option<&Path>,
) -> Result<Connector, String> {
    let roots = match ca_file {
        Some(path) => file_roots(path)?,
        None => system_roots(),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS client settings: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut tcp = HttpConnector::new();
    // The https wrapper needs the TCP connector to accept https:// URIs too.
    tcp.enforce_http(false);
    tcp.set_connect_timeout(Some(connect_timeout));
    tcp.set_nodelay(true);
    Ok(HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(tcp))
}

/// The CA certificates of a PEM file: at least one, all parsable.
fn file_roots(path: &Path) -> Result<RootCertStore, String> {
    let shown = path.display();
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("ca_file {shown}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("ca_file {shown}: {e}"))?;
    if certificates.is_empty() {
        return Err(format!("ca_file {shown}: no certificate in the file"));
    }
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|e| format!("ca_file {shown}: {e}"))?;
    }
    Ok(roots)
}

/// The system's root certificates, loaded once per process (an empty store when there
/// are none: https back ends then fail their handshake with a clear error).
fn system_roots() -> RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                tracing::warn!("no system root certificates: https back ends need a ca_file");
            }
            roots
        })
        .clone()
}
