#!/usr/bin/env bash
# 30_pg.sh -- the PostgreSQL extension: build, install, pg_regress (sql/ +
# expected/), isolation specs (tests/isolation), dump/restore, upgrade,
# kill -9 / immediate-stop crash trials, and valgrind over the SQL API.
# Ends with "N passed, N failed"; exits non-zero on any failure.
#
# Env: TN_PG_PORT (default 55432; use 55430-55439), TN_CRASH_TRIALS (default 40),
#      TN_CRASH_ROLLBACK_TRIALS (default 10), TN_CANCEL_TRIALS (default 6),
#      TN_VALGRIND=0 skips valgrind (it takes about 1-2 minutes).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/lib/pg_cluster.sh

PORT=${TN_PG_PORT:-55432}
OUT=$ROOT/tests/out/pg-$PORT	# per port: concurrent runs do not clobber each other
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() { echo "${pass} passed, ${fail} failed"; [ "$fail" -eq 0 ]; exit $?; }

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

# ---- crash trials: kill -9 of the backend / immediate stop mid-migrate ---
# Invariant after recovery: a version's tracking row exists iff its table
# exists (with all its rows); a rerun then completes everything.
CRASH_N=${TN_CRASH_TRIALS:-40}
CRASH_MIGRATIONS=20
wait_ready() {
	local i
	for i in $(seq 1 300); do
		pg_psql -At -c "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
crash_setup() {
	pg_psql -c "DROP DATABASE IF EXISTS tn_crash" -c "CREATE DATABASE tn_crash" >/dev/null 2>&1 || return 1
	{
		echo "CREATE EXTENSION tenancy;"
		for i in $(seq 1 $CRASH_MIGRATIONS); do
			echo "SELECT tenant_migration_add('$i', 'table $i', \$\$CREATE TABLE app.t_$i (id int PRIMARY KEY, pad text); INSERT INTO app.t_$i SELECT g, repeat('x', 200) FROM generate_series(1, 4000) g; CREATE INDEX ON app.t_$i (pad);\$\$, 'DROP TABLE app.t_$i; SELECT pg_sleep(0.02);');"
		done
	} | pg_psql -d tn_crash >/dev/null
}
crash_reset() {
	pg_psql -d tn_crash -c "BEGIN; DROP SCHEMA IF EXISTS app CASCADE; CREATE SCHEMA app;
		DELETE FROM tenancy.applied; DELETE FROM tenancy.checkpoints; DELETE FROM tenancy.history; COMMIT;" >/dev/null 2>&1
}
crash_check() {
	# prints "<applied rows> <problems>"
	pg_psql -At -d tn_crash -c "
		WITH v AS (SELECT version FROM tenancy.catalog),
		     t AS (SELECT v.version,
		                  EXISTS (SELECT 1 FROM tenancy.applied a WHERE a.version = v.version) AS tracked,
		                  to_regclass('app.t_' || v.version) IS NOT NULL AS present
		             FROM v)
		SELECT (SELECT count(*) FROM tenancy.applied) || ' ' ||
		       (SELECT count(*) FROM t WHERE tracked <> present)"
}
crash_rows_ok() {
	# every table that exists holds all its rows (one query for all tables)
	local n
	n=$(pg_psql -At -d tn_crash -c "
		SELECT count(*) FROM pg_class c
		 WHERE c.relnamespace = 'app'::regnamespace AND c.relkind = 'r'
		   AND (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM app.%I', c.relname),
		              false, true, '')))[1]::text::int <> 4000" 2>/dev/null)
	[ "$n" = "0" ]
}
# crash_trial N KIND: KIND "migrate" starts empty and kills tenant_migrate();
# KIND "rollback" starts fully migrated and kills tenant_rollback().
crash_trial() {
	local trial=$1 kind=$2 sql dur pidfile client pid delay how state applied problems finished
	local rows_before rerun after
	crash_reset
	if [ "$kind" = rollback ]; then
		pg_psql -At -d tn_crash -c "SELECT tenant_migrate()" >/dev/null 2>&1
		sql="SELECT tenant_rollback()"; dur=$rb_ms
	else
		sql="SELECT tenant_migrate()"; dur=$dur_ms
	fi
	pidfile=$OUT/crash_pid.txt; rm -f "$pidfile"
	pg_psql -At -d tn_crash -c "SELECT pg_backend_pid()" -c "$sql" >"$pidfile" 2>/dev/null &
	client=$!
	for i in $(seq 1 200); do [ -s "$pidfile" ] && break; sleep 0.01; done
	pid=$(head -1 "$pidfile")
	delay=$(( RANDOM % (dur * 11 / 10 + 1) ))
	sleep "$(awk -v ms="$delay" 'BEGIN { printf "%.3f", ms / 1000 }')"
	if [ $((trial % 5)) -eq 0 ]; then
		how="pg_ctl stop -m immediate"
		pg_as_pg "$PG_BIN/pg_ctl" -D "$PGC_DATA" -m immediate -w stop >/dev/null 2>&1
		pg_as_pg "$PG_BIN/pg_ctl" -D "$PGC_DATA" -l "$PGC_DIR/server.log" -w -t 120 start >/dev/null 2>&1
	else
		how="kill -9 backend $pid"
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	fi
	wait "$client" 2>/dev/null
	if ! wait_ready; then bad "crash trial $kind $trial ($how): server did not come back"; return; fi
	state=$(crash_check)
	applied=${state% *}; problems=${state#* }
	finished=$(sed -n 2p "$pidfile")
	if [ -n "$finished" ]; then done_before=$((done_before + 1));
	elif [ "$applied" = "$( [ "$kind" = rollback ] && echo "$CRASH_MIGRATIONS" || echo 0)" ]; then mid=$((mid + 1));
	else nokill=$((nokill + 1)); fi
	rows_before=bad; crash_rows_ok && rows_before=ok
	rerun=$(pg_psql -At -d tn_crash -c "SELECT tenant_migrate()" 2>&1)
	after=$(crash_check)
	if [ "$problems" = "0" ] && { [ "$applied" = "0" ] || [ "$applied" = "$CRASH_MIGRATIONS" ]; } &&
		[ "$rerun" = "$((CRASH_MIGRATIONS - applied))" ] && [ "$after" = "$CRASH_MIGRATIONS 0" ] &&
		[ "$rows_before" = ok ] && crash_rows_ok; then
		ok "crash trial $kind $trial ($how after ${delay} ms): applied $applied, rerun applied $rerun"
	else
		bad "crash trial $kind $trial ($how after ${delay} ms): state '$state', rows $rows_before, rerun '$rerun', after '$after'"
	fi
}
if crash_setup && crash_reset; then
	t0=$(date +%s%N)
	pg_psql -At -d tn_crash -c "SELECT tenant_migrate()" >/dev/null
	dur_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	t0=$(date +%s%N)
	pg_psql -At -d tn_crash -c "SELECT tenant_rollback()" >/dev/null
	rb_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "     one full migrate of $CRASH_MIGRATIONS versions takes ${dur_ms} ms, its rollback ${rb_ms} ms"
	[ "$dur_ms" -lt 50 ] && dur_ms=50
	[ "$rb_ms" -lt 20 ] && rb_ms=20
	mid=0; done_before=0; nokill=0
	for trial in $(seq 1 "$CRASH_N"); do crash_trial "$trial" migrate; done
	echo "     migrate crash trials: $mid killed mid-run, $done_before after it returned, $nokill committed but unseen by the client"
	mid=0; done_before=0; nokill=0
	for trial in $(seq 1 "${TN_CRASH_ROLLBACK_TRIALS:-10}"); do crash_trial "$trial" rollback; done
	echo "     rollback crash trials: $mid killed mid-run, $done_before after it returned, $nokill committed but unseen by the client"
	# cancel / terminate while tenant_migrate() runs: 57014 (or FATAL 57P01),
	# nothing applied, same invariant, rerun completes
	for trial in $(seq 1 "${TN_CANCEL_TRIALS:-6}"); do
		crash_reset
		pidfile=$OUT/cancel_pid.txt; rm -f "$pidfile"
		pg_psql -At -d tn_crash -v VERBOSITY=sqlstate -c "SELECT pg_backend_pid()" -c "SELECT tenant_migrate()" \
			>"$pidfile" 2>"$OUT/cancel_err.txt" &
		client=$!
		for i in $(seq 1 200); do [ -s "$pidfile" ] && break; sleep 0.01; done
		pid=$(head -1 "$pidfile")
		delay=$(( 20 + RANDOM % (dur_ms / 2 + 1) ))
		sleep "$(awk -v ms="$delay" 'BEGIN { printf "%.3f", ms / 1000 }')"
		if [ $((trial % 2)) -eq 0 ]; then how=pg_terminate_backend; else how=pg_cancel_backend; fi
		pg_psql -At -c "SELECT $how($pid)" >/dev/null 2>&1
		wait "$client" 2>/dev/null
		errtxt=$(tr '\n' ' ' <"$OUT/cancel_err.txt")
		state=$(crash_check)
		rerun=$(pg_psql -At -d tn_crash -c "SELECT tenant_migrate()" 2>&1)
		after=$(crash_check)
		if [ -n "$(sed -n 2p "$pidfile")" ]; then
			verdict="finished first"
		else
			verdict="stopped: $errtxt"
		fi
		if [ "${state#* }" = "0" ] && { [ "${state% *}" = 0 ] || [ -n "$(sed -n 2p "$pidfile")" ]; } &&
			[ "$after" = "$CRASH_MIGRATIONS 0" ] && crash_rows_ok; then
			ok "cancel trial $trial ($how after ${delay} ms): $verdict"
		else
			bad "cancel trial $trial ($how after ${delay} ms): $verdict; state '$state', rerun '$rerun', after '$after'"
		fi
	done
else
	bad "crash test setup"
fi

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
