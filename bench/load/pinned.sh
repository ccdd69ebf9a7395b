#!/usr/bin/env bash
# The load benchmark on pinned CPUs (run by hand, not in CI): the pieces of run.sh, placed
# so that how the two cores are shared does not decide the result. See
# docs/performance.md ("Pinned CPUs") for why and for the last results.
#
#   1. c=1 with the driver, the back end and the gateway all on CPU 0: the latency the hop
#      adds without cross-CPU wake-ups of halted vCPUs (on this VM each costs tens of µs
#      and the gateway's path has two more of them than the direct one);
#   2. c=C_HIGH with the driver and the back end on CPU 0 and the gateway alone on CPU 1:
#      its throughput against the same driver and back end on CPU 0 without it — the
#      gateway on a core of its own, as on a machine of its own.
#
#   bash bench/load/pinned.sh                     # 10 s per measurement, 2 s warm-up
#   DURATION=20 C_HIGH=64 bash bench/load/pinned.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
# One thread each for the driver and the back end, both on CPU 0.
BACKEND_THREADS=1
DRIVER_THREADS=1
ECHO_CPU=0
DRIVER_CPU=0

# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh

start_echo
TOKEN=$(mint bench-agent tenant:bench)
echo_config tenant:bench >"$WORK/config.yaml"
HEADERS=(--header "Authorization: Bearer $TOKEN" "${STATELESS[@]}")

echo "== c=1, everything on CPU 0 (${DURATION}s each after ${WARMUP}s warm-up)" >&2
GW_CPU=0 start_gateway "$WORK/config.yaml" one-core
measure direct "$ECHO_URL" "$ECHO_PID" 1
measure gateway "$GW_URL" "$GW_PID" 1
stop_pid "$GW_PID"

echo "== c=$C_HIGH, the gateway alone on CPU 1" >&2
GW_CPU=1 start_gateway "$WORK/config.yaml" own-core
measure direct "$ECHO_URL" "$ECHO_PID" "$C_HIGH"
measure gateway "$GW_URL" "$GW_PID" "$C_HIGH"

echo
echo "machine: $(nproc) cores, $(uname -r); load average before: $LOADAVG"
echo "gateway: $(git describe --always --dirty 2>/dev/null || echo '?'), HANGAR_LOG=$HANGAR_LOG; driver and back end (1 thread each) on CPU 0"
printf '%-8s %4s %-10s %10s %9s %9s %9s %6s %13s %12s\n' path c gateway 'req/s' 'p50 µs' 'p90 µs' 'p99 µs' errors 'CPU µs/call' 'ctxsw/call'
for c in 1 "$C_HIGH"; do
    where=$([[ $c == 1 ]] && echo "CPU 0" || echo "CPU 1")
    for name in direct gateway; do
        read -r rps p50 p90 p99 _ errors cpu cs _ <<<"${ROWS[$name.$c]}"
        [[ $name == direct ]] && shown=— || shown=$where
        printf '%-8s %4s %-10s %10s %9s %9s %9s %6s %13s %12s\n' "$name" "$c" "$shown" "$rps" "$p50" "$p90" "$p99" "$errors" "$cpu" "$cs"
    done
done
read -r _ d1_p50 _ <<<"${ROWS[direct.1]}"
read -r _ g1_p50 _ <<<"${ROWS[gateway.1]}"
read -r dh_rps _ <<<"${ROWS[direct.$C_HIGH]}"
read -r gh_rps _ _ _ _ _ gh_cpu _ <<<"${ROWS[gateway.$C_HIGH]}"
echo
awk -v d="$d1_p50" -v g="$g1_p50" 'BEGIN {printf "added p50 at c=1, one CPU:              %7.1f µs   (budget <= 50 µs)\n", g - d}'
awk -v d="$dh_rps" -v g="$gh_rps" -v c="$C_HIGH" 'BEGIN {printf "throughput at c=%s, gateway on its own CPU: %5.1f %% of direct   (budget >= 60 %%)\n", c, 100 * g / d}'
echo "gateway CPU per call at c=$C_HIGH:           $gh_cpu µs   (budget <= 25 µs)"
