#!/usr/bin/env bash
# The durable queue and webhooks (issue 21), on SQLite with the release worker:
#   sweep     SWEEP_TASKS (1,000,000) due tasks inserted while the worker is stopped; start it
#             without webhooks (none), with one endpoint answering 204 at once (one-endpoint: the
#             queue threads deliver during the sweep), and with one endpoint that never answers
#             within the 15 s delivery timeout (stalled-endpoint: the two queue threads each wait
#             in one delivery, so the sweep's enqueueing is measured alone): wall time until every
#             task is completed, the sweep's own logged milliseconds, and the queue rows created
#   rate      RATE_TASKS (5,000) due tasks → as many task.completed deliveries, to a trivial
#             receiver (nginx answering 204 on loopback: nothing verified) and to the verifying
#             Python receiver (Tests/Support/webhook_receiver.py, standardwebhooks), with
#             queue.concurrency 2 and 8: deliveries per second, from the queue table
#             (completed / (last finished_at - first attempted_at))
#   latency   LATENCY_TASKS (200) creates POSTed through nginx at ~LATENCY_RATE (20) a second to
#             the verifying receiver: enqueue-to-delivery p50/p99 (finished_at - created_at)
# Prints result lines, asserts only correctness (every delivery made, verified where verified),
# and writes Benchmarks/results/queue.txt (plus a dated copy). BACKEND=postgres runs the same on
# the PostgreSQL build (its own release build in .build-pg-release) and a throw-away server.
#
#   Benchmarks/queue.sh                                   # everything (a few minutes on 2 cores)
#   BACKEND=postgres Benchmarks/queue.sh                  # → Benchmarks/results/queue-postgres.txt
#   PHASES="rate latency" SWEEP_TASKS=100000 Benchmarks/queue.sh
#   SKIP_BUILD=1 BIN=.build/release/taskfcgi Benchmarks/queue.sh
# The verifying receiver needs .build-venv (scripts/python-tools.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/Benchmarks/lib.sh"

PHASES=${PHASES:-sweep rate latency}
SWEEP_VARIANTS=${SWEEP_VARIANTS:-none one-endpoint stalled-endpoint}
SWEEP_TASKS=${SWEEP_TASKS:-1000000} SWEEP_TIMEOUT_S=${SWEEP_TIMEOUT_S:-600}
RATE_TASKS=${RATE_TASKS:-5000} RATE_TIMEOUT_S=${RATE_TIMEOUT_S:-300}
LATENCY_TASKS=${LATENCY_TASKS:-200} LATENCY_RATE=${LATENCY_RATE:-20}
BACKEND=${BACKEND:-sqlite}
PYTHON=$ROOT/.build-venv/bin/python

if [[ $BACKEND == postgres ]]; then
    RESULTS=${RESULTS:-$ROOT/Benchmarks/results/queue-postgres.txt}
    build_worker BIN --traits PostgreSQL --scratch-path "$ROOT/.build-pg-release"
    bench_init psql
    start_postgres "$TMP/pg"
else
    RESULTS=${RESULTS:-$ROOT/Benchmarks/results/queue.txt}
    bench_init
fi
RESULT_TMP=$TMP/results.txt
results_header "Queue and webhooks (Benchmarks/queue.sh, $BACKEND)" "$BIN" >"$RESULT_TMP"
cat "$RESULT_TMP"
SECRET_FILE=$TMP/hook.secret
echo "whsec_$(head -c 32 /dev/urandom | base64)" >"$SECRET_FILE"

# webhooks_json URL CONCURRENCY: the config lines for one endpoint (every event) and the threads.
webhooks_json() {
    printf '"webhooks": { "endpoints": [{ "url": "%s", "secretFile": "%s" }], "allowPrivateNetworks": true, "maxAttempts": 5, "backoff": { "first": "200ms", "max": "1s" } },\n  "queue": { "concurrency": %s }' \
        "$1" "$SECRET_FILE" "$2"
}

# start_sink DIR: nginx answering 204 to anything on a free loopback port; sets SINK_URL.
start_sink() {
    local dir=$1 port=18280 user_line=""
    while ! port_free "$port"; do port=$((port + 1)); done
    [[ $EUID -eq 0 ]] && user_line="user root;"
    mkdir -p "$dir/sink"
    cat >"$dir/sink.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $dir/sink/nginx.pid;
error_log $dir/sink/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/sink/body;
    proxy_temp_path $dir/sink/proxy;
    fastcgi_temp_path $dir/sink/fastcgi;
    uwsgi_temp_path $dir/sink/uwsgi;
    scgi_temp_path $dir/sink/scgi;
    server { listen 127.0.0.1:$port; location / { return 204; } }
}
EOF
    start_bg "$dir/sink/stdout.log" "$NGINX" -p "$dir/sink" -e "$dir/sink/error.log" -c "$dir/sink.conf"
    SINK_PID=$LAST_PID
    SINK_URL=http://127.0.0.1:$port/hooks
    for _ in $(seq 100); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' -X POST "$SINK_URL") == 204 ]] && return 0
        sleep 0.1
    done
    die "the 204 receiver did not answer on $SINK_URL"
}

