//! The order between a client certificate and a header credential.

use std::io::Write as _;
use std::time::Duration;

use hangar_config::{Config, MapEnvironment};
use http::{HeaderMap, HeaderValue, Uri};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::CertificateDer;

use crate::{AuthMethod, Authenticator, CallerIdentity, HttpClient, Rejection, RequestContext};

struct Pki {
    ca_file: tempfile::NamedTempFile,
    service_a: CertificateDer<'static>,
    intruder: CertificateDer<'static>,
}

fn pki() -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "Test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::from_params(&ca, &ca_key);
    let leaf = |cn: &str| {
        let mut params = CertificateParams::new(vec![format!("{cn}.example")]).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        let key = KeyPair::generate().unwrap();
        params.signed_by(&key, &issuer).unwrap().der().clone()
    };
    let mut ca_file = tempfile::NamedTempFile::new().unwrap();
    ca_file.write_all(ca_pem.as_bytes()).unwrap();
    Pki {
        service_a: leaf("service-a"),
        intruder: leaf("intruder"),
        ca_file,
    }
}

fn authenticator(pki: &Pki, order: &str) -> Authenticator {
    let yaml = format!(
        "tls: {{enabled: true, cert_file: server.pem, key_file: server-key.pem}}
auth:
  enabled: true
  order: {order}
  api_keys: [{{name: k, key: v}}]
  mtls:
    enabled: true
    ca_file: {}
    allowed_subjects: [\"CN=service-*\"]
    tenant_map: {{\"CN=service-a\": \"tenant:a\"}}
",
        pki.ca_file.path().display()
    );
    let config = Config::from_yaml_str(&yaml, "c.yaml", &MapEnvironment::new()).unwrap();
    Authenticator::new(&config.auth, HttpClient::new(Duration::from_secs(1))).unwrap()
}

async fn run(
    a: &Authenticator,
    api_key: Option<&str>,
    certificate: Option<&CertificateDer<'_>>,
) -> Result<CallerIdentity, Rejection> {
    let mut headers = HeaderMap::new();
    if let Some(key) = api_key {
        headers.insert("x-api-key", HeaderValue::from_str(key).unwrap());
    }
    let uri = Uri::from_static("/mcp");
    let request = RequestContext {
        headers: &headers,
        uri: &uri,
        client_certificate: certificate,
    };
    a.authenticate(&request).await
}

#[tokio::test]
async fn the_first_credential_in_order_decides() {
    let pki = pki();
    let cert = Some(&pki.service_a);

    let mtls_first = authenticator(&pki, "[mtls, api_key]");
    let caller = run(&mtls_first, Some("v"), cert).await.unwrap();
    assert_eq!(caller.method, AuthMethod::Mtls);
    assert_eq!(caller.tenant_id.as_deref(), Some("tenant:a"));
    // The header is not looked at once the certificate decided.
    assert_eq!(
        run(&mtls_first, Some("wrong"), cert).await.unwrap().method,
        AuthMethod::Mtls
    );
    // Without a certificate the API key decides.
    assert_eq!(
        run(&mtls_first, Some("v"), None).await.unwrap().subject,
        "k"
    );

    let keys_first = authenticator(&pki, "[api_key, mtls]");
    let caller = run(&keys_first, Some("v"), cert).await.unwrap();
    assert_eq!(
        (caller.subject.as_str(), caller.method),
        ("k", AuthMethod::ApiKey)
    );
    assert_eq!(
        run(&keys_first, Some("wrong"), cert).await,
        Err(Rejection::InvalidApiKey)
    );
    assert_eq!(
        run(&keys_first, None, cert).await.unwrap().method,
        AuthMethod::Mtls
    );
}

#[tokio::test]
async fn a_certificate_outside_the_allow_list_is_refused() {
    let pki = pki();
    let a = authenticator(&pki, "[mtls, api_key]");
    match run(&a, Some("v"), Some(&pki.intruder)).await {
        Err(Rejection::CertificateNotAllowed { subject }) => assert!(subject.contains("intruder")),
        other => panic!("{other:?}"),
    }
}
