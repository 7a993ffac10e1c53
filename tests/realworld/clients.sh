# clients.sh: real clients under one rule (sourced by realworld.sh, bash;
# issue 14).
#
# One nginx, not under the shim, serves $RW_TMP/src/cli.bin and takes PUTs
# to /up/ (dav_methods PUT); each client runs under `faultrun -e RULE` and
# fetches the file once (GET) or uploads $RW_TMP/src/cli-put.bin once (PUT):
# socat with `nonblock`, nc (netcat-openbsd), wget and a node client
# (http.js). A GET is exact when the client exits 0 with the file's bytes
# (socat and nc speak HTTP/1.0 by hand: the response's header, then exactly
# the file); a PUT when the client exits 0, nginx answered 201 or 204 and
# what nginx stored is the file. Every client runs under `timeout 20`: one
# still running then is a stall.
#
# The stall rows (rw_clients_stall): socat -T3 and wget -T 3 under
# rd:stall:when=3 must end as they do against a really silent peer, measured
# in the same run: a server that sent part of a response and then says
# nothing more (socat -u from a FIFO this shell keeps open). Same exit
# status, an elapsed time within a second or two of the real one, and what
# arrived is a prefix of what nginx sends.
#
# A row whose rule injected nothing while the summary counts calls where it
# could not fire (eagain on a blocking socket, a write with room) is NOT
# JUDGED, never PASS; one that injected nothing and had nowhere it could not
# fire is a FAIL (the row tested nothing).

RW_CLI_KB=2048
RW_CLI_STALL_RULE=rd:stall:when=3

# rw_clients_start: the plain nginx, its port in RW_CLI_PORT; the header
# length of its response in RW_CLI_HDR (fixed-width fields only, so the
# same for every response of this run). Returns 1 if it did not start.
rw_clients_start() {
  local d=$RW_TMP/clients-nginx
  mkdir -p "$d"
  head -c $((RW_CLI_KB * 1024)) /dev/urandom > "$RW_TMP/src/cli.bin"
  head -c $((RW_CLI_KB * 1024)) /dev/urandom > "$RW_TMP/src/cli-put.bin"
  rw_cli_request > "$RW_TMP/cli.req"
  rw_port; RW_CLI_PORT=$RW_PORT
  rw_nginx_conf "$d" "$RW_CLI_PORT" on
  # A small receive buffer (rcvbuf=4k, inherited by every accepted
  # socket): a PUT's bytes wait in the client's send queue, so a write-like
  # call can find no room there, where the kernel could say EAGAIN (node
  # writes until it does). With nginx draining a 2 MB window at once the
  # queue never held more than SO_SNDBUF's minimum and wr:eagain could not
  # fire on node's PUT at all (NOT JUDGED: "send queue had room").
  sed -i "s/listen 127.0.0.1:$RW_CLI_PORT;/listen 127.0.0.1:$RW_CLI_PORT rcvbuf=4k;/" "$d/nginx.conf"
  grep -q "rcvbuf=4k;" "$d/nginx.conf" || return 1
  ln "$RW_TMP/src/cli.bin" "$d/www/cli.bin"
  chmod -R a+rX "$d"
  nginx -e "$d/error.log" -c "$d/nginx.conf" -p "$d/" > "$d/nginx.out" 2>&1 &
  RW_CLI_PID=$!
  RW_PIDS="$RW_PIDS $RW_CLI_PID"
  rw_wait_http "http://127.0.0.1:$RW_CLI_PORT/ping" "$RW_CLI_PID" || return 1
  rw_cli_request | timeout 20 nc 127.0.0.1 "$RW_CLI_PORT" > "$RW_TMP/cli.ref" || return 1
  RW_CLI_HDR=$(( $(stat -c %s "$RW_TMP/cli.ref") - RW_CLI_KB * 1024 ))
  [ "$RW_CLI_HDR" -gt 0 ] && [ "$(rw_cli_body_sha "$RW_TMP/cli.ref")" = "$(rw_sha "$RW_TMP/src/cli.bin")" ]
}

