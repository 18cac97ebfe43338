#!/usr/bin/env bash
# TaskFCGI's own benchmark: the release worker behind nginx on this machine, driven with wrk over
# loopback. One command, no questions asked:
#
#   Benchmarks/run.sh              # everything (about 10 minutes: the leak check dominates)
#   QUICK=1 Benchmarks/run.sh      # short runs, no leak check (about 2 minutes)
#   PHASES="load sweep" Benchmarks/run.sh
#
# Phases (each on its own worker, database and nginx in a temp dir):
#   load      1,000 tasks; GET /healthz, GET /tasks, POST /tasks: rps, p50/p99, non-2xx,
#             worker CPU us per request, then the worker's peak RSS
#   lateness  1,000 tasks POSTed ahead, due over 60 s (to the second): action_at - due_at
#   sweep     1,000,000 due tasks inserted while the worker is stopped; start it: time until
#             all are completed, and GET /tasks p99 during the sweep vs idle afterwards
#   leak      RSS after 10,000 requests vs after 1,000,000 (a mix of GET routes)
#
# Result lines go to stdout and to Benchmarks/results/latest.txt (plus a dated copy);
# progress goes to stderr. Benchmarks/README.md explains every number. Tunables (env):
#   QUICK=1 PHASES="load lateness sweep leak" SKIP_BUILD=1 BIN=path COMMIT=label KEEP_TMP=1
#   DURATION=10s WARMUP=3s WRK_THREADS=2 GET_CONNS=16 POST_CONNS=8 SEED_TASKS=1000
#   LATENESS_TASKS=1000 LATENESS_SPREAD_S=60 LATENESS_LEAD_S=5 LATENESS_GRACE_S=5
#   SWEEP_TASKS=1000000 SWEEP_TIMEOUT_S=120 IDLE_DURATION=5s
#   LEAK_FIRST=10000 LEAK_TOTAL=1000000 RESULTS=Benchmarks/results/latest.txt
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/Benchmarks
cd "$ROOT"

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    PHASES=${PHASES:-load lateness sweep}
    DURATION=${DURATION:-3s}
    WARMUP=${WARMUP:-1s}
    LATENESS_SPREAD_S=${LATENESS_SPREAD_S:-20}
fi
PHASES=${PHASES:-load lateness sweep leak}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
WRK_THREADS=${WRK_THREADS:-2}
GET_CONNS=${GET_CONNS:-16}
POST_CONNS=${POST_CONNS:-8}
THREADS=${THREADS:-4}
SEED_TASKS=${SEED_TASKS:-1000}
LATENESS_TASKS=${LATENESS_TASKS:-1000}
LATENESS_SPREAD_S=${LATENESS_SPREAD_S:-60}
LATENESS_LEAD_S=${LATENESS_LEAD_S:-5}
LATENESS_GRACE_S=${LATENESS_GRACE_S:-5}
SWEEP_TASKS=${SWEEP_TASKS:-1000000}
SWEEP_TIMEOUT_S=${SWEEP_TIMEOUT_S:-120}
IDLE_DURATION=${IDLE_DURATION:-5s}
LEAK_FIRST=${LEAK_FIRST:-10000}
LEAK_TOTAL=${LEAK_TOTAL:-1000000}
RESULTS=${RESULTS:-$BENCH/results/latest.txt}
export POST_BODY=${POST_BODY:-'title=Buy+milk+%26+eggs+%3Cfresh%3E+for+%22Sam%27s%22+party&due=2027-01-01T09:00'}

# shellcheck source=lib.sh
. "$BENCH/lib.sh"
# A result line: stdout and the results file.
out() { printf '%s\n' "$*" | tee -a "$RESULT_TMP"; }

GIVEN_BIN=${BIN:-}
bench_init wrk
RESULT_TMP=$TMP/results.txt
HZ=$(getconf CLK_TCK)

# ---- measuring -------------------------------------------------------------------------------
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }   # utime + stime
rss_kb() { awk -v k="$2" '$1 == k ":" { print $2 }' "/proc/$1/status"; }       # VmRSS / VmHWM
secs() { local d=$1; case $d in *ms) echo 1 ;; *m) echo $((${d%m} * 60)) ;; *s) echo "${d%s}" ;; *) echo "$d" ;; esac; }

