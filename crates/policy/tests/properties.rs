//! Properties of the policy engine, checked on random policies, and a check of large
//! policy shapes against the rules applied naively.

use std::collections::HashSet;
use std::sync::OnceLock;

use hangar_policy::{
    Caller, Mode, Pattern, Policy, PolicyBuilder, ServerPolicy, ToolRules, UnlistedTenants,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::test_runner::TestCaseError;

const TOOLS: &[&str] = &[
    "charge",
    "refund",
    "status",
    "beta_tool",
    "beta_x",
    "legacy_charge",
    "query",
    "drop_db",
];
const GLOBS: &[&str] = &[
    "beta_*",
    "*_charge",
    "*",
    "{charge,refund}",
    "?uery",
    "drop_*",
    "re*",
    "[cs]*",
];
const TENANTS: &[&str] = &["t1", "t2", "t3", "t4", "t5"];
const SERVERS: &[&str] = &["s1", "s2"];
/// Policy-wide groups (name, tenants); t4 and t5 belong to none.
const GROUPS: &[(&str, &[&str])] = &[("g1", &["t1", "t2"]), ("g2", &["t2", "t3"])];

/// The raw model, kept so properties can reason about it and rebuild variants.
#[derive(Debug, Clone)]
struct Model {
    mode: Mode,
    unlisted: UnlistedTenants,
    groups: Vec<(String, Vec<String>)>,
    servers: Vec<ServerModel>,
}

#[derive(Debug, Clone)]
struct ServerModel {
    name: String,
    tools: Option<Lists>,
    groups: Vec<(String, Lists)>,
    members: Vec<(String, Lists)>,
    unlisted: Option<UnlistedTenants>,
}

#[derive(Debug, Clone)]
struct Lists {
    allow: Option<Vec<String>>,
    deny: Vec<String>,
    /// The lists compiled naively, once: (allow, deny).
    compiled: OnceLock<(Option<Naive>, Naive)>,
}

/// A list matched naively: a set of names and a list of globs.
#[derive(Debug, Clone)]
struct Naive {
    exact: HashSet<String>,
    globs: Vec<Pattern>,
}

impl Naive {
    fn new(patterns: &[String]) -> Self {
        let (exact, globs): (Vec<&String>, Vec<&String>) = patterns
            .iter()
            .partition(|p| Pattern::new(p).unwrap().is_exact());
        Self {
            exact: exact.into_iter().cloned().collect(),
            globs: globs
                .into_iter()
                .map(|p| Pattern::new(p).unwrap())
                .collect(),
        }
    }

    fn matches(&self, tool: &str) -> bool {
        self.exact.contains(tool) || self.globs.iter().any(|glob| glob.matches(tool))
    }
}

impl Lists {
    fn new(allow: Option<Vec<String>>, deny: Vec<String>) -> Self {
        Self {
            allow,
            deny,
            compiled: OnceLock::new(),
        }
    }

    fn compiled(&self) -> &(Option<Naive>, Naive) {
        self.compiled.get_or_init(|| {
            (
                self.allow.as_deref().map(Naive::new),
                Naive::new(&self.deny),
            )
        })
    }

    fn rules(&self) -> ToolRules {
        let rules = ToolRules::new().deny(self.deny.iter().cloned());
        match &self.allow {
            Some(allow) => rules.allow(allow.iter().cloned()),
            None => rules,
        }
    }

    fn denies(&self, tool: &str) -> bool {
        self.compiled().1.matches(tool)
    }

    fn allows(&self, tool: &str) -> bool {
        self.compiled()
            .0
            .as_ref()
            .is_none_or(|allow| allow.matches(tool))
    }
}

impl Model {
    fn builder(&self) -> PolicyBuilder {
        let mut builder = Policy::builder(self.mode).unlisted_tenants(self.unlisted);
        for (name, tenants) in &self.groups {
            builder = builder.group(name.clone(), tenants.iter().cloned());
        }
        for server in &self.servers {
            let mut policy = ServerPolicy::new();
            if let Some(tools) = &server.tools {
                policy = policy.tools(tools.rules());
            }
            for (group, lists) in &server.groups {
                policy = policy.group(group.clone(), lists.rules());
            }
            for (tenant, lists) in &server.members {
                policy = policy.member(tenant.clone(), lists.rules());
            }
            if let Some(unlisted) = server.unlisted {
                policy = policy.unlisted_tenants(unlisted);
            }
            builder = builder.server(server.name.clone(), policy);
        }
        builder
    }

    fn build(&self) -> Policy {
        self.builder()
            .build()
            .expect("generated policies are valid")
    }

    /// Every scope that applies to `tenant` on `server`, widest first, named as
    /// `Scope`'s `Display` writes it; and whether the tenant is listed.
    fn scopes<'m>(
        &'m self,
        tenant: Option<&str>,
        server: &'m ServerModel,
    ) -> (Vec<(String, &'m Lists)>, bool) {
        let mut scopes: Vec<(String, &Lists)> = server
            .tools
            .iter()
            .map(|lists| ("server tools".to_owned(), lists))
            .collect();
        let mut listed = false;
        if let Some(tenant) = tenant {
            let mut groups: Vec<&(String, Lists)> = server.groups.iter().collect();
            groups.sort_by(|a, b| a.0.cmp(&b.0));
            for (group, lists) in groups {
                let members = self.groups.iter().find(|(g, _)| g == group).map(|(_, m)| m);
                if members.is_some_and(|m| m.iter().any(|t| t == tenant)) {
                    scopes.push((format!("group {group:?}"), lists));
                    listed = true;
                }
            }
            for (t, lists) in server.members.iter().filter(|(t, _)| t == tenant) {
                scopes.push((format!("member {t:?}"), lists));
                listed = true;
            }
        }
        (scopes, listed)
    }

    fn server(&self, name: &str) -> Option<&ServerModel> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// Every deny list that applies to `tenant` on `server`.
    fn deny_lists(&self, tenant: Option<&str>, server: &str) -> Vec<&Lists> {
        let Some(server) = self.server(server) else {
            return Vec::new();
        };
        self.scopes(tenant, server)
            .0
            .into_iter()
            .map(|(_, lists)| lists)
            .collect()
    }

    /// The decision by the rules of docs/policy.md, applied naively: the rule's code and
    /// the scope it names (as text), if any.
    fn reference(
        &self,
        tenant: Option<&str>,
        server: &str,
        tool: &str,
    ) -> (&'static str, Option<String>) {
        let front_door = self.mode == Mode::FrontDoor;
        if front_door && tenant.is_none() {
            return ("no_tenant", None);
        }
        let Some(server) = self.server(server) else {
            return if front_door {
                ("unknown_server", None)
            } else {
                ("allow", Some("default".into()))
            };
        };
        let (scopes, listed) = self.scopes(tenant, server);
        if let Some((scope, _)) = scopes.iter().find(|(_, lists)| lists.denies(tool)) {
            return ("deny", Some(scope.clone()));
        }
        if !listed {
            let unlisted = server.unlisted.unwrap_or(self.unlisted);
            if unlisted == UnlistedTenants::Deny || (front_door && server.tools.is_none()) {
                return ("unlisted_tenant", None);
            }
        }
        if let Some((scope, _)) = scopes.iter().find(|(_, lists)| !lists.allows(tool)) {
            return ("not_allowed", Some(scope.clone()));
        }
        let narrowest = scopes
            .last()
            .map_or_else(|| "default".to_owned(), |(scope, _)| scope.clone());
        ("allow", Some(narrowest))
    }
}

fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![3 => select(TOOLS), 2 => select(GLOBS)].prop_map(str::to_owned)
}

