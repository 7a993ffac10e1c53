#!/bin/sh
# check-wrap-mutants.sh MANIFEST [CORRECT.c...]: the wrap suite against every
# mutant of MANIFEST (tests/mutants/wrap.manifest, read only through
# `$MUTANT list` and `$MUTANT apply`) and against correct files, two at a time.
#
# A mutant is caught when every clause on its "breaks" line fails. It is run on
# those clauses only (WRAP_ONLY, one run per clause, stopping at the first that
# passes). MUTANTS_FULL=1 runs it through the whole table instead and lists
# the rows it failed besides its own and its "also" neighbours (extra), with
# the number of mutants that have any. A correct file (the alternatives, and
# wrap/wrap.c with MUTANTS_FULL=1) goes through the whole table and must pass.
# Environment: as for check-wrap.sh, plus MUTANT (the manifest reader) and
# BUILDDIR. Exit 0 when every mutant is caught and every correct file passes.
set -u
here=$(dirname "$0")
out="$BUILDDIR/mutants"

# The one place that knows check-wrap.sh's interface: runs it on $1 with
# WRAP_ONLY=$3 and $4 s per test into $2.*; sets $failed (clauses whose row
# is FAIL, table order) and returns its exit status (2: unusable).
suite() {
  WRAP_SRC="$1" OUTDIR="$2" WRAP_QUIET=1 WRAP_ONLY="$3" WRAP_TIMEOUT="$4" \
    sh "$here/check-wrap.sh" >"$2.table" 2>"$2.err"
  rc=$?
  if [ -n "$3" ]; then    # rows outside the selection say "no test ran"
    failed=$(awk -v p="$3" '$2 == "FAIL" && index($1 "_", p) == 1 {printf "%s ", $1}' "$2.table")
  else
    failed=$(awk '$2 == "FAIL" {printf "%s ", $1}' "$2.table")
  fi
  return $rc
}

has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

# A mutant: NAME BREAKS ALSO -> $out/NAME.row
run_mutant() {
  n=$1 want=$2 also=$3 seen= extra= verdict=caught
  src="$out/src/$n.c"
  if ! "$MUTANT" apply "$MANIFEST" "$n" "$src" 2>"$out/$n.err"; then
    verdict="NOT-APPLIED ($(tail -1 "$out/$n.err"))"
  elif [ "${MUTANTS_FULL:-}" = 1 ]; then
    suite "$src" "$out/$n" "" 10
    [ $? = 2 ] && verdict="UNUSABLE ($(tail -1 "$out/$n.err"))"
    seen=$failed
    for c in $failed; do
      has "$want $also" "$c" || extra="$extra$c "
    done
  else
    for c in $want; do
      suite "$src" "$out/$n.$c" "${c}_" 10
      [ $? = 2 ] && { verdict="UNUSABLE ($(tail -1 "$out/$n.$c.err"))"; break; }
      seen="$seen$failed"
      has "$failed" "$c" || break
    done
  fi
  case $verdict in caught)
    for c in $want; do has "$seen" "$c" || verdict="MISSED $c"; done ;;
  esac
  printf '%-36s %-10s %-8s %s%s\n' "$n" "$want" "$verdict" "$seen" \
    "${extra:+ extra: $extra}" >"$out/$n.row"
}

# A correct file: PATH -> $out/NAME.row
run_correct() {
  n=$(basename "$1" .c)
  [ "$1" = wrap/wrap.c ] && n=ours-wrap
  suite "$1" "$out/$n" "" 60
  case $? in 0) verdict=pass ;; 2) verdict="UNUSABLE ($(tail -1 "$out/$n.err"))" ;;
             *) verdict="FAILED" ;; esac
  printf '%-36s %-10s %-8s %s\n' "$n" - "$verdict" "$failed" >"$out/$n.row"
}

case "${1:-}" in
  --mutant) shift; IFS='	' read -r n want file build also <<EOF
$1
EOF
    [ "$also" = - ] && also=
    run_mutant "$n" "$want" "$also"; exit 0 ;;
  --correct) run_correct "$2"; exit 0 ;;
esac

MANIFEST=${1:?usage: check-wrap-mutants.sh MANIFEST [CORRECT.c...]}
shift
export MANIFEST
list=$("$MUTANT" list "$MANIFEST") || exit 1
mkdir -p "$out/src" && rm -f "$out"/*.row
correct="$*"
[ "${MUTANTS_FULL:-}" = 1 ] && correct="$correct wrap/wrap.c"

start=$(date +%s)
{ for f in $correct; do printf '%s\0%s\0' --correct "$f"; done
  echo "$list" | while IFS= read -r l; do printf '%s\0%s\0' --mutant "$l"; done
} | xargs -0 -P 2 -n 2 sh "$0"

printf '%-36s %-10s %-8s %s\n' mutant expects verdict "clauses failed"
bad=0 caught=0 extras=0 total=0
for n in $(echo "$list" | cut -f1); do
  total=$((total + 1))
  if [ -f "$out/$n.row" ] && cat "$out/$n.row" && grep -q ' caught ' "$out/$n.row"; then
    caught=$((caught + 1))
    grep -q ' extra: ' "$out/$n.row" && extras=$((extras + 1))
  else
    bad=$((bad + 1))
  fi
done
npass=0 ncorrect=0
for f in $correct; do
  n=$(basename "$f" .c); [ "$f" = wrap/wrap.c ] && n=ours-wrap
  ncorrect=$((ncorrect + 1))
  cat "$out/$n.row"
  if grep -q ' pass ' "$out/$n.row"; then npass=$((npass + 1)); else bad=$((bad + 1)); fi
done
echo "wrap mutants: $caught of $total caught; correct files: $npass of $ncorrect pass" \
     "($(( $(date +%s) - start )) s)"
[ "${MUTANTS_FULL:-}" = 1 ] &&
  echo "wrap mutants failing a row besides their own and their neighbours: $extras"
[ $bad = 0 ]
