#!/usr/bin/env bash
# TaskFCGI side by side with the shared harness's peers (../shared/bench): the C libfcgi
# worker ("c-fcgi", the physical limit for libfcgi + SQLite) and PHP-FPM ("php"). Builds the
# release worker, then runs the harness's compare.sh twice: c-fcgi vs swift, php vs swift.
#
#   Benchmarks/compare.sh                 # both comparisons, ROUNDS=2, 10 s per route
#   ROUNDS=3 DURATION=20s Benchmarks/compare.sh
#   Benchmarks/compare.sh c-fcgi          # one peer only
#
# TaskFCGI is measured as shipped, nginx keeping its connections to the worker (KEEP_CONN=1); the
# peers as they are, nginx connecting per request (libfcgi pins a kept connection to a thread).
# `c-fcgi-keep` in the peer list runs the C peer with KEEP_CONN=1 too, for reference.
# Both sides are seeded over HTTP with the same 1,000 titles (SEED=http). The peers take an epoch
# `due`, TaskFCGI a datetime-local one, so the seed and POST bodies are set per side (A_ENV, B_ENV).
# TaskFCGI's cheap route is /healthz (the peers' is /static). Every other harness knob (DURATION,
# WARMUP, ROUNDS, GET_CONNS, ...) passes through. The harness keeps the raw lines in
# ../shared/bench/results/compare-<time>.txt; this script prints the tables it prints and
# keeps them in Benchmarks/results/compare-latest.txt, and those raw lines (every run of every
# side) in Benchmarks/results/compare-raw-latest.txt, which Benchmarks/charts.sh draws from.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=harness.sh
. "$ROOT/Benchmarks/harness.sh"
harness_init compare.sh compare.sh

# The same titles on both sides; only the form of `due` differs.
SEED_TITLE='title=Task+{i}:+review+%3Creport%3E+%26+%22notes%22+for+team%27s+sprint'
POST_TITLE='title=Buy+milk+%26+eggs+%3Cfresh%3E+for+%22Sam%27s%22+party'
export LABEL_CMD=swift
export ROUNDS=${ROUNDS:-2}
PEER_ENV="SEED=http SEED_BODY=$SEED_TITLE&due={due_epoch}"
SWIFT_ENV="SEED=http KEEP_CONN=1 STATIC_PATH=/healthz POST_BODY=$POST_TITLE&due=2027-01-01T09:00 WORKER_CONFIG_TEMPLATE=$ROOT/Benchmarks/taskfcgi.json.tmpl"

peers=("$@")
((${#peers[@]})) || peers=(c-fcgi php)
# Everything below also goes to Benchmarks/results/compare-latest.txt.
mkdir -p "$ROOT/Benchmarks/results"
RAW_OUT=$ROOT/Benchmarks/results/compare-raw-latest.txt
: >"$RAW_OUT"
exec > >(tee "$ROOT/Benchmarks/results/compare-latest.txt")
echo "# TaskFCGI vs ${peers[*]}, $(date -Is), nproc=$(nproc), $(uname -r), commit ${COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)}; binary $BIN ($(date -r "$BIN" -Is)); uptime: $(uptime | sed 's/^ *//')"
for peer in "${peers[@]}"; do
    case $peer in
        c-fcgi|php) target=$peer env=$PEER_ENV ;;
        c-fcgi-keep) target=c-fcgi env="$PEER_ENV KEEP_CONN=1" ;;
        *) echo "compare.sh: peer must be c-fcgi, c-fcgi-keep or php, not '$peer'" >&2; exit 2 ;;
    esac
    echo
    echo "## $peer (A) vs swift (B): B/A is TaskFCGI relative to $peer"
    tables=$(mktemp)
    A_ENV=$env B_ENV=$SWIFT_ENV "$BENCH_DIR/compare.sh" "$target" cmd:"exec $BIN --config \$CONF" | tee "$tables"
    # The harness names its raw file on the medians line: "... raw: results/compare-<time>.txt".
    raw=$(sed -n 's/.*raw: \(results\/compare-[0-9-]*\.txt\).*/\1/p' "$tables" | tail -n 1)
    rm -f "$tables"
    # The harness labels the C peer c-fcgi in both modes: the raw lines keep them apart.
    if [[ -n $raw && -f $BENCH_DIR/$raw ]]; then grep -v '^#' "$BENCH_DIR/$raw" | sed "s/^c-fcgi /$peer /" >>"$RAW_OUT"; fi
done
echo
echo "# done: $(uptime | sed 's/^ *//')"
