#!/usr/bin/env bash
# tests/mutants/run.sh -- deliberate bugs that the tests must catch.
#
# Each tests/mutants/*.mutant is one small bug, written as an exact search and
# replace on a snippet that must occur exactly once across the files its
# "files:" globs name (searched, not a line-numbered patch, so it survives code
# moving between files; a snippet found 0 or 2+ times fails the run loudly, the
# mutant then needs updating). For each mutant: a scratch copy of the tree
# (git ls-files, tracked and untracked-not-ignored), the replacement applied,
# the extension rebuilt, then only the suites named by "suites:" run with the
# mutant's "env:" (quick settings). The mutant is killed if they fail with a
# failing check named (a "FAIL" line); the run fails if any mutant survives,
# does not apply, does not build, or makes a suite fail without a failing check.
#
# Mutant file:
#   what: one line: the bug
#   files: shared/*.c sqlite_ext/*.c
#   suites: 20_sqlite
#   env: TN_SQLITE_ONLY=drop_journals
#   @@ search
#   <exact text, one or more lines>
#   @@ replace
#   <text>
#   @@ end
#
# Usage: tests/mutants/run.sh [NAME ...]   (default: every mutant)
# Suites that use PostgreSQL (3x, 5x) install the mutated extension into the
# shared tree, so they run under flock /tmp/tenancy_pg.lock, and the clean
# extension is installed again at the end.
# Ends with "N passed, N failed" (passed = killed).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
LOCK=${TENANCY_PG_LOCK:-/tmp/tenancy_pg.lock}
killed=0; bad=0; used_pg=0
t_start=$(date +%s)

mutants=()
if [ $# -gt 0 ]; then for n in "$@"; do mutants+=("$here/${n%.mutant}.mutant"); done
else mutants=("$here"/*.mutant); fi

field() { sed -n "s/^$1: *//p" "$2" | head -1; }

for m in "${mutants[@]}"; do
  name=$(basename "$m" .mutant)
  [ -f "$m" ] || { echo "FAIL $name: no such mutant"; bad=$((bad + 1)); continue; }
  what=$(field what "$m"); files=$(field files "$m"); suites=$(field suites "$m"); envs=$(field env "$m")
  t0=$(date +%s)
  scratch=$(mktemp -d /tmp/tenancy_mutant.XXXXXX)
  (cd "$top" && git ls-files -co --exclude-standard -z | tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$scratch"
  # apply: exactly one occurrence across the globbed files
  if ! applied=$(cd "$scratch" && python3 - "$m" $files <<'PY'
import sys, glob
spec = open(sys.argv[1]).read()
def section(tag, nxt):
    a = spec.index('@@ ' + tag + '\n') + len('@@ ' + tag + '\n')
    b = spec.index('@@ ' + nxt + '\n', a)
    return spec[a:b]
search = section('search', 'replace')
replace = section('replace', 'end')
# Blanks inside a line (spaces, tabs) match any run of blanks, so `make format`
# (alignment, tabs) does not break a mutant; line breaks and words must match.
import re
words = [re.escape(t) for t in re.split(r'[ \t]+', search.strip(' \t\n'))]
pattern = re.compile(r'[ \t]*' + r'[ \t]+'.join(words).replace('\\\n', '[ \t]*\n[ \t]*'))
paths = sorted({p for g in sys.argv[2:] for p in glob.glob(g)})
hits = [(p, len(pattern.findall(open(p).read()))) for p in paths]
total = sum(n for _, n in hits)
if total != 1:
    print("snippet found %d times in %s" % (total, " ".join(sys.argv[2:])))
    sys.exit(1)
p = [p for p, n in hits if n][0]
s = open(p).read()
open(p, 'w').write(pattern.sub(lambda m: replace.rstrip('\n'), s, count=1))
print(p)
PY
  ); then
    echo "FAIL $name: does not apply: $applied"; bad=$((bad + 1)); rm -rf "$scratch"; continue
  fi
  # it must build (a mutant that does not compile tests nothing)
  if ! (cd "$scratch" && make -s sqlite >"$scratch/mutant_build.log" 2>&1 &&
        cd shared && ${CC:-cc} -std=c99 -Wall -Wextra -fsyntax-only -I. *.c >>"$scratch/mutant_build.log" 2>&1); then
    echo "FAIL $name: does not build ($applied)"; tail -5 "$scratch/mutant_build.log"; bad=$((bad + 1)); rm -rf "$scratch"; continue
  fi
  runner=()
  if grep -Eq '(^| )(3|5)[0-9]_' <<<"$suites"; then runner=(flock "$LOCK"); used_pg=1; fi
  out=$scratch/mutant_run.log
  (cd "$scratch" && env $envs TENANCY_SUITES="$suites" TENANCY_SUITE_TIMEOUT=${MUTANT_SUITE_TIMEOUT:-300} \
     "${runner[@]}" tests/run_all.sh) >"$out" 2>&1
  rc=$?
  secs=$(( $(date +%s) - t0 ))
  first=$(grep -m1 -E '^(FAIL|not ok)' "$out" | cut -c1-110)
  if [ "$rc" -ne 0 ] && [ -z "$first" ]; then
    # the suites failed without a failing check (a build, an install, a cluster start): not a kill
    bad=$((bad + 1))
    echo "FAIL $name: the suites failed without naming a failing check ($suites, ${secs}s): see below"
    tail -15 "$out"
  elif [ "$rc" -ne 0 ]; then
    killed=$((killed + 1))
    echo "ok   $name killed by $suites in ${secs}s ($applied): $what -- $first"
  else
    bad=$((bad + 1))
    echo "FAIL $name SURVIVED $suites in ${secs}s ($applied): $what"
    tail -3 "$out"
  fi
  chmod -R u+rwx "$scratch" 2>/dev/null; rm -rf "$scratch"
done
if [ "$used_pg" = 1 ]; then
  flock "$LOCK" make -s -C "$top/pg_ext" install >/dev/null 2>&1 || echo "note: reinstalling the clean PostgreSQL extension failed"
fi
echo "mutants: ${#mutants[@]}, killed $killed, not killed or not applied $bad, $(( $(date +%s) - t_start )) s"
echo "${killed} passed, ${bad} failed"
[ "$bad" -eq 0 ]
