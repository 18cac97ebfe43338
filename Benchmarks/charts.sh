#!/usr/bin/env bash
# Draws the last compare.sh and threads.sh runs as PNG charts with gnuplot (Benchmarks/charts.gp)
# and keeps them, with the data they come from, in Benchmarks/results/DATE-COMMIT/ (committed):
#
#   compare.txt, compare-raw.txt   compare.sh's tables and every raw harness line
#   threads.txt                    threads.sh's lines
#   summary.dat, threads.dat       the medians charts.gp plots (tab-separated)
#   rps.png, cpu.png, latency.png  per route, TaskFCGI beside c-fcgi and php (and c-fcgi with
#                                  kept connections, when compare.sh ran c-fcgi-keep)
#   threads.png                    TaskFCGI's rps against request threads
#
#   Benchmarks/compare.sh && Benchmarks/threads.sh && Benchmarks/charts.sh
#   COMMIT=abc1234 Benchmarks/charts.sh        # name the commit the binary was built from
#
# The cheap route is /static on the peers and /healthz on TaskFCGI: one group of bars.
# Medians are over every run of a side (compare.sh runs TaskFCGI against each peer, so its
# medians pool both comparisons).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS=$ROOT/Benchmarks/results
command -v gnuplot >/dev/null || { echo "charts.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }
for f in compare-raw-latest.txt compare-latest.txt threads-latest.txt; do
    [[ -s $RESULTS/$f ]] || { echo "charts.sh: no $RESULTS/$f (run compare.sh and threads.sh first)" >&2; exit 1; }
done
# The commit the measured binary came from: compare.sh's header says it.
COMMIT=${COMMIT:-$(sed -n '1s/.*, commit \([^;]*\);.*/\1/p' "$RESULTS/compare-latest.txt")}
COMMIT=${COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD)}
day=$(date -r "$RESULTS/compare-latest.txt" +%F)
out=$RESULTS/$day-$COMMIT
mkdir -p "$out"
cp "$RESULTS/compare-latest.txt" "$out/compare.txt"
cp "$RESULTS/compare-raw-latest.txt" "$out/compare-raw.txt"
cp "$RESULTS/threads-latest.txt" "$out/threads.txt"

# median_table: "label route key=value ..." lines on stdin → "label route key median" lines.
median_table() {
    awk '
        NF >= 3 && $2 ~ /^(GET|POST):/ {
            for (i = 3; i <= NF; i++) { split($i, kv, "="); k = $1 SUBSEP $2 SUBSEP kv[1]; v[k] = v[k] " " kv[2] }
        }
        function median(s,    a, m, i, j, t) {
            m = split(s, a, " ")
            for (i = 2; i <= m; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
        }
        END { for (k in v) { split(k, p, SUBSEP); print p[1], p[2], p[3], median(v[k]) } }'
}

median_table <"$out/compare-raw.txt" >"$out/medians.txt"
awk -v OFS='\t' '
    { route = $2; sub(":", " ", route)
      if ($2 == "GET:/static" || $2 == "GET:/healthz") route = "cheap route"
      m[$1, route, $3] = $4 }
    END {
        print "# route", "c-fcgi rps", "cpu_us", "p50_ms", "p99_ms", "TaskFCGI rps", "cpu_us", "p50_ms", "p99_ms", "php rps", "cpu_us", "p50_ms", "p99_ms", "c-fcgi-keep rps", "cpu_us", "p50_ms", "p99_ms"
        n = split("cheap route,GET /tasks,POST /tasks", order, ",")
        for (i = 1; i <= n; i++) {
            r = order[i]; line = r
            split("c-fcgi swift php c-fcgi-keep", who, " ")
            for (w = 1; w <= 4; w++) line = line OFS m[who[w], r, "rps"] + 0 OFS m[who[w], r, "cpu_us_per_req"] + 0 OFS m[who[w], r, "p50_ms"] + 0 OFS m[who[w], r, "p99_ms"] + 0
            print line
        }
    }' "$out/medians.txt" >"$out/summary.dat"

# threads.dat: one row per thread count.
awk -v OFS='\t' '
    /^threads=[0-9]+ swift (GET|POST):/ {
        split($1, t, "="); n = t[2]; counts[n] = 1
        for (i = 4; i <= NF; i++) { split($i, kv, "="); v[n, $3, kv[1]] = kv[2] }
    }
    END {
        print "# threads", "healthz rps", "healthz cpu_us", "GET /tasks rps", "cpu_us", "POST /tasks rps", "cpu_us"
        for (n = 1; n <= 64; n++) if (n in counts)
            print n, v[n, "GET:/healthz", "rps"], v[n, "GET:/healthz", "cpu_us_per_req"], v[n, "GET:/tasks", "rps"], \
                  v[n, "GET:/tasks", "cpu_us_per_req"], v[n, "POST:/tasks", "rps"], v[n, "POST:/tasks", "cpu_us_per_req"]
    }' "$out/threads.txt" >"$out/threads.dat"

label="commit $COMMIT, $day"
gnuplot -e "dir='$out'; label='$label'" "$ROOT/Benchmarks/charts.gp"
echo "charts: ${out#"$ROOT"/}/{rps,cpu,latency,threads}.png"
