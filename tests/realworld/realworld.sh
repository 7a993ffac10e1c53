#!/usr/bin/env bash
# realworld.sh: real programs, as users run them, under faultrun
# (issue 8; faultinject.md "Faithful" and "Readiness agrees").
#
#   realworld.sh FAULTRUN LOADGEN [RULE...]
#
# For each rule (default: rd:short, rd:eagain, wr:short, wr:eagain and
# wait:eintr, each at p=0.3, seed $RW_SEED): nginx with sendfile on and off (nginx.sh) and
# redis-server (redis.sh), and the clients socat (nonblock), nc, wget and
# node against a plain nginx (clients.sh, issue 14: a GET under a read-like
# rule, a PUT under a write-like one, both otherwise); then socat -T3 and
# wget -T 3 under rd:stall beside a really silent peer. A row passes when
# every transfer is byte-exact (or, for the stall rows, ends as against the
# silent peer), none stalls, the rule's fault was logged, and, with sendfile
# on and a wr: rule, faults were logged on sendfile. A client row whose
# every due fault could not fire is NOT JUDGED (never PASS). Prints the
# table; exit 0 when no row failed, 1 otherwise, 2 on bad usage or a
# missing program.
#
# RW_ONLY='clients' (any of nginx, redis, clients) runs only those rows.
#
# Ports: the script re-runs itself in a network namespace of its own
# (`unshare -n`, loopback up) when it can, so fixed ports are safe and
# nothing touches the shared loopback; otherwise (no privilege) each server
# gets a port the kernel just said was free (LOADGEN --free-port; also
# with RW_NETNS=no).
# Everything lives in one mktemp -d directory, removed at the end whatever
# happens.
set -u

if [ $# -lt 2 ]; then
  echo "usage: realworld.sh FAULTRUN LOADGEN [RULE...]" >&2
  exit 2
fi
RW_FAULTRUN=$(realpath "$1"); RW_LOADGEN=$(realpath "$2"); shift 2
RW_RULES=${*:-rd:short:p=0.3 rd:eagain:p=0.3 wr:short:p=0.3 wr:eagain:p=0.3 wait:eintr:p=0.3}
RW_SEED=${RW_SEED:-20260801}
RW_ONLY=${RW_ONLY:-nginx redis clients} # which groups of rows (all by default)
rw_want() { case " $RW_ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
here=$(dirname "$(realpath "$0")")
PATH=$PATH:/usr/sbin:/sbin # nginx, ip

for prog in "$RW_FAULTRUN" "$RW_LOADGEN"; do
  [ -x "$prog" ] || { echo "realworld: $prog is not an executable (make all first)" >&2; exit 2; }
done
for prog in nginx redis-server redis-cli redis-benchmark curl sha256sum timeout socat nc wget ss; do
  command -v "$prog" > /dev/null || {
    echo "realworld: $prog not found; install it with: sudo sh scripts/deps.sh realworld" >&2; exit 2; }
done

RW_NODE=$(command -v node || command -v nodejs) || {
  echo "realworld: node not found; install it with: sudo sh scripts/deps.sh realworld" >&2; exit 2; }
# nc must be netcat-openbsd's: the rows use its options and its ways (no handler, poll).
nc -h 2>&1 | grep -qi openbsd || {
  echo "realworld: $(command -v nc) is not netcat-openbsd; install it with: sudo sh scripts/deps.sh realworld" >&2; exit 2; }

# PUT goes through nginx's dav module (dav_methods PUT), which Debian's
# nginx-light has; without it every PUT would be a 405.
nginx -V 2>&1 | grep -q -- '--with-http_dav_module' || {
  echo "realworld: $(command -v nginx) has no http_dav_module, which the PUTs need (Debian's nginx-light has it)" >&2
  exit 2; }

if [ -z "${RW_IN_NETNS:-}" ] && [ "${RW_NETNS:-yes}" != no ] && command -v unshare > /dev/null && unshare -n true 2> /dev/null; then
  RW_IN_NETNS=1 exec unshare -n "$BASH" "$0" "$RW_FAULTRUN" "$RW_LOADGEN" "$@"
fi
if [ -n "${RW_IN_NETNS:-}" ]; then
  ip link set lo up || { echo "realworld: cannot bring up loopback in the namespace" >&2; exit 2; }
  where="its own network namespace (fixed ports)"
else
  where="the shared loopback (ports from the kernel)"
fi

. "$here/lib.sh"
. "$here/nginx.sh"
. "$here/redis.sh"
. "$here/clients.sh"

RW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/realworld.XXXXXX") || exit 2
trap rw_cleanup EXIT
trap 'exit 1' INT TERM HUP
mkdir -p "$RW_TMP/src"
head -c $((RW_GET_MB * 1024 * 1024)) /dev/urandom > "$RW_TMP/src/big.bin"
head -c $((RW_PUT_MB * 1024 * 1024)) /dev/urandom > "$RW_TMP/src/put.bin"
for s in $RW_REDIS_SIZES; do head -c "$s" /dev/urandom > "$RW_TMP/src/val.$s"; done
RW_GET_SHA=$(rw_sha "$RW_TMP/src/big.bin")
chmod -R a+rX "$RW_TMP" # nginx may switch to another user to read files

echo "realworld: $(nginx -v 2>&1 | sed 's/.*: //'), $(redis-server --version | cut -d' ' -f1-3), in $where, seed $RW_SEED"
t0=$SECONDS
rw_clients_start || { echo "realworld: the clients' nginx did not start or serve: $(tail -n 1 "$RW_TMP/clients-nginx/nginx.out" 2>/dev/null)" >&2; exit 2; }
for rule in $RW_RULES; do
  RW_FAULT=${rule#*:}; RW_FAULT=${RW_FAULT%%:*}; RW_FAULT=${RW_FAULT%%=*}
  rw_want nginx && { rw_nginx "$rule" on; rw_nginx "$rule" off; }
  rw_want redis && rw_redis "$rule"
  rw_want clients && rw_clients "$rule"
done
rw_want clients && rw_clients_stall
rw_clients_stop

echo
printf '%-10s %-20s %-8s %9s %5s %6s %13s %15s  %s\n' program rule sendfile transfers exact stalls \
  "faults logged" "on sendfile" verdict
fails=0 nj=0
while IFS="$(printf '\t')" read -r prog rule sf n ok stalls faults sff verdict note; do
  printf '%-10s %-20s %-8s %9s %5s %6s %13s %15s  %s\n' "$prog" "$rule" "$sf" "$n" "$ok" "$stalls" \
    "$faults" "$([ "$sf" = - ] && echo - || echo "$sff")" "$verdict${note:+: $note}"
  case $verdict in PASS) ;; "NOT JUDGED") nj=$((nj + 1)) ;; *) fails=$((fails + 1)) ;; esac
done < "$RW_TMP/results"
echo "realworld: $(wc -l < "$RW_TMP/results") rows, $fails failed, $nj not judged, $((SECONDS - t0)) s"
[ "$fails" -eq 0 ]
