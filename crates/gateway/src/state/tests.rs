use std::sync::{Arc, Barrier};

use hangar_config::{Config, MapEnvironment};

use super::Gateway;

/// Regression: back ends are listed concurrently, once each at start, and two catalog
/// updates racing used to lose one of them (that back end's tools then never appeared).
#[test]
fn concurrent_tool_lists_are_all_kept() {
    let config = Config::from_yaml_str(
        "tool_access:\n  mode: egress\n",
        "test.yaml",
        &MapEnvironment::new(),
    )
    .expect("config");
    let servers: Vec<String> = (0..8).map(|i| format!("racer{i}")).collect();
    for _ in 0..200 {
        let gateway = Arc::new(
            Gateway::builder(config.clone())
                .in_memory_overlays()
                .build()
                .expect("gateway"),
        );
        let start = Arc::new(Barrier::new(servers.len()));
        let writers: Vec<_> = servers
            .iter()
            .cloned()
            .map(|server| {
                let gateway = Arc::clone(&gateway);
                let start = Arc::clone(&start);
                std::thread::spawn(move || {
                    let tool = serde_json::value::to_raw_value(
                        &serde_json::json!({"name": format!("{server}_tool")}),
                    )
                    .expect("raw tool");
                    start.wait();
                    gateway.set_tools(&server, vec![tool]);
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer thread");
        }
        let catalog = gateway.tools();
        for server in &servers {
            assert!(
                catalog.catalog.has_server(server),
                "{server}'s tool list was lost"
            );
        }
    }
}
