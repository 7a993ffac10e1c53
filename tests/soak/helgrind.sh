#!/bin/sh
# helgrind.sh SERVER LOADGEN LOG [TOOL]: the thread server under Helgrind
# (or TOOL=drd) while 16
# clients at once do a few rounds of echo each (loadgen, every byte checked);
# then SIGTERM. Fails on any Helgrind report (--error-exitcode), a wrong
# echo, or a server that does not exit with status 0 (S7).
# Every step is bounded: startup and shutdown are polled under deadlines,
# loadgen bounds itself (-T stall limit), `timeout` is the backstop.
set -u
server=$1 loadgen=$2 log=$3 tool=${4:-helgrind}
port=$("$loadgen" --free-port) || exit 1
rm -f "$log"
valgrind --tool="$tool" -q --error-exitcode=99 --log-file="$log" \
    "$server" "$port" -m 64 &
vg=$!
fail() { echo "$tool: FAIL $*"; kill -9 "$vg" 2>/dev/null; wait "$vg" 2>/dev/null; exit 1; }
# Valgrind starts slowly: wait up to 30 s for the port.
"$loadgen" --wait-port "$port" 30 || fail "$server did not listen under $tool"
timeout 120 "$loadgen" -p "$port" -c 16 -N 400 -R 10 -B 8192 -S 7 -T 30 -E ||
    fail "loadgen found errors (above)"
kill -TERM "$vg"
# Poll for the exit (no sleep-to-synchronise): up to 20 s under Valgrind.
i=0
while kill -0 "$vg" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -gt 200 ] && fail "server still running 20 s after SIGTERM"
    sleep 0.1
done
wait "$vg"
status=$?
if [ -s "$log" ]; then
    echo "$tool: reports (from $log):"
    head -n 60 "$log"
fi
[ "$status" -eq 99 ] && fail "$tool reported errors (status 99)"
[ "$status" -eq 0 ] || fail "server exited with status $status after SIGTERM (S7)"
echo "$tool: ok: 400 connections (16 at once), no report"
