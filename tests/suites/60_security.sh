#!/usr/bin/env bash
# 60_security.sh -- issue 7 on SQLite (finding 12): registry files that are not
# tenants (tests/security/sqlite_files.sh).  The PostgreSQL attacks (findings
# 1-11, the capability sweep and the capabilities end to end) are the TAP test
# pg_ext/t/004_security.pl, run by 50_pg_tap.sh (two PostgreSQL::Test::Cluster
# nodes and the hostile fake servers of tests/security/fake_pg.py).
# Ends with "N passed, N failed"; exits 1 on any failure.
#
# Must not: count setup as a check.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/tests/out/security
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local name=$1 got=$2 want=$3; if [ "$got" = "$want" ]; then ok "$name"; else bad "$name"; echo "     got:  $got"; echo "     want: $want"; fi; }
# the text must not appear in the given output
absent() { local name=$1 needle=$2 hay=$3; if grep -qF -- "$needle" <<<"$hay"; then bad "$name"; echo "     found: $needle"; else ok "$name"; fi; }
finish() { echo "${pass} passed, ${fail} failed"; [ "$fail" -eq 0 ]; exit $?; }

# ==== SQLite (finding 12) ====
if make -s sqlite >"$OUT/sqlite_build.log" 2>&1; then
	EXT=$OUT/tenancy.so; cp sqlite_ext/tenancy.so "$EXT"
	. tests/security/sqlite_files.sh
else
	cat "$OUT/sqlite_build.log"; bad "build sqlite_ext/tenancy.so"
fi

finish
