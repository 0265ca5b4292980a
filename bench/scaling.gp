# bench/scaling.gp: bench/scaling.png from bench/scaling.dat (bench/report
# writes both, and passes blocks, the number of data blocks, and tools, how
# many of them, first, are recsync's; the rest are the Python original's).
# CPU time and peak memory of each stage against N, log-log: a cost linear
# in N is a straight line of slope 1.
set terminal pngcairo size 1200,520 font "sans,9"
set output "scaling.png"
set multiplot layout 1,2 title "recsync stages against N (medians; dashed: the Python original)"
set logscale xy
set grid
set xlabel "N records"
set key top left font "sans,8"
set ylabel "CPU seconds (user + system)"
plot for [i=0:tools-1] "scaling.dat" index i using 2:3 with linespoints lc i+1 title columnhead(1), \
	for [i=tools:blocks-1] "scaling.dat" index i using 2:3 with linespoints lc i-tools+1 dt 2 title columnhead(1)
set ylabel "peak RSS, MiB"
plot for [i=0:tools-1] "scaling.dat" index i using 2:4 with linespoints lc i+1 title columnhead(1), \
	for [i=tools:blocks-1] "scaling.dat" index i using 2:4 with linespoints lc i-tools+1 dt 2 title columnhead(1)
unset multiplot
