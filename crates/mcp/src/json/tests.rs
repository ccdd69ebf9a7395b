use super::*;

fn string(s: &str) -> String {
    let mut out = Vec::new();
    write_str(&mut out, s);
    String::from_utf8(out).unwrap()
}

#[test]
fn strings_match_serde_json() {
    for s in [
        "",
        "plain",
        "quote\" back\\slash",
        "\n\r\t\u{8}\u{c}\u{1}\u{1f}",
        "é ✓ 𝄞",
        "\u{7f}",
    ] {
        assert_eq!(string(s), serde_json::to_string(s).unwrap(), "{s:?}");
    }
}

#[test]
fn integers_match_display() {
    for n in [0, 1, -1, 9, 10, 12345, i64::MAX, i64::MIN] {
        let mut out = Vec::new();
        write_i64(&mut out, n);
        assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
    }
    let mut out = Vec::new();
    write_u64(&mut out, u64::MAX);
    assert_eq!(String::from_utf8(out).unwrap(), u64::MAX.to_string());
}
