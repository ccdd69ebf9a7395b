//! Properties of the flat surface over small random universes.

use std::collections::BTreeSet;

use hangar_policy::{Caller, Mode, Pattern, Policy, ServerPolicy, ToolRules, UnlistedTenants};
use hangar_projection::{
    Catalog, ConfigWithdrawals, HiddenReason, MemoryOverlayStore, Overlays, Surface, WithdrawalKey,
    surface, visible_surface,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const SERVERS: &[&str] = &["s1", "s2", "s3"];
const TOOLS: &[&str] = &["t0", "t1", "t2", "t3", "beta_a", "beta_b", "hangar_x"];
const TENANTS: &[&str] = &["a", "b", "c"];
const PATTERNS: &[&str] = &[
    "t0", "t1", "t2", "t3", "beta_a", "beta_*", "t[01]", "*", "hangar_x",
];

#[derive(Debug, Clone)]
struct Rules {
    allow: Option<Vec<&'static str>>,
    deny: Vec<&'static str>,
}

impl Rules {
    fn build(&self) -> ToolRules {
        let rules = ToolRules::new().deny(self.deny.iter().copied());
        match &self.allow {
            Some(allow) => rules.allow(allow.iter().copied()),
            None => rules,
        }
    }
}

#[derive(Debug, Clone)]
struct ServerSpec {
    /// `None`: the server has no policy at all.
    present: bool,
    tools: Option<Rules>,
    members: Vec<Option<Rules>>,
}

#[derive(Debug, Clone)]
struct World {
    mode: Mode,
    unlisted: UnlistedTenants,
    servers: Vec<ServerSpec>,
    catalog: Vec<Vec<&'static str>>,
    config: Vec<(&'static str, &'static str, Option<&'static str>)>,
    runtime: Vec<(&'static str, &'static str, Option<&'static str>)>,
}

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    prop::sample::select(items)
}

fn rules() -> impl Strategy<Value = Rules> {
    (
        prop::option::of(prop::collection::vec(pick(PATTERNS), 0..3)),
        prop::collection::vec(pick(PATTERNS), 0..2),
    )
        .prop_map(|(allow, deny)| Rules { allow, deny })
}

fn server_spec() -> impl Strategy<Value = ServerSpec> {
    (
        prop::bool::weighted(0.9),
        prop::option::of(rules()),
        prop::collection::vec(prop::option::of(rules()), TENANTS.len()),
    )
        .prop_map(|(present, tools, members)| ServerSpec {
            present,
            tools,
            members,
        })
}

fn withdrawal(
    names: &'static [&'static str],
) -> impl Strategy<Value = (&'static str, &'static str, Option<&'static str>)> {
    (pick(SERVERS), pick(names), prop::option::of(pick(TENANTS)))
}

fn world() -> impl Strategy<Value = World> {
    (
        prop_oneof![4 => Just(Mode::FrontDoor), 1 => Just(Mode::Egress)],
        prop_oneof![
            Just(UnlistedTenants::ServerPolicy),
            Just(UnlistedTenants::Deny)
        ],
        prop::collection::vec(server_spec(), SERVERS.len()),
        prop::collection::vec(
            prop::sample::subsequence(TOOLS, 0..=TOOLS.len()),
            SERVERS.len(),
        ),
        prop::collection::vec(withdrawal(PATTERNS), 0..4),
        prop::collection::vec(withdrawal(TOOLS), 0..4),
    )
        .prop_map(
            |(mode, unlisted, servers, catalog, config, runtime)| World {
                mode,
                unlisted,
                servers,
                catalog,
                config,
                runtime,
            },
        )
}

impl World {
    fn policy(&self) -> Policy {
        let mut builder = Policy::builder(self.mode).unlisted_tenants(self.unlisted);
        for (name, spec) in SERVERS.iter().zip(&self.servers) {
            if !spec.present {
                continue;
            }
            let mut server = ServerPolicy::new();
            if let Some(tools) = &spec.tools {
                server = server.tools(tools.build());
            }
            for (tenant, rules) in TENANTS.iter().zip(&spec.members) {
                if let Some(rules) = rules {
                    server = server.member(*tenant, rules.build());
                }
            }
            builder = builder.server(*name, server);
        }
        builder.build().expect("generated policy builds")
    }

    fn catalog(&self) -> Catalog {
        SERVERS
            .iter()
            .zip(&self.catalog)
            .fold(Catalog::new(), |catalog, (server, tools)| {
                catalog.with_server(server, tools)
            })
    }

    fn overlays(&self) -> Overlays {
        let config = ConfigWithdrawals::new(self.config.iter().copied()).expect("config");
        let overlays = Overlays::new(config, MemoryOverlayStore::new()).expect("overlays");
        for &(server, tool, tenant) in &self.runtime {
            overlays
                .withdraw(&WithdrawalKey::new(server, tool, tenant), "prop")
                .expect("withdraw");
        }
        overlays
    }

    /// Independent of the crate: does any config or runtime entry withdraw it?
    fn withdrawn(&self, server: &str, tool: &str, tenant: Option<&str>) -> bool {
        let applies = |t: Option<&str>| t.is_none() || t == tenant;
        self.config.iter().any(|&(s, p, t)| {
            s == server && applies(t) && Pattern::new(p).expect("pattern").matches(tool)
        }) || self
            .runtime
            .iter()
            .any(|&(s, name, t)| s == server && name == tool && applies(t))
    }

    fn colliding(&self, tool: &str) -> bool {
        self.catalog
            .iter()
            .filter(|tools| tools.contains(&tool))
            .count()
            > 1
    }
}

fn callers() -> Vec<Caller<'static>> {
    let mut callers: Vec<Caller<'static>> = TENANTS.iter().map(|t| Caller::tenant(t)).collect();
    callers.push(Caller::tenant("unnamed"));
    callers.push(Caller::anonymous());
    callers
}

