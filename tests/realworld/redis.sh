# redis.sh: redis-server under one rule (sourced by realworld.sh, bash).
#
# redis-server runs under `faultrun --only redis-server -e RULE` (its clients
# run without the shim). Transfers: one redis-benchmark run (small -n; it
# passes when it ends in time, with every test reported and no error), and
# for each value size a redis-cli SET of random bytes followed by a GET whose
# bytes must have the value's sha256; then a slow reader (nc.openbsd with a
# 4 KiB receive buffer) pipelines 200 GETs of the 64 KiB value and must get
# every reply byte for byte: its send queue fills, which is where a write's
# eagain or short can fire at all (faultinject.md, the write-side rule).
# Every client runs under `timeout 30`: one still running then is a stall.

RW_REDIS_SIZES="1 1000 65536 524288 2097152"

# rw_redis_setget PORT SIZE RESULT: "exact", "stall" or "wrong: why" in RESULT.
rw_redis_setget() {
  local port=$1 size=$2 res=$3 val=$RW_TMP/src/val.$2 got rc
  got=$RW_TMP/redis-got.$size
  timeout 30 redis-cli -h 127.0.0.1 -p "$port" -x SET "key:$size" < "$val" > "$got.set" 2>&1; rc=$?
  if [ $rc -eq 124 ]; then echo "stall" > "$res"; return; fi
  if [ $rc -ne 0 ] || [ "$(cat "$got.set")" != OK ]; then
    echo "wrong: SET said '$(head -c 80 "$got.set")' (exit $rc)" > "$res"; return
  fi
  # --raw prints the value's bytes and one newline.
  timeout 30 redis-cli -h 127.0.0.1 -p "$port" --raw GET "key:$size" > "$got" 2>&1; rc=$?
  if [ $rc -eq 124 ]; then echo "stall" > "$res"; return; fi
  if [ $rc -ne 0 ] || [ "$(head -c -1 "$got" | sha256sum | cut -d' ' -f1)" != "$(rw_sha "$val")" ]; then
    echo "wrong: GET of $size bytes gave $(($(stat -c %s "$got") - 1)) other bytes (exit $rc)" > "$res"
  else
    echo exact > "$res"
  fi
  rm -f "$got" "$got.set"
}

# rw_redis_slowread PORT RESULT: 200 pipelined GETs of key:65536 and a QUIT
# from a reader whose receive window is 4 KiB; exact when every byte of the
# replies arrives (the value's bulk string 200 times, then +OK).
rw_redis_slowread() {
  local port=$1 res=$2 val=$RW_TMP/src/val.65536 d=$RW_TMP/redis-slow rc i
  mkdir -p "$d"
  : > "$d/req"; : > "$d/want"
  for i in $(seq 200); do
    printf 'GET key:65536\r\n' >> "$d/req"
    { printf '$65536\r\n'; cat "$val"; printf '\r\n'; } >> "$d/want"
  done
  printf 'QUIT\r\n' >> "$d/req"; printf '+OK\r\n' >> "$d/want"
  timeout 30 nc.openbsd -I 4096 127.0.0.1 "$port" < "$d/req" > "$d/got" 2>&1; rc=$?
  if [ $rc -eq 124 ]; then echo stall > "$res"
  elif cmp -s "$d/got" "$d/want"; then echo exact > "$res"
  else echo "wrong: the slow reader got $(stat -c %s "$d/got") bytes of $(stat -c %s "$d/want") (exit $rc)" > "$res"; fi
  rm -rf "$d"
}

# rw_redis_bench PORT RESULT
rw_redis_bench() {
  local port=$1 res=$2 out=$RW_TMP/redis-bench.out rc
  timeout 30 redis-benchmark -h 127.0.0.1 -p "$port" -n 2000 -c 10 -d 512 \
    -t set,get,lpush,lrange_100 -q 2>&1 | tr '\r' '\n' | grep -v 'rps=' | grep '[^[:space:]]' > "$out"
  rc=${PIPESTATUS[0]}
  # A "TEST: N requests per second" line for each test, and nothing else.
  if [ $rc -eq 124 ]; then echo stall > "$res"
  elif [ $rc -ne 0 ] || grep -qvi 'requests per second' "$out" ||
       [ "$(grep -cE '^(SET|GET|LPUSH|LRANGE_100 .*): ' "$out")" -ne 4 ]; then
    echo "wrong: redis-benchmark exit $rc: $(grep -vi 'requests per second' "$out" | tr '\n' ' ' | head -c 160)" > "$res"
  else echo exact > "$res"; fi
}

# rw_redis RULE: one row of the table.
rw_redis() {
  local rule=$1 tag d port pid n=0 ok=0 stalls=0 note='' r s end
  tag=$(echo "$rule" | tr -c 'a-z0-9\n' '_')
  d=$RW_TMP/redis-$tag
  mkdir -p "$d/res"
  rw_port; port=$RW_PORT
  "$RW_FAULTRUN" -s "$RW_SEED" -l "$d/faults.log" --only redis-server -e "$rule" -- \
    redis-server --bind 127.0.0.1 --port "$port" --dir "$d" --save '' --appendonly no \
    --daemonize no --logfile "$d/redis.log" > "$d/redis.out" 2>&1 &
  pid=$!
  RW_PIDS="$RW_PIDS $pid"
  end=$((SECONDS + 10))
  until [ "$(timeout 5 redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null)" = PONG ]; do
    if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $end ]; then
      rw_stop 0 "$pid"
      rw_row redis "$rule" - 1 0 0 1 0 0 "redis-server did not start: $(cat "$d/redis.out" "$d/redis.log" 2>/dev/null | tail -1)"
      return
    fi
    sleep 0.05 # polling interval under a deadline
  done
  rw_redis_bench "$port" "$d/res/bench"
  for s in $RW_REDIS_SIZES; do rw_redis_setget "$port" "$s" "$d/res/setget-$s"; done
  rw_redis_slowread "$port" "$d/res/slowread"
  for r in "$d"/res/*; do
    n=$((n + 1))
    case $(cat "$r") in
      exact) ok=$((ok + 1)) ;;
      stall) stalls=$((stalls + 1)); note="${note:+$note; }$(basename "$r") stalled" ;;
      *) note="${note:+$note; }$(basename "$r") $(cat "$r")" ;;
    esac
  done
  local bad=0
  # redis-server exits 0 on SIGTERM (a clean shutdown).
  # faultrun either runs it as its child or becomes it (exec).
  rw_stop "$(pgrep -P "$pid" -x redis-server || echo "$pid")" "$pid"
  [ "$RW_STATUS" = 0 ] || { bad=1; note="${note:+$note; }redis-server exited $RW_STATUS"; }
  rw_row redis "$rule" - "$n" "$ok" "$stalls" "$bad" "$(rw_faults "$RW_FAULT" "$d/faults.log")" 0 "$note" "$d/redis.out"
}
