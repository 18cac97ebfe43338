#!/usr/bin/env bash
# What the browser work (issue 15) costs: the list page's weight and render cost against a build of
# an earlier commit, and what one poll of a live page costs. BEFORE is that earlier release binary
# (build it in a scratch worktree: `git worktree add --detach /tmp/base <commit>` and
# `swift build -c release --product taskfcgi` there); this checkout's release build is the "after".
# ROUNDS rounds in alternating order (before/after, then after/before, …) so drift on a shared
# machine hits both sides alike; each run a fresh worker and nginx, SEED_TASKS tasks (seed_sql: the
# benchmark's rows), a WARMUP wrk run, then DURATION measured.
#
#   BEFORE=/tmp/base/.build/release/taskfcgi Benchmarks/page-cost.sh         # ROUNDS=3, ~3 min
#
# Prints one line per run, then the medians:
#   build=before rps=N p50_ms=N p99_ms=N … cpu_us_per_req=N bytes=N
#   build=after  … bytes=N poll_status=304 poll_rps=N poll_p99_ms=N poll_cpu_us=N css_bytes=N js_bytes=N
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-3}
[[ -x ${BEFORE:-} ]] || { echo "page-cost: set BEFORE to the release taskfcgi of the commit to compare with" >&2; exit 1; }
# shellcheck source=lib.sh
. "$ROOT/Benchmarks/lib.sh"
load_settings
bench_init wrk
AFTER=$BIN
RESULT_TMP=$TMP/results.txt

# measure before|after: a fresh worker and nginx with that build; one result line (load_route's
# fields, then for "after" the poll's and the assets').
measure() {
    local build=$1 dir=$TMP/$1-$RANDOM line poll answer asset assets=""
    mkdir -p "$dir"
    if [[ $build == before ]]; then BIN=$BEFORE; else BIN=$AFTER; fi
    start_worker "$dir"
    start_nginx "$dir"
    seed_sql "$dir/tasks.db" "$SEED_TASKS"
    sleep 1.5   # the job completes the seeded past-due tenth first
    line=$(LOAD_DIR=$dir RESULT_TMP=/dev/null load_route "GET:/tasks" "$GET_CONNS" /tasks)
    if [[ $build == after ]]; then
        # While nothing changes: If-None-Match with the current token must get an empty 304.
        export TOKEN
        TOKEN=$(curl -s -D - -o /dev/null "$BASE/tasks/changes" | tr -d '\r' | sed -n 's/^ETag: //Ip')
        answer=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H "If-None-Match: $TOKEN" "$BASE/tasks/changes")
        [[ $answer == "304 0" ]] || die "GET /tasks/changes with If-None-Match $TOKEN answered $answer"
        poll=$(LOAD_DIR=$dir RESULT_TMP=/dev/null load_route "poll" "$GET_CONNS" /tasks/changes "$ROOT/Benchmarks/lua/poll_changes.lua")
        # The style sheet and the script the page names: fetched once, then cached for a year.
        for asset in $(curl -s "$BASE/tasks" | grep -o '/assets/[a-z]*\.[0-9a-f]*\.[a-z]*'); do
            assets+=" ${asset##*.}_bytes=$(curl -s -o /dev/null -w '%{size_download}' "$BASE$asset")"
        done
        line+=" poll_status=304 poll_rps=$(field rps "$poll") poll_p99_ms=$(field p99_ms "$poll") poll_cpu_us=$(field cpu_us_per_req "$poll")$assets"
    fi
    out "build=$build ${line#GET:/tasks }"
    stop_nginx
    stop_worker
}

log "page cost: before $BEFORE, after $AFTER; $ROUNDS rounds, $DURATION each after $WARMUP warm-up; uptime: $(uptime)"
# Alternate which build goes first, so drift on a shared machine hits both alike.
for round in $(seq "$ROUNDS"); do
    builds=(before after)
    ((round % 2)) || builds=(after before)
    for build in "${builds[@]}"; do measure "$build"; done
done
# medians: the middle value of each field over the rounds, per build.
for build in before after; do
    printf 'median build=%s' "$build"
    for name in bytes rps cpu_us_per_req poll_rps poll_cpu_us; do
        grep "^build=$build " "$RESULT_TMP" | while read -r row; do field "$name" "$row"; done | grep . | sort -n >"$TMP/values" || continue
        printf ' %s=%s' "$name" "$(pct 0.5 "$TMP/values")"
    done
    echo
done
