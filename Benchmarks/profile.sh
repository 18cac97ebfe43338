#!/usr/bin/env bash
# Where the worker's CPU per request goes: the release worker under valgrind's callgrind behind
# nginx, serving REQUESTS sequential GET /healthz, then GET /tasks (1,000 tasks in the database),
# then POST /tasks, each counted on its own (callgrind_control -z / -d around the run, after a
# warm-up). Instruction counts do not depend on how busy the machine is, so they compare well
# across runs. Heap allocations per request are the calls to malloc, calloc, realloc and the
# aligned allocators that callgrind counted in the same window (a Swift allocation is one
# malloc; libfcgi's and SQLite's are counted too).
#
#   Benchmarks/profile.sh                 # 2,000 requests per route
#   REQUESTS=500 TOP=25 Benchmarks/profile.sh
#
# Writes Benchmarks/results/profile-<route>.txt (callgrind_annotate, inclusive and self, Swift
# names demangled) and keeps the callgrind.out files there for kcachegrind/qcachegrind; prints
# "profile ROUTE requests=N ir_per_req=N" and the top functions. With the shared harness's C peer
# built (../shared/bench/run.sh c-fcgi builds it), the same is measured for it, for reference
# (its /tasks page is a bare table without counts or dates in a zone; see Benchmarks/README.md).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/Benchmarks
REQUESTS=${REQUESTS:-2000}
WARM=${WARM:-50}
TOP=${TOP:-15}
OUT_DIR=${OUT_DIR:-$BENCH/results}

POST_BODY=${POST_BODY:-'title=Buy+milk+%26+eggs+%3Cfresh%3E+for+%22Sam%27s%22+party&due=2027-01-01T09:00'}
export WORKER_START_TIMEOUT=${WORKER_START_TIMEOUT:-120}   # valgrind starts slowly

# shellcheck source=lib.sh
. "$BENCH/lib.sh"
bench_init valgrind callgrind_annotate callgrind_control
PEER_BIN=${PEER_BIN:-$BENCH_DIR/peers/c-fcgi/build/c-fcgi}
PEER_SEED=${PEER_SEED:-$BENCH_DIR/seed.sql}
mkdir -p "$OUT_DIR"
demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }

# curl_config FILE COUNT URL [BODY]: COUNT requests in one curl process (keep-alive to nginx).
curl_config() {
    local file=$1 n=$2 url=$3 body=${4:-} i
    : >"$file"
    for ((i = 0; i < n; i++)); do
        ((i == 0)) || echo next >>"$file"
        printf 'url = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' "$url" >>"$file"
        [[ -z $body ]] || printf 'data-raw = "%s"\n' "$body" >>"$file"
    done
}

