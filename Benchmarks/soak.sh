#!/usr/bin/env bash
# Soak test: the release worker behind a throw-away nginx under a steady mixed load for a long time.
#
#   SOAK_SECONDS=300 Benchmarks/soak.sh        # default 300 s
#
# wrk (-t2 -c64) cycles by a counter through GET /tasks, GET /tasks/{id}, GET /healthz and
# POST /tasks (urlencoded `title=Soak+N&due=2030-01-01T10:00`), while the worker's VmRSS is sampled
# every 5 s from /proc. At the end it prints the requests, the non-2xx/3xx responses, the socket
# errors (connect/read/write/timeout) and RSS first/last/max, and exits 1 if any response was not
# 2xx/3xx, any socket error happened, the worker died, or RSS grew more than 20% from the sample
# at 20% of the run to the end (growth before that is warm-up: SQLite page caches, allocator arenas).
#
# Settings (environment): SOAK_SECONDS (300), CONNECTIONS (64), WRK_THREADS (2), WORKER_THREADS (4),
# WRK_TIMEOUT (10s: a response slower than this counts as a timeout socket error), SEED_TASKS (100,
# the ids GET /tasks/{id} cycles through), SAMPLE_SECONDS (5), MAX_RSS_GROWTH_PCT (20), BIN (a
# taskfcgi binary; skips the build), SKIP_BUILD=1, KEEP_TMP=1 (keep the temp folder), PORT (first
# port tried, 18380).
#
# Non-interactive; every process it starts is stopped by its own pid at exit; the temp folder
# (/tmp/taskfcgi-bench.*) is removed unless the run failed or KEEP_TMP=1. Progress goes to stderr,
# the results to stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOAK_SECONDS=${SOAK_SECONDS:-300}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
WORKER_THREADS=${WORKER_THREADS:-4}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
SEED_TASKS=${SEED_TASKS:-100}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-5}
MAX_RSS_GROWTH_PCT=${MAX_RSS_GROWTH_PCT:-20}

# shellcheck source=lib.sh
. "$ROOT/Benchmarks/lib.sh"
log() { printf '[soak %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

[[ $SOAK_SECONDS =~ ^[0-9]+$ && $SOAK_SECONDS -ge 10 ]] || die "SOAK_SECONDS must be a whole number ≥ 10, not '$SOAK_SECONDS'"

# Tools, build, temp folder, and every process it starts stopped by pid at exit (lib.sh).
bench_init wrk

THREADS=$WORKER_THREADS start_worker "$TMP"
log "worker pid $WPID ($BIN)"

# Tasks for GET /tasks/{id}: ids 1…SEED_TASKS, due in 2030 (the job leaves them alone).
now_ms=$(($(date +%s) * 1000))
sql "$TMP/tasks.db" <<EOF
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $SEED_TASKS)
INSERT INTO tasks (id, title, due_at, created_at)
SELECT i, 'Seed ' || i, 1893492000000 + i * 60000, $now_ms FROM n;
COMMIT;
EOF

