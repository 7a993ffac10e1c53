#!/bin/sh
# check-wrap-mutants.sh MUTANT.c...: runs check-wrap on each broken copy of
# wrap.c (two at a time) and on wrap/wrap.c. Each mutant starts with
# "/* MUTANT breaks: L9 M1 */"; it counts as caught only if the suite
# rejects it with every clause named there among the failing clauses.
# A file without that line is a correct alternative and must pass.
# Fails unless every mutant is caught, and wrap/wrap.c and the alternatives pass.
# Environment: as for check-wrap.sh, plus BUILDDIR (where to build).
set -u
here=$(dirname "$0")
out="$BUILDDIR/mutants"
mkdir -p "$out"

run_one() {   # $1: a C file; writes $out/<name>.row
  f=$1; n=$(basename "$f" .c)
  [ "$f" = wrap/wrap.c ] && n=ours-wrap.c
  want=$(sed -n '1s/.*MUTANT breaks: *\([^*]*\)\*\/.*/\1/p' "$f" | tr -s ' ')
  # a mutant that hangs fails its test after 10 s; a correct file gets 60
  WRAP_SRC="$f" OUTDIR="$out/$n" WRAP_QUIET=1 WRAP_TIMEOUT=$([ -n "$want" ] && echo 10 || echo 60) \
    sh "$here/check-wrap.sh" >"$out/$n.table" 2>"$out/$n.err"
  rc=$?
  failed=$(awk '$2 == "FAIL" {printf "%s ", $1}' "$out/$n.table")
  if [ $rc = 2 ]; then verdict="UNUSABLE ($(tail -1 "$out/$n.err"))"
  elif [ -z "$want" ]; then verdict=$([ $rc = 0 ] && echo pass || echo "FAILED: $failed")
  else
    verdict=caught
    for c in $want; do
      case " $failed" in *" $c "*) ;; *) verdict="MISSED $c";; esac
    done
  fi
  printf '%-36s %-10s %-8s %s\n' "$n" "${want:--}" "$verdict" "$failed" >"$out/$n.row"
}

if [ "${1:-}" = --one ]; then shift; run_one "$1"; exit 0; fi
rm -f "$out"/*.row

start=$(date +%s)
for f in "$@" wrap/wrap.c; do echo "$f"; done |
  xargs -P 2 -n 1 sh "$0" --one
printf '%-36s %-10s %-8s %s\n' mutant expects verdict "clauses failed"
bad=0
for f in "$@"; do
  n=$(basename "$f" .c)
  cat "$out/$n.row"
  grep -qE ' (caught|pass) ' "$out/$n.row" || bad=$((bad + 1))
done
caught=$(( $# - bad ))  # mutants caught + alternatives passing
ours=$(cat "$out/ours-wrap.c.row")
echo "$ours"
case "$ours" in *" pass "*) ok=pass ;; *) bad=$((bad + 1)); ok=FAIL ;; esac
echo "mutants and alternatives: $caught of $# as expected; wrap/wrap.c: $ok ($(( $(date +%s) - start )) s)"
[ $bad = 0 ]
