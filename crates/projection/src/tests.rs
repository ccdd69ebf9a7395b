//! Unit tests through the public API, plus a few internals.

use std::sync::Arc;

use hangar_policy::{Caller, Mode, Policy, ServerPolicy, ToolRules};

use crate::withdrawn::UnixMs;
use crate::*;

type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// BEHAVIOUR.md §1: payments, tenant:a denies refund, tenant:b allows charge and refund.
fn reference_policy() -> Policy {
    Policy::builder(Mode::FrontDoor)
        .server(
            "payments",
            ServerPolicy::new()
                .member("tenant:a", ToolRules::new().deny(["refund"]))
                .member("tenant:b", ToolRules::new().allow(["charge", "refund"])),
        )
        .build()
        .expect("reference policy")
}

fn reference_config() -> ConfigWithdrawals {
    ConfigWithdrawals::new([
        ("payments", "legacy_charge", None),
        ("payments", "beta_tool", Some("tenant:a")),
    ])
    .expect("reference withdrawals")
}

fn reference_catalog() -> Catalog {
    Catalog::new().with_server(
        "payments",
        ["charge", "refund", "legacy_charge", "beta_tool"],
    )
}

fn reference_overlays() -> Overlays {
    Overlays::new(reference_config(), MemoryOverlayStore::new()).expect("overlays")
}

fn visible(surface: &Surface) -> Vec<&str> {
    surface.visible().iter().map(VisibleTool::name).collect()
}

fn names(
    policy: &Policy,
    overlays: &Overlays,
    catalog: &Catalog,
    caller: Caller<'_>,
) -> Vec<String> {
    let seen = surface(policy, overlays, catalog, &caller);
    visible(&seen).into_iter().map(str::to_owned).collect()
}

// ---------------------------------------------------------------- reference scenario

#[test]
fn reference_scenario_surfaces() {
    let (policy, overlays, catalog) = (
        reference_policy(),
        reference_overlays(),
        reference_catalog(),
    );
    assert_eq!(
        names(&policy, &overlays, &catalog, Caller::tenant("tenant:a")),
        ["charge"]
    );
    assert_eq!(
        names(&policy, &overlays, &catalog, Caller::tenant("tenant:b")),
        ["charge", "refund"]
    );
    assert!(names(&policy, &overlays, &catalog, Caller::tenant("tenant:c")).is_empty());
    assert!(names(&policy, &overlays, &catalog, Caller::anonymous()).is_empty());
}

#[test]
fn reference_scenario_reasons_for_tenant_a() {
    let (policy, overlays, catalog) = (
        reference_policy(),
        reference_overlays(),
        reference_catalog(),
    );
    let seen = surface(&policy, &overlays, &catalog, &Caller::tenant("tenant:a"));
    let reason = |tool| {
        seen.hidden_reason("payments", tool)
            .expect("hidden")
            .to_string()
    };
    assert_eq!(
        reason("legacy_charge"),
        "withdrawn for all tenants by config \
         (mcp_servers.payments.tool_projection.withdrawn: \"legacy_charge\")"
    );
    assert_eq!(
        reason("beta_tool"),
        "withdrawn for tenant \"tenant:a\" by config (mcp_servers.payments.tool_projection.\
         tenant_overrides.\"tenant:a\".withdrawn: \"beta_tool\")"
    );
    let denied = seen
        .hidden_reason("payments", "refund")
        .expect("refund hidden");
    assert_eq!(denied.code(), "denied");
    // The policy's own words, which already say "denied by …" / "not in allow_list …".
    assert_eq!(
        denied.to_string(),
        r#"denied by deny_list of member "tenant:a" (pattern "refund")"#
    );
    assert_eq!(seen.hidden().len(), 3);
    // Every visible tool says why it is visible, in the policy's own words.
    let charge = seen.visible_tool("charge").expect("charge visible");
    let rule = policy
        .decide(&Caller::tenant("tenant:a"), "payments", "charge")
        .rule();
    assert_eq!(charge.reason(), rule.to_string());
    assert_eq!(charge.server(), "payments");
}