PORT=${PORT:-18380} start_nginx "$TMP"
for _ in $(seq 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" || true) == 200 ]] && break
    sleep 0.1
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" || true) == 200 ]] || die "GET $BASE/healthz did not answer 200"
log "nginx on $BASE"

# --- the load ----------------------------------------------------------------------------------
cat >"$TMP/soak.lua" <<'EOF'
-- One request after another, chosen by a per-thread counter (10 steps):
-- 4 × GET /tasks, 3 × GET /tasks/{id}, 2 × GET /healthz, 1 × POST /tasks with a unique title.
local threads = {}
local counter = 0
local seeded = tonumber(os.getenv("SEED_TASKS") or "100") or 100

function setup(thread)
    thread:set("tid", #threads)   -- a global in that thread's Lua state
    table.insert(threads, thread)
end

function request()
    counter = counter + 1
    local step = counter % 10
    if step < 4 then
        return wrk.format("GET", "/tasks")
    elseif step < 7 then
        return wrk.format("GET", "/tasks/" .. ((counter % seeded) + 1))
    elseif step < 9 then
        return wrk.format("GET", "/healthz")
    else
        -- unique across threads: thread id, then the counter
        local n = tid * 1000000000 + counter
        return wrk.format("POST", "/tasks",
            { ["Content-Type"] = "application/x-www-form-urlencoded" },
            "title=Soak+" .. n .. "&due=2030-01-01T10:00")
    end
end
EOF

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$WPID/status" 2>/dev/null || true; }

# RSS sampler: "elapsed_seconds rss_kb" every SAMPLE_SECONDS until the worker or the run ends.
: >"$TMP/rss.txt"
(
    start=$SECONDS
    while kill -0 "$WPID" 2>/dev/null; do
        printf '%d %s\n' $((SECONDS - start)) "$(rss_kb)" >>"$TMP/rss.txt"
        sleep "$SAMPLE_SECONDS"
    done
) &
PIDS+=("$!")
SAMPLER=$!

log "wrk -t$WRK_THREADS -c$CONNECTIONS -d${SOAK_SECONDS}s --timeout $WRK_TIMEOUT (uptime: $(uptime))"
set +e
SEED_TASKS=$SEED_TASKS wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${SOAK_SECONDS}s" --timeout "$WRK_TIMEOUT" \
    -s "$TMP/soak.lua" "$BASE" >"$TMP/wrk.out" 2>&1
wrk_rc=$?
set -e
final_rss=$(rss_kb)
stop_pid "$SAMPLER"
[[ -n $final_rss ]] && printf '%d %s\n' "$SOAK_SECONDS" "$final_rss" >>"$TMP/rss.txt"
cat "$TMP/wrk.out" >&2
[[ $wrk_rc -eq 0 ]] || die "wrk failed (exit $wrk_rc)"

# --- results -----------------------------------------------------------------------------------
requests=$(awk '/requests in/ { print $1; exit }' "$TMP/wrk.out")
non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2; exit }' "$TMP/wrk.out")
non2xx=${non2xx:-0}
read -r sock_connect sock_read sock_write sock_timeout < <(
    awk '/Socket errors:/ { gsub(",", ""); print $4, $6, $8, $10; found = 1 } END { if (!found) print 0, 0, 0, 0 }' "$TMP/wrk.out")
sock_total=$((sock_connect + sock_read + sock_write + sock_timeout))

alive=yes
kill -0 "$WPID" 2>/dev/null || alive=no
health=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" || true)

# RSS: the samples with a value (a dead worker leaves empty ones).
mapfile -t samples < <(awk 'NF == 2 && $2 > 0' "$TMP/rss.txt")
[[ ${#samples[@]} -ge 2 ]] || die "fewer than two RSS samples (worker alive: $alive)"
rss_first=$(awk '{ print $2 }' <<<"${samples[0]}")
rss_last=$(awk '{ print $2 }' <<<"${samples[-1]}")
rss_max=$(printf '%s\n' "${samples[@]}" | awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }')
mark=$((SOAK_SECONDS / 5))
rss_at20=$(printf '%s\n' "${samples[@]}" | awk -v mark="$mark" '$1 >= mark { print $2; exit }')
rss_at20=${rss_at20:-$rss_first}
growth_pct=$(awk -v a="$rss_at20" -v b="$rss_last" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
tasks=$(sql "$TMP/tasks.db" 'SELECT count(*) FROM tasks' 2>/dev/null || echo "?")
posted=$(awk 'BEGIN { n = 0 } /\[http\] POST \/tasks 303 / { n++ } END { print n }' "$TMP/worker.log")
errors=$(grep -c ' ERROR ' "$TMP/worker.log" || true)
rps=$(awk '/Requests\/sec/ { print $2; exit }' "$TMP/wrk.out")

cat <<EOF
soak: ${SOAK_SECONDS}s, $CONNECTIONS connections, $WRK_THREADS wrk threads, $WORKER_THREADS worker threads, $(nproc) cores
requests=$requests rps=$rps
non_2xx_3xx=$non2xx
socket_errors=$sock_total (connect=$sock_connect read=$sock_read write=$sock_write timeout=$sock_timeout)
rss_kb first=$rss_first at20pct=$rss_at20 last=$rss_last max=$rss_max growth_from_20pct=${growth_pct}% (limit ${MAX_RSS_GROWTH_PCT}%)
rss_samples=${#samples[@]} (every ${SAMPLE_SECONDS}s)
worker_alive=$alive healthz=$health tasks_in_db=$tasks posts_logged_303=$posted log_error_lines=$errors
EOF

failed=0
if [[ $non2xx != 0 ]]; then log "FAIL: $non2xx responses were not 2xx/3xx"; failed=1; fi
if [[ $sock_total != 0 ]]; then log "FAIL: $sock_total socket errors"; failed=1; fi
if [[ $alive != yes ]]; then log "FAIL: the worker died: $(tail -n 5 "$TMP/worker.out")"; failed=1; fi
if awk -v g="$growth_pct" -v m="$MAX_RSS_GROWTH_PCT" 'BEGIN { exit !(g > m) }'; then
    log "FAIL: RSS grew ${growth_pct}% from $rss_at20 kB (at 20% of the run) to $rss_last kB"
    failed=1
fi
if [[ $failed == 0 ]]; then echo "soak: PASS"; else echo "soak: FAIL"; exit 1; fi
