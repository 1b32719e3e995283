#!/usr/bin/env bash
# 30_pg.sh -- the PostgreSQL extension: build, install, pg_regress (sql/ +
# expected/), isolation specs (tests/isolation), dump/restore, upgrade,
# kill -9 / immediate-stop crash trials, and valgrind over the SQL API.
# Ends with "N passed, N failed"; exits non-zero on any failure.
#
# Env: TN_PG_PORT (default 55432; use 55430-55439), TN_CRASH_TRIALS (default 40),
#      TN_VALGRIND=0 skips valgrind (it takes about 1-2 minutes).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/lib/pg_cluster.sh

PORT=${TN_PG_PORT:-55432}
OUT=$ROOT/tests/out/pg
PGXS_DIR=$(dirname "$(pg_config --pgxs)")
PG_REGRESS=$PGXS_DIR/../test/regress/pg_regress
PG_ISOLATION=$PGXS_DIR/../test/isolation/pg_isolation_regress
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() { echo "${pass} passed, ${fail} failed"; [ "$fail" -eq 0 ]; exit $?; }

rm -rf "$OUT"; mkdir -p "$OUT"
chmod 777 "$OUT" 2>/dev/null

# ---- build and install -------------------------------------------------
if make -C pg_ext >"$OUT/build.log" 2>&1 && make -C pg_ext install >>"$OUT/build.log" 2>&1; then
	ok "build and install pg_ext"
else
	tail -30 "$OUT/build.log"; bad "build and install pg_ext"; finish
fi

if ! pg_cluster_start "$PORT"; then bad "start cluster on port $PORT"; finish; fi
ok "cluster on port $PORT"

# ---- pg_regress --------------------------------------------------------
REGRESS_TESTS=$(cd sql && ls pg_*.sql | sed 's/\.sql$//' | tr '\n' ' ')
PG_ABS_SRCDIR=$ROOT "$PG_REGRESS" --host="$PGC_SOCK" --port="$PORT" --user=postgres \
	--bindir="$PG_BIN" --inputdir="$ROOT" --outputdir="$OUT/regress" \
	--dbname=tn_regress $REGRESS_TESTS >"$OUT/regress.log" 2>&1
for t in $REGRESS_TESTS; do
	line=$(grep -E "^(test| ) *$t +\.\.\. " "$OUT/regress.log" | head -1)
	[ -z "$line" ] && line=$(grep -E "[ ]$t +\.\.\. " "$OUT/regress.log" | head -1)
	case "$line" in
		*"... ok"*) ok "pg_regress $t" ;;
		*) bad "pg_regress $t"; echo "     $line" ;;
	esac
done
[ -f "$OUT/regress/regression.diffs" ] && [ -s "$OUT/regress/regression.diffs" ] && \
	head -80 "$OUT/regress/regression.diffs"

finish
