#!/usr/bin/env bash
# The soak run of issue 6: the gateway's resident memory across DURATION seconds
# (default 300) of mixed traffic — valid tools/call from one tenant (paced), calls with
# a bad token, and bench/soak/hostile.py's bad requests on two connections at a time —
# sampled every SAMPLE seconds; prints RSS before, during (min/max) and after, and the
# answers each kind of traffic got. Run by hand, not in CI (docs/performance.md).
#
#   bash bench/soak/run.sh                  # 300 s
#   DURATION=60 bash bench/soak/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-300}
SAMPLE=${SAMPLE:-10}
RATE=${RATE:-500}

source bench/load/lib.sh
start_echo
TOKEN=$(mint agent-soak tenant:soak)
echo_config tenant:soak >"$WORK/soak.yaml"
start_gateway "$WORK/soak.yaml" soak
PORT=${GW_BASE##*:}

sleep 2
RSS_IDLE=$(kb VmRSS "$GW_PID")
echo "gateway pid $GW_PID on $GW_BASE; idle VmRSS ${RSS_IDLE} kB" >&2

pids=()
$LOAD run --url "$GW_URL" --header "Authorization: Bearer $TOKEN" "${STATELESS[@]}" --body "$BODY" \
    --concurrency 4 --rate "$RATE" --duration "$DURATION" --warmup 0 >"$WORK/valid.txt" &
pids+=($!)
$LOAD run --url "$GW_URL" --header "Authorization: Bearer not.a.valid-token" "${STATELESS[@]}" --body "$BODY" \
    --concurrency 2 --rate 200 --duration "$DURATION" --warmup 0 >"$WORK/bad_token.txt" 2>&1 &
pids+=($!)
for i in 1 2; do
    python3 bench/soak/hostile.py 127.0.0.1 "$PORT" "$TOKEN" "$DURATION" >"$WORK/hostile.$i.json" &
    pids+=($!)
done

samples=()
end=$((SECONDS + DURATION))
while ((SECONDS < end)); do
    sleep "$SAMPLE"
    samples+=("$(kb VmRSS "$GW_PID")")
    echo "t=$((DURATION - (end - SECONDS)))s VmRSS ${samples[-1]} kB" >&2
done
for pid in "${pids[@]}"; do
    wait "$pid" || true
done
sleep 2
RSS_AFTER=$(kb VmRSS "$GW_PID")
HWM=$(kb VmHWM "$GW_PID")
min=${samples[0]} max=${samples[0]}
for s in "${samples[@]}"; do
    ((s < min)) && min=$s
    ((s > max)) && max=$s
done
echo "== soak: ${DURATION}s, $(nproc) cores; load average before: $LOADAVG"
echo "VmRSS idle before: ${RSS_IDLE} kB; during: min ${min} kB, max ${max} kB; idle after: ${RSS_AFTER} kB; peak (VmHWM): ${HWM} kB"
echo "first half mean vs second half mean (kB): $(printf '%s\n' "${samples[@]}" | awk '{a[NR]=$1} END {h=int(NR/2); for(i=1;i<=h;i++) s1+=a[i]; for(i=h+1;i<=NR;i++) s2+=a[i]; printf "%.0f vs %.0f", s1/h, s2/(NR-h)}')"
echo "valid calls:     $(grep '^RESULT' "$WORK/valid.txt")"
echo "bad-token calls: $(grep '^RESULT' "$WORK/bad_token.txt" || tail -1 "$WORK/bad_token.txt")"
for i in 1 2; do
    echo "hostile $i:       $(cat "$WORK/hostile.$i.json")"
done
kill -0 "$GW_PID" && echo "gateway still running after the soak"
