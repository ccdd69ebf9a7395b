use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::*;
use crate::jsonrpc::{DecodeLimits, ErrorResponse, Id, Message, Notification, Request};

fn request(text: &str) -> Request {
    match Message::decode(text.as_bytes(), &DecodeLimits::default()).unwrap() {
        Message::Request(r) => r,
        other => panic!("{other:?}"),
    }
}

fn value(raw: &RawValue) -> Value {
    serde_json::from_str(raw.get()).unwrap()
}

fn raw(v: Value) -> Box<RawValue> {
    serde_json::value::to_raw_value(&v).unwrap()
}

#[test]
fn method_names_round_trip() {
    for &m in Method::ALL {
        assert_eq!(Method::from_name(m.as_str()), Some(m));
        assert_eq!(m.to_string(), m.as_str());
        assert_eq!(
            m.is_notification(),
            m.as_str().starts_with("notifications/"),
            "{m}"
        );
    }
    assert_eq!(Method::from_name("tools/frobnicate"), None);
    assert_eq!(Method::from_name("Tools/List"), None);
}

#[test]
fn methods_per_version() {
    use ProtocolVersion::*;
    let only_2026 = [
        Method::ServerDiscover,
        Method::SubscriptionsListen,
        Method::SubscriptionsAcknowledged,
    ];
    let gone_in_2026 = [
        Method::Initialize,
        Method::Initialized,
        Method::Ping,
        Method::LoggingSetLevel,
        Method::ResourcesSubscribe,
        Method::ResourcesUnsubscribe,
        Method::RootsList,
    ];
    for m in only_2026 {
        assert!(
            m.is_available_in(V2026_07_28) && !m.is_available_in(V2025_11_25),
            "{m}"
        );
    }
    for m in gone_in_2026 {
        assert!(
            !m.is_available_in(V2026_07_28) && m.is_available_in(V2025_03_26),
            "{m}"
        );
    }
    for m in [
        Method::ToolsList,
        Method::ToolsCall,
        Method::CompletionComplete,
        Method::ToolsListChanged,
    ] {
        assert!(
            ProtocolVersion::ALL
                .into_iter()
                .all(|v| m.is_available_in(v)),
            "{m}"
        );
    }
    assert!(!Method::ElicitationCreate.is_available_in(V2025_03_26));
    assert!(Method::ElicitationCreate.is_available_in(V2025_06_18));
}

#[test]
fn name_params() {
    assert_eq!(Method::ToolsCall.name_param(), Some(NameParam::Name));
    assert_eq!(Method::PromptsGet.name_param(), Some(NameParam::Name));
    assert_eq!(Method::ResourcesRead.name_param(), Some(NameParam::Uri));
    assert_eq!(Method::ToolsList.name_param(), None);
}

#[test]
fn call_tool_view_keeps_arguments_and_meta_raw() {
    let r = request(
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"charge","arguments":{"amount": 5},"_meta":{"progressToken":"p"}}}"#,
    );
    let call: CallToolParams<'_> = r.params_as().unwrap();
    assert_eq!(call.name, "charge");
    assert_eq!(call.arguments.unwrap().get(), r#"{"amount": 5}"#);
    assert_eq!(call.meta.unwrap().get(), r#"{"progressToken":"p"}"#);
    let bare = request(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#);
    let call: CallToolParams<'_> = bare.params_as().unwrap();
    assert!(call.arguments.is_none() && call.meta.is_none());
    assert_eq!(serde_json::to_string(&call).unwrap(), r#"{"name":"x"}"#);
    let missing =
        request(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}}"#);
    assert_eq!(
        missing
            .params_as::<CallToolParams<'_>>()
            .unwrap_err()
            .code(),
        -32602
    );
    let number = request(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}}"#);
    assert_eq!(
        number.params_as::<CallToolParams<'_>>().unwrap_err().code(),
        -32602
    );
}

#[test]
fn initialize_view() {
    let r = request(
        r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"roots":{}},"clientInfo":{"name":"c","version":"1","title":"C"}}}"#,
    );
    let p: InitializeParams<'_> = r.params_as().unwrap();
    assert_eq!(p.protocol_version, "2025-06-18");
    assert_eq!(p.capabilities.get(), r#"{"roots":{}}"#);
    assert_eq!(
        p.client_info,
        Implementation {
            name: "c".into(),
            version: "1".into()
        }
    );
}

