# PNG charts of one benchmark run, drawn by Benchmarks/charts.sh (gnuplot 5, pngcairo). Called as
#   gnuplot -e "dir='Benchmarks/results/DATE-COMMIT'; label='...'" Benchmarks/charts.gp
# Reads dir/summary.dat (medians per route: c-fcgi, TaskFCGI, php) and dir/threads.dat; writes
# rps.png, cpu.png, latency.png and threads.png into dir.
set terminal pngcairo size 960,540 font "sans,11" noenhanced
set datafile separator "\t"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left
# The cheap route is /static (1,950 bytes) on the peers and /healthz (3 bytes and a SQLite read) on TaskFCGI.
set label 1 "cheap route: /static on the peers, /healthz on TaskFCGI" at graph 0.99, graph 0.97 right font ",9"
set yrange [0:*]
set offsets 0, 0, graph 0.3, 0   # headroom above the tallest bar for the key and the values
set linetype 1 lc rgb "#4c72b0"
set linetype 2 lc rgb "#dd8452"
set linetype 3 lc rgb "#8c8c8c"

# summary.dat columns: route, then rps, cpu, p50, p99 for c-fcgi (2-5), TaskFCGI (6-9), php (10-13),
# c-fcgi with kept connections (14-17; zero when not measured).
set linetype 4 lc rgb "#55a868"
bars(c) = sprintf("%.0f", c)
set output dir."/rps.png"
set title "Requests per second (higher is better), ".label
set ylabel "requests / s"
plot dir."/summary.dat" using 2:xtic(1) title "c-fcgi (C, libfcgi)", \
     '' using 6 title "TaskFCGI", \
     '' using 10 title "php-fpm", \
     '' using 14 title "c-fcgi, kept connections", \
     '' using ($0 - 0.3):2:(bars($2)) with labels offset 0,0.7 font ",8" notitle, \
     '' using ($0 - 0.1):6:(bars($6)) with labels offset 0,0.7 font ",8" notitle, \
     '' using ($0 + 0.1):10:(bars($10)) with labels offset 0,0.7 font ",8" notitle, \
     '' using ($0 + 0.3):14:(bars($14)) with labels offset 0,0.7 font ",8" notitle

set output dir."/cpu.png"
set title "Worker CPU per request, user + system (lower is better), ".label
set ylabel "µs / request"
plot dir."/summary.dat" using 3:xtic(1) title "c-fcgi (C, libfcgi)", \
     '' using 7 title "TaskFCGI", \
     '' using 11 title "php-fpm", \
     '' using 15 title "c-fcgi, kept connections", \
     '' using ($0 - 0.3):3:(sprintf("%.1f", $3)) with labels offset 0,0.7 font ",8" notitle, \
     '' using ($0 - 0.1):7:(sprintf("%.1f", $7)) with labels offset 0,0.7 font ",8" notitle, \
     '' using ($0 + 0.1):11:(sprintf("%.1f", $11)) with labels offset 0,0.7 font ",8" notitle, \
     '' using ($0 + 0.3):15:(sprintf("%.1f", $15)) with labels offset 0,0.7 font ",8" notitle

set output dir."/latency.png"
unset label 1
set offsets 0, 0, 0, 0
set key top left font ",9"
set xtics font ",9"
set multiplot layout 1,2 title "Latency under load (wrk, lower is better), ".label
set logscale y
set yrange [0.1:*]
set ylabel "ms"
set title "median (p50)"
plot dir."/summary.dat" using 4:xtic(1) title "c-fcgi", '' using 8 title "TaskFCGI", '' using 12 title "php-fpm", '' using 16 title "c-fcgi kept"
set title "99th percentile (p99)"
plot dir."/summary.dat" using 5:xtic(1) title "c-fcgi", '' using 9 title "TaskFCGI", '' using 13 title "php-fpm", '' using 17 title "c-fcgi kept"
unset multiplot
unset logscale y

# threads.dat columns: threads, then rps and cpu for /healthz (2-3), GET /tasks (4-5), POST /tasks (6-7).
set output dir."/threads.png"
set title "TaskFCGI requests per second against request threads (2-core machine), ".label
set style data linespoints
set xlabel "request threads (config \"threads\")"
set ylabel "requests / s"
set logscale x 2
set xtics (1, 2, 4, 8)
set xrange [0.8:10]
set yrange [0:*]
plot dir."/threads.dat" using 1:2 title "GET /healthz" lw 2 pt 7, \
     '' using 1:4 title "GET /tasks" lw 2 pt 7, \
     '' using 1:6 title "POST /tasks" lw 2 pt 7
