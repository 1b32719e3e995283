#!/usr/bin/env bash
# 05_demo.sh -- the README's first command, `make demo`, must run to its end:
# demo/demo.sh (registry, three tenants, a failing tenant, fix-forward, rollback,
# revert across the fleet) within a time limit, ending with its last line and
# the steps' expected outcomes.  A hang (the fan-out once deadlocked on the
# command's connection) or an error fails it.  Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
mkdir -p tests/out
. tests/lib/suite_count.sh

make -s sqlite cli >tests/out/demo_build.log 2>&1 || { cat tests/out/demo_build.log; bad "build"; finish; }
timeout -k 5 300 demo/demo.sh >tests/out/demo.log 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok "demo/demo.sh exits 0"; else bad "demo/demo.sh exits $rc (124: timed out)"; fi
check_grep "the migration fails in one tenant only" "initech  failed" tests/out/demo.log
check_grep "the fix-forward rerun through the command applies the new body in the failed tenant" "^ initech | applied    | 3            | 4" tests/out/demo.log
check_grep "the demo reaches its end" "^demo finished" tests/out/demo.log
finish
