#!/usr/bin/env bash
# TaskFCGI on PostgreSQL beside SQLite, in one run: the release worker built plainly and with the
# PostgreSQL trait, a throw-away PostgreSQL server (Debian's postgresql), nginx and wrk on loopback.
#
#   Benchmarks/postgres.sh             # everything (about 5 minutes)
#   QUICK=1 Benchmarks/postgres.sh     # short runs (about 2 minutes)
#   PHASES="load" Benchmarks/postgres.sh
#
# Phases (each on its own workers and nginx in a temp dir; one PostgreSQL server for the run, a
# database per phase):
#   load      1,000 tasks (the same seed) in each backend; GET /tasks and POST /tasks on the SQLite
#             worker, then on the PostgreSQL one: rps, p50/p99, non-2xx, worker CPU us per request,
#             and on PostgreSQL the server's CPU us per request; the PostgreSQL/SQLite ratios
#   sweep     1,000,000 due tasks inserted while the worker is stopped (generate_series on
#             PostgreSQL), on each backend; start it: time until all are completed (no HTTP load)
#   lateness  three workers (three "hosts": own socket, config, log) on one PostgreSQL database
#             behind one nginx upstream; 600 tasks POSTed round robin, due over 30 s (to the
#             second): action_at - due_at
#
# Result lines go to stdout and to Benchmarks/results/postgres-latest.txt (plus a dated copy);
# progress goes to stderr. Benchmarks/README.md explains every number. Tunables (env):
#   QUICK=1 PHASES="load sweep lateness" SKIP_BUILD=1 BIN=path PG_BIN=path COMMIT=label KEEP_TMP=1
#   DURATION=10s WARMUP=3s WRK_THREADS=2 GET_CONNS=16 POST_CONNS=8 THREADS=4 SEED_TASKS=1000
#   SWEEP_TASKS=1000000 SWEEP_TIMEOUT_S=300 HOSTS=3 LATENESS_TASKS=600 LATENESS_SPREAD_S=30
#   LATENESS_LEAD_S=5 LATENESS_GRACE_S=5 PG_PORT=15432 PG_SETTINGS="-c name=value ..."
#   RESULTS=Benchmarks/results/postgres-latest.txt
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/Benchmarks
cd "$ROOT"
# shellcheck source=lib.sh
. "$BENCH/lib.sh"
load_settings
if [[ $QUICK == 1 ]]; then
    LATENESS_TASKS=${LATENESS_TASKS:-300}
    LATENESS_SPREAD_S=${LATENESS_SPREAD_S:-15}
fi
PHASES=${PHASES:-load sweep lateness}
SWEEP_TASKS=${SWEEP_TASKS:-1000000}
SWEEP_TIMEOUT_S=${SWEEP_TIMEOUT_S:-300}
HOSTS=${HOSTS:-3}
LATENESS_TASKS=${LATENESS_TASKS:-600}
LATENESS_SPREAD_S=${LATENESS_SPREAD_S:-30}
LATENESS_LEAD_S=${LATENESS_LEAD_S:-5}
LATENESS_GRACE_S=${LATENESS_GRACE_S:-5}
RESULTS=${RESULTS:-$BENCH/results/postgres-latest.txt}
BACKENDS=(sqlite postgresql)

# shellcheck source=../scripts/packages.sh
. "$ROOT/scripts/packages.sh"
install_packages postgresql libpq-dev
GIVEN_BIN=${BIN:-}
bench_init wrk psql
build_worker PG_BIN --traits PostgreSQL --scratch-path "$ROOT/.build-pg-release"
RESULT_TMP=$TMP/results.txt

# use_backend NAME DIR DATABASE: what the next start_worker runs and on which database
# (WORKER_BIN, WORKER_DB, DB), and whose CPU load_route adds (SERVER_PID, PostgreSQL only).
use_backend() {
    if [[ $1 == postgresql ]]; then
        WORKER_BIN=$PG_BIN DB=$(pg_database "$3") SERVER_PID=$PG_PID
    else
        WORKER_BIN=$BIN DB=$2/tasks.db SERVER_PID=""
    fi
    WORKER_DB=$DB
    mkdir -p "$2"
}
start_backend_worker() { BIN=$WORKER_BIN start_worker "$1"; }

