//! Every 2026-07-28 example of the MCP schema (copied under `fixtures/2026-07-28`),
//! decoded, re-encoded and compared; the typed views, the header check and the builders
//! checked against them. The older versions are in `versions.rs`.

use std::fs;
use std::path::Path;

use hangar_mcp::{
    CacheScope, CallToolParams, CancelledParams, CompleteParams, CompletionRef, DecodeLimits,
    DiscoverResultBuilder, Error, ErrorResponse, GetPromptParams, Id, LoggingMessageParams,
    McpHeaders, Message, Method, Notification, PaginatedParams, ProgressParams, ProtocolVersion,
    Request, RequestMeta, ResourceParams, Response, SubscriptionsListenParams, ToolListBuilder,
    validate_headers,
};
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// One example: its schema type (the directory), file name and text.
struct Example {
    kind: String,
    file: String,
    text: String,
}

impl Example {
    fn value(&self) -> Value {
        serde_json::from_str(&self.text).unwrap()
    }

    fn is_envelope(&self) -> bool {
        self.value().get("jsonrpc").is_some()
    }

    fn name(&self) -> String {
        format!("{}/{}", self.kind, self.file)
    }
}

fn examples() -> Vec<Example> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/2026-07-28");
    let mut out = Vec::new();
    for dir in fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            out.push(Example {
                kind: dir.file_name().unwrap().to_string_lossy().into_owned(),
                file: file.file_name().unwrap().to_string_lossy().into_owned(),
                text: fs::read_to_string(&file).unwrap(),
            });
        }
    }
    out.sort_by_key(Example::name);
    out
}

fn example(kind: &str) -> Example {
    examples().into_iter().find(|e| e.kind == kind).unwrap()
}

fn limits() -> DecodeLimits {
    DecodeLimits::for_version(ProtocolVersion::V2026_07_28)
}

fn decode(text: &str) -> Message {
    Message::decode(text.as_bytes(), &limits()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn request(text: &str) -> Request {
    match decode(text) {
        Message::Request(r) => r,
        other => panic!("{other:?}"),
    }
}

fn notification(text: &str) -> Notification {
    match decode(text) {
        Message::Notification(n) => n,
        other => panic!("{other:?}"),
    }
}

/// The error code each error type of the schema fixes.
fn expected_code(kind: &str) -> i64 {
    match kind {
        "ParseError" => -32700,
        "MethodNotFoundError" => -32601,
        "InvalidParamsError" => -32602,
        "InternalError" => -32603,
        "HeaderMismatchError" => -32020,
        "MissingRequiredClientCapabilityError" => -32021,
        "UnsupportedProtocolVersionError" => -32022,
        other => panic!("unexpected error type {other}"),
    }
}

#[test]
fn every_example_is_covered() {
    let all = examples();
    assert_eq!(all.len(), 129, "the fixtures are the complete example set");
    let envelopes = all.iter().filter(|e| e.is_envelope()).count();
    let error_objects = all
        .iter()
        .filter(|e| !e.is_envelope() && e.kind.ends_with("Error"))
        .count();
    let input_requests = all
        .iter()
        .filter(|e| !e.is_envelope() && e.kind.ends_with("Request"))
        .count();
    assert_eq!((envelopes, error_objects, input_requests), (32, 7, 3));
    assert!(all.iter().all(|e| e.value().is_object()));
}

#[test]
fn envelopes_round_trip() {
    for e in examples().iter().filter(|e| e.is_envelope()) {
        let message = decode(&e.text);
        assert_eq!(json_of(&message.encode()), e.value(), "{}", e.name());
        let kind = e.kind.as_str();
        match &message {
            Message::Request(r) => {
                assert!(kind.ends_with("Request"), "{}", e.name());
                let method = Method::from_name(&r.method).unwrap();
                assert!(
                    method.is_available_in(ProtocolVersion::V2026_07_28),
                    "{method}"
                );
                assert!(!method.is_notification());
            }
            Message::Notification(n) => {
                assert!(kind.ends_with("Notification"), "{}", e.name());
                let method = Method::from_name(&n.method).unwrap();
                assert!(
                    method.is_available_in(ProtocolVersion::V2026_07_28),
                    "{method}"
                );
                assert!(method.is_notification());
            }
            Message::Response(_) => assert!(kind.ends_with("ResultResponse"), "{}", e.name()),
            Message::ErrorResponse(r) => {
                assert!(kind.ends_with("Error"), "{}", e.name());
                assert_eq!(r.error.code, expected_code(kind), "{}", e.name());
            }
            Message::Batch(_) => panic!("{}", e.name()),
        }
    }
}

/// The raw member of `text` (pretty-printed, as in the files) as it stands in the text.
fn raw_member<'a>(text: &'a str, member: &str) -> &'a str {
    #[derive(serde::Deserialize)]
    struct Members<'a> {
        #[serde(borrow)]
        params: Option<&'a RawValue>,
        #[serde(borrow)]
        result: Option<&'a RawValue>,
    }
    let m: Members<'a> = serde_json::from_str(text).unwrap();
    match member {
        "params" => m.params.unwrap().get(),
        _ => m.result.unwrap().get(),
    }
}

