#!/bin/sh
# batch-pack: experiments per second through both passes (split, statistics,
# batches written), beside `cpz verify` reading the same samples once.
# Samples: 1 M synthetic experiments shaped like pert-mask's (bench/samples_forge).
set -u
N=${BATCH_PACK_N:-1000000}
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-batch-pack.XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "== batch-pack ($N experiments, bench/samples_forge)"
"$O/bench/samples_forge" "$N" "$T/s.cpz" || exit 1
# seconds CMD...: its wall time, or nothing (and a line on stderr) when it fails
seconds() {
	start=$(date +%s.%N)
	if ! "$@" > /dev/null 2>&1; then
		echo "bench: $* failed" >&2
		return 1
	fi
	end=$(date +%s.%N)
	echo "$start $end" | awk '{ printf "%.3f", $2 - $1 }'
}
base=$(seconds cpz verify -q "$T/s.cpz") || exit 1
printf '%-44s %8s s %12s\n' "cpz verify (one read, no output)" "$base" \
	"$(awk -v n="$N" -v s="$base" 'BEGIN { printf "%.0f/s", n / s }')"
for opts in "-s random" "-s random -z" "-s gene -z" "-s pair --standardize=robust" \
	"-s random -z -w 65536"; do
	t=$(seconds batch-pack -q $opts -b 256 -o "$T/b.cpz" "$T/s.cpz") || continue
	printf '%-44s %8s s %12s  %.2fx verify\n' "batch-pack $opts" "$t" \
		"$(awk -v n="$N" -v s="$t" 'BEGIN { printf "%.0f/s", n / s }')" \
		"$(awk -v a="$base" -v b="$t" 'BEGIN { print a / b }')"
done
