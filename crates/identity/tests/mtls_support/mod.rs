//! A throw-away PKI for the mTLS tests (a CA, leaf certificates, a CRL, and a second CA the
//! gateway does not know), written as PEM into a temporary directory, and a real TLS
//! handshake over 127.0.0.1.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hangar_config::{Config, MapEnvironment, Mtls};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevocationReason, RevokedCertParams, SerialNumber, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::server::danger::ClientCertVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// The notAfter of every leaf: 2035-01-01T00:00:00Z.
pub(crate) const LEAF_NOT_AFTER: u64 = 2_051_222_400;

/// Installs the process-wide rustls provider (aws-lc-rs); a second call is harmless.
pub(crate) fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// A certificate authority: its certificate and what signs with its key.
struct Authority {
    cert: CertificateDer<'static>,
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Authority {
    fn new(common_name: &str) -> Self {
        let mut params = CertificateParams::default();
        params.distinguished_name = name(&[
            (DnType::OrganizationName, "Hangar Tests"),
            (DnType::CommonName, common_name),
        ]);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("generate CA key");
        let cert = params.self_signed(&key).expect("self-sign CA");
        Self {
            cert: cert.der().clone(),
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }
}

/// A certificate with its key.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    /// The certificate alone (no intermediates in these tests).
    pub(crate) chain: Vec<CertificateDer<'static>>,
    key_pkcs8: Vec<u8>,
    serial: u64,
}

impl Leaf {
    /// The certificate.
    pub(crate) fn cert(&self) -> &CertificateDer<'static> {
        &self.chain[0]
    }

    /// The private key.
    pub(crate) fn key(&self) -> PrivateKeyDer<'static> {
        PrivatePkcs8KeyDer::from(self.key_pkcs8.clone()).into()
    }
}

/// The test PKI, in its own temporary directory.
pub(crate) struct Pki {
    dir: TempDir,
    ca: Authority,
    unknown_ca: Authority,
    server: Leaf,
    next_serial: u64,
}

impl Pki {
    /// A CA, a server certificate for `localhost`, and a second CA nobody trusts.
    pub(crate) fn new() -> Self {
        let ca = Authority::new("Hangar Test CA");
        let unknown_ca = Authority::new("Unknown CA");
        let mut pki = Self {
            dir: tempfile::tempdir().expect("tempdir"),
            ca,
            unknown_ca,
            server: Leaf {
                chain: Vec::new(),
                key_pkcs8: Vec::new(),
                serial: 0,
            },
            next_serial: 100,
        };
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned()]).expect("server params");
        params.distinguished_name = name(&[(DnType::CommonName, "hangar.test")]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        pki.server = pki.issue(params, false);
        pki
    }

    /// A client certificate from the trusted CA: `CN=<common_name>,O=Acme`.
    pub(crate) fn client(&mut self, common_name: &str) -> Leaf {
        self.client_named(&[
            (DnType::OrganizationName, "Acme"),
            (DnType::CommonName, common_name),
        ])
    }

    /// A client certificate from the trusted CA with this subject (certificate order).
    pub(crate) fn client_named(&mut self, subject: &[(DnType, &str)]) -> Leaf {
        self.issue(client_params(subject), false)
    }

    /// A client certificate from the CA the gateway does not trust: `CN=<common_name>,O=Acme`.
    pub(crate) fn stranger(&mut self, common_name: &str) -> Leaf {
        let subject = [
            (DnType::OrganizationName, "Acme"),
            (DnType::CommonName, common_name),
        ];
        self.issue(client_params(&subject), true)
    }

    fn issue(&mut self, mut params: CertificateParams, by_unknown_ca: bool) -> Leaf {
        self.next_serial += 1;
        let serial = self.next_serial;
        params.serial_number = Some(SerialNumber::from(serial));
        params.not_before = date_time_ymd(2024, 1, 1);
        params.not_after = date_time_ymd(2035, 1, 1);
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("generate leaf key");
        let issuer = if by_unknown_ca {
            &self.unknown_ca.issuer
        } else {
            &self.ca.issuer
        };
        let cert = params.signed_by(&key, issuer).expect("sign leaf");
        Leaf {
            chain: vec![cert.der().clone()],
            key_pkcs8: key.serialize_der(),
            serial,
        }
    }

    /// Writes a file into the PKI's directory.
    pub(crate) fn write(&self, file_name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(file_name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    /// Writes the trusted CA as a PEM bundle.
    pub(crate) fn ca_file(&self) -> PathBuf {
        self.write("ca.pem", &self.ca.pem)
    }

    /// Writes the CA the gateway does not trust.
    pub(crate) fn unknown_ca_file(&self) -> PathBuf {
        self.write("unknown-ca.pem", &self.unknown_ca.pem)
    }

    /// Writes the trusted CA's CRL revoking `revoked`.
    pub(crate) fn crl_file(&self, revoked: &[&Leaf]) -> PathBuf {
        let pem = crl_pem(&self.ca.issuer, revoked);
        self.write("crl.pem", &pem)
    }

    /// Writes a CRL from the untrusted CA (revoking nothing).
    pub(crate) fn unknown_ca_crl_file(&self) -> PathBuf {
        let pem = crl_pem(&self.unknown_ca.issuer, &[]);
        self.write("unknown-ca.crl.pem", &pem)
    }

    /// Runs one TLS handshake: the server verifies with `verifier`, the client presents
    /// `client` (or no certificate).
    pub(crate) async fn handshake(
        &self,
        verifier: Arc<dyn ClientCertVerifier>,
        client: Option<&Leaf>,
    ) -> Handshake {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local address");
        let server_config = ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.server.chain.clone(), self.server.key())
            .expect("server config");
        let acceptor = TlsAcceptor::from(Arc::new(server_config));
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await?;
            let mut tls = acceptor.accept(tcp).await?;
            let peer = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|cert| cert.clone().into_owned());
            tls.write_all(b"ok").await?;
            tls.shutdown().await?;
            Ok::<_, io::Error>(peer)
        });

        let mut roots = RootCertStore::empty();
        roots.add(self.ca.cert.clone()).expect("trust the CA");
        let builder = ClientConfig::builder().with_root_certificates(roots);
        let client_config = match client {
            Some(leaf) => builder
                .with_client_auth_cert(leaf.chain.clone(), leaf.key())
                .expect("client config"),
            None => builder.with_no_client_auth(),
        };
        let connector = TlsConnector::from(Arc::new(client_config));
        let client = async {
            let tcp = TcpStream::connect(address).await?;
            let name = ServerName::try_from("localhost").expect("server name");
            let mut tls = connector.connect(name, tcp).await?;
            let mut received = Vec::new();
            tls.read_to_end(&mut received).await?;
            Ok::<_, io::Error>(received)
        };
        let client = tokio::time::timeout(Duration::from_secs(10), client)
            .await
            .expect("client side timed out");
        let server = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("server side timed out")
            .expect("server task panicked");
        Handshake { server, client }
    }
}

