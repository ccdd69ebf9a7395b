use crate::{
    Caller, Decision, Mode, Policy, Rule, Scope, ServerPolicy, ToolRules, UnlistedTenants,
};

fn tenant(id: &str) -> Caller<'_> {
    Caller::tenant(id)
}

fn member(tenant: &str) -> Scope<'_> {
    Scope::Member { tenant }
}

fn group(group: &str) -> Scope<'_> {
    Scope::Group { group }
}

fn allow<'p>(scope: Scope<'p>, pattern: Option<&'p str>) -> Rule<'p> {
    Rule::Allow { scope, pattern }
}

fn deny<'p>(scope: Scope<'p>, pattern: &'p str) -> Rule<'p> {
    Rule::Deny { scope, pattern }
}

/// The reference scenario of BEHAVIOUR.md §1.
fn reference() -> Policy {
    Policy::builder(Mode::FrontDoor)
        .server(
            "payments",
            ServerPolicy::new()
                .member("tenant:a", ToolRules::new().deny(["refund"]))
                .member("tenant:b", ToolRules::new().allow(["charge", "refund"])),
        )
        .build()
        .unwrap()
}

fn rule<'p>(policy: &'p Policy, caller: Caller<'_>, server: &str, tool: &str) -> Rule<'p> {
    let decision = policy.decide(&caller, server, tool);
    let explanation = policy.explain(&caller, server, tool);
    assert_eq!(
        explanation.is_allowed(),
        decision.is_allowed(),
        "{explanation}"
    );
    assert_eq!(explanation.rule(), decision.rule().to_string());
    decision.rule()
}

#[test]
fn reference_tenant_a_loses_only_refund() {
    let p = reference();
    for tool in ["charge", "legacy_charge", "beta_tool"] {
        assert_eq!(
            rule(&p, tenant("tenant:a"), "payments", tool),
            allow(member("tenant:a"), None),
            "{tool}"
        );
    }
    assert_eq!(
        rule(&p, tenant("tenant:a"), "payments", "refund"),
        deny(member("tenant:a"), "refund")
    );
}

#[test]
fn reference_tenant_b_gets_only_its_allow_list() {
    let p = reference();
    assert_eq!(
        rule(&p, tenant("tenant:b"), "payments", "charge"),
        allow(member("tenant:b"), Some("charge"))
    );
    assert_eq!(
        rule(&p, tenant("tenant:b"), "payments", "refund"),
        allow(member("tenant:b"), Some("refund"))
    );
    assert_eq!(
        rule(&p, tenant("tenant:b"), "payments", "legacy_charge"),
        Rule::NotAllowed {
            scope: member("tenant:b")
        }
    );
}

#[test]
fn reference_unlisted_tenant_gets_nothing() {
    let p = reference();
    for tool in ["charge", "refund", "legacy_charge", "beta_tool"] {
        assert_eq!(
            rule(&p, tenant("tenant:c"), "payments", tool),
            Rule::UnlistedTenant,
            "{tool}"
        );
    }
}

#[test]
fn front_door_without_tenant_is_denied() {
    let p = reference();
    assert_eq!(
        rule(&p, Caller::anonymous(), "payments", "charge"),
        Rule::NoTenant
    );
    assert_eq!(
        rule(&p, Caller::anonymous(), "nowhere", "charge"),
        Rule::NoTenant
    );
}

#[test]
fn front_door_unknown_server_is_denied() {
    let p = reference();
    assert_eq!(
        rule(&p, tenant("tenant:a"), "search", "query"),
        Rule::UnknownServer
    );
}

#[test]
fn egress_unknown_server_and_anonymous_are_allowed() {
    let p = Policy::builder(Mode::Egress)
        .server("payments", ServerPolicy::new())
        .build()
        .unwrap();
    assert_eq!(
        rule(&p, Caller::anonymous(), "search", "query"),
        allow(Scope::Default, None)
    );
    assert_eq!(
        rule(&p, Caller::anonymous(), "payments", "refund"),
        allow(Scope::Default, None)
    );
    assert_eq!(
        rule(&p, tenant("x"), "payments", "refund"),
        allow(Scope::Default, None)
    );
}

