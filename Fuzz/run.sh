#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/Targets and runs each for a bounded time.
#
#   Fuzz/run.sh [SECONDS_PER_TARGET]     default 60, or $FUZZ_SECONDS; 0 only replays the seed corpus
#   FUZZ_TARGETS="form config" Fuzz/run.sh 30     a subset (default: all targets below)
#   FUZZ_KEEP_GOING=1 Fuzz/run.sh 300     fuzz on after a crash (libFuzzer -fork=1 -ignore_crashes=1),
#                                         to find more than the first bug; failing inputs are all kept
#
# Exits non-zero when a target crashes, fails one of its checks, times out (5 s per input) or runs
# out of memory (2 GB), after printing the input. Works without a terminal (CI).
#
# How it is built: SwiftPM executables have their own `main`, which clashes with libFuzzer's, so
# swiftc is called directly. All of Sources/TaskFCGIKit plus every Fuzz/Targets/*.swift is
# compiled once, as the module TaskFCGIKit (so internal API is visible), into one object file;
# each target binary is that object linked with libFuzzer, with its entry point
# `fuzz_<target>` bound to `LLVMFuzzerTestOneInput` by the linker. Output goes to .build-fuzz/
# (git-ignored): bin/, the working copy of each corpus in corpus/, crashes and logs in results/.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets="form duedate interval config request tzif cron api records"
seconds="${1:-${FUZZ_SECONDS:-60}}"
read -r -a targets <<<"${FUZZ_TARGETS:-$all_targets}"
swiftc="${SWIFTC:-swiftc}"
out=.build-fuzz

if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    echo "usage: Fuzz/run.sh [SECONDS_PER_TARGET]   (got '$seconds')" >&2
    exit 2
fi
for target in "${targets[@]}"; do
    if [[ " $all_targets " != *" $target "* ]]; then
        echo "unknown target '$target'; known: $all_targets" >&2
        exit 2
    fi
done

# --- build -----------------------------------------------------------------------------------
mkdir -p "$out/obj" "$out/bin"
mapfile -t sources < <(find Sources/TaskFCGIKit Fuzz/Targets -name '*.swift' | LC_ALL=C sort)
flags=(-parse-as-library -module-name TaskFCGIKit -swift-version 6 -O -sanitize=fuzzer,address
       -I Sources/CSQLite -I Sources/CFastCGI -I Sources/CCrypt -I Sources/COpenSSL -I Sources/CCurl)
object="$out/obj/TaskFCGIKit.o"
stamp="$out/obj/stamp"
build_start=$SECONDS
# Rebuilt when a source changed, was added or removed, or the flags or compiler changed.
wanted_stamp="$(printf '%s\n' "${flags[*]}" "$("$swiftc" --version 2>&1 | head -n 1)" "${sources[@]}")"
if [[ ! -f "$object" || ! -f "$stamp" || "$(cat "$stamp")" != "$wanted_stamp" ]] \
    || [[ -n "$(find Sources/TaskFCGIKit Fuzz/Targets -name '*.swift' -newer "$object" -print -quit)" ]]; then
    echo "== building the fuzz module (${#sources[@]} files, -O, ASan + libFuzzer coverage)"
    rm -f "$object" "$stamp"
    "$swiftc" -c -wmo "${flags[@]}" "${sources[@]}" -o "$object"
    printf '%s' "$wanted_stamp" >"$stamp"
    rm -f "$out"/bin/fuzz-*
fi
for target in "${targets[@]}"; do
    binary="$out/bin/fuzz-$target"
    if [[ ! -x "$binary" || "$object" -nt "$binary" ]]; then
        echo "== linking $binary"
        # lld, because gold prints hundreds of harmless "Cannot export local symbol" warnings for ASan.
        "$swiftc" -sanitize=fuzzer,address -use-ld=lld "$object" \
            -Xlinker "--defsym=LLVMFuzzerTestOneInput=fuzz_$target" -o "$binary"
    fi
done
echo "== build: $((SECONDS - build_start)) s"