#[test]
fn id_rewrites_keep_params_and_results_byte_identical() {
    let new = Id::String("gw-\"7\"".into());
    for e in examples().iter().filter(|e| e.is_envelope()) {
        let mut out = Vec::new();
        match decode(&e.text) {
            Message::Request(r) if r.params.is_some() => {
                r.encode_with_id(&new, &mut out);
                let raw = raw_member(&e.text, "params");
                assert!(raw.contains('\n'), "the files are pretty-printed");
                let expected = format!(
                    r#"{{"jsonrpc":"2.0","id":"gw-\"7\"","method":{},"params":{raw}}}"#,
                    serde_json::to_string(&r.method).unwrap()
                );
                assert_eq!(String::from_utf8(out).unwrap(), expected, "{}", e.name());
            }
            Message::Response(r) => {
                r.encode_with_id(&new, &mut out);
                let raw = raw_member(&e.text, "result");
                let expected = format!(r#"{{"jsonrpc":"2.0","id":"gw-\"7\"","result":{raw}}}"#);
                assert_eq!(String::from_utf8(out).unwrap(), expected, "{}", e.name());
            }
            _ => {}
        }
    }
}

#[test]
fn error_objects_decode_inside_an_envelope() {
    for e in examples()
        .iter()
        .filter(|e| !e.is_envelope() && e.kind.ends_with("Error"))
    {
        let text = format!(r#"{{"jsonrpc":"2.0","id":1,"error":{}}}"#, e.text);
        let Message::ErrorResponse(r) = decode(&text) else {
            panic!("{}", e.name())
        };
        assert_eq!(r.error.code, expected_code(&e.kind), "{}", e.name());
        let encoded = json_of(&Message::ErrorResponse(r).encode());
        assert_eq!(encoded["error"], e.value(), "{}", e.name());
    }
}

#[test]
fn input_requests_are_not_wire_messages() {
    for e in examples()
        .iter()
        .filter(|e| !e.is_envelope() && e.kind.ends_with("Request"))
    {
        let err = Message::decode(e.text.as_bytes(), &limits()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidRequest {
                    reason: "missing jsonrpc member",
                    ..
                }
            ),
            "{}: {err:?}",
            e.name()
        );
        // Embedded in a 2026-07-28 InputRequiredResult they name methods that were wire
        // requests before (server-to-client).
        let mut value = e.value();
        value["jsonrpc"] = json!("2.0");
        value["id"] = json!(1);
        let r = request(&value.to_string());
        let method = Method::from_name(&r.method).unwrap();
        assert!(
            !method.is_available_in(ProtocolVersion::V2026_07_28),
            "{method}"
        );
        assert!(
            method.is_available_in(ProtocolVersion::V2025_11_25),
            "{method}"
        );
    }
}

#[test]
fn every_other_example_passes_through_as_a_raw_payload() {
    for e in examples()
        .iter()
        .filter(|e| !e.is_envelope() && !e.kind.ends_with("Error"))
    {
        if e.kind.ends_with("Request") {
            continue;
        }
        let raw = e.text.trim();
        let response = format!(r#"{{"jsonrpc":"2.0","id":"back-end-9","result":{raw}}}"#);
        let Message::Response(r) = decode(&response) else {
            panic!("{}", e.name())
        };
        let mut out = Vec::new();
        r.encode_with_id(&Id::Number(3), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(r#"{{"jsonrpc":"2.0","id":3,"result":{raw}}}"#),
            "{}",
            e.name()
        );
        let request = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{raw}}}"#);
        assert_eq!(
            json_of(&decode(&request).encode())["params"],
            e.value(),
            "{}",
            e.name()
        );
    }
}

#[test]
fn typed_views_read_the_request_examples() {
    let call = request(&example("CallToolRequest").text);
    let params: CallToolParams<'_> = call.params_as().unwrap();
    assert_eq!(params.name, "get_weather");
    assert_eq!(
        json_of(params.arguments.unwrap().get().as_bytes()),
        json!({"location": "New York"})
    );
    assert!(params.meta.is_some());
    let meta = RequestMeta::of(&call).unwrap();
    assert_eq!(meta.protocol_version.as_deref(), Some("2026-07-28"));
    assert_eq!(meta.client_info.unwrap().name, "ExampleClient");
    assert_eq!(meta.client_capabilities.unwrap().get(), "{}");

    let complete = request(&example("CompleteRequest").text);
    let params: CompleteParams<'_> = complete.params_as().unwrap();
    assert_eq!(
        params.reference,
        CompletionRef::Prompt {
            name: "code_review".into()
        }
    );

    let prompt = request(&example("GetPromptRequest").text);
    assert_eq!(
        prompt.params_as::<GetPromptParams<'_>>().unwrap().name,
        "code_review"
    );

    let read = request(&example("ReadResourceRequest").text);
    assert_eq!(
        read.params_as::<ResourceParams<'_>>().unwrap().uri,
        "file:///project/src/main.rs"
    );

    for kind in [
        "ListToolsRequest",
        "ListPromptsRequest",
        "ListResourcesRequest",
        "ListResourceTemplatesRequest",
    ] {
        let list = request(&example(kind).text);
        assert_eq!(
            list.params_as::<PaginatedParams<'_>>().unwrap().cursor,
            None,
            "{kind}"
        );
    }

    let listen = request(&example("SubscriptionsListenRequest").text);
    let filter = listen
        .params_as::<SubscriptionsListenParams>()
        .unwrap()
        .notifications;
    assert!(filter.tools_list_changed && !filter.prompts_list_changed);
    assert_eq!(
        filter.resource_subscriptions,
        ["file:///project/config.json"]
    );

    let discover = request(&example("DiscoverRequest").text);
    assert_eq!(
        RequestMeta::of(&discover)
            .unwrap()
            .protocol_version
            .as_deref(),
        Some("2026-07-28")
    );
}

#[test]
fn typed_views_read_the_params_examples() {
    for e in examples() {
        let text = e.text.as_str();
        let wrap = |method: &str| {
            request(&format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{text}}}"#
            ))
        };
        match e.kind.as_str() {
            "CallToolRequestParams" => {
                let r = wrap("tools/call");
                let name = r
                    .params_as::<CallToolParams<'_>>()
                    .unwrap()
                    .name
                    .into_owned();
                assert!(["get_weather", "build_simulation"].contains(&name.as_str()));
                if e.file.contains("progress") {
                    assert_eq!(
                        RequestMeta::of(&r).unwrap().progress_token,
                        Some(Id::from("oivaizmir"))
                    );
                }
            }
            "CompleteRequestParams" => {
                let r = wrap("completion/complete");
                assert!(matches!(
                    r.params_as::<CompleteParams<'_>>().unwrap().reference,
                    CompletionRef::Prompt { .. }
                ));
            }
            "GetPromptRequestParams" => {
                assert_eq!(
                    wrap("prompts/get")
                        .params_as::<GetPromptParams<'_>>()
                        .unwrap()
                        .name,
                    "code_review"
                );
            }
            "PaginatedRequestParams" => {
                let r = wrap("tools/list");
                assert_eq!(
                    r.params_as::<PaginatedParams<'_>>()
                        .unwrap()
                        .cursor
                        .as_deref(),
                    Some("eyJwYWdlIjogMn0=")
                );
            }
            _ => {}
        }
    }
}

