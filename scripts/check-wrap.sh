#!/bin/sh
# check-wrap.sh: builds the wrap conformance suite against one candidate
# wrap.c and prints one row per clause of wrap-contract.md, then, for each
# row that is not PASS, what its test fed, expected and got, the candidate's
# last stderr lines and the command that reruns just that test.
#
# Called by tests/wrap.mk (make check-wrap [WRAP_SRC=file.c], make wrap-test)
# with these variables in the environment:
#   CC, CAND_CFLAGS (how to compile a candidate: no -Werror), LINK_FLAGS,
#   OBJDIR (the suite's objects), SUPPORT_OBJS (those it links from
#   tests/support: fi_ names only), OUTDIR (binaries and results go here),
#   WRAP_TESTS (the test files, "startup read ...": tests/wrap.mk's list),
#   WRAP_HDR (the contract's wrap.h), STUBS_SRC (tests/wrap/stubs.c),
#   CAND_OBJ (an already built candidate object) or WRAP_SRC (a C file),
#   SHIM (libfaultinject.so), RUNNER (e.g. valgrind ...), WRAP_QUIET=1,
#   WRAP_ONLY (tests to run, see tests/wrap/wrapjudge.h), WRAP_SERIAL=1 (one
#   test file at a time), REPORT=junit:FILE or tap:FILE (written by
#   REPORT_TOOL, tests/support/report_tool: the writer check-server uses).
# A row is PASS when all its tests passed, FAIL when one failed, NOT JUDGED
# when none failed but one could not judge (skipped, or its faults never
# fired, or an exit came where another row's failure was being made). A
# write at or past buf[maxlen] seen in any test is L12's: it adds a test
# L12_in_<test> to the L12 row (tests/wrap/wtest.h). Exit: 0 every row PASS, 1 a row FAIL or NOT JUDGED, 2 the
# candidate is unusable (does not compile, does not link).
set -u

CLAUSES="P1 P2 R1 R2 R3 W1 W2 W3 N1 N2 N3 N4 N5 N6 WN1 WN2 WN3 L1 L2 L3 L4 L5
L6 L7 L8 L9 L10 L11 L12 L13 A1 A2 C1 C2 C3 CL1 T1 M1"
FUNCS="perr_exit Socket Bind Listen Connect Accept Read Write Close Readn
Writen Readline"
MEM_WRAP="-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=reallocarray,--wrap=free,--wrap=strdup,--wrap=strndup,--wrap=posix_memalign,--wrap=aligned_alloc,--wrap=close"

[ -n "${WRAP_TESTS:-}" ] || { echo "check-wrap: WRAP_TESTS is empty" >&2; exit 2; }
mkdir -p "$OUTDIR" || exit 2
# Scratch files live in one temporary directory, removed however we leave.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-wrap.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
# the test files running in the background stop too (they stop their tests)
pids=
trap '[ -n "$pids" ] && kill $pids 2>/dev/null; exit 130' INT
trap '[ -n "$pids" ] && kill $pids 2>/dev/null; exit 143' TERM HUP

cand=${CAND_OBJ:-}
name=${WRAP_SRC:-wrap/wrap.c}
rerun="make check-wrap${WRAP_SRC:+ WRAP_SRC=$WRAP_SRC}"
: >"$tmp/sigs"          # function<TAB>why its rows fail without running
stubs=

# The contract's declaration of function $1, as one line.
contract_decl() {
  tr '\n' ' ' <"$WRAP_HDR" | tr ';' '\n' | grep -E "[ *]$1\(" |
    sed 's/.*\*\/ *//; s/^ *//; s/  */ /g'
}

# The candidate's declaration of a function at line $2 of file $1 (the
# compiler's error names it: their wrap.c or a header of theirs), one line.
cand_decl() {
  sed -n "$2,$(($2 + 3))p" "$1" 2>/dev/null | tr '\n' ' ' |
    sed 's/{.*//; s/).*/)/; s/;.*//; s/^ *//; s/  */ /g'
}

