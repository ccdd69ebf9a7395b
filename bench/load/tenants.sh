#!/usr/bin/env bash
# The rate-limit benchmark (run by hand, not in CI): three tenants call tools/call
# through the gateway at once (front_door, one HS256 JWT per tenant, the echo back end);
# tenant:a is driven far above its own rate, tenant:b and tenant:c send a fixed rate
# well within theirs. Two phases on a fresh gateway each, the same load both times:
#
#   baseline  the config without `rate_limits`;
#   limited   the same config plus `rate_limits` (per_tenant for everyone, tenant:a its own).
#
# Reported per phase and tenant: calls served per second, p50/p90/p99/max latency, errors,
# 429s (and how many lacked Retry-After); then tenant:b's and tenant:c's added p99 (the
# acceptance: at most 20 %), the gateway's CPU and the machine's busy share.
# See docs/performance.md ("Rate limits under load") for the last results.
#
#   bash bench/load/tenants.sh                      # 60 s per phase after 5 s warm-up
#   DURATION=10 WARMUP=2 bash bench/load/tenants.sh # a quick look
#   A_RATE=2000 bash bench/load/tenants.sh          # tenant:a paced at 2000 req/s instead of flat out
#
# Knobs: A_C (tenant:a's connections, default 8), A_RATE (0: as fast as answers come),
# BC_RATE (each of tenant:b and tenant:c, req/s, default 1000), BC_C (their connections,
# default 8), A_LIMIT (tenant:a's requests_per_second and burst, default 100),
# TENANT_LIMIT (everyone else's, default 10000), HANGAR_LOG (default info).
#
# Everything started here is stopped here, by pid.
set -euo pipefail

cd "$(dirname "$0")/../.."
DURATION=${DURATION:-60}
WARMUP=${WARMUP:-5}
A_C=${A_C:-8}
A_RATE=${A_RATE:-0}
BC_RATE=${BC_RATE:-1000}
BC_C=${BC_C:-8}
A_LIMIT=${A_LIMIT:-100}
TENANT_LIMIT=${TENANT_LIMIT:-10000}

# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh

start_echo

# --- tokens and configs --------------------------------------------------------------------
declare -A TOKEN
for t in a b c; do
    TOKEN[$t]=$(mint "agent-$t" "tenant:$t")
done
echo_config tenant:a tenant:b tenant:c >"$WORK/baseline.yaml"
cp "$WORK/baseline.yaml" "$WORK/limited.yaml"
cat >>"$WORK/limited.yaml" <<EOF
rate_limits:
  per_tenant: { requests_per_second: $TENANT_LIMIT, burst: $TENANT_LIMIT }
  tenants:
    "tenant:a": { requests_per_second: $A_LIMIT, burst: $A_LIMIT }
EOF

headers() { # headers TENANT: the driver's --header flags for TENANT
    printf '%s\n' --header "Authorization: Bearer ${TOKEN[$1]}" "${STATELESS[@]}"
}

