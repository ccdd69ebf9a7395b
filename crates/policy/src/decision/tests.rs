use crate::{Caller, Decision, Mode, Rule, Scope, UnlistedTenants};

#[test]
fn rules_display_as_reasons() {
    let a = Scope::Member { tenant: "tenant:a" };
    let b = Scope::Member { tenant: "tenant:b" };
    let cases = [
        (
            Rule::Deny {
                scope: a,
                pattern: "refund",
            },
            r#"denied by deny_list of member "tenant:a" (pattern "refund")"#,
        ),
        (
            Rule::NotAllowed { scope: b },
            r#"not in allow_list of member "tenant:b""#,
        ),
        (
            Rule::UnlistedTenant,
            "tenant is named by no member or group rule and the server grants nothing to unlisted tenants",
        ),
        (
            Rule::NoTenant,
            "no authenticated tenant (front_door fails closed)",
        ),
        (
            Rule::UnknownServer,
            "the server has no tool-access policy (front_door fails closed)",
        ),
        (
            Rule::Allow {
                scope: b,
                pattern: Some("charge"),
            },
            r#"allowed by allow_list of member "tenant:b" (pattern "charge")"#,
        ),
        (
            Rule::Allow {
                scope: Scope::Default,
                pattern: None,
            },
            "allowed: no rule restricts it (egress default)",
        ),
        (
            Rule::Allow {
                scope: a,
                pattern: None,
            },
            r#"allowed by member "tenant:a" (no allow_list there, no deny_list matched)"#,
        ),
        (
            Rule::Deny {
                scope: Scope::Server,
                pattern: "drop_*",
            },
            r#"denied by deny_list of server tools (pattern "drop_*")"#,
        ),
        (
            Rule::NotAllowed {
                scope: Scope::Group { group: "ops" },
            },
            r#"not in allow_list of group "ops""#,
        ),
    ];
    for (rule, text) in cases {
        assert_eq!(rule.to_string(), text);
    }
}

#[test]
fn decisions_display_verdict_and_reason() {
    let deny = Decision {
        rule: Rule::NoTenant,
    };
    assert!(!deny.is_allowed());
    assert!(deny.is_denied());
    assert_eq!(
        deny.to_string(),
        "deny: no authenticated tenant (front_door fails closed)"
    );
    let allow = Decision {
        rule: Rule::Allow {
            scope: Scope::Server,
            pattern: Some("charge"),
        },
    };
    assert!(allow.is_allowed());
    assert_eq!(
        allow.to_string(),
        r#"allow: allowed by allow_list of server tools (pattern "charge")"#
    );
}

#[test]
fn rule_accessors() {
    let rule = Rule::Deny {
        scope: Scope::Server,
        pattern: "x",
    };
    assert_eq!(
        (rule.code(), rule.scope(), rule.pattern()),
        ("deny", Some(Scope::Server), Some("x"))
    );
    let rule = Rule::Allow {
        scope: Scope::Default,
        pattern: None,
    };
    assert_eq!(
        (rule.code(), rule.scope(), rule.pattern()),
        ("allow", Some(Scope::Default), None)
    );
    assert_eq!(
        (Rule::UnlistedTenant.code(), Rule::UnlistedTenant.scope()),
        ("unlisted_tenant", None)
    );
    assert_eq!(
        Rule::NotAllowed {
            scope: Scope::Server
        }
        .code(),
        "not_allowed"
    );
    assert_eq!(Rule::NoTenant.code(), "no_tenant");
    assert_eq!(Rule::UnknownServer.code(), "unknown_server");
}

#[test]
fn scopes_display() {
    assert_eq!(Scope::Server.to_string(), "server tools");
    assert_eq!(Scope::Group { group: "ops" }.to_string(), r#"group "ops""#);
    assert_eq!(Scope::Member { tenant: "t" }.to_string(), r#"member "t""#);
    assert_eq!(Scope::Default.to_string(), "default");
}

#[test]
fn callers() {
    assert_eq!(Caller::tenant("t").tenant_id(), Some("t"));
    assert_eq!(Caller::anonymous().tenant_id(), None);
    assert_eq!(Caller::default(), Caller::anonymous());
}

#[test]
fn modes_and_unlisted_round_trip_as_text() {
    for mode in [Mode::Egress, Mode::FrontDoor] {
        assert_eq!(mode.to_string().parse::<Mode>().unwrap(), mode);
    }
    assert_eq!(Mode::FrontDoor.to_string(), "front_door");
    assert_eq!(Mode::default(), Mode::Egress);
    let err = "front-door".parse::<Mode>().unwrap_err();
    assert!(err.is_invalid_value());
    assert_eq!(
        err.to_string(),
        r#"unknown mode "front-door" (expected "egress" or "front_door")"#
    );
    for unlisted in [UnlistedTenants::ServerPolicy, UnlistedTenants::Deny] {
        assert_eq!(
            unlisted.to_string().parse::<UnlistedTenants>().unwrap(),
            unlisted
        );
    }
    assert!(
        "allow"
            .parse::<UnlistedTenants>()
            .unwrap_err()
            .is_invalid_value()
    );
}

#[cfg(feature = "serde")]
mod serde {
    use crate::{Caller, Mode, Policy, ServerPolicy, ToolRules, UnlistedTenants};

    #[test]
    fn modes_and_unlisted_use_snake_case() {
        assert_eq!(
            serde_json::to_string(&Mode::FrontDoor).unwrap(),
            r#""front_door""#
        );
        assert_eq!(
            serde_json::from_str::<Mode>(r#""egress""#).unwrap(),
            Mode::Egress
        );
        assert!(serde_json::from_str::<Mode>(r#""FrontDoor""#).is_err());
        let unlisted: UnlistedTenants = serde_json::from_str(r#""server_policy""#).unwrap();
        assert_eq!(unlisted, UnlistedTenants::ServerPolicy);
        assert_eq!(
            serde_json::to_string(&UnlistedTenants::Deny).unwrap(),
            r#""deny""#
        );
    }

    #[test]
    fn tool_rules_deserialize_with_their_config_keys() {
        let rules: ToolRules =
            serde_json::from_str(r#"{"allow_list": ["charge"], "deny_list": ["beta_*"]}"#).unwrap();
        assert_eq!(rules, ToolRules::new().allow(["charge"]).deny(["beta_*"]));
        let rules: ToolRules = serde_json::from_str(r#"{"deny_list": ["refund"]}"#).unwrap();
        assert_eq!(rules.allow_list(), None);
        assert!(serde_json::from_str::<ToolRules>(r#"{"allow": []}"#).is_err());
    }

    #[test]
    fn explanations_serialize() {
        let policy = Policy::builder(Mode::FrontDoor)
            .server(
                "payments",
                ServerPolicy::new().member("tenant:a", ToolRules::new().deny(["refund"])),
            )
            .build()
            .unwrap();
        let explanation = policy.explain(&Caller::tenant("tenant:a"), "payments", "refund");
        let json = serde_json::to_value(&explanation).unwrap();
        assert_eq!(json["allowed"], false);
        assert_eq!(
            json["rule"],
            r#"denied by deny_list of member "tenant:a" (pattern "refund")"#
        );
        let last = json["steps"].as_array().unwrap().last().unwrap();
        assert_eq!(last["scope"], "decision");
        assert_eq!(last["check"], "verdict");
        assert!(last["outcome"].as_str().unwrap().starts_with("deny: "));
    }
}
