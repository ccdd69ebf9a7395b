# Shared by the scripts of bench/load (sourced, from the repository root): the default
# measurement settings, a work directory, the cleanup of everything started (by pid),
# /proc readers, and starting the echo back end and the gateway. Builds the release
# binaries first.

# Seconds per measurement and of warm-up, the high concurrency, the gateway's log level:
# from the environment, else what the script set before sourcing this, else these.
: "${DURATION:=10}" "${WARMUP:=2}" "${C_HIGH:=32}"
export HANGAR_LOG=${HANGAR_LOG:-info}

cargo build --release -p hangar-load -p mcp-hangar >&2
BIN=target/release
LOAD=$BIN/hangar-load
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
# The gateway's HS256 secret (from its environment; tokens from `mint`).
SECRET="hangar-bench-hs256-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export HANGAR_BENCH_JWT_SECRET=$SECRET

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hangar-load.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n ${KEEP_WORK:-} ]]; then
        echo "logs kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# wait_line FILE: the first line of FILE once it has one (5 s at most).
wait_line() {
    local file=$1 i
    for ((i = 0; i < 500; i++)); do
        if [[ -s $file ]] && IFS= read -r line <"$file"; then
            printf '%s\n' "$line"
            return 0
        fi
        sleep 0.01
    done
    echo "no ready line in $file" >&2
    return 1
}

# cpu_ticks PID: utime + stime of PID, in clock ticks (0 for no PID).
cpu_ticks() {
    [[ -n $1 ]] || {
        echo 0
        return
    }
    # Field 2 (comm) has no spaces for our binaries; utime/stime are fields 14 and 15.
    awk '{print $14 + $15}' "/proc/$1/stat"
}

# kb FIELD PID: a /proc/PID/status field in kB.
kb() {
    awk -v f="$1:" '$1 == f {print $2}' "/proc/$2/status"
}