/// What both ends saw.
#[derive(Debug)]
pub(crate) struct Handshake {
    /// The server: the client's end-entity certificate, if it sent one.
    pub(crate) server: io::Result<Option<CertificateDer<'static>>>,
    /// The client: what the server wrote after the handshake (`ok`).
    pub(crate) client: io::Result<Vec<u8>>,
}

impl Handshake {
    /// The client certificate of a handshake that must have succeeded.
    pub(crate) fn peer_certificate(self) -> Option<CertificateDer<'static>> {
        let peer = match self.server {
            Ok(peer) => peer,
            Err(e) => panic!("server side of the handshake failed: {e}"),
        };
        match self.client {
            Ok(received) => assert_eq!(received, b"ok"),
            Err(e) => panic!("client side of the handshake failed: {e}"),
        }
        peer
    }

    /// The rustls error of a handshake that must have failed on the server side (the
    /// client must have failed too).
    pub(crate) fn server_error(self) -> rustls::Error {
        let error = match self.server {
            Ok(peer) => panic!("handshake succeeded (peer certificate: {})", peer.is_some()),
            Err(e) => e,
        };
        assert!(
            self.client.is_err(),
            "client side succeeded: {:?}",
            self.client
        );
        error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .cloned()
            .unwrap_or_else(|| panic!("not a rustls error: {error}"))
    }
}

/// `auth.mtls` as the gateway would load it from YAML.
pub(crate) struct MtlsYaml<'a> {
    /// `ca_file`.
    pub(crate) ca_file: Option<PathBuf>,
    /// `crl_file`.
    pub(crate) crl_file: Option<PathBuf>,
    /// `allowed_subjects`.
    pub(crate) allowed_subjects: &'a [&'a str],
    /// `tenant_map`.
    pub(crate) tenant_map: &'a [(&'a str, &'a str)],
}

impl MtlsYaml<'_> {
    /// Loads the block through hangar-config.
    pub(crate) fn load(&self) -> Mtls {
        let mut yaml = String::from(
            "tls: {enabled: true, cert_file: server.pem, key_file: server-key.pem}\nauth:\n  mtls:\n    enabled: true\n",
        );
        if let Some(ca_file) = &self.ca_file {
            yaml.push_str(&format!(
                "    ca_file: {:?}\n",
                ca_file.display().to_string()
            ));
        } else {
            yaml = yaml.replace("enabled: true", "enabled: false");
        }
        if let Some(crl_file) = &self.crl_file {
            yaml.push_str(&format!(
                "    crl_file: {:?}\n",
                crl_file.display().to_string()
            ));
        }
        let allowed: Vec<String> = self
            .allowed_subjects
            .iter()
            .map(|p| format!("{p:?}"))
            .collect();
        yaml.push_str(&format!("    allowed_subjects: [{}]\n", allowed.join(", ")));
        let tenants: Vec<String> = self
            .tenant_map
            .iter()
            .map(|(pattern, tenant)| format!("{pattern:?}: {tenant:?}"))
            .collect();
        yaml.push_str(&format!("    tenant_map: {{{}}}\n", tenants.join(", ")));
        let config = Config::from_yaml_str(&yaml, "config.yaml", &MapEnvironment::new())
            .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        config.auth.mtls.expect("auth.mtls")
    }
}

fn name(attributes: &[(DnType, &str)]) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    for (kind, value) in attributes {
        name.push(kind.clone(), *value);
    }
    name
}

fn client_params(subject: &[(DnType, &str)]) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(subject);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params
}

fn crl_pem(issuer: &Issuer<'static, KeyPair>, revoked: &[&Leaf]) -> String {
    let params = CertificateRevocationListParams {
        this_update: date_time_ymd(2024, 1, 1),
        next_update: date_time_ymd(2034, 1, 1),
        crl_number: SerialNumber::from(1u64),
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
    params
        .signed_by(issuer)
        .expect("sign CRL")
        .pem()
        .expect("CRL as PEM")
}
