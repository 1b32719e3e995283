#!/usr/bin/env bash
# 30_pg.sh -- the PostgreSQL extension: build, install, pg_regress (sql/ +
# expected/), isolation specs (tests/isolation), dump/restore, upgrade,
# and valgrind over the SQL API (the crash trials are in 32_pg_crash.sh).
# Ends with "N passed, N failed"; exits non-zero on any failure.
#
# Env: TN_PG_PORT (default 55432; use 55430-55439),
#      TN_VALGRIND=0 skips valgrind (it takes about 1-2 minutes).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/lib/pg_cluster.sh

PORT=${TN_PG_PORT:-55432}
OUT=$ROOT/tests/out/pg-$PORT	# per port: concurrent runs do not clobber each other
. tests/lib/suite_count.sh

rm -rf "$OUT"; mkdir -p "$OUT"
chmod 777 "$OUT" 2>/dev/null

# ---- build and install (set-up: not counted) ----------------------------
if ! { make -C pg_ext && make -C pg_ext install; } >"$OUT/build.log" 2>&1; then
	tail -30 "$OUT/build.log"; bad "build and install pg_ext (set-up)"; finish
fi

if ! pg_cluster_start "$PORT"; then bad "start cluster on port $PORT (set-up)"; finish; fi
echo "     cluster on port $PORT"

# ---- pg_regress and isolation specs: make -C pg_ext installcheck ----------
# The PGXS way (REGRESS = sql/pg_*.sql, ISOLATION = tests/isolation/specs/*.spec,
# see pg_ext/Makefile) against this cluster (pg_cluster_start exports PGHOST,
# PGPORT, PGUSER).  Each test counts once.  make -i: a failed regress test must
# not keep the isolation specs from running.
rm -rf pg_ext/results pg_ext/output_iso pg_ext/regression.diffs pg_ext/regression.out
make -i -C pg_ext installcheck >"$OUT/installcheck.log" 2>&1
REGRESS_TESTS=$(cd sql && ls pg_*.sql | sed 's/\.sql$//' | tr '\n' ' ')
ISO_TESTS=$(cd tests/isolation/specs && ls *.spec | sed 's/\.spec$//' | tr '\n' ' ')
for t in $REGRESS_TESTS $ISO_TESTS; do
	case " $REGRESS_TESTS " in *" $t "*) kind="pg_regress" ;; *) kind="isolation" ;; esac
	line=$(grep -E "^(test| ) *$t +\.\.\. " "$OUT/installcheck.log" | head -1)
	[ -z "$line" ] && line=$(grep -E "[ ]$t +\.\.\. " "$OUT/installcheck.log" | head -1)
	case "$line" in
		*"... ok"*) ok "$kind $t" ;;
		*) bad "$kind $t"; echo "     ${line:-(not run; see $OUT/installcheck.log)}" ;;
	esac
done
for d in pg_ext/regression.diffs pg_ext/output_iso/regression.diffs; do
	[ -s "$d" ] && { cp "$d" "$OUT/$(basename "$(dirname "$d")")_$(basename "$d")"; head -80 "$d"; }
done

# ---- pg_dump / pg_restore keeps the tracking rows -----------------------
dump_restore() {
	local q="SELECT version, name, state, checksum, applied_at, batch FROM tenant_status()"
	local h="SELECT id, at, action, version, batch, detail FROM tenant_history() ORDER BY id"
	local c="SELECT * FROM tenant_checkpoints() ORDER BY name"
	pg_psql -c "DROP DATABASE IF EXISTS tn_dump_src" -c "DROP DATABASE IF EXISTS tn_dump_dst" \
		-c "CREATE DATABASE tn_dump_src" -c "CREATE DATABASE tn_dump_dst" >/dev/null 2>&1 || return 1
	pg_psql -d tn_dump_src >/dev/null <<'SQL' || return 1
CREATE EXTENSION tenancy;
SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id int PRIMARY KEY);', 'DROP TABLE users;');
SELECT tenant_migration_add('2', 'seed', 'INSERT INTO users SELECT generate_series(1, 10);', 'DELETE FROM users;');
SELECT tenant_migrate();
SELECT tenant_checkpoint('after_two');
SELECT tenant_migration_add('3', 'pending one', 'ALTER TABLE users ADD COLUMN name text;', 'ALTER TABLE users DROP COLUMN name;');
SQL
	"$PG_BIN/pg_dump" -h "$PGC_SOCK" -p "$PORT" -U postgres -Fc -f "$OUT/dump.fc" tn_dump_src || return 1
	"$PG_BIN/pg_restore" -h "$PGC_SOCK" -p "$PORT" -U postgres -d tn_dump_dst --exit-on-error "$OUT/dump.fc" || return 1
	for sql in "$q" "$h" "$c"; do
		pg_psql -At -d tn_dump_src -c "$sql" >"$OUT/dump_src.txt" || return 1
		pg_psql -At -d tn_dump_dst -c "$sql" >"$OUT/dump_dst.txt" || return 1
		diff "$OUT/dump_src.txt" "$OUT/dump_dst.txt" || return 1
		[ -s "$OUT/dump_src.txt" ] || return 1
	done
	# the restored database goes on: history ids continue, 3 applies, rollback works
	local r
	r=$(pg_psql -At -d tn_dump_dst -c "SELECT tenant_migrate()" \
		-c "SELECT tenant_rollback('after_two')" \
		-c "SELECT count(*) FROM users" \
		-c "SELECT count(*) = count(DISTINCT id) FROM tenancy.history" | tr '\n' ' ')
	[ "$r" = "1 1 10 t " ] || { echo "     restored db: $r"; return 1; }
}
if dump_restore >"$OUT/dump.log" 2>&1; then ok "pg_dump/pg_restore keeps tracking rows"; else cat "$OUT/dump.log"; bad "pg_dump/pg_restore keeps tracking rows"; fi