fn lists() -> impl Strategy<Value = Lists> {
    (
        proptest::option::weighted(0.5, proptest::collection::vec(pattern(), 0..4)),
        proptest::collection::vec(pattern(), 0..3),
    )
        .prop_map(|(allow, deny)| Lists::new(allow, deny))
}

fn unlisted() -> impl Strategy<Value = UnlistedTenants> {
    prop_oneof![
        Just(UnlistedTenants::ServerPolicy),
        Just(UnlistedTenants::Deny)
    ]
}

fn server(name: &'static str) -> impl Strategy<Value = ServerModel> {
    let group_names: Vec<&'static str> = GROUPS.iter().map(|(g, _)| *g).collect();
    (
        proptest::option::of(lists()),
        subsequence(group_names, 0..=GROUPS.len()),
        proptest::collection::vec(lists(), GROUPS.len()),
        subsequence(TENANTS.to_vec(), 0..=3),
        proptest::collection::vec(lists(), 3),
        proptest::option::of(unlisted()),
    )
        .prop_map(
            move |(tools, groups, group_lists, members, member_lists, unlisted)| ServerModel {
                name: name.to_owned(),
                tools,
                groups: groups
                    .into_iter()
                    .map(str::to_owned)
                    .zip(group_lists)
                    .collect(),
                members: members
                    .into_iter()
                    .map(str::to_owned)
                    .zip(member_lists)
                    .collect(),
                unlisted,
            },
        )
}

