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
#   pages     1,000,000 tasks: the first, middle and last list page (all, and pending only),
#             reached through the pager's cursor links, vs an old ?page=N offset link
#   leak      RSS after 10,000 requests vs after 1,000,000 (a mix of GET routes)
#
# Result lines go to stdout and to Benchmarks/results/latest.txt (plus a dated copy);
# progress goes to stderr. Benchmarks/README.md explains every number. Tunables (env):
#   QUICK=1 PHASES="load lateness sweep leak" SKIP_BUILD=1 BIN=path COMMIT=label KEEP_TMP=1
#   DURATION=10s WARMUP=3s WRK_THREADS=2 GET_CONNS=16 POST_CONNS=8 SEED_TASKS=1000
#   LATENESS_TASKS=1000 LATENESS_SPREAD_S=60 LATENESS_LEAD_S=5 LATENESS_GRACE_S=5
#   SWEEP_TASKS=1000000 SWEEP_TIMEOUT_S=120 IDLE_DURATION=5s PAGES_TASKS=1000000 PAGES_REQUESTS=2000
#   LEAK_FIRST=10000 LEAK_TOTAL=1000000 RESULTS=Benchmarks/results/latest.txt
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/Benchmarks
cd "$ROOT"
# shellcheck source=lib.sh
. "$BENCH/lib.sh"
load_settings
if [[ $QUICK == 1 ]]; then
    PHASES=${PHASES:-load lateness sweep pages}
    LATENESS_SPREAD_S=${LATENESS_SPREAD_S:-20}
    PAGES_REQUESTS=${PAGES_REQUESTS:-1000}
fi
PHASES=${PHASES:-load lateness sweep pages leak}
LATENESS_TASKS=${LATENESS_TASKS:-1000}
LATENESS_SPREAD_S=${LATENESS_SPREAD_S:-60}
LATENESS_LEAD_S=${LATENESS_LEAD_S:-5}
LATENESS_GRACE_S=${LATENESS_GRACE_S:-5}
SWEEP_TASKS=${SWEEP_TASKS:-1000000}
SWEEP_TIMEOUT_S=${SWEEP_TIMEOUT_S:-120}
IDLE_DURATION=${IDLE_DURATION:-5s}
PAGES_TASKS=${PAGES_TASKS:-1000000}
PAGES_REQUESTS=${PAGES_REQUESTS:-2000}
LEAK_FIRST=${LEAK_FIRST:-10000}
LEAK_TOTAL=${LEAK_TOTAL:-1000000}
RESULTS=${RESULTS:-$BENCH/results/latest.txt}

GIVEN_BIN=${BIN:-}
bench_init wrk
RESULT_TMP=$TMP/results.txt

# ---- phases ----------------------------------------------------------------------------------
phase_load() {
    local dir=$TMP/load
    mkdir -p "$dir"
    log "load: worker + nginx, $SEED_TASKS tasks, wrk -t$WRK_THREADS, $DURATION per route after $WARMUP warm-up"
    start_worker "$dir"
    start_nginx "$dir"
    seed_and_check "$dir" "$dir/tasks.db"
    out "# load: uptime $(uptime | sed 's/^ *//')"
    load_route GET:/healthz "$GET_CONNS" /healthz
    load_route GET:/tasks "$GET_CONNS" /tasks
    load_route POST:/tasks "$POST_CONNS" /tasks "$BENCH/lua/post_task.lua"
    out "rss peak_rss_kb=$(rss_kb "$WPID" VmHWM) rss_kb=$(rss_kb "$WPID" VmRSS) rows_after=$(sql "$dir/tasks.db" 'SELECT count(*) FROM tasks')"
    stop_nginx
    stop_worker
}

