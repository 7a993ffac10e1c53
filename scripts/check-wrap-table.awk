# check-wrap-table.awk: the verdict table of scripts/check-wrap.sh.
# Input: the clause ids, one a line. Variables (awk -v): resfile (the
# harness's records: name, verdict, reason, fed, expected, got, stderr,
# tab-separated), meanfile (clause<TAB>meaning), sigfile (clause<TAB>why a
# signature fails it), name, secs, rerun (the make command without
# WRAP_ONLY), only (WRAP_ONLY), report ("junit:FILE", "tap:FILE" or ""),
# reporttool (tests/support/report_tool: writes the report, as
# check-server's, NOT JUDGED as a skip),
# verdicts (a file: clause<TAB>verdict<TAB>kind<TAB>reason per row; kind is
# pass, signature, exit, hang, crash, wrong-result or notjudged).
# Prints the table, then the details of every row that is not PASS; exits 1
# unless every printed row is PASS.

# S quoted for sh: 'S', each ' inside as '"'"'
function sh(s,   q) { q = "'\"'\"'"; gsub(/'/, q, s); return "'" s "'" }

function kind(v, c, why) {
  if (v == "PASS") return "pass"
  if (v != "FAIL") return "notjudged"
  if (c in sig) return "signature"
  if (why ~ /: the candidate ended the test process/) return "exit"
  if (why ~ /: hung: /) return "hang"
  if (why ~ /: crashed/) return "crash"
  return "wrong-result"
}

# The other failing tests of clause C: eight named, then "and N more".
function add_other(c, t) {
  if (++nothers[c] <= 8) others[c] = others[c] " " t
  else if (nothers[c] == 9) others[c] = others[c] " ..."
}

function others_of(c) {
  return nothers[c] > 8 ? substr(others[c], 1, length(others[c]) - 4) \
         " and " (nothers[c] - 8) " more" : others[c]
}

function cut(s, n) { return length(s) > n ? substr(s, 1, n - 3) "..." : s }

BEGIN {
  FS = "\t"
  while ((getline line < meanfile) > 0) {
    split(line, f, "\t"); mean[f[1]] = f[2]
  }
  while ((getline line < sigfile) > 0) {
    split(line, f, "\t")
    # every mismatched function of the clause is named (P2: three)
    s = (f[1] in sig) ? sig[f[1]] "; " f[2] : f[2]
    sig[f[1]] = s
  }
  while ((getline line < resfile) > 0) {
    nf = split(line, f, "\t")
    t = f[1]; c = t; sub(/_.*/, "", c)
    n[c]++
    if (f[2] == "FAIL") {
      bad[c]++
      # the clause's own test first: an L12_in_ row (a write past
      # buf[maxlen] seen in another clause's test) gives way to one
      if (!(c in first_bad)) { first_bad[c] = line }
      else if (first_bad[c] ~ /^L12_in_/ && t !~ /^L12_in_/) {
        split(first_bad[c], g, "\t"); add_other(c, g[1]); first_bad[c] = line
      } else add_other(c, t)
    } else if (f[2] == "NOTJUDGED") {
      nj[c]++
      if (!(c in first_nj)) first_nj[c] = line
    }
  }
  printf "== check-wrap: %s\n", name
  printf "%-6s %-11s %s\n", "clause", "verdict", "(tests, or why)"
}

{
  c = $1
  if (only != "" && !(c in n)) next
  rows[++total] = c
  why = ""                  # a PASS row has no reason (not the last row's)
  if (c in sig) {
    v = "FAIL"; why = sig[c]; rec = ""
  } else if (!(c in n)) {
    v = "NOT JUDGED"; why = "no test ran for this clause"; rec = ""
  } else if (c in bad) {
    v = "FAIL"; rec = first_bad[c]
  } else if (c in nj) {
    v = "NOT JUDGED"; rec = first_nj[c]
  } else {
    v = "PASS"; rec = ""
  }
  if (rec != "") {
    split(rec, f, "\t"); why = f[1] ": " f[3]
  }
  verdict[c] = v; reason[c] = why; record[c] = rec
  if (v == "PASS") printf "%-6s %-11s (%d tests)\n", c, v, n[c]
  else printf "%-6s %-11s %s\n", c, v, cut(why, 110)
  if (v == "FAIL") fails++
  if (v == "NOT JUDGED") nots++
  if (verdicts != "")
    printf "%s\t%s\t%s\t%s\n", c, v == "NOT JUDGED" ? "NOTJUDGED" : v, kind(v, c, why), why > verdicts
}

END {
  for (i = 1; i <= total; i++) {
    c = rows[i]
    if (verdict[c] == "PASS") continue
    printf "\n-- %s %s: %s\n", c, verdict[c], mean[c]
    if (record[c] == "") {
      printf "   why       %s\n", reason[c]
      if (c in sig && c in n)
        printf "   (its tests stop where they call that function: NOT JUDGED)\n"
      continue
    }
    split(record[c], f, "\t")
    ran = n[c]; nb = (c in bad) ? bad[c] : 0
    printf "   test      %s", f[1]
    if (verdict[c] == "FAIL" && ran > 1)
      printf " (%d of %d tests failed%s)", nb, ran, others[c] != "" ? "; also:" others_of(c) : ""
    printf "\n   why       %s\n", f[3]
    printf "   fed       %s\n", f[4] != "" ? f[4] : "(nothing noted)"
    if (f[5] != "") printf "   expected  %s\n", f[5]
    if (f[6] != "") printf "   got       %s\n", f[6]
    printf "   stderr    %s\n", f[7] != "" ? f[7] : "(nothing)"
    printf "   rerun     %s WRAP_ONLY=%s\n", rerun, f[1]
  }
  if (only != "" && total == 0) {
    printf "check-wrap: WRAP_ONLY=%s selects no test (give test names, clause ids like L2, or prefixes like L2_)\n", only > "/dev/stderr"
    exit 2
  }
  printf "total: %d clauses, %d PASS, %d FAIL, %d NOT JUDGED (%d s)\n",
         total, total - fails - nots, fails, nots, secs
  if (report != "") {
    # the one JUnit/TAP writer of both judges (tests/support/report.h)
    if (report !~ /^(junit|tap):./ || reporttool == "") {
      printf "check-wrap: REPORT=%s: want junit:FILE or tap:FILE%s\n", report,
             reporttool == "" ? " (and REPORT_TOOL, tests/support/report_tool)" : "" > "/dev/stderr"
      exit 2
    }
    cmd = sh(reporttool) " " sh(report) " " sh("check-wrap " name) " " secs
    for (i = 1; i <= total; i++) {
      c = rows[i]
      v = verdict[c] == "NOT JUDGED" ? "NOTJUDGED" : verdict[c]
      printf("ROW\t%s\t%s\t%s\n", c " " mean[c], v, v == "PASS" ? "" : reason[c]) | cmd
      if (v == "PASS" || record[c] == "") continue
      split(record[c], f, "\t")
      printf("TXT\tfed: %s\nTXT\texpected: %s\nTXT\tgot: %s\nTXT\tstderr: %s\nTXT\trerun: %s WRAP_ONLY=%s\n",
             f[4], f[5], f[6], f[7], rerun, f[1]) | cmd
    }
    if (close(cmd) != 0) exit 2
  }
  exit (fails || nots) ? 1 : 0
}