fn visible_set(surface: &Surface) -> BTreeSet<(String, String)> {
    surface
        .visible()
        .iter()
        .map(|tool| (tool.server().to_owned(), tool.name().to_owned()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 192,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    /// A withdrawn tool (config or runtime, global or for that tenant) never appears in
    /// any surface.
    #[test]
    fn a_withdrawn_tool_never_appears(world in world()) {
        let (policy, overlays, catalog) = (world.policy(), world.overlays(), world.catalog());
        for caller in callers() {
            for seen in [
                surface(&policy, &overlays, &catalog, &caller),
                visible_surface(&policy, &overlays, &catalog, &caller),
            ] {
                for tool in seen.visible() {
                    prop_assert!(
                        !world.withdrawn(tool.server(), tool.name(), caller.tenant_id()),
                        "{}/{} visible to {:?} although withdrawn",
                        tool.server(), tool.name(), caller.tenant_id()
                    );
                }
            }
        }
    }

    /// Every catalog tool gets exactly one verdict, and for the tools that are not
    /// reserved, colliding or withdrawn the verdict is the policy's.
    #[test]
    fn the_surface_agrees_with_the_policy(world in world()) {
        let (policy, overlays, catalog) = (world.policy(), world.overlays(), world.catalog());
        for caller in callers() {
            let seen = surface(&policy, &overlays, &catalog, &caller);
            prop_assert_eq!(seen.visible().len() + seen.hidden().len(), catalog.len());
            for (server, tools) in SERVERS.iter().zip(&world.catalog) {
                for tool in tools {
                    let shown = seen.route(tool) == Some(*server);
                    let hidden = seen.hidden_reason(server, tool);
                    prop_assert!(shown != hidden.is_some());
                    let decision = policy.decide(&caller, server, tool);
                    let expected = if tool.starts_with("hangar_") {
                        Some("reserved")
                    } else if world.colliding(tool) {
                        Some("collision")
                    } else if world.withdrawn(server, tool, caller.tenant_id()) {
                        Some("withdrawn")
                    } else if decision.is_allowed() {
                        None
                    } else {
                        Some("denied")
                    };
                    prop_assert_eq!(hidden.map(HiddenReason::code), expected);
                    if let Some(HiddenReason::Denied(text)) = hidden {
                        prop_assert_eq!(&**text, decision.rule().to_string());
                    }
                }
            }
        }
    }

    /// Adding a member rule for one tenant never widens another tenant's surface.
    #[test]
    fn a_member_rule_for_one_tenant_never_widens_another(
        world in world(),
        server in 0..SERVERS.len(),
        tenant in 0..TENANTS.len(),
        extra in rules(),
    ) {
        // `narrow` has no member entry for `tenant` on `server`; `wider` adds one.
        let mut narrow = world;
        narrow.servers[server].members[tenant] = None;
        let world = narrow;
        let mut wider = world.clone();
        wider.servers[server].present = true;
        if !world.servers[server].present {
            // A server with no policy gains one that names only `tenant`.
            wider.servers[server].tools = None;
            wider.servers[server].members = vec![None; TENANTS.len()];
        }
        wider.servers[server].members[tenant] = Some(extra);
        let (overlays, catalog) = (world.overlays(), world.catalog());
        let (before, after) = (world.policy(), wider.policy());
        for other in TENANTS.iter().chain(["unnamed"].iter()) {
            if *other == TENANTS[tenant] {
                continue;
            }
            let caller = Caller::tenant(other);
            let old = visible_set(&surface(&before, &overlays, &catalog, &caller));
            let new = visible_set(&surface(&after, &overlays, &catalog, &caller));
            prop_assert!(new.is_subset(&old), "{other}: {old:?} -> {new:?}");
        }
    }

    /// route() answers only names in `visible`, with the server listed there.
    #[test]
    fn route_only_returns_visible_names(world in world(), probe in "[a-z_]{0,8}") {
        let (policy, overlays, catalog) = (world.policy(), world.overlays(), world.catalog());
        for caller in callers() {
            let seen = visible_surface(&policy, &overlays, &catalog, &caller);
            for name in TOOLS.iter().copied().chain([probe.as_str()]) {
                let listed = seen.visible().iter().find(|tool| tool.name() == name);
                prop_assert_eq!(seen.route(name), listed.map(|tool| tool.server()));
            }
        }
    }
}