if [ -n "${WRAP_SRC:-}" ]; then
  if [ ! -f "$WRAP_SRC" ]; then
    echo "check-wrap: WRAP_SRC=$WRAP_SRC: no such file" >&2; exit 2
  fi
  # The candidate is compiled against the contract's declarations, never its
  # own header: a copy of it sits in a directory holding our wrap.h, which
  # its #include "wrap.h" then finds, and wrap.h is included first anyway.
  mkdir "$tmp/cand"
  cp "$WRAP_HDR" "$tmp/cand/wrap.h"
  { printf '#line 1 "%s"\n' "$WRAP_SRC"; cat "$WRAP_SRC"; } >"$tmp/cand/candidate.c"
  cand="$OUTDIR/wrap.o"
  compile() {   # $@: extra flags
    LC_ALL=C $CC $CAND_CFLAGS "$@" -include "$tmp/cand/wrap.h" \
      -I"$(dirname "$WRAP_SRC")" -c "$tmp/cand/candidate.c" -o "$cand" \
      2>"$OUTDIR/compile.log"
  }
  if ! compile; then
    # A function defined with another signature than the contract's: its
    # rows fail, named; it is compiled under another name, the contract's
    # declaration of it left out, and a stub takes its place.
    # "FILE:LINE:COL: error: conflicting types for 'NAME'" -> NAME LINE FILE
    bad=$(sed -n "s/^\([^:]*\):\([0-9]*\):[0-9]*: error: conflicting types for '\([A-Za-z_]*\)'.*/\3 \2 \1/p" \
          "$OUTDIR/compile.log" | sort -u -k1,1)
    flags=
    for f in $(echo "$bad" | awk '{print $1}'); do
      case " $(echo $FUNCS) " in *" $f "*) ;; *) continue ;; esac
      line=$(echo "$bad" | awk -v f="$f" '$1 == f {print $2; exit}')
      file=$(echo "$bad" | awk -v f="$f" '$1 == f {print $3; exit}')
      printf '%s\t`%s` is defined `%s`; the contract says `%s`\n' "$f" "$f" \
        "$(cand_decl "$file" "$line")" "$(contract_decl "$f")" >>"$tmp/sigs"
      flags="$flags -D$f=fi_cand_mismatched_$f"
      grep -vE "[ *]$f\(" "$tmp/cand/wrap.h" >"$tmp/hdr" && cp "$tmp/hdr" "$tmp/cand/wrap.h"
      stubs="$stubs $f"
    done
    # shellcheck disable=SC2086
    if [ -z "$flags" ] || ! compile $flags; then
      cat "$OUTDIR/compile.log" >&2
      echo "check-wrap: $WRAP_SRC does not compile against the contract's wrap.h" \
           "(errors above); nothing was tested" >&2
      exit 2
    fi
  fi
  [ "${WRAP_QUIET:-}" = 1 ] || cat "$OUTDIR/compile.log" >&2
fi

# The twelve functions, defined with external linkage; a missing one fails
# its rows and is stubbed like a mismatched one.
defined=$(nm --defined-only -g "$cand" 2>/dev/null | awk '$2 ~ /^[TW]$/ {print $3}')
for f in $FUNCS; do
  case " $stubs " in *" $f "*) continue ;; esac
  if ! echo "$defined" | grep -qx "$f"; then
    printf '%s\t`%s` is not defined (the contract declares `%s`)\n' "$f" "$f" \
      "$(contract_decl "$f")" >>"$tmp/sigs"
    stubs="$stubs $f"
  fi
done
stubobj=
if [ -n "$stubs" ]; then
  stubobj="$tmp/stubs.o"
  # shellcheck disable=SC2046
  if ! $CC $CAND_CFLAGS $(for f in $stubs; do printf ' -DSTUB_%s' "$f"; done) \
       -c "$STUBS_SRC" -o "$stubobj" 2>"$tmp/stubs.log"; then
    cat "$tmp/stubs.log" >&2; exit 2
  fi
fi

for t in $WRAP_TESTS; do
  extra=
  [ "$t" = mem ] && extra=$MEM_WRAP
  # shellcheck disable=SC2086
  if ! $CC -o "$OUTDIR/test_wrap_$t" "$OBJDIR/test_wrap_$t.o" "$OBJDIR/wrapjudge.o" \
       "$OBJDIR/wtest.o" ${SUPPORT_OBJS:-} "$cand" $stubobj $LINK_FLAGS $extra -lcmocka -ldl \
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
export WRAP_ONLY="${WRAP_ONLY:-}"

# The test files run at once (each runs its tests at once): a candidate that
# hangs everywhere costs one deadline (WRAP_TIMEOUT), not one per test.
# Each is a background job that execs the test binary, so that the traps
# above reach it (and it stops its tests).
run_file() {
  WRAP_RESULTS="$tmp/results.$1" LD_PRELOAD="$SHIM" \
    ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1 \
    exec ${RUNNER:-} "$OUTDIR/test_wrap_$1" >"$tmp/log.$1" 2>&1
}
start=$(date +%s)
for t in $WRAP_TESTS; do
  run_file "$t" &
  pids="$pids $!"
  [ "${WRAP_SERIAL:-}" = 1 ] && wait
