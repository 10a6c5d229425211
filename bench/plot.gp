# gnuplot -e "datafile='bench/results/scale.dat'; outfile='bench/results/scale.png'" bench/plot.gp
# scale.dat columns: posts, ext tag_counts ms, ref tag_counts ms,
#                    ext posts_by_tag(popular) ms, ref posts_by_tag(popular) ms,
#                    ext tag_counts(10) ms
if (!exists("datafile")) datafile = 'bench/results/scale.dat'
if (!exists("outfile")) outfile = 'bench/results/scale.png'
set terminal pngcairo size 900,560 font ",10"
set output outfile
set title "tags: cost against scale (latency of one call, 1 client)"
set xlabel "posts (tags = posts / 100, about 4 tags a post)"
set ylabel "latency, ms (log scale)"
set logscale x 10
set logscale y 10
set format x "%.0s%c"
set grid xtics ytics mxtics mytics
set key top left
set offsets graph 0.05, graph 0.05, 0, 0
plot datafile using 1:3 with linespoints lw 2 pt 7 lc rgb "#d62728" title "reference tag\\_counts()", \
     datafile using 1:2 with linespoints lw 2 pt 5 lc rgb "#1f77b4" title "extension tag\\_counts()", \
     datafile using 1:5 with linespoints lw 2 pt 7 dt 2 lc rgb "#ff7f0e" title "reference posts\\_by\\_tag(popular) page 1", \
     datafile using 1:4 with linespoints lw 2 pt 5 dt 2 lc rgb "#2ca02c" title "extension posts\\_by\\_tag(popular) page 1", \
     datafile using 1:6 with linespoints lw 2 pt 9 dt 3 lc rgb "#9467bd" title "extension tag\\_counts(10)"