#[test]
fn reference_scenario_reasons_for_anonymous_and_unlisted() {
    let (policy, overlays, catalog) = (
        reference_policy(),
        reference_overlays(),
        reference_catalog(),
    );
    for caller in [Caller::anonymous(), Caller::tenant("tenant:c")] {
        let seen = surface(&policy, &overlays, &catalog, &caller);
        assert!(seen.is_empty());
        assert_eq!(seen.hidden().len(), 4);
        let codes: Vec<&str> = seen.hidden().iter().map(|h| h.reason().code()).collect();
        // legacy_charge is withdrawn for everyone; the rest is denied (fail closed).
        assert_eq!(codes, ["denied", "denied", "withdrawn", "denied"]);
    }
}

#[test]
fn runtime_withdraw_and_restore_for_tenant_b() -> TestResult {
    let (policy, overlays, catalog) = (
        reference_policy(),
        reference_overlays(),
        reference_catalog(),
    );
    let mut changes = overlays.subscribe();
    let key = WithdrawalKey::for_tenant("payments", "refund", "tenant:b");
    let before = overlays.epoch();

    let outcome = overlays.withdraw(&key, "ops-admin")?;
    assert!(outcome.changed());
    assert_eq!(outcome.withdrawal().actor(), "ops-admin");
    assert_eq!(outcome.withdrawal().key(), &key);
    assert!(overlays.epoch() > before);
    assert!(changes.has_changed()?);
    assert_eq!(*changes.borrow_and_update(), overlays.epoch());
    assert_eq!(
        names(&policy, &overlays, &catalog, Caller::tenant("tenant:b")),
        ["charge"]
    );
    // Other tenants are unaffected.
    assert_eq!(
        names(&policy, &overlays, &catalog, Caller::tenant("tenant:a")),
        ["charge"]
    );

    let seen = surface(&policy, &overlays, &catalog, &Caller::tenant("tenant:b"));
    let reason = seen
        .hidden_reason("payments", "refund")
        .expect("refund hidden");
    let text = reason.to_string();
    assert!(
        text.starts_with("withdrawn at runtime for tenant \"tenant:b\" by ops-admin at 20"),
        "{text}"
    );
    assert!(text.ends_with('Z'), "{text}");

    let restored = overlays.restore(&key)?;
    assert!(restored.removed());
    assert!(!restored.is_still_withdrawn());
    assert_eq!(
        restored.removed_withdrawal().map(RuntimeWithdrawal::actor),
        Some("ops-admin")
    );
    assert!(changes.has_changed()?);
    assert_eq!(
        names(&policy, &overlays, &catalog, Caller::tenant("tenant:b")),
        ["charge", "refund"]
    );
    Ok(())
}

#[test]
fn withdraw_and_restore_are_idempotent() -> TestResult {
    let overlays = reference_overlays();
    let key = WithdrawalKey::for_tenant("payments", "refund", "tenant:b");
    let first = overlays.withdraw(&key, "alice")?;
    let epoch = overlays.epoch();
    let second = overlays.withdraw(&key, "bob")?;
    assert!(!second.changed());
    assert_eq!(
        second.withdrawal(),
        first.withdrawal(),
        "the first entry is kept"
    );
    assert_eq!(overlays.epoch(), epoch, "no change, no epoch move");

    assert!(overlays.restore(&key)?.removed());
    let epoch = overlays.epoch();
    let again = overlays.restore(&key)?;
    assert!(!again.removed());
    assert!(!again.is_still_withdrawn());
    assert_eq!(overlays.epoch(), epoch);
    Ok(())
}

