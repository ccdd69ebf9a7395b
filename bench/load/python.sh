#!/usr/bin/env bash
# The load benchmark against a real MCP server (run by hand, not in CI): tools/call of
# `charge` on the test harness's payments server — the official Python SDK 1.x
# (`FastMCP`, uvicorn), stateless with JSON answers — through the gateway (front_door,
# HS256 JWT, one member rule) and directly, at concurrency 1 and 32. Where run.sh
# measures the gateway's own cost against a back end that costs next to nothing, this
# shows what a caller of a real back end sees. See docs/performance.md.
#
#   bash bench/load/python.sh                     # 10 s per measurement, 2 s warm-up
#   DURATION=20 C_HIGH=64 bash bench/load/python.sh
#
# Needs the harness's Python venv (tests/harness/.venv-mcp1, made by scripts/test.sh).
# Direct calls speak 2025-06-18 (the SDK 1.x server knows no 2026-07-28); the gateway's
# callers speak the stateless 2026-07-28 flow, as in run.sh. Everything started here is
# stopped here, by pid.
set -euo pipefail

cd "$(dirname "$0")/../.."
PYTHON=tests/harness/.venv-mcp1/bin/python
if [[ ! -x $PYTHON ]]; then
    echo "$PYTHON is missing: run scripts/test.sh once (it installs the test harness)" >&2
    exit 1
fi

# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh

# --- the payments back end (measure() reads ECHO_PID as "the back end") ---------------
"$PYTHON" tests/harness/python/payments_server.py --port 0 --stateless --json-response \
    >"$WORK/payments.out" 2>"$WORK/payments.err" &
ECHO_PID=$!
PIDS+=("$ECHO_PID")
PAYMENTS_URL=$(wait_line "$WORK/payments.out" | sed -n 's/.*"url": "\([^"]*\)".*/\1/p')

# --- the gateway ------------------------------------------------------------------------
TOKEN=$(mint bench-agent tenant:bench)
ECHO_URL=$PAYMENTS_URL config_head | sed 's/^  echo:$/  payments:/; s/Echo back end of the load benchmark/Python SDK payments server/' \
    >"$WORK/config.yaml"
printf '        "tenant:bench": { allow_list: [charge] }\n' >>"$WORK/config.yaml"
start_gateway "$WORK/config.yaml" gateway

DIRECT_BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"charge","arguments":{"amount":5}}}'
GATEWAY_BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"charge","arguments":{"amount":5},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}'

echo "== load (${DURATION}s each after ${WARMUP}s warm-up)" >&2
for c in 1 "$C_HIGH"; do
    HEADERS=(--header "MCP-Protocol-Version: 2025-06-18")
    BODY=$DIRECT_BODY
    measure direct "$PAYMENTS_URL" "$ECHO_PID" "$c"
    HEADERS=(--header "Authorization: Bearer $TOKEN" --header "MCP-Protocol-Version: 2026-07-28"
        --header "Mcp-Method: tools/call" --header "Mcp-Name: charge")
    BODY=$GATEWAY_BODY
    measure gateway "$GW_URL" "$GW_PID" "$c"
done

echo
echo "machine: $(nproc) cores, $(uname -r); driver, gateway and back end share them; load average before: $LOADAVG"
echo "gateway: $(git describe --always --dirty 2>/dev/null || echo '?'), HANGAR_LOG=$HANGAR_LOG; back end: $(sed -n 's/.*"sdk": "\([^"]*\)".*/\1/p' "$WORK/payments.out"), stateless, JSON answers"
printf '%-8s %4s %10s %9s %9s %9s %6s %13s\n' path c 'req/s' 'p50 µs' 'p90 µs' 'p99 µs' errors 'CPU µs/call'
for c in 1 "$C_HIGH"; do
    for name in direct gateway; do
        read -r rps p50 p90 p99 _ errors cpu _ <<<"${ROWS[$name.$c]}"
        printf '%-8s %4s %10s %9s %9s %9s %6s %13s\n' "$name" "$c" "$rps" "$p50" "$p90" "$p99" "$errors" "$cpu"
    done
done
read -r _ d1_p50 _ <<<"${ROWS[direct.1]}"
read -r _ g1_p50 _ <<<"${ROWS[gateway.1]}"
read -r dh_rps _ <<<"${ROWS[direct.$C_HIGH]}"
read -r gh_rps _ <<<"${ROWS[gateway.$C_HIGH]}"
echo
awk -v d="$d1_p50" -v g="$g1_p50" 'BEGIN {printf "added p50 at c=1:            %8.1f µs\n", g - d}'
awk -v d="$dh_rps" -v g="$gh_rps" -v c="$C_HIGH" 'BEGIN {printf "throughput at c=%s vs direct: %6.1f %%\n", c, 100 * g / d}'
