# shellcheck shell=bash
# Shared by Benchmarks/run.sh, postgres.sh, profile.sh and soak.sh (sourced, not run). The caller
# sets ROOT and, optionally, BIN, SKIP_BUILD, THREADS, KEEP_TMP, PORT, WORKER_WRAPPER,
# WORKER_START_TIMEOUT, then calls bench_init. Every process started here is stopped at exit, by
# its own pid.

# The shared harness (peers, setup.sh) sits beside the project: ../shared/bench from its root.
BENCH_DIR=${BENCH_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/bench}

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

is_postgres() { [[ $1 == host=* || $1 == postgres://* || $1 == postgresql://* ]]; }

# sql DB [SQL]: runs SQL (else stdin) on DB, a SQLite file or a PostgreSQL connection string
# (psql); one row a line, columns separated by |.
sql() {
    if is_postgres "$1"; then
        local db=$1; shift
        psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" ${1:+-c "$1"}
    else
        sqlite3 -batch -noheader -cmd '.timeout 5000' "$@"
    fi
}

# series_cte DB N: a WITH clause that makes the table n(i), i = 1..N (BIGINT): generate_series
# on PostgreSQL, a recursive CTE on SQLite. Put it in front of an INSERT ... SELECT ... FROM n.
series_cte() {
    if is_postgres "$1"; then echo "WITH n(i) AS (SELECT generate_series(1::bigint, $2))"
    else echo "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)"; fi
}

# load_settings: the wrk and worker settings run.sh and postgres.sh share, unless set already
# (QUICK=1: 3 s runs after a 1 s warm-up).
load_settings() {
    QUICK=${QUICK:-0}
    if [[ $QUICK == 1 ]]; then DURATION=${DURATION:-3s} WARMUP=${WARMUP:-1s}; fi
    DURATION=${DURATION:-10s} WARMUP=${WARMUP:-3s} WRK_THREADS=${WRK_THREADS:-2}
    GET_CONNS=${GET_CONNS:-16} POST_CONNS=${POST_CONNS:-8} THREADS=${THREADS:-4} SEED_TASKS=${SEED_TASKS:-1000}
    export POST_BODY=${POST_BODY:-'title=Buy+milk+%26+eggs+%3Cfresh%3E+for+%22Sam%27s%22+party&due=2027-01-01T09:00'}
}

# bench_init TOOL...: checks the tools, builds the release worker (sets BIN), makes TMP.
bench_init() {
    local tool
    for tool in nginx sqlite3 curl awk "$@"; do
        command -v "$tool" >/dev/null 2>&1 || [[ -x /usr/sbin/$tool ]] \
            || die "$tool not found (as root: $BENCH_DIR/setup.sh installs nginx, wrk, sqlite3, curl)"
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

# build_worker [VAR [SWIFT_BUILD_ARGS...]]: builds the release worker with the arguments (unless
# VAR is already set, or SKIP_BUILD=1) and sets VAR (default BIN) to the binary, e.g.
# `build_worker PG_BIN --traits PostgreSQL --scratch-path "$ROOT/.build-pg-release"`.
build_worker() {
    local var=${1:-BIN}
    (($# == 0)) || shift
    if [[ -z ${!var:-} ]]; then
        if [[ ${SKIP_BUILD:-0} != 1 ]]; then
            log "swift build -c release --product taskfcgi $*"
            (cd "$ROOT" && swift build -c release --product taskfcgi "$@" >&2)
        fi
        printf -v "$var" '%s/taskfcgi' "$(cd "$ROOT" && swift build -c release --show-bin-path "$@")"
    fi
    [[ -x ${!var} ]] || die "no worker binary at ${!var}"
}

# stop_pid PID [SIGNAL]: stops one process we started: SIGNAL (TERM), KILL after 15 s.
stop_pid() {
    local pid=$1
    kill -"${2:-TERM}" "$pid" 2>/dev/null || return 0
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

# Stops everything still running, the last started first (workers before their database server);
# STOP_SIGNAL[pid] overrides TERM (PostgreSQL: INT, its fast shutdown).
declare -A STOP_SIGNAL=()
stop_all() {
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" "${STOP_SIGNAL[${PIDS[i]}]:-TERM}"; done
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

# start_worker DIR: config DIR/taskfcgi.json (plus WORKER_CONFIG_EXTRA, e.g. '"metrics": false'),
# database DIR/tasks.db (or WORKER_DB, e.g. a PostgreSQL connection string), socket DIR/worker.sock,
# log DIR/worker.log (stdout/stderr in DIR/worker.out). Sets WPID. The worker creates and migrates
# the database before it creates the socket. WORKER_WRAPPER (e.g. valgrind ...) is put in front.
start_worker() {
    local dir=$1 wrapper=()
    cat >"$dir/taskfcgi.json" <<EOF
{
  "connectionString": "${WORKER_DB:-$dir/tasks.db}",
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

# start_nginx DIR [SOCK...]: 127.0.0.1:PORT (first free from 18180) to SOCK (default
# DIR/worker.sock); several sockets make one upstream, taken in turn (round robin). Sets NPID, BASE.
start_nginx() {
    local dir=$1 port=${PORT:-18180} user_line="" servers="" s
    shift
    (($#)) || set -- "$dir/worker.sock"
    for s in "$@"; do servers+=" server unix:$s;"; done
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
    # Kept connections to the worker (keepalive, fastcgi_keep_conn), as in deploy/nginx.conf;
    # KEEP_CONN=0 makes nginx connect per request instead.
    upstream taskfcgi {$servers $( [[ ${KEEP_CONN:-1} = 1 ]] && echo "keepalive 32;") }
    server {
        listen 127.0.0.1:$port;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_keep_conn $( [[ ${KEEP_CONN:-1} = 1 ]] && echo on || echo off);
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
# past due, which the job completes; the rest 1 to ~42 days ahead), in one transaction. The same
# rows on SQLite and PostgreSQL.
seed_sql() {
    local now_ms=$(($(date +%s) * 1000))
    sql "$1" <<EOF
BEGIN;
$(series_cte "$1" "$2")
INSERT INTO tasks (title, due_at, created_at)
SELECT 'Task ' || i || ': review <report> & "notes" for team''s sprint',
       CASE WHEN i % 10 = 0 THEN $now_ms - 86400000 - i * 60000 ELSE $now_ms + 86400000 + i * 3600000 END,
       $now_ms
FROM n;
COMMIT;
EOF
}

# seed_and_check DIR DB: SEED_TASKS tasks in DB (seed_sql) behind the running worker and nginx;
# then GET /tasks must answer 200 (with 50 rows) and a POST_BODY POST /tasks 303.
# list_rows FILE: how many task rows a saved list page has (0 for none, never a failed pipeline).
list_rows() { { grep -o '<tr><td><a href="/tasks/' "$1" || true; } | wc -l; }

seed_and_check() {
    local dir=$1 code
    seed_sql "$2" "$SEED_TASKS"
    sleep 1.5   # the job notices the insert (SQLite: PRAGMA data_version, 250 ms; PostgreSQL: NOTIFY) and completes the past-due tenth
    code=$(curl -s -o "$dir/list.html" -w '%{http_code}' "$BASE/tasks")
    [[ $code == 200 ]] || die "GET /tasks answered $code"
    [[ $(list_rows "$dir/list.html") -eq 50 ]] || log "warning: GET /tasks does not list 50 rows"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-raw "$POST_BODY" "$BASE/tasks")
    [[ $code == 303 ]] || die "POST /tasks answered $code"
}

# ---- results -----------------------------------------------------------------------------------
# A result line: stdout and RESULT_TMP (the caller sets it after bench_init).
out() { printf '%s\n' "$*" | tee -a "$RESULT_TMP"; }

# results_header TITLE BINARY...: the first lines of a results file: date, machine, commit, binaries.
# COMMIT names the source of a BIN built elsewhere (e.g. from `git archive` of a commit); GIVEN_BIN
# is the BIN the caller was given.
results_header() {
    local title=$1 commit b
    shift
    if [[ -n ${COMMIT:-} ]]; then
        commit=$COMMIT
    elif [[ -n ${GIVEN_BIN:-} ]]; then
        commit="unknown (BIN given; set COMMIT)"
    else
        commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
        [[ -n $(git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null) ]] && commit="$commit (with uncommitted changes in Sources)"
    fi
    echo "# $title, $(date -Is)"
    echo "# machine: nproc=$(nproc) cpu=\"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)\" kernel=$(uname -r) mem=$(awk '/^MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)"
    echo "# commit: $commit; $(swift --version 2>/dev/null | head -n1 || echo 'swift ?')"
    for b in "$@"; do echo "# binary: $b ($(date -r "$b" -Is))"; done
}

# save_results PREFIX: RESULT_TMP to RESULTS and to a dated copy PREFIX-YYYYmmdd-HHMMSS.txt beside it.
save_results() {
    mkdir -p "$(dirname "$RESULTS")"
    cp "$RESULT_TMP" "$RESULTS"
    cp "$RESULT_TMP" "$(dirname "$RESULTS")/$1-$(date +%Y%m%d-%H%M%S).txt"
    log "results in ${RESULTS#"$ROOT"/}"
}

line() { grep -E "^$1" "$RESULT_TMP" | tail -n1 || true; }   # line REGEX: the last result line starting so

# check NAME VALUE OP LIMIT: a "target NAME: VALUE OP LIMIT PASS|MISS|n/a" result line.
check() {
    local verdict
    if [[ -z $2 || $2 == NA ]]; then verdict="n/a"
    elif awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { exit !(op == "<=" ? v <= l : v >= l) }'; then verdict=PASS
    else verdict=MISS; fi
    out "target $1: $2 $3 $4 $verdict"
}

# ---- measuring ---------------------------------------------------------------------------------
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }   # utime + stime
# tree_ticks PID: utime + stime of PID, of its children, and of its children that have exited and
# been waited for (cutime + cstime): a PostgreSQL server's postmaster and its backends. (A process
# that exits while cat reads /proc is skipped.)
tree_ticks() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v p="$1" '
        { id = $1; sub(/^.*\) /, "") }
        id == p { t += $12 + $13 + $14 + $15 }
        $2 == p { t += $12 + $13 }
        END { print t + 0 }'
}
rss_kb() { awk -v k="$2" '$1 == k ":" { print $2 }' "/proc/$1/status"; }       # VmRSS / VmHWM
secs() { local d=$1; case $d in *ms) echo 1 ;; *m) echo $((${d%m} * 60)) ;; *s) echo "${d%s}" ;; *) echo "$d" ;; esac; }
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $2"; }   # field NAME LINE
pct() {  # pct P FILE: nearest-rank percentile of the sorted numbers in FILE
    awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "NA"; exit } r = int(p * NR); if (r < p * NR) r++; if (r < 1) r = 1; print v[r] }' "$2"
}
us_per() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }'; }  # us_per TICKS REQUESTS

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

# load_route LABEL CONNS PATH [LUA]: a WARMUP wrk run, then the measured DURATION run against
# $BASE, with the CPU of WPID over it; one result line. The wrk output goes to LOAD_DIR
# ($TMP/load); with SERVER_PID set (a PostgreSQL server) its CPU is reported too.
load_route() {
    local label=$1 conns=$2 path=$3 lua=${4:-} file=${LOAD_DIR:-$TMP/load}/wrk-${1//[^A-Za-z0-9]/_}.txt
    local args=(-t"$WRK_THREADS" -c"$conns" --latency) bytes="" t0 t1 s0=0 s1=0 summary reqs server=""
    [[ -n $lua ]] && args+=(-s "$lua")
    [[ $label == *GET:* ]] && bytes=" bytes=$(curl -s -o /dev/null -w '%{size_download}' "$BASE$path")"
    timeout $(($(secs "$WARMUP") + 30)) wrk "${args[@]}" -d"$WARMUP" "$BASE$path" >/dev/null
    [[ -n ${SERVER_PID:-} ]] && s0=$(tree_ticks "$SERVER_PID")
    t0=$(cpu_ticks "$WPID")
    timeout $(($(secs "$DURATION") + 30)) wrk "${args[@]}" -d"$DURATION" "$BASE$path" >"$file"
    t1=$(cpu_ticks "$WPID")
    [[ -n ${SERVER_PID:-} ]] && s1=$(tree_ticks "$SERVER_PID")
    summary=$(wrk_summary "$file")
    reqs=$(field requests "$summary")
    [[ -n ${SERVER_PID:-} ]] && server=" server_cpu_us_per_req=$(us_per $((s1 - s0)) "$reqs")"
    out "$label $summary cpu_us_per_req=$(us_per $((t1 - t0)) "$reqs")$server$bytes"
}

# wait_swept DB: polls every 50 ms (up to SWEEP_TIMEOUT_S) until no task is pending; SWEPT_AT is
# then $EPOCHREALTIME.
wait_swept() {
    local i
    for i in $(seq $((SWEEP_TIMEOUT_S * 20))); do
        if [[ $(sql "$1" 'SELECT CASE WHEN EXISTS (SELECT 1 FROM tasks WHERE completed = 0) THEN 1 ELSE 0 END' 2>/dev/null) == 0 ]]; then
            SWEPT_AT=$EPOCHREALTIME
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# insert_due_tasks DB N: N tasks already due (an hour and more ago), in one transaction.
insert_due_tasks() {
    local now_ms=$(($(date +%s) * 1000)) t0=$EPOCHREALTIME
    sql "$1" <<EOF
BEGIN;
$(series_cte "$1" "$2")
INSERT INTO tasks (title, due_at, created_at)
SELECT 'Sweep task ' || i || ': review <report> & "notes"', $now_ms - 3600000 - i, $now_ms - 86400000 FROM n;
COMMIT;
EOF
    log "inserted $2 tasks in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
}

# sweep_ms LOG: the milliseconds the worker logged for the runs that completed tasks.
sweep_ms() {
    grep -o 'completeDueTasks\] completed [0-9]* tasks in [0-9.]* ms' "$1" \
        | awk '$3 > 0 { ms += $6 } END { printf "%s", ms + 0 }'
}

# post_due_tasks DIR N SPREAD_S LEAD_S: POSTs N tasks to $BASE/tasks (one curl process,
# keep-alive to nginx), due (UTC, to the second) evenly over SPREAD_S seconds from LEAD_S seconds
# ahead. Sets DUE_T0 (the first due second, epoch). Dies unless every POST answered 303.
post_due_tasks() {
    local dir=$1 n=$2 spread=$3 lead=$4 cfg=$1/posts.curl i e d created_at
    DUE_T0=$(($(date +%s) + lead))
    : >"$cfg"
    for ((i = 0; i < n; i++)); do
        e=$((DUE_T0 + i * spread / n))
        TZ=UTC printf -v d '%(%Y-%m-%dT%H:%M:%S)T' "$e"
        ((i == 0)) || echo next >>"$cfg"
        printf 'url = "%s/tasks"\ndata-raw = "title=Lateness+check+%d&due=%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
            "$BASE" "$((i + 1))" "$d" >>"$cfg"
    done
    curl -s -K "$cfg" >"$dir/codes.txt" || true
    created_at=$EPOCHREALTIME
    [[ $(grep -c '^303$' "$dir/codes.txt") == "$n" ]] \
        || die "only $(grep -c '^303$' "$dir/codes.txt") of $n POSTs answered 303"
    awk -v a="$created_at" -v t="$DUE_T0" 'BEGIN { exit !(a > t) }' \
        && log "warning: creating the tasks took past the first due time; raise the lead time"
    return 0
}

# lateness_fields DIR DB: "completed=N p50_ms=N p99_ms=N max_ms=N min_ms=N" of action_at - due_at
# over the completed tasks (nearest rank).
lateness_fields() {
    sql "$2" 'SELECT action_at - due_at FROM tasks WHERE completed = 1' | sort -g >"$1/lateness.txt"
    echo "completed=$(wc -l <"$1/lateness.txt") p50_ms=$(pct 0.50 "$1/lateness.txt") p99_ms=$(pct 0.99 "$1/lateness.txt") max_ms=$(tail -n1 "$1/lateness.txt") min_ms=$(head -n1 "$1/lateness.txt")"
}

# ---- PostgreSQL --------------------------------------------------------------------------------
# start_postgres DIR: a throw-away server (Debian's postgresql): initdb in DIR/data (as the
# postgres user when root: the server refuses to run as root), trust authentication, 127.0.0.1
# and the first free port from PG_PORT (15432), its socket in DIR, fsync off; in the foreground
# under our pids, stopped at exit with SIGINT (fast shutdown). Sets PG_PID, PG_PORT.
# PG_SETTINGS adds "-c name=value" settings.
start_postgres() {
    local dir=$1 bindir as=() port=${PG_PORT:-15432}
    bindir=$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null | sort -V | tail -n1)
    [[ -n $bindir ]] || die "PostgreSQL is not installed (Debian: postgresql)"
    bindir=${bindir%/pg_ctl}
    mkdir -p "$dir"
    if [[ $EUID -eq 0 ]]; then
        chown postgres:postgres "$dir"
        as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
    fi
    "${as[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    while ! port_free "$port"; do port=$((port + 1)); done
    # shellcheck disable=SC2086
    start_bg "$dir/server.log" "${as[@]}" "$bindir/postgres" -D "$dir/data" -c listen_addresses=127.0.0.1 \
        -c port="$port" -c unix_socket_directories="$dir" -c fsync=off -c max_connections=200 ${PG_SETTINGS:-}
    PG_PID=$LAST_PID
    PG_PORT=$port
    STOP_SIGNAL[$PG_PID]=INT
    for _ in $(seq 300); do
        "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && return 0
        kill -0 "$PG_PID" 2>/dev/null || { cat "$dir/server.log" >&2; die "the PostgreSQL server exited"; }
        sleep 0.1
    done
    die "the PostgreSQL server did not accept connections within 30 s"
}

pg_conninfo() { echo "host=127.0.0.1 port=$PG_PORT user=postgres dbname=$1"; }   # pg_conninfo DATABASE

# pg_database NAME: creates the database NAME on the server; prints its connection string.
pg_database() {
    sql "$(pg_conninfo postgres)" "CREATE DATABASE $1" >&2
    pg_conninfo "$1"
}
