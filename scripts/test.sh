#!/usr/bin/env bash
# The project's test command (README: "Run the tests"). Installs what it needs, then runs
# formatting, lints, docs, the layering checks, every test, and cargo-deny.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_INCREMENTAL=0

step "toolchain"
rustc --version
cargo --version

step "install cargo-deny (if missing)"
if ! command -v cargo-deny >/dev/null 2>&1; then
    cargo install cargo-deny --locked --quiet
fi
cargo deny --version

step "format"
cargo fmt --all -- --check

step "clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "docs (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "hangar-policy is pure: builds without default features, no tokio/hyper in its tree"
cargo build -p hangar-policy --no-default-features --locked --quiet
if cargo tree -p hangar-policy --edges normal --prefix none | grep -E '^(tokio|hyper|mio) ' ; then
    echo "hangar-policy must not depend on tokio, hyper or mio" >&2
    exit 1
fi

step "cargo-deny: bans (layering, ring), licences, sources"
# The advisories check needs the RustSec database from GitHub, which CI cannot reach;
# run `cargo deny check advisories` where the network allows (docs/architecture.md).
cargo deny --locked check bans licenses sources

step "build binaries (end-to-end tests run them)"
cargo build --workspace --bins --locked

step "tests"
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
