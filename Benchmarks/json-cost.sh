#!/usr/bin/env bash
# Prints what a 50-task API page and one JSON access-log line cost with our JSONText and with
# Foundation's JSONEncoder (µs each, optimized build, ROUNDS runs). About 30 s, mostly compiling.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/taskfcgi-json.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
swiftc -O -o "$TMP/json-cost" "$ROOT/Sources/TaskFCGIKit/Logging/JSONText.swift" "$ROOT/Benchmarks/json/main.swift"
for _ in $(seq "${ROUNDS:-3}"); do "$TMP/json-cost"; done
