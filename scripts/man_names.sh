#!/bin/sh
# man_names.sh LISTER PAGE: man faultrun's lists of calls (RULES, CALLS:
# the names, then the groups) and faults (FAULT: the .It words) hold the
# same words as names.h's tables, which LISTER (tests/fi/fi_names.c) prints.
# Exit 0, or 1 with what each side lacks.
set -u
lister=$1 page=$2
tmp=${TMPDIR:-/tmp}/man_names.$$
trap 'rm -f "$tmp".*' EXIT INT TERM
"$lister" | sort > "$tmp.table" || { echo "man_names: $lister failed" >&2; exit 1; }
awk '
  /^\.Ss CALLS/ { sec = "call"; next }
  /^\.Ss FAULT/ { sec = "fault"; next }
  /^\.S[sh] /   { sec = ""; next }
  sec == "calls-done" && /^or a group:/ { sec = "group"; next }
  sec == "group" && /^\.Pp/ { sec = ""; next }
  sec == "call" && /^\.Cm / {
    for (i = 2; i <= NF; i++) if ($i != "," && $i != ";") print "call " $i
    if ($NF == ";") sec = "calls-done"
    next
  }
  sec == "group" && /^\.Cm / { print "group " $2; next }
  sec == "fault" && /^\.El/ { sec = ""; next }
  sec == "fault" && /^\.It / {
    for (i = 2; i < NF; i++) if ($i == "Cm") print "fault " $(i + 1)
  }
' "$page" | sort > "$tmp.page"
if ! cmp -s "$tmp.table" "$tmp.page"; then
  echo "man_names: $page and names.h list different words"
  comm -23 "$tmp.table" "$tmp.page" | sed "s|^|  not in $page: |"
  comm -13 "$tmp.table" "$tmp.page" | sed "s|^|  not in names.h: |"
  exit 1
fi
echo "man_names: $page lists every call, group and fault of names.h"
