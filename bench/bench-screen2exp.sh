#!/bin/sh
# screen2exp on a full-size screen: a generated SGA_ExN_NxE.txt-like file of
# 20 M rows (the real Costanzo 2016 screens hold 20.7 M), read alone
# (--no-merge) and merged (external sort, 256 MiB buffer).  Memory must not
# grow with the rows: peak RSS at 20 M rows against 1 M rows.  Speed beside
# awk summing one column of the same file.
set -u
ROWS=${SCREEN_ROWS:-20000000}
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-screen2exp.XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "== screen2exp ($ROWS generated SGA rows)"
generate() {
	awk -v n="$1" 'BEGIN {
		OFS = "\t"; x = 12345
		print "Query Strain ID", "Query allele name", "Array Strain ID", "Array allele name",
			"Arraytype/Temp", "Genetic interaction score (\316\265)", "P-value",
			"Query single mutant fitness (SMF)", "Array SMF", "Double mutant fitness",
			"Double mutant fitness standard deviation"
		for (i = 0; i < n; i++) {
			x = (x * 1103515245 + 12345) % 2147483648; q = x % 4500
			x = (x * 1103515245 + 12345) % 2147483648; a = x % 4000
			x = (x * 1103515245 + 12345) % 2147483648; f = x % 10000
			printf "Y%04dW_sn%d\tq%d\tY%04dC_dma%d\ta%d\tDMA%d\t%.4f\t%.3g\t0.%04d\t0.%04d\t0.%04d\t0.0%03d\n",
				q, q, q, a, a, a, (i % 4 ? 30 : 26), (f - 5000) / 20000, f / 10000,
				(f * 7) % 10000, (f * 13) % 10000, f, f % 1000
		}
	}'
}
generate 1000000 > "$T/small.txt"
generate "$ROWS" > "$T/sga.txt"
run() {
	# prints "seconds peak-RSS-MiB" from the tool's resource line; the
	# summary is kept in $T/log
	"$@" 2>"$T/log" >/dev/null
	sed -n 's/.*: \([0-9.]*\) s wall.*peak RSS \([0-9.]*\) MiB.*/\1 \2/p' "$T/log"
}
small=$(run screen2exp --no-merge -o /dev/null "$T/small.txt")
big=$(run screen2exp --no-merge -o /dev/null "$T/sga.txt")
merged=$(run screen2exp -m 256 -o /dev/null "$T/sga.txt")
runs=$(sed -n 's/.*; \([0-9]*\) sort runs.*/\1/p' "$T/log")
start=$(date +%s.%N)
awk -F'\t' '{ s += $10 } END { print s }' "$T/sga.txt" > /dev/null
end=$(date +%s.%N)
echo "$small $big $merged $start $end" | awk -v rows="$ROWS" -v runs="$runs" '{
	awk_s = $8 - $7
	printf "%-36s %8.1f s %10.0f rows/s  peak RSS %7.1f MiB\n", "read, 1 M rows (--no-merge)", $1, 1e6 / $1, $2
	printf "%-36s %8.1f s %10.0f rows/s  peak RSS %7.1f MiB\n", "read, all rows (--no-merge)", $3, rows / $3, $4
	printf "%-36s %8.1f s %10.0f rows/s  peak RSS %7.1f MiB\n", "read and merge (-m 256)", $5, rows / $5, $6
	printf "%-36s %8.1f s %10.0f rows/s\n", "awk summing one column", awk_s, rows / awk_s
	printf "peak RSS, all rows / 1 M rows: %.2f when reading; %.0f MiB when merging with a 256 MiB sort buffer and %s scratch runs\n", $4 / $2, $6, runs
	printf "reading runs at %.2fx awk\n", awk_s / $3
}'
