#!/bin/sh
# check-wrap.sh: builds the wrap conformance suite against one candidate
# wrap.c and prints one row per clause of wrap-contract.md.
#
# Called by tests/wrap.mk (make check-wrap [WRAP_SRC=file.c], make wrap-test)
# with these variables in the environment:
#   CC, CAND_CFLAGS (how to compile a candidate: no -Werror), LINK_FLAGS,
#   OBJDIR (the suite's objects), OUTDIR (binaries and results go here),
#   CAND_OBJ (an already built candidate object) or WRAP_SRC (a C file),
#   SHIM (libfaultinject.so), RUNNER (e.g. valgrind ...), WRAP_QUIET=1.
# Exit: 0 all clauses pass, 1 a clause failed, 2 the candidate is unusable.
set -u

CLAUSES="P1 P2 R1 R2 R3 W1 W2 W3 N1 N2 N3 N4 N5 N6 WN1 WN2 WN3 L1 L2 L3 L4 L5
L6 L7 L8 L9 L10 L11 L12 L13 A1 A2 C1 C2 C3 CL1 T1 M1"
FUNCS="perr_exit Socket Bind Listen Connect Accept Read Write Close Readn
Writen Readline"
TESTS="startup read readn readline split conn signal thread mem"
MEM_WRAP="-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=reallocarray,--wrap=free,--wrap=strdup,--wrap=strndup,--wrap=posix_memalign,--wrap=aligned_alloc,--wrap=close"

say() { [ "${WRAP_QUIET:-}" = 1 ] || echo "$@"; }

mkdir -p "$OUTDIR" || exit 2
cand=${CAND_OBJ:-}
name=${WRAP_SRC:-wrap/wrap.c}
if [ -n "${WRAP_SRC:-}" ]; then
  if [ ! -f "$WRAP_SRC" ]; then
    echo "check-wrap: WRAP_SRC=$WRAP_SRC: no such file" >&2; exit 2
  fi
  cand="$OUTDIR/wrap.o"
  # warnings shown, never fatal: a student's file is judged by the tests
  if ! $CC $CAND_CFLAGS -I"$(dirname "$0")/../wrap" -c "$WRAP_SRC" -o "$cand" \
       2>"$OUTDIR/compile.log"; then
    cat "$OUTDIR/compile.log" >&2
    echo "check-wrap: $WRAP_SRC does not compile (errors above); nothing was tested" >&2
    exit 2
  fi
  [ "${WRAP_QUIET:-}" = 1 ] || cat "$OUTDIR/compile.log" >&2
fi

# The twelve functions, defined with external linkage.
defined=$(nm --defined-only -g "$cand" 2>/dev/null | awk '$2 ~ /^[TW]$/ {print $3}')
missing=
for f in $FUNCS; do
  echo "$defined" | grep -qx "$f" || missing="$missing $f"
done
if [ -n "$missing" ]; then
  echo "check-wrap: $name does not define:$missing" >&2
  echo "check-wrap: a candidate must define all twelve functions of wrap.h" >&2
  exit 2
fi

for t in $TESTS; do
  extra=
  [ "$t" = mem ] && extra=$MEM_WRAP
  if ! $CC -o "$OUTDIR/test_wrap_$t" "$OBJDIR/test_wrap_$t.o" "$OBJDIR/harness.o" \
       "$OBJDIR/wtest.o" "$cand" $LINK_FLAGS $extra -lcmocka -ldl \
       2>"$OUTDIR/link.log"; then
    cat "$OUTDIR/link.log" >&2
    echo "check-wrap: the suite does not link with $name (errors above;" \
         "does it define main or a name the suite uses?)" >&2
    exit 2
  fi
done

# A sanitizer report fails the test that caused it (the harness's children
# leave with _exit, before any at-exit report).
export TSAN_OPTIONS="halt_on_error=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

results="$OUTDIR/results.txt"
: >"$results"
start=$(date +%s)
for t in $TESTS; do
  if [ "${WRAP_QUIET:-}" = 1 ]; then
    WRAP_RESULTS="$results" LD_PRELOAD="$SHIM" \
      ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1 \
      ${RUNNER:-} "$OUTDIR/test_wrap_$t" >"$OUTDIR/test_wrap_$t.log" 2>&1
  else
    WRAP_RESULTS="$results" LD_PRELOAD="$SHIM" \
      ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1 \
      ${RUNNER:-} "$OUTDIR/test_wrap_$t"
  fi
done
secs=$(( $(date +%s) - start ))

# One row per clause: PASS when every test named for it passed.
echo "$CLAUSES" | tr ' ' '\n' | grep . | awk -v res="$results" -v name="$name" -v secs="$secs" '
  BEGIN {
    while ((getline line < res) > 0) {
      split(line, f, " "); t = f[1]; st = f[2]
      c = t; sub(/_.*/, "", c)
      n[c]++
      if (st == "FAIL" && !(c in why)) {
        r = line; sub(/^[^ ]+ FAIL ?/, "", r)
        why[c] = t ": " r
      }
      if (st == "FAIL") bad[c]++
    }
    printf "== check-wrap: %s\n", name
    printf "%-6s %-6s %s\n", "clause", "result", "(tests, or why it failed)"
  }
  {
    c = $1; total++
    if (!(c in n)) { printf "%-6s FAIL   no test ran for this clause\n", c; fails++ }
    else if (c in bad) { printf "%-6s FAIL   %s\n", c, substr(why[c], 1, 160); fails++ }
    else { printf "%-6s PASS   (%d tests)\n", c, n[c] }
  }
  END {
    printf "total: %d clauses, %d pass, %d fail (%d s)\n", total, total - fails, fails, secs
    exit fails ? 1 : 0
  }'
