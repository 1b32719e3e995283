#!/usr/bin/env bash
# 32_pg_crash.sh -- kill -9 / immediate-stop crash trials of the PostgreSQL
# extension (moved out of 30_pg.sh), where every counted trial *knows* it hit:
# the suite polls pg_locks until the migrating backend holds the migration's
# advisory lock (it is inside tenant_migrate()/tenant_rollback()), kills it a
# random time into the run, and then classifies the kill by what recovery shows:
#   hit  -- the client got no result and the transaction did not commit (the
#           state is the one from before the call): the kill landed inside it;
#   miss -- the call returned (the client printed its result) or committed
#           before the kill: not counted as a pass, reported apart.
# Invariant after every kill (hit or miss): a version's tracking row exists iff
# its table exists with all its rows; a rerun then completes everything.
# Also cancel/terminate trials while tenant_migrate() runs (counted only when
# the backend was stopped inside the call).
# Ends with "N passed, N failed"; exits non-zero on any failure or too few hits.
#
# Env: TN_PG_CRASH_PORT (default 55436), TN_CRASH_HITS (migrate, default 40),
#      TN_CRASH_ROLLBACK_HITS (default 10), TN_CANCEL_TRIALS (default 6).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/lib/pg_cluster.sh

PORT=${TN_PG_CRASH_PORT:-55436}
OUT=$ROOT/tests/out/pg-crash-$PORT
. tests/lib/suite_count.sh

rm -rf "$OUT"; mkdir -p "$OUT"; chmod 777 "$OUT" 2>/dev/null
# building and starting are not checks: a failure is one, a success is not counted
if ! { make -C pg_ext >"$OUT/build.log" 2>&1 && make -C pg_ext install >>"$OUT/build.log" 2>&1; }; then
	tail -30 "$OUT/build.log"; bad "build and install pg_ext"; finish