#[test]
fn egress_anonymous_is_unlisted_and_bounded_by_server_tools() {
    let p = Policy::builder(Mode::Egress)
        .server(
            "payments",
            ServerPolicy::new().tools(ToolRules::new().allow(["charge"]).deny(["refund"])),
        )
        .build()
        .unwrap();
    let anon = Caller::anonymous();
    assert_eq!(
        rule(&p, anon, "payments", "charge"),
        allow(Scope::Server, Some("charge"))
    );
    assert_eq!(
        rule(&p, anon, "payments", "refund"),
        deny(Scope::Server, "refund")
    );
    assert_eq!(
        rule(&p, anon, "payments", "other"),
        Rule::NotAllowed {
            scope: Scope::Server
        }
    );
}

#[test]
fn egress_unlisted_deny_denies_anonymous_too() {
    let p = Policy::builder(Mode::Egress)
        .unlisted_tenants(UnlistedTenants::Deny)
        .server(
            "payments",
            ServerPolicy::new().member("svc", ToolRules::new()),
        )
        .build()
        .unwrap();
    assert_eq!(
        rule(&p, Caller::anonymous(), "payments", "charge"),
        Rule::UnlistedTenant
    );
    assert_eq!(
        rule(&p, tenant("other"), "payments", "charge"),
        Rule::UnlistedTenant
    );
    assert_eq!(
        rule(&p, tenant("svc"), "payments", "charge"),
        allow(member("svc"), None)
    );
}

#[test]
fn front_door_unlisted_tenant_gets_server_grant_when_tools_block_exists() {
    let p = Policy::builder(Mode::FrontDoor)
        .server(
            "search",
            ServerPolicy::new().tools(ToolRules::new().allow(["query", "suggest_*"])),
        )
        .build()
        .unwrap();
    assert_eq!(
        rule(&p, tenant("anyone"), "search", "query"),
        allow(Scope::Server, Some("query"))
    );
    assert_eq!(
        rule(&p, tenant("anyone"), "search", "suggest_fast"),
        allow(Scope::Server, Some("suggest_*"))
    );
    assert_eq!(
        rule(&p, tenant("anyone"), "search", "reindex"),
        Rule::NotAllowed {
            scope: Scope::Server
        }
    );
}

#[test]
fn front_door_empty_tools_block_grants_everything_to_unlisted() {
    let p = Policy::builder(Mode::FrontDoor)
        .server("s", ServerPolicy::new().tools(ToolRules::new()))
        .build()
        .unwrap();
    assert_eq!(rule(&p, tenant("t"), "s", "x"), allow(Scope::Server, None));
}

#[test]
fn front_door_server_without_rules_grants_nothing() {
    let p = Policy::builder(Mode::FrontDoor)
        .server("s", ServerPolicy::new())
        .build()
        .unwrap();
    assert_eq!(rule(&p, tenant("t"), "s", "x"), Rule::UnlistedTenant);
}

#[test]
fn unlisted_deny_policy_wide_and_per_server() {
    let tools = || ServerPolicy::new().tools(ToolRules::new().allow(["*"]));
    let p = Policy::builder(Mode::FrontDoor)
        .unlisted_tenants(UnlistedTenants::Deny)
        .server("closed", tools())
        .server(
            "open",
            tools().unlisted_tenants(UnlistedTenants::ServerPolicy),
        )
        .server("listed", tools().member("t", ToolRules::new()))
        .build()
        .unwrap();
    assert_eq!(rule(&p, tenant("t"), "closed", "x"), Rule::UnlistedTenant);
    assert_eq!(
        rule(&p, tenant("t"), "open", "x"),
        allow(Scope::Server, Some("*"))
    );
    assert_eq!(
        rule(&p, tenant("t"), "listed", "x"),
        allow(member("t"), None)
    );

    let p = Policy::builder(Mode::FrontDoor)
        .server("s", tools().unlisted_tenants(UnlistedTenants::Deny))
        .build()
        .unwrap();
    assert_eq!(rule(&p, tenant("t"), "s", "x"), Rule::UnlistedTenant);
}

