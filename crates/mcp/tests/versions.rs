//! Hand-written messages for the session versions (2025-03-26, 2025-06-18, 2025-11-25):
//! the initialize handshake and its negotiation, tools/list, tools/call, and batches
//! (2025-03-26 only).

use hangar_mcp::{
    CallToolParams, DecodeLimits, Error, Id, InitializeParams, InitializeResultBuilder, Message,
    Method, PaginatedParams, ProtocolVersion, Response,
};
use serde_json::value::RawValue;
use serde_json::{Value, json};

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn session_limits(version: ProtocolVersion) -> DecodeLimits {
    DecodeLimits::for_version(version)
}

fn round_trip(version: ProtocolVersion, text: &str) -> Message {
    let message = Message::decode(text.as_bytes(), &session_limits(version)).unwrap();
    assert_eq!(
        json_of(&message.encode()),
        json_of(text.as_bytes()),
        "{text}"
    );
    message
}

fn initialize(version: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{version}","capabilities":{{"roots":{{"listChanged":true}},"sampling":{{}}}},"clientInfo":{{"name":"ExampleClient","version":"1.0.0"}}}}}}"#
    )
}

#[test]
fn initialize_handshakes_for_the_session_versions() {
    for version in [
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_11_25,
    ] {
        let Message::Request(r) = round_trip(version, &initialize(version.as_str())) else {
            panic!()
        };
        let params: InitializeParams<'_> = r.params_as().unwrap();
        assert_eq!(params.client_info.name, "ExampleClient");
        let negotiated = ProtocolVersion::negotiate(&params.protocol_version);
        assert_eq!(negotiated, version);
        let caps = RawValue::from_string(r#"{"tools":{"listChanged":true}}"#.into()).unwrap();
        let result = InitializeResultBuilder::new(negotiated, "hangar", "0.1.0")
            .capabilities(&caps)
            .build()
            .unwrap();
        let answer = Message::from(Response::new(r.id.clone(), result));
        assert_eq!(
            json_of(&answer.encode()),
            json!({"jsonrpc": "2.0", "id": 0, "result": {
                "protocolVersion": version.as_str(),
                "capabilities": {"tools": {"listChanged": true}},
                "serverInfo": {"name": "hangar", "version": "0.1.0"}
            }})
        );
        round_trip(
            version,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        );
    }
}

#[test]
fn an_unknown_or_stateless_version_in_initialize_gets_2025_11_25() {
    for requested in ["2024-11-05", "2026-07-28", "2030-01-01"] {
        let Message::Request(r) = round_trip(ProtocolVersion::V2025_11_25, &initialize(requested))
        else {
            panic!()
        };
        let params: InitializeParams<'_> = r.params_as().unwrap();
        assert_eq!(
            ProtocolVersion::negotiate(&params.protocol_version),
            ProtocolVersion::V2025_11_25
        );
    }
}

#[test]
fn tools_list_and_call_for_the_session_versions() {
    let messages = [
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"abc"}}"#,
        r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"charge","description":"Charge a card","inputSchema":{"type":"object","properties":{"amount":{"type":"number"}},"required":["amount"]}}],"nextCursor":"def"}}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"charge","arguments":{"amount":5},"_meta":{"progressToken":17}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":17,"progress":1,"total":2}}"#,
        r#"{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"charged"}],"isError":false}}"#,
        r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"Unknown tool: refund"}}"#,
    ];
    for version in [
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_11_25,
    ] {
        for text in messages {
            round_trip(version, text);
        }
    }
    let Message::Request(call) = round_trip(ProtocolVersion::V2025_06_18, messages[2]) else {
        panic!()
    };
    assert_eq!(
        call.params_as::<CallToolParams<'_>>().unwrap().name,
        "charge"
    );
    let Message::Request(list) = round_trip(ProtocolVersion::V2025_06_18, messages[0]) else {
        panic!()
    };
    assert_eq!(
        list.params_as::<PaginatedParams<'_>>()
            .unwrap()
            .cursor
            .as_deref(),
        Some("abc")
    );
    // 2025-06-18 added structured tool output; it passes through like everything else.
    round_trip(
        ProtocolVersion::V2025_06_18,
        r#"{"jsonrpc":"2.0","id":4,"result":{"content":[{"type":"text","text":"{\"t\":22}"}],"structuredContent":{"t":22}}}"#,
    );
    // Server-to-client requests of the session era (relayed on the GET stream).
    let Message::Request(elicit) = round_trip(
        ProtocolVersion::V2025_11_25,
        r#"{"jsonrpc":"2.0","id":"s-1","method":"elicitation/create","params":{"message":"Name?","requestedSchema":{"type":"object","properties":{}}}}"#,
    ) else {
        panic!()
    };
    assert_eq!(
        Method::from_name(&elicit.method),
        Some(Method::ElicitationCreate)
    );
}

#[test]
fn batches_only_for_2025_03_26() {
    let batch = r#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":"two","method":"tools/call","params":{"name":"charge","arguments":{}}},{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":0}}]"#;
    let Message::Batch(items) = round_trip(ProtocolVersion::V2025_03_26, batch) else {
        panic!()
    };
    let ids: Vec<_> = items.iter().map(Message::id).collect();
    assert_eq!(ids, [Some(&Id::Number(1)), Some(&Id::from("two")), None]);
    let answers = r#"[{"jsonrpc":"2.0","id":1,"result":{"tools":[]}},{"jsonrpc":"2.0","id":"two","error":{"code":-32602,"message":"Unknown tool: charge"}}]"#;
    round_trip(ProtocolVersion::V2025_03_26, answers);
    for version in [
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_11_25,
        ProtocolVersion::V2026_07_28,
    ] {
        let err = Message::decode(batch.as_bytes(), &session_limits(version)).unwrap_err();
        assert!(matches!(err, Error::BatchNotAllowed), "{version}");
        assert_eq!(err.code(), -32600);
    }
}
