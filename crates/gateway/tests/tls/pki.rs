//! A throw-away PKI made with rcgen for the TLS tests: a client CA the gateway trusts, a
//! second CA it does not, server certificates for `localhost` / `127.0.0.1`, client
//! certificates `CN=<name>,O=Acme`, and the trusted CA's revocation list, all PEM in a
//! temporary directory; and a rustls client trusting the CA. Depends on rcgen, rustls,
//! tempfile and std only (the end-to-end TLS test includes this file too).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair,
    KeyUsagePurpose, RevocationReason, RevokedCertParams, SerialNumber, date_time_ymd,
};

/// A certificate and its private key, PEM, and the certificate's DER.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
    pub(crate) der: Vec<u8>,
    serial: u64,
}

/// Two CAs and what they issued, in a temporary directory.
pub(crate) struct Pki {
    dir: tempfile::TempDir,
    trusted: CertifiedIssuer<'static, KeyPair>,
    foreign: CertifiedIssuer<'static, KeyPair>,
    serial: u64,
}

impl Pki {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            trusted: authority("Hangar Test Clients CA"),
            foreign: authority("Somebody Else's CA"),
            serial: 1000,
        }
    }

    /// The directory the files are written to.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A server certificate for `localhost` and `127.0.0.1` named `CN=<common_name>`,
    /// issued by the trusted CA.
    pub(crate) fn server(&mut self, common_name: &str) -> Leaf {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("server names");
        params.distinguished_name = subject(&[(DnType::CommonName, common_name)]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params, false)
    }

    /// A client certificate `CN=<common_name>,O=Acme` from the trusted CA.
    pub(crate) fn client(&mut self, common_name: &str) -> Leaf {
        self.issue(client_params(common_name), false)
    }

    /// A client certificate `CN=<common_name>,O=Acme` from the CA the gateway does not
    /// trust.
    pub(crate) fn stranger(&mut self, common_name: &str) -> Leaf {
        self.issue(client_params(common_name), true)
    }

    /// The trusted CA's certificate, PEM.
    pub(crate) fn ca_pem(&self) -> String {
        self.trusted.pem()
    }

    /// The trusted CA's revocation list revoking `revoked`, PEM.
    pub(crate) fn crl_pem(&self, revoked: &[&Leaf]) -> String {
        let crl = CertificateRevocationListParams {
            this_update: date_time_ymd(2024, 1, 1),
            next_update: date_time_ymd(2034, 1, 1),
            crl_number: SerialNumber::from(7u64),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|leaf| RevokedCertParams {
                    serial_number: SerialNumber::from(leaf.serial),
                    revocation_time: date_time_ymd(2024, 6, 1),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        crl.signed_by(&self.trusted)
            .expect("sign the revocation list")
            .pem()
            .expect("revocation list as PEM")
    }

    /// A TLS client trusting the trusted CA (which also issues the server certificates)
    /// that offers `versions` with `provider`'s suites and presents `certificate`, if any.
    pub(crate) fn client_config(
        &self,
        certificate: Option<&Leaf>,
        versions: &[&'static rustls::SupportedProtocolVersion],
        provider: rustls::crypto::CryptoProvider,
    ) -> rustls::ClientConfig {
        use rustls::pki_types::pem::PemObject as _;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let mut roots = rustls::RootCertStore::empty();
        let ca = CertificateDer::from_pem_slice(self.ca_pem().as_bytes()).expect("CA PEM");
        roots.add(ca).expect("trust the CA");
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(versions)
            .expect("client versions")
            .with_root_certificates(roots);
        match certificate {
            Some(leaf) => builder
                .with_client_auth_cert(
                    vec![CertificateDer::from(leaf.der.clone())],
                    PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).expect("key PEM"),
                )
                .expect("client certificate"),
            None => builder.with_no_client_auth(),
        }
    }

    /// Writes `contents` to `name` in the directory; its path.
    pub(crate) fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write a PEM file");
        path
    }

    /// Writes `leaf` as `<stem>.pem` and `<stem>-key.pem`; both paths.
    pub(crate) fn write_leaf(&self, stem: &str, leaf: &Leaf) -> (PathBuf, PathBuf) {
        (
            self.write(&format!("{stem}.pem"), &leaf.cert_pem),
            self.write(&format!("{stem}-key.pem"), &leaf.key_pem),
        )
    }

    fn issue(&mut self, mut params: CertificateParams, by_foreign: bool) -> Leaf {
        self.serial += 1;
        params.serial_number = Some(SerialNumber::from(self.serial));
        params.not_before = date_time_ymd(2024, 1, 1);
        params.not_after = date_time_ymd(2035, 1, 1);
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("a key");
        let issuer = if by_foreign {
            &self.foreign
        } else {
            &self.trusted
        };
        let cert = params.signed_by(&key, issuer).expect("sign a certificate");
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
            serial: self.serial,
        }
    }
}

fn authority(common_name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::default();
    params.distinguished_name = subject(&[
        (DnType::OrganizationName, "Hangar Tests"),
        (DnType::CommonName, common_name),
    ]);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().expect("a CA key");
    CertifiedIssuer::self_signed(params, key).expect("a self-signed CA")
}

fn client_params(common_name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = subject(&[
        (DnType::OrganizationName, "Acme"),
        (DnType::CommonName, common_name),
    ]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params
}

fn subject(attributes: &[(DnType, &str)]) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    for (kind, value) in attributes {
        name.push(kind.clone(), *value);
    }
    name
}