# wrk_summary FILE: wrk --latency output -> "rps=N p50_ms=N p99_ms=N non2xx=N sock_err=N requests=N"
wrk_summary() {
    awk '
        function ms(v) {
            if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
            if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
            if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
            if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
            return v + 0
        }
        /^ +50% / { p50 = ms($2) }
        /^ +99% / { p99 = ms($2) }
        / requests in / { reqs = $1 }
        /Socket errors:/ { gsub(/,/, ""); serr = $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx responses:/ { non = $NF }
        /^Requests\/sec:/ { rps = $2 }
        END { printf "rps=%.0f p50_ms=%.3f p99_ms=%.3f non2xx=%d sock_err=%d requests=%d\n",
                     rps, p50, p99, non + 0, serr + 0, reqs + 0 }' "$1"
}
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $2"; }   # field NAME LINE

# load_route LABEL CONNS PATH [LUA]: warm-up, then the measured wrk run; one result line.
load_route() {
    local label=$1 conns=$2 path=$3 lua=${4:-} dir=$TMP/load
    local args=(-t"$WRK_THREADS" -c"$conns" --latency) bytes="" t0 t1 summary reqs cpu
    [[ -n $lua ]] && args+=(-s "$lua")
    [[ $label == GET:* ]] && bytes=" bytes=$(curl -s -o /dev/null -w '%{size_download}' "$BASE$path")"
    timeout $(($(secs "$WARMUP") + 30)) wrk "${args[@]}" -d"$WARMUP" "$BASE$path" >/dev/null
    t0=$(cpu_ticks "$WPID")
    timeout $(($(secs "$DURATION") + 30)) wrk "${args[@]}" -d"$DURATION" "$BASE$path" >"$dir/wrk-${label//[:\/]/_}.txt"
    t1=$(cpu_ticks "$WPID")
    summary=$(wrk_summary "$dir/wrk-${label//[:\/]/_}.txt")
    reqs=$(field requests "$summary")
    cpu=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$reqs" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
    out "$label $summary cpu_us_per_req=$cpu$bytes"
}

pct() {  # pct P FILE: nearest-rank percentile of the sorted numbers in FILE
    awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "NA"; exit } r = int(p * NR); if (r < p * NR) r++; if (r < 1) r = 1; print v[r] }' "$2"
}

# ---- phases ----------------------------------------------------------------------------------
phase_load() {
    local dir=$TMP/load
    mkdir -p "$dir"
    log "load: worker + nginx, $SEED_TASKS tasks, wrk -t$WRK_THREADS, $DURATION per route after $WARMUP warm-up"
    start_worker "$dir"
    start_nginx "$dir"
    seed_sql "$dir/tasks.db" "$SEED_TASKS"
    sleep 1.5   # the job notices the insert (PRAGMA data_version, 250 ms) and completes the past-due tenth
    local code
    code=$(curl -s -o "$dir/list.html" -w '%{http_code}' "$BASE/tasks")
    [[ $code == 200 ]] || die "GET /tasks answered $code"
    [[ $(grep -o '<tr><td class="title">' "$dir/list.html" | wc -l) -eq 50 ]] || log "warning: GET /tasks does not list 50 rows"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-raw "$POST_BODY" "$BASE/tasks")
    [[ $code == 303 ]] || die "POST /tasks answered $code"
    out "# load: uptime $(uptime | sed 's/^ *//')"
    load_route GET:/healthz "$GET_CONNS" /healthz
    load_route GET:/tasks "$GET_CONNS" /tasks
    load_route POST:/tasks "$POST_CONNS" /tasks "$BENCH/lua/post_task.lua"
    out "rss peak_rss_kb=$(rss_kb "$WPID" VmHWM) rss_kb=$(rss_kb "$WPID" VmRSS) rows_after=$(sql "$dir/tasks.db" 'SELECT count(*) FROM tasks')"
    stop_nginx
    stop_worker
}