rw_clients_stop() {
  rw_stop "$(cat "$RW_TMP/clients-nginx/nginx.pid" 2>/dev/null)" "$RW_CLI_PID"
}

rw_cli_request() { printf 'GET /cli.bin HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'; }

# rw_cli_body_sha FILE: sha256 of what follows the header in a response.
rw_cli_body_sha() { tail -c +$((RW_CLI_HDR + 1)) "$1" | sha256sum | cut -d' ' -f1; }

# rw_cli_http_exact OUT: the response in OUT is 200, its header as long as
# the reference's and ending the header, and the body is the file.
rw_cli_http_exact() {
  local out=$1
  [ "$(head -c 12 "$out")" = "HTTP/1.1 200" ] || { echo "not a 200: $(head -c 40 "$out" | tr -c '[:print:]' ' ')"; return 1; }
  [ "$(head -c "$RW_CLI_HDR" "$out" | tail -c 4 | od -An -tx1 | tr -d ' ')" = 0d0a0d0a ] ||
    { echo "$(stat -c %s "$out") bytes, not header + file"; return 1; }
  [ "$(rw_cli_body_sha "$out")" = "$(rw_sha "$RW_TMP/src/cli.bin")" ] ||
    { echo "$(stat -c %s "$out") bytes, body differs"; return 1; }
}

# rw_cli_aim RULE: RULE aimed at the connection to the clients' nginx
# (peer=127.0.0.1:PORT), unless it already names its descriptors (fd=,
# peer=, local=) or its calls are readiness waits, which take no peer=. So a
# row's faults are the transfer's: socat, for one, also reads the
# SOCK_DGRAM socketpair it signals itself through (recvfrom MSG_DONTWAIT),
# where rd:eagain would fire every time the kernel says EAGAIN anyway and
# never touch the connection.
rw_cli_aim() {
  case ${1%%:*} in wait|poll|select|epoll_wait|poll,*|select,*|epoll_wait,*|wait,*) echo "$1"; return ;; esac
  case :$1: in *:fd=*|*:peer=*|*:local=*) echo "$1"; return ;; esac
  echo "$1:peer=127.0.0.1:$RW_CLI_PORT"
}

