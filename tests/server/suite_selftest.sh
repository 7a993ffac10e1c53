#!/bin/sh
# suite_selftest.sh SUITE SHIM SERVER: what the server suite promises beyond
# its verdicts, checked on SERVER (a course-style server that fails S7):
#  1. SERVER_SUITE_ONLY shows only the selected rows; REPORT=junit:FILE has
#     one testcase per row, the failing one with its rerun command; a row
#     that could not judge (no shim) is written as check-wrap writes it
#     (tests/support/report.h): a JUnit <skipped>, a TAP SKIP, never a failure;
#  2. stopped by SIGTERM in the middle of a run, it leaves no temporary
#     directory and no server process behind.
set -u
suite=$1 shim=$2 server=$3
work=$(mktemp -d /tmp/suite-selftest-XXXXXX) || exit 2
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fail=0
no() { echo "suite_selftest: $*"; fail=1; }

# 1. selected rows only, JUnit
SERVER_SUITE_ONLY='S0_*,S7_sigterm*' REPORT=junit:$work/r.xml \
  "$suite" --shim "$shim" "$server" > "$work/out1" 2>&1
rows=$(sed -n 's/^  \(S[0-9]\)  *\(PASS\|FAIL\|NOT JUDGED\) .*/\1 \2/p' "$work/out1" | tr '\n' ' ')
[ "$rows" = "S0 PASS S7 FAIL " ] || no "SERVER_SUITE_ONLY rows: got '$rows', want 'S0 PASS S7 FAIL '"
[ "$(grep -c '<testcase ' "$work/r.xml")" = 2 ] || no "junit: not 2 testcases"
[ "$(grep -c '<failure ' "$work/r.xml")" = 1 ] || no "junit: not 1 failure"
grep -q "SERVER_SUITE_ONLY=S7_sigterm_exit0" "$work/r.xml" || no "junit: no rerun command"

# 1b. NOT JUDGED (no shim: S4 cannot inject) in JUnit and TAP
for r in junit:$work/nj.xml tap:$work/nj.tap; do
  SERVER_SUITE_ONLY='S0_*,S4_short_reads' REPORT=$r "$suite" "$server" > "$work/out_nj" 2>&1
done
grep -q '<skipped message="NOT JUDGED: S4_short_reads: no shim' "$work/nj.xml" &&
  ! grep -q '<failure\|<error' "$work/nj.xml" || no "junit: NOT JUDGED not a <skipped> (see $work/nj.xml)"
grep -q '^ok 2 - S4 .* # SKIP NOT JUDGED: S4_short_reads: no shim' "$work/nj.tap" ||
  no "tap: NOT JUDGED not a SKIP (see $work/nj.tap)"

# 2. SIGTERM mid-run: nothing left behind (the server is a private copy,
# so looking for it by path sees no other run's)
cp "$server" "$work/victim" || exit 2
"$suite" --shim "$shim" "$work/victim" > "$work/out2" 2>&1 &
pid=$!
i=0
until grep -q '^\[ RUN      \] S3_1000' "$work/out2" || [ $i -ge 300 ]; do
  sleep 0.1; i=$((i + 1))
done
[ $i -lt 300 ] || no "the suite did not reach S3 within 30 s"
kill -TERM $pid
wait $pid
tmpdir=$(sed -n 's/^test_servers: temporary files in \(.*\) (removed at exit)$/\1/p' "$work/out2")
[ -n "$tmpdir" ] && [ ! -e "$tmpdir" ] || no "temporary directory left behind after SIGTERM: $tmpdir"
i=0
while ps -eo stat=,args= | grep -v '^Z' | grep -q "[/]victim"; do
  [ $i -ge 20 ] && { no "server processes left after SIGTERM"; break; }
  sleep 0.1; i=$((i + 1))
done
[ $fail -eq 0 ] && echo "suite_selftest: selected rows, JUnit, NOT JUDGED as a skip, cleanup on SIGTERM: ok"
exit $fail
