use super::*;
use crate::jsonrpc::{DecodeLimits, Message};

#[test]
fn parses_and_displays_the_date_strings() {
    for v in ProtocolVersion::ALL {
        assert_eq!(v.as_str().parse::<ProtocolVersion>().unwrap(), v);
        assert_eq!(v.to_string(), v.as_str());
    }
    assert_eq!(
        ProtocolVersion::ALL.map(ProtocolVersion::as_str),
        ["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]
    );
    for bad in ["", "2024-11-05", "2025-03-26 ", "latest", "2026-07-28\0"] {
        let e = bad.parse::<ProtocolVersion>().unwrap_err();
        assert_eq!(e.code(), -32022, "{bad:?}");
        assert!(matches!(e, Error::UnsupportedProtocolVersion { requested } if requested == bad));
    }
}

#[test]
fn orders_oldest_to_newest() {
    let mut sorted = ProtocolVersion::ALL;
    sorted.sort();
    assert_eq!(sorted, ProtocolVersion::ALL);
    assert!(ProtocolVersion::V2025_03_26 < ProtocolVersion::V2025_06_18);
    assert!(ProtocolVersion::V2025_11_25 < ProtocolVersion::V2026_07_28);
    assert_eq!(
        ProtocolVersion::ALL.iter().max(),
        Some(&ProtocolVersion::LATEST)
    );
}

#[test]
fn negotiate_echoes_a_supported_handshake_version() {
    for v in [
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_11_25,
    ] {
        assert_eq!(ProtocolVersion::negotiate(v.as_str()), v);
    }
}

#[test]
fn negotiate_falls_back_to_the_latest_handshake_version() {
    for requested in ["2024-11-05", "2099-01-01", "", "garbage", "2026-07-28"] {
        assert_eq!(
            ProtocolVersion::negotiate(requested),
            ProtocolVersion::V2025_11_25,
            "{requested:?}"
        );
    }
}

#[test]
fn capabilities_per_version() {
    use ProtocolVersion::*;
    let stateless: Vec<_> = ProtocolVersion::ALL
        .into_iter()
        .filter(|v| v.is_stateless())
        .collect();
    assert_eq!(stateless, [V2026_07_28]);
    let batches: Vec<_> = ProtocolVersion::ALL
        .into_iter()
        .filter(|v| v.allows_batch())
        .collect();
    assert_eq!(batches, [V2025_03_26]);
    assert!(
        ProtocolVersion::ALL
            .into_iter()
            .all(|v| v.has_initialize() != v.is_stateless())
    );
    assert!(V2026_07_28.has_result_type() && !V2025_11_25.has_result_type());
    assert!(DecodeLimits::for_version(V2025_03_26).allows_batch());
    assert!(!DecodeLimits::for_version(V2025_06_18).allows_batch());
}

fn message(text: &str) -> Message {
    Message::decode(text.as_bytes(), &DecodeLimits::default()).unwrap()
}

fn call(name: &str, version: &str) -> Message {
    message(&format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{name}","_meta":{{"io.modelcontextprotocol/protocolVersion":"{version}"}}}}}}"#
    ))
}

const V: Option<&str> = Some("2026-07-28");

fn headers<'a>(
    method: Option<&'a str>,
    name: Option<&'a str>,
    version: Option<&'a str>,
) -> McpHeaders<'a> {
    McpHeaders {
        method,
        name,
        protocol_version: version,
    }
}

