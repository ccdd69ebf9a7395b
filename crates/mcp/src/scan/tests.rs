use proptest::prelude::*;

use super::*;

#[test]
fn finds_the_first_of_two_bytes() {
    assert_eq!(find2(b"", b'a', b'b'), None);
    assert_eq!(find2(b"xxxxxxxxxxxxxxxxa", b'a', b'b'), Some(16));
    assert_eq!(find2(b"xxxbxxxxxxxxa", b'a', b'b'), Some(3));
    assert_eq!(find2(b"\x01\x00\x80\xff\"\\", b'"', b'\\'), Some(4));
    assert_eq!(find2(b"\x01\x00\x80\xff\x22\x5c", b'\\', b'\\'), Some(5));
}

proptest! {
    #[test]
    fn matches_position(bytes in proptest::collection::vec(prop_oneof![Just(b'"'), Just(b'\\'), Just(0u8), Just(0x80u8), any::<u8>()], 0..40), a in any::<u8>(), b in any::<u8>()) {
        let expected = bytes.iter().position(|&c| c == a || c == b);
        prop_assert_eq!(find2(&bytes, a, b), expected);
        prop_assert_eq!(find2(&bytes, b'"', b'\\'), bytes.iter().position(|&c| c == b'"' || c == b'\\'));
    }
}