#[test]
fn server_deny_beats_member_allow() {
    let p = Policy::builder(Mode::FrontDoor)
        .server(
            "s",
            ServerPolicy::new()
                .tools(ToolRules::new().deny(["drop_*"]))
                .member("t", ToolRules::new().allow(["drop_table", "select"])),
        )
        .build()
        .unwrap();
    assert_eq!(
        rule(&p, tenant("t"), "s", "drop_table"),
        deny(Scope::Server, "drop_*")
    );
    assert_eq!(
        rule(&p, tenant("t"), "s", "select"),
        allow(member("t"), Some("select"))
    );
}

#[test]
fn member_deny_beats_server_allow() {
    let p = Policy::builder(Mode::FrontDoor)
        .server(
            "s",
            ServerPolicy::new()
                .tools(ToolRules::new().allow(["charge", "refund"]))
                .member("t", ToolRules::new().deny(["refund"])),
        )
        .build()
        .unwrap();
    assert_eq!(
        rule(&p, tenant("t"), "s", "refund"),
        deny(member("t"), "refund")
    );
    assert_eq!(
        rule(&p, tenant("t"), "s", "charge"),
        allow(member("t"), None)
    );
    assert_eq!(
        rule(&p, tenant("u"), "s", "refund"),
        allow(Scope::Server, Some("refund"))
    );
}

#[test]
fn deny_beats_allow_within_one_scope() {
    let p = Policy::builder(Mode::FrontDoor)
        .server(
            "s",
            ServerPolicy::new().member("t", ToolRules::new().allow(["*"]).deny(["refund"])),
        )
        .build()
        .unwrap();
    assert_eq!(
        rule(&p, tenant("t"), "s", "refund"),
        deny(member("t"), "refund")
    );
    assert_eq!(
        rule(&p, tenant("t"), "s", "charge"),
        allow(member("t"), Some("*"))
    );
}

#[test]
fn narrower_allow_list_cannot_widen_server_allow_list() {
    let p = Policy::builder(Mode::FrontDoor)
        .server(
            "s",
            ServerPolicy::new()
                .tools(ToolRules::new().allow(["charge"]))
                .member("t", ToolRules::new().allow(["charge", "refund"])),
        )
        .build()
        .unwrap();
    assert_eq!(
        rule(&p, tenant("t"), "s", "refund"),
        Rule::NotAllowed {
            scope: Scope::Server
        }
    );
    assert_eq!(
        rule(&p, tenant("t"), "s", "charge"),
        allow(member("t"), Some("charge"))
    );
}

#[test]
fn beta_glob_in_deny_list() {
    let p = Policy::builder(Mode::FrontDoor)
        .server(
            "s",
            ServerPolicy::new().member(
                "t",
                ToolRules::new().deny(["beta_*", "x?z", "{old,legacy}_*"]),
            ),
        )
        .build()
        .unwrap();
    assert_eq!(
        rule(&p, tenant("t"), "s", "beta_tool"),
        deny(member("t"), "beta_*")
    );
    assert_eq!(rule(&p, tenant("t"), "s", "xyz"), deny(member("t"), "x?z"));
    assert_eq!(
        rule(&p, tenant("t"), "s", "legacy_charge"),
        deny(member("t"), "{old,legacy}_*")
    );
    assert!(p.decide(&tenant("t"), "s", "beta").is_allowed());
    assert!(p.decide(&tenant("t"), "s", "my_beta_tool").is_allowed());
}

#[test]
fn exact_name_is_reported_before_globs_then_first_glob_in_list_order() {
    let p = Policy::builder(Mode::FrontDoor)
        .server(
            "s",
            ServerPolicy::new().member("t", ToolRules::new().deny(["re*", "refund", "*"])),
        )
        .build()
        .unwrap();
    assert_eq!(
        rule(&p, tenant("t"), "s", "refund"),
        deny(member("t"), "refund")
    );
    assert_eq!(
        rule(&p, tenant("t"), "s", "rebate"),
        deny(member("t"), "re*")
    );
    assert_eq!(rule(&p, tenant("t"), "s", "charge"), deny(member("t"), "*"));
}