#[test]
fn typed_views_read_the_notification_examples() {
    let cancelled = notification(&example("CancelledNotification").text);
    let params: CancelledParams<'_> = cancelled.params_as().unwrap();
    assert_eq!(
        params.request_id,
        Some(Id::from("123")),
        "a string id stays a string"
    );
    assert_eq!(
        params.reason.as_deref(),
        Some("User requested cancellation")
    );

    let progress = notification(&example("ProgressNotification").text);
    let params: ProgressParams<'_> = progress.params_as().unwrap();
    assert_eq!(
        (params.progress_token, params.progress, params.total),
        (Id::from("oivaizmir"), 50.0, Some(100.0))
    );

    let log = notification(&example("LoggingMessageNotification").text);
    let params: LoggingMessageParams<'_> = log.params_as().unwrap();
    assert_eq!(
        (params.level.as_ref(), params.logger.as_deref()),
        ("error", Some("database"))
    );
    assert_eq!(
        json_of(params.data.get().as_bytes())["error"],
        "Connection failed"
    );

    let updated = notification(&example("ResourceUpdatedNotification").text);
    assert_eq!(
        updated.params_as::<ResourceParams<'_>>().unwrap().uri,
        "file:///project/src/main.rs"
    );
}

/// The headers a conforming 2026-07-28 client sends for `request`.
fn conforming_headers(r: &Request) -> (String, Option<String>, Option<String>) {
    let params: Value = r
        .params
        .as_deref()
        .map_or(json!({}), |p| serde_json::from_str(p.get()).unwrap());
    let name = match Method::from_name(&r.method).and_then(Method::name_param) {
        Some(hangar_mcp::NameParam::Name) => params["name"].as_str().map(str::to_owned),
        Some(hangar_mcp::NameParam::Uri) => params["uri"].as_str().map(str::to_owned),
        None => None,
    };
    let version = params["_meta"]["io.modelcontextprotocol/protocolVersion"]
        .as_str()
        .map(str::to_owned);
    (r.method.clone(), name, version)
}