# measure LABEL ROUTE PID DIR URL [BODY]: warm-up, zero, REQUESTS requests, dump, annotate.
measure() {
    local label=$1 route=$2 pid=$3 dir=$4 url=$5 body=${6:-} dump ir name
    name=$label-${route//[:\/]/_}
    curl_config "$dir/warm.curl" "$WARM" "$url" "$body"
    curl_config "$dir/run.curl" "$REQUESTS" "$url" "$body"
    curl -s -K "$dir/warm.curl" >/dev/null
    callgrind_control -z "$pid" >/dev/null
    curl -s -K "$dir/run.curl" | sort | uniq -c | sed 's/^ */  status: /' >&2
    callgrind_control --dump="$name" "$pid" >/dev/null
    # The dump is written when one of the worker's threads next runs: wait for a complete file.
    dump=""
    for _ in $(seq 300); do
        dump=$(grep -l "^desc: Trigger: Client Request: $name\|^desc: Trigger: .*$name" "$dir"/callgrind.out.* 2>/dev/null | head -n1 || true)
        [[ -n $dump ]] && grep -q '^totals:\|^summary:' "$dump" && break
        dump=""
        sleep 0.1
    done
    [[ -n $dump ]] || die "no callgrind dump for $name in $dir"
    cp "$dump" "$OUT_DIR/callgrind.$name.out"
    rm -f "$dump"
    ir=$(awk '/^summary:|^totals:/ { print $2; exit }' "$OUT_DIR/callgrind.$name.out")
    allocs=$(allocations "$OUT_DIR/callgrind.$name.out")
    {
        echo "# $label $route: $REQUESTS requests after $WARM warm-up ones; $(date -Is); commit ${COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)}; $BIN"
        echo "# total Ir $ir = $((ir / REQUESTS)) per request (whole process: request threads, job thread, libfcgi, SQLite, libc)"
        echo "# heap allocations $allocs = $(awk -v a="$allocs" -v n="$REQUESTS" 'BEGIN { printf "%.1f", a / n }') per request (calls to malloc, calloc, realloc, posix_memalign, aligned_alloc)"
        echo
        echo "## inclusive (one row per function)"
        printf '%14s %7s %10s  %s\n' Ir share Ir/request function
        summarize yes "$OUT_DIR/callgrind.$name.out" | head -n 60 || true
        echo
        echo "## self (one row per function)"
        printf '%14s %7s %10s  %s\n' Ir share Ir/request function
        summarize no "$OUT_DIR/callgrind.$name.out" | head -n 60 || true
        echo
        echo "## callgrind_annotate --inclusive=yes (raw)"
        callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$OUT_DIR/callgrind.$name.out" 2>/dev/null | demangle | cut -c1-220 | sed -n '/^Ir/,$p' | head -n 100 || true
    } >"$OUT_DIR/profile-$name.txt"
    echo "profile $label $route requests=$REQUESTS ir_per_req=$((ir / REQUESTS)) allocs_per_req=$(awk -v a="$allocs" -v n="$REQUESTS" 'BEGIN { printf "%.1f", a / n }') report=${OUT_DIR#"$ROOT"/}/profile-$name.txt"
}

# allocations CALLGRIND_FILE: calls into the C allocators, summed over every call site. Names are
# compressed in the file ("cfn=(12) malloc" once, then "cfn=(12)"), so ids are mapped first.
allocations() {
    awk '
        /^c?fn=\(/ {
            id = $0; sub(/^c?fn=\(/, "", id); sub(/\).*/, "", id)
            name = $0; sub(/^c?fn=\([0-9]+\) ?/, "", name)
            if (name != "") names[id] = name
            if ($0 ~ /^cfn=/) callee = id
            next
        }
        /^calls=/ {
            split(substr($0, 7), part, " ")
            if (names[callee] ~ /^(__libc_)?(malloc|calloc|realloc|posix_memalign|aligned_alloc|memalign)$/) total += part[1]
        }
        END { print total + 0 }' "$1"
}

# summarize yes|no CALLGRIND_FILE: callgrind_annotate's table with one row per function. Inlining
# splits a function into several file:function rows; inclusive rows nest (largest kept), self rows
# add up. Thread entry frames that were running at the dump (they carry their whole thread's cost
# even in the self view) are left out. Columns: Ir, share of all Ir, Ir per request, function.
ARTIFACTS='^(clone|start_thread|NSThreadStart\(_:\)|@objc NSThreadStart\(_:\)|Thread\.main\(\)|(partial apply for )?closure #1 in (FastCGIServer|JobRunner)\.start\(\))$'
summarize() {
    callgrind_annotate --auto=no --inclusive="$1" --threshold=100 "$2" 2>/dev/null | demangle | awk -v mode="$1" -v n="$REQUESTS" -v skip="$ARTIFACTS" '
        /PROGRAM TOTALS/ { gsub(/,/, "", $1); total = $1; next }
        /^ *[0-9,]+ +\(/ {
            ir = $1; gsub(/,/, "", ir)
            line = $0; sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", line)
            sub(/ \[[^]]*\]$/, "", line)                 # the object file
            fn = substr(line, index(line, ":") + 1)      # drop the source file
            if (fn ~ skip) next
            if (mode == "yes") { if (ir + 0 > cost[fn] + 0) cost[fn] = ir } else cost[fn] += ir
        }
        END { for (fn in cost) printf "%.0f\t%.2f%%\t%.0f\t%s\n", cost[fn], 100 * cost[fn] / total, cost[fn] / n, fn }' |
        sort -t$'\t' -k1,1nr | awk -F'\t' '{ printf "%14s %7s %10s  %s\n", $1, $2, $3, $4 }'
}

VALGRIND=(valgrind --tool=callgrind --dump-instr=no --collect-jumps=no)

# ---- TaskFCGI ----------------------------------------------------------------------------------
dir=$TMP/swift
mkdir -p "$dir"
log "starting taskfcgi under callgrind (slow start)"
WORKER_WRAPPER="${VALGRIND[*]} --callgrind-out-file=$dir/callgrind.out" start_worker "$dir"
start_nginx "$dir"
seed_sql "$dir/tasks.db" 1000
sleep 3   # the job (under valgrind) completes the past-due tenth
log "GET /healthz x $REQUESTS"
measure swift GET:/healthz "$WPID" "$dir" "$BASE/healthz"
log "GET /tasks x $REQUESTS"
measure swift GET:/tasks "$WPID" "$dir" "$BASE/tasks"
log "POST /tasks x $REQUESTS"
measure swift POST:/tasks "$WPID" "$dir" "$BASE/tasks" "$POST_BODY"
stop_nginx
stop_worker

# ---- the C peer, for reference -----------------------------------------------------------------
if [[ -x $PEER_BIN && -f $PEER_SEED ]]; then
    dir=$TMP/c-fcgi
    mkdir -p "$dir"
    sql "$dir/tasks.db" <"$PEER_SEED" >/dev/null
    log "starting c-fcgi under callgrind"
    start_bg "$dir/worker.out" env SOCK="$dir/worker.sock" DB="$dir/tasks.db" FCGI_THREADS=4 \
        "${VALGRIND[@]}" --callgrind-out-file="$dir/callgrind.out" "$PEER_BIN"
    cpid=$LAST_PID
    for _ in $(seq 600); do [[ -S $dir/worker.sock ]] && break; sleep 0.1; done
    [[ -S $dir/worker.sock ]] || die "c-fcgi did not start"
    chmod 666 "$dir/worker.sock"
    start_nginx "$dir"
    measure c-fcgi GET:/static "$cpid" "$dir" "$BASE/static"
    measure c-fcgi GET:/tasks "$cpid" "$dir" "$BASE/tasks"
    measure c-fcgi POST:/tasks "$cpid" "$dir" "$BASE/tasks" 'title=Buy+milk+%26+eggs+%3Cfresh%3E+for+%22Sam%27s%22+party&due=1767225600'
    stop_nginx
    stop_pid "$cpid"
    forget_pid "$cpid"
else
    log "no c-fcgi peer at $PEER_BIN: skipped (build it with $BENCH_DIR/run.sh c-fcgi or make -C $BENCH_DIR/peers/c-fcgi)"
fi

# ---- top functions -----------------------------------------------------------------------------
for f in "$OUT_DIR"/profile-swift-*.txt; do
    echo
    echo "== ${f#"$ROOT"/}"
    sed -n '2p' "$f"
    echo "-- top $TOP inclusive"
    sed -n '/^## inclusive/,/^## self/p' "$f" | sed '1d;$d' | head -n "$((TOP + 1))" || true
    echo "-- top $TOP self"
    sed -n '/^## self/,/^## callgrind_annotate/p' "$f" | sed '1d;$d' | head -n "$((TOP + 1))" || true
done
