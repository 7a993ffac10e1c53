#!/bin/sh
# make deb: builds the faultkit .deb from a copy of the source tree under
# build/deb/ (dpkg-buildpackage writes its results to the parent directory,
# so nothing lands outside build/), runs lintian on it (any error fails),
# unpacks it into build/deb-root and runs the unpacked faultrun from there,
# then, as root, installs it with dpkg -i, runs the installed faultrun and
# the shim, and removes the package again. Any failed step fails the target.
# The tools come from scripts/deps.sh deb (make deb runs it first).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
t0=$(date +%s)
ver=$(dpkg-parsechangelog -S Version)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
out=$top/build/deb
src=$out/faultkit-$ver
deb=$out/faultkit_${ver}_$arch.deb
root=$top/build/deb-root
shim=usr/lib/$ma/faultkit/libfaultinject.so
say() { echo "deb: $*"; }
fail() { echo "deb: FAILED: $*" >&2; exit 1; }

# A fault in a plain file read: faultrun's summary must count one or more.
injects() {   # FAULTRUN: runs it on head(1), checks its summary
  sum=$("$1" -e 'read:short=1:fd=any' -- head -n1 "$src/debian/control" 2>&1 >/dev/null) || {
    echo "$sum" >&2; return 1; }
  echo "  $sum"
  echo "$sum" | grep -q "^faultrun: rule 1 .* [1-9][0-9]* faults injected"
}

rm -rf "$out" "$root"
mkdir -p "$src"
say "copying the source to ${src#$top/}"
tar -cf - --exclude=./build --exclude='./build-*' --exclude=./.git \
    --exclude=./coverage/html --exclude='./coverage/*.info' \
    --exclude='*.gcda' --exclude='*.gcno' . | tar -xf - -C "$src"

say "dpkg-buildpackage -b -us -uc (log: ${out#$top/}/build.log)"
(cd "$src" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2}" \
   dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 || {
  tail -40 "$out/build.log" >&2; fail "dpkg-buildpackage"; }
[ -f "$deb" ] || fail "no $deb"
dpkg-deb -c "$deb"

say "lintian (fails on errors)"
lst=0
lintian --fail-on error --info "$deb" >"$out/lintian.txt" 2>&1 || lst=$?
grep -v 'running with root privileges' "$out/lintian.txt" || echo "  (no tags)"
[ "$lst" -eq 0 ] || fail "lintian: exit $lst (errors above)"

say "dpkg -x into ${root#$top/}"
dpkg -x "$deb" "$root"
"$root/usr/bin/faultrun" --help >/dev/null || fail "unpacked faultrun --help"
v=$("$root/usr/bin/faultrun" --version) || fail "unpacked faultrun --version"
echo "  $v"
case "$v" in *"shim: $root/$shim)"*) ;; *) fail "unpacked faultrun does not find $root/$shim";; esac
injects "$root/usr/bin/faultrun" || fail "unpacked faultrun injects no fault"

if [ "$(id -u)" != 0 ]; then
  say "not root: dpkg -i skipped (the unpacked package was checked above)"
else
  if dpkg -s faultkit >/dev/null 2>&1; then
    say "note: faultkit $(dpkg-query -W -f='${Version}' faultkit) was installed: it is replaced, then removed"
  fi
  say "dpkg -i"
  dpkg -i "$deb" >/dev/null || fail "dpkg -i"
  trap 'dpkg -r faultkit >/dev/null && echo "deb: dpkg -r faultkit"' EXIT
  /usr/bin/faultrun --help >/dev/null || fail "installed faultrun --help"
  v=$(/usr/bin/faultrun --version) || fail "installed faultrun --version"
  echo "  $v"
  case "$v" in *"shim: /$shim)"*) ;; *) fail "installed faultrun does not find /$shim";; esac
  injects /usr/bin/faultrun || fail "installed faultrun injects no fault"
  # The shim alone, preloaded: its log has the injected faults.
  log=$out/preload.log
  LD_PRELOAD=/$shim FAULTINJECT_RULES='read:short=1:fd=any' FAULTINJECT_LOG="$log" \
    head -n1 "$src/debian/control" >/dev/null || fail "preloaded head"
  n=$(grep -c ' read [0-9]* short=1 ' "$log" || true)
  echo "  LD_PRELOAD=/$shim: $n faults injected (${log#$top/})"
  [ "$n" -gt 0 ] || fail "the preloaded shim injects no fault"
  man -w faultrun faultinject fi_set faultkit-echo-client >/dev/null || fail "man pages"
  # libwrap.a through its pkg-config file, as a user of the package builds.
  printf '#include <wrap.h>\nint main(void) { return Socket(AF_INET, SOCK_STREAM, 0) < 0; }\n' \
    >"$out/usewrap.c"
  # shellcheck disable=SC2046
  cc -o "$out/usewrap" "$out/usewrap.c" $(pkg-config --cflags --libs wrap) \
    || fail "building against wrap.pc"
  "$out/usewrap" || fail "a program linked with the installed libwrap.a"
  echo "  cc \$(pkg-config --cflags --libs wrap): $(pkg-config --cflags --libs wrap)"
fi
say "ok: ${deb#$top/} in $(( $(date +%s) - t0 )) s"