done
wait
secs=$(( $(date +%s) - start ))
: >"$OUTDIR/results.txt"
for t in $WRAP_TESTS; do
  [ -f "$tmp/results.$t" ] && cat "$tmp/results.$t" >>"$OUTDIR/results.txt"
  if [ ! -s "$tmp/results.$t" ] && [ -s "$tmp/log.$t" ]; then
    # no record at all: the file itself failed (its rows say "no test ran")
    echo "check-wrap: test_wrap_$t gave no result; its output:" >&2
    cat "$tmp/log.$t" >&2
  elif [ "${WRAP_QUIET:-}" != 1 ] && [ -s "$tmp/results.$t" ]; then
    cat "$tmp/log.$t"
  fi
done

# One line per clause: id<TAB>what it means.
meanings() {
  cat <<'EOF'
P1	perr_exit(s) prints s and strerror(errno) to stderr and exits nonzero
P2	Socket, Bind, Listen return the call's result, or perr_exit on failure
R1	Read returns what read() returned (short counts too, 0 at end), never loops
R2	Read retries read() on EINTR
R3	Read returns -1 with errno kept on any other failure, never exits
W1	Write returns what write() returned, short counts included
W2	Write retries write() on EINTR
W3	Write returns -1 with errno kept on any other failure, never exits
N1	Readn(fd, buf, n) returns n once n bytes came, however the reads split them
N2	Readn returns k < n (0 at once) when the stream ends early, bytes kept
N3	Readn retries EINTR without losing or repeating a byte
N4	Readn returns -1 with errno on other failures; bytes already taken come next
N5	Readn never reads past the n bytes it delivers
N6	Readn(fd, buf, 0) returns 0 without blocking
WN1	Writen writes all n bytes across short writes and returns n
WN2	Writen retries EINTR without losing or repeating a byte
WN3	Writen returns -1 with errno on other failures (EPIPE, EAGAIN, ...)
L1	Readline stores a line with its '\n' and a '\0', returns the bytes stored
L2	a line longer than maxlen-1: stores and returns maxlen-1 bytes, the rest comes next
L3	end of stream with nothing pending returns 0 and stores '\0'
L4	end of stream after a partial line returns that line, then 0
L5	Readline retries EINTR transparently
L6	Readline returns -1 with errno on other failures; the unfinished line comes next
L7	the lines returned do not depend on how the stream is split into reads
L8	Readline's state is per descriptor: two descriptors never mix their bytes
L9	Close(fd) drops what Readline buffered for fd
L10	Readn after Readline on one descriptor continues the stream exactly
L11	Readline with maxlen < 2 returns -1 EINVAL and consumes nothing
L12	Readline never writes at or beyond buf[maxlen]
L13	Readline is binary-safe: a '\0' inside a line is stored and counted
A1	Accept retries EINTR and ECONNABORTED
A2	Accept returns -1 with errno on EMFILE, ENFILE, ... and other failures, never exits
C1	Connect returns 0 once connected
C2	Connect after EINTR waits for the attempt (poll, SO_ERROR), never connects again
C3	Connect returns -1 with errno on other failures (ECONNREFUSED, ...), never exits
CL1	Close returns 0 (EINTR counts as closed), -1 with errno else; drops state before close()
T1	every function is safe from several threads at once on different descriptors
M1	once every descriptor went through Close, the library holds no heap memory
EOF
}
meanings >"$tmp/meanings"

# Which functions a clause is about (a signature failure fails those rows).
funcs_of() {
  case $1 in
    P1) echo perr_exit ;; P2) echo Socket Bind Listen ;;
    R*) echo Read ;; WN*) echo Writen ;; W*) echo Write ;; N*) echo Readn ;;
    L*) echo Readline ;; A*) echo Accept ;; CL*) echo Close ;; C*) echo Connect ;;
    *) echo ;;
  esac
}
for c in $CLAUSES; do
  for f in $(funcs_of "$c"); do
    awk -F '\t' -v f="$f" -v c="$c" '$1 == f {print c "\t" $2}' "$tmp/sigs"
  done
done >"$tmp/sigrows"

echo "$CLAUSES" | tr ' ' '\n' | grep . >"$tmp/clauses"
awk -F '\t' -v name="$name" -v secs="$secs" -v rerun="$rerun" \
    -v only="$WRAP_ONLY" -v report="${REPORT:-}" -v reporttool="${REPORT_TOOL:-}" \
    -v verdicts="$OUTDIR/verdicts.txt" \
    -v meanfile="$tmp/meanings" -v sigfile="$tmp/sigrows" \
    -v resfile="$OUTDIR/results.txt" -f "$(dirname "$0")/check-wrap-table.awk" \
    "$tmp/clauses"
