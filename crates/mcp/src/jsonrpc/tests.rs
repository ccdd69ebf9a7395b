use serde::Deserialize;
use serde_json::{Value, json};

use super::*;

fn decode(text: &str) -> Result<Message, Error> {
    Message::decode(text.as_bytes(), &DecodeLimits::default())
}

fn code(text: &str) -> i64 {
    decode(text).expect_err(text).code()
}

fn reason(text: &str) -> &'static str {
    match decode(text) {
        Err(Error::InvalidRequest { reason, .. }) => reason,
        other => panic!("{text}: {other:?}"),
    }
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn decodes_the_four_kinds() {
    let Message::Request(r) = decode(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).unwrap() else {
        panic!()
    };
    assert_eq!(
        (r.id, r.method.as_str(), r.params.is_none()),
        (Id::Number(1), "ping", true)
    );

    let m =
        decode(r#"{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}"#).unwrap();
    let Message::Notification(n) = m else {
        panic!()
    };
    assert_eq!(n.params.unwrap().get(), "{}");

    let Message::Response(r) =
        decode(r#"{"jsonrpc":"2.0","id":"a","result": {"x" : 1} }"#).unwrap()
    else {
        panic!()
    };
    assert_eq!((r.id, r.result.get()), (Id::from("a"), r#"{"x" : 1}"#));

    let m = decode(
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error","data":[1]}}"#,
    )
    .unwrap();
    let Message::ErrorResponse(e) = m else {
        panic!()
    };
    assert_eq!(
        (e.id, e.error.code, e.error.message.as_str()),
        (None, -32700, "Parse error")
    );
    assert_eq!(e.error.data.unwrap().get(), "[1]");
}

#[test]
fn member_order_does_not_matter() {
    let m = decode(r#"{"params":{"a":1},"method":"tools/list","id":9,"jsonrpc":"2.0"}"#).unwrap();
    assert_eq!(
        (m.id(), m.method()),
        (Some(&Id::Number(9)), Some("tools/list"))
    );
}

#[test]
fn ids_are_kept_exactly() {
    assert_eq!(
        decode(r#"{"jsonrpc":"2.0","id":"7","method":"m"}"#)
            .unwrap()
            .id(),
        Some(&Id::from("7"))
    );
    assert_eq!(
        decode(r#"{"jsonrpc":"2.0","id":7,"method":"m"}"#)
            .unwrap()
            .id(),
        Some(&Id::Number(7))
    );
    assert_eq!(
        decode(r#"{"jsonrpc":"2.0","id":-0,"method":"m"}"#)
            .unwrap()
            .id(),
        Some(&Id::Number(0))
    );
    let max = format!(r#"{{"jsonrpc":"2.0","id":{},"method":"m"}}"#, i64::MAX);
    assert_eq!(decode(&max).unwrap().id(), Some(&Id::Number(i64::MAX)));
    let escaped = decode(r#"{"jsonrpc":"2.0","id":"a\"\u00e9","method":"m"}"#).unwrap();
    assert_eq!(escaped.id(), Some(&Id::from("a\"é")));
    let mut out = Vec::new();
    escaped.encode_into(&mut out);
    assert_eq!(json_of(&out)["id"], "a\"é");
}

#[test]
fn rejects_ids_mcp_does_not_allow() {
    for id in [
        "null",
        "1.5",
        "1e3",
        "1.0",
        "9223372036854775808",
        "true",
        "[1]",
        "{}",
    ] {
        let text = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"m"}}"#);
        assert_eq!(code(&text), -32600, "{id}");
    }
    assert_eq!(
        reason(r#"{"jsonrpc":"2.0","id":null,"method":"m"}"#),
        "a request id must not be null"
    );
    assert_eq!(
        reason(r#"{"jsonrpc":"2.0","id":null,"result":{}}"#),
        "a result response id must not be null"
    );
}

#[test]
fn requires_jsonrpc_2_0() {
    assert_eq!(reason(r#"{"id":1,"method":"m"}"#), "missing jsonrpc member");
    for v in [r#""1.0""#, "2.0", "null", r#""2.0 ""#] {
        let text = format!(r#"{{"jsonrpc":{v},"id":1,"method":"m"}}"#);
        assert_eq!(reason(&text), r#"jsonrpc must be "2.0""#, "{v}");
    }
    assert!(decode(r#"{"jsonrpc":"2\u002e0","id":1,"method":"m"}"#).is_ok());
}

#[test]
fn rejects_malformed_envelopes() {
    let cases = [
        (
            r#"{"jsonrpc":"2.0","id":1,"method":1}"#,
            "method must be a string",
        ),
        (
            r#"{"jsonrpc":"2.0","method":null}"#,
            "method must be a string",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"m","params":1}"#,
            "params must be an object or an array",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"m","params":null}"#,
            "params must be an object or an array",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"m","result":{}}"#,
            "a request must not carry result or error",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":""}}"#,
            "a response must not carry both result and error",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"result":{},"params":{}}"#,
            "a response must not carry params",
        ),
        (r#"{"jsonrpc":"2.0","result":{}}"#, "a response needs an id"),
        (
            r#"{"jsonrpc":"2.0","id":1}"#,
            "missing method, result or error",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":""}}"#,
            "error must be an object with an integer code and a string message",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":1}}"#,
            "error must be an object with an integer code and a string message",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"error":[1,"m"]}"#,
            "error must be an object with an integer code and a string message",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1.5,"error":{"code":1,"message":""}}"#,
            "id must be a string, an integer or null",
        ),
        (r#"1"#, "not a json-rpc 2.0 message"),
        (r#""x""#, "not a json-rpc 2.0 message"),
        (r#"null"#, "not a json-rpc 2.0 message"),
        (
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"m"}"#,
            "not a json-rpc 2.0 message",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(reason(text), expected, "{text}");
    }
}

#[test]
fn invalid_requests_keep_a_readable_id() {
    let e = decode(r#"{"jsonrpc":"2.0","id":"x","method":"m","params":3}"#).unwrap_err();
    assert_eq!(e.request_id(), Some(&Id::from("x")));
    let answer = ErrorResponse::from_error(None, &e);
    assert_eq!(answer.id, Some(Id::from("x")));
    assert_eq!(answer.error.code, -32600);
}

#[test]
fn error_responses_may_lack_an_id() {
    let Message::ErrorResponse(e) =
        decode(r#"{"jsonrpc":"2.0","error":{"code":-32020,"message":"m"}}"#).unwrap()
    else {
        panic!()
    };
    assert_eq!(e.id, None);
    assert_eq!(
        json_of(&Message::ErrorResponse(e).encode())["id"],
        Value::Null
    );
}

#[test]
fn parse_errors() {
    assert!(matches!(
        Message::decode(b"{\"a\":\"\xff\"}", &DecodeLimits::default()),
        Err(Error::InvalidUtf8(_))
    ));
    assert!(matches!(
        Message::decode(b"\xef\xbb", &DecodeLimits::default()),
        Err(Error::InvalidUtf8(_))
    ));
    for text in [
        "",
        " ",
        "{",
        "{\"jsonrpc\":\"2.0\",}",
        "{} {}",
        "{\"a\":1} x",
        "[1,]",
        "nul",
    ] {
        assert!(
            matches!(decode(text), Err(Error::InvalidJson(_))),
            "{text:?}"
        );
        assert_eq!(code(text), -32700, "{text:?}");
    }
    // A duplicate member is a shape problem, but a later syntax error still wins.
    assert_eq!(code(r#"{"id":1,"id":2,"#), -32700);
}

#[test]
fn batches_are_decoded_only_when_allowed() {
    let text = r#" [{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"}]"#;
    assert!(matches!(decode(text), Err(Error::BatchNotAllowed)));
    let allow = DecodeLimits::default().allow_batch(true);
    let Message::Batch(items) = Message::decode(text.as_bytes(), &allow).unwrap() else {
        panic!()
    };
    assert_eq!(items.len(), 2);
    assert!(matches!(items[1], Message::Notification(_)));
    assert_eq!(
        json_of(&Message::Batch(items).encode()),
        json!([{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"}])
    );
    let decode_allowed = |t: &str| Message::decode(t.as_bytes(), &allow);
    assert!(matches!(
        decode_allowed("[]"),
        Err(Error::InvalidRequest {
            reason: "a batch must not be empty",
            ..
        })
    ));
    assert!(matches!(
        decode_allowed(r#"[[{"jsonrpc":"2.0","method":"b"}]]"#),
        Err(Error::InvalidRequest {
            reason: "batches must not be nested",
            ..
        })
    ));
    assert!(matches!(
        decode_allowed("[1]"),
        Err(Error::InvalidRequest { .. })
    ));
    assert!(matches!(
        decode_allowed(r#"[{"jsonrpc":"2.0","method":"b"}"#),
        Err(Error::InvalidJson(_))
    ));
    assert!(matches!(decode("[1,"), Err(Error::InvalidJson(_))));
}

#[test]
fn encodes_compactly_with_raw_members_untouched() {
    let request = Request::new(
        3,
        "tools/call",
        Some(RawValue::from_string(r#"{ "name" : "x" }"#.into()).unwrap()),
    );
    let mut out = Vec::new();
    request.encode_with_id(&Id::from("gw-1"), &mut out);
    assert_eq!(
        out,
        br#"{"jsonrpc":"2.0","id":"gw-1","method":"tools/call","params":{ "name" : "x" }}"#
    );
    assert_eq!(
        Message::from(Notification::new("a\"b", None)).encode(),
        br#"{"jsonrpc":"2.0","method":"a\"b"}"#
    );
    let error = ErrorResponse::from_error(
        Some(Id::Number(5)),
        &Error::MethodNotFound { method: "x".into() },
    );
    assert_eq!(
        Message::from(error).encode(),
        br#"{"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"Method not found: x"}}"#
    );
}

#[test]
fn response_id_rewrite_keeps_the_result_bytes() {
    let text = r#"{"jsonrpc":"2.0","id":41,"result":{"content":[{"type":"text","text":"a\u00e9\n"}] , "x":1.50}}"#;
    let Message::Response(response) = decode(text).unwrap() else {
        panic!()
    };
    let mut out = Vec::new();
    response.encode_with_id(&Id::from("client"), &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"jsonrpc":"2.0","id":"client","result":{"content":[{"type":"text","text":"a\u00e9\n"}] , "x":1.50}}"#
    );
}

#[test]
fn params_views() {
    #[derive(Deserialize)]
    struct Named<'a> {
        name: &'a str,
    }
    let request = Request::new(
        1,
        "tools/call",
        Some(RawValue::from_string(r#"{"name":"x"}"#.into()).unwrap()),
    );
    assert_eq!(request.params_as::<Named<'_>>().unwrap().name, "x");

    #[derive(Deserialize)]
    struct Optional {
        cursor: Option<String>,
    }
    let bare = Request::new(1, "tools/list", None);
    assert_eq!(bare.params_as::<Optional>().unwrap().cursor, None);
    let e = bare.params_as::<Named<'_>>().map(|_| ()).unwrap_err();
    assert_eq!(e.code(), -32602);
    assert!(
        e.to_string()
            .starts_with("invalid params: tools/list: missing field `name`"),
        "{e}"
    );
    assert!(std::error::Error::source(&e).is_some());
}

/// A result of at least 1 MB that re-serialising would change: odd whitespace, escapes
/// (`\u00e9`, `\/`), non-ASCII, and numbers such as `1.50` and `1E3`.
fn one_megabyte_result() -> String {
    let block = "{ \"type\" : \"text\",\n\t\"text\":\"caf\\u00e9 \\/ \\\"q\\\" — ✓\", \"n\": [1.50, 1E3, -0, 12345678901234567890] }";
    let mut result = String::from("{\"content\" : [");
    while result.len() < 1 << 20 {
        result.push_str(block);
        result.push_str(" ,\r\n ");
    }
    result.push_str(block);
    result.push_str("], \"isError\":false }");
    result
}

#[test]
fn a_1_mb_result_is_byte_identical_after_the_id_rewrite() {
    let result = one_megabyte_result();
    assert!(result.len() > 1 << 20);
    let input = format!("{{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{result}}}");
    let limits = DecodeLimits::default();
    let Message::Response(response) = Message::decode(input.as_bytes(), &limits).unwrap() else {
        panic!("a response")
    };
    let mut out = Vec::new();
    response.encode_with_id(&Id::from("client-1"), &mut out);
    let prefix = br#"{"jsonrpc":"2.0","id":"client-1","result":"#;
    assert_eq!(&out[..prefix.len()], prefix);
    assert_eq!(&out[prefix.len()..out.len() - 1], result.as_bytes());
    assert_eq!(out.last(), Some(&b'}'));
    // And the rewritten message is itself a valid response with the new id.
    assert_eq!(
        Message::decode(&out, &limits).unwrap().id(),
        Some(&Id::from("client-1"))
    );
}

#[test]
fn a_1_mb_request_is_byte_identical_after_the_id_rewrite() {
    let params = one_megabyte_result();
    let input = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":\"c\",\"method\":\"tools/call\",\"params\":{params}}}"
    );
    let Message::Request(request) = decode(&input).unwrap() else {
        panic!("a request")
    };
    let mut out = Vec::new();
    request.encode_with_id(&Id::Number(41), &mut out);
    let expected =
        format!("{{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"tools/call\",\"params\":{params}}}");
    assert!(out == expected.as_bytes());
}

#[test]
fn invalid_utf8_anywhere_is_a_parse_error() {
    let cases: [&[u8]; 7] = [
        b"{\"jsonrpc\":\"2.0\",\"method\":\"m\xff\"}",
        b"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"a\":\"\xc3\"}}",
        b"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"x\xff\":1}",
        b"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"unknown\":[\"\xed\xa0\x80\"]}",
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"text\":\"\xf0\x9f\"}}",
        b"{\"jsonrpc\":\"2.0\",\xff\"method\":\"m\"}",
        b"[{\"jsonrpc\":\"2.0\",\"method\":\"m\"},\"\xff\"]",
    ];
    let limits = DecodeLimits::default().allow_batch(true);
    for bytes in cases {
        let e = Message::decode(bytes, &limits).unwrap_err();
        assert_eq!(
            e.code(),
            -32700,
            "{}: {e:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    let e = Message::decode(cases[0], &limits).unwrap_err();
    assert!(matches!(e, Error::InvalidUtf8(_)), "{e:?}");
}

#[test]
fn member_names_are_read_after_unescaping() {
    let m = decode(r#"{"jsonr\u0070c":"2.0","\u0069d":1,"method":"m"}"#).unwrap();
    assert_eq!(m.id(), Some(&Id::Number(1)));
    assert_eq!(
        reason(r#"{"jsonrpc":"2.0","id":1,"\u0069d":2,"method":"m"}"#),
        "not a json-rpc 2.0 message"
    );
}
