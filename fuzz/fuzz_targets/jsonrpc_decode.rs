//! `hangar_mcp::Message::decode` on arbitrary bytes, under the limits the gateway uses
//! (no batches, depth 64) and the 2025-03-26 ones (batches), plus a tiny depth limit.
//!
//! Properties, beyond "never panics":
//! - a decoded message re-encodes to JSON that decodes again, and re-encoding that gives
//!   the same bytes (encoding is a fixed point after one round);
//! - a decoded message was valid JSON (serde_json agrees, but for unpaired surrogate
//!   escapes inside raw members), and its id and method are the envelope's;
//! - a parse error (-32700) is never reported for input serde_json reads as JSON.
#![no_main]

use hangar_mcp::{DecodeLimits, ErrorCode, Message, ProtocolVersion};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let gateway = DecodeLimits::for_version(ProtocolVersion::V2025_11_25).allow_batch(false);
    let batches = DecodeLimits::for_version(ProtocolVersion::V2025_03_26);
    let shallow = DecodeLimits::default().max_depth(3).allow_batch(true);
    for limits in [gateway, batches, shallow] {
        check(data, &limits);
    }
});

fn check(data: &[u8], limits: &DecodeLimits) {
    match Message::decode(data, limits) {
        Ok(message) => {
            let value: Value = match serde_json::from_slice(data) {
                Ok(value) => value,
                // Raw members are skipped, not decoded: a `\ud800` escape without its
                // pair is grammatical JSON (RFC 8259 §8.2) that the codec forwards as
                // is, while serde_json refuses to make a `String` of it.
                Err(e)
                    if e.to_string().contains("surrogate")
                        || e.to_string().contains("end of hex escape") =>
                {
                    return;
                }
                Err(e) => panic!("decoded, but serde_json refuses it: {e}"),
            };
            if let Some(id) = message.id() {
                // The message's id is the envelope's (an error response may carry `null`).
                let ours = serde_json::to_value(id).expect("an id is JSON");
                let theirs = &value["id"];
                let same = match (&ours, theirs) {
                    // `-0` is the integer id 0.
                    (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                    _ => &ours == theirs,
                };
                assert!(same, "id {theirs} decoded as {ours}");
            }
            if let Some(method) = message.method() {
                assert_eq!(value["method"].as_str(), Some(method), "method changed");
            }
            let encoded = message.encode();
            let again = Message::decode(&encoded, limits).unwrap_or_else(|e| {
                panic!(
                    "re-encoded message does not decode ({e}): {}",
                    String::from_utf8_lossy(&encoded)
                )
            });
            assert_eq!(again.encode(), encoded, "encoding is not stable");
            assert_eq!(again.id(), message.id());
            assert_eq!(again.method(), message.method());
        }
        Err(error) => {
            let object = error.to_error_object();
            assert_eq!(object.code, error.code());
            assert!(ErrorCode::from_i64(error.code()).is_some());
            if error.error_code() == ErrorCode::ParseError {
                assert!(
                    serde_json::from_slice::<Value>(data).is_err(),
                    "parse error for input serde_json reads: {error}"
                );
            }
        }
    }
}