fn grouped() -> Policy {
    Policy::builder(Mode::FrontDoor)
        .group("ops", ["alice", "bob"])
        .group("finance", ["bob", "carol"])
        .group("unused", ["dave"])
        .server(
            "payments",
            ServerPolicy::new()
                .tools(ToolRules::new().deny(["drop_*"]))
                .group(
                    "ops",
                    ToolRules::new().allow(["charge", "refund", "status"]),
                )
                .group("finance", ToolRules::new().deny(["status"]))
                .member("bob", ToolRules::new().deny(["charge"])),
        )
        .build()
        .unwrap()
}

#[test]
fn group_rules_apply_to_group_members() {
    let p = grouped();
    assert_eq!(
        rule(&p, tenant("alice"), "payments", "refund"),
        allow(group("ops"), Some("refund"))
    );
    assert_eq!(
        rule(&p, tenant("alice"), "payments", "other"),
        Rule::NotAllowed {
            scope: group("ops")
        }
    );
    assert_eq!(
        rule(&p, tenant("carol"), "payments", "status"),
        deny(group("finance"), "status")
    );
    assert_eq!(
        rule(&p, tenant("carol"), "payments", "other"),
        allow(group("finance"), None)
    );
    assert_eq!(
        rule(&p, tenant("carol"), "payments", "drop_db"),
        deny(Scope::Server, "drop_*")
    );
}

#[test]
fn tenant_in_several_groups_gets_the_intersection() {
    let p = grouped();
    // bob: ops allows charge/refund/status, finance denies status, member denies charge.
    assert_eq!(
        rule(&p, tenant("bob"), "payments", "status"),
        deny(group("finance"), "status")
    );
    assert_eq!(
        rule(&p, tenant("bob"), "payments", "charge"),
        deny(member("bob"), "charge")
    );
    assert_eq!(
        rule(&p, tenant("bob"), "payments", "refund"),
        allow(member("bob"), None)
    );
    assert_eq!(
        rule(&p, tenant("bob"), "payments", "other"),
        Rule::NotAllowed {
            scope: group("ops")
        }
    );
}

#[test]
fn group_without_rules_on_a_server_does_not_list() {
    let p = grouped();
    assert!(!p.is_listed("payments", "dave"));
    assert!(p.is_listed("payments", "alice"));
    assert!(p.is_listed("payments", "bob"));
    assert!(!p.is_listed("nowhere", "bob"));
    // dave is unlisted: gets the server-level grant (tools block exists).
    assert_eq!(
        rule(&p, tenant("dave"), "payments", "anything"),
        allow(Scope::Server, None)
    );
}

#[test]
fn deny_checks_run_before_the_unlisted_check() {
    let p = grouped();
    assert_eq!(
        rule(&p, tenant("dave"), "payments", "drop_db"),
        deny(Scope::Server, "drop_*")
    );
}

#[test]
fn servers_are_listed_sorted() {
    let p = Policy::builder(Mode::Egress)
        .server("zeta", ServerPolicy::new())
        .server("alpha", ServerPolicy::new())
        .build()
        .unwrap();
    assert_eq!(p.servers().collect::<Vec<_>>(), ["alpha", "zeta"]);
    assert_eq!(p.mode(), Mode::Egress);
    assert_eq!(
        p.to_string(),
        "mode egress, unlisted_tenants server_policy, servers [alpha, zeta]"
    );
}

#[test]
fn decision_borrows_from_the_policy_not_the_arguments() {
    let p = reference();
    let decision: Decision<'_> = {
        let caller_id = String::from("tenant:a");
        let tool = String::from("refund");
        p.decide(&Caller::tenant(&caller_id), "payments", &tool)
    };
    assert_eq!(decision.rule(), deny(member("tenant:a"), "refund"));
}

fn build_err(builder: crate::PolicyBuilder) -> crate::Error {
    builder.build().unwrap_err()
}