fn mismatch(result: Result<(), Error>) -> (McpHeader, Option<String>, Option<String>) {
    match result {
        Err(Error::HeaderMismatch {
            header,
            expected,
            got,
        }) => (header, expected, got),
        other => panic!("{other:?}"),
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

#[test]
fn matching_headers_pass() {
    let call = call("bar", "2026-07-28");
    assert!(validate_headers(&headers(Some("tools/call"), Some("bar"), V), &call).is_ok());
    let read = message(
        r#"{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"file:///a b","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
    );
    assert!(
        validate_headers(
            &headers(Some("resources/read"), Some("file:///a b"), V),
            &read
        )
        .is_ok()
    );
    let list = message(
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
    );
    assert!(validate_headers(&headers(Some("tools/list"), None, V), &list).is_ok());
    let cancelled =
        message(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#);
    assert!(
        validate_headers(
            &headers(Some("notifications/cancelled"), None, V),
            &cancelled
        )
        .is_ok()
    );
    let response = message(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#);
    assert!(validate_headers(&headers(None, None, V), &response).is_ok());
}

#[test]
fn name_mismatch_is_reported_with_both_values() {
    let result = validate_headers(
        &headers(Some("tools/call"), Some("foo"), V),
        &call("bar", "2026-07-28"),
    );
    let e = result.unwrap_err();
    assert_eq!(e.code(), -32020);
    assert_eq!(
        e.to_error_object().message,
        "Header mismatch: Mcp-Name header value 'foo' does not match body value 'bar'"
    );
}

#[test]
fn each_header_is_checked() {
    let body = call("bar", "2026-07-28");
    assert_eq!(
        mismatch(validate_headers(
            &headers(Some("tools/list"), Some("bar"), V),
            &body
        )),
        (McpHeader::Method, s("tools/call"), s("tools/list"))
    );
    assert_eq!(
        mismatch(validate_headers(&headers(None, Some("bar"), V), &body)),
        (McpHeader::Method, s("tools/call"), None)
    );
    assert_eq!(
        mismatch(validate_headers(
            &headers(Some("tools/call"), None, V),
            &body
        )),
        (McpHeader::Name, s("bar"), None)
    );
    assert_eq!(
        mismatch(validate_headers(
            &headers(Some("tools/call"), Some("bar"), Some("2025-11-25")),
            &body
        )),
        (McpHeader::ProtocolVersion, s("2026-07-28"), s("2025-11-25"))
    );
    assert_eq!(
        mismatch(validate_headers(
            &headers(Some("tools/call"), Some("bar"), None),
            &body
        )),
        (McpHeader::ProtocolVersion, s("2026-07-28"), None)
    );
}

#[test]
fn values_compare_exactly() {
    let body = call("bar", "2026-07-28");
    for name in ["Bar", "bar ", " bar", ""] {
        let e = validate_headers(&headers(Some("tools/call"), Some(name), V), &body);
        assert_eq!(mismatch(e).0, McpHeader::Name, "{name:?}");
    }
    let e = validate_headers(&headers(Some("Tools/Call"), Some("bar"), V), &body);
    assert_eq!(mismatch(e).0, McpHeader::Method);
}

#[test]
fn stray_headers_are_mismatches() {
    let list = message(
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
    );
    assert_eq!(
        mismatch(validate_headers(
            &headers(Some("tools/list"), Some("charge"), V),
            &list
        )),
        (McpHeader::Name, None, s("charge"))
    );
    let response = message(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#);
    assert_eq!(
        mismatch(validate_headers(
            &headers(Some("tools/call"), None, V),
            &response
        )),
        (McpHeader::Method, None, s("tools/call"))
    );
    assert_eq!(
        mismatch(validate_headers(&headers(None, None, None), &response)).0,
        McpHeader::ProtocolVersion
    );
}

#[test]
fn a_body_without_a_version_does_not_match_the_header() {
    let bare = message(r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#);
    assert_eq!(
        mismatch(validate_headers(
            &headers(Some("tools/list"), None, V),
            &bare
        )),
        (McpHeader::ProtocolVersion, None, s("2026-07-28"))
    );
}

#[test]
fn notifications_need_a_version_header_but_have_no_name() {
    let n =
        message(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#);
    assert_eq!(
        mismatch(validate_headers(
            &headers(Some("notifications/cancelled"), None, None),
            &n
        )),
        (McpHeader::ProtocolVersion, None, None)
    );
    assert_eq!(
        mismatch(validate_headers(
            &headers(Some("notifications/cancelled"), Some("x"), V),
            &n
        ))
        .0,
        McpHeader::Name
    );
}

#[test]
fn batches_and_bad_params_are_not_header_problems() {
    let limits = DecodeLimits::default().allow_batch(true);
    let batch = Message::decode(br#"[{"jsonrpc":"2.0","method":"a"}]"#, &limits).unwrap();
    assert!(matches!(
        validate_headers(&McpHeaders::default(), &batch),
        Err(Error::BatchNotAllowed)
    ));
    let array = message(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["bar"]}"#);
    let e = validate_headers(&headers(Some("tools/call"), Some("bar"), V), &array).unwrap_err();
    assert_eq!(e.code(), -32602, "params are never read positionally");
}

#[test]
fn header_names_are_spelled_like_the_spec() {
    assert_eq!(McpHeader::Method.to_string(), "Mcp-Method");
    assert_eq!(McpHeader::Name.as_str(), "Mcp-Name");
    assert_eq!(McpHeader::ProtocolVersion.as_str(), "MCP-Protocol-Version");
}
