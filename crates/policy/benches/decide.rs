//! `decide()` at 10 / 1,000 / 10,000 tenants × 1,000 tools, and `explain()` once for
//! comparison. Budget (DESIGN.md): ≤ 100 ns median per decision, flat as tenants grow.
//!
//! The policy is a realistic mix: five servers of 1,000 tools (one with a server-wide
//! deny list and a glob, one with an 800-name allow list, one with a regex-shaped glob,
//! two without a `tools` block); three groups (a free tier with a 100-name allow list,
//! a pro tier with a deny glob, a small staff group allowed `*`); and a member entry for
//! every tenant on two of the servers: half deny-only (1–3 names), a third with a short
//! allow list (2–8 names), a sixth with 20 names and a glob. `decide_heavy` gives every
//! member 20 allowed and 3 denied names. Inputs are 16,384 precomputed (tenant, server,
//! tool) triples drawn uniformly — a tenth of them unlisted tenants, 2 % unknown servers
//! — cycled through, so every decision visits a cold tenant.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hangar_policy::{Caller, Mode, Policy, ServerPolicy, ToolRules};

const TOOLS: usize = 1_000;
const SERVERS: &[&str] = &["payments", "search", "crm", "files", "shell"];
/// Precomputed inputs, cycled through (a power of two).
const INPUTS: usize = 1 << 14;

/// A small deterministic generator (xorshift), so every run decides the same inputs.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// Between `min` and `max` random tool names.
    fn tools(&mut self, min: usize, max: usize) -> Vec<String> {
        let n = min + self.below(max - min + 1);
        (0..n).map(|_| tool(self.below(TOOLS))).collect()
    }
}

/// Tool names: mostly `tool_N`, with `beta_N` and `admin_N` families for the globs.
fn tool(i: usize) -> String {
    match i % 10 {
        0 => format!("beta_{i}"),
        1 => format!("admin_{i}"),
        _ => format!("tool_{i}"),
    }
}

fn tenant(i: usize) -> String {
    format!("tenant:{i:05}")
}

#[derive(Clone, Copy)]
enum Mix {
    Realistic,
    Heavy,
}

fn member_rules(t: usize, mix: Mix, rng: &mut Rng) -> ToolRules {
    let rules = match (mix, t % 6) {
        (Mix::Realistic, 0..=2) => ToolRules::new().deny(rng.tools(1, 3)),
        (Mix::Realistic, 3 | 4) => ToolRules::new()
            .allow(rng.tools(2, 8))
            .deny(rng.tools(0, 2)),
        _ => {
            let mut allow = rng.tools(20, 20);
            if matches!(mix, Mix::Realistic) {
                allow.push("beta_*".into());
            }
            ToolRules::new().allow(allow).deny(rng.tools(3, 3))
        }
    };
    if t.is_multiple_of(3) {
        let mut deny = rules.deny_list().to_vec();
        deny.push("beta_*".into());
        return rules.deny(deny);
    }
    rules
}

fn policy(tenants: usize, mix: Mix, rng: &mut Rng) -> Policy {
    let tier = |k| (0..tenants).filter(move |i| i % 4 == k).map(tenant);
    let staff = (0..tenants).filter(|i| i % 100 == 7).map(tenant);
    let mut builder = Policy::builder(Mode::FrontDoor)
        .group("free", tier(0))
        .group("pro", tier(1))
        .group("staff", staff);
    for (s, name) in SERVERS.iter().enumerate() {
        let mut server = match s {
            0 => ServerPolicy::new().tools(ToolRules::new().deny(["admin_*", "tool_13"])),
            1 => ServerPolicy::new()
                .tools(ToolRules::new().allow((0..800).map(tool).chain(["beta_*".into()]))),
            2 => ServerPolicy::new().tools(ToolRules::new().deny(["*_debug", "tool_2[0-9]"])),
            _ => ServerPolicy::new(),
        };
        server = server
            .group(
                "free",
                ToolRules::new().allow((0..100).map(tool)).deny(["beta_*"]),
            )
            .group("pro", ToolRules::new().deny(["admin_*"]))
            .group("staff", ToolRules::new().allow(["*"]));
        for t in (0..tenants).filter(|t| t % SERVERS.len() == s || (t + 1) % SERVERS.len() == s) {
            server = server.member(tenant(t), member_rules(t, mix, rng));
        }
        builder = builder.server(*name, server);
    }
    builder.build().expect("valid bench policy")
}

/// (tenant, server, tool) triples.
fn inputs(tenants: usize, rng: &mut Rng) -> Vec<(String, &'static str, String)> {
    (0..INPUTS)
        .map(|_| {
            let t = if rng.below(10) == 0 {
                tenant(tenants + rng.below(1000))
            } else {
                tenant(rng.below(tenants))
            };
            let server = if rng.below(50) == 0 {
                "unknown"
            } else {
                SERVERS[rng.below(SERVERS.len())]
            };
            (t, server, tool(rng.below(TOOLS)))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let runs = [
        ("decide", Mix::Realistic, 10),
        ("decide", Mix::Realistic, 1_000),
        ("decide", Mix::Realistic, 10_000),
        ("decide_heavy", Mix::Heavy, 10_000),
    ];
    for (name, mix, tenants) in runs {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let policy = policy(tenants, mix, &mut rng);
        let inputs = inputs(tenants, &mut rng);
        let mut group = c.benchmark_group(name);
        group.bench_with_input(
            BenchmarkId::from_parameter(tenants),
            &inputs,
            |b, inputs| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) & (INPUTS - 1);
                    let (tenant, server, tool) = &inputs[i];
                    black_box(
                        policy
                            .decide(&Caller::tenant(tenant), server, tool)
                            .is_allowed(),
                    )
                });
            },
        );
        group.finish();
        if tenants == 10_000 && matches!(mix, Mix::Realistic) {
            let (tenant, server, tool) = &inputs[0];
            c.bench_function("explain/10000", |b| {
                b.iter(|| black_box(policy.explain(&Caller::tenant(tenant), server, tool)));
            });
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
