#!/bin/sh
# servers.sh MANIFEST [CORRECT_SERVER...]: the server suite against every
# mutant of MANIFEST (tests/mutants/servers.manifest, read only through
# `$MUTANT list` and `$MUTANT apply`) and against correct servers, two at a time.
#
# Each mutant's file is edited into $OUT/NAME/, compiled, and linked into its
# "build" program in place of our object of that file. It is caught when every
# clause on its "breaks" line fails. It runs S0 and those clauses only, and a
# clause stops at its first failure (--fast). MUTANTS_FULL=1 runs the whole
# table instead and lists the rows it failed besides its own and its "also"
# neighbours (extra). A correct server goes through the whole table and must pass.
# Environment: MUTANT, SUITE (test_servers), SHIM (libfaultinject.so), OUT,
# CC, CFLAGS (how our server objects are compiled), LDFLAGS, BUILD (where our
# objects are), PROG_<program> (the objects and libraries of each program).
# Exit 0 when every mutant is caught and every correct server passes.
set -u

# The one place that knows the suite's interface: runs it on $1 with
# SERVER_SUITE_ONLY=$3 into $2; sets $failed (the clauses whose row is FAIL).
suite() {
  if [ -n "$3" ]; then
    SERVER_SUITE_ONLY="$3" timeout 300 "$SUITE" --fast --shim "$SHIM" "$1" >"$2" 2>&1
  else
    timeout 300 "$SUITE" --fast --shim "$SHIM" "$1" >"$2" 2>&1
  fi
  rc=$?
  failed=$(sed -n 's/^  \(S[0-9]\) *FAIL.*/\1/p' "$2" | tr '\n' ' ')
  return $rc
}

has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

# Builds mutant $1 (file $2, program $3) as $OUT/$1/$3; 0 or a message on stdout.
build() {
  d="$OUT/$1" obj="$BUILD/${2%.c}.o"
  case $3 in *[!a-z_]*|'') echo "build: '$3' is not a program name"; return 1 ;; esac
  mkdir -p "$d" || return 1
  "$MUTANT" apply "$MANIFEST" "$1" "$d/$(basename "$2")" 2>&1 || return 1
  objs=$(eval echo "\${PROG_$3:-}")
  case " $objs " in *" $obj "*) ;; *)
    echo "$2 ($obj) is not part of program $3 (PROG_$3)"; return 1 ;; esac
  # shellcheck disable=SC2086
  $CC $CFLAGS -c "$d/$(basename "$2")" -o "$d/mutant.o" 2>&1 &&
    $CC -o "$d/$3" $(echo " $objs " | sed "s| $obj | $d/mutant.o |") $LDFLAGS 2>&1
}

# A mutant: NAME BREAKS FILE PROGRAM ALSO -> $OUT/NAME.row
run_mutant() {
  n=$1 want=$2 also=$5 extra= verdict=caught
  t0=$(date +%s)
  if ! why=$(build "$1" "$3" "$4"); then
    verdict="NOT-BUILT ($(echo "$why" | tail -1))" failed=
  elif [ "${MUTANTS_FULL:-}" = 1 ]; then
    suite "$OUT/$n/$4" "$OUT/$n.out" ""
    for c in $failed; do has "$want $also" "$c" || extra="$extra$c "; done
  else
    only="S0_*"
    for c in $want; do only="$only,${c}_*"; done
    suite "$OUT/$n/$4" "$OUT/$n.out" "$only"
  fi
  case $verdict in caught)
    for c in $want; do has "$failed" "$c" || verdict="MISSED $c"; done ;;
  esac
  printf '%-28s %-8s %-8s %s(%s s)%s\n' "$n" "$want" "$verdict" "$failed" \
    $(( $(date +%s) - t0 )) "${extra:+ extra: $extra}" >"$OUT/$n.row"
}

# A correct server: PATH -> $OUT/NAME.row
run_correct() {
  n=$(basename "$1") t0=$(date +%s)
  if suite "$1" "$OUT/$n.out" ""; then verdict=pass; else verdict=REJECTED; fi
  printf '%-28s %-8s %-8s %s(%s s)\n' "$n" - "$verdict" "$failed" \
    $(( $(date +%s) - t0 )) >"$OUT/$n.row"
}

case "${1:-}" in
  --mutant) IFS='	' read -r n want file prog also <<EOF
$2
EOF
    [ "$also" = - ] && also=
    run_mutant "$n" "$want" "$file" "$prog" "$also"; exit 0 ;;
  --correct) run_correct "$2"; exit 0 ;;
esac

MANIFEST=${1:?usage: servers.sh MANIFEST [CORRECT_SERVER...]}
shift
export MANIFEST
list=$("$MUTANT" list "$MANIFEST") || exit 1
mkdir -p "$OUT" && rm -f "$OUT"/*.row

start=$(date +%s)
{ for s in "$@"; do printf '%s\0%s\0' --correct "$s"; done
  echo "$list" | while IFS= read -r l; do printf '%s\0%s\0' --mutant "$l"; done
} | xargs -0 -P 2 -n 2 sh "$0"

printf '\nserver mutants (logs in %s/)\n%-28s %-8s %-8s %s\n' "$OUT" mutant expects verdict "clauses failed"
bad=0 caught=0 extras=0 total=0
for n in $(echo "$list" | cut -f1); do
  total=$((total + 1))
  if [ -f "$OUT/$n.row" ] && cat "$OUT/$n.row" && grep -q ' caught ' "$OUT/$n.row"; then
    caught=$((caught + 1))
    grep -q ' extra: ' "$OUT/$n.row" && extras=$((extras + 1))
  else
    bad=$((bad + 1))
  fi
done
npass=0
for s in "$@"; do
  cat "$OUT/$(basename "$s").row"
  if grep -q ' pass ' "$OUT/$(basename "$s").row"; then npass=$((npass + 1)); else bad=$((bad + 1)); fi
done
echo "server mutants: $caught of $total caught; correct servers: $npass of $# pass" \
     "($(( $(date +%s) - start )) s)"
[ "${MUTANTS_FULL:-}" = 1 ] &&
  echo "server mutants failing a row besides their own and their neighbours: $extras"
[ $bad = 0 ]