fi
if ! pg_cluster_start "$PORT"; then bad "start cluster on port $PORT"; finish; fi

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
# inside PID: the backend holds an advisory lock (tenancy's migration lock)
holds_lock() {
	[ "$(pg_psql -At -d tn_crash -c "SELECT count(*) FROM pg_locks WHERE pid = $1 AND locktype = 'advisory' AND granted" 2>/dev/null)" = 1 ]
}
# start SQL in the background; sets $client and $pid (the backend); waits until
# the backend holds the migration lock; returns 1 if it never did
start_inside() {
	local sql=$1 pidfile=$2 i
	rm -f "$pidfile"
	pg_psql -At -d tn_crash -v VERBOSITY=sqlstate -c "SELECT pg_backend_pid()" -c "$sql" >"$pidfile" 2>"$OUT/client_err.txt" &
	client=$!
	for i in $(seq 1 500); do [ -s "$pidfile" ] && break; sleep 0.01; done
	pid=$(head -1 "$pidfile")
	[ -n "$pid" ] || return 1
	for i in $(seq 1 500); do
		holds_lock "$pid" && return 0
		[ -n "$(sed -n 2p "$pidfile")" ] && return 1	# already returned
		sleep 0.005
	done
	return 1
}
# crash_trial N KIND: KIND "migrate" starts empty and kills tenant_migrate();
# KIND "rollback" starts fully migrated and kills tenant_rollback().
crash_trial() {
	local trial=$1 kind=$2 sql dur delay how state applied problems result before rows_before rerun after
	crash_reset
	if [ "$kind" = rollback ]; then
		pg_psql -At -d tn_crash -c "SELECT tenant_migrate()" >/dev/null 2>&1
		sql="SELECT tenant_rollback()"; dur=$rb_ms; before=$CRASH_MIGRATIONS
	else
		sql="SELECT tenant_migrate()"; dur=$dur_ms; before=0
	fi
	if ! start_inside "$sql" "$OUT/crash_pid.txt"; then
		wait "$client" 2>/dev/null
		misses=$((misses + 1)); echo "     $kind trial $trial: never saw the backend inside the call (miss)"
		return
	fi
	delay=$(( RANDOM % (dur * 8 / 10 + 1) ))
	sleep "$(awk -v ms="$delay" 'BEGIN { printf "%.3f", ms / 1000 }')"
	if [ $((trial % 5)) -eq 0 ]; then
		how="pg_ctl stop -m immediate"
		pg_as_pg "$PG_BIN/pg_ctl" -D "$PGC_DATA" -m immediate -w stop >/dev/null 2>&1
		pg_as_pg "$PG_BIN/pg_ctl" -D "$PGC_DATA" -l "$PGC_DIR/server.log" -w -t 120 start >/dev/null 2>&1
	else
		how="kill -9 backend $pid"
		kill -9 "$pid" 2>/dev/null
	fi
	wait "$client" 2>/dev/null
	if ! wait_ready; then bad "crash trial $kind $trial ($how): server did not come back"; return; fi
	state=$(crash_check)
	applied=${state% *}; problems=${state#* }
	result=$(sed -n 2p "$OUT/crash_pid.txt")
	rows_before=bad; crash_rows_ok && rows_before=ok
	rerun=$(pg_psql -At -d tn_crash -c "SELECT tenant_migrate()" 2>&1)
	after=$(crash_check)
	if [ "$problems" = "0" ] && { [ "$applied" = "0" ] || [ "$applied" = "$CRASH_MIGRATIONS" ]; } &&
		[ "$rerun" = "$((CRASH_MIGRATIONS - applied))" ] && [ "$after" = "$CRASH_MIGRATIONS 0" ] &&
		[ "$rows_before" = ok ] && crash_rows_ok; then
		if [ -z "$result" ] && [ "$applied" = "$before" ]; then
			hits=$((hits + 1))
			ok "crash trial $kind $trial ($how ${delay} ms after the lock was held): nothing of the call committed, rerun applied $rerun"
		else
			misses=$((misses + 1))
			echo "     $kind trial $trial ($how after ${delay} ms): miss (result '${result}', applied $applied); invariant held"
		fi
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
	for kind in migrate rollback; do
		if [ "$kind" = migrate ]; then want=${TN_CRASH_HITS:-40}; else want=${TN_CRASH_ROLLBACK_HITS:-10}; fi
		hits=0; misses=0; trial=0
		while [ "$hits" -lt "$want" ] && [ "$trial" -lt $((want * 2)) ]; do
			trial=$((trial + 1)); crash_trial "$trial" "$kind"
		done
		echo "     $kind crash trials: $hits hits, $misses misses (not counted), $trial trials"
		[ "$hits" -ge "$want" ] || bad "$kind crash trials: only $hits hits of $want asked for"
	done
	# cancel / terminate while tenant_migrate() runs: 57014 (or FATAL 57P01),
	# nothing applied, same invariant, rerun completes
	for trial in $(seq 1 "${TN_CANCEL_TRIALS:-6}"); do
		crash_reset
		if ! start_inside "SELECT tenant_migrate()" "$OUT/cancel_pid.txt"; then
			wait "$client" 2>/dev/null; echo "     cancel trial $trial: never saw the backend inside the call (miss)"; continue
		fi
		delay=$(( RANDOM % (dur_ms / 2 + 1) ))
		sleep "$(awk -v ms="$delay" 'BEGIN { printf "%.3f", ms / 1000 }')"
		if [ $((trial % 2)) -eq 0 ]; then how=pg_terminate_backend; else how=pg_cancel_backend; fi
		pg_psql -At -c "SELECT $how($pid)" >/dev/null 2>&1
		wait "$client" 2>/dev/null
		errtxt=$(tr '\n' ' ' <"$OUT/client_err.txt")
		state=$(crash_check)
		rerun=$(pg_psql -At -d tn_crash -c "SELECT tenant_migrate()" 2>&1)
		after=$(crash_check)
		if [ -n "$(sed -n 2p "$OUT/cancel_pid.txt")" ]; then
			echo "     cancel trial $trial ($how after ${delay} ms): finished first (miss)"
			[ "$after" = "$CRASH_MIGRATIONS 0" ] || bad "cancel trial $trial: after '$after'"
		elif [ "$state" = "0 0" ] && [ "$after" = "$CRASH_MIGRATIONS 0" ] && crash_rows_ok &&
			grep -Eq '57014|57P01|terminat|cancel' <<<"$errtxt"; then
			ok "cancel trial $trial ($how after ${delay} ms): stopped: $errtxt"
		else
			bad "cancel trial $trial ($how after ${delay} ms): '$errtxt'; state '$state', rerun '$rerun', after '$after'"
		fi
	done
else
	bad "crash test setup"
fi
finish
