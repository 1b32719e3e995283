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
. tests/lib/suite_count.sh

# ==== SQLite (finding 12) ====
if make -s sqlite >"$OUT/sqlite_build.log" 2>&1; then
	EXT=$OUT/tenancy.so; cp sqlite_ext/tenancy.so "$EXT"
	. tests/security/sqlite_files.sh
else
	cat "$OUT/sqlite_build.log"; bad "build sqlite_ext/tenancy.so"
fi

finish
