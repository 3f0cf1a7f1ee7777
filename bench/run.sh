#!/bin/sh
# make bench: run every bench/bench-*.sh in turn; figures on stdout.
# Each script gets O (object dir), BINDIR and DATA in its environment.
set -u
O=${O:-build}
BINDIR=${BINDIR:-bin}
DATA=${DATA:-../shared/data}
case $BINDIR in /*) ;; *) BINDIR=$(pwd)/$BINDIR ;; esac
case $O in /*) ;; *) O=$(pwd)/$O ;; esac
export O BINDIR DATA
export PATH="$BINDIR:$PATH"
for b in bench/bench-*.sh; do
	[ -f "$b" ] || continue
	sh "$b" || echo "bench: $b failed"
	echo
done
