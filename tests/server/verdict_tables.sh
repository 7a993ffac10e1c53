#!/bin/sh
# verdict_tables.sh SUITE SHIM SERVER EXPECTED
# Runs the server suite on SERVER (unedited, no PORT of ours needed) and
# compares its verdict table, row by row (S0 PASS, S3 FAIL, S4 NOT JUDGED,
# ...), with the file EXPECTED; on a difference prints both tables and the
# suite's output, and fails. Also checks that the suite leaves no
# temporary directory behind.
set -u
suite=$1 shim=$2 server=$3 expected=$4
out=$(mktemp /tmp/verdict-tables-XXXXXX) || exit 2
tap=$out.tap
trap 'rm -f "$out" "$tap" "$out.got"' EXIT
REPORT=tap:$tap "$suite" --shim "$shim" "$server" > "$out" 2>&1
status=$?
tmpdir=$(sed -n 's/^test_servers: temporary files in \(.*\) (removed at exit)$/\1/p' "$out")
# "ok 3 - S2 end" -> "S2 PASS"; "not ok 4 - S3 concurrency" -> "S3 FAIL";
# "ok 5 - S4 faults ... # SKIP NOT JUDGED: why" -> "S4 NOT JUDGED" (report.h)
sed -n -e 's/^ok [0-9]* - \(S[0-9]\) .* # SKIP NOT JUDGED.*/\1 NOT JUDGED/p' \
       -e 't' \
       -e 's/^ok [0-9]* - \(S[0-9]\) .*/\1 PASS/p' \
       -e 's/^not ok [0-9]* - \(S[0-9]\) .*/\1 FAIL/p' "$tap" > "$out.got" 2>/dev/null
fail=0
if ! diff -u "$expected" "$out.got" > /dev/null; then
    echo "verdict table of $server differs from $expected:"
    diff -u "$expected" "$out.got"
    fail=1
fi
want_status=0
grep -qv ' PASS$' "$expected" && want_status=1
if [ "$status" -ne "$want_status" ]; then
    echo "suite exit status $status, expected $want_status"
    fail=1
fi
if [ -z "$tmpdir" ]; then
    echo "the suite did not say where its temporary files are"
    fail=1
elif [ -e "$tmpdir" ]; then
    echo "the suite left its temporary directory behind: $tmpdir"
    fail=1
fi
if [ $fail -ne 0 ]; then
    echo "---- suite output ----"
    cat "$out"
    exit 1
fi
echo "verdict table of $server: as expected ($(tr '\n' ' ' < "$expected"))"
