# shellcheck shell=bash
# Shared by the scripts that drive the shared harness (compare.sh, lateness.sh, threads.sh;
# sourced, not run): `harness_init NAME SCRIPT` finds the harness beside the project
# (../shared/bench from its root; BENCH_DIR overrides), checks it has SCRIPT, and sets BIN to
# the release worker (built unless BIN is given or SKIP_BUILD=1). The caller sets ROOT.
harness_init() {
    local name=$1 script=$2
    BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
    BENCH_DIR=$(cd "$BENCH_DIR" 2>/dev/null && pwd || echo "$BENCH_DIR")
    [[ -x $BENCH_DIR/$script ]] || { echo "$name: no harness at $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }
    [[ -n ${BIN:-} ]] && COMMIT=${COMMIT:-unknown (BIN given; set COMMIT)}
    if [[ -z ${BIN:-} ]]; then
        if [[ ${SKIP_BUILD:-0} != 1 ]]; then (cd "$ROOT" && swift build -c release --product taskfcgi >&2); fi
        BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)/taskfcgi
    fi
    [[ -x $BIN ]] || { echo "$name: no worker binary at $BIN" >&2; exit 1; }
}