phase_lateness() {
    local dir=$TMP/lateness fields
    mkdir -p "$dir"
    log "lateness: $LATENESS_TASKS tasks due over ${LATENESS_SPREAD_S}s, POSTed ${LATENESS_LEAD_S}s ahead"
    start_worker "$dir"
    start_nginx "$dir"
    out "# lateness: uptime $(uptime | sed 's/^ *//')"
    post_due_tasks "$dir" "$LATENESS_TASKS" "$LATENESS_SPREAD_S" "$LATENESS_LEAD_S"
    while (($(date +%s) < DUE_T0 + LATENESS_SPREAD_S + LATENESS_GRACE_S)); do
        kill -0 "$WPID" 2>/dev/null || die "worker exited"
        sleep 1
    done
    fields=$(lateness_fields "$dir" "$dir/tasks.db")
    out "lateness tasks=$LATENESS_TASKS spread_s=$LATENESS_SPREAD_S $fields"
    stop_nginx
    stop_worker
    local n
    n=$(field completed "$fields")
    ((n == LATENESS_TASKS)) || log "warning: $((LATENESS_TASKS - n)) tasks not completed"
}

phase_sweep() {
    local dir=$TMP/sweep t_start t_end wrk_pid sweep_s worker_ms during idle
    mkdir -p "$dir"
    log "sweep: creating the schema, then $SWEEP_TASKS due tasks while the worker is stopped"
    start_worker "$dir"     # creates and migrates the database
    stop_worker
    insert_due_tasks "$dir/tasks.db" "$SWEEP_TASKS"
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

# page_href FILE LABEL: the address of the list page's pager link labelled LABEL ("Next →").
page_href() {
    grep -o "<a href=\"[^\"]*\">$2</a>" "$1" | head -n1 | sed -e 's/^<a href="//' -e 's/">.*//' -e 's/&amp;/\&/g'
}

# time_page NAME PATH [N]: N (PAGES_REQUESTS) sequential GETs of PATH (one curl process,
# keep-alive to nginx): client-side p50/p99 and the worker's CPU per request; one result line.
time_page() {
    local name=$1 path=$2 n=${3:-$PAGES_REQUESTS} file=$TMP/pages/times-$1.txt urls=() t0 t1 i rows
    curl -s -o "$TMP/pages/page-$name.html" "$BASE$path"
    rows=$(list_rows "$TMP/pages/page-$name.html")
    for ((i = 0; i < n; i++)); do urls+=(-o /dev/null "$BASE$path"); done   # -o is per URL
    t0=$(cpu_ticks "$WPID")
    curl -s -w '%{http_code} %{time_total}\n' "${urls[@]}" >"$file.raw"
    t1=$(cpu_ticks "$WPID")
    awk '$1 != 200 { bad++ } END { exit bad > 0 }' "$file.raw" || die "GET $path: not every answer was 200"
    awk '{ print $2 * 1000 }' "$file.raw" | sort -g >"$file"
    out "pages $name rows=$rows p50_ms=$(pct 0.50 "$file") p99_ms=$(pct 0.99 "$file") cpu_us_per_req=$(us_per $((t1 - t0)) "$n") requests=$n path=$path"
}

# middle_cursor DB STATUS: the sort key (<due>.<id>) of the row just before the middle of the
# list, which the Next link of the page before the middle carries.
middle_cursor() {
    local where="" n
    [[ $2 == pending ]] && where="WHERE completed = 0"
    n=$(sql "$1" "SELECT sum(n) FROM task_counts $where")
    sql "$1" "SELECT due_at || '.' || id FROM tasks $where ORDER BY due_at, id LIMIT 1 OFFSET $((n / 2 - 1))"
}

# ratio A B: A / B to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

phase_pages() {
    local dir=$TMP/pages now_ms=$(($(date +%s) * 1000)) t0 status link
    mkdir -p "$dir"
    log "pages: $PAGES_TASKS tasks (a quarter completed); list pages by cursor, $PAGES_REQUESTS GETs each"
    start_worker "$dir"     # creates and migrates the database
    stop_worker
    t0=$EPOCHREALTIME
    # Due a day and more ahead (the job has nothing to do meanwhile), one a second; every 4th
    # already completed, for the pending filter.
    sql "$dir/tasks.db" <<EOF
BEGIN;
$(series_cte "$dir/tasks.db" "$PAGES_TASKS")
INSERT INTO tasks (title, due_at, completed, action_at, created_at)
SELECT 'Page task ' || i || ': review <report> & "notes"', $now_ms + 86400000 + i * 1000,
       CASE WHEN i % 4 = 0 THEN 1 ELSE 0 END, CASE WHEN i % 4 = 0 THEN $now_ms ELSE NULL END, $now_ms
FROM n;
COMMIT;
EOF
    log "inserted $PAGES_TASKS tasks in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
    start_worker "$dir"
    start_nginx "$dir"
    out "# pages: uptime $(uptime | sed 's/^ *//')"
    for status in all pending; do
        time_page "$status-first" "/tasks?status=$status"
        # The middle: where a reader paging on arrives after half the list (the cursor read with
        # sqlite3 rather than by following 10,000 Next links), then that page's own Next link.
        time_page "$status-middle" "/tasks?status=$status&after=$(middle_cursor "$dir/tasks.db" "$status")"
        link=$(page_href "$dir/page-$status-middle.html" 'Next →')
        [[ -n $link ]] || die "no Next link on the middle page"
        time_page "$status-middle-next" "$link"
        link=$(page_href "$dir/page-$status-first.html" 'Last »')
        [[ -n $link ]] || die "no Last link on the first page"
        time_page "$status-last" "$link"
        link=$(page_href "$dir/page-$status-last.html" '← Previous')
        [[ -n $link ]] || die "no Previous link on the last page"
        time_page "$status-before-last" "$link"
    done
    # What an old ?page=N link to the last page costs: OFFSET walks every row before it (so
    # fewer requests: each takes tens of milliseconds).
    time_page all-last-by-number "/tasks?page=$(((PAGES_TASKS + 49) / 50))" $((PAGES_REQUESTS / 20))
    local first
    first=$(field p50_ms "$(line 'pages all-first ')")
    out "pages all_last_over_first=$(ratio "$(field p50_ms "$(line 'pages all-last ')")" "$first") pending_last_over_first=$(ratio "$(field p50_ms "$(line 'pages pending-last ')")" "$(field p50_ms "$(line 'pages pending-first ')")") all_middle_over_first=$(ratio "$(field p50_ms "$(line 'pages all-middle ')")" "$first") offset_last_over_first=$(ratio "$(field p50_ms "$(line 'pages all-last-by-number ')")" "$first")"
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
{
    results_header "TaskFCGI benchmark" "$BIN"
    echo "# settings: PHASES=\"$PHASES\" QUICK=$QUICK DURATION=$DURATION WARMUP=$WARMUP WRK_THREADS=$WRK_THREADS GET_CONNS=$GET_CONNS POST_CONNS=$POST_CONNS threads=$THREADS SEED_TASKS=$SEED_TASKS"
    echo "# nginx: worker_processes 1, access_log off, no upstream keepalive; worker: unix socket, timeZone UTC, logLevel info"
} | tee "$RESULT_TMP"

for phase in $PHASES; do
    case $phase in
        load|lateness|sweep|pages|leak) "phase_$phase" ;;
        *) die "unknown phase '$phase' (load lateness sweep pages leak)" ;;
    esac
