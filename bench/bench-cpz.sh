#!/bin/sh
# The tensor stream format: write and read MB/s, beside zstd -d on the same bytes.
echo "== cpz format (bench/cpz_bench -m 512 -r 8)"
"$O/bench/cpz_bench" -m 512 -r 8
