//! The codec on the gateway's hot path: decoding a client's `tools/call`, rewriting the
//! id of a 100 KB result on its way back (with and without the depth scan), building a
//! 100-tool `tools/list` result, and framing a 100 KB result as SSE. The result is
//! escape-dense (a `\"`, `\n` or `\t` every dozen bytes) and partly non-ASCII.
//! Budget context (DESIGN.md): ≤ 50 µs added per tools/call, ≤ 20 µs for a cached
//! 100-tool tools/list.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hangar_mcp::{
    CacheScope, CallToolParams, DecodeLimits, Id, Message, ProtocolVersion, SseDecoder, SseEvent,
    ToolListBuilder,
};
use serde_json::value::RawValue;

const CALL: &str = r#"{"jsonrpc":"2.0","id":"call-42","method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"ExampleClient","version":"1.0.0"},"io.modelcontextprotocol/clientCapabilities":{},"progressToken":"p-42"},"name":"charge","arguments":{"amount":1250,"currency":"EUR","customer":"cus_8f2a","description":"Order #1234: two items, express shipping","metadata":{"order":1234,"items":[{"sku":"A-1","qty":1},{"sku":"B-7","qty":1}]}}}}"#;

/// A tools/call result of about `size` bytes: text blocks with escapes and non-ASCII.
fn result_response(size: usize) -> Vec<u8> {
    let block = r#"{"type":"text","text":"Row 17: café — \"quoted\" value\n\ttab, 12.5 °C; ok"}"#;
    let mut blocks = Vec::new();
    let mut len = 0;
    while len < size {
        blocks.push(block);
        len += block.len() + 1;
    }
    format!(
        r#"{{"jsonrpc":"2.0","id":9001,"result":{{"resultType":"complete","content":[{}],"isError":false}}}}"#,
        blocks.join(",")
    )
    .into_bytes()
}

fn codec(c: &mut Criterion) {
    let limits = DecodeLimits::for_version(ProtocolVersion::V2026_07_28);

    c.bench_function("decode tools/call request + read name", |b| {
        b.iter(|| {
            let Ok(Message::Request(request)) =
                Message::decode(black_box(CALL.as_bytes()), &limits)
            else {
                unreachable!()
            };
            let params: CallToolParams<'_> = request.params_as().unwrap();
            black_box(params.name.len());
        })
    });

    let response = result_response(100 * 1024);
    let client_id = Id::String("call-42".into());
    let mut out = Vec::with_capacity(response.len() + 64);
    c.bench_function(
        "rewrite id of a 100 KB tools/call result (decode + encode)",
        |b| {
            b.iter(|| {
                let Ok(Message::Response(r)) = Message::decode(black_box(&response), &limits)
                else {
                    unreachable!()
                };
                out.clear();
                r.encode_with_id(&client_id, &mut out);
                black_box(out.len());
            })
        },
    );

    // A back end's answer is trusted input: the gateway may skip the depth scan.
    let trusted = limits.no_depth_limit();
    c.bench_function(
        "rewrite id of a 100 KB tools/call result, no depth limit (trusted back end)",
        |b| {
            b.iter(|| {
                let Ok(Message::Response(r)) = Message::decode(black_box(&response), &trusted)
                else {
                    unreachable!()
                };
                out.clear();
                r.encode_with_id(&client_id, &mut out);
                black_box(out.len());
            })
        },
    );

    let tools: Vec<Box<RawValue>> = (0..100)
        .map(|i| {
            RawValue::from_string(format!(
                r#"{{"name":"tool_{i}","description":"Does thing number {i} for the caller","inputSchema":{{"type":"object","properties":{{"id":{{"type":"string"}},"amount":{{"type":"number"}}}},"required":["id"]}}}}"#
            ))
            .unwrap()
        })
        .collect();
    c.bench_function("build tools/list result of 100 tools", |b| {
        b.iter(|| {
            let result = ToolListBuilder::new(ProtocolVersion::V2026_07_28)
                .tools(tools.iter().map(|t| &**t))
                .cache(60_000, CacheScope::Private)
                .build()
                .unwrap();
            black_box(result.get().len());
        })
    });

    let event = SseEvent::new(String::from_utf8(response.clone()).unwrap()).with_id("7");
    c.bench_function("sse encode + decode a 100 KB event in 16 KB chunks", |b| {
        b.iter(|| {
            let bytes = event.encode().unwrap();
            let mut decoder = SseDecoder::default();
            let mut n = 0;
            for chunk in bytes.chunks(16 * 1024) {
                n += decoder.feed(chunk).unwrap().len();
            }
            black_box(n);
        })
    });
}

criterion_group!(benches, codec);
criterion_main!(benches);