done

# The targets that need no peer (the peer comparisons are Benchmarks/compare.sh's).
[[ " $PHASES " == *" load "* ]] && check peak_rss_mib "$(awk -v k="$(field peak_rss_kb "$(line 'rss ')")" 'BEGIN { printf "%.1f", k / 1024 }')" '<=' 32
[[ " $PHASES " == *" lateness "* ]] && check lateness_p99_ms "$(field p99_ms "$(line 'lateness ')")" '<=' 50
if [[ " $PHASES " == *" sweep "* ]]; then
    check sweep_seconds "$(field seconds "$(line 'sweep tasks=')")" '<=' 5
    check sweep_quiet_seconds "$(field seconds "$(line 'sweep quiet ')")" '<=' 5
    check sweep_p99_during_over_idle "$(field p99_during_over_idle "$(line 'sweep p99')")" '<=' 2
fi
if [[ " $PHASES " == *" pages "* ]]; then
    check pages_last_over_first "$(field all_last_over_first "$(line 'pages all_last')")" '<=' 2
    check pages_pending_last_over_first "$(field pending_last_over_first "$(line 'pages all_last')")" '<=' 2
fi
[[ " $PHASES " == *" leak "* ]] && check leak_growth_pct "$(field growth_pct "$(line 'leak requests')")" '<=' 10

save_results run