phase_lateness() {
    local dir=$TMP/lateness i e d t0 cfg created_at deadline
    mkdir -p "$dir"
    log "lateness: $LATENESS_TASKS tasks due over ${LATENESS_SPREAD_S}s, POSTed ${LATENESS_LEAD_S}s ahead"
    start_worker "$dir"
    start_nginx "$dir"
    out "# lateness: uptime $(uptime | sed 's/^ *//')"
    t0=$(($(date +%s) + LATENESS_LEAD_S))
    cfg=$dir/posts.curl
    : >"$cfg"
    for ((i = 0; i < LATENESS_TASKS; i++)); do
        e=$((t0 + i * LATENESS_SPREAD_S / LATENESS_TASKS))
        TZ=UTC printf -v d '%(%Y-%m-%dT%H:%M:%S)T' "$e"
        ((i == 0)) || echo next >>"$cfg"
        printf 'url = "%s/tasks"\ndata-raw = "title=Lateness+check+%d&due=%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
            "$BASE" "$((i + 1))" "$d" >>"$cfg"
    done
    curl -s -K "$cfg" >"$dir/codes.txt" || true
    created_at=$EPOCHREALTIME
    [[ $(grep -c '^303$' "$dir/codes.txt") == "$LATENESS_TASKS" ]] \
        || die "only $(grep -c '^303$' "$dir/codes.txt") of $LATENESS_TASKS POSTs answered 303"
    awk -v a="$created_at" -v t="$t0" 'BEGIN { exit !(a > t) }' \
        && log "warning: creating the tasks took past the first due time; raise LATENESS_LEAD_S"
    deadline=$((t0 + LATENESS_SPREAD_S + LATENESS_GRACE_S))
    while (($(date +%s) < deadline)); do
        kill -0 "$WPID" 2>/dev/null || die "worker exited"
        sleep 1
    done
    sql "$dir/tasks.db" 'SELECT action_at - due_at FROM tasks WHERE completed = 1' | sort -g >"$dir/lateness.txt"
    local n
    n=$(wc -l <"$dir/lateness.txt")
    out "lateness tasks=$LATENESS_TASKS spread_s=$LATENESS_SPREAD_S completed=$n p50_ms=$(pct 0.50 "$dir/lateness.txt") p99_ms=$(pct 0.99 "$dir/lateness.txt") max_ms=$(tail -n1 "$dir/lateness.txt") min_ms=$(head -n1 "$dir/lateness.txt")"
    stop_nginx
    stop_worker
    ((n == LATENESS_TASKS)) || log "warning: $((LATENESS_TASKS - n)) tasks not completed"
}