#[test]
fn restoring_a_config_withdrawal_leaves_it_withdrawn_and_says_so() -> TestResult {
    let overlays = reference_overlays();

    // Nothing at runtime: nothing removed, still withdrawn by config (tenant override).
    let key = WithdrawalKey::for_tenant("payments", "beta_tool", "tenant:a");
    let outcome = overlays.restore(&key)?;
    assert!(!outcome.removed());
    assert!(matches!(
        outcome.still_withdrawn_by(),
        Some(WithdrawnBy::ConfigTenant { tenant, pattern, .. })
            if &**tenant == "tenant:a" && &**pattern == "beta_tool"
    ));

    // A runtime duplicate of a config withdrawal: the runtime entry goes, config stays.
    let key = WithdrawalKey::global("payments", "legacy_charge");
    overlays.withdraw(&key, "ops-admin")?;
    let outcome = overlays.restore(&key)?;
    assert!(outcome.removed());
    let by = outcome.still_withdrawn_by().expect("still withdrawn");
    assert!(by.is_config());
    assert_eq!(by.code(), "config_global");
    assert!(overlays.check("payments", "legacy_charge", None).is_some());

    // For a tenant key, the global config withdrawal also still applies.
    let key = WithdrawalKey::for_tenant("payments", "legacy_charge", "tenant:b");
    overlays.withdraw(&key, "ops-admin")?;
    assert!(overlays.restore(&key)?.is_still_withdrawn());
    Ok(())
}

#[test]
fn restoring_a_tenant_key_reports_a_remaining_global_runtime_withdrawal() -> TestResult {
    let overlays = reference_overlays();
    overlays.withdraw(&WithdrawalKey::global("payments", "charge"), "ops")?;
    let tenant_key = WithdrawalKey::for_tenant("payments", "charge", "tenant:b");
    overlays.withdraw(&tenant_key, "ops")?;
    let outcome = overlays.restore(&tenant_key)?;
    assert!(outcome.removed());
    assert_eq!(
        outcome.still_withdrawn_by().map(WithdrawnBy::code),
        Some("runtime_global")
    );
    Ok(())
}

// ---------------------------------------------------------------- overlays

#[test]
fn precedence_is_global_before_tenant_and_config_before_runtime() -> TestResult {
    let config = ConfigWithdrawals::new([
        ("s", "both_global", None),
        ("s", "tenant_mix", Some("t")),
        ("s", "global_rt_tenant_cfg", Some("t")),
    ])?;
    let overlays = Overlays::new(config, MemoryOverlayStore::new())?;
    overlays.withdraw(&WithdrawalKey::global("s", "both_global"), "ops")?;
    overlays.withdraw(&WithdrawalKey::for_tenant("s", "tenant_mix", "t"), "ops")?;
    overlays.withdraw(&WithdrawalKey::global("s", "global_rt_tenant_cfg"), "ops")?;
    overlays.withdraw(&WithdrawalKey::for_tenant("s", "only_runtime", "t"), "ops")?;

    let code = |tool, tenant| overlays.check("s", tool, tenant).map(|by| by.code());
    assert_eq!(code("both_global", Some("t")), Some("config_global"));
    assert_eq!(code("tenant_mix", Some("t")), Some("config_tenant"));
    assert_eq!(
        code("global_rt_tenant_cfg", Some("t")),
        Some("runtime_global")
    );
    assert_eq!(code("only_runtime", Some("t")), Some("runtime_tenant"));
    // Tenant entries never apply to other tenants or to a caller without a tenant.
    assert_eq!(code("tenant_mix", Some("u")), None);
    assert_eq!(code("tenant_mix", None), None);
    assert_eq!(code("only_runtime", None), None);
    // Global entries apply to everyone, a caller without a tenant included.
    assert_eq!(code("global_rt_tenant_cfg", None), Some("runtime_global"));
    assert_eq!(code("both_global", None), Some("config_global"));
    // Other servers are untouched.
    assert_eq!(overlays.check("other", "both_global", None), None);
    Ok(())
}

