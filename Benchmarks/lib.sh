# shellcheck shell=bash
# Shared by Benchmarks/run.sh, profile.sh and soak.sh (sourced, not run). The caller sets ROOT
# and, optionally, BIN, SKIP_BUILD, THREADS, KEEP_TMP, PORT, WORKER_WRAPPER, WORKER_START_TIMEOUT,
# then calls bench_init. Every process started here is stopped at exit, by its own pid.

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
sql() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$@"; }

# bench_init TOOL...: checks the tools, builds the release worker (sets BIN), makes TMP.
bench_init() {
    local tool
    for tool in nginx sqlite3 curl awk "$@"; do
        command -v "$tool" >/dev/null 2>&1 || [[ -x /usr/sbin/$tool ]] \
            || die "$tool not found (as root: /work/shared/bench/setup.sh installs nginx, wrk, sqlite3, curl)"
    done
    [[ -f /etc/nginx/fastcgi_params ]] || die "/etc/nginx/fastcgi_params not found (install nginx)"
    NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
    build_worker
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/taskfcgi-bench.XXXXXX")
    chmod 755 "$TMP"
    PIDS=()
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

# build_worker: builds the release worker (unless BIN or SKIP_BUILD=1) and sets BIN.
build_worker() {
    if [[ -z ${BIN:-} ]]; then
        if [[ ${SKIP_BUILD:-0} != 1 ]]; then
            log "swift build -c release --product taskfcgi"
            (cd "$ROOT" && swift build -c release --product taskfcgi >&2)
        fi
        BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)/taskfcgi
    fi
    [[ -x $BIN ]] || die "no worker binary at $BIN"
}

# Stops one process we started: TERM, KILL after 15 s.
stop_pid() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid did not stop on TERM within 15 s; sending KILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    PIDS=()
}

cleanup() {
    local rc=$?
    trap - EXIT
    stop_all
    if [[ ${KEEP_TMP:-0} == 1 || $rc -ne 0 ]]; then
        log "temp files kept in $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}

# start_bg LOGFILE CMD...: runs CMD in the background; LAST_PID is its pid.
start_bg() {
    local logfile=$1; shift
    "$@" >"$logfile" 2>&1 </dev/null &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

forget_pid() {  # drops a stopped pid from PIDS
    local keep=() p
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# start_worker DIR: config DIR/taskfcgi.json (plus WORKER_CONFIG_EXTRA, e.g. '"metrics": false'), database DIR/tasks.db, socket DIR/worker.sock, log
# DIR/worker.log (stdout/stderr in DIR/worker.out). Sets WPID. The worker creates and migrates
# the database before it creates the socket. WORKER_WRAPPER (e.g. valgrind ...) is put in front.
start_worker() {
    local dir=$1 wrapper=()
    cat >"$dir/taskfcgi.json" <<EOF
{
  "connectionString": "$dir/tasks.db",
  "logPath": "$dir/worker.log",
  "listen": "$dir/worker.sock",
  "threads": ${THREADS:-4},
  "timeZone": "UTC",${WORKER_CONFIG_EXTRA:+
  $WORKER_CONFIG_EXTRA,}
  "logLevel": "info"
}
EOF
    # shellcheck disable=SC2206
    [[ -n ${WORKER_WRAPPER:-} ]] && wrapper=($WORKER_WRAPPER)
    start_bg "$dir/worker.out" "${wrapper[@]}" "$BIN" --config "$dir/taskfcgi.json"
    WPID=$LAST_PID
    for _ in $(seq $((${WORKER_START_TIMEOUT:-15} * 10))); do
        [[ -S $dir/worker.sock ]] && return 0
        kill -0 "$WPID" 2>/dev/null || { tail -n 20 "$dir/worker.out" "$dir/worker.log" >&2 || true; die "worker exited during start"; }
        sleep 0.1
    done
    die "worker did not create $dir/worker.sock within ${WORKER_START_TIMEOUT:-15} s"
}

stop_worker() { stop_pid "$WPID"; forget_pid "$WPID"; }

# port_free PORT: nothing listens on 127.0.0.1:PORT (ss where installed, else a bash connect).
port_free() {
    if command -v ss >/dev/null 2>&1; then [[ -z $(ss -ltnH "sport = :$1" 2>/dev/null) ]]
    else ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; fi
}

# start_nginx DIR [SOCK]: 127.0.0.1:PORT (first free from 18180) to SOCK (default
# DIR/worker.sock). Sets NPID, BASE.
start_nginx() {
    local dir=$1 sock=${2:-$1/worker.sock} port=${PORT:-18180} user_line=""
    while ! port_free "$port"; do port=$((port + 1)); done
    [[ $EUID -eq 0 ]] && user_line="user root;"   # the worker's socket is 0660, owned by root
    mkdir -p "$dir/nginx"
    cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    server_tokens off;
    keepalive_requests 1000000;   # wrk's client connections are reused
    client_body_temp_path $dir/nginx/body;
    fastcgi_temp_path $dir/nginx/fastcgi;
    proxy_temp_path $dir/nginx/proxy;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    # No upstream keepalive (no fastcgi_keep_conn): one unix-socket connection per request,
    # as in deploy/nginx.conf.
    upstream taskfcgi { server unix:$sock; }
    server {
        listen 127.0.0.1:$port;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_pass taskfcgi;
        }
    }
}
EOF
    "$NGINX" -t -q -p "$dir/nginx" -e "$dir/nginx/error.log" -c "$dir/nginx.conf" || die "nginx config test failed"
    start_bg "$dir/nginx/stdout.log" "$NGINX" -p "$dir/nginx" -e "$dir/nginx/error.log" -c "$dir/nginx.conf"
    NPID=$LAST_PID
    BASE=http://127.0.0.1:$port
    for _ in $(seq 100); do
        curl -s -o /dev/null "$BASE/" && return 0
        kill -0 "$NPID" 2>/dev/null || { cat "$dir/nginx/error.log" >&2; die "nginx exited"; }
        sleep 0.1
    done
    die "nginx did not answer on $BASE"
}

stop_nginx() { stop_pid "$NPID"; forget_pid "$NPID"; }

# seed_sql DB COUNT: COUNT tasks like the shared harness's HTTP seed (every 10th a day or more
# past due, which the job completes; the rest 1 to ~42 days ahead), in one transaction.
seed_sql() {
    local now_ms=$(($(date +%s) * 1000))
    sql "$1" <<EOF
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO tasks (title, due_at, created_at)
SELECT 'Task ' || i || ': review <report> & "notes" for team''s sprint',
       CASE WHEN i % 10 = 0 THEN $now_ms - 86400000 - i * 60000 ELSE $now_ms + 86400000 + i * 3600000 END,
       $now_ms
FROM n;
COMMIT;
EOF
}
