//! The admin API client's transport: plain TCP for `http://`, rustls (aws-lc-rs) for
//! `https://` — trusting the system's roots or `--cacert`, and presenting `--cert` /
//! `--key` when the gateway asks for a client certificate (mTLS).

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::Failure;
use crate::cli::OnlineArgs;

/// The admin API client.
pub(crate) type AdminClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A client for `args` (the TLS settings are used only for an `https://` URL).
pub(crate) fn client(args: &OnlineArgs) -> Result<AdminClient, Failure> {
    let mut roots = rustls::RootCertStore::empty();
    match &args.cacert {
        Some(path) => {
            for certificate in certificates(path)? {
                roots
                    .add(certificate)
                    .map_err(|e| Failure::Invalid(format!("--cacert {}: {e}", path.display())))?;
            }
        }
        None => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::Invalid(format!("TLS settings: {e}")))?
        .with_root_certificates(roots);
    let tls = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| Failure::Io(format!("--key {}: {e}", key.display())))?;
            builder
                .with_client_auth_cert(certificates(cert)?, key)
                .map_err(|e| Failure::Invalid(format!("--cert/--key: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(Failure::Invalid(
                "--cert and --key go together (the client certificate and its key)".to_owned(),
            ));
        }
    };
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    let connector = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(tcp);
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// The certificates of a PEM file: at least one.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let shown = path.display();
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| Failure::Io(format!("{shown}: {e}")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::Invalid(format!("{shown}: {e}")))?;
    if certificates.is_empty() {
        return Err(Failure::Invalid(format!(
            "{shown}: no certificate in the file"
        )));
    }
    Ok(certificates)
}
