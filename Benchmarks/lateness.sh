#!/usr/bin/env bash
# Due-task lateness through the shared harness (../shared/bench/lateness.sh): TaskFCGI behind
# nginx, TASKS tasks POSTed with a `due` to the second, spread over SPREAD_S seconds; prints
#   lateness n=N completed=M p50_ms=N p99_ms=N max_ms=N min_ms=N
# where lateness = action_at - due_at (both Unix ms in TaskFCGI's schema). The peers have no
# due-task job, so there is nothing to compare against; Benchmarks/run.sh measures the same thing
# on its own.
#
#   Benchmarks/lateness.sh                      # 1,000 tasks over 60 s
#   TASKS=200 SPREAD_S=30 Benchmarks/lateness.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=harness.sh
. "$ROOT/Benchmarks/harness.sh"
harness_init lateness.sh lateness.sh

export LATENESS_SQL='SELECT action_at - due_at FROM tasks WHERE completed = 1'
export WORKER_CONFIG_TEMPLATE=$ROOT/Benchmarks/taskfcgi.json.tmpl
export LABEL=${LABEL:-swift}
export TASKS=${TASKS:-1000} SPREAD_S=${SPREAD_S:-60} LEAD_S=${LEAD_S:-5}
exec "$BENCH_DIR/lateness.sh" cmd:"exec $BIN --config \$CONF"