# ---- phases ----------------------------------------------------------------------------------
phase_load() {
    local backend dir ratios
    log "load: $SEED_TASKS tasks per backend, wrk -t$WRK_THREADS, $DURATION per route after $WARMUP warm-up"
    for backend in "${BACKENDS[@]}"; do
        dir=$TMP/load-$backend
        use_backend "$backend" "$dir" load
        start_backend_worker "$dir"
        start_nginx "$dir"
        seed_and_check "$dir" "$DB"
        out "# load $backend: uptime $(uptime | sed 's/^ *//')"
        LOAD_DIR=$dir load_route "$backend GET:/tasks" "$GET_CONNS" /tasks
        LOAD_DIR=$dir load_route "$backend POST:/tasks" "$POST_CONNS" /tasks "$BENCH/lua/post_task.lua"
        out "$backend rss peak_rss_kb=$(rss_kb "$WPID" VmHWM) rss_kb=$(rss_kb "$WPID" VmRSS) rows_after=$(sql "$DB" 'SELECT count(*) FROM tasks')"
        stop_nginx
        stop_worker
    done
    ratio() { awk -v a="$(field "$1" "$(line "postgresql $2 ")")" -v b="$(field "$1" "$(line "sqlite $2 ")")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
    ratios="get_rps=$(ratio rps GET:/tasks) get_cpu=$(ratio cpu_us_per_req GET:/tasks) post_rps=$(ratio rps POST:/tasks) post_cpu=$(ratio cpu_us_per_req POST:/tasks)"
    out "ratio postgresql/sqlite $ratios"
}

phase_sweep() {
    local backend dir t_start
    for backend in "${BACKENDS[@]}"; do
        dir=$TMP/sweep-$backend
        log "sweep $backend: creating the schema, then $SWEEP_TASKS due tasks while the worker is stopped"
        use_backend "$backend" "$dir" sweep
        start_backend_worker "$dir"     # creates and migrates the database
        stop_worker
        insert_due_tasks "$DB" "$SWEEP_TASKS"
        : >"$dir/worker.log"
        out "# sweep $backend: uptime $(uptime | sed 's/^ *//')"
        t_start=$EPOCHREALTIME
        start_backend_worker "$dir"
        wait_swept "$DB" || die "the $backend sweep did not finish within ${SWEEP_TIMEOUT_S}s"
        out "sweep $backend tasks=$SWEEP_TASKS seconds=$(awk -v a="$t_start" -v b="$SWEPT_AT" 'BEGIN { printf "%.2f", b - a }') worker_ms=$(sweep_ms "$dir/worker.log") completed=$(sql "$DB" 'SELECT count(*) FROM tasks WHERE completed = 1')"
        stop_worker
        if [[ $backend == sqlite ]]; then rm -f "$dir"/tasks.db*; fi   # ~150 MB
    done
}

phase_lateness() {
    local dir=$TMP/lateness h pids=() socks=() fields holder posts=""
    log "lateness: $HOSTS workers on one PostgreSQL database, $LATENESS_TASKS tasks due over ${LATENESS_SPREAD_S}s, POSTed ${LATENESS_LEAD_S}s ahead"
    use_backend postgresql "$dir" lateness
    for ((h = 1; h <= HOSTS; h++)); do
        mkdir -p "$dir/host$h"
        start_backend_worker "$dir/host$h"
        pids+=("$WPID") socks+=("$dir/host$h/worker.sock")
    done
    start_nginx "$dir" "${socks[@]}"
    out "# lateness: uptime $(uptime | sed 's/^ *//')"
    post_due_tasks "$dir" "$LATENESS_TASKS" "$LATENESS_SPREAD_S" "$LATENESS_LEAD_S"
    while (($(date +%s) < DUE_T0 + LATENESS_SPREAD_S + LATENESS_GRACE_S)); do
        for h in "${pids[@]}"; do kill -0 "$h" 2>/dev/null || die "a worker (pid $h) exited"; done
        sleep 1
    done
    fields=$(lateness_fields "$dir" "$DB")
    holder=$(sql "$DB" 'SELECT pid FROM job_lease')
    for ((h = 1; h <= HOSTS; h++)); do
        posts+="${posts:+/}$(grep -c 'POST /tasks 303' "$dir/host$h/worker.log" || true)"
        if [[ ${pids[h - 1]} == "$holder" ]]; then holder="host$h"; fi
    done
    out "lateness hosts=$HOSTS tasks=$LATENESS_TASKS spread_s=$LATENESS_SPREAD_S $fields posts_per_host=$posts job_holder=$holder"
    stop_nginx
    for h in "${pids[@]}"; do WPID=$h stop_worker; done
    h=$(field completed "$fields")
    ((h == LATENESS_TASKS)) || log "warning: $((LATENESS_TASKS - h)) tasks not completed"
}

# ---- run ---------------------------------------------------------------------------------------
start_postgres "$TMP/pg"
{
    results_header "TaskFCGI on PostgreSQL beside SQLite" "$BIN" "$PG_BIN"
    echo "# postgresql: $(sql "$(pg_conninfo postgres)" 'SHOW server_version') on 127.0.0.1:$PG_PORT (TCP), fsync=off, initdb defaults otherwise${PG_SETTINGS:+, $PG_SETTINGS}"
    echo "# settings: PHASES=\"$PHASES\" QUICK=$QUICK DURATION=$DURATION WARMUP=$WARMUP WRK_THREADS=$WRK_THREADS GET_CONNS=$GET_CONNS POST_CONNS=$POST_CONNS threads=$THREADS SEED_TASKS=$SEED_TASKS SWEEP_TASKS=$SWEEP_TASKS HOSTS=$HOSTS LATENESS_TASKS=$LATENESS_TASKS LATENESS_SPREAD_S=$LATENESS_SPREAD_S"
    echo "# nginx: worker_processes 1, access_log off, no upstream keepalive; worker: unix socket, timeZone UTC, logLevel info"
} | tee "$RESULT_TMP"

for phase in $PHASES; do
    case $phase in
        load|sweep|lateness) "phase_$phase" ;;
        *) die "unknown phase '$phase' (load sweep lateness)" ;;
    esac
done

[[ " $PHASES " == *" load "* ]] && check postgresql_over_sqlite_get_tasks_rps "$(field get_rps "$(line 'ratio ')")" '>=' 0.5
[[ " $PHASES " == *" lateness "* ]] && check lateness_hosts_p99_ms "$(field p99_ms "$(line 'lateness ')")" '<=' 50
save_results postgres
