#!/bin/sh
# replay_mutants.sh MANIFEST: the fuzz replay (fuzz_wrap's checks over the
# committed corpus) must reject every wrap mutant of MANIFEST
# (tests/mutants/wrap.manifest, read through `$MUTANT list` and `$MUTANT
# apply`) whose "breaks" line names a clause the fuzz target checks: L1-L13
# but L8 (threads), N1-N6, R1-R3, W1-W3, WN1-WN3, CL1, A1-A2, C1-C3, M1.
# Others (startup calls, T1) are left to the wrap suite.
# Environment: MUTANT (the manifest reader), CC, CFLAGS, LDFLAGS, OUT (work
# folder), OBJS (the replay's objects but wrap), REDEF (objcopy options),
# CORPUS (the fuzz_wrap folder).
set -u
manifest=${1:?usage: replay_mutants.sh MANIFEST}
mkdir -p "$OUT"
list=$("$MUTANT" list "$manifest") || exit 1
fail= caught=0 skipped=0
while IFS='	' read -r name clauses file build also; do
    inscope=
    for c in $clauses; do
        case $c in
            L8) ;;
            L[0-9]|L1[0-3]|N[1-6]|R[1-3]|W[1-3]|WN[1-3]|A[12]|C[1-3]|CL1|M1) inscope=1 ;;
        esac
    done
    if [ -z "$inscope" ]; then
        skipped=$((skipped + 1))
        continue
    fi
    m="$OUT/$name.c"
    "$MUTANT" apply "$manifest" "$name" "$m" &&
        $CC $CFLAGS -w -Iwrap -c "$m" -o "$OUT/$name.o" &&
        objcopy $REDEF "$OUT/$name.o" "$OUT/$name.redef.o" &&
        $CC $LDFLAGS -o "$OUT/$name" $OBJS "$OUT/$name.redef.o" || {
        fail="$fail $name(build)"; continue; }
    if timeout 60 "$OUT/$name" "$CORPUS" </dev/null >"$OUT/$name.log" 2>&1; then
        echo "fuzz-mutants: $name ($clauses) NOT caught by the replay"
        fail="$fail $name"
    else
        caught=$((caught + 1))
        echo "fuzz-mutants: $name ($clauses) caught: $(grep -m1 -o 'BREACH [^(]*' "$OUT/$name.log" || head -c 80 "$OUT/$name.log")"
    fi
done <<EOF
$list
EOF
echo "fuzz-mutants: $caught caught, $skipped out of scope"
[ -z "$fail" ] || { echo "fuzz-mutants FAILED:$fail"; exit 1; }
