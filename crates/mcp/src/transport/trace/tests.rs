use serde_json::Value;
use serde_json::value::RawValue;

use super::*;

const VALID: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

#[test]
fn a_valid_traceparent_parses_and_prints_back() {
    let parsed = TraceParent::parse(VALID).expect("valid");
    assert_eq!(parsed.to_string(), VALID);
    assert_eq!(&parsed.encode()[..], VALID.as_bytes());
    assert_eq!(parsed.trace_id_hex(), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(
        parsed.parent_id(),
        [0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31]
    );
    assert_eq!(parsed.flags(), TraceParent::SAMPLED);
    // Not sampled, other flag bits, and surrounding whitespace are fine.
    for ok in [
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff",
        " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\t",
    ] {
        let parsed = TraceParent::parse(ok).expect(ok);
        assert_eq!(&parsed.encode()[..], ok.trim().as_bytes(), "{ok:?}");
    }
}

#[test]
fn every_invalid_form_is_refused() {
    let cases = [
        ("empty", ""),
        ("garbage", "not a traceparent"),
        (
            "version ff",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        (
            "a future version",
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        (
            "version 00 with a suffix",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        ),
        (
            "all-zero trace id",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        ),
        (
            "all-zero parent id",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        ),
        (
            "upper-case hex",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        ),
        (
            "short trace id",
            "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",
        ),
        (
            "long parent id",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333100-01",
        ),
        (
            "one flag digit",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
        ),
        (
            "non-hex flags",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",
        ),
        (
            "non-hex trace id",
            "00-0af7651916cd43dd8448eb211c80319z-b7ad6b7169203331-01",
        ),
        (
            "wrong separator",
            "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        (
            "separators moved",
            "00-0af7651916cd43dd8448eb211c80319cb-7ad6b7169203331-01",
        ),
        (
            "a multi-byte character",
            "00-0af7651916cd43dd8448eb211c80319é-b7ad6b7169203331-0",
        ),
    ];
    for (what, value) in cases {
        assert!(TraceParent::parse(value).is_none(), "{what}: {value:?}");
    }
}

#[test]
fn a_child_keeps_the_trace_and_flags() {
    let parent = TraceParent::parse(VALID).expect("valid");
    let child = parent.child([7; 8]).expect("child");
    assert_eq!(child.trace_id(), parent.trace_id());
    assert_eq!(child.flags(), parent.flags());
    assert_eq!(child.parent_id(), [7; 8]);
    assert!(parent.child([0; 8]).is_none());
    assert!(TraceParent::new([0; 16], [1; 8], 1).is_none());
}

#[test]
fn tracestate_is_kept_only_when_well_formed() {
    for ok in [
        "rojo=00f067aa0ba902b7",
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        " rojo=1 , congo=2 ,",
        "tenant1@vendor=x,a_b-c*d/e=value with spaces",
        "k=trailing space is list whitespace ",
    ] {
        assert!(parse_tracestate(ok).is_some(), "{ok:?}");
    }
    let too_many = (0..33)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join(",");
    let too_long = format!("k={}", "v".repeat(600));
    for bad in [
        "",
        " , ",
        "novalue",
        "Upper=1",
        "1abc=1",
        "k=a,b",
        "k=",
        "k=\u{e9}",
        "k=v=w",
        "tenant@Vendor=1",
        "tenant@vendorvendorvendor=1",
        too_many.as_str(),
        too_long.as_str(),
    ] {
        assert!(parse_tracestate(bad).is_none(), "{bad:?}");
    }
}

fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_owned()).expect("json")
}

fn context(state: Option<&str>) -> TraceContext {
    TraceContext {
        traceparent: TraceParent::parse(VALID).expect("valid"),
        tracestate: state.map(str::to_owned),
    }
}

fn merged(params: Option<&str>, trace: &TraceContext) -> Value {
    let params = params.map(raw);
    let out = with_trace(params.as_deref(), trace).expect("merged");
    serde_json::from_str(out.get()).expect("valid JSON")
}

#[test]
fn meta_members_are_spliced_into_params_without_a_meta() {
    let trace = context(Some("rojo=1"));
    let out = merged(
        Some(r#"{"name":"charge","arguments":{"amount":5}}"#),
        &trace,
    );
    assert_eq!(out["_meta"]["traceparent"], VALID);
    assert_eq!(out["_meta"]["tracestate"], "rojo=1");
    assert_eq!(out["name"], "charge");
    // The rest is copied as it was (1e400 would not survive a round trip through f64).
    let params = raw(r#"{"name":"charge","arguments":{"amount":5,"n":1e400}}"#);
    let text = with_trace(Some(&params), &trace).expect("merged");
    assert!(
        text.get()
            .ends_with(r#","name":"charge","arguments":{"amount":5,"n":1e400}}"#),
        "{}",
        text.get()
    );
    // Absent and empty params become an object with only `_meta`.
    for params in [None, Some("{}"), Some(" { } ")] {
        let out = merged(params, &context(None));
        assert_eq!(
            out,
            serde_json::json!({"_meta": {"traceparent": VALID}}),
            "{params:?}"
        );
    }
}

#[test]
fn meta_members_replace_theirs_and_keep_the_others() {
    let out = merged(
        Some(
            r#"{"name":"x","_meta":{"progressToken":7,"traceparent":"00-11111111111111111111111111111111-2222222222222222-01"}}"#,
        ),
        &context(None),
    );
    assert_eq!(out["_meta"]["progressToken"], 7);
    assert_eq!(out["_meta"]["traceparent"], VALID);
    assert_eq!(out["name"], "x");
    // An escaped key takes the parsing path too.
    let out = merged(
        Some(r#"{"\u005fmeta":{"progressToken":1},"name":"x"}"#),
        &context(None),
    );
    assert_eq!(out["_meta"]["progressToken"], 1);
    assert_eq!(out["_meta"]["traceparent"], VALID);
    for bad in ["[1]", "3", r#"{"_meta":[]}"#] {
        let params = raw(bad);
        assert!(merge_meta(Some(&params), &[]).is_err(), "{bad}");
    }
}
