//! Unit tests of the private building blocks.

use figment::value::Value;

use crate::env::MapEnvironment;
use crate::interpolate::{Problem, interpolate, interpolate_tree};
use crate::overrides::Overrides;
use crate::path::{LineMap, YamlPath};
use crate::raw::{RawConfig, TOP_LEVEL_KEYS};
use crate::yaml;

#[test]
fn path_rendering_quotes_only_unusual_keys() {
    let path = YamlPath::root()
        .key("mcp_servers")
        .key("payments")
        .key("tool_access")
        .key("member")
        .key("tenant:a")
        .key("deny_list")
        .index(0);
    assert_eq!(
        path.to_string(),
        r#"mcp_servers.payments.tool_access.member."tenant:a".deny_list[0]"#
    );
    assert_eq!(YamlPath::root().key("a-b_C9").to_string(), "a-b_C9");
    assert_eq!(YamlPath::root().key("").to_string(), r#""""#);
    assert_eq!(YamlPath::root().key("x.y").to_string(), r#""x.y""#);
    assert_eq!(
        YamlPath::root().key("say \"hi\"").to_string(),
        r#""say \"hi\"""#
    );
    assert_eq!(YamlPath::root().index(2).key("a").to_string(), "[2].a");
    assert_eq!(YamlPath::root().to_string(), "");
}

#[test]
fn line_map_falls_back_to_the_nearest_ancestor() {
    let mut lines = LineMap::default();
    lines.insert(YamlPath::keys("mcp_servers.payments"), 7);
    assert_eq!(
        lines.line_of(&YamlPath::keys("mcp_servers.payments.endpoint")),
        Some(7)
    );
    assert_eq!(lines.line_of(&YamlPath::keys("auth.enabled")), None);
    assert_eq!(lines.line_of(&YamlPath::root()), None);
}

#[test]
fn interpolation_forms() {
    let env = MapEnvironment::new().with("A", "1").with("EMPTY", "");
    assert_eq!(interpolate("x${A}y", &env).unwrap(), "x1y");
    assert_eq!(interpolate("${A}${A}", &env).unwrap(), "11");
    assert_eq!(interpolate("${B:-two}", &env).unwrap(), "two");
    assert_eq!(interpolate("${EMPTY:-d}", &env).unwrap(), "d");
    assert_eq!(interpolate("${EMPTY}", &env).unwrap(), "");
    assert_eq!(interpolate("${B:-}", &env).unwrap(), "");
    assert_eq!(interpolate("${B:-a:-b}", &env).unwrap(), "a:-b");
    assert_eq!(interpolate("$${A}", &env).unwrap(), "${A}");
    assert_eq!(interpolate("$$${A}", &env).unwrap(), "$${A}");
    assert_eq!(interpolate("cost: $5 $", &env).unwrap(), "cost: $5 $");
    assert_eq!(interpolate("${B:-${A}", &env).unwrap(), "${A");
    assert_eq!(interpolate("${B}", &env), Err(Problem::Unset("B".into())));
    assert_eq!(interpolate("${A", &env), Err(Problem::Unterminated));
    assert_eq!(
        interpolate("${}", &env),
        Err(Problem::Malformed("${}".into()))
    );
    assert_eq!(
        interpolate("${1A}", &env),
        Err(Problem::Malformed("${1A}".into()))
    );
    assert_eq!(
        interpolate("${A B}", &env),
        Err(Problem::Malformed("${A B}".into()))
    );
    assert_eq!(
        interpolate("${A-x}", &env),
        Err(Problem::Malformed("${A-x}".into()))
    );
}

#[test]
fn interpolation_touches_values_not_keys() {
    let env = MapEnvironment::new().with("A", "1");
    let doc = yaml::parse("\"${A}\": ${A}\nlist: [\"${A}\", \"${B}\"]\n", "t").unwrap();
    let mut root = Value::from(doc.root);
    let problems = interpolate_tree(&mut root, &env);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0.to_string(), "list[1]");
    assert_eq!(root.find_ref("${A}").and_then(Value::as_str), Some("1"));
}

#[test]
fn overrides_take_only_known_top_level_keys() {
    let env = MapEnvironment::new()
        .with("HANGAR_TOOL_ACCESS__MODE", "front_door")
        .with("HANGAR_ADMIN_KEY", "secret")
        .with("HANGAR_DATA_DIR", "/var/lib/hangar")
        .with("HANGAR_AUTH__ENABLED", "true")
        .with(
            "HANGAR_TOOL_ACCESS__GROUPS__OPS",
            "[\"tenant:a\", \"tenant:b\"]",
        )
        .with("HANGAR_AUTH____X", "1")
        .with("OTHER_AUTH__ENABLED", "true");
    let overrides = Overrides::from_env(&env);
    let root = Value::from(overrides.root.clone());
    assert_eq!(
        root.find_ref("tool_access.mode").and_then(Value::as_str),
        Some("front_door")
    );
    assert_eq!(
        root.find_ref("data_dir").and_then(Value::as_str),
        Some("/var/lib/hangar")
    );
    assert_eq!(
        root.find_ref("auth.enabled").and_then(Value::to_bool),
        Some(true)
    );
    assert_eq!(
        root.find_ref("tool_access.groups.ops")
            .and_then(Value::as_array)
            .map(<[Value]>::len),
        Some(2)
    );
    assert!(root.find_ref("admin_key").is_none());
    assert_eq!(overrides.problems.len(), 1);
    assert_eq!(overrides.problems[0].0, "HANGAR_AUTH____X");
    assert_eq!(
        overrides.source_of(&YamlPath::keys("tool_access.mode")),
        Some("HANGAR_TOOL_ACCESS__MODE")
    );
    assert_eq!(
        overrides.source_of(&YamlPath::keys("tool_access.unlisted_tenants")),
        None
    );
}

#[test]
fn top_level_keys_match_the_raw_model() {
    // The unknown-key error lists the fields serde knows; they must be the override list.
    let error = Value::from(yaml::parse("nope: 1\n", "t").unwrap().root)
        .deserialize::<RawConfig>()
        .unwrap_err();
    match error.kind {
        figment::error::Kind::UnknownField(_, expected) => assert_eq!(expected, TOP_LEVEL_KEYS),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn yaml_keeps_key_spelling_and_resolves_values_with_yaml_1_2() {
    let doc = yaml::parse("0x10: yes\n1_50: 0x10\nn: ~\nb: true\nq: '12'\n", "t").unwrap();
    let root = Value::from(doc.root);
    assert_eq!(root.find_ref("0x10").and_then(Value::as_str), Some("yes"));
    assert_eq!(root.find_ref("1_50").and_then(Value::to_i128), Some(16));
    assert!(matches!(root.find_ref("n"), Some(Value::Empty(..))));
    assert_eq!(root.find_ref("b").and_then(Value::to_bool), Some(true));
    assert_eq!(root.find_ref("q").and_then(Value::as_str), Some("12"));
}

#[test]
fn yaml_records_lines_and_server_order() {
    let text =
        "mcp_servers:\n  zeta:\n    mode: stdio\n  alpha:\n    args:\n      - a\n      - b\n";
    let doc = yaml::parse(text, "t").unwrap();
    assert_eq!(doc.server_order, ["zeta", "alpha"]);
    assert_eq!(
        doc.lines.line_of(&YamlPath::keys("mcp_servers.zeta.mode")),
        Some(3)
    );
    assert_eq!(
        doc.lines
            .line_of(&YamlPath::keys("mcp_servers.alpha.args").index(1)),
        Some(7)
    );
}

#[test]
fn yaml_rejects_depth_duplicates_and_documents() {
    let deep = format!("a: {}{}", "[".repeat(70), "]".repeat(70));
    let error = yaml::parse(&deep, "t").unwrap_err().to_string();
    assert!(error.contains("nesting deeper than 64 levels"), "{error}");

    // Block style, far past the limit (the parser's recursive loader would overflow
    // the stack on this): an error naming the limit, on a thread with a small stack.
    let block = format!("a:\n  {}x\n", "- ".repeat(50_000));
    let error = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || yaml::parse(&block, "t").unwrap_err().to_string())
        .unwrap()
        .join()
        .unwrap();
    assert!(error.contains("nesting deeper than 64 levels"), "{error}");

    // Depth through aliases counts too.
    let mut text = String::from("a0: &a0 [x]\n");
    for i in 1..40 {
        text.push_str(&format!("a{i}: &a{i} [*a{}, [*a{}]]\n", i - 1, i - 1));
    }
    let error = yaml::parse(&text, "t").unwrap_err().to_string();
    assert!(error.contains("nesting deeper"), "{error}");

    let error = yaml::parse("a: 1\nb: 2\n\"a\": 3\n", "t")
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "t:3:1: duplicate key \"a\" (first written on line 1)"
    );

    let error = yaml::parse("a: 1\n---\nb: 2\n", "t")
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("t:3:"), "{error}");

    let error = yaml::parse("- a\n", "t").unwrap_err().to_string();
    assert!(error.contains("the top level must be a mapping"), "{error}");

    assert!(yaml::parse("", "t").unwrap().root.is_empty());
    assert!(yaml::parse("# nothing\n", "t").unwrap().root.is_empty());
    assert!(yaml::parse("~\n", "t").unwrap().root.is_empty());
}

#[test]
fn url_check() {
    use crate::url::{is_loopback, parse_url};
    let url = parse_url("HTTPS://idp.example:8443/realms/x?y").unwrap();
    assert_eq!(
        (url.scheme, url.host, url.query_or_fragment),
        ("https", "idp.example", true)
    );
    let url = parse_url("http://[::1]:9000/mcp").unwrap();
    assert_eq!(url.host, "[::1]");
    assert!(is_loopback(url.host) && is_loopback("LOCALHOST") && is_loopback("127.0.0.1"));
    assert!(!is_loopback("127.0.0.2") && !is_loopback("localhost.example"));
    for bad in [
        "",
        "idp.example",
        "ftp://x",
        "http://",
        "http://:80",
        "http://a:0",
        "http://a:99999",
        "http://a:8x",
        "http://[::1",
        "http://[zz]",
        "http://[::1]x",
        "https://u:p@h",
        "http://a b",
        "http://a\u{0}",
        "http://ä.example",
    ] {
        assert!(parse_url(bad).is_err(), "{bad:?}");
    }
}
