#!/bin/sh
# layercheck.sh [DIR]: the layers of faultinject/ (DIR, default faultinject)
# hold. common/ includes only common/ headers; shim/ and faultrun/ include
# their own and common/'s, never each other's. Every header has one .c of
# its name in its folder, but the header-only ones named here; no two
# modules include each other's header. Exit 0, or 1 with every breach
# named (file:line: what it includes, and why not).
set -u
dir=${1:-faultinject}
header_only="faultinject.h real.h"
# control.c's contract is the public faultinject.h (at the top): the
# constructor and the faultinject_* calls the inline header looks up
no_header="control.c"
bad=0

for layer in common shim faultrun; do
  [ -d "$dir/$layer" ] || { echo "layercheck: $dir/$layer: no such folder" >&2; exit 1; }
done

# nothing of a layer left at the top: only the public header
for f in "$dir"/*.c "$dir"/*.h; do
  [ -f "$f" ] || continue
  case $(basename "$f") in faultinject.h) continue ;; esac
  echo "$f: outside the layers (put it in common/, shim/ or faultrun/)"
  bad=1
done

# allowed LAYER: the folders its files may include from
allowed() {
  case $1 in
    common) echo "common" ;;
    shim) echo "shim common" ;;
    faultrun) echo "faultrun common" ;;
  esac
}

for layer in common shim faultrun; do
  ok=$(allowed "$layer")
  for f in "$dir/$layer"/*.c "$dir/$layer"/*.h; do
    [ -f "$f" ] || continue
    # every #include "x.h" (quoted: the project's own) with its line number
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
      sed 's/^\([0-9]*\):.*"\([^"]*\)".*/\1 \2/' >"${TMPDIR:-/tmp}/layercheck.$$"
    while read -r line inc; do
      base=${inc##*/}
      found=
      for l in $ok; do
        [ -f "$dir/$l/$base" ] && found=$l
      done
      if [ -z "$found" ]; then
        owner=
        for l in common shim faultrun; do
          [ -f "$dir/$l/$base" ] && owner=$l
        done
        if [ -n "$owner" ]; then
          echo "$f:$line: includes $owner/$base: $layer/ may include only from: $ok"
        else
          echo "$f:$line: includes \"$inc\", which no layer of $dir has"
        fi
        bad=1
      fi
    done <"${TMPDIR:-/tmp}/layercheck.$$"
    rm -f "${TMPDIR:-/tmp}/layercheck.$$"
  done
  for h in "$dir/$layer"/*.h; do
    [ -f "$h" ] || continue
    b=$(basename "$h" .h)
    case " $header_only " in *" $b.h "*) continue ;; esac
    if [ ! -f "$dir/$layer/$b.c" ]; then
      echo "$h: a header with no $b.c beside it (every header has one .c of its name)"
      bad=1
    fi
  done
  for c in "$dir/$layer"/*.c; do
    [ -f "$c" ] || continue
    b=$(basename "$c" .c)
    # a program's main file (faultrun.c) may stand alone
    case " $no_header " in *" $b.c "*) continue ;; esac
    if [ ! -f "$dir/$layer/$b.h" ] && ! grep -q '^int main' "$c"; then
      echo "$c: no $b.h beside it (a module's contract is its header)"
      bad=1
    fi
  done
done
# no two modules of a layer include each other's header: the calls go
# one way (a.c includes b.h and b.c includes a.h is a cycle)
for layer in common shim faultrun; do
  for c in "$dir/$layer"/*.c; do
    [ -f "$c" ] || continue
    a=$(basename "$c" .c)
    for b in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"/]*\)\.h".*/\1/p' "$c"); do
      [ "$b" = "$a" ] && continue
      [ -f "$dir/$layer/$b.c" ] || continue
      if grep -q "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"$a\.h\"" "$dir/$layer/$b.c" &&
         [ "$a" \< "$b" ]; then
        echo "$dir/$layer: $a.c and $b.c include each other's header: a call cycle"
        bad=1
      fi
    done
  done
done
[ "$bad" -eq 0 ] && echo "layercheck: $dir: common, shim, faultrun: every include allowed, every header with its .c, no include cycle"
exit "$bad"