# rw_cli_get PROG RULE DIR / rw_cli_put PROG RULE DIR: one transfer by the
# client PROG under faultrun; the result ("exact", "stall" or "wrong: why")
# goes to DIR/res/get or DIR/res/put, faultrun's stderr to DIR/err.get or
# DIR/err.put, its log to DIR/faults.log.
rw_cli_get() {
  local prog=$1 rule=$2 d=$3 rc why url="http://127.0.0.1:$RW_CLI_PORT/cli.bin"
  local fr=("$RW_FAULTRUN" -s "$RW_SEED" -l "$d/faults.log" -e "$(rw_cli_aim "$rule")" --) out=$d/get.out
  case $prog in
    socat) rw_cli_request | timeout 20 "${fr[@]}" socat -t 20 - "TCP:127.0.0.1:$RW_CLI_PORT,nonblock" > "$out" 2> "$d/err.get" ;;
    nc)    rw_cli_request | timeout 20 "${fr[@]}" nc 127.0.0.1 "$RW_CLI_PORT" > "$out" 2> "$d/err.get" ;;
    wget)  timeout 20 "${fr[@]}" wget -q -t 1 -T 10 -O "$out" "$url" < /dev/null 2> "$d/err.get" ;;
    node)  timeout 20 "${fr[@]}" "$RW_NODE" "$here/http.js" GET "$url" "$out" < /dev/null 2> "$d/err.get" ;;
  esac
  rc=$?
  if [ $rc -eq 124 ]; then echo stall > "$d/res/get"; return; fi
  if [ $rc -ne 0 ]; then
    echo "wrong: GET exit $rc: $(grep -v '^faultrun: ' "$d/err.get" | tail -n 1 | head -c 120)" > "$d/res/get"; return
  fi
  case $prog in
    socat|nc) why=$(rw_cli_http_exact "$out") || { echo "wrong: GET $why" > "$d/res/get"; return; } ;;
    *) [ "$(rw_sha "$out")" = "$(rw_sha "$RW_TMP/src/cli.bin")" ] ||
         { echo "wrong: GET $(stat -c %s "$out" 2>/dev/null || echo no) bytes, not the file" > "$d/res/get"; return; } ;;
  esac
  echo exact > "$d/res/get"
  rm -f "$out"
}
rw_cli_put() {
  local prog=$1 rule=$2 d=$3 rc name url src=$RW_TMP/src/cli-put.bin stored
  local fr=("$RW_FAULTRUN" -s "$RW_SEED" -l "$d/faults.log" -e "$(rw_cli_aim "$rule")" --) out=$d/put.out
  name=$(basename "$d").bin; url="http://127.0.0.1:$RW_CLI_PORT/up/$name"
  stored=$RW_TMP/clients-nginx/www/up/$name
  case $prog in
    socat) rw_cli_put_request "$name" | timeout 20 "${fr[@]}" socat -t 20 - "TCP:127.0.0.1:$RW_CLI_PORT,nonblock" > "$out" 2> "$d/err.put" ;;
    nc)    rw_cli_put_request "$name" | timeout 20 "${fr[@]}" nc 127.0.0.1 "$RW_CLI_PORT" > "$out" 2> "$d/err.put" ;;
    wget)  timeout 20 "${fr[@]}" wget -q -t 1 -T 10 --method=PUT --body-file="$src" -O "$out" "$url" < /dev/null 2> "$d/err.put" ;;
    node)  timeout 20 "${fr[@]}" "$RW_NODE" "$here/http.js" PUT "$url" "$src" < /dev/null 2> "$d/err.put" ;;
  esac
  rc=$?
  if [ $rc -eq 124 ]; then echo stall > "$d/res/put"; return; fi
  if [ $rc -ne 0 ]; then
    echo "wrong: PUT exit $rc: $(grep -v '^faultrun: ' "$d/err.put" | tail -n 1 | head -c 120)" > "$d/res/put"; return
  fi
  case $prog in
    socat|nc) case $(head -c 12 "$out") in "HTTP/1.1 201"|"HTTP/1.1 204") ;;
                *) echo "wrong: PUT answered $(head -c 40 "$out" | tr -c '[:print:]' ' ')" > "$d/res/put"; return ;; esac ;;
  esac
  if [ ! -f "$stored" ] || [ "$(rw_sha "$stored")" != "$(rw_sha "$src")" ]; then
    echo "wrong: PUT stored $(stat -c %s "$stored" 2>/dev/null || echo no) bytes, not the file" > "$d/res/put"; return
  fi
  echo exact > "$d/res/put"
  rm -f "$out" "$stored"
}

# rw_cli_put_request NAME: an HTTP/1.0 PUT of cli-put.bin to /up/NAME.
rw_cli_put_request() {
  printf 'PUT /up/%s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %s\r\n\r\n' "$1" \
    "$(stat -c %s "$RW_TMP/src/cli-put.bin")"
  cat "$RW_TMP/src/cli-put.bin"
}

