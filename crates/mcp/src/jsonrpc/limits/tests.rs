use super::*;
use crate::jsonrpc::Message;

fn decode(text: &str) -> Result<Message, Error> {
    Message::decode(text.as_bytes(), &DecodeLimits::default())
}

#[test]
fn size_limit() {
    let text = r#"{"jsonrpc":"2.0","method":"m"}"#;
    let exact = DecodeLimits::default().max_size(text.len());
    assert!(Message::decode(text.as_bytes(), &exact).is_ok());
    let small = DecodeLimits::default().max_size(text.len() - 1);
    let e = Message::decode(text.as_bytes(), &small).unwrap_err();
    assert!(
        matches!(e, Error::TooLarge { size, limit } if size == text.len() && limit == text.len() - 1)
    );
    assert_eq!(e.code(), -32600);
}

fn nested(depth: usize) -> String {
    // params itself is level 2 (inside the envelope object).
    let inner = depth - 2;
    format!(
        r#"{{"jsonrpc":"2.0","method":"m","params":{{"a":{}1{}}}}}"#,
        "[".repeat(inner),
        "]".repeat(inner)
    )
}

#[test]
fn depth_limit_is_explicit() {
    assert_eq!(DecodeLimits::default().depth_limit(), Some(64));
    assert!(decode(&nested(64)).is_ok());
    let e = decode(&nested(65)).unwrap_err();
    assert!(matches!(e, Error::TooDeep { limit: 64 }), "{e:?}");
    assert_eq!(e.code(), -32600);
    let tight = DecodeLimits::default().max_depth(3);
    assert!(Message::decode(nested(3).as_bytes(), &tight).is_ok());
    assert!(Message::decode(nested(4).as_bytes(), &tight).is_err());
}

#[test]
fn depth_ignores_brackets_in_strings() {
    let text = format!(
        r#"{{"jsonrpc":"2.0","method":"m","params":{{"s":"{}\"{}\\"}}}}"#,
        "[{".repeat(100),
        "[".repeat(100)
    );
    assert!(decode(&text).is_ok(), "{text}");
    assert!(check_depth_of(r#""\\" [[["#, 2).is_err());
    assert!(check_depth_of(r#""\" [[[" "#, 0).is_ok());
}

fn check_depth_of(text: &str, limit: usize) -> Result<(), Error> {
    check_depth(text.as_bytes(), limit)
}

#[test]
fn deep_input_never_reaches_the_parser() {
    let deep = "[".repeat(100_000);
    assert!(matches!(decode(&deep), Err(Error::TooDeep { .. })));
    // Without the limit, raw members are skipped without recursion: deep input is
    // accepted or refused, never a crash.
    let loose = DecodeLimits::default().no_depth_limit();
    assert!(Message::decode(nested(10_000).as_bytes(), &loose).is_ok());
    assert!(Message::decode(deep.as_bytes(), &loose).is_err());
    assert_eq!(loose.depth_limit(), None);
    let envelope = format!("{}{}", "{\"a\":".repeat(200), "}".repeat(200));
    assert!(Message::decode(envelope.as_bytes(), &loose).is_err());
}

/// The depth scan without the eight-byte fast path, as the reference.
fn naive_depth_ok(bytes: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

proptest::proptest! {
    #[test]
    fn depth_scan_matches_the_naive_scan(text in r#"[\[\]{}"\\a]{0,64}"#, limit in 0usize..6) {
        proptest::prop_assert_eq!(check_depth_of(&text, limit).is_ok(), naive_depth_ok(text.as_bytes(), limit));
    }
}
