#!/bin/sh
# Installs what the tests need on a Debian machine, and only that:
# libcmocka-dev, valgrind, mandoc, lcov, for the trace backend's static and
# Go programs musl-tools and golang-go, and for `make realworld` the real programs
# (nginx-light, redis-server, redis-tools, curl, netcat-openbsd, and the
# clients socat, wget, nodejs), and for `make bench` the tools it measures
# the shim against (strace, fiu-utils), and for `make deb` the Debian
# packaging tools (dpkg-dev, debhelper, fakeroot, lintian). As root it runs
# apt-get; otherwise it stops and prints the exact command. Arguments: which
# of cmocka, valgrind, mandoc, lcov, musl, go, realworld, bench, deb. Nothing is ever
# skipped silently.
set -u
missing=
for want in "$@"; do
  case "$want" in
    cmocka)   [ -f /usr/include/cmocka.h ] || missing="$missing libcmocka-dev" ;;
    valgrind) command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind" ;;
    mandoc)   command -v mandoc >/dev/null 2>&1 || missing="$missing mandoc" ;;
    lcov)     command -v lcov >/dev/null 2>&1 && command -v genhtml >/dev/null 2>&1 \
                || missing="$missing lcov" ;;
    realworld)
      # nginx lives in /usr/sbin, often not in a user's PATH
      command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
      command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
      command -v redis-cli >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1 \
        || missing="$missing redis-tools"
      command -v curl >/dev/null 2>&1 || missing="$missing curl"
      # the slow reader of redis.sh: nc.openbsd -I (a small receive buffer);
      # the client rows run nc, and another netcat may be nc (OpenBSD's -h says so)
      { command -v nc.openbsd >/dev/null 2>&1 && nc -h 2>&1 | grep -qi openbsd; } \
        || missing="$missing netcat-openbsd"
      command -v socat >/dev/null 2>&1 || missing="$missing socat"
      command -v wget >/dev/null 2>&1 || missing="$missing wget"
      command -v node >/dev/null 2>&1 || command -v nodejs >/dev/null 2>&1 || missing="$missing nodejs"
      command -v ss >/dev/null 2>&1 || missing="$missing iproute2" ;;
    bench)
      command -v strace >/dev/null 2>&1 || missing="$missing strace"
      command -v fiu-run >/dev/null 2>&1 || missing="$missing fiu-utils" ;;
    musl)     command -v musl-gcc >/dev/null 2>&1 || missing="$missing musl-tools" ;;
    go)       command -v go >/dev/null 2>&1 || missing="$missing golang-go" ;;
    deb)
      command -v dpkg-buildpackage >/dev/null 2>&1 || missing="$missing dpkg-dev"
      command -v dh >/dev/null 2>&1 || missing="$missing debhelper"
      command -v fakeroot >/dev/null 2>&1 || missing="$missing fakeroot"
      command -v lintian >/dev/null 2>&1 || missing="$missing lintian" ;;
    *) echo "deps.sh: unknown dependency '$want'" >&2; exit 2 ;;
  esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq $missing >/dev/null || {
    echo "deps.sh: apt-get install$missing failed" >&2; exit 1; }
  exit 0
fi
echo "Missing:$missing. Install them with:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1