fn model() -> impl Strategy<Value = Model> {
    (
        prop_oneof![Just(Mode::Egress), Just(Mode::FrontDoor)],
        unlisted(),
        server(SERVERS[0]),
        server(SERVERS[1]),
    )
        .prop_map(|(mode, unlisted, a, b)| Model {
            mode,
            unlisted,
            groups: GROUPS
                .iter()
                .map(|(g, tenants)| {
                    (
                        (*g).to_owned(),
                        tenants.iter().map(|t| (*t).to_owned()).collect(),
                    )
                })
                .collect(),
            servers: vec![a, b],
        })
}

/// Every caller, server (including one the policy does not know) and tool.
fn inputs() -> impl Iterator<Item = (Option<&'static str>, &'static str, &'static str)> {
    let callers = std::iter::once(None).chain(TENANTS.iter().copied().map(Some));
    callers.flat_map(|caller| {
        ["s1", "s2", "s3"]
            .into_iter()
            .flat_map(move |server| TOOLS.iter().map(move |tool| (caller, server, *tool)))
    })
}

fn caller(tenant: Option<&str>) -> Caller<'_> {
    tenant.map_or_else(Caller::anonymous, Caller::tenant)
}

fn check_against_reference(
    model: &Model,
    policy: &Policy,
    tenant: Option<&str>,
    server: &str,
    tool: &str,
) -> Result<(), TestCaseError> {
    let rule = policy.decide(&caller(tenant), server, tool).rule();
    let (code, scope) = model.reference(tenant, server, tool);
    let at = format!("{tenant:?} {server} {tool}: {rule}");
    prop_assert_eq!(rule.code(), code, "{}", at);
    prop_assert_eq!(rule.scope().map(|s| s.to_string()), scope, "{}", at);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A tool matched by any applicable deny list is never allowed.
    #[test]
    fn deny_always_wins(model in model()) {
        let policy = model.build();
        for (tenant, server, tool) in inputs() {
            let denied = model.deny_lists(tenant, server).iter().any(|lists| lists.denies(tool));
            if denied {
                let decision = policy.decide(&caller(tenant), server, tool);
                prop_assert!(!decision.is_allowed(), "{tenant:?} {server} {tool}: {decision}");
            }
        }
    }

    /// Adding a member rule for tenant X changes no decision for any other caller.
    #[test]
    fn member_rule_for_one_tenant_never_affects_another(
        model in model(),
        server in 0..SERVERS.len(),
        tenant in select(TENANTS),
        rules in lists(),
    ) {
        let before = model.build();
        let mut changed = model.clone();
        let members = &mut changed.servers[server].members;
        members.retain(|(t, _)| t != tenant);
        members.push((tenant.to_owned(), rules));
        let after = changed.build();
        for (other, server, tool) in inputs().filter(|(t, _, _)| *t != Some(tenant)) {
            let b = before.decide(&caller(other), server, tool);
            let a = after.decide(&caller(other), server, tool);
            prop_assert_eq!(b.to_string(), a.to_string(), "{:?} {} {}", other, server, tool);
        }
    }

    /// Adding a group or member rule never turns a deny into an allow for a tenant the
    /// server already listed.
    #[test]
    fn narrower_rules_only_remove_tools_from_listed_tenants(
        model in model(),
        server in 0..SERVERS.len(),
        group in proptest::option::of(select(GROUPS.iter().map(|(g, _)| *g).collect::<Vec<_>>())),
        tenant in select(TENANTS),
        rules in lists(),
    ) {
        let before = model.build();
        let mut changed = model.clone();
        let target = &mut changed.servers[server];
        match group {
            Some(group) => {
                prop_assume!(!target.groups.iter().any(|(g, _)| g == group));
                target.groups.push((group.to_owned(), rules));
            }
            None => {
                prop_assume!(!target.members.iter().any(|(t, _)| t == tenant));
                target.members.push((tenant.to_owned(), rules));
            }
        }
        let after = changed.build();
        for (tenant, server, tool) in inputs() {
            let Some(tenant) = tenant else { continue };
            if !before.is_listed(server, tenant) {
                continue;
            }
            let b = before.decide(&Caller::tenant(tenant), server, tool);
            let a = after.decide(&Caller::tenant(tenant), server, tool);
            prop_assert!(b.is_allowed() || !a.is_allowed(), "{tenant} {server} {tool}: {b} -> {a}");
        }
    }

    /// decide() agrees with the rules applied naively (the reference model).
    #[test]
    fn decide_agrees_with_the_reference_model(model in model()) {
        let policy = model.build();
        for (tenant, server, tool) in inputs() {
            check_against_reference(&model, &policy, tenant, server, tool)?;
        }
    }

    /// explain() agrees with decide() for every input.
    #[test]
    fn explain_agrees_with_decide(model in model()) {
        let policy = model.build();
        for (tenant, server, tool) in inputs() {
            let decision = policy.decide(&caller(tenant), server, tool);
            let explanation = policy.explain(&caller(tenant), server, tool);
            prop_assert_eq!(explanation.is_allowed(), decision.is_allowed());
            prop_assert_eq!(explanation.rule(), decision.rule().to_string());
            let last = explanation.steps().last().unwrap();
            prop_assert_eq!(last.outcome(), decision.to_string());
        }
    }

    /// The fast paths for exact, prefix, suffix and `*` patterns agree with globset.
    #[test]
    fn patterns_agree_with_globset(pattern in "[ab*?]{1,5}", tool in "[ab/]{0,6}") {
        let glob = globset::GlobBuilder::new(&pattern)
            .literal_separator(false)
            .build()
            .unwrap()
            .compile_matcher();
        prop_assert_eq!(Pattern::new(&pattern).unwrap().matches(&tool), glob.is_match(&tool));
    }
}

