#!/bin/sh
# Tests on the real public data in $DATA (../shared/data by default): runs
# every tests/data/*.sh.  Without the data they are reported as skipped.
set -u
if [ ! -d "$DATA" ] || [ ! -f "$DATA/MANIFEST.tsv" ]; then
	echo "ok - real data # SKIP no data at $DATA (set DATA=...)"
	exit 0
fi
for t in tests/data/*.sh; do
	[ -f "$t" ] || continue
	sh "$t" || echo "not ok - $(basename "$t"): exited $?"
done
