use super::{StrMap, same};

#[test]
fn same_agrees_with_slice_equality() {
    let words = [
        "", "a", "b", "ab", "abc", "abd", "abcd", "abce", "tenant:", "tenant:a", "tenant:b",
    ];
    let long = [
        "0123456789abcdef",
        "0123456789abcdeg",
        "1123456789abcdef",
        "0123456789abcdef0",
        "0123456789abcdef1x",
    ];
    let all: Vec<&str> = words.iter().chain(&long).copied().collect();
    for a in &all {
        for b in &all {
            assert_eq!(same(a.as_bytes(), b.as_bytes()), a == b, "{a:?} {b:?}");
        }
    }
    // Every length up to 40, differing at every position.
    for n in 0..40 {
        let a = vec![7u8; n];
        assert!(same(&a, &a.clone()));
        for i in 0..n {
            let mut b = a.clone();
            b[i] = 8;
            assert!(!same(&a, &b), "{n} {i}");
        }
    }
}

#[test]
fn lookups_return_stored_keys_and_values() {
    let map = StrMap::new(vec![("payments".into(), 1), ("search".into(), 2)]);
    assert_eq!(map.get("payments"), Some(("payments", &1)));
    assert_eq!(map.get("search"), Some(("search", &2)));
    assert_eq!(map.get("paymentz"), None);
    assert_eq!(map.get(""), None);
    assert_eq!(map.iter().count(), 2);
    assert!(StrMap::<u8>::default().get("x").is_none());
}