#[test]
fn config_globs_and_exact_names() -> TestResult {
    let config = ConfigWithdrawals::new([
        ("payments", "beta_*", Some("tenant:a")),
        ("payments", "legacy_charge", None),
        ("payments", "legacy_charge", None),
        ("payments", "{old,older}_refund", None),
    ])?;
    assert_eq!(config.len(), 3, "repeated entries count once");
    let by = config
        .check("payments", "beta_x", Some("tenant:a"))
        .expect("glob");
    assert!(matches!(&by, WithdrawnBy::ConfigTenant { pattern, .. } if &**pattern == "beta_*"));
    assert!(
        config
            .check("payments", "beta_x", Some("tenant:b"))
            .is_none()
    );
    assert!(
        config
            .check("payments", "older_refund", Some("tenant:b"))
            .is_some()
    );
    assert!(config.check("payments", "legacy_charges", None).is_none());
    assert!(config.check("billing", "legacy_charge", None).is_none());
    let listed: Vec<String> = config.iter().map(|by| by.to_string()).collect();
    assert_eq!(listed.len(), 3);
    assert!(listed[0].contains("tenant_overrides.\"tenant:a\".withdrawn: \"beta_*\""));
    Ok(())
}

#[test]
fn invalid_config_withdrawals_are_rejected() {
    let err = ConfigWithdrawals::new([("payments", "[ab", None)]).unwrap_err();
    assert!(err.is_invalid_withdrawal());
    assert!(matches!(err, Error::InvalidPattern { .. }));
    assert_eq!(
        err.to_string(),
        "invalid config withdrawal \"[ab\" on server \"payments\""
    );
    assert!(std::error::Error::source(&err).is_some());

    for entries in [[("", "x", None)], [("s", "", None)], [("s", "x", Some(""))]] {
        let err = ConfigWithdrawals::new(entries).unwrap_err();
        assert!(err.is_invalid_withdrawal(), "{err}");
    }
}

#[test]
fn replace_config_keeps_runtime_entries_and_moves_the_epoch() -> TestResult {
    let overlays = reference_overlays();
    let key = WithdrawalKey::for_tenant("payments", "refund", "tenant:b");
    overlays.withdraw(&key, "ops")?;
    let epoch = overlays.epoch();
    overlays.replace_config(ConfigWithdrawals::default());
    assert!(overlays.epoch() > epoch);
    assert!(overlays.check("payments", "legacy_charge", None).is_none());
    assert!(
        overlays
            .check("payments", "refund", Some("tenant:b"))
            .is_some()
    );
    assert!(overlays.config().is_empty());
    Ok(())
}

#[test]
fn a_failing_store_changes_nothing() -> TestResult {
    let store = Arc::new(MemoryOverlayStore::new());
    let overlays = Overlays::new(reference_config(), store.clone())?;
    let key = WithdrawalKey::for_tenant("payments", "refund", "tenant:b");
    let epoch = overlays.epoch();

    store.set_failing(true);
    let err = overlays.withdraw(&key, "ops").unwrap_err();
    assert!(err.is_store());
    assert_eq!(
        err.to_string(),
        "overlay store in memory: cannot store a withdrawal"
    );
    assert!(
        overlays
            .check("payments", "refund", Some("tenant:b"))
            .is_none()
    );
    assert_eq!(overlays.epoch(), epoch);

    store.set_failing(false);
    overlays.withdraw(&key, "ops")?;
    store.set_failing(true);
    assert!(overlays.restore(&key).unwrap_err().is_store());
    assert!(
        overlays
            .check("payments", "refund", Some("tenant:b"))
            .is_some()
    );
    assert_eq!(store.len(), 1);
    Ok(())
}

#[test]
fn overlays_load_what_the_store_holds() -> TestResult {
    let stored = RuntimeWithdrawal::new(
        WithdrawalKey::for_tenant("payments", "refund", "tenant:b"),
        "ops-admin",
        1_778_312_002_123,
    );
    let overlays = Overlays::new(
        ConfigWithdrawals::default(),
        MemoryOverlayStore::with_withdrawals([stored.clone()]),
    )?;
    assert_eq!(overlays.runtime_withdrawal(stored.key()), Some(stored));
    let by = overlays
        .check("payments", "refund", Some("tenant:b"))
        .expect("loaded");
    assert_eq!(
        by.to_string(),
        "withdrawn at runtime for tenant \"tenant:b\" by ops-admin at 2026-05-09T07:33:22.123Z"
    );
    Ok(())
}

