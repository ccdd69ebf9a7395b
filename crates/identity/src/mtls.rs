//! Client certificates: rustls verifier configuration and identity mapping.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::server::danger::ClientCertVerifier;

use crate::{CallerIdentity, Error, Rejection};

/// Whether the TLS listener asks for a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// A certificate is required.
    Require,
    /// A certificate is verified if presented.
    Optional,
}

/// Verifies client certificates (CA, CRL) and maps a verified one to a caller.
#[derive(Debug)]
pub struct MtlsIdentity {}

impl MtlsIdentity {
    /// Reads the CA bundle and the CRL, compiles the subject patterns.
    pub fn new(config: &hangar_config::Mtls) -> Result<Self, Error> {
        let _ = config;
        todo!()
    }

    /// The rustls verifier the TLS listener installs.
    pub fn client_verifier(&self, client_auth: ClientAuth) -> Result<Arc<dyn ClientCertVerifier>, Error> {
        let _ = client_auth;
        todo!()
    }

    /// The caller for a certificate rustls has verified: subject allow-list, tenant map.
    pub fn identify(&self, certificate: &CertificateDer<'_>) -> Result<CallerIdentity, Rejection> {
        let _ = certificate;
        todo!()
    }
}
