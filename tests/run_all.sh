#!/usr/bin/env bash
# run_all.sh -- run every test suite in tests/suites/ in name order and add up the counts.
# Each suite is an executable script that prints its own lines and ends with
# "N passed, N failed". A suite that exits non-zero without a count counts as one failure.
# Each suite has a time limit (TENANCY_SUITE_TIMEOUT seconds, default 600): a hung suite
# is stopped and counted as a failure instead of eating the whole CI budget.
set -u
cd "$(dirname "$0")/.."
total_pass=0; total_fail=0
for suite in tests/suites/*.sh; do
  [ -x "$suite" ] || continue
  [ -n "${TENANCY_SUITES:-}" ] && ! grep -qw "$(basename "$suite" .sh)" <<<"$TENANCY_SUITES" && continue
  echo "=== $(basename "$suite")"
  out=$(mktemp)
  timeout --kill-after=15 "${TENANCY_SUITE_TIMEOUT:-600}" "$suite" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 124 ] && echo "suite $suite stopped after ${TENANCY_SUITE_TIMEOUT:-600} s"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  rm -f "$out"
  if [ -n "$line" ]; then
    p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then total_fail=$((total_fail + 1)); echo "suite $suite exited $rc"; fi
  else
    echo "suite $suite printed no count (exit $rc)"; total_fail=$((total_fail + 1))
  fi
done
echo "${total_pass} passed, ${total_fail} failed"
[ "$total_fail" -eq 0 ]
