# SPDX-License-Identifier: MIT
# gnuplot -e "data='bench/results.dat'; out='docs/perf.svg'; floor=38.6" bench/plot.gp
#
# ns per op (log scale) for each profile and policy from the data file that
# bench/median5.sh writes: bars are medians, error bars the min-max of runs.
# `floor` (optional): the memcpy 4 KiB floor median.sh printed, drawn as a line.
if (!exists("data")) data = 'bench/results.dat'
if (!exists("out")) out = 'docs/perf.svg'
set terminal svg size 800,450 dynamic enhanced font 'Helvetica,12' background rgb 'white'
set output out
set title 'swiotlb bench: median of 5 runs (error bars: min-max)'
set ylabel 'ns per op (log scale)'
set logscale y
set yrange [10:*]
set grid ytics
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set key left top
set xtics nomirror
if (exists("floor")) \
	set arrow from graph 0, first floor to graph 1, first floor nohead dt 2 lc rgb '#d62728'; \
	set label sprintf('dashed: memcpy 4 KiB, hot (%.1f ns)', floor) at graph 0.02, graph 0.80 left tc rgb '#d62728'
plot data using 2:3:4:xtic(1) title 'linux' lc rgb '#9e9e9e', \
     '' using 5:6:7 title 'fast' lc rgb '#1f77b4'
