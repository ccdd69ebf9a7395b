//! mTLS identity: real TLS handshakes on 127.0.0.1 with certificates made by rcgen, the
//! server verifying with `MtlsIdentity::client_verifier` and identifying the peer with
//! `MtlsIdentity::identify`.

mod mtls_support;

use hangar_identity::{AuthMethod, ClientAuth, Error, MtlsIdentity, Rejection};
use rcgen::DnType;
use rustls::CertificateError;

use crate::mtls_support::{LEAF_NOT_AFTER, MtlsYaml, Pki, install_crypto_provider};

/// `MtlsIdentity` over the PKI's CA, with a CRL revoking `revoked` (if `Some`).
fn identity(
    pki: &Pki,
    revoked: Option<&[&mtls_support::Leaf]>,
    allowed_subjects: &[&str],
    tenant_map: &[(&str, &str)],
) -> MtlsIdentity {
    let mtls = MtlsYaml {
        ca_file: Some(pki.ca_file()),
        crl_file: revoked.map(|revoked| pki.crl_file(revoked)),
        allowed_subjects,
        tenant_map,
    }
    .load();
    MtlsIdentity::new(&mtls).expect("MtlsIdentity::new")
}

fn config_error(error: Error) -> (String, String) {
    match error {
        Error::Config { path, message } => (path, message),
        other => panic!("expected a config error, got {other:?}"),
    }
}

const ALLOWED: &[&str] = &["CN=svc-a,O=Acme", "CN=service-*"];

#[tokio::test]
async fn allowed_subject_is_identified() {
    install_crypto_provider();
    let mut pki = Pki::new();
    let client = pki.client("svc-a");
    let mtls = identity(&pki, Some(&[]), ALLOWED, &[]);

    let verifier = mtls.client_verifier(ClientAuth::Require).unwrap();
    let peer = pki
        .handshake(verifier, Some(&client))
        .await
        .peer_certificate();
    let peer = peer.expect("the server sees the client certificate");
    assert_eq!(&peer, client.cert());

    let caller = mtls.identify(&peer).expect("allowed");
    assert_eq!(caller.subject, "CN=svc-a,O=Acme");
    assert_eq!(caller.method, AuthMethod::Mtls);
    assert_eq!(caller.tenant_id, None);
    assert_eq!(caller.expires_at, Some(LEAF_NOT_AFTER));
    assert!(caller.issuer.is_none() && caller.scopes.is_empty() && caller.roles.is_empty());
}

#[tokio::test]
async fn wildcard_allowed_subject_is_identified() {
    install_crypto_provider();
    let mut pki = Pki::new();
    let client = pki.client("service-x");
    let mtls = identity(&pki, Some(&[]), ALLOWED, &[]);

    let verifier = mtls.client_verifier(ClientAuth::Require).unwrap();
    let peer = pki
        .handshake(verifier, Some(&client))
        .await
        .peer_certificate();

    let caller = mtls
        .identify(&peer.unwrap())
        .expect("CN=service-* allows service-x");
    assert_eq!(caller.subject, "CN=service-x,O=Acme");
}

#[tokio::test]
async fn subject_not_allowed_passes_the_handshake_but_is_refused() {
    install_crypto_provider();
    let mut pki = Pki::new();
    let client = pki.client("intruder");
    let mtls = identity(&pki, Some(&[]), ALLOWED, &[]);

    let verifier = mtls.client_verifier(ClientAuth::Require).unwrap();
    let peer = pki
        .handshake(verifier, Some(&client))
        .await
        .peer_certificate();

    assert_eq!(
        mtls.identify(&peer.unwrap()),
        Err(Rejection::CertificateNotAllowed {
            subject: "CN=intruder,O=Acme".to_owned()
        })
    );
}

#[tokio::test]
async fn revoked_certificate_fails_the_handshake() {
    install_crypto_provider();
    let mut pki = Pki::new();
    let revoked = pki.client("service-revoked");
    let other = pki.client("service-ok");
    let mtls = identity(&pki, Some(&[&revoked]), ALLOWED, &[]);

    for client_auth in [ClientAuth::Require, ClientAuth::Optional] {
        let verifier = mtls.client_verifier(client_auth).unwrap();
        let error = pki.handshake(verifier, Some(&revoked)).await.server_error();
        assert_eq!(
            error,
            rustls::Error::InvalidCertificate(CertificateError::Revoked),
            "{client_auth:?}"
        );
    }
    // The CRL revokes that certificate only.
    let verifier = mtls.client_verifier(ClientAuth::Require).unwrap();
    let peer = pki
        .handshake(verifier, Some(&other))
        .await
        .peer_certificate();
    assert!(mtls.identify(&peer.unwrap()).is_ok());
}

