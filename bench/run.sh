#!/bin/sh
# make bench: every benchmark, one after another, figures on stdout.
set -u
O=${O:-build}
echo "== cpz format (bench/cpz_bench)"
"$O/bench/cpz_bench" -m 512 -r 8
