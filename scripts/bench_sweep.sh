#!/bin/sh
# bench_sweep.sh FAULTRUN PROG: `faultrun --sweep` one point at a time
# against two at a time (-j 2), on a sweep of PROG (fi_prog) whose points
# each move 400,000 bytes over a socketpair (rd:eintr: about 60 points).
# Prints each run's wall time, the medians and the ratio -j1/-j2 (issue
# 18's goal on 2 cores: at least 1.7). Not a test: figures only.
set -u
fr=${1:?usage: bench_sweep.sh FAULTRUN PROG}
prog=${2:?usage: bench_sweep.sh FAULTRUN PROG}
runs=${BENCH_SWEEP_RUNS:-5}
now() { date +%s%N; }
one() {  # JOBS: the sweep's wall time in ms
  t0=$(now)
  "$fr" --sweep -j "$1" -e rd:eintr -- "$prog" solo 400000 >/dev/null 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || { echo "bench_sweep: the sweep exited $rc" >&2; exit 1; }
  echo $(( ($(now) - t0) / 1000000 ))
}
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
one 1 >/dev/null                                   # warm-up
j1= j2=
i=0
while [ "$i" -lt "$runs" ]; do                     # in turn, so drift hits both
  j1="$j1 $(one 1)"; j2="$j2 $(one 2)"; i=$((i + 1))
done
m1=$(echo "$j1" | median) m2=$(echo "$j2" | median)
echo "sweep -j 1 (ms):$j1  median $m1"
echo "sweep -j 2 (ms):$j2  median $m2"
echo "sweep: -j 1 / -j 2 = $(awk -v a="$m1" -v b="$m2" 'BEGIN {printf "%.2f", a / b}') on $(nproc) cores"