# rw_cli_row PROG RULE DIR [NOTE]: judges one client row from DIR/res/*
# and DIR/err*, and appends it.
rw_cli_row() {
  local prog=$1 rule=$2 d=$3 note=${4:-} verdict=PASS n=0 ok=0 stalls=0 faults sum matched injected cnf reasons f r
  f=${rule#*:}; f=${f%%:*}; f=${f%%=*}
  faults=$(rw_faults "$f" "$d/faults.log")
  sum=$(rw_cli_summary "$d"/err*)
  read -r matched injected cnf reasons <<< "${sum:-0 0 0}"
  for r in "$d"/res/*; do
    n=$((n + 1))
    case $(cat "$r") in
      exact) ok=$((ok + 1)) ;;
      stall) stalls=$((stalls + 1)); verdict=FAIL; note="${note:+$note; }$(basename "$r") stalled" ;;
      *) verdict=FAIL; r=$(cat "$r"); note="${note:+$note; }${r#wrong: }" ;;
    esac
  done
  if [ "$faults" -eq 0 ]; then
    if [ "${cnf:-0}" -gt 0 ]; then
      verdict="NOT JUDGED"; note="${note:+$note; }every due fault could not fire: $cnf of $matched calls${reasons:+ $reasons}"
    else
      verdict=FAIL; note="${note:+$note; }no fault logged: tested nothing ($matched calls matched)"
    fi
  elif [ "${cnf:-0}" -gt 0 ]; then
    note="${note:+$note; }$cnf could not fire${reasons:+ $reasons}"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$prog" "$rule" - "$n" "$ok" "$stalls" \
    "$faults" 0 "$verdict" "$note" >> "$RW_TMP/results"
  echo "realworld: $prog $rule: $ok/$n exact, $faults faults: $verdict${note:+ ($note)}"
}

# rw_clients RULE: one row per client and method, each with its own log
# and summary, so a row's fault count is its own transfer's. The method is
# the one whose bytes the rule's calls carry: a GET for read-like calls (the
# client reads the 2 MB; it writes a request of some 40 bytes, which always
# fits), a PUT for write-like ones (it writes the 2 MB and reads a short
# answer); both for any other rule (wait:, connect:, ...).
rw_clients() {
  local rule=$1 prog tag d m methods='get put'
  tag=$(echo "$rule" | tr -c 'a-z0-9\n' '_')
  case ${rule%%:*} in
    rd|read|readv|recv|recvfrom|recvmsg) methods=get ;;
    wr|write|writev|send|sendto|sendmsg) methods=put ;;
  esac
  for prog in socat nc wget node; do
    for m in $methods; do
      d=$RW_TMP/cli-$prog-$m-$tag
      mkdir -p "$d/res"
      rw_cli_$m $prog "$rule" "$d"
      rw_cli_row "$prog ${m^^}" "$rule" "$d"
    done
  done
}

# rw_cli_timed DIR CMD...: runs CMD (bounded by timeout 10), exit status and
# elapsed seconds (with hundredths) in DIR/rc and DIR/secs.
rw_cli_timed() {
  local d=$1 t0 rc; shift
  t0=$(date +%s%N)
  timeout 10 "$@"; rc=$?
  echo $rc > "$d/rc"
  echo "$(( ($(date +%s%N) - t0) / 10000000 ))" | sed 's/..$/.&/' > "$d/secs"
}

# rw_cli_stall_client PROG DIR PORT [FAULTRUN...]: socat -T3 or wget -T 3
# against PORT, output in DIR/out, stderr in DIR/err.
rw_cli_stall_client() {
  local prog=$1 d=$2 port=$3; shift 3
  case $prog in
    # The request from a file read past its end (ignoreeof): with stdin at
    # EOF socat would wait for -t, not -T.
    socat) rw_cli_timed "$d" "$@" socat -T3 "OPEN:$RW_TMP/cli.req,ignoreeof!!STDOUT" "TCP:127.0.0.1:$port" \
             < /dev/null > "$d/out" 2> "$d/err" ;;
    wget) rw_cli_timed "$d" "$@" wget -q -t 1 -T 3 -O "$d/out" "http://127.0.0.1:$port/cli.bin" < /dev/null 2> "$d/err" ;;
  esac
}

# rw_clients_stall: the socat -T3 and wget -T 3 rows, real silent peer and
# injected stall side by side (all four runs at once: about 3 s in all).
rw_clients_stall() {
  local prog d real port fifo pids='' spids='' note res
  for prog in socat wget; do
    d=$RW_TMP/cli-stall-$prog; real=$d/real
    mkdir -p "$d" "$real"
    # The silent peer: the header and 32 KiB of the file (less than a FIFO
    # holds, so the write never waits), then nothing (the
    # FIFO stays open for writing, so socat never sees its end).
    fifo=$real/fifo; mkfifo "$fifo"
    rw_port; port=$RW_PORT
    socat -u "OPEN:$fifo" "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" > "$real/server.out" 2>&1 &
    spids="$spids $!"; RW_PIDS="$RW_PIDS $!"
    exec {fd}<> "$fifo"
    { head -c "$RW_CLI_HDR" "$RW_TMP/cli.ref"; head -c 32768 "$RW_TMP/src/cli.bin"; } >&$fd
    eval "RW_CLI_FIFO_$prog=$fd"
    rw_cli_wait_listen "$port" || : > "$real/nolisten"
    rw_cli_stall_client $prog "$real" "$port" &
    pids="$pids $!"
    rw_cli_stall_client $prog "$d" "$RW_CLI_PORT" "$RW_FAULTRUN" -s "$RW_SEED" -l "$d/faults.log" \
      -e "$(rw_cli_aim "$RW_CLI_STALL_RULE")" -- &
    pids="$pids $!"
  done
  wait $pids
  for prog in socat wget; do
    d=$RW_TMP/cli-stall-$prog; real=$d/real; note=''
    eval "fd=\$RW_CLI_FIFO_$prog"; exec {fd}>&-
    res=exact
    note="real peer: exit $(cat "$real/rc") after $(cat "$real/secs") s; stall: exit $(cat "$d/rc") after $(cat "$d/secs") s"
    if [ -e "$real/nolisten" ]; then res="wrong: the silent peer never listened (5 s)"
    elif [ "$(cat "$d/rc")" = 124 ]; then res=stall
    elif [ "$(cat "$d/rc")" != "$(cat "$real/rc")" ]; then res="wrong: exit status differs"
    elif ! awk -v a="$(cat "$d/secs")" -v b="$(cat "$real/secs")" 'BEGIN { exit !(a >= b - 1 && a <= b + 2) }'; then
      res="wrong: elapsed time differs"
    elif ! rw_cli_prefix $prog "$d/out"; then res="wrong: what arrived is not a prefix of the response"
    fi
    mkdir -p "$d/res"; echo "$res" > "$d/res/stall"
    rw_cli_row "$prog $([ $prog = socat ] && echo -T3 || echo -T 3)" "$RW_CLI_STALL_RULE" "$d" "$note"
  done
  for prog in $spids; do kill -TERM "$prog" 2>/dev/null; done
}

# rw_cli_prefix PROG OUT: OUT is a prefix of what nginx sends (socat: the
# whole response, Date aside; wget: the file).
rw_cli_prefix() {
  local n
  n=$(stat -c %s "$2")
  case $1 in
    socat) [ "$n" -le "$RW_CLI_HDR" ] && [ "$(head -c 12 "$2")" = "HTTP/1.1 200" ] && return 0
           [ "$(head -c 12 "$2")" = "HTTP/1.1 200" ] &&
             cmp -s -n $((n - RW_CLI_HDR)) <(tail -c +$((RW_CLI_HDR + 1)) "$2") "$RW_TMP/src/cli.bin" ;;
    wget) cmp -s -n "$n" "$2" "$RW_TMP/src/cli.bin" ;;
  esac
}

# rw_cli_wait_listen PORT: polls until something listens on PORT (5 s at most).
rw_cli_wait_listen() {
  local end=$((SECONDS + 5))
  while [ $SECONDS -lt $end ]; do
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
    sleep 0.05 # polling interval under a deadline
  done
  return 1
}
