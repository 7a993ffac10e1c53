#!/bin/sh
# selftest.sh: check-wrap's own test (make wrap-selftest). Runs
# scripts/check-wrap.sh on each course-style fixture below and asserts the
# exact verdict table: every row's verdict and kind of reason (pass,
# signature, exit, hang, crash, wrong-result, notjudged) as listed in the
# fixture's expected.txt; that the run fails; that WRAP_ONLY prints only
# the rows selected; that a hang costs one deadline; and that no temporary
# directory is left behind.
# Environment: as for scripts/check-wrap.sh, plus BUILDDIR.
set -u
here=$(dirname "$0")
out="$BUILDDIR/selftest"
rm -rf "$out"
mkdir -p "$out/tmp"
bad=0

fail() { echo "wrap-selftest: FAIL: $*"; bad=$((bad + 1)); }

# $1: fixture wrap.c, $2: its expected.txt, $3: a name; extra env before.
check() {
  src=$1 exp=$2 n=$3
  start=$(date +%s)
  TMPDIR="$out/tmp" WRAP_SRC="$src" OUTDIR="$out/$n" WRAP_QUIET=1 \
    sh "$here/../../../scripts/check-wrap.sh" >"$out/$n.table" 2>"$out/$n.err"
  rc=$? secs=$(( $(date +%s) - start ))
  [ $rc = 1 ] || fail "$n: check-wrap exited $rc, want 1 (see $out/$n.err)"
  cut -f1-3 "$out/$n/verdicts.txt" >"$out/$n.got"
  if ! diff -u "$exp" "$out/$n.got" >"$out/$n.diff"; then
    fail "$n: the verdict table differs from $exp:"; cat "$out/$n.diff"
  fi
  echo "wrap-selftest: $n: $(awk -F '\t' '{print $2}' "$out/$n.got" | sort | uniq -c |
        tr -s ' ' | tr '\n' ' ')in $secs s"
}

check "$here/wrap.c" "$here/expected.txt" course
# oldbind: the same course-style wrap.c, with the course's older header
# (oldbind/wrap.h) and its Bind and Connect returning void, made here from
# ../wrap.c rather than kept as a second copy.
mkdir -p "$out/oldbind-src"
cp "$here/oldbind/wrap.h" "$out/oldbind-src/wrap.h"
awk '/^int (Bind|Connect)\(/ { sub(/^int /, "void "); inside = 1 }
     inside && /^    return n;$/ { print "    (void)n;"; next }
     /^}/ { inside = 0 }
     { print }' "$here/wrap.c" >"$out/oldbind-src/wrap.c"
grep -q '^void Bind(' "$out/oldbind-src/wrap.c" && grep -q '^void Connect(' "$out/oldbind-src/wrap.c" ||
  fail "oldbind: could not make Bind and Connect void from $here/wrap.c"
check "$out/oldbind-src/wrap.c" "$here/oldbind/expected.txt" oldbind
# the signature message names the function and both declarations
grep -q '`Bind` is defined `void Bind(int fd, const struct sockaddr \*sa, socklen_t salen)`; the contract says `int Bind(int fd, const struct sockaddr \*sa, socklen_t salen)`' \
  "$out/oldbind.table" || fail "oldbind: no per-function signature message for Bind"
# a failing row shows the candidate's perr_exit text and the rerun command
grep -q 'stderr    accept error: Protocol error' "$out/course.table" ||
  fail "course: A2 does not show the candidate's perr_exit message"
grep -q "rerun     make check-wrap WRAP_SRC=$here/wrap.c WRAP_ONLY=L2_long_line_split_nothing_lost" \
  "$out/course.table" || fail "course: no rerun command for L2"

# textbook: a wrap.c whose own header carries the system includes and void
# Bind/Listen/Connect (compiled as written: the named signatures fail
# their rows, the rest judged), whose Readline stores '\0' at buf[0] when
# maxlen is 0 (L12, caught by the guard page) and keeps one static buffer.
check "$here/../textbook/wrap.c" "$here/../textbook/expected.txt" textbook
grep -q '`Connect` is defined `void Connect(int fd, const struct sockaddr \*sa, socklen_t salen)`' "$out/textbook.table" ||
  fail "textbook: no per-function signature message for Connect"
# P2 names every mismatched function (Bind and Listen), not the first only
grep -A1 '^-- P2 FAIL' "$out/textbook.table" | grep '`Bind` is defined' | grep -q '`Listen` is defined' ||
  fail "textbook: the P2 row does not name both Bind and Listen"

# pastend: a correct wrap.c (../alt/wrap_alt_bytewise.c) whose Readline also
# stores '\0' at buf[maxlen] ("always terminated"), made here: a write past
# the end in any test is L12's alone (L12_in_<test> rows), every other row
# still judged on its own and PASS.
mkdir -p "$out/pastend-src"
awk '/^ssize_t Readline\(/ { inrl = 1 }
     inrl && /^    while \(n < maxlen - 1\) \{$/ { print "    buf[maxlen] = '"'"'\\0'"'"';"; inrl = 0 }
     { print }' "$here/../alt/wrap_alt_bytewise.c" >"$out/pastend-src/wrap.c"
grep -qF "buf[maxlen] = '\\0';" "$out/pastend-src/wrap.c" ||
  fail "pastend: could not add the write at buf[maxlen] to ../alt/wrap_alt_bytewise.c"
check "$out/pastend-src/wrap.c" "$here/pastend/expected.txt" pastend
grep -q '^L12_in_L1_line_with_newline_and_nul	FAIL	' "$out/pastend/results.txt" ||
  fail "pastend: no L12_in_L1_line_with_newline_and_nul row for the write in L1's test"

# WRAP_ONLY: the selected rows only, and a JUnit report of them
TMPDIR="$out/tmp" WRAP_SRC="$here/wrap.c" OUTDIR="$out/only" WRAP_QUIET=1 \
  WRAP_ONLY="L2_long_line_split_nothing_lost L4" REPORT="junit:$out/only.xml" \
  sh "$here/../../../scripts/check-wrap.sh" >"$out/only.table" 2>&1
rows=$(cut -f1,2 "$out/only/verdicts.txt" | tr '\t\n' ': ')
[ "$rows" = "L2:FAIL L4:PASS " ] || fail "WRAP_ONLY printed rows '$rows', want 'L2:FAIL L4:PASS '"
[ "$(grep -c '<testcase ' "$out/only.xml")" = 2 ] && grep -q '<failure message=' "$out/only.xml" ||
  fail "REPORT=junit: want 2 testcases, one failure (see $out/only.xml)"

# a candidate that hangs in every function: every row FAIL (hang), within
# one deadline of 10 s, all tests at once, whatever the build
start=$(date +%s)
export WRAP_TIMEOUT=10 WRAP_SERIAL= WRAP_JOBS=
check "$here/hang/wrap.c" "$here/hang/expected.txt" hang
secs=$(( $(date +%s) - start ))
[ "$secs" -le 20 ] || fail "hang: check-wrap took $secs s, want <= 20"

[ -z "$(ls -A "$out/tmp")" ] || fail "temporary files left behind: $(ls "$out/tmp")"
[ $bad = 0 ] && echo "wrap-selftest: all verdict tables as expected"
[ $bad = 0 ]
