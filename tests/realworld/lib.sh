# lib.sh: helpers shared by the realworld scripts (sourced, bash).
#
# Every program started here is recorded in RW_PIDS and killed by rw_cleanup;
# every wait is bounded. Results go to $RW_TMP/results, one row per
# program x rule x sendfile, tab-separated:
#   program rule sendfile transfers exact stalls faults sendfile_faults verdict note

RW_PIDS=

# rw_port: a port to listen on, in RW_PORT: fixed inside our own network
# namespace (nothing else lives there), otherwise one the kernel just gave
# to a socket bound to port 0.
rw_port() {
  if [ -n "${RW_IN_NETNS:-}" ]; then
    RW_PORT=$(( ${RW_PORT:-8079} + 1 ))
  else
    RW_PORT=$("$RW_LOADGEN" --free-port)
  fi
}

# rw_wait_http URL PID: polls URL until it answers 200, PID exits or 10 s pass.
rw_wait_http() {
  local url=$1 pid=$2 end=$((SECONDS + 10))
  while [ $SECONDS -lt $end ]; do
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url")" = 200 ] && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05 # polling interval under a deadline, not a synchronisation
  done
  return 1
}

# rw_stop TARGET PID: SIGTERM to TARGET (the server), then waits up to 10 s
# for PID (the faultrun started by this shell that runs it) to end, SIGKILL
# to both after that; PID's exit status goes to RW_STATUS (not printed: only
# this shell, not a $(...) subshell, can wait for its children).
rw_stop() {
  local target=$1 pid=$2 end=$((SECONDS + 10))
  [ "$target" -gt 0 ] 2>/dev/null && kill -TERM "$target" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do
    sleep 0.05 # polling interval under a deadline
  done
  if kill -0 "$pid" 2>/dev/null; then
    [ "$target" -gt 0 ] 2>/dev/null && kill -KILL "$target" 2>/dev/null
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null; RW_STATUS=$?
}

rw_cleanup() {
  local p
  for p in $RW_PIDS; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ -n "${RW_KEEP:-}" ]; then echo "realworld: RW_KEEP: left $RW_TMP" >&2
  elif [ -n "${RW_TMP:-}" ]; then rm -rf "$RW_TMP"; fi
}

# rw_faults FAULT LOG...: lines whose fault (field 5, up to '=') is FAULT.
# rw_faults_on CALL FAULT LOG...: the same, on call (field 3) CALL only.
# Only fields 3 and 5 are read: the line format grows at its end.
rw_faults() {
  local fault=$1; shift
  cat "$@" 2>/dev/null | awk -v f="$fault" '{ split($5, a, "="); if (a[1] == f) n++ } END { print n + 0 }'
}
rw_faults_on() {
  local call=$1 fault=$2; shift 2
  cat "$@" 2>/dev/null | awk -v c="$call" -v f="$fault" \
    '{ split($5, a, "="); if (a[1] == f && ($3 == c || $3 == c "64")) n++ } END { print n + 0 }'
}

# rw_cli_summary ERR...: "matched injected could_not_fire (reasons)" summed
# over the summary lines faultrun printed for rule 1 (the only rule) in each
# ERR; the reasons are the runs' own, joined.
rw_cli_summary() {
  sed -n "s/^faultrun: rule 1 '.*': \([0-9]*\) calls matched, \([0-9]*\) faults injected, \([0-9]*\) could not fire *\(.*\)$/\1 \2 \3 \4/p" "$@" |
    awk '{ m += $1; i += $2; c += $3; $1 = $2 = $3 = ""; sub(/^ +/, ""); if ($0 != "") r = r (r == "" ? "" : " ") $0 }
         END { print m + 0, i + 0, c + 0, r }'
}

rw_sha() { sha256sum < "$1" | cut -d' ' -f1; }

# rw_row PROGRAM RULE SENDFILE TRANSFERS EXACT STALLS FAILED FAULTS SENDFILE_FAULTS NOTE [SUMMARY]:
# judges the row (FAILED 1: something else went wrong, said in NOTE) and
# appends it to the results. SUMMARY: the file holding faultrun's summary.
rw_row() {
  local prog=$1 rule=$2 sf=$3 n=$4 ok=$5 stalls=$6 failed=$7 faults=$8 sff=$9 note=${10:-} verdict=PASS
  [ "$ok" -eq "$n" ] && [ "$stalls" -eq 0 ] && [ "$failed" -eq 0 ] || verdict=FAIL
  if [ "$faults" -eq 0 ]; then
    # every due fault could not fire (faultrun's summary in SUMMARY): the
    # kernel could not give it where the program called; never PASS
    local sum matched injected cnf reasons
    sum=$( [ -n "${11:-}" ] && rw_cli_summary "${11}")
    read -r matched injected cnf reasons <<< "${sum:-0 0 0}"
    if [ "$verdict" = PASS ] && [ "${cnf:-0}" -gt 0 ]; then
      verdict="NOT JUDGED"; note="${note:+$note; }every due fault could not fire: $cnf of $matched calls${reasons:+ $reasons}"
    else
      verdict=FAIL; note="${note:+$note; }no fault logged: tested nothing"
    fi
  fi
  if [ "$sf" = on ] && [ "${rule#wr:}" != "$rule" ] && [ "$sff" -eq 0 ]; then
    verdict=FAIL; note="${note:+$note; }no fault on sendfile"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$prog" "$rule" "$sf" "$n" "$ok" "$stalls" \
    "$faults" "$sff" "$verdict" "$note" >> "$RW_TMP/results"
  echo "realworld: $prog $rule sendfile=$sf: $ok/$n exact, $stalls stalled, $faults faults ($sff on sendfile): $verdict${note:+ ($note)}"
}
