//! The bundled first-run demo (`examples/demo/config.yaml` in front of the stdio
//! `hangar-demo-backend`) is a valid config whose back end is the built binary.

use crate::harness::demo_backend;
use crate::support::{hangarctl, repo_root};

#[test]
fn the_demo_config_passes_config_check() {
    let output = hangarctl(&["config", "check", "examples/demo/config.yaml"]);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_demo_config_starts_the_built_demo_backend() {
    let config = std::fs::read_to_string(repo_root().join("examples/demo/config.yaml"))
        .expect("examples/demo/config.yaml");
    let command = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("command:"))
        .expect("a stdio command")
        .split('#')
        .next()
        .expect("value")
        .trim();
    assert_eq!(command, "target/debug/hangar-demo-backend");
    // Relative to the repository root, where the README's run command is run from.
    assert!(
        repo_root().join(command).exists() || demo_backend().exists(),
        "build it with `cargo build -p hangar-demo-backend`"
    );
}