#[test]
fn request_examples_pass_the_header_check_and_a_wrong_name_fails() {
    for e in examples().iter().filter(|e| e.is_envelope()) {
        let message = decode(&e.text);
        match &message {
            Message::Request(r) => {
                let (method, name, version) = conforming_headers(r);
                let headers = McpHeaders {
                    method: Some(&method),
                    name: name.as_deref(),
                    protocol_version: version.as_deref(),
                };
                assert_eq!(version.as_deref(), Some("2026-07-28"), "{}", e.name());
                validate_headers(&headers, &message)
                    .unwrap_or_else(|err| panic!("{}: {err}", e.name()));
                let wrong = McpHeaders {
                    name: Some("foo"),
                    ..headers
                };
                assert_eq!(
                    validate_headers(&wrong, &message).unwrap_err().code(),
                    -32020,
                    "{}",
                    e.name()
                );
            }
            Message::Notification(n) => {
                let headers = McpHeaders {
                    method: Some(&n.method),
                    name: None,
                    protocol_version: Some("2026-07-28"),
                };
                validate_headers(&headers, &message).unwrap();
            }
            _ => {}
        }
    }
}

#[test]
fn header_mismatch_matches_the_example() {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"bar","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;
    let headers = McpHeaders {
        method: Some("tools/call"),
        name: Some("foo"),
        protocol_version: Some("2026-07-28"),
    };
    let err = validate_headers(&headers, &decode(body)).unwrap_err();
    let answer = Message::ErrorResponse(ErrorResponse::from_error(Some(Id::Number(1)), &err));
    let mut expected = example("HeaderMismatchError").value();
    let mut got = json_of(&answer.encode());
    // Hangar adds which header, expected and got as `data`; the example has none.
    assert_eq!(
        got["error"]["data"],
        json!({"header": "Mcp-Name", "expected": "bar", "got": "foo"})
    );
    got["error"].as_object_mut().unwrap().remove("data");
    expected["error"].as_object_mut().unwrap().remove("data");
    assert_eq!(got, expected);
}

