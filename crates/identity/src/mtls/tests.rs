//! Subject rendering and subject-pattern matching.

use super::subject::{Attribute, AttributeValue, Subject, SubjectPattern};

const CN: &str = "2.5.4.3";
const O: &str = "2.5.4.10";
const OU: &str = "2.5.4.11";
const C: &str = "2.5.4.6";

/// A subject from single-valued RDNs in certificate order (`C`, `O`, …, `CN`).
fn subject(rdns: &[(&str, &str)]) -> Subject {
    Subject::from_rdns(
        rdns.iter()
            .map(|(oid, value)| vec![Attribute::text(oid, value)])
            .collect(),
    )
}

fn pattern(source: &str) -> SubjectPattern {
    SubjectPattern::parse(source).unwrap_or_else(|e| panic!("{source:?}: {e}"))
}

fn parse_error(source: &str) -> String {
    match SubjectPattern::parse(source) {
        Ok(p) => panic!("{source:?} parsed: {p:?}"),
        Err(e) => e,
    }
}

#[test]
fn renders_the_last_rdn_first() {
    let s = subject(&[(C, "DE"), (O, "Acme"), (CN, "service-a")]);
    assert_eq!(s.as_str(), "CN=service-a,O=Acme,C=DE");
}

#[test]
fn renders_multi_valued_rdns_with_plus() {
    let s = Subject::from_rdns(vec![
        vec![Attribute::text(O, "Acme")],
        vec![Attribute::text(CN, "svc"), Attribute::text(OU, "ops")],
    ]);
    assert_eq!(s.as_str(), "CN=svc+OU=ops,O=Acme");
}

#[test]
fn renders_unknown_types_as_dotted_oids_and_binary_values_as_hex() {
    let s = Subject::from_rdns(vec![
        vec![Attribute::text("1.3.6.1.4.1.99999.1", "x")],
        vec![Attribute {
            oid: "2.5.4.45".to_owned(),
            value: AttributeValue::Der("#030200FF".to_owned()),
        }],
    ]);
    assert_eq!(s.as_str(), "2.5.4.45=#030200FF,1.3.6.1.4.1.99999.1=x");
}

