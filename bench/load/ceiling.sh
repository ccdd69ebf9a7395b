#!/usr/bin/env bash
# How much of direct throughput a proxy doing next to nothing keeps on this machine (run
# by hand, not in CI). At c=C_HIGH it measures the echo back end direct, then through
# three proxies in turn: hangar-relay tcp (a layer-4 byte copy, parses nothing),
# hangar-relay http (hyper server to hyper client, passes requests on as they came) and
# the gateway (front_door, HS256 JWT, policy, the MCP codec). Each in two layouts:
#
#   shared  all pieces on both cores, as in run.sh (back end: 2 threads);
#   pinned  driver and back end on CPU 0 (1 thread each), the proxy alone on CPU 1, as in
#           pinned.sh.
#
# The relays show what the budget's "≥ 60 % of direct" can mean with a back end as cheap
# as this one: see docs/performance.md ("Reference proxies").
#
#   bash bench/load/ceiling.sh                    # 10 s per measurement, 2 s warm-up
#   LAYOUTS=pinned DURATION=20 bash bench/load/ceiling.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
LAYOUTS=${LAYOUTS:-shared pinned}

# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh
RELAY=$BIN/hangar-relay

# start_relay KIND NAME: starts hangar-relay KIND in front of the echo back end (on
# GW_CPU; logs in $WORK/NAME.*); sets GW_PID and GW_URL, as start_gateway does, so that
# measure counts its CPU.
start_relay() {
    local authority=${ECHO_URL#http://}
    # shellcheck disable=SC2046
    $(on_cpu "${GW_CPU:-}") "$RELAY" "$1" --to "${authority%%/*}" >"$WORK/$2.out" 2>"$WORK/$2.err" &
    GW_PID=$!
    PIDS+=("$GW_PID")
    GW_URL="$(wait_line "$WORK/$2.out" | sed -n 's/.*listening on //p')/mcp"
    sleep 1
}

for layout in $LAYOUTS; do
    case $layout in
    shared) BACKEND_THREADS=2 DRIVER_THREADS='' ECHO_CPU='' DRIVER_CPU='' GW_CPU='' ;;
    pinned) BACKEND_THREADS=1 DRIVER_THREADS=1 ECHO_CPU=0 DRIVER_CPU=0 GW_CPU=1 ;;
    *)
        echo "unknown layout $layout (shared or pinned)" >&2
        exit 2
        ;;
    esac
    echo "== $layout, c=$C_HIGH (${DURATION}s each after ${WARMUP}s warm-up)" >&2
    start_echo
    TOKEN=$(mint bench-agent tenant:bench)
    echo_config tenant:bench >"$WORK/config.yaml"
    HEADERS=(--header "Authorization: Bearer $TOKEN" "${STATELESS[@]}")
    GW_PID='' # no proxy yet
    measure "$layout/direct" "$ECHO_URL" "$ECHO_PID" "$C_HIGH"
    for relay in tcp http; do
        start_relay "$relay" "$layout-relay-$relay"
        measure "$layout/relay-$relay" "$GW_URL" "$GW_PID" "$C_HIGH"
        stop_pid "$GW_PID"
    done
    start_gateway "$WORK/config.yaml" "$layout-gateway"
    measure "$layout/gateway" "$GW_URL" "$GW_PID" "$C_HIGH"
    stop_pid "$GW_PID"
    stop_pid "$ECHO_PID"
done

echo
echo "machine: $(nproc) cores, $(uname -r); load average before: $LOADAVG"
echo "gateway: $(git describe --always --dirty 2>/dev/null || echo '?'), HANGAR_LOG=$HANGAR_LOG; c=$C_HIGH"
echo "CPU per call: of the proxy, and of the driver and the back end together (a hop makes their own work dearer too)"
printf '%-8s %-12s %10s %10s %9s %9s %6s %10s %16s %10s\n' layout path 'req/s' 'of direct' 'p50 µs' 'p99 µs' errors 'proxy µs' 'driver+back µs' 'other CPU'
for layout in $LAYOUTS; do
    read -r direct _ <<<"${ROWS[$layout/direct.$C_HIGH]}"
    for path in direct relay-tcp relay-http gateway; do
        read -r rps p50 _ p99 _ errors cpu _ driver other echo <<<"${ROWS[$layout/$path.$C_HIGH]}"
        share=$(awk -v g="$rps" -v d="$direct" 'BEGIN {printf "%.1f %%", 100 * g / d}')
        ends=$(awk -v d="$driver" -v e="$echo" 'BEGIN {printf "%.1f", d + e}')
        [[ $path == direct ]] && cpu=—
        printf '%-8s %-12s %10s %10s %9s %9s %6s %10s %16s %10s\n' "$layout" "$path" "$rps" "$share" "$p50" "$p99" "$errors" "$cpu" "$ends" "$other"
    done
done