#[test]
fn list_has_config_entries_then_sorted_runtime_entries() -> TestResult {
    let overlays = reference_overlays();
    overlays.withdraw(
        &WithdrawalKey::for_tenant("payments", "refund", "tenant:b"),
        "ops",
    )?;
    overlays.withdraw(&WithdrawalKey::global("billing", "invoice"), "ops")?;
    overlays.withdraw(&WithdrawalKey::global("payments", "refund"), "ops")?;
    let list = overlays.list();
    let codes: Vec<(&str, &str)> = list.iter().map(|by| (by.code(), by.server())).collect();
    assert_eq!(
        codes,
        [
            ("config_global", "payments"),
            ("config_tenant", "payments"),
            ("runtime_global", "billing"),
            ("runtime_global", "payments"),
            ("runtime_tenant", "payments"),
        ]
    );
    let snapshot = overlays.snapshot();
    assert_eq!(snapshot.runtime_len(), 3);
    assert_eq!(snapshot.list(), overlays.list());
    Ok(())
}

#[test]
fn a_snapshot_does_not_see_later_changes() -> TestResult {
    let overlays = reference_overlays();
    let snapshot = overlays.snapshot();
    overlays.withdraw(&WithdrawalKey::global("payments", "charge"), "ops")?;
    assert!(snapshot.check("payments", "charge", None).is_none());
    assert!(
        overlays
            .snapshot()
            .check("payments", "charge", None)
            .is_some()
    );
    Ok(())
}

#[test]
fn bump_epoch_is_monotonic_and_notifies() {
    let overlays = reference_overlays();
    let mut changes = overlays.subscribe();
    assert_eq!(overlays.epoch(), 0);
    assert_eq!(overlays.bump_epoch(), 1);
    assert_eq!(overlays.bump_epoch(), 2);
    assert_eq!(*changes.borrow_and_update(), 2);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..100 {
                    overlays.bump_epoch();
                }
            });
        }
    });
    assert_eq!(overlays.epoch(), 402);
    assert_eq!(*changes.borrow_and_update(), 402);
}

#[test]
fn concurrent_writers_on_one_key_end_in_the_stored_state() -> TestResult {
    for round in 0..20 {
        let store = Arc::new(MemoryOverlayStore::new());
        let overlays = Overlays::new(ConfigWithdrawals::default(), store.clone())?;
        let key = WithdrawalKey::for_tenant("payments", "refund", "tenant:b");
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let (overlays, key) = (&overlays, &key);
                scope.spawn(move || {
                    for i in 0..50 {
                        if (i + thread + round) % 2 == 0 {
                            overlays.withdraw(key, "ops").expect("withdraw");
                        } else {
                            overlays.restore(key).expect("restore");
                        }
                    }
                });
            }
        });
        let in_memory = overlays.runtime_withdrawal(&key).is_some();
        let in_store = store.load()?.iter().any(|w| w.key() == &key);
        assert_eq!(in_memory, in_store, "round {round}");
        let reloaded = Overlays::new(ConfigWithdrawals::default(), store.clone())?;
        assert_eq!(reloaded.list(), overlays.list());
    }
    Ok(())
}

// ---------------------------------------------------------------- surface rules

fn allow_all_policy(servers: &[&str]) -> Policy {
    servers
        .iter()
        .fold(Policy::builder(Mode::FrontDoor), |builder, server| {
            builder.server(*server, ServerPolicy::new().tools(ToolRules::new()))
        })
        .build()
        .expect("policy")
}