#[tokio::test]
async fn certificate_from_an_unknown_ca_fails_the_handshake() {
    install_crypto_provider();
    let mut pki = Pki::new();
    // A subject the allow-list would accept, from a CA the gateway does not trust.
    let stranger = pki.stranger("service-a");
    let mtls = identity(&pki, Some(&[]), ALLOWED, &[]);

    for client_auth in [ClientAuth::Require, ClientAuth::Optional] {
        let verifier = mtls.client_verifier(client_auth).unwrap();
        let error = pki
            .handshake(verifier, Some(&stranger))
            .await
            .server_error();
        assert_eq!(
            error,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
            "{client_auth:?}"
        );
    }
}

#[tokio::test]
async fn no_certificate_fails_when_required() {
    install_crypto_provider();
    let pki = Pki::new();
    let mtls = identity(&pki, None, ALLOWED, &[]);

    let verifier = mtls.client_verifier(ClientAuth::Require).unwrap();
    let error = pki.handshake(verifier, None).await.server_error();
    assert_eq!(error, rustls::Error::NoCertificatesPresented);
}

#[tokio::test]
async fn no_certificate_passes_when_optional_without_an_identity() {
    install_crypto_provider();
    let mut pki = Pki::new();
    let client = pki.client("service-x");
    let mtls = identity(&pki, Some(&[]), ALLOWED, &[]);

    let verifier = mtls.client_verifier(ClientAuth::Optional).unwrap();
    let peer = pki.handshake(verifier, None).await.peer_certificate();
    assert_eq!(peer, None, "no certificate, no mTLS identity");

    // A certificate, when sent, is still verified and identified.
    let verifier = mtls.client_verifier(ClientAuth::Optional).unwrap();
    let peer = pki
        .handshake(verifier, Some(&client))
        .await
        .peer_certificate();
    assert_eq!(
        mtls.identify(&peer.unwrap()).unwrap().subject,
        "CN=service-x,O=Acme"
    );
}

#[tokio::test]
async fn tenant_map_gives_the_tenant_of_the_most_specific_pattern() {
    install_crypto_provider();
    let mut pki = Pki::new();
    let tenant_map = [
        ("CN=service-*", "tenant:services"),
        ("CN=service-billing-*", "tenant:billing"),
        ("O=Acme,CN=service-billing-eu", "tenant:billing-eu"),
        ("CN=service-billing-eu,O=Other", "tenant:other"),
    ];
    let mtls = identity(&pki, None, &["CN=service-*"], &tenant_map);

    let cases = [
        ("service-billing-eu", Some("tenant:billing-eu")),
        ("service-billing-us", Some("tenant:billing")),
        ("service-x", Some("tenant:services")),
    ];
    for (common_name, tenant) in cases {
        let client = pki.client(common_name);
        let verifier = mtls.client_verifier(ClientAuth::Require).unwrap();
        let peer = pki
            .handshake(verifier, Some(&client))
            .await
            .peer_certificate();
        let caller = mtls.identify(&peer.unwrap()).expect(common_name);
        assert_eq!(caller.tenant_id.as_deref(), tenant, "{common_name}");
    }
}

#[test]
fn tenant_map_without_a_match_leaves_no_tenant_and_ties_go_to_key_order() {
    install_crypto_provider();
    let mut pki = Pki::new();
    // "CN=*b" and "CN=a*" are equally specific; "CN=*b" sorts first.
    let tenant_map = [
        ("CN=a*", "tenant:a"),
        ("CN=*b", "tenant:b"),
        ("OU=ops", "tenant:ops"),
    ];
    let mtls = identity(&pki, None, &[], &tenant_map);

    let tie = mtls.identify(pki.client("ab").cert()).unwrap();
    assert_eq!(tie.tenant_id.as_deref(), Some("tenant:b"));
    let none = mtls.identify(pki.client("zz").cert()).unwrap();
    assert_eq!(none.tenant_id, None);
    let by_ou = pki.client_named(&[
        (DnType::OrganizationName, "Acme"),
        (DnType::OrganizationalUnitName, "ops"),
        (DnType::CommonName, "zz"),
    ]);
    let caller = mtls.identify(by_ou.cert()).unwrap();
    assert_eq!(caller.subject, "CN=zz,OU=ops,O=Acme");
    assert_eq!(caller.tenant_id.as_deref(), Some("tenant:ops"));
}

#[test]
fn empty_allow_list_accepts_any_verified_subject() {
    install_crypto_provider();
    let mut pki = Pki::new();
    let mtls = identity(&pki, None, &[], &[]);
    let caller = mtls.identify(pki.client("anything").cert()).unwrap();
    assert_eq!(caller.subject, "CN=anything,O=Acme");
}