# ---- crash trials: in tests/suites/32_pg_crash.sh (each kill known to land inside the call) ----

# ---- valgrind over the SQL API in single-user mode ----------------------
# Counts valgrind errors whose stack passes through tenancy.so (our glue or
# the core); errors elsewhere in postgres (e.g. the known pwrite64 ones) are
# listed in the log but not counted.
if [ "${TN_VALGRIND:-1}" != "0" ] && command -v valgrind >/dev/null; then
	if pg_psql -c "DROP DATABASE IF EXISTS tn_valgrind" -c "CREATE DATABASE tn_valgrind" >/dev/null 2>&1 &&
		pg_psql -d tn_valgrind -c "CREATE EXTENSION tenancy" >/dev/null 2>&1 &&
		pg_as_pg "$PG_BIN/pg_ctl" -D "$PGC_DATA" -m fast -w stop >/dev/null 2>&1; then
		vlog=$PGC_DIR/valgrind.log
		t0=$(date +%s)
		# -j: a statement ends at ";" followed by an empty line
		pg_as_pg valgrind --quiet --trace-children=no --num-callers=30 --leak-check=full --show-leak-kinds=definite --log-file="$vlog" \
			"$PG_BIN/postgres" --single -D "$PGC_DATA" -j -c search_path=public \
			tn_valgrind <tests/tap/valgrind_api.sql >"$OUT/valgrind_single.out" 2>&1
		vrc=$?
		cp "$vlog" "$OUT/valgrind.log" 2>/dev/null
		ours=$(awk '
			/^==[0-9]+== [A-Z0-9]/ && !/^==[0-9]+== +(at|by) / { if (blk != "" && blk ~ /tenancy\.so|spi_adapter\.c|tenancy_pg\.c|tn_raise\.c|\/shared\/tn_/) n++; blk = "" }
			{ blk = blk "\n" $0 }
			END { if (blk ~ /tenancy\.so|spi_adapter\.c|tenancy_pg\.c|tn_raise\.c|\/shared\/tn_/) n++; print n + 0 }' "$vlog")
		statements=$(grep -c "^SELECT\|^UPDATE" tests/tap/valgrind_api.sql)
		ran=$(grep -c "tenant_\|state" "$OUT/valgrind_single.out")
		echo "     valgrind: $statements statements in $(( $(date +%s) - t0 )) s, exit $vrc, $(grep -c '^==[0-9]*== [A-Z]' "$vlog") log lines, $ours errors in tenancy code"
		if [ "$vrc" -eq 0 ] && [ "$ours" -eq 0 ] && grep -q 'state = "applied"' "$OUT/valgrind_single.out"; then
			ok "valgrind postgres --single over the SQL API"
		else
			bad "valgrind postgres --single over the SQL API (see $OUT/valgrind.log)"
		fi
		pg_as_pg "$PG_BIN/pg_ctl" -D "$PGC_DATA" -l "$PGC_DIR/server.log" -w -t 60 start >/dev/null 2>&1
	else
		bad "valgrind setup"
	fi
else
	echo "     valgrind skipped (TN_VALGRIND=0 or no valgrind)"
fi

finish
