//! A tiny agent tool router (no Hangar in sight) that asks the policy before it
//! dispatches a tool call. Run with `cargo run -p hangar-policy --example embed`.

use hangar_policy::{Caller, Mode, Policy, ServerPolicy, ToolRules, UnlistedTenants};

fn main() -> Result<(), hangar_policy::Error> {
    let policy = Policy::builder(Mode::FrontDoor)
        .unlisted_tenants(UnlistedTenants::Deny)
        .group("interns", ["agent:intern-1", "agent:intern-2"])
        .server(
            "shell",
            ServerPolicy::new()
                .tools(ToolRules::new().deny(["rm_*"]))
                .group("interns", ToolRules::new().allow(["ls", "cat"])),
        )
        .server(
            "calendar",
            ServerPolicy::new().member("agent:assistant", ToolRules::new()),
        )
        .build()?;

    let calls = [
        ("agent:intern-1", "shell", "cat"),
        ("agent:intern-1", "shell", "curl"),
        ("agent:assistant", "calendar", "create_event"),
        ("agent:assistant", "shell", "ls"),
        ("agent:intern-2", "shell", "rm_rf"),
    ];
    for (agent, server, tool) in calls {
        let decision = policy.decide(&Caller::tenant(agent), server, tool);
        println!("{agent} -> {server}/{tool}: {decision}");
    }
    println!(
        "\n{}",
        policy.explain(&Caller::tenant("agent:intern-1"), "shell", "curl")
    );
    Ok(())
}