#[test]
fn multi_attribute_pattern_needs_every_attribute() {
    install_crypto_provider();
    let mut pki = Pki::new();
    let mtls = identity(&pki, None, &["CN=svc-a,O=Acme"], &[]);
    let other_org = pki.client_named(&[
        (DnType::OrganizationName, "Other"),
        (DnType::CommonName, "svc-a"),
    ]);
    assert_eq!(
        mtls.identify(other_org.cert()),
        Err(Rejection::CertificateNotAllowed {
            subject: "CN=svc-a,O=Other".to_owned()
        })
    );
    assert!(mtls.identify(pki.client("svc-a").cert()).is_ok());
}

#[test]
fn garbage_is_not_an_identity() {
    install_crypto_provider();
    let pki = Pki::new();
    let mtls = identity(&pki, None, &[], &[]);
    let garbage = rustls::pki_types::CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x01]);
    assert!(matches!(
        mtls.identify(&garbage),
        Err(Rejection::CertificateNotAllowed { .. })
    ));
}

#[test]
fn missing_ca_file_is_a_config_error() {
    let mtls = MtlsYaml {
        ca_file: None,
        crl_file: None,
        allowed_subjects: &[],
        tenant_map: &[],
    }
    .load();
    let (path, message) = config_error(MtlsIdentity::new(&mtls).unwrap_err());
    assert_eq!(path, "auth.mtls.ca_file");
    assert!(message.starts_with("missing"), "{message}");
}