#[test]
fn unsupported_version_matches_the_example() {
    let err = "1900-01-01".parse::<ProtocolVersion>().unwrap_err();
    let answer = json_of(
        &Message::ErrorResponse(ErrorResponse::from_error(Some(Id::Number(1)), &err)).encode(),
    );
    let expected = example("UnsupportedProtocolVersionError").value();
    assert_eq!(answer["error"]["code"], expected["error"]["code"]);
    assert_eq!(answer["error"]["message"], expected["error"]["message"]);
    assert_eq!(
        answer["error"]["data"]["requested"],
        expected["error"]["data"]["requested"]
    );
    for v in expected["error"]["data"]["supported"].as_array().unwrap() {
        assert!(
            answer["error"]["data"]["supported"]
                .as_array()
                .unwrap()
                .contains(v)
        );
    }
}

#[test]
fn unknown_tool_matches_the_example() {
    let answer = ErrorResponse::unknown_tool(Id::Number(1), "invalid_tool_name");
    let ours = json_of(&Message::ErrorResponse(answer).encode());
    let expected = examples()
        .into_iter()
        .find(|e| e.kind == "InvalidParamsError" && e.file == "unknown-tool.json")
        .unwrap();
    assert_eq!(ours["error"], expected.value());
}

#[test]
fn tools_list_changed_matches_the_example() {
    let ours = Notification::tools_list_changed(Some(&Id::from("listen-1"))).unwrap();
    assert_eq!(
        json_of(&Message::from(ours).encode()),
        example("ToolListChangedNotification").value()
    );
}

#[test]
fn tool_list_builder_matches_the_example() {
    let expected = example("ListToolsResultResponse").value();
    let tools: Vec<Box<RawValue>> = expected["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| serde_json::value::to_raw_value(t).unwrap())
        .collect();
    let result = ToolListBuilder::new(ProtocolVersion::V2026_07_28)
        .tools(tools.iter().map(|t| &**t))
        .next_cursor("next-page-cursor")
        .cache(3_600_000, CacheScope::Public)
        .build()
        .unwrap();
    let response = Response::new("list-tools-example", result);
    assert_eq!(json_of(&Message::from(response).encode()), expected);
}

#[test]
fn discover_builder_matches_the_example() {
    let expected = example("DiscoverResultResponse").value();
    let caps = RawValue::from_string(r#"{"tools":{},"resources":{}}"#.into()).unwrap();
    let result = DiscoverResultBuilder::new("ExampleServer", "1.0.0")
        .supported_versions(&[ProtocolVersion::V2026_07_28])
        .capabilities(&caps)
        .cache(3_600_000, CacheScope::Public)
        .build()
        .unwrap();
    let response = Response::new("discover-1", result);
    assert_eq!(json_of(&Message::from(response).encode()), expected);
}
