use crate::Pattern;

fn p(pattern: &str) -> Pattern {
    Pattern::new(pattern).unwrap()
}

#[test]
fn exact_names_match_only_themselves() {
    let refund = p("refund");
    assert!(refund.is_exact());
    assert!(refund.matches("refund"));
    assert!(!refund.matches("refunds"));
    assert!(!refund.matches("Refund"));
    assert!(!refund.matches(""));
    assert_eq!(refund.as_str(), "refund");
    assert_eq!(refund.to_string(), "refund");
}

#[test]
fn star_matches_everything_including_slashes() {
    for star in ["*", "**"] {
        let any = p(star);
        assert!(!any.is_exact());
        for tool in ["", "a", "a/b", "beta_tool", "ünïcode"] {
            assert!(any.matches(tool), "{star} {tool}");
        }
    }
}

#[test]
fn prefix_and_suffix_globs() {
    let beta = p("beta_*");
    assert!(beta.matches("beta_"));
    assert!(beta.matches("beta_tool"));
    assert!(beta.matches("beta_x/y"));
    assert!(!beta.matches("beta"));
    assert!(!beta.matches("alpha_beta_tool"));
    let suffix = p("*_v2");
    assert!(suffix.matches("charge_v2"));
    assert!(suffix.matches("_v2"));
    assert!(!suffix.matches("charge_v2x"));
}

#[test]
fn general_globs() {
    let cases: &[(&str, &str, bool)] = &[
        ("x?z", "xyz", true),
        ("x?z", "xz", false),
        ("[ab]_tool", "a_tool", true),
        ("[ab]_tool", "c_tool", false),
        ("[!ab]_tool", "c_tool", true),
        ("{charge,refund}", "refund", true),
        ("{charge,refund}", "void", false),
        ("*charge*", "legacy_charge_v1", true),
        ("a*b*c", "a/x/b/y/c", true),
        ("re\\*fund", "re*fund", true),
        ("re\\*fund", "rexfund", false),
        ("[a-c]*", "beta", true),
        ("[a-c]*", "delta", false),
    ];
    for &(pattern, tool, expected) in cases {
        assert_eq!(
            p(pattern).matches(tool),
            expected,
            "{pattern:?} vs {tool:?}"
        );
    }
}

#[test]
fn bad_globs_are_errors() {
    let cases = [
        ("[ab", r#"invalid glob "[ab": unclosed character class"#),
        (
            "{a,b",
            r#"invalid glob "{a,b": unclosed alternation (missing '}')"#,
        ),
        ("a}", r#"invalid glob "a}": '}' without a matching '{'"#),
        (
            "[z-a]",
            r#"invalid glob "[z-a]": invalid character range z-a"#,
        ),
        (
            "tool\\",
            r#"invalid glob "tool\\": dangling '\' at the end"#,
        ),
        ("", "empty pattern"),
    ];
    for (pattern, message) in cases {
        let err = Pattern::new(pattern).unwrap_err();
        assert!(err.is_invalid_pattern(), "{pattern}");
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn parses_from_str() {
    let pattern: Pattern = "beta_*".parse().unwrap();
    assert_eq!(pattern, p("beta_*"));
    assert!("[ab".parse::<Pattern>().is_err());
}
