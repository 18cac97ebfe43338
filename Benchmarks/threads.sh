#!/usr/bin/env bash
# Requests per second against request threads: the release worker through the shared harness
# (../shared/bench/run.sh, the same nginx, wrk and seeding as compare.sh) once per thread count,
# `threads` in the config set to each of THREAD_COUNTS (1 2 4 8), nginx keeping its connections
# to the worker as deploy/ does (KEEP_CONN=1). Prints the harness's lines prefixed with the thread
# count and keeps them in Benchmarks/results/threads-latest.txt:
#
#   threads=4 swift GET:/tasks rps=N p50_ms=N p99_ms=N ... cpu_us_per_req=N bytes=N
#
#   Benchmarks/threads.sh                          # 1 2 4 8 threads, 10 s per route
#   THREAD_COUNTS="1 4" DURATION=5s Benchmarks/threads.sh
#
# BIN, COMMIT and SKIP_BUILD as in compare.sh; every harness knob (DURATION, WARMUP, GET_CONNS,
# POST_CONNS, ...) passes through. The machine has 2 cores shared with nginx and wrk, so past
# 2 threads rps measures how the worker copes with more threads than cores, not scaling.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=harness.sh
. "$ROOT/Benchmarks/harness.sh"
harness_init threads.sh run.sh

mkdir -p "$ROOT/Benchmarks/results"
exec > >(tee "$ROOT/Benchmarks/results/threads-latest.txt")
echo "# TaskFCGI rps against request threads, $(date -Is), nproc=$(nproc), $(uname -r), commit ${COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)}; binary $BIN; uptime: $(uptime | sed 's/^ *//')"
templates=$(mktemp -d "${TMPDIR:-/tmp}/taskfcgi-threads.XXXXXX")
trap 'rm -rf "$templates"' EXIT
for n in ${THREAD_COUNTS:-1 2 4 8}; do
    # The harness writes $CONF from the template's file name minus .tmpl.
    sed "s/\"threads\": *[0-9]*/\"threads\": $n/" "$ROOT/Benchmarks/taskfcgi.json.tmpl" >"$templates/taskfcgi-$n.json.tmpl"
    SEED=http KEEP_CONN=1 STATIC_PATH=/healthz LABEL=swift \
        POST_BODY='title=Buy+milk+%26+eggs+%3Cfresh%3E+for+%22Sam%27s%22+party&due=2027-01-01T09:00' \
        WORKER_CONFIG_TEMPLATE="$templates/taskfcgi-$n.json.tmpl" \
        "$BENCH_DIR/run.sh" cmd:"exec $BIN --config \$CONF" | sed "s/^/threads=$n /"
done
echo "# done: $(uptime | sed 's/^ *//')"