# ctx_switches PID: voluntary + involuntary context switches of all of PID's threads.
ctx_switches() {
    cat /proc/"$1"/task/*/status 2>/dev/null |
        awk '$1 ~ /^(non)?voluntary_ctxt_switches:$/ {n += $2} END {print n + 0}'
}

# busy_ticks: CPU ticks the whole machine spent busy (all cores), from /proc/stat.
busy_ticks() {
    awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}

field() { # field NAME LINE: the value of NAME=... in a RESULT line
    sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

TCK=$(getconf CLK_TCK)

# on_cpu CPU: the command prefix that runs a program on that CPU only (nothing when CPU
# is empty). ECHO_CPU, GW_CPU and DRIVER_CPU pin the back end, the gateway and the driver.
on_cpu() {
    [[ -n ${1:-} ]] && echo "taskset -c $1"
    return 0
}

# measure NAME URL PID C: one driver run against URL (HEADERS, BODY, DURATION, WARMUP;
# on DRIVER_CPU when set), with PID the process serving it; stores "rps p50 p90 p99 max
# errors cpu_us ctxsw driver_us other% echo_us" in ROWS[NAME.C] (cpu_us: PID's CPU per
# call; echo_us: the echo back end's).
declare -A ROWS
measure() {
    local name=$1 url=$2 pid=$3 c=$4 before after cs_before cs_after out total cpu cs
    local others_before others_after sys_before sys_after other driver echo_before echo_after echo
    cs_before=$(ctx_switches "$pid")
    echo_before=$(cpu_ticks "$ECHO_PID")
    others_before=$((echo_before + $(cpu_ticks "${GW_PID:-}")))
    sys_before=$(busy_ticks)
    before=$(cpu_ticks "$pid")
    # shellcheck disable=SC2046
    out=$($(on_cpu "${DRIVER_CPU:-}") $LOAD run --url "$url" "${HEADERS[@]}" --body "$BODY" --concurrency "$c" \
        --duration "$DURATION" --warmup "$WARMUP" ${DRIVER_THREADS:+--threads "$DRIVER_THREADS"})
    after=$(cpu_ticks "$pid")
    sys_after=$(busy_ticks)
    echo_after=$(cpu_ticks "$ECHO_PID")
    others_after=$((echo_after + $(cpu_ticks "${GW_PID:-}")))
    cs_after=$(ctx_switches "$pid")
    echo "  $name: $(head -1 <<<"$out")" >&2
    grep -q '^first error' <<<"$out" && grep '^first error' <<<"$out" >&2
    out=$(grep '^RESULT' <<<"$out")
    total=$(field total "$out")
    cpu=$(per_call $((after - before)) "$total")
    echo=$(per_call $((echo_after - echo_before)) "$total")
    # CPU the rest of the machine used meanwhile (not driver, back end or gateway), in %
    # of all cores over the run: anything above a few % means the numbers are disturbed.
    other=$(awk -v s=$((sys_after - sys_before)) -v o=$((others_after - others_before)) \
        -v d="$(field driver_ticks "$out")" -v hz="$TCK" -v t="$((DURATION + WARMUP))" -v n="$(nproc)" \
        'BEGIN {x = (s - o - d) / hz / t / n * 100; if (x < 0) x = 0; printf "%.0f%%", x}')
    cs=$(awk -v d=$((cs_after - cs_before)) -v n="$total" 'BEGIN {printf "%.2f", d / n}')
    driver=$(per_call "$(field driver_ticks "$out")" "$total")
    ROWS[$name.$c]="$(field rps "$out") $(field p50_us "$out") $(field p90_us "$out") $(field p99_us "$out") $(field max_us "$out") $(field errors "$out") $cpu $cs $driver $other $echo"
}

# per_call TICKS CALLS: CPU clock ticks as µs per call.
per_call() {
    awk -v t="$1" -v hz="$TCK" -v n="$2" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}'
}

# start_echo: starts mcp-echo-backend (BACKEND_THREADS threads); sets ECHO_PID, ECHO_URL.
start_echo() {
    rm -f "$WORK/echo.out" # a restarted back end: never read the last one's ready line
    # shellcheck disable=SC2046
    $(on_cpu "${ECHO_CPU:-}") $BIN/mcp-echo-backend --threads "${BACKEND_THREADS:-2}" >"$WORK/echo.out" 2>"$WORK/echo.err" &
    ECHO_PID=$!
    PIDS+=("$ECHO_PID")
    ECHO_URL=$(wait_line "$WORK/echo.out" | sed -n 's/.*listening on //p')
}

# start_gateway CONFIG NAME: starts mcp-hangar on CONFIG (data and logs under
# $WORK/NAME.*) and waits for /health/ready, then 1 s; sets GW_PID, GW_BASE, GW_URL.
# GATEWAY_BIN runs another build of the gateway (to compare two builds on one machine).
start_gateway() {
    local config=$1 name=$2 i
    # shellcheck disable=SC2046
    $(on_cpu "${GW_CPU:-}") "${GATEWAY_BIN:-$BIN/mcp-hangar}" --config "$config" --data-dir "$WORK/$name.data" serve --http --host 127.0.0.1 --port 0 \
        >"$WORK/$name.out" 2>"$WORK/$name.err" &
    GW_PID=$!
    PIDS+=("$GW_PID")
    GW_BASE=$(wait_line "$WORK/$name.out" | sed -n 's/.*listening on //p')
    GW_URL="$GW_BASE/mcp"
    for ((i = 0; i < 500; i++)); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "$GW_BASE/health/ready") == 200 ]] && break
        sleep 0.01
    done
    sleep 1
}

# stop_pid PID: SIGTERM, wait for it, and forget it (cleanup will not signal it again).
stop_pid() {
    local kept=() pid
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    for pid in "${PIDS[@]}"; do
        [[ $pid == "$1" ]] || kept+=("$pid")
    done
    PIDS=("${kept[@]}")
}

# config_head: the benchmark config up to the echo back end's member rules (front_door,
# HS256 JWTs from `mint`, tenant from `tenant_id`); append the rules, indented 8.
config_head() {
    cat <<EOF
tool_access:
  mode: front_door
auth:
  enabled: true
  allow_anonymous: false
  jwt:
    enabled: true
    algorithm: HS256
    secret: \${HANGAR_BENCH_JWT_SECRET}
    issuer: hangar-bench
    audience: mcp-hangar
    tenant_claim: tenant_id
mcp_servers:
  echo:
    mode: remote
    endpoint: $ECHO_URL
    description: "Echo back end of the load benchmark"
    tool_access:
      member:
EOF
}

# mint SUB TENANT: an HS256 JWT for the gateway's config.
mint() {
    $LOAD mint-hs256 --secret "$SECRET" \
        --claims "{\"sub\":\"$1\",\"tenant_id\":\"$2\",\"iss\":\"hangar-bench\",\"aud\":\"mcp-hangar\"}"
}

# echo_config TENANT...: the benchmark config (config_head) with each TENANT allowed the
# echo tool.
echo_config() {
    local tenant
    config_head
    for tenant in "$@"; do
        printf '        "%s": { allow_list: [echo] }\n' "$tenant"
    done
}

# The stateless 2026-07-28 tools/call of echo every driver sends, and its headers
# (without the credential: `--header "Authorization: Bearer …"` goes beside them).
BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}'
STATELESS=(--header "MCP-Protocol-Version: 2026-07-28" --header "Mcp-Method: tools/call" --header "Mcp-Name: echo")
