# nginx.sh: nginx under one rule (sourced by realworld.sh, bash).
#
# Two nginx, both under `faultrun --only nginx -e RULE` with their own log:
# the origin serves $RW_TMP/src/big.bin (10 MB) and takes PUTs into
# <dir>/www/up/ (the dav module's PUT); the front proxies everything to the
# origin (proxy_pass). Four transfers run at once: GET and PUT straight to
# the origin, GET and PUT through the front. A GET is exact when what curl
# received has the source's sha256; a PUT when the file the origin stored has.
# A transfer still running after 30 s (curl -m 30) is a stall.

RW_GET_MB=10
RW_PUT_MB=3

# rw_nginx_conf DIR PORT SENDFILE [UPSTREAM_PORT]: writes DIR/nginx.conf.
rw_nginx_conf() {
  local d=$1 port=$2 sf=$3 up=${4:-} loc
  mkdir -p "$d/www/up" "$d/tmp"
  if [ -n "$up" ]; then
    loc="location / { proxy_pass http://127.0.0.1:$up; proxy_http_version 1.1;
                      proxy_set_header Connection \"\"; }"
  else
    loc="location /up/ { dav_methods PUT; create_full_put_path on; }"
  fi
  cat > "$d/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $d/error.log info;
pid $d/nginx.pid;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    client_max_body_size 64m;
    sendfile $sf;
    server {
        listen 127.0.0.1:$port;
        root $d/www;
        location = /ping { return 200 ok; }
        $loc
    }
}
EOF
}

# rw_nginx_start DIR PORT RULE: nginx under faultrun; the faultrun pid in RW_LAST_PID.
rw_nginx_start() {
  local d=$1 port=$2 rule=$3
  "$RW_FAULTRUN" -s "$RW_SEED" -l "$d/faults.log" --only nginx -e "$rule" -- \
    nginx -e "$d/error.log" -c "$d/nginx.conf" -p "$d/" > "$d/nginx.out" 2>&1 &
  RW_LAST_PID=$!
  RW_PIDS="$RW_PIDS $RW_LAST_PID"
  rw_wait_http "http://127.0.0.1:$port/ping" "$RW_LAST_PID"
}

# rw_get URL WANT_SHA OUT RESULT / rw_put URL FILE STORED RESULT: one transfer;
# RESULT gets "exact", "stall" or "wrong: why".
rw_get() {
  local url=$1 want=$2 out=$3 res=$4 code rc
  code=$(curl -s -m 30 -o "$out" -w '%{http_code}' "$url"); rc=$?
  if [ $rc -eq 28 ]; then echo stall > "$res"
  elif [ $rc -ne 0 ] || [ "$code" != 200 ]; then echo "wrong: curl exit $rc, HTTP $code" > "$res"
  elif [ "$(rw_sha "$out")" != "$want" ]; then echo "wrong: sha256 differs ($(stat -c %s "$out") bytes)" > "$res"
  else echo exact > "$res"; fi
  rm -f "$out"
}
rw_put() {
  local url=$1 file=$2 stored=$3 res=$4 code rc
  code=$(curl -s -m 30 -o /dev/null -H 'Expect:' -T "$file" -w '%{http_code}' "$url"); rc=$?
  if [ $rc -eq 28 ]; then echo stall > "$res"
  elif [ $rc -ne 0 ] || { [ "$code" != 201 ] && [ "$code" != 204 ]; }; then
    echo "wrong: curl exit $rc, HTTP $code" > "$res"
  elif [ ! -f "$stored" ] || [ "$(rw_sha "$stored")" != "$(rw_sha "$file")" ]; then
    echo "wrong: stored file differs" > "$res"
  else echo exact > "$res"; fi
}

# rw_nginx RULE SENDFILE: one row of the table.
rw_nginx() {
  local rule=$1 sf=$2 tag d o f op fp note='' n=0 ok=0 stalls=0 r
  tag=$(echo "$rule-$sf" | tr -c 'a-z0-9\n' '_')
  d=$RW_TMP/nginx-$tag; o=$d/origin; f=$d/front
  mkdir -p "$o" "$f" "$d/res"
  rw_port; op=$RW_PORT; rw_port; fp=$RW_PORT
  rw_nginx_conf "$o" "$op" "$sf"
  rw_nginx_conf "$f" "$fp" "$sf" "$op"
  ln "$RW_TMP/src/big.bin" "$o/www/big.bin"
  local opid fpid
  rw_nginx_start "$o" "$op" "$rule"; r=$?; opid=$RW_LAST_PID
  fpid=
  if [ $r -eq 0 ]; then rw_nginx_start "$f" "$fp" "$rule"; r=$?; fpid=$RW_LAST_PID; fi
  if [ $r -ne 0 ]; then
    [ -n "$fpid" ] && rw_stop "$(cat "$f/nginx.pid" 2>/dev/null)" "$fpid"
    rw_stop "$(cat "$o/nginx.pid" 2>/dev/null)" "$opid"
    rw_row nginx "$rule" "$sf" 4 0 0 1 0 0 \
      "nginx did not start: $(cat "$o/nginx.out" "$f/nginx.out" 2>/dev/null | tail -1)"
    return
  fi
  local pids=
  rw_get "http://127.0.0.1:$op/big.bin" "$RW_GET_SHA" "$d/get-direct" "$d/res/get-direct" & pids="$pids $!"
  rw_get "http://127.0.0.1:$fp/big.bin" "$RW_GET_SHA" "$d/get-proxy" "$d/res/get-proxy" & pids="$pids $!"
  rw_put "http://127.0.0.1:$op/up/direct.bin" "$RW_TMP/src/put.bin" "$o/www/up/direct.bin" "$d/res/put-direct" & pids="$pids $!"
  rw_put "http://127.0.0.1:$fp/up/proxy.bin" "$RW_TMP/src/put.bin" "$o/www/up/proxy.bin" "$d/res/put-proxy" & pids="$pids $!"
  wait $pids
  for r in "$d"/res/*; do
    n=$((n + 1))
    case $(cat "$r") in
      exact) ok=$((ok + 1)) ;;
      stall) stalls=$((stalls + 1)); note="${note:+$note; }$(basename "$r") stalled" ;;
      *) note="${note:+$note; }$(basename "$r") $(cat "$r")" ;;
    esac
  done
  # nginx (master_process off) exits 0 on SIGTERM; anything else is a failure.
  local bad=0
  rw_stop "$(cat "$f/nginx.pid" 2>/dev/null)" "$fpid"
  [ "$RW_STATUS" = 0 ] || { bad=1; note="${note:+$note; }front nginx exited $RW_STATUS"; }
  rw_stop "$(cat "$o/nginx.pid" 2>/dev/null)" "$opid"
  [ "$RW_STATUS" = 0 ] || { bad=1; note="${note:+$note; }origin nginx exited $RW_STATUS"; }
  if [ "$ok" -ne "$n" ] || [ $bad -ne 0 ]; then # the temp dir goes: show what nginx said
    grep -hv '\[info\]' "$o/error.log" "$f/error.log" 2>/dev/null | tail -n 5 | sed 's/^/  nginx: /' >&2
  fi
  rw_row nginx "$rule" "$sf" "$n" "$ok" "$stalls" "$bad" \
    "$(rw_faults "$RW_FAULT" "$o/faults.log" "$f/faults.log")" \
    "$(rw_faults_on sendfile "$RW_FAULT" "$o/faults.log" "$f/faults.log")" "$note"
}