#[test]
fn escapes_special_characters() {
    let cases = [
        ("Acme, Inc.", r"Acme\, Inc."),
        ("a+b", r"a\+b"),
        (r#"say "hi"; <now>"#, r#"say \"hi\"\; \<now\>"#),
        (r"back\slash", r"back\\slash"),
        ("#hash", r"\#hash"),
        ("in#side", "in#side"),
        (" padded ", r"\ padded\ "),
        ("line\nbreak", r"line\0Abreak"),
        ("nul\0", r"nul\00"),
        ("süß", "süß"),
    ];
    for (value, rendered) in cases {
        assert_eq!(
            subject(&[(CN, value)]).as_str(),
            format!("CN={rendered}"),
            "{value:?}"
        );
    }
}

#[test]
fn exact_pattern_matches_only_that_value() {
    let p = pattern("CN=svc-a");
    assert!(p.matches(&subject(&[(O, "Acme"), (CN, "svc-a")])));
    assert!(!p.matches(&subject(&[(O, "Acme"), (CN, "svc-ab")])));
    assert!(!p.matches(&subject(&[(O, "Acme"), (CN, "xsvc-a")])));
    assert!(!p.matches(&subject(&[(O, "svc-a")])));
}

#[test]
fn wildcard_pattern_matches_a_prefix() {
    let p = pattern("CN=service-*");
    assert!(p.matches(&subject(&[(CN, "service-x")])));
    assert!(p.matches(&subject(&[(CN, "service-")])));
    assert!(p.matches(&subject(&[(CN, "service-a/b.c")])));
    assert!(!p.matches(&subject(&[(CN, "services")])));
    assert!(!p.matches(&subject(&[(CN, "my-service-x")])));
    assert!(pattern("CN=svc-?").matches(&subject(&[(CN, "svc-1")])));
    assert!(!pattern("CN=svc-?").matches(&subject(&[(CN, "svc-12")])));
    assert!(pattern("CN=svc-[ab]").matches(&subject(&[(CN, "svc-b")])));
    assert!(pattern(r"CN={svc-a\,svc-b}").matches(&subject(&[(CN, "svc-b")])));
}

#[test]
fn values_are_case_sensitive_types_are_not() {
    assert!(!pattern("CN=service-*").matches(&subject(&[(CN, "Service-x")])));
    assert!(pattern("cn=service-*").matches(&subject(&[(CN, "service-x")])));
    assert!(pattern("commonName=service-*").matches(&subject(&[(CN, "service-x")])));
    assert!(pattern("2.5.4.3=service-*").matches(&subject(&[(CN, "service-x")])));
}

#[test]
fn every_term_must_match_in_any_order() {
    let s = subject(&[(C, "DE"), (O, "Acme"), (CN, "svc-a")]);
    assert!(pattern("CN=svc-a,O=Acme").matches(&s));
    assert!(pattern("O=Acme,CN=svc-a").matches(&s));
    assert!(pattern("O=Acme+CN=svc-*").matches(&s));
    assert!(pattern("C=DE,O=Acme,CN=svc-a").matches(&s));
    assert!(!pattern("CN=svc-a,O=Other").matches(&s));
    assert!(!pattern("CN=svc-a,OU=ops").matches(&s));
}

#[test]
fn a_term_matches_any_of_several_values_of_its_type() {
    let s = Subject::from_rdns(vec![
        vec![Attribute::text(O, "Acme")],
        vec![Attribute::text(OU, "eng")],
        vec![Attribute::text(OU, "ops")],
        vec![Attribute::text(CN, "svc")],
    ]);
    assert!(pattern("OU=ops").matches(&s));
    assert!(pattern("OU=eng,OU=ops").matches(&s));
    assert!(!pattern("OU=sales").matches(&s));
}

#[test]
fn white_space_around_terms_is_ignored() {
    let s = subject(&[(O, "Acme"), (CN, "svc-a")]);
    assert!(pattern("CN=svc-a, O=Acme").matches(&s));
    assert!(pattern(" CN = svc-a ,O= Acme ").matches(&s));
    assert!(!pattern(r"CN=svc-a\ ").matches(&s));
    assert!(pattern(r"CN=\ x\ ").matches(&subject(&[(CN, " x ")])));
}

#[test]
fn escapes_make_characters_literal() {
    let inc = subject(&[(O, "Acme, Inc."), (CN, "svc")]);
    assert!(pattern(r"O=Acme\, Inc.").matches(&inc));
    assert!(pattern(r"O=Acme\2C Inc.").matches(&inc));
    assert!(pattern("O=Acme*").matches(&inc));

    let star = subject(&[(CN, "svc-*")]);
    assert!(pattern(r"CN=svc-\*").matches(&star));
    assert!(!pattern(r"CN=svc-\*").matches(&subject(&[(CN, "svc-a")])));
    assert!(pattern(r"CN=a\\b").matches(&subject(&[(CN, r"a\b")])));
    assert!(pattern(r"CN=caf\C3\A9").matches(&subject(&[(CN, "café")])));
    assert!(pattern(r"CN=a\+b").matches(&subject(&[(CN, "a+b")])));
}

#[test]
fn a_rendered_subject_is_a_pattern_matching_itself() {
    let subjects = [
        subject(&[(C, "DE"), (O, "Acme, Inc."), (CN, "service-a")]),
        subject(&[(CN, "#x; <y> \"z\" a+b \\ ")]),
        subject(&[(CN, "line\nbreak"), (OU, "süß")]),
        Subject::from_rdns(vec![vec![
            Attribute::text(CN, "svc"),
            Attribute::text(OU, "ops"),
        ]]),
    ];
    for s in &subjects {
        assert!(pattern(s.as_str()).matches(s), "{}", s.as_str());
    }
}

#[test]
fn invalid_patterns_are_explained() {
    assert_eq!(
        parse_error(""),
        "empty term (two separators in a row, or one at an end)"
    );
    assert_eq!(
        parse_error("CN=a,"),
        "empty term (two separators in a row, or one at an end)"
    );
    assert_eq!(
        parse_error("service-*"),
        r#"expected TYPE=VALUE, found "service-*""#
    );
    assert_eq!(parse_error("=x"), r#"missing attribute type in "=x""#);
    assert!(parse_error("XX=a").starts_with(r#"unknown attribute type "XX""#));
    assert_eq!(
        parse_error("CN="),
        "empty value for CN (write CN=* to accept any value)"
    );
    assert_eq!(parse_error(r"CN=a\"), r#"ends with a lone "\""#);
    assert_eq!(
        parse_error(r"CN=\FF"),
        "hex escapes that are not valid utf-8"
    );
    assert!(parse_error("CN=[ab").starts_with("invalid glob in CN=[ab: "));
}

#[test]
fn more_terms_then_more_literal_characters_is_more_specific() {
    let generic = pattern("CN=service-*");
    let narrower = pattern("CN=service-admin-*");
    let two_terms = pattern("CN=*,O=A");
    assert!(narrower.specificity() > generic.specificity());
    assert!(two_terms.specificity() > narrower.specificity());
    assert_eq!(pattern("CN=svc-?").specificity(), (1, 4));
    assert_eq!(pattern(r"CN=svc-\*").specificity(), (1, 5));
}