# start_receiver DIR [DELAY_S]: the verifying Python receiver (answering after DELAY_S), its log
# DIR/deliveries.jsonl; sets RECEIVER_URL.
start_receiver() {
    local dir=$1 port=""
    [[ -x $PYTHON ]] || die "no $PYTHON (scripts/python-tools.sh)"
    start_bg "$dir/receiver.out" env PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/Tests/Support/webhook_receiver.py" \
        --secret-file "$SECRET_FILE" --log "$dir/deliveries.jsonl" --port 0 --delay "${2:-0}"
    RECEIVER_PID=$LAST_PID
    for _ in $(seq 150); do
        port=$(head -n1 "$dir/receiver.out" 2>/dev/null | grep -E '^[0-9]+$' || true)
        [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] || die "the webhook receiver did not start: $(cat "$dir/receiver.out")"
    RECEIVER_URL=http://127.0.0.1:$port/hooks
}

# receiver_check FILE N: "requests=N verified=N ids=N" of a receiver log.
receiver_check() {
    echo "requests=$(wc -l <"$1") verified=$(grep -c '"verified": true' "$1" || true) ids=$(grep -o '"id": "[^"]*"' "$1" | sort -u | wc -l)"
}

# wait_delivered DB N TIMEOUT_S: polls until N queue jobs are completed.
wait_delivered() {
    local i
    for i in $(seq $(($3 * 10))); do
        [[ $(sql "$1" "SELECT count(*) FROM queue_jobs WHERE state = 'completed'" 2>/dev/null) -ge $2 ]] && return 0
        sleep 0.1
    done
    return 1
}

# sweep_runs LOG: "runs=N timed_out=N run_ms=X" of the completing job's runs that did work (a run
# stops at its 1-minute timeout, and the next picks up the rest): run_ms is their sum.
sweep_runs() {
    grep -oE 'completeDueTasks\] (completed [1-9][0-9]* tasks in|timed out after) [0-9.]+ ms' "$1" \
        | awk '{ runs++; if ($2 == "timed") { timed++; ms += $5 } else ms += $6 }
               END { printf "runs=%d timed_out=%d run_ms=%.1f", runs, timed, ms }'
}

# fresh_db DIR: a migrated, empty database for the worker of DIR (it starts, creates it, stops);
# sets DB and WORKER_DB: DIR/tasks.db, or a new PostgreSQL database named after DIR.
fresh_db() {
    if [[ $BACKEND == postgres ]]; then
        local name
        name=q_$(basename "$1" | tr -c 'a-z0-9\n' '_')
        DB=$(pg_database "$name")
        export WORKER_DB=$DB
    else
        DB=$1/tasks.db
    fi
    start_worker "$1"
    stop_worker
    : >"$1/worker.log"
}

# db_mb DIR: the SQLite files' size in MiB, or the PostgreSQL database's.
db_mb() {
    if [[ $BACKEND == postgres ]]; then sql "$DB" "SELECT pg_database_size(current_database()) / 1048576"
    else echo $(( $(du -cb "$1"/tasks.db* | tail -n1 | cut -f1) / 1048576 )); fi
}

phase_sweep() {
    local dir t_start label extra
    start_sink "$TMP"
    out "# sweep: uptime $(uptime | sed 's/^ *//')"
    for label in $SWEEP_VARIANTS; do
        dir=$TMP/sweep-$label
        mkdir -p "$dir"
        log "sweep ($label): $SWEEP_TASKS due tasks while the worker is stopped"
        fresh_db "$dir"
        insert_due_tasks "$DB" "$SWEEP_TASKS"
        case $label in
            none) extra="" ;;
            one-endpoint) extra=$(webhooks_json "$SINK_URL" 2) ;;
            stalled-endpoint) start_receiver "$dir" 120; extra=$(webhooks_json "$RECEIVER_URL" 2) ;;
            *) die "unknown sweep variant $label (none one-endpoint stalled-endpoint)" ;;
        esac
        t_start=$EPOCHREALTIME
        WORKER_CONFIG_EXTRA=$extra start_worker "$dir"
        wait_swept "$DB" || die "the sweep ($label) did not finish within ${SWEEP_TIMEOUT_S}s"
        out "sweep webhooks=$label tasks=$SWEEP_TASKS seconds=$(awk -v a="$t_start" -v b="$SWEPT_AT" 'BEGIN { printf "%.2f", b - a }') $(sweep_runs "$dir/worker.log") queue_rows=$(sql "$DB" 'SELECT count(*) FROM queue_jobs') delivered_meanwhile=$(sql "$DB" "SELECT count(*) FROM queue_jobs WHERE state = 'completed'") db_mb=$(db_mb "$dir")"
        stop_worker
        if [[ $label != none ]]; then
            [[ $(sql "$DB" 'SELECT count(*) FROM queue_jobs') == "$SWEEP_TASKS" ]] || die "not one queued delivery per completed task"
        fi
        [[ $label == stalled-endpoint ]] && { stop_pid "$RECEIVER_PID"; forget_pid "$RECEIVER_PID"; }
        [[ ${KEEP_TMP:-0} == 1 ]] || rm -rf "$dir"
    done
    stop_pid "$SINK_PID"; forget_pid "$SINK_PID"
}