# wait_swept DB: polls every 50 ms until no task is pending; SWEPT_AT is then $EPOCHREALTIME.
wait_swept() {
    local i
    for i in $(seq $((SWEEP_TIMEOUT_S * 20))); do
        if [[ $(sql "$1" 'SELECT EXISTS (SELECT 1 FROM tasks WHERE completed = 0)' 2>/dev/null) == 0 ]]; then
            SWEPT_AT=$EPOCHREALTIME
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# sweep_ms LOG: the milliseconds the worker logged for the runs that completed tasks.
sweep_ms() {
    grep -o 'completeDueTasks\] completed [0-9]* tasks in [0-9.]* ms' "$1" \
        | awk '$3 > 0 { ms += $6 } END { printf "%s", ms + 0 }'
}

phase_sweep() {
    local dir=$TMP/sweep now_ms t_start t_end wrk_pid sweep_s worker_ms during idle
    mkdir -p "$dir"
    log "sweep: creating the schema, then $SWEEP_TASKS due tasks while the worker is stopped"
    start_worker "$dir"     # creates and migrates the database
    stop_worker
    now_ms=$(($(date +%s) * 1000))
    local t0=$EPOCHREALTIME
    sql "$dir/tasks.db" <<EOF
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $SWEEP_TASKS)
INSERT INTO tasks (title, due_at, created_at)
SELECT 'Sweep task ' || i || ': review <report> & "notes"', $now_ms - 3600000 - i, $now_ms - 86400000 FROM n;
COMMIT;
EOF
    log "inserted $SWEEP_TASKS tasks in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
    : >"$dir/worker.log"

    # First on a copy with no HTTP load: how fast the job alone is.
    local quiet=$TMP/sweep-quiet f
    mkdir -p "$quiet"
    for f in "$dir"/tasks.db*; do cp "$f" "$quiet/"; done
    out "# sweep: uptime $(uptime | sed 's/^ *//')"
    t_start=$EPOCHREALTIME
    start_worker "$quiet"
    wait_swept "$quiet/tasks.db" || die "the quiet sweep did not finish within ${SWEEP_TIMEOUT_S}s"
    out "sweep quiet tasks=$SWEEP_TASKS seconds=$(awk -v a="$t_start" -v b="$SWEPT_AT" 'BEGIN { printf "%.2f", b - a }') worker_ms=$(sweep_ms "$quiet/worker.log")"
    stop_worker
    rm -rf "$quiet"

    # Then under GET /tasks load.
    start_nginx "$dir"      # before the worker: nginx answers 502 until the socket exists
    t_start=$EPOCHREALTIME
    start_worker "$dir"
    # GET /tasks load from the moment the socket exists until the last task is completed;
    # wrk prints its summary when interrupted (SIGINT).
    wrk -t"$WRK_THREADS" -c"$GET_CONNS" -d"$((SWEEP_TIMEOUT_S + 10))s" --latency "$BASE/tasks" >"$dir/wrk-during.txt" 2>&1 &
    wrk_pid=$!
    t_end=""
    wait_swept "$dir/tasks.db" && t_end=$SWEPT_AT
    kill -INT "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" || true
    [[ -n $t_end ]] || die "the sweep did not finish within ${SWEEP_TIMEOUT_S}s"
    sweep_s=$(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.2f", b - a }')
    worker_ms=$(sweep_ms "$dir/worker.log")
    during=$(wrk_summary "$dir/wrk-during.txt")
    sleep 1
    timeout $(($(secs "$IDLE_DURATION") + 30)) wrk -t"$WRK_THREADS" -c"$GET_CONNS" -d"$IDLE_DURATION" --latency "$BASE/tasks" >"$dir/wrk-idle.txt"
    idle=$(wrk_summary "$dir/wrk-idle.txt")
    out "sweep tasks=$SWEEP_TASKS seconds=$sweep_s worker_ms=$worker_ms completed=$(sql "$dir/tasks.db" 'SELECT count(*) FROM tasks WHERE completed = 1')"
    out "sweep GET:/tasks during $during"
    out "sweep GET:/tasks idle $idle wal_kb=$(( $(stat -c %s "$dir/tasks.db-wal" 2>/dev/null || echo 0) / 1024 ))"
    local load_p99
    load_p99=$(field p99_ms "$(grep '^GET:/tasks ' "$RESULT_TMP" | tail -n1 || true)")
    out "sweep p99_during_over_idle=$(awk -v a="$(field p99_ms "$during")" -v b="$(field p99_ms "$idle")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')${load_p99:+ p99_during_over_load_phase=$(awk -v a="$(field p99_ms "$during")" -v b="$load_p99" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')}"
    stop_nginx
    stop_worker
}

phase_leak() {
    local dir=$TMP/leak total rss10k chunk summary n rate trend=""
    mkdir -p "$dir"
    log "leak: $LEAK_FIRST requests, then up to $LEAK_TOTAL (GET mix), RSS after each"
    start_worker "$dir"
    start_nginx "$dir"
    seed_sql "$dir/tasks.db" "$SEED_TASKS"
    sleep 1.5
    out "# leak: uptime $(uptime | sed 's/^ *//')"
    # wrk's threads stop after STOP_AFTER responses each, but wrk itself always runs for -d: so
    # short runs, repeated until LEAK_FIRST requests are done.
    total=0
    while ((total < LEAK_FIRST)); do
        STOP_AFTER=$(((LEAK_FIRST - total + WRK_THREADS - 1) / WRK_THREADS)) \
            timeout 60 wrk -t"$WRK_THREADS" -c"$GET_CONNS" -d2s -s "$BENCH/lua/mix.lua" "$BASE/" >"$dir/wrk-first.txt"
        n=$(field requests "$(wrk_summary "$dir/wrk-first.txt")")
        ((n > 0)) || die "wrk made no requests: $(cat "$dir/wrk-first.txt")"
        total=$((total + n))
    done
    rss10k=$(rss_kb "$WPID" VmRSS)
    trend="$total:$rss10k"
    log "leak: $total requests, VmRSS $rss10k kB"
    rate=2000
    while ((total < LEAK_TOTAL)); do
        chunk=$(((LEAK_TOTAL - total) / rate + 1))
        ((chunk > 60)) && chunk=60
        ((chunk < 3)) && chunk=3
        timeout $((chunk + 30)) wrk -t"$WRK_THREADS" -c"$GET_CONNS" -d"${chunk}s" -s "$BENCH/lua/mix.lua" "$BASE/" >"$dir/wrk-chunk.txt"
        summary=$(wrk_summary "$dir/wrk-chunk.txt")
        n=$(field requests "$summary")
        ((n > 0)) || die "wrk made no requests: $(cat "$dir/wrk-chunk.txt")"
        total=$((total + n))
        rate=$(((n + chunk - 1) / chunk))
        trend="$trend $total:$(rss_kb "$WPID" VmRSS)"
        log "leak: $total requests, VmRSS $(rss_kb "$WPID" VmRSS) kB ($(field rps "$summary") rps)"
    done
    local rss1m
    rss1m=$(rss_kb "$WPID" VmRSS)
    out "leak requests_first=${trend%%:*} rss_kb_first=$rss10k requests_total=$total rss_kb_total=$rss1m growth_pct=$(awk -v a="$rss10k" -v b="$rss1m" 'BEGIN { printf "%.1f", (b - a) * 100 / a }') peak_rss_kb=$(rss_kb "$WPID" VmHWM)"
    out "leak trend(requests:VmRSS_kB) $trend"
    stop_nginx
    stop_worker
}

