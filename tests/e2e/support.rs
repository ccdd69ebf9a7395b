//! Shared helpers: locate the built binaries and the repository's example files.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A workspace binary, built next to this test executable (target/<profile>/NAME).
pub(crate) fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test executable lives in target/<profile>/deps");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --workspace --bins` first",
        path.display()
    );
    path
}

/// Runs `hangarctl` with arguments, from the repository root.
pub(crate) fn hangarctl(args: &[&str]) -> Output {
    Command::new(binary("hangarctl"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("hangarctl runs")
}
