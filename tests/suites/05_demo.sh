#!/usr/bin/env bash
# 05_demo.sh -- the README's first command, `make demo`, must run to its end:
# demo/demo.sh (registry, three tenants, a failing tenant, fix-forward, rollback,
# revert across the fleet) within a time limit, ending with its last line and
# the steps' expected outcomes.  A hang (the fan-out once deadlocked on the
# command's connection) or an error fails it.  Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
mkdir -p tests/out
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { if grep -q -- "$2" tests/out/demo.log; then ok "$1"; else bad "$1 (see tests/out/demo.log)"; fi; }

make -s sqlite cli >tests/out/demo_build.log 2>&1 || { cat tests/out/demo_build.log; bad "build"; echo "${pass} passed, ${fail} failed"; exit 1; }
timeout -k 5 300 demo/demo.sh >tests/out/demo.log 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok "demo/demo.sh exits 0"; else bad "demo/demo.sh exits $rc (124: timed out)"; fi
check "the migration fails in one tenant only" "initech  failed"
check "the fix-forward rerun through the command applies the new body in the failed tenant" "^ initech | applied    | 3            | 4"
check "the demo reaches its end" "^demo finished"
echo "${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ]