#[test]
fn request_meta_view() {
    let r = request(
        r#"{"jsonrpc":"2.0","id":0,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"c","version":"1"},"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/logLevel":"info","progressToken":7}}}"#,
    );
    let meta = RequestMeta::of(&r).unwrap();
    assert_eq!(meta.protocol_version.as_deref(), Some("2026-07-28"));
    assert_eq!(meta.client_info.unwrap().name, "c");
    assert_eq!(meta.client_capabilities.unwrap().get(), "{}");
    assert_eq!(meta.log_level.as_deref(), Some("info"));
    assert_eq!(meta.progress_token, Some(Id::Number(7)));
    let bare = request(r#"{"jsonrpc":"2.0","id":0,"method":"tools/list"}"#);
    assert!(RequestMeta::of(&bare).unwrap().protocol_version.is_none());
}

#[test]
fn small_views() {
    let r1 = request(r#"{"jsonrpc":"2.0","id":0,"method":"tools/list","params":{"cursor":"c2"}}"#);
    let p: PaginatedParams<'_> = r1.params_as().unwrap();
    assert_eq!(p.cursor.as_deref(), Some("c2"));
    let r2 = request(
        r#"{"jsonrpc":"2.0","id":0,"method":"resources/subscribe","params":{"uri":"file:///x"}}"#,
    );
    let p: ResourceParams<'_> = r2.params_as().unwrap();
    assert_eq!(p.uri, "file:///x");
    let r3 = request(
        r#"{"jsonrpc":"2.0","id":0,"method":"prompts/get","params":{"name":"review","arguments":{"a":"b"}}}"#,
    );
    let p: GetPromptParams<'_> = r3.params_as().unwrap();
    assert_eq!(
        (p.name.as_ref(), p.arguments.unwrap().get()),
        ("review", r#"{"a":"b"}"#)
    );
    let r4 = request(
        r#"{"jsonrpc":"2.0","id":0,"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"file:///{p}"},"argument":{"name":"p","value":"a"}}}"#,
    );
    let p: CompleteParams<'_> = r4.params_as().unwrap();
    assert_eq!(
        p.reference,
        CompletionRef::Resource {
            uri: "file:///{p}".into()
        }
    );
    let r5 = request(
        r#"{"jsonrpc":"2.0","id":0,"method":"logging/setLevel","params":{"level":"debug"}}"#,
    );
    let p: SetLevelParams<'_> = r5.params_as().unwrap();
    assert_eq!(p.level, "debug");
    let r6 = request(
        r#"{"jsonrpc":"2.0","id":0,"method":"subscriptions/listen","params":{"notifications":{"promptsListChanged":true}}}"#,
    );
    let p: SubscriptionsListenParams = r6.params_as().unwrap();
    assert_eq!(
        p.notifications,
        SubscriptionFilter {
            prompts_list_changed: true,
            ..SubscriptionFilter::default()
        }
    );
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        r#"{"notifications":{"promptsListChanged":true}}"#
    );
}

#[test]
fn tool_list_for_session_versions_has_no_cache_fields() {
    let a = raw(json!({"name": "a", "inputSchema": {"type": "object"}}));
    let b = raw(json!({"name": "b", "inputSchema": {"type": "object"}}));
    let result = ToolListBuilder::new(ProtocolVersion::V2025_06_18)
        .tools([&*a, &*b])
        .next_cursor("page-2")
        .cache(1000, CacheScope::Public)
        .build()
        .unwrap();
    assert_eq!(
        value(&result),
        json!({"tools": [{"name": "a", "inputSchema": {"type": "object"}}, {"name": "b", "inputSchema": {"type": "object"}}], "nextCursor": "page-2"})
    );
    let empty = ToolListBuilder::new(ProtocolVersion::V2025_03_26)
        .build()
        .unwrap();
    assert_eq!(empty.get(), r#"{"tools":[]}"#);
}

#[test]
fn tool_list_for_2026_is_cacheable_and_private_by_default() {
    let a = RawValue::from_string(r#"{"name":"a",  "x":[1, 2]}"#.into()).unwrap();
    let result = ToolListBuilder::new(ProtocolVersion::V2026_07_28)
        .tool(&a)
        .build()
        .unwrap();
    assert_eq!(
        result.get(),
        r#"{"tools":[{"name":"a",  "x":[1, 2]}],"resultType":"complete","ttlMs":0,"cacheScope":"private"}"#
    );
    let result = ToolListBuilder::new(ProtocolVersion::V2026_07_28)
        .next_cursor(String::from("n"))
        .cache(3_600_000, CacheScope::Public)
        .build()
        .unwrap();
    assert_eq!(
        value(&result),
        json!({"tools": [], "nextCursor": "n", "resultType": "complete", "ttlMs": 3600000, "cacheScope": "public"})
    );
}

#[test]
fn initialize_result() {
    let caps = raw(json!({"tools": {"listChanged": true}}));
    let result = InitializeResultBuilder::new(ProtocolVersion::V2025_11_25, "hangar", "0.1.0")
        .capabilities(&caps)
        .instructions("use me")
        .build()
        .unwrap();
    assert_eq!(
        value(&result),
        json!({
            "protocolVersion": "2025-11-25",
            "capabilities": {"tools": {"listChanged": true}},
            "serverInfo": {"name": "hangar", "version": "0.1.0"},
            "instructions": "use me"
        })
    );
    let bare = InitializeResultBuilder::new(ProtocolVersion::V2025_03_26, "h", "1")
        .build()
        .unwrap();
    assert_eq!(
        bare.get(),
        r#"{"protocolVersion":"2025-03-26","capabilities":{},"serverInfo":{"name":"h","version":"1"}}"#
    );
}

#[test]
fn discover_result() {
    let caps = raw(json!({"tools": {}}));
    let result = DiscoverResultBuilder::new("hangar", "0.1.0")
        .capabilities(&caps)
        .cache(60_000, CacheScope::Private)
        .build()
        .unwrap();
    assert_eq!(
        value(&result),
        json!({
            "resultType": "complete",
            "supportedVersions": ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"],
            "capabilities": {"tools": {}},
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "hangar", "version": "0.1.0"}},
            "ttlMs": 60000,
            "cacheScope": "private"
        })
    );
    let only = DiscoverResultBuilder::new("h", "1")
        .supported_versions(&[ProtocolVersion::V2026_07_28])
        .instructions("hi")
        .build()
        .unwrap();
    assert_eq!(value(&only)["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(value(&only)["instructions"], "hi");
}

#[test]
fn tools_list_changed() {
    let plain = Notification::tools_list_changed(None).unwrap();
    assert_eq!(
        Message::from(plain).encode(),
        br#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#
    );
    let tagged = Notification::tools_list_changed(Some(&Id::from("listen-1"))).unwrap();
    assert_eq!(
        Message::from(tagged).encode(),
        br#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{"_meta":{"io.modelcontextprotocol/subscriptionId":"listen-1"}}}"#
    );
    let prompts = list_changed(Method::PromptsListChanged, Some(&Id::Number(3))).unwrap();
    assert_eq!(prompts.method, "notifications/prompts/list_changed");
}

#[test]
fn unknown_tool_error() {
    let e = ErrorResponse::unknown_tool(Id::Number(4), "refund");
    assert_eq!(
        Message::from(e).encode(),
        br#"{"jsonrpc":"2.0","id":4,"error":{"code":-32602,"message":"Unknown tool: refund"}}"#
    );
}
