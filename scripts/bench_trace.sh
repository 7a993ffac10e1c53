#!/bin/sh
# bench_trace.sh PINGPONG FAULTRUN [PAIRS] [RUNS]
# What a traced call costs (make bench; faultinject.md, Backends): the
# static ping-pong (tests/bench/pingpong.c, PAIRS pairs of 64-byte
# write+read between two threads, 2 reads and 2 writes a pair) run
#   plain;
#   under faultrun --backend=trace with a rule naming another call (accept:
#     the filter lets read and write through untraced; goal within 5% of plain);
#   under faultrun --backend=trace with a rule naming read that never fires
#     (when=65535, above the 2*PAIRS reads);
#   under strace -f --seccomp-bpf doing the same (-e trace=read, so that its
#     filter too stops only read; -e inject=read:error=EINTR:when=65535;
#     output to /dev/null);
# in RUNS rounds (default 5), the four in turn in each, by the program's
# own ns per pair (its loop alone: start-up and exec not counted). Shown:
# min, median and max of each row, and of the ratios taken round by round
# (so that a machine whose speed drifts still compares like with like),
# and the cost per traced call (the traced row less plain, over the 2 reads
# a pair): ours against strace's (goal: ours no slower). Figures, not a
# test: exit 0 unless a run failed. strace's when= stops at 65535: PAIRS
# at most 32767.
set -u
pp=$1 fr=$2 pairs=${3:-30000} runs=${4:-5}
never=65535
if [ $((2 * pairs)) -ge $never ]; then
    echo "bench_trace: PAIRS $pairs: the $((2 * pairs)) reads would reach when=$never" >&2
    exit 2
fi

# ns per pair of one run of "$@" (it prints ns_per_pair=X); "" if it failed
one() { "$@" 2>/dev/null | sed -n 's/.*ns_per_pair=\([0-9]*\).*/\1/p'; }

# min median max of the numbers on stdin
mmm() { sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s", v[1], v[int((NR + 1) / 2)], v[NR] }'; }

has_strace=0
command -v strace >/dev/null 2>&1 && has_strace=1
echo "bench-trace: static ping-pong, $pairs pairs of 64-byte write+read over a socketpair" \
     "(2 threads); $runs rounds, the rows in turn in each (ratios taken round by round)"
tab=$(mktemp /tmp/bench-trace-XXXXXX) || exit 2
trap 'rm -f "$tab"' EXIT
r=0
while [ $r -lt "$runs" ]; do
    p=$(one "$pp" "$pairs")
    o=$(one "$fr" --backend=trace -q -e 'accept:error=EMFILE' -- "$pp" "$pairs")
    n=$(one "$fr" --backend=trace -q -e "read:error=EINTR:when=$never" -- "$pp" "$pairs")
    s=0
    [ $has_strace -eq 0 ] || s=$(one strace -f -qq --seccomp-bpf -o /dev/null -e trace=read \
                                     -e "inject=read:error=EINTR:when=$never" "$pp" "$pairs")
    if [ -z "$p" ] || [ -z "$o" ] || [ -z "$n" ] || [ -z "$s" ]; then
        echo "bench-trace: a run failed (plain '$p', other '$o', named '$n', strace '$s')"
        exit 1
    fi
    echo "$p $o $n $s" >> "$tab"
    r=$((r + 1))
done
col() { awk -v c="$1" '{ print $c }' "$tab" | mmm; }
# per round: other/plain, named/plain, strace/plain, and per traced call
# (2 reads a pair) ours (named - plain) / 2 against strace's
awk '{ printf "%.4f %.4f %.4f %.1f %.1f %s\n", $2 / $1, $3 / $1, $4 / $1, ($3 - $1) / 2,
       ($4 - $1) / 2, ($4 > $1 ? sprintf("%.4f", ($3 - $1) / ($4 - $1)) : "n/a") }' \
    "$tab" > "$tab.r"
rcol() { awk -v c="$1" '$c != "n/a" { print $c }' "$tab.r" | mmm; }
row() { set -- "$1" $2; printf '  %-48s %7s %7s %7s\n' "$1" "$2" "$3" "$4"; }
printf '  %-48s %7s %7s %7s\n' "ns per pair" min median max
row "plain" "$(col 1)"
row "trace, rule naming accept" "$(col 2)"
row "trace, rule naming read (never fires)" "$(col 3)"
[ $has_strace -eq 0 ] || row "strace --seccomp-bpf, inject=read (never fires)" "$(col 4)"
printf '  %-48s %7s %7s %7s\n' "ratios, round by round" min median max
row "trace-other / plain (goal <= 1.05)" "$(rcol 1)"
row "trace-named / plain" "$(rcol 2)"
if [ $has_strace -eq 0 ]; then
    echo "  strace: not installed (make deps-bench): no comparison"
else
    row "strace / plain" "$(rcol 3)"
    row "ns per traced call, ours" "$(rcol 4)"
    row "ns per traced call, strace" "$(rcol 5)"
    row "per traced call, ours / strace (goal <= 1)" "$(rcol 6)"
fi
rm -f "$tab.r"
