//! Properties: SSE survives any chunking, id rewrites never touch payload bytes, and no
//! input makes the decoders panic.

use hangar_mcp::{DecodeLimits, Id, Message, SseDecoder, SseEvent};
use proptest::prelude::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// SSE
// ---------------------------------------------------------------------------------------

fn sse_event() -> impl Strategy<Value = SseEvent> {
    (
        proptest::option::of("[a-z_/]{0,8}"),
        // Any text, with line breaks of every kind.
        proptest::collection::vec(
            prop_oneof![
                ".{0,12}",
                Just("\n".into()),
                Just("\r\n".into()),
                Just("\r".into())
            ],
            0..6,
        )
        .prop_map(|parts| parts.concat()),
        proptest::option::of("[^\r\n\0]{0,10}"),
        proptest::option::of(0..100_000u64),
    )
        .prop_map(|(event, data, id, retry)| SseEvent {
            event,
            data,
            id,
            retry,
        })
}

/// What a decoder must report for `events`: line breaks in data become `\n`, an empty
/// event type is the default, and the last id carries over (an empty id resets it).
fn expected(events: &[SseEvent]) -> Vec<SseEvent> {
    let mut last_id: Option<String> = None;
    events
        .iter()
        .map(|e| {
            if let Some(id) = &e.id {
                last_id = (!id.is_empty()).then(|| id.clone());
            }
            SseEvent {
                event: e.event.clone().filter(|name| !name.is_empty()),
                data: e.data.replace("\r\n", "\n").replace('\r', "\n"),
                id: last_id.clone(),
                retry: e.retry,
            }
        })
        .collect()
}

/// Splits `bytes` at the given points (modulo its length, sorted); a repeated point
/// gives an empty chunk, which a decoder must take like any other.
fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for p in points {
        chunks.push(&bytes[start..p]);
        start = p;
    }
    chunks.push(&bytes[start..]);
    chunks
}

