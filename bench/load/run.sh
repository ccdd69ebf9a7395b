#!/usr/bin/env bash
# The data-plane load benchmark (run by hand, not in CI): tools/call through the gateway
# (front_door, static-key HS256 JWT, one member rule) vs the same back end directly, at
# concurrency 1 and 32; the gateway's idle and peak RSS, CPU per call and start-to-ready.
# See docs/performance.md for the budget and the last results.
#
#   bash bench/load/run.sh                        # 10 s per measurement, 2 s warm-up (whole seconds)
#   DURATION=20 WARMUP=3 C_HIGH=64 bash bench/load/run.sh
#   HANGAR_LOG=warn bash bench/load/run.sh       # info logs off (no per-call line since the audit log)
#
# The clients speak the stateless 2026-07-28 flow: every POST carries
# `MCP-Protocol-Version: 2026-07-28`, `Mcp-Method: tools/call`, `Mcp-Name: echo` and
# `params._meta` with the version; no initialize, no session. The gateway talks to the
# back end (mcp-echo-backend) over its own pooled connections; the echo back end declines
# `server/discover`, so the gateway uses a 2025-11-25 `initialize` upstream (stateless
# JSON answers, no session id).
#
# Everything started here is stopped here, by pid.
set -euo pipefail

cd "$(dirname "$0")/../.."
C_LOW=${C_LOW:-1}
STARTUP_RUNS=${STARTUP_RUNS:-5}
BACKEND_THREADS=${BACKEND_THREADS:-2}

# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh

# --- the echo back end ---------------------------------------------------------------
start_echo

# --- the gateway's config and token ----------------------------------------------------
TOKEN=$(mint bench-agent tenant:bench)
echo_config tenant:bench >"$WORK/config.yaml"
GATEWAY=("$BIN/mcp-hangar" --config "$WORK/config.yaml" serve --http --host 127.0.0.1 --port 0)

# --- start to ready ----------------------------------------------------------------------
echo "== start to ready ($STARTUP_RUNS runs)" >&2
STARTUP=$($LOAD startup --runs "$STARTUP_RUNS" -- "${GATEWAY[@]:0:3}" --data-dir "$WORK/data-startup" "${GATEWAY[@]:3}")
echo "$STARTUP" >&2
STARTUP=$(grep '^RESULT' <<<"$STARTUP")

# --- the gateway under load -------------------------------------------------------------
start_gateway "$WORK/config.yaml" gateway
IDLE_RSS=$(kb VmRSS "$GW_PID")

HEADERS=(--header "Authorization: Bearer $TOKEN" "${STATELESS[@]}")

# One call by hand first: it must be a result, not an error.
CHECK=$(curl -s "$GW_URL" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H "Authorization: Bearer $TOKEN" -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' \
    -H 'Mcp-Name: echo' -d "$BODY")
if ! grep -q '"result"' <<<"$CHECK"; then
    echo "the gateway did not answer the call with a result: $CHECK" >&2
    cat "$WORK/gateway.err" >&2
    exit 1
fi

echo "== load (${DURATION}s each after ${WARMUP}s warm-up)" >&2
for c in "$C_LOW" "$C_HIGH"; do
    measure direct "$ECHO_URL" "$ECHO_PID" "$c"
    measure gateway "$GW_URL" "$GW_PID" "$c"
done
PEAK_RSS=$(kb VmHWM "$GW_PID")
END_RSS=$(kb VmRSS "$GW_PID")

# --- the table -------------------------------------------------------------------------
echo
echo "machine: $(nproc) cores, $(uname -r); driver, gateway and back end share them; load average before: $LOADAVG"
echo "gateway: $(git describe --always --dirty 2>/dev/null || echo '?'), HANGAR_LOG=$HANGAR_LOG; protocol: 2026-07-28 stateless; auth: HS256 JWT"
echo "(CPU and ctxsw per call: of the process that serves the path, the back end for direct, the gateway for gateway;"
echo " driver µs, back end µs: the load driver's and the back end's own CPU per call;"
echo " other CPU: what the rest of the machine used during the run, % of all cores — should be ~0)"
printf '%-8s %4s %10s %9s %9s %9s %10s %6s %13s %12s %10s %10s %12s\n' path c 'req/s' 'p50 µs' 'p90 µs' 'p99 µs' 'max µs' errors 'CPU µs/call' 'ctxsw/call' 'driver µs' 'other CPU' 'back end µs'
for c in "$C_LOW" "$C_HIGH"; do
    for name in direct gateway; do
        # shellcheck disable=SC2086
        printf '%-8s %4s %10s %9s %9s %9s %10s %6s %13s %12s %10s %10s %12s\n' "$name" "$c" ${ROWS[$name.$c]}
    done
done
read -r d1_rps d1_p50 _ <<<"${ROWS[direct.$C_LOW]}"
read -r g1_rps g1_p50 _ _ _ _ g1_cpu _ <<<"${ROWS[gateway.$C_LOW]}"
read -r dh_rps _ _ _ _ _ dh_cpu _ dh_driver _ <<<"${ROWS[direct.$C_HIGH]}"
read -r gh_rps _ _ _ _ _ gh_cpu _ gh_driver _ <<<"${ROWS[gateway.$C_HIGH]}"
echo
awk -v d="$d1_p50" -v g="$g1_p50" 'BEGIN {printf "added p50 at c=1:             %7.1f µs   (budget <= 50 µs)\n", g - d}'
awk -v d="$dh_rps" -v g="$gh_rps" -v c="$C_HIGH" 'BEGIN {printf "throughput at c=%s vs direct: %6.1f %%    (budget >= 60 %%)\n", c, 100 * g / d}'
awk -v b="$dh_cpu" -v dd="$dh_driver" -v dg="$gh_driver" -v g="$gh_cpu" 'BEGIN {
    printf "  (CPU-bound ceiling when all three share the cores: (driver+back end)/(driver+back end+gateway) = %.1f %%)\n", 100 * (dd + b) / (dg + b + g)}'
echo "gateway CPU per call:          $g1_cpu µs (c=$C_LOW), $gh_cpu µs (c=$C_HIGH)   (budget <= 25 µs; utime+stime, ${TCK} Hz ticks)"
awk -v i="$IDLE_RSS" 'BEGIN {printf "idle RSS:                      %7.1f MiB  (budget <= 20 MiB)\n", i / 1024}'
awk -v p="$PEAK_RSS" -v e="$END_RSS" 'BEGIN {printf "peak RSS (VmHWM):              %7.1f MiB  (RSS after the runs %.1f MiB)\n", p / 1024, e / 1024}'
echo "start to ready (median of $(field runs "$STARTUP")): ready line $(field ready_line_ms "$STARTUP") ms, /health/ready 200 $(field health_ready_ms "$STARTUP") ms   (budget <= 100 ms)"
