use std::time::Duration;

use super::*;

#[test]
fn every_transport_error_is_an_internal_error_with_its_reason() {
    let backend = "payments".to_owned();
    let cases = [
        (
            TransportError::Timeout {
                backend: backend.clone(),
                after: Duration::from_secs(1),
            },
            "timeout",
        ),
        (
            TransportError::Unreachable {
                backend: backend.clone(),
                reason: "refused".into(),
            },
            "unreachable",
        ),
        (
            TransportError::InvalidResponse {
                backend: backend.clone(),
                reason: "x".into(),
            },
            "invalid_response",
        ),
        (
            TransportError::Closed {
                backend: backend.clone(),
            },
            "closed",
        ),
        (
            TransportError::Stopped {
                backend: backend.clone(),
            },
            "stopped",
        ),
    ];
    let mut messages = std::collections::HashSet::new();
    for (error, reason) in cases {
        assert_eq!(error.code(), -32603, "{error}");
        assert_eq!(error.reason(), reason);
        assert_eq!(error.backend(), "payments");
        let object = error.to_error_object();
        assert_eq!(object.code, -32603);
        assert!(
            messages.insert(object.message.clone()),
            "distinct messages: {}",
            object.message
        );
        let data: serde_json::Value =
            serde_json::from_str(object.data.as_deref().map_or("null", RawValue::get)).unwrap();
        assert_eq!(
            data,
            serde_json::json!({"backend": "payments", "reason": reason})
        );
        let text = error.to_string();
        assert!(text.starts_with(char::is_lowercase), "{text}");
    }
}

#[test]
fn a_back_end_refusal_keeps_its_code_and_unsendable_params_are_invalid_params() {
    let refused = TransportError::Refused {
        backend: "b".into(),
        method: "tools/list".into(),
        code: -32601,
        message: "nope".into(),
    };
    assert_eq!(refused.code(), -32601);
    let unsendable = TransportError::Unsendable {
        backend: "b".into(),
        reason: "x".into(),
    };
    assert_eq!(unsendable.code(), -32602);
}

#[test]
fn client_secret_is_not_in_debug_output() {
    let credentials = ClientCredentials {
        token_url: "http://idp/token".into(),
        client_id: "hangar".into(),
        client_secret: "s3cr3t".into(),
        scopes: vec![],
    };
    assert!(!format!("{credentials:?}").contains("s3cr3t"));
}

#[tokio::test]
async fn a_bad_endpoint_fails_every_request_with_a_config_error() {
    for (endpoint, needle) in [
        ("ftp://example.com/mcp", "not an http(s):// URL"),
        ("not a url", "endpoint"),
    ] {
        let backend = Backend::start(BackendConfig {
            name: "bad".into(),
            kind: BackendKind::Http {
                endpoint: endpoint.into(),
                headers: vec![],
                oauth: None,
                protocol: ProtocolPreference::Auto,
                ca_file: None,
            },
            request_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
        });
        assert_eq!(backend.status().state, BackendState::Failed);
        let error = backend.request("tools/list", None).await.unwrap_err();
        assert!(matches!(error, TransportError::Config { .. }), "{error}");
        assert!(error.to_string().contains(needle), "{error}");
    }
}

#[tokio::test]
async fn reserved_and_invalid_headers_are_refused() {
    for headers in [
        vec![("Mcp-Session-Id".to_owned(), "x".to_owned())],
        vec![("Bad Header".to_owned(), "x".to_owned())],
        vec![("X-Key".to_owned(), "line\nbreak".to_owned())],
    ] {
        let backend = Backend::start(BackendConfig {
            name: "bad".into(),
            kind: BackendKind::Http {
                endpoint: "http://127.0.0.1:9/mcp".into(),
                headers,
                oauth: None,
                protocol: ProtocolPreference::Auto,
                ca_file: None,
            },
            request_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
        });
        let error = backend.connect().await.unwrap_err();
        assert!(matches!(error, TransportError::Config { .. }), "{error}");
    }
}
