//! One tenant's flat surface over 1,000 tools as the number of tenants grows, and the
//! per-tool overlay check.
//!
//! `cargo bench -p hangar-projection --bench surface -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hangar_policy::{Caller, Mode, Policy, ServerPolicy, ToolRules};
use hangar_projection::{
    Catalog, ConfigWithdrawals, MemoryOverlayStore, Overlays, WithdrawalKey, surface,
    visible_surface,
};

const SERVERS: usize = 4;
const TOOLS_PER_SERVER: usize = 250;

fn server(i: usize) -> String {
    format!("server{i}")
}

fn tool(i: usize, j: usize) -> String {
    format!("s{i}_op{j}")
}

fn tenant(t: usize) -> String {
    format!("tenant:{t}")
}

fn catalog() -> Catalog {
    (0..SERVERS).fold(Catalog::new(), |catalog, i| {
        catalog.with_server(&server(i), (0..TOOLS_PER_SERVER).map(|j| tool(i, j)))
    })
}

/// Every tenant has a member rule on every server: an allow list of two globs (about 22
/// tools each), a deny of one of them; odd servers also deny `*_op9*` at server level.
fn policy(tenants: usize) -> Policy {
    let mut builder = Policy::builder(Mode::FrontDoor);
    for i in 0..SERVERS {
        let mut rules = ServerPolicy::new();
        if i % 2 == 1 {
            rules = rules.tools(ToolRules::new().deny([format!("s{i}_op9*")]));
        }
        for t in 0..tenants {
            let (a, b) = (t % 10, (t / 10) % 10);
            rules = rules.member(
                tenant(t),
                ToolRules::new()
                    .allow([format!("s{i}_op{a}*"), format!("s{i}_op{b}?")])
                    .deny([tool(i, a * 10 + b)]),
            );
        }
        builder = builder.server(server(i), rules);
    }
    builder.build().expect("policy")
}

/// Config: 5 exact names and one glob per server for everyone, one tool per server for
/// every tenth tenant. Runtime: 20 global and 30 per-tenant withdrawals.
fn overlays(tenants: usize) -> Overlays {
    let mut entries: Vec<(String, String, Option<String>)> = Vec::new();
    for i in 0..SERVERS {
        for j in 0..5 {
            entries.push((server(i), tool(i, 200 + j), None));
        }
        entries.push((server(i), format!("s{i}_op24*"), None));
        for t in (0..tenants).step_by(10) {
            entries.push((server(i), tool(i, t % TOOLS_PER_SERVER), Some(tenant(t))));
        }
    }
    let config = ConfigWithdrawals::new(
        entries
            .iter()
            .map(|(s, p, t)| (s.as_str(), p.as_str(), t.as_deref())),
    )
    .expect("config");
    let overlays = Overlays::new(config, MemoryOverlayStore::new()).expect("overlays");
    for k in 0..20 {
        let key = WithdrawalKey::global(server(k % SERVERS), tool(k % SERVERS, 100 + k));
        overlays.withdraw(&key, "bench").expect("withdraw");
    }
    for k in 0..30 {
        let key = WithdrawalKey::for_tenant(
            server(k % SERVERS),
            tool(k % SERVERS, 10 + k),
            tenant(k * 7 % tenants),
        );
        overlays.withdraw(&key, "bench").expect("withdraw");
    }
    overlays
}

fn bench(c: &mut Criterion) {
    let catalog = catalog();
    let mut group = c.benchmark_group("surface_1000_tools");
    for tenants in [10, 1_000, 10_000] {
        let policy = policy(tenants);
        let overlays = overlays(tenants);
        let snapshot = overlays.snapshot();
        let who = tenant(tenants / 2 + 3);
        let caller = Caller::tenant(&who);
        let seen = surface(&policy, &snapshot, &catalog, &caller);
        eprintln!(
            "{tenants} tenants: {} visible, {} hidden for {who}",
            seen.visible().len(),
            seen.hidden().len()
        );
        group.bench_with_input(BenchmarkId::new("surface", tenants), &tenants, |b, _| {
            b.iter(|| surface(&policy, black_box(&snapshot), &catalog, black_box(&caller)));
        });
        group.bench_with_input(
            BenchmarkId::new("visible_surface", tenants),
            &tenants,
            |b, _| {
                b.iter(|| {
                    visible_surface(&policy, black_box(&snapshot), &catalog, black_box(&caller))
                });
            },
        );
    }
    group.finish();

    let tenants = 10_000;
    let overlays = overlays(tenants);
    let tools: Vec<(String, String)> = (0..SERVERS)
        .flat_map(|i| (0..TOOLS_PER_SERVER).map(move |j| (server(i), tool(i, j))))
        .collect();
    let who = tenant(70);
    let mut group = c.benchmark_group("overlays_check");
    group.bench_function("miss", |b| {
        b.iter(|| {
            overlays.check(
                black_box("server1"),
                black_box("s1_op3"),
                Some(black_box(&who)),
            )
        });
    });
    group.bench_function("hit_config_tenant", |b| {
        b.iter(|| {
            overlays.check(
                black_box("server0"),
                black_box("s0_op70"),
                Some(black_box(&who)),
            )
        });
    });
    group.bench_function("hit_runtime_global", |b| {
        b.iter(|| {
            overlays.check(
                black_box("server1"),
                black_box("s1_op101"),
                Some(black_box(&who)),
            )
        });
    });
    group.bench_function("all_1000_tools", |b| {
        b.iter(|| {
            tools
                .iter()
                .filter(|(s, t)| overlays.check(s, t, Some(&who)).is_some())
                .count()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