# --- run -------------------------------------------------------------------------------------
# Swift's own crash backtracer would race libFuzzer's handler (and trips ASan reading memory);
# libFuzzer + ASan print the stack and save the input.
export SWIFT_BACKTRACE=enable=no
# A number from libFuzzer's final statistics (-print_final_stats=1) in log $2, or "?".
final_stat() { grep -o "stat::$1: *[0-9]*" "$2" | tail -n 1 | grep -o '[0-9]*$' || echo "?"; }
failed=()
summary=()
for target in "${targets[@]}"; do
    binary="$out/bin/fuzz-$target"
    corpus="$out/corpus/$target"
    results="$out/results/$target"
    rm -rf "$corpus" "$results"
    mkdir -p "$corpus" "$results"
    # A writable copy: libFuzzer adds inputs to its corpus folder; the checked-in seeds stay as they are.
    cp Fuzz/Corpus/"$target"/* "$corpus"/
    options=(-timeout=5 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$results/")
    if [[ -f "Fuzz/dictionaries/$target.dict" ]]; then options+=(-dict="Fuzz/dictionaries/$target.dict"); fi
    if ((seconds == 0)); then options+=(-runs=0); else options+=(-max_total_time="$seconds"); fi
    if [[ "${FUZZ_KEEP_GOING:-0}" == 1 ]] && ((seconds > 0)); then
        options+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    fi
    echo "== fuzzing $target for ${seconds} s ($(ls "$corpus" | wc -l) seeds)"
    started=$SECONDS
    status=0
    "$binary" "${options[@]}" "$corpus" </dev/null >"$results/fuzz.log" 2>&1 || status=$?
    took=$((SECONDS - started))

    execs=$(final_stat number_of_executed_units "$results/fuzz.log")
    rate=$(final_stat average_exec_per_sec "$results/fuzz.log")
    rss=$(final_stat peak_rss_mb "$results/fuzz.log")
    if [[ "$execs" == "?" ]]; then # fork mode prints progress lines only: "#123: cov: … exec/s: 456 …"
        execs=$(grep -oE '^#[0-9]+' "$results/fuzz.log" | tail -n 1 | tr -d '#' || true)
        rate=$(grep -oE 'exec/s: [0-9]+' "$results/fuzz.log" | tail -n 1 | grep -oE '[0-9]+' || true)
    fi
    coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+(/[0-9]+[a-zA-Z]*)?' "$results/fuzz.log" | tail -n 1 || true)
    artifacts=()
    for file in "$results"/crash-* "$results"/leak-* "$results"/timeout-* "$results"/oom-*; do
        if [[ -e "$file" ]]; then artifacts+=("$file"); fi
    done
    verdict=ok
    if ((status != 0)) || ((${#artifacts[@]} > 0)); then
        verdict="FAILED (exit $status)"
        failed+=("$target")
    fi
    summary+=("$(printf '%-9s %-18s %12s execs %8s/s  %-44s rss %s MB  %s s' \
        "$target" "$verdict" "$execs" "$rate" "${coverage:-cov: ?}" "$rss" "$took")")
    echo "   ${summary[-1]}"

    if [[ "$verdict" != ok ]]; then
        echo "---- $target: last lines of $results/fuzz.log"
        # The report starts at the sanitizer/check/Swift runtime message; show it and what follows.
        first=$(grep -n -m 1 -E '==ERROR|FUZZ CHECK FAILED|Fatal error|deadly signal|ALARM|out-of-memory' \
            "$results/fuzz.log" | cut -d: -f1 || true)
        if [[ -n "$first" ]]; then
            tail -n "+$((first > 5 ? first - 5 : 1))" "$results/fuzz.log" | head -n 80
        else
            tail -n 40 "$results/fuzz.log"
        fi
        for file in $(printf '%s\n' ${artifacts[@]+"${artifacts[@]}"} | head -n 10); do
            echo "---- $target: failing input $file ($(wc -c <"$file") bytes); reproduce: $binary $file"
            echo "escaped: $(head -c 2000 "$file" | od -An -v -c | tr -s ' \n' ' ')"
            od -A x -t x1z -v "$file" | head -n 64
        done
        if ((${#artifacts[@]} > 10)); then echo "---- ($((${#artifacts[@]} - 10)) more failing inputs in $results/)"; fi
        echo "---- keep the input (copy it out of .build-fuzz/) and add it as a regression test; see Fuzz/README.md"
    fi
done

echo
echo "== summary (${seconds} s per target; total $SECONDS s including the build)"
printf '   %s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
    echo "== FAILED: ${failed[*]}" >&2
    exit 1
fi
