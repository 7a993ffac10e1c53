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
# each RUNS times (default 5), the median of the program's own ns per pair
# (its loop alone: start-up and exec not counted). Then the ratios, and the
# cost per traced call (the traced row less plain, over the 2 reads a pair):
# ours against strace's (goal: ours no slower). Figures, not a test: exit 0
# unless a run failed. strace's when= stops at 65535: PAIRS at most 32767.
set -u
pp=$1 fr=$2 pairs=${3:-30000} runs=${4:-5}
never=65535
if [ $((2 * pairs)) -ge $never ]; then
    echo "bench_trace: PAIRS $pairs: the $((2 * pairs)) reads would reach when=$never" >&2
    exit 2
fi

# median NS of RUNS runs of "$@" (each prints ns_per_pair=X); "" if one failed
median() {
    i=0 all=
    while [ $i -lt "$runs" ]; do
        x=$("$@" 2>/dev/null | sed -n 's/.*ns_per_pair=\([0-9]*\).*/\1/p')
        [ -n "$x" ] || { echo ""; return; }
        all="$all $x"
        i=$((i + 1))
    done
    printf '%s\n' $all | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

echo "bench-trace: static ping-pong, $pairs pairs of 64-byte write+read over a socketpair" \
     "(2 threads), median of $runs runs"
fail=0
plain=$(median "$pp" "$pairs")
other=$(median "$fr" --backend=trace -q -e 'accept:error=EMFILE' -- "$pp" "$pairs")
named=$(median "$fr" --backend=trace -q -e "read:error=EINTR:when=$never" -- "$pp" "$pairs")
if command -v strace >/dev/null 2>&1; then
    st=$(median strace -f -qq --seccomp-bpf -o /dev/null -e trace=read \
               -e "inject=read:error=EINTR:when=$never" "$pp" "$pairs")
else
    st=none
fi
for v in "$plain" "$other" "$named"; do
    [ -n "$v" ] || fail=1
done
[ -n "$st" ] || fail=1
if [ $fail -ne 0 ]; then
    echo "bench-trace: a run failed (plain '$plain', other '$other', named '$named', strace '$st')"
    exit 1
fi
printf '  %-46s %8s ns/pair\n' "plain" "$plain"
printf '  %-46s %8s ns/pair  x%s of plain (goal <= 1.05)\n' "trace, rule naming accept" "$other" \
       "$(ratio "$other" "$plain")"
printf '  %-46s %8s ns/pair  x%s of plain\n' "trace, rule naming read (never fires)" "$named" \
       "$(ratio "$named" "$plain")"
if [ "$st" = none ]; then
    echo "  strace: not installed (make deps-bench): no comparison"
    exit 0
fi
printf '  %-46s %8s ns/pair  x%s of plain\n' "strace --seccomp-bpf, inject=read (never fires)" \
       "$st" "$(ratio "$st" "$plain")"
ours=$(( (named - plain) / 2 )) theirs=$(( (st - plain) / 2 ))
if [ "$theirs" -gt 0 ]; then
    printf '  per traced call (2 reads a pair): ours %s ns, strace %s ns: x%s (goal <= 1)\n' \
           "$ours" "$theirs" "$(ratio "$ours" "$theirs")"
else
    printf '  per traced call (2 reads a pair): ours %s ns, strace %s ns\n' "$ours" "$theirs"
fi