# phase NAME: a fresh gateway on $WORK/NAME.yaml, one checked call per tenant, then the
# three drivers at once; stores "rps p50 p90 p99 max errors limited no_retry_after
# limited_per_s" in ROWS[NAME.T] and "gateway_cpu% machine_busy% other% gateway_us_per_request"
# in CPU[NAME]
# (other: what the rest of the machine used meanwhile, not drivers, gateway or back end).
declare -A ROWS CPU
phase() {
    local name=$1 t gw_before gw_after busy_before busy_after echo_before echo_after out secs drivers=0 requests=0
    start_gateway "$WORK/$name.yaml" "$name"
    for t in a b c; do
        mapfile -t flags < <(headers "$t")
        out=$($LOAD run --url "$GW_URL" "${flags[@]}" --body "$BODY" --requests 1 --warmup 0)
        if ! grep -q ' ok=1 ' <<<"$(grep '^RESULT' <<<"$out")"; then
            echo "$name: tenant:$t's first call failed: $out" >&2
            cat "$WORK/$name.err" >&2
            exit 1
        fi
    done
    echo "== $name (${DURATION}s after ${WARMUP}s warm-up)" >&2
    gw_before=$(cpu_ticks "$GW_PID")
    echo_before=$(cpu_ticks "$ECHO_PID")
    busy_before=$(busy_ticks)
    local pids=()
    for t in a b c; do
        mapfile -t flags < <(headers "$t")
        if [[ $t == a ]]; then
            $LOAD run --url "$GW_URL" "${flags[@]}" --body "$BODY" --concurrency "$A_C" --rate "$A_RATE" \
                --duration "$DURATION" --warmup "$WARMUP" >"$WORK/$name.$t.txt" &
        else
            $LOAD run --url "$GW_URL" "${flags[@]}" --body "$BODY" --concurrency "$BC_C" --rate "$BC_RATE" \
                --duration "$DURATION" --warmup "$WARMUP" >"$WORK/$name.$t.txt" &
        fi
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid"
    done
    gw_after=$(cpu_ticks "$GW_PID")
    echo_after=$(cpu_ticks "$ECHO_PID")
    busy_after=$(busy_ticks)
    secs=$((DURATION + WARMUP))
    for t in a b c; do
        out=$(grep '^RESULT' "$WORK/$name.$t.txt")
        drivers=$((drivers + $(field driver_ticks "$out")))
        requests=$((requests + $(field total "$out")))
    done
    CPU[$name]="$(awk -v t=$((gw_after - gw_before)) -v hz="$TCK" -v s="$secs" 'BEGIN {printf "%.0f%%", t / hz / s * 100}') \
$(awk -v t=$((busy_after - busy_before)) -v hz="$TCK" -v s="$secs" -v n="$(nproc)" 'BEGIN {printf "%.0f%%", t / hz / s / n * 100}') \
$(awk -v b=$((busy_after - busy_before)) -v o=$((gw_after - gw_before + echo_after - echo_before + drivers)) -v hz="$TCK" -v s="$secs" -v n="$(nproc)" \
        'BEGIN {x = (b - o) / hz / s / n * 100; if (x < 0) x = 0; printf "%.0f%%", x}') \
$(awk -v t=$((gw_after - gw_before)) -v hz="$TCK" -v r="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / r}')"
    for t in a b c; do
        echo "  tenant:$t: $(head -1 "$WORK/$name.$t.txt")" >&2
        grep -E '^(429|first error)' "$WORK/$name.$t.txt" >&2 || true
        out=$(grep '^RESULT' "$WORK/$name.$t.txt")
        ROWS[$name.$t]="$(field rps "$out") $(field p50_us "$out") $(field p90_us "$out") $(field p99_us "$out") $(field max_us "$out") $(field errors "$out") $(field limited "$out") $(field limited_no_retry_after "$out") $(awk -v n="$(field limited "$out")" -v s="$(field secs "$out")" 'BEGIN {printf "%.0f", n / s}')"
    done
    stop_pid "$GW_PID"
}

phase baseline
phase limited

# --- the table -----------------------------------------------------------------------------
a_load="flat out on $A_C connections"
[[ $A_RATE != 0 ]] && a_load="paced at $A_RATE req/s on $A_C connections"
echo
echo "machine: $(nproc) cores, $(uname -r); drivers, gateway and back end share them; load average before: $LOADAVG"
echo "gateway: $(git describe --always --dirty 2>/dev/null || echo '?'), HANGAR_LOG=$HANGAR_LOG; 2026-07-28 stateless tools/call, HS256 JWT per tenant"
echo "load: tenant:a $a_load; tenant:b and tenant:c $BC_RATE req/s each on $BC_C connections; ${DURATION}s after ${WARMUP}s warm-up"
echo "limited: per_tenant $TENANT_LIMIT/s (burst $TENANT_LIMIT), tenant:a $A_LIMIT/s (burst $A_LIMIT)"
printf '%-9s %-8s %9s %9s %9s %9s %10s %6s %8s %7s %15s\n' phase tenant 'ok/s' 'p50 µs' 'p90 µs' 'p99 µs' 'max µs' errors '429s' '429/s' 'no Retry-After'
for name in baseline limited; do
    for t in a b c; do
        read -r rps p50 p90 p99 max errors limited no_retry per_s <<<"${ROWS[$name.$t]}"
        printf '%-9s %-8s %9s %9s %9s %9s %10s %6s %8s %7s %15s\n' "$name" "tenant:$t" "$rps" "$p50" "$p90" "$p99" "$max" "$errors" "$limited" "$per_s" "$no_retry"
    done
done
echo
for name in baseline limited; do
    read -r gw busy other per_request <<<"${CPU[$name]}"
    echo "$name: gateway CPU $gw of one core ($per_request µs per request, all tenants, 429s included); machine busy $busy of all cores; other CPU $other of all cores (should be ~0)"
done
for t in b c; do
    read -r _ p50_0 _ p99_0 _ <<<"${ROWS[baseline.$t]}"
    read -r _ p50_1 _ p99_1 _ errors _ <<<"${ROWS[limited.$t]}"
    awk -v t="$t" -v a="$p99_0" -v b="$p99_1" -v c="$p50_0" -v d="$p50_1" -v e="$errors" 'BEGIN {
        printf "tenant:%s: p99 %.1f -> %.1f µs (%+.1f %%, budget <= +20 %%), p50 %.1f -> %.1f µs, errors with limits: %d\n",
            t, a, b, 100 * (b - a) / a, c, d, e}'
done