#[test]
fn a_name_two_back_ends_serve_is_dropped_for_everyone() -> TestResult {
    let policy = allow_all_policy(&["payments", "billing"]);
    let catalog = Catalog::new()
        .with_server("payments", ["charge", "status"])
        .with_server("billing", ["status", "invoice"]);
    let overlays = Overlays::new(ConfigWithdrawals::default(), MemoryOverlayStore::new())?;
    // Withdrawing one copy does not make the other routable.
    overlays.withdraw(&WithdrawalKey::global("billing", "status"), "ops")?;
    for caller in [Caller::tenant("tenant:a"), Caller::tenant("tenant:b")] {
        let seen = surface(&policy, &overlays, &catalog, &caller);
        assert_eq!(visible(&seen), ["charge", "invoice"]);
        assert_eq!(seen.route("status"), None);
        let reasons: Vec<&HiddenReason> = seen
            .hidden()
            .iter()
            .filter(|hidden| hidden.tool() == "status")
            .map(HiddenTool::reason)
            .collect();
        assert_eq!(reasons.len(), 2, "both copies hidden");
        for reason in reasons {
            assert_eq!(reason.code(), "collision");
            assert_eq!(
                reason.to_string(),
                "collision: served by payments, billing; dropped for every tenant"
            );
        }
    }
    assert_eq!(
        catalog.collisions(),
        [("status", vec!["payments", "billing"])]
    );
    Ok(())
}

#[test]
fn reserved_names_are_dropped_even_when_allowed() -> TestResult {
    let policy = allow_all_policy(&["payments", "billing"]);
    let catalog = Catalog::new()
        .with_server("payments", ["hangar_list_servers", "charge", "Hangar_ok"])
        .with_server("billing", ["hangar_list_servers"]);
    let overlays = Overlays::new(ConfigWithdrawals::default(), MemoryOverlayStore::new())?;
    let seen = surface(&policy, &overlays, &catalog, &Caller::tenant("tenant:a"));
    assert_eq!(visible(&seen), ["charge", "Hangar_ok"]);
    assert_eq!(seen.route("hangar_list_servers"), None);
    // Reserved wins over collision.
    let codes: Vec<&str> = seen.hidden().iter().map(|h| h.reason().code()).collect();
    assert_eq!(codes, ["reserved", "reserved"]);
    assert_eq!(
        seen.hidden()[0].reason().to_string(),
        "reserved: names starting with \"hangar_\" belong to the gateway"
    );
    Ok(())
}

#[test]
fn route_answers_only_visible_names() {
    let (policy, overlays, catalog) = (
        reference_policy(),
        reference_overlays(),
        reference_catalog(),
    );
    let seen = surface(&policy, &overlays, &catalog, &Caller::tenant("tenant:a"));
    assert_eq!(seen.route("charge"), Some("payments"));
    for hidden in ["refund", "beta_tool", "legacy_charge", "unknown", ""] {
        assert_eq!(seen.route(hidden), None, "{hidden}");
    }
}

#[test]
fn visible_surface_matches_surface_without_the_hidden_list() {
    let (policy, overlays, catalog) = (
        reference_policy(),
        reference_overlays(),
        reference_catalog(),
    );
    for caller in [
        Caller::tenant("tenant:a"),
        Caller::tenant("tenant:b"),
        Caller::anonymous(),
    ] {
        let full = surface(&policy, &overlays, &catalog, &caller);
        let light = visible_surface(&policy, &overlays, &catalog, &caller);
        assert_eq!(full.visible(), light.visible());
        assert!(light.hidden().is_empty());
        assert_eq!(full.route("charge"), light.route("charge"));
    }
}

#[test]
fn surface_serializes_with_codes_and_messages() -> TestResult {
    let (policy, overlays, catalog) = (
        reference_policy(),
        reference_overlays(),
        reference_catalog(),
    );
    let seen = surface(&policy, &overlays, &catalog, &Caller::tenant("tenant:a"));
    let json = serde_json::to_value(&seen)?;
    assert_eq!(json["visible"][0]["name"], "charge");
    assert_eq!(json["visible"][0]["server"], "payments");
    let legacy = json["hidden"]
        .as_array()
        .and_then(|hidden| hidden.iter().find(|h| h["tool"] == "legacy_charge"))
        .expect("legacy_charge hidden");
    assert_eq!(legacy["reason"]["code"], "withdrawn");
    assert_eq!(legacy["reason"]["withdrawn_by"]["source"], "config_global");
    assert_eq!(legacy["reason"]["withdrawn_by"]["pattern"], "legacy_charge");
    assert!(
        legacy["reason"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("withdrawn"))
    );
    Ok(())
}