# ---- run ---------------------------------------------------------------------------------------
# COMMIT names the source of a BIN built elsewhere (e.g. from `git archive` of a commit).
if [[ -n ${COMMIT:-} ]]; then
    commit=$COMMIT
elif [[ -n $GIVEN_BIN ]]; then
    commit="unknown (BIN given; set COMMIT)"
else
    commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    [[ -n $(git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null) ]] && commit="$commit (with uncommitted changes in Sources)"
fi
{
    echo "# TaskFCGI benchmark, $(date -Is)"
    echo "# machine: nproc=$(nproc) cpu=\"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)\" kernel=$(uname -r) mem=$(awk '/^MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)"
    echo "# commit: $commit; $(swift --version 2>/dev/null | head -n1 || echo 'swift ?')"
    echo "# binary: $BIN ($(date -r "$BIN" -Is))"
    echo "# settings: PHASES=\"$PHASES\" QUICK=$QUICK DURATION=$DURATION WARMUP=$WARMUP WRK_THREADS=$WRK_THREADS GET_CONNS=$GET_CONNS POST_CONNS=$POST_CONNS threads=$THREADS SEED_TASKS=$SEED_TASKS"
    echo "# nginx: worker_processes 1, access_log off, no upstream keepalive; worker: unix socket, timeZone UTC, logLevel info"
} | tee "$RESULT_TMP"

for phase in $PHASES; do
    case $phase in
        load|lateness|sweep|leak) "phase_$phase" ;;
        *) die "unknown phase '$phase' (load lateness sweep leak)" ;;
    esac
done

# The targets that need no peer (the peer comparisons are Benchmarks/compare.sh's).
check() {  # check NAME VALUE OP LIMIT
    local verdict
    if [[ -z $2 || $2 == NA ]]; then verdict="n/a"
    elif awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { exit !(op == "<=" ? v <= l : v >= l) }'; then verdict=PASS
    else verdict=MISS; fi
    out "target $1: $2 $3 $4 $verdict"
}
r=$(cat "$RESULT_TMP")
line() { grep -E "^$1" <<<"$r" | tail -n1 || true; }
[[ " $PHASES " == *" load "* ]] && check peak_rss_mib "$(awk -v k="$(field peak_rss_kb "$(line 'rss ')")" 'BEGIN { printf "%.1f", k / 1024 }')" '<=' 32
[[ " $PHASES " == *" lateness "* ]] && check lateness_p99_ms "$(field p99_ms "$(line 'lateness ')")" '<=' 50
if [[ " $PHASES " == *" sweep "* ]]; then
    check sweep_seconds "$(field seconds "$(line 'sweep tasks=')")" '<=' 5
    check sweep_quiet_seconds "$(field seconds "$(line 'sweep quiet ')")" '<=' 5
    check sweep_p99_during_over_idle "$(field p99_during_over_idle "$(line 'sweep p99')")" '<=' 2
fi
[[ " $PHASES " == *" leak "* ]] && check leak_growth_pct "$(field growth_pct "$(line 'leak requests')")" '<=' 10

mkdir -p "$(dirname "$RESULTS")"
cp "$RESULT_TMP" "$RESULTS"
cp "$RESULT_TMP" "$(dirname "$RESULTS")/run-$(date +%Y%m%d-%H%M%S).txt"
log "results in ${RESULTS#"$ROOT"/}"