/// Policies whose shape takes the compiler's other paths: more than 2^14 tool names
/// (32-bit run keys), more than 64 distinct globs (no per-tool glob bits), member lists
/// longer than the inline limit (hashed runs), more than 31 groups (groups beyond the
/// tool mask), long tenant ids, and many tenants.
#[test]
fn large_shapes_agree_with_the_reference_model() -> Result<(), TestCaseError> {
    let names = |prefix: &str, n: usize| (0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>();
    let tenant = |i: usize| {
        if i.is_multiple_of(7) {
            format!("tenant-with-a-rather-long-identifier-{i:060}")
        } else {
            format!("t{i}")
        }
    };
    let groups: Vec<(String, Vec<String>)> = (0..40)
        .map(|g| {
            (
                format!("g{g:02}"),
                (0..300).filter(|t| t % 40 == g).map(tenant).collect(),
            )
        })
        .collect();
    let big = ServerModel {
        name: "big".into(),
        tools: Some(Lists::new(
            Some(
                names("tool", 20_000)
                    .into_iter()
                    .chain(["x*".to_owned()])
                    .collect(),
            ),
            (0..70).map(|g| format!("x{g}_*")).collect(),
        )),
        groups: groups
            .iter()
            .enumerate()
            .map(|(g, (name, _))| {
                let deny = vec![format!("tool{}", g * 3)];
                (
                    name.clone(),
                    Lists::new((g % 3 == 0).then(|| names("tool", 500)), deny),
                )
            })
            .collect(),
        members: (0..300)
            .filter(|t| t % 2 == 0)
            .map(|t| {
                let allow = (t % 4 == 0).then(|| {
                    (0..60)
                        .map(|k| format!("tool{}", (t * 37 + k * 11) % 600))
                        .collect()
                });
                (
                    tenant(t),
                    Lists::new(
                        allow,
                        vec![format!("tool{}", t % 50), format!("x{}_*", t % 90)],
                    ),
                )
            })
            .collect(),
        unlisted: None,
    };
    let model = Model {
        mode: Mode::FrontDoor,
        unlisted: UnlistedTenants::ServerPolicy,
        groups,
        servers: vec![big],
    };
    let policy = model.build();
    let mut tools: Vec<String> = (0..700).map(|i| format!("tool{i}")).collect();
    tools.extend(["x5_a", "x80_b", "xy", "tool19999", "tool20000", "other"].map(str::to_owned));
    for t in (0..320).step_by(3) {
        let tenant = tenant(t);
        for tool in &tools {
            check_against_reference(&model, &policy, Some(&tenant), "big", tool)?;
        }
    }
    Ok(())
}