proptest! {
    #[test]
    fn sse_events_survive_any_chunking(
        events in proptest::collection::vec(sse_event(), 0..8),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
        comments in any::<bool>(),
    ) {
        let mut stream = Vec::new();
        for e in &events {
            if comments {
                hangar_mcp::encode_comment("keep-alive", &mut stream);
            }
            e.encode_into(&mut stream).unwrap();
        }
        let mut decoder = SseDecoder::new(1 << 16);
        let mut decoded = Vec::new();
        for chunk in split(&stream, &cuts) {
            decoded.extend(decoder.feed(chunk).unwrap());
        }
        prop_assert_eq!(decoded, expected(&events));
    }

    #[test]
    fn sse_decoder_never_panics_and_stays_bounded(
        chunks in proptest::collection::vec(
            proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b':'), Just(b' '), Just(b'd'), Just(0xff), any::<u8>()], 0..64),
            0..16,
        ),
        limit in 0usize..64,
    ) {
        let mut decoder = SseDecoder::new(limit);
        for chunk in chunks {
            match decoder.feed(&chunk) {
                Ok(events) => {
                    for e in events {
                        prop_assert!(e.data.len() <= limit + 1, "data of {} bytes", e.data.len());
                    }
                }
                Err(e) => prop_assert_eq!(e.code(), -32603),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// JSON-RPC
// ---------------------------------------------------------------------------------------

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,8}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map("[a-zA-Z_]{1,8}", json_value(), 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn id() -> impl Strategy<Value = Id> {
    prop_oneof![
        any::<i64>().prop_map(Id::Number),
        ".{0,12}".prop_map(Id::String)
    ]
}

fn id_json(id: &Id) -> String {
    serde_json::to_string(id).unwrap()
}

/// `value` as JSON text, compact or pretty.
fn text(value: &Value, pretty: bool) -> String {
    if pretty {
        serde_json::to_string_pretty(value).unwrap()
    } else {
        serde_json::to_string(value).unwrap()
    }
}

proptest! {
    #[test]
    fn response_id_rewrite_keeps_result_bytes(
        result in json_value(),
        pretty in any::<bool>(),
        old in id(),
        new in id(),
    ) {
        let raw = text(&result, pretty);
        let input = format!(r#"{{"jsonrpc":"2.0","id":{},"result":{raw}}}"#, id_json(&old));
        let limits = DecodeLimits::default();
        let Message::Response(response) = Message::decode(input.as_bytes(), &limits).unwrap() else {
            panic!("not a response")
        };
        prop_assert_eq!(&response.id, &old);
        let mut out = Vec::new();
        response.encode_with_id(&new, &mut out);
        let expected = format!(r#"{{"jsonrpc":"2.0","id":{},"result":{raw}}}"#, id_json(&new));
        prop_assert_eq!(String::from_utf8(out.clone()).unwrap(), expected);
        let again = Message::decode(&out, &limits).unwrap();
        prop_assert_eq!(again.id(), Some(&new));
    }

    #[test]
    fn request_id_rewrite_keeps_params_bytes(
        params in object(),
        method in ".{1,24}",
        pretty in any::<bool>(),
        old in id(),
        new in id(),
    ) {
        let raw = text(&params, pretty);
        let method_json = serde_json::to_string(&method).unwrap();
        let input = format!(r#"{{"jsonrpc":"2.0","id":{},"method":{method_json},"params":{raw}}}"#, id_json(&old));
        let Message::Request(request) = Message::decode(input.as_bytes(), &DecodeLimits::default()).unwrap() else {
            panic!("not a request")
        };
        prop_assert_eq!(&request.method, &method);
        let mut out = Vec::new();
        request.encode_with_id(&new, &mut out);
        let expected = format!(r#"{{"jsonrpc":"2.0","id":{},"method":{method_json},"params":{raw}}}"#, id_json(&new));
        prop_assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn decoding_any_json_never_panics(value in json_value(), batch in any::<bool>()) {
        let limits = DecodeLimits::default().allow_batch(batch);
        let input = text(&value, false);
        if let Ok(message) = Message::decode(input.as_bytes(), &limits) {
            // Whatever decodes re-encodes to the same JSON. (Both sides are parsed from
            // text: serde_json's own f64 text round trip is not exact for subnormals.)
            let again: Value = serde_json::from_slice(&message.encode()).unwrap();
            let original: Value = serde_json::from_str(&input).unwrap();
            prop_assert_eq!(normalise(again), normalise(original));
        }
    }

    #[test]
    fn envelope_like_objects_decode_to_themselves_or_are_invalid_requests(
        members in proptest::collection::btree_map(
            prop_oneof![Just("jsonrpc"), Just("id"), Just("method"), Just("params"), Just("result"), Just("error"), Just("extra")],
            prop_oneof![
                Just(Value::from("2.0")),
                Just(Value::from("tools/call")),
                any::<i64>().prop_map(Value::from),
                Just(Value::Null),
                Just(serde_json::json!({"code": -32602, "message": "Unknown tool: x"})),
                object(),
                json_value(),
            ],
            0..7,
        ),
    ) {
        let value = Value::Object(members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        let input = text(&value, false);
        match Message::decode(input.as_bytes(), &DecodeLimits::default()) {
            Ok(message) => {
                let again: Value = serde_json::from_slice(&message.encode()).unwrap();
                let original: Value = serde_json::from_str(&input).unwrap();
                prop_assert_eq!(normalise(again), normalise(original));
            }
            Err(e) => prop_assert_eq!(e.code(), -32600, "{}", e),
        }
    }

    #[test]
    fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Message::decode(&bytes, &DecodeLimits::default().allow_batch(true));
    }

    #[test]
    fn decoding_json_like_text_never_panics(text in r#"[\[\]{}",:0-9a-z\\ .e-]{0,128}"#) {
        let limits = DecodeLimits::default().allow_batch(true).max_depth(4);
        match Message::decode(text.as_bytes(), &limits) {
            Ok(_) => {}
            Err(e) => prop_assert!([-32700, -32600].contains(&e.code()), "{e}"),
        }
    }
}

/// Envelope members the codec drops (unknown ones) and an absent error id (written as
/// `null`) aside, a decoded message is the JSON it came from.
fn normalise(value: Value) -> Value {
    match value {
        Value::Object(mut map) => {
            map.retain(|k, _| {
                ["jsonrpc", "id", "method", "params", "result", "error"].contains(&k.as_str())
            });
            if map.contains_key("error") && !map.contains_key("id") {
                map.insert("id".into(), Value::Null);
            }
            if let Some(Value::Object(error)) = map.get_mut("error") {
                error.retain(|k, _| ["code", "message", "data"].contains(&k.as_str()));
            }
            Value::Object(map)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(normalise).collect()),
        other => other,
    }
}