#[test]
fn unreadable_ca_file_is_an_io_error() {
    let pki = Pki::new();
    let ca_file = pki.write("placeholder", "").with_file_name("absent.pem");
    let mtls = MtlsYaml {
        ca_file: Some(ca_file.clone()),
        crl_file: None,
        allowed_subjects: &[],
        tenant_map: &[],
    }
    .load();
    match MtlsIdentity::new(&mtls).unwrap_err() {
        Error::Io { path, file, source } => {
            assert_eq!(path, "auth.mtls.ca_file");
            assert_eq!(file, ca_file);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

#[test]
fn empty_or_invalid_ca_file_is_a_config_error() {
    let pki = Pki::new();
    let cases = [
        ("", "no certificate (-----BEGIN CERTIFICATE-----) in "),
        (
            "not a pem file\n",
            "no certificate (-----BEGIN CERTIFICATE-----) in ",
        ),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "certificate #1 in ",
        ),
        (
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
            "invalid PEM in ",
        ),
    ];
    for (contents, expected) in cases {
        let mtls = MtlsYaml {
            ca_file: Some(pki.write("ca.pem", contents)),
            crl_file: None,
            allowed_subjects: &[],
            tenant_map: &[],
        }
        .load();
        let (path, message) = config_error(MtlsIdentity::new(&mtls).unwrap_err());
        assert_eq!(path, "auth.mtls.ca_file", "{contents:?}");
        assert!(message.starts_with(expected), "{contents:?}: {message}");
    }
}

#[test]
fn empty_invalid_or_foreign_crl_file_is_a_config_error() {
    install_crypto_provider();
    let pki = Pki::new();
    let garbage = "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n";
    let cases = [
        (
            pki.write("empty.crl.pem", ""),
            "no revocation list (-----BEGIN X509 CRL-----) in ",
        ),
        (
            pki.write("garbage.crl.pem", garbage),
            "revocation list #1 in ",
        ),
        (
            pki.unknown_ca_crl_file(),
            "no revocation list from CA \"CN=Hangar Test CA,O=Hangar Tests\" (in auth.mtls.ca_file) in ",
        ),
    ];
    for (crl_file, expected) in cases {
        let mtls = MtlsYaml {
            ca_file: Some(pki.ca_file()),
            crl_file: Some(crl_file.clone()),
            allowed_subjects: &[],
            tenant_map: &[],
        }
        .load();
        let (path, message) = config_error(MtlsIdentity::new(&mtls).unwrap_err());
        assert_eq!(path, "auth.mtls.crl_file", "{}", crl_file.display());
        assert!(message.starts_with(expected), "{message}");
    }
    // A CRL the bundle needs plus one it does not is fine (an intermediate's, say).
    let both = format!(
        "{}{}",
        std::fs::read_to_string(pki.crl_file(&[])).unwrap(),
        std::fs::read_to_string(pki.unknown_ca_crl_file()).unwrap()
    );
    let mtls = MtlsYaml {
        ca_file: Some(pki.ca_file()),
        crl_file: Some(pki.write("both.crl.pem", &both)),
        allowed_subjects: &[],
        tenant_map: &[],
    }
    .load();
    assert!(MtlsIdentity::new(&mtls).is_ok());
    // A bundle with two CAs needs a CRL from each.
    let two_cas = format!(
        "{}{}",
        std::fs::read_to_string(pki.ca_file()).unwrap(),
        std::fs::read_to_string(pki.unknown_ca_file()).unwrap()
    );
    let mtls = MtlsYaml {
        ca_file: Some(pki.write("two-cas.pem", &two_cas)),
        crl_file: Some(pki.crl_file(&[])),
        allowed_subjects: &[],
        tenant_map: &[],
    }
    .load();
    let (path, message) = config_error(MtlsIdentity::new(&mtls).unwrap_err());
    assert_eq!(path, "auth.mtls.crl_file");
    assert!(
        message.contains("\"CN=Unknown CA,O=Hangar Tests\""),
        "{message}"
    );
}

#[test]
fn invalid_subject_patterns_name_their_yaml_path() {
    install_crypto_provider();
    let pki = Pki::new();
    let mtls = MtlsYaml {
        ca_file: Some(pki.ca_file()),
        crl_file: None,
        allowed_subjects: &["CN=ok", "service-*"],
        tenant_map: &[],
    }
    .load();
    let (path, message) = config_error(MtlsIdentity::new(&mtls).unwrap_err());
    assert_eq!(path, "auth.mtls.allowed_subjects[1]");
    assert_eq!(
        message,
        r#"invalid subject pattern "service-*": expected TYPE=VALUE, found "service-*""#
    );

    let mtls = MtlsYaml {
        ca_file: Some(pki.ca_file()),
        crl_file: None,
        allowed_subjects: &[],
        tenant_map: &[("XX=1", "tenant:x")],
    }
    .load();
    let (path, message) = config_error(MtlsIdentity::new(&mtls).unwrap_err());
    assert_eq!(path, r#"auth.mtls.tenant_map."XX=1""#);
    assert!(
        message.starts_with(r#"invalid subject pattern: unknown attribute type "XX""#),
        "{message}"
    );
}

#[test]
fn mtls_identity_can_be_shared_between_connections() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<MtlsIdentity>();
}

/// The token cache answers a known bearer value before the walk over `auth.order`, but
/// not when a client certificate came with it: `mtls` first in the order still wins.
#[tokio::test]
async fn a_cached_token_does_not_override_an_earlier_mtls_method() {
    use std::time::{Duration, SystemTime};

    use hangar_config::{Config, MapEnvironment};
    use hangar_identity::{Authenticator, HttpClient, RequestContext};
    use josekit::jws::{HS256, JwsHeader};
    use josekit::jwt::{self, JwtPayload};

    install_crypto_provider();
    let mut pki = Pki::new();
    let client = pki.client("svc-a");
    let yaml = format!(
        "tls: {{enabled: true, cert_file: server.pem, key_file: server-key.pem}}
auth:
  enabled: true
  order: [mtls, jwt]
  mtls: {{enabled: true, ca_file: {:?}, allowed_subjects: [\"CN=svc-a,O=Acme\"]}}
  jwt: {{enabled: true, algorithm: HS256, secret: 0123456789abcdef0123456789abcdef}}
",
        pki.ca_file().display().to_string()
    );
    let config = Config::from_yaml_str(&yaml, "c.yaml", &MapEnvironment::new()).unwrap();
    let authenticator =
        Authenticator::new(&config.auth, HttpClient::new(Duration::from_secs(1))).unwrap();

    let mut payload = JwtPayload::new();
    payload.set_subject("agent-7");
    payload.set_expires_at(&(SystemTime::now() + Duration::from_secs(300)));
    let signer = HS256
        .signer_from_bytes(b"0123456789abcdef0123456789abcdef")
        .unwrap();
    let token = jwt::encode_with_signer(&payload, &JwsHeader::new(), &signer).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    let uri: http::Uri = "/mcp".parse().unwrap();
    let subject = |certificate| {
        let request = RequestContext {
            headers: &headers,
            uri: &uri,
            client_certificate: certificate,
        };
        let authenticator = &authenticator;
        async move {
            authenticator
                .authenticate(&request)
                .await
                .map(|c| c.subject)
        }
    };
    // Twice without a certificate: verified, then answered from the cache.
    assert_eq!(subject(None).await, Ok("agent-7".into()));
    assert_eq!(subject(None).await, Ok("agent-7".into()));
    assert_eq!(authenticator.token_cache().unwrap().len(), 1);
    // With the certificate the walk runs, and mtls comes first.
    assert_eq!(
        subject(Some(client.cert())).await,
        Ok("CN=svc-a,O=Acme".into())
    );
}