# rate_run LABEL URL CONCURRENCY: RATE_TASKS due tasks, the worker started with one endpoint.
rate_run() {
    local dir=$TMP/rate-$1-$3 t_start span
    mkdir -p "$dir"
    fresh_db "$dir"
    insert_due_tasks "$DB" "$RATE_TASKS"
    t_start=$EPOCHREALTIME
    WORKER_CONFIG_EXTRA=$(webhooks_json "$2" "$3") start_worker "$dir"
    wait_delivered "$DB" "$RATE_TASKS" "$RATE_TIMEOUT_S" || die "rate ($1, concurrency $3): not every delivery made within ${RATE_TIMEOUT_S}s"
    span=$(sql "$DB" "SELECT max(finished_at) - min(attempted_at) FROM queue_jobs WHERE state = 'completed'")
    out "rate receiver=$1 concurrency=$3 deliveries=$RATE_TASKS span_ms=$span per_second=$(awk -v n="$RATE_TASKS" -v ms="$span" 'BEGIN { printf "%.0f", n / ms * 1000 }') wall_from_start_s=$(awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') attempts=$(sql "$DB" 'SELECT sum(attempt) FROM queue_jobs') worker_cpu_s=$(awk -v t="$(cpu_ticks "$WPID")" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')"
    stop_worker
    [[ ${KEEP_TMP:-0} == 1 ]] || rm -rf "$dir"
}

phase_rate() {
    local dir=$TMP/rate c
    mkdir -p "$dir"
    start_sink "$dir"
    for c in 2 8; do rate_run nginx-204 "$SINK_URL" "$c"; done
    stop_pid "$SINK_PID"; forget_pid "$SINK_PID"
    for c in 2 8; do
        start_receiver "$dir"
        rate_run python-verifying "$RECEIVER_URL" "$c"
        out "rate receiver=python-verifying concurrency=$c check $(receiver_check "$dir/deliveries.jsonl")"
        stop_pid "$RECEIVER_PID"; forget_pid "$RECEIVER_PID"
        [[ $(grep -c '"verified": true' "$dir/deliveries.jsonl") -ge $RATE_TASKS ]] || die "not every delivery verified"
        rm -f "$dir/deliveries.jsonl"
    done
}

phase_latency() {
    local dir=$TMP/latency i later gap code
    mkdir -p "$dir"
    start_receiver "$dir"
    fresh_db "$dir"
    WORKER_CONFIG_EXTRA=$(webhooks_json "$RECEIVER_URL" 2) start_worker "$dir"
    start_nginx "$dir"
    TZ=UTC printf -v later '%(%Y-%m-%dT%H:%M)T' $(($(date +%s) + 86400))
    gap=$(awk -v r="$LATENCY_RATE" 'BEGIN { printf "%.3f", 1 / r }')
    log "latency: $LATENCY_TASKS creates at ~$LATENCY_RATE/s"
    for ((i = 1; i <= LATENCY_TASKS; i++)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --data-raw "title=Latency+$i&due=$later" "$BASE/tasks")
        [[ $code == 303 ]] || die "POST /tasks answered $code"
        sleep "$gap"
    done
    wait_delivered "$DB" "$LATENCY_TASKS" 30 || die "not every created event delivered within 30 s"
    sql "$DB" "SELECT finished_at - created_at FROM queue_jobs WHERE state = 'completed'" | sort -g >"$dir/latency.txt"
    out "latency events=$LATENCY_TASKS rate_per_s=$LATENCY_RATE p50_ms=$(pct 0.50 "$dir/latency.txt") p99_ms=$(pct 0.99 "$dir/latency.txt") max_ms=$(tail -n1 "$dir/latency.txt") min_ms=$(head -n1 "$dir/latency.txt") $(receiver_check "$dir/deliveries.jsonl")"
    out "latency metrics $(curl -s "$BASE/metrics" | grep -E '^taskfcgi_queue_enqueue_to_completion_seconds_(count|sum)' | tr '\n' ' ')"
    [[ $(grep -c '"verified": true' "$dir/deliveries.jsonl") -ge $LATENCY_TASKS ]] || die "not every delivery verified"
    stop_nginx
    stop_worker
}

for phase in $PHASES; do
    case $phase in
        sweep|rate|latency) "phase_$phase" ;;
        *) die "unknown phase '$phase' (sweep rate latency)" ;;
    esac
done
save_results queue