#[test]
fn surface_keeps_catalog_order_across_servers() {
    let policy = allow_all_policy(&["b", "a"]);
    let catalog = Catalog::new()
        .with_server("b", ["z", "y"])
        .with_server("a", ["x", "w"]);
    let seen = surface(
        &policy,
        &ConfigWithdrawals::default(),
        &catalog,
        &Caller::tenant("t"),
    );
    assert_eq!(visible(&seen), ["z", "y", "x", "w"]);
    assert_eq!(seen.route("x"), Some("a"));
}

// ---------------------------------------------------------------- catalog

#[test]
fn catalog_replaces_dedupes_and_recomputes_collisions() {
    let mut catalog = Catalog::new()
        .with_server("a", ["one", "two", "one"])
        .with_server("b", ["two"]);
    assert_eq!(
        catalog.tools("a").map(Iterator::collect::<Vec<_>>),
        Some(vec!["one", "two"])
    );
    assert_eq!(catalog.len(), 3);
    assert!(catalog.colliding_servers("two").is_some());
    assert!(catalog.colliding_servers("one").is_none());

    catalog.set_server("b", ["three"]);
    assert!(catalog.colliding_servers("two").is_none());
    assert_eq!(
        catalog.servers().collect::<Vec<_>>(),
        ["a", "b"],
        "position kept"
    );

    catalog.set_server("c", ["three"]);
    assert!(catalog.colliding_servers("three").is_some());
    assert!(catalog.remove_server("c"));
    assert!(!catalog.remove_server("c"));
    assert!(catalog.colliding_servers("three").is_none());
    assert!(catalog.has_server("a") && !catalog.has_server("c"));
    assert!(catalog.contains("b", "three") && !catalog.contains("b", "two"));
    assert!(!catalog.is_empty());
    assert!(Catalog::new().is_empty());
}

// ---------------------------------------------------------------- displays

#[test]
fn unix_ms_displays_as_rfc3339_utc() {
    assert_eq!(UnixMs(0).to_string(), "1970-01-01T00:00:00.000Z");
    assert_eq!(
        UnixMs(1_778_312_002_123).to_string(),
        "2026-05-09T07:33:22.123Z"
    );
    assert_eq!(
        UnixMs(951_782_400_000).to_string(),
        "2000-02-29T00:00:00.000Z"
    );
    assert_eq!(
        UnixMs(4_107_542_400_999).to_string(),
        "2100-03-01T00:00:00.999Z"
    );
    // A time no calendar covers (a damaged store) still displays, as a count.
    assert_eq!(
        UnixMs(u64::MAX).to_string(),
        "18446744073709551615 ms after 1970-01-01T00:00:00Z"
    );
}

#[test]
fn keys_and_runtime_reasons_display() {
    assert_eq!(
        WithdrawalKey::for_tenant("payments", "refund", "tenant:b").to_string(),
        "payments/refund for tenant \"tenant:b\""
    );
    assert_eq!(
        WithdrawalKey::new("payments", "refund", None).to_string(),
        "payments/refund for all tenants"
    );
    let by = WithdrawnBy::RuntimeGlobal {
        server: "payments".into(),
        tool: "refund".into(),
        actor: "ops-admin".into(),
        at_unix_ms: 0,
    };
    assert_eq!(
        by.to_string(),
        "withdrawn at runtime for all tenants by ops-admin at 1970-01-01T00:00:00.000Z"
    );
    assert!(by.is_runtime() && by.tenant().is_none() && by.server() == "payments");
    let by = WithdrawnBy::ConfigGlobal {
        server: "my server".into(),
        pattern: "x".into(),
    };
    assert_eq!(
        by.to_string(),
        "withdrawn for all tenants by config (mcp_servers.\"my server\".tool_projection.withdrawn: \"x\")"
    );
}
