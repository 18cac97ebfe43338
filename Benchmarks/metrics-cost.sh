#!/usr/bin/env bash
# What the /metrics instrumentation costs on the request path: GET /tasks through nginx with
# per-request counting on (the default) and off (`"metrics": false`), ROUNDS times each in
# alternating order (on/off, then off/on, …) so drift on a shared machine hits both sides alike.
# Each run: a fresh worker and nginx, SEED_TASKS tasks, a WARMUP wrk run, then DURATION measured.
#
#   Benchmarks/metrics-cost.sh                  # ROUNDS=3, 10 s per run, ~2 min
#   ROUNDS=5 DURATION=20s Benchmarks/metrics-cost.sh
#
# Prints one line per run and then the medians:
#   metrics=on  rps=N cpu_us_per_req=N
#   median on: rps=N cpu_us_per_req=N   median off: rps=N cpu_us_per_req=N   rps_change=-N.N%
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-16}
SEED_TASKS=${SEED_TASKS:-1000}
# shellcheck source=lib.sh
. "$ROOT/Benchmarks/lib.sh"
bench_init wrk
HZ=$(getconf CLK_TCK)

ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }   # utime + stime of the worker

# measure on|off: one fresh worker + nginx, one measured run; prints "metrics=MODE rps=N cpu_us_per_req=N".
measure() {
    local mode=$1 dir=$TMP/$1-$RANDOM t0 t1
    mkdir -p "$dir"
    WORKER_CONFIG_EXTRA=$([[ $mode == off ]] && echo '"metrics": false' || echo '"metrics": true') start_worker "$dir"
    start_nginx "$dir"
    seed_sql "$dir/tasks.db" "$SEED_TASKS"
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/tasks") == 200 ]] || die "GET /tasks failed"
    wrk -t2 -c"$CONNS" -d"$WARMUP" "$BASE/tasks" >/dev/null
    t0=$(ticks "$WPID")
    wrk -t2 -c"$CONNS" -d"$DURATION" "$BASE/tasks" >"$dir/wrk.txt"
    t1=$(ticks "$WPID")
    awk -v mode="$mode" -v t=$((t1 - t0)) -v hz="$HZ" '
        / requests in / { n = $1 }
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        END { if (bad > 0) { print "non-2xx responses: " bad > "/dev/stderr"; exit 1 }
              printf "metrics=%-3s rps=%.0f cpu_us_per_req=%.1f\n", mode, rps, t / hz * 1e6 / n }' "$dir/wrk.txt"
    stop_nginx
    stop_worker
}

log "GET /tasks, $ROUNDS rounds of metrics on/off, $DURATION each after $WARMUP warm-up, $CONNS connections; uptime: $(uptime)"
results=$TMP/results.txt
for round in $(seq "$ROUNDS"); do
    if ((round % 2)); then order=(on off); else order=(off on); fi
    for mode in "${order[@]}"; do measure "$mode" | tee -a "$results"; done
done
median() { grep "metrics=$1 " "$results" | sed -n "s/.* $2=\([0-9.]*\).*/\1/p" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
on_rps=$(median on rps) off_rps=$(median off rps)
printf 'median on: rps=%s cpu_us_per_req=%s   median off: rps=%s cpu_us_per_req=%s   rps_change=%+.1f%%\n' \
    "$on_rps" "$(median on cpu_us_per_req)" "$off_rps" "$(median off cpu_us_per_req)" \
    "$(awk -v a="$on_rps" -v b="$off_rps" 'BEGIN { print (a - b) / b * 100 }')"