#[test]
fn bad_glob_is_an_error_with_its_location() {
    let err = build_err(Policy::builder(Mode::FrontDoor).server(
        "payments",
        ServerPolicy::new().member("tenant:a", ToolRules::new().deny(["[ab"])),
    ));
    assert!(err.is_invalid_pattern());
    assert_eq!(
        err.to_string(),
        r#"server "payments": member "tenant:a": deny_list[0]: invalid glob "[ab": unclosed character class"#
    );

    let err = build_err(Policy::builder(Mode::FrontDoor).server(
        "s",
        ServerPolicy::new().tools(ToolRules::new().allow(["ok", "{a,b"])),
    ));
    assert!(err.is_invalid_pattern());
    assert!(
        err.to_string()
            .starts_with(r#"server "s": tools: allow_list[1]: invalid glob "{a,b""#),
        "{err}"
    );

    let err = build_err(Policy::builder(Mode::FrontDoor).group("g", ["t"]).server(
        "s",
        ServerPolicy::new().group("g", ToolRules::new().deny([""])),
    ));
    assert!(err.is_invalid_pattern());
    assert_eq!(
        err.to_string(),
        r#"server "s": group "g": deny_list[0]: empty pattern"#
    );
}

#[test]
fn unknown_group_is_an_error() {
    let err = build_err(
        Policy::builder(Mode::FrontDoor)
            .server("s", ServerPolicy::new().group("ops", ToolRules::new())),
    );
    assert!(err.is_unknown_group());
    assert!(!err.is_invalid_pattern());
    assert!(
        err.to_string()
            .starts_with(r#"server "s": group "ops": unknown group"#),
        "{err}"
    );
}

#[test]
fn duplicates_are_errors() {
    let err = build_err(
        Policy::builder(Mode::Egress)
            .server("s", ServerPolicy::new())
            .server("s", ServerPolicy::new()),
    );
    assert!(err.is_duplicate());
    assert_eq!(err.to_string(), r#"server "s": defined more than once"#);

    let err = build_err(
        Policy::builder(Mode::Egress)
            .group("g", ["a"])
            .group("g", ["b"]),
    );
    assert!(err.is_duplicate());
    assert_eq!(err.to_string(), r#"group "g": defined more than once"#);

    let err = build_err(
        Policy::builder(Mode::Egress).server(
            "s",
            ServerPolicy::new()
                .member("t", ToolRules::new())
                .member("t", ToolRules::new()),
        ),
    );
    assert!(err.is_duplicate());
    assert_eq!(
        err.to_string(),
        r#"server "s": member "t": defined more than once"#
    );

    let err = build_err(
        Policy::builder(Mode::Egress).group("g", ["a"]).server(
            "s",
            ServerPolicy::new()
                .group("g", ToolRules::new())
                .group("g", ToolRules::new()),
        ),
    );
    assert!(err.is_duplicate());
    assert_eq!(
        err.to_string(),
        r#"server "s": group "g": defined more than once"#
    );
}

#[test]
fn empty_names_are_errors() {
    let cases = [
        (
            Policy::builder(Mode::Egress).server("", ServerPolicy::new()),
            "empty server name",
        ),
        (
            Policy::builder(Mode::Egress).group("", ["a"]),
            "empty group name",
        ),
        (
            Policy::builder(Mode::Egress).group("g", ["a", ""]),
            r#"group "g": tenants[1]: empty tenant id"#,
        ),
        (
            Policy::builder(Mode::Egress)
                .server("s", ServerPolicy::new().member("", ToolRules::new())),
            r#"server "s": member "": empty tenant id"#,
        ),
        (
            Policy::builder(Mode::Egress)
                .server("s", ServerPolicy::new().group("", ToolRules::new())),
            r#"server "s": empty group name"#,
        ),
    ];
    for (builder, message) in cases {
        let err = build_err(builder);
        assert!(err.is_empty_name(), "{err}");
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn explanation_traces_every_scope() {
    let p = grouped();
    let e = p.explain(&tenant("bob"), "payments", "refund");
    assert!(e.is_allowed());
    let lines: Vec<String> = e.steps().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "policy: mode: front_door",
            r#"caller: tenant: "bob""#,
            r#"policy: server "payments": configured"#,
            r#"server "payments": listing: listed by member entry, group "finance", group "ops""#,
            "server tools: deny_list: no match",
            r#"group "finance": deny_list: no match"#,
            r#"group "ops": deny_list: absent"#,
            r#"member "bob": deny_list: no match"#,
            "server tools: allow_list: absent (everything the wider scopes allow)",
            r#"group "finance": allow_list: absent (everything the wider scopes allow)"#,
            r#"group "ops": allow_list: matched "refund""#,
            r#"member "bob": allow_list: absent (everything the wider scopes allow)"#,
            r#"decision: verdict: allow: allowed by member "bob" (no allow_list there, no deny_list matched)"#,
        ]
    );
}

#[test]
fn explanation_of_an_unlisted_tenant() {
    let p = reference();
    let e = p.explain(&tenant("tenant:c"), "payments", "charge");
    assert!(!e.is_allowed());
    let text = e.to_string();
    assert!(
        text.starts_with("deny: tenant is named by no member or group rule"),
        "{text}"
    );
    assert!(
        text.contains("unlisted (no member or group rule names the tenant)"),
        "{text}"
    );
    assert!(
        text.contains(
            "server_policy (policy default): no tools block: grants nothing in front_door"
        ),
        "{text}"
    );
}

#[test]
fn policies_are_shareable_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Policy>();
    shareable::<crate::Explanation>();
    shareable::<crate::Error>();
}

#[test]
fn many_globs_and_long_lists_take_the_slow_paths_correctly() {
    // More than 64 distinct globs (no per-tool glob bits), a member run longer than the
    // inline limit (hashed), more than 31 groups (beyond the tool mask).
    let globs: Vec<String> = (0..70).map(|g| format!("x{g}_*")).collect();
    let mut builder = Policy::builder(Mode::FrontDoor);
    let mut server = ServerPolicy::new().tools(ToolRules::new().deny(globs));
    for g in 0..40 {
        builder = builder.group(format!("g{g:02}"), [format!("t{g}")]);
        server = server.group(
            format!("g{g:02}"),
            ToolRules::new().deny([format!("only_g{g}")]),
        );
    }
    let long: Vec<String> = (0..100).map(|i| format!("tool{i}")).collect();
    let p = builder
        .server("s", server.member("t39", ToolRules::new().allow(long)))
        .build()
        .unwrap();
    assert_eq!(
        rule(&p, tenant("t1"), "s", "x69_a"),
        deny(Scope::Server, "x69_*")
    );
    assert_eq!(
        rule(&p, tenant("t1"), "s", "only_g1"),
        deny(group("g01"), "only_g1")
    );
    assert_eq!(
        rule(&p, tenant("t39"), "s", "only_g39"),
        deny(group("g39"), "only_g39")
    );
    assert_eq!(
        rule(&p, tenant("t39"), "s", "tool99"),
        allow(member("t39"), Some("tool99"))
    );
    assert_eq!(
        rule(&p, tenant("t39"), "s", "tool100"),
        Rule::NotAllowed {
            scope: member("t39")
        }
    );
    assert_eq!(
        rule(&p, tenant("t2"), "s", "only_g39"),
        allow(group("g02"), None)
    );
}

#[test]
fn tenant_ids_of_any_length_are_found() {
    let long = "tenant:".to_owned() + &"x".repeat(300);
    let p = Policy::builder(Mode::FrontDoor)
        .server(
            "s",
            ServerPolicy::new()
                .member(long.as_str(), ToolRules::new().deny(["refund"]))
                .member("t", ToolRules::new()),
        )
        .build()
        .unwrap();
    assert_eq!(
        rule(&p, tenant(&long), "s", "refund"),
        deny(member(&long), "refund")
    );
    assert_eq!(
        rule(&p, tenant(&long[..long.len() - 1]), "s", "refund"),
        Rule::UnlistedTenant
    );
    assert!(p.is_listed("s", "t"));
    assert!(!p.is_listed("s", "u"));
}

#[test]
fn limits_are_errors_not_panics() {
    let huge = "t".repeat(70_000);
    let err = build_err(
        Policy::builder(Mode::FrontDoor)
            .server("s", ServerPolicy::new().member(huge, ToolRules::new())),
    );
    assert!(err.is_too_large(), "{err}");
    assert!(!err.is_invalid_pattern());
    assert!(
        err.to_string()
            .starts_with(r#"server "s": tenant id: too large"#),
        "{err}"
    );
}
