#!/bin/sh
# layercheck_selftest.sh: layercheck.sh rejects what it must, on a copy of
# faultinject/ with one breach made at a time, naming the file and the
# rule; and accepts the tree as it is.
set -u
here=$(dirname "$0")
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
fail=0
expect() {  # NAME WANT-IN-OUTPUT: layercheck on $t/fi fails and says it
  out=$(sh "$here/layercheck.sh" "$t/fi" 2>&1)
  rc=$?
  case "$out" in
    *"$2"*) [ "$rc" -ne 0 ] && { echo "layercheck selftest: $1: rejected"; return; } ;;
  esac
  echo "layercheck selftest: $1: FAILED (rc $rc): $out"
  fail=1
}
fresh() { rm -rf "$t/fi" && cp -r faultinject "$t/fi"; }

fresh
sh "$here/layercheck.sh" "$t/fi" >/dev/null || { echo "layercheck selftest: the tree itself is rejected"; fail=1; }
fresh; echo '#include "sweep.h"' >>"$t/fi/shim/room.c"
expect "a shim file including a faultrun header" "shim/room.c:"
fresh; echo '#include "fdstate.h"' >>"$t/fi/faultrun/sweep.c"
expect "a faultrun file including a shim header" "includes shim/fdstate.h: faultrun/ may include only from"
fresh; echo '#include "engine.h"' >>"$t/fi/common/rules.c"
expect "a common file including a shim header" "includes shim/engine.h: common/ may include only from: common"
fresh; printf '#ifndef X\n#define X\n#endif\n' >"$t/fi/shim/orphan.h"
expect "a header with no .c of its name" "orphan.h: a header with no orphan.c"
fresh; echo '#include "shim.h"' >>"$t/fi/shim/xfer.c"; echo '#include "xfer.h"' >>"$t/fi/shim/shim.c"
expect "two modules including each other" "shim.c and xfer.c include each other's header"
fresh; echo 'int x;' >"$t/fi/stray.c"
expect "a source left at the top" "stray.c: outside the layers"
exit "$fail"
