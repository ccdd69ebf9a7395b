use http::{HeaderMap, HeaderValue, Uri};

use super::{Credential, Shape, check_message_token, extract, reject_query_credentials, shape};
use crate::Rejection;

fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    map
}

#[test]
fn credentials_in_the_query_string_are_refused() {
    for uri in [
        "/mcp?access_token=x",
        "/mcp?a=1&api_key=x",
        "/mcp?token=",
        "/mcp?TOKEN=x",
        "/mcp?access%5Ftoken=x",
        "/mcp?x=1&token",
    ] {
        let uri: Uri = uri.parse().unwrap();
        assert_eq!(
            reject_query_credentials(&uri),
            Err(Rejection::TokenInQuery),
            "{uri}"
        );
    }
    for uri in [
        "/mcp",
        "/mcp?",
        "/mcp?tokens=1&x=token",
        "/mcp?session=access_token",
    ] {
        let uri: Uri = uri.parse().unwrap();
        assert_eq!(reject_query_credentials(&uri), Ok(()), "{uri}");
    }
}

#[test]
fn good_headers() {
    assert_eq!(extract(&headers(&[])), Ok(None));
    let h = headers(&[("authorization", b"Bearer abc.def-_~+/=")]);
    assert_eq!(extract(&h), Ok(Some(Credential::Bearer("abc.def-_~+/="))));
    let h = headers(&[("authorization", b"bearer   k")]);
    assert_eq!(extract(&h), Ok(Some(Credential::Bearer("k"))));
    let h = headers(&[("x-api-key", b"  my key  ")]);
    assert_eq!(extract(&h), Ok(Some(Credential::ApiKey("my key"))));
}

#[test]
fn malformed_headers() {
    let long = format!("Bearer {}", "a".repeat(8 * 1024));
    let cases: Vec<Vec<(&str, &[u8])>> = vec![
        vec![("authorization", b"Bearer")],
        vec![("authorization", b"Bearer ")],
        vec![("authorization", b"Basic dXNlcjpwYXNz")],
        vec![("authorization", b"Digest x")],
        vec![("authorization", b"s3cret")],
        vec![("authorization", b"Bearer a b")],
        vec![("authorization", b"Bearer a,b")],
        vec![("authorization", b"Bearer \"a\"")],
        vec![("authorization", "Bearer caf\u{e9}".as_bytes())],
        vec![("authorization", b"Bearer \xff")],
        vec![("authorization", long.as_bytes())],
        vec![
            ("authorization", b"Bearer a"),
            ("authorization", b"Bearer b"),
        ],
        vec![("x-api-key", b"a"), ("x-api-key", b"b")],
        vec![("x-api-key", b"")],
        vec![("x-api-key", b"\xe9")],
        vec![("authorization", b"Bearer a"), ("x-api-key", b"a")],
    ];
    for case in cases {
        assert_eq!(
            extract(&headers(&case)),
            Err(Rejection::MalformedHeader),
            "{case:?}"
        );
    }
}

#[test]
fn check_message_tokens() {
    assert_eq!(check_message_token("abc"), Ok("abc"));
    for bad in ["", "a b", "caf\u{e9}", &"a".repeat(8 * 1024 + 1)] {
        assert!(
            matches!(check_message_token(bad), Err(Rejection::InvalidToken(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn shapes() {
    // {"iss":"https://auth.example.com"}
    let payload = "eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20ifQ";
    assert_eq!(
        shape(&format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln")),
        Shape::Jwt {
            issuer: Some("https://auth.example.com".into())
        }
    );
    // alg: none tokens have an empty signature; still a JWT (the verifier refuses it).
    assert_eq!(
        shape(&format!("eyJhbGciOiJub25lIn0.{payload}.")),
        Shape::Jwt {
            issuer: Some("https://auth.example.com".into())
        }
    );
    assert_eq!(shape("a.b.c"), Shape::Jwt { issuer: None });
    // Other claims are skipped; an `iss` that is not one string names no issuer.
    let claims = |json: &str| {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        shape(&format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"))
    };
    assert_eq!(
        claims(r#"{"sub":"a","aud":["x",{"y":[1,2]}],"exp":1,"iss":"https://i.example"}"#),
        Shape::Jwt {
            issuer: Some("https://i.example".into())
        }
    );
    for no_issuer in [
        r#"{"iss":1}"#,
        r#"{"iss":"https://a.example","iss":"https://b.example"}"#,
        r#"["iss"]"#,
        r#"{"sub":"a"}"#,
    ] {
        assert_eq!(
            claims(no_issuer),
            Shape::Jwt { issuer: None },
            "{no_issuer}"
        );
    }
    for opaque in [
        "s3cret",
        "a.b",
        "a.b.c.d",
        ".b.c",
        "a..c",
        "a.b+.c",
        "hangar_live_abc",
    ] {
        assert_eq!(shape(opaque), Shape::Opaque, "{opaque}");
    }
}
