use serde_json::{Value, json};

use super::*;

fn all_variants() -> Vec<Error> {
    let invalid = vec![0xff_u8];
    let utf8 = std::str::from_utf8(&invalid).unwrap_err();
    let json = serde_json::from_str::<Value>("{").unwrap_err();
    vec![
        Error::InvalidUtf8(utf8),
        Error::InvalidJson(json),
        Error::TooLarge { size: 10, limit: 5 },
        Error::TooDeep { limit: 64 },
        Error::BatchNotAllowed,
        Error::InvalidRequest {
            reason: "missing jsonrpc member",
            id: Some(Id::Number(3)),
        },
        Error::MethodNotFound {
            method: "tools/frobnicate".into(),
        },
        Error::InvalidParams {
            reason: "tools/call: missing field `name`".into(),
            source: None,
        },
        Error::UnknownTool {
            name: "refund".into(),
        },
        Error::HeaderMismatch {
            header: McpHeader::Name,
            expected: Some("bar".into()),
            got: Some("foo".into()),
        },
        Error::UnsupportedProtocolVersion {
            requested: "1900-01-01".into(),
        },
        Error::Encode(serde_json::from_str::<Value>("[").unwrap_err()),
        Error::SseEventTooLarge { limit: 1 },
        Error::InvalidSseField {
            field: "id",
            reason: "contains nul",
        },
    ]
}

#[test]
fn every_variant_has_its_json_rpc_code() {
    let codes: Vec<i64> = all_variants().iter().map(Error::code).collect();
    assert_eq!(
        codes,
        [
            -32700, -32700, -32600, -32600, -32600, -32600, -32601, -32602, -32602, -32020, -32022,
            -32603, -32603, -32603
        ]
    );
}

#[test]
fn messages_are_lowercase() {
    for e in all_variants() {
        let text = e.to_string();
        assert!(text.starts_with(|c: char| c.is_lowercase()), "{text}");
    }
}

#[test]
fn error_objects_carry_the_same_code() {
    for e in all_variants() {
        assert_eq!(e.to_error_object().code, e.code(), "{e}");
    }
}

#[test]
fn error_codes_round_trip() {
    for code in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_i64(code.as_i64()), Some(code));
    }
    assert_eq!(ErrorCode::from_i64(-32000), None);
    assert_eq!(ErrorCode::HeaderMismatch.as_i64(), -32020);
    assert_eq!(ErrorCode::MissingRequiredClientCapability.as_i64(), -32021);
    assert_eq!(ErrorCode::UnsupportedProtocolVersion.as_i64(), -32022);
}

#[test]
fn unknown_tool_answers_like_the_spec_example() {
    let object = Error::UnknownTool {
        name: "invalid_tool_name".into(),
    }
    .to_error_object();
    assert_eq!(object.code, -32602);
    assert_eq!(object.message, "Unknown tool: invalid_tool_name");
    assert!(object.data.is_none());
}

#[test]
fn header_mismatch_answers_like_the_spec_example() {
    let e = Error::HeaderMismatch {
        header: McpHeader::Name,
        expected: Some("bar".into()),
        got: Some("foo".into()),
    };
    assert_eq!(
        e.to_string(),
        "header mismatch: Mcp-Name header value 'foo' does not match body value 'bar'"
    );
    let object = e.to_error_object();
    assert_eq!(
        object.message,
        "Header mismatch: Mcp-Name header value 'foo' does not match body value 'bar'"
    );
    let data: Value = serde_json::from_str(object.data.unwrap().get()).unwrap();
    assert_eq!(
        data,
        json!({"header": "Mcp-Name", "expected": "bar", "got": "foo"})
    );
}

#[test]
fn header_mismatch_says_what_is_missing() {
    let missing = Error::HeaderMismatch {
        header: McpHeader::ProtocolVersion,
        expected: Some("2026-07-28".into()),
        got: None,
    };
    assert_eq!(
        missing.to_error_object().message,
        "Header mismatch: missing MCP-Protocol-Version header (body value '2026-07-28')"
    );
    let data: Value = serde_json::from_str(missing.to_error_object().data.unwrap().get()).unwrap();
    assert_eq!(
        data,
        json!({"header": "MCP-Protocol-Version", "expected": "2026-07-28", "got": null})
    );
    let stray = Error::HeaderMismatch {
        header: McpHeader::Name,
        expected: None,
        got: Some("x".into()),
    };
    assert_eq!(
        stray.to_string(),
        "header mismatch: Mcp-Name header value 'x' has no counterpart in the body"
    );
    let absent = Error::HeaderMismatch {
        header: McpHeader::Method,
        expected: None,
        got: None,
    };
    assert_eq!(
        absent.to_string(),
        "header mismatch: missing Mcp-Method header"
    );
}

#[test]
fn unsupported_version_lists_the_supported_ones() {
    let object = Error::UnsupportedProtocolVersion {
        requested: "1900-01-01".into(),
    }
    .to_error_object();
    assert_eq!(object.code, -32022);
    assert_eq!(object.message, "Unsupported protocol version");
    let data: Value = serde_json::from_str(object.data.unwrap().get()).unwrap();
    assert_eq!(
        data,
        json!({
            "supported": ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"],
            "requested": "1900-01-01"
        })
    );
}

#[test]
fn escapes_untrusted_text_in_data() {
    let object = Error::UnsupportedProtocolVersion {
        requested: "\"}\n".into(),
    }
    .to_error_object();
    let data: Value = serde_json::from_str(object.data.unwrap().get()).unwrap();
    assert_eq!(data["requested"], "\"}\n");
}

#[test]
fn request_id_is_recovered_from_invalid_requests_only() {
    let e = Error::InvalidRequest {
        reason: "x",
        id: Some(Id::from("a")),
    };
    assert_eq!(e.request_id(), Some(&Id::from("a")));
    assert_eq!(Error::BatchNotAllowed.request_id(), None);
}
