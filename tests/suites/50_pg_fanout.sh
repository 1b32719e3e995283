#!/usr/bin/env bash
# 50_pg_fanout.sh -- the PostgreSQL tenant registry and fan-out (tenancy 1.2)
# on two clusters (ports 55450/55451, override with TN_FO_PORT_A/B):
# create/register/drop (bad names, passwords, half-way failures), fan-out
# with one tenant failing, a no-transaction migration, a cluster stopped
# mid-run, cancel mid-run, kill -9 of the caller mid-run, two concurrent
# runs, dry run, query_all, non-superuser refused, passwords never visible.
# Ends with "N passed, N failed"; exits 1 on any failure.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/fanout/clusters.sh
OUT=$ROOT/tests/out/pg_fanout
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local name=$1 got=$2 want=$3; if [ "$got" = "$want" ]; then ok "$name"; else bad "$name"; echo "     got:  $got"; echo "     want: $want"; fi; }
finish() { echo "${pass} passed, ${fail} failed"; [ "$fail" -eq 0 ]; exit $?; }

if make -C pg_ext >"$OUT/build.log" 2>&1 && make -C pg_ext install >>"$OUT/build.log" 2>&1; then
	ok "build and install pg_ext"
else
	tail -30 "$OUT/build.log"; bad "build and install pg_ext"; finish
fi
fo_start A "${TN_FO_PORT_A:-55450}" && fo_start B "${TN_FO_PORT_B:-55451}" || { bad "start two clusters"; finish; }
ok "two clusters on ports $A_PORT and $B_PORT"
LOCB="host=$B_SOCK port=$B_PORT"
ctl() { fo_psql A -d ctl "$@"; }
# what an SQL statement raises: its SQLSTATE (psql prints it with VERBOSITY sqlstate)
state_of() { fo_psql A -d ctl -v VERBOSITY=sqlstate -c "$1" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1; }
error_of() { fo_psql A -d ctl -c "$1" 2>&1 >/dev/null; }

fo_psql A -c "CREATE DATABASE ctl" && ctl -c "CREATE EXTENSION tenancy VERSION '1.2'" ||
	{ bad "control database"; finish; }
ctl -c "SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id int PRIMARY KEY);', 'DROP TABLE users;', 'tenants')" >/dev/null
check "set: migration added to the tenant set, not to the control db" \
	"$(ctl -c "SELECT count(*) FROM tenancy.set_catalog" -c "SELECT count(*) FROM tenancy.catalog" | tr '\n' ' ')" "1 0 "
check "set: template database exists at the newest version" \
	"$(fo_psql A -d tenancy_template_ctl -c "SELECT string_agg(version, ',') FROM tenancy.applied")" "1"

# ---- create / register / drop -------------------------------------------
for t in a1 a2 a3 a4; do ctl -c "SELECT tenant_create('$t')" >/dev/null || bad "create $t"; done
for t in b1 b2 b3; do ctl -c "SELECT tenant_create('$t', '$LOCB')" >/dev/null || bad "create $t"; done
check "create: 7 tenants on two servers, at version 1" \
	"$(ctl -c "SELECT count(*), min(version), max(version), count(*) FILTER (WHERE state = 'up_to_date') FROM tenants()")" "7|1|1|7"
check "create: the clone has the set's objects" "$(fo_psql B -d b2 -c "SELECT to_regclass('users') IS NOT NULL")" "t"
check "create: bad name refused (42602)" "$(state_of "SELECT tenant_create('Bad Name')")" "42602"
check "create: injection-shaped name refused" "$(state_of "SELECT tenant_create('x\"; DROP TABLE y; --')")" "42602"
check "create: reserved name refused" "$(state_of "SELECT tenant_create('tenancy_x')")" "42602"
check "create: duplicate refused (42710)" "$(state_of "SELECT tenant_create('a1')")" "42710"
check "create: unknown kind refused" "$(state_of "SELECT tenant_create('k1', NULL, 'file')")" "22023"
fo_psql A -c "CREATE DATABASE taken"
check "create: half-way failure (database exists) raises 42P04" "$(state_of "SELECT tenant_create('taken')")" "42P04"
check "create: ... and nothing is registered" "$(ctl -c "SELECT count(*) FROM tenancy.tenants WHERE name = 'taken'")" "0"
ctl -c "BEGIN" -c "SELECT tenant_create('rolled')" -c "ROLLBACK" >/dev/null 2>&1
sleep 1
check "create: rolled back transaction leaves no database" \
	"$(fo_psql A -c "SELECT count(*) FROM pg_database WHERE datname = 'rolled'")$(ctl -c "SELECT count(*) FROM tenancy.tenants WHERE name = 'rolled'")" "00"
SECRET=Sup3rS3cretPw
check "create: location with a password refused (22023)" \
	"$(state_of "SELECT tenant_create('pw1', 'host=/tmp password=$SECRET')")" "22023"
check "register: location with a password refused (22023)" \
	"$(state_of "SELECT tenant_register('pw2', 'postgresql://u:$SECRET@localhost/db')")" "22023"
if error_of "SELECT tenant_register('pw2', 'dbname=x password=$SECRET')" | grep -q "$SECRET"; then
	bad "password never echoed in errors"; else ok "password never echoed in errors"; fi
fo_psql B -c "CREATE DATABASE adopted"
ctl -c "SELECT tenant_register('adopted', '$LOCB dbname=adopted')" >/dev/null
check "register: adopted database is tracked (behind, extension installed)" \
	"$(ctl -c "SELECT state, pending FROM tenants() WHERE name = 'adopted'")$(fo_psql B -d adopted -c "SELECT count(*) FROM pg_extension WHERE extname = 'tenancy'")" "behind|11"
ctl -c "SELECT tenant_drop('adopted')" >/dev/null
check "drop keep: unregistered, database kept" \
	"$(ctl -c "SELECT count(*) FROM tenancy.tenants WHERE name = 'adopted'")$(fo_psql B -c "SELECT count(*) FROM pg_database WHERE datname = 'adopted'")" "01"
ctl -c "SELECT tenant_create('gone', '$LOCB')" -c "SELECT tenant_drop('gone', 'delete')" >/dev/null
check "drop delete: database dropped" "$(fo_psql B -c "SELECT count(*) FROM pg_database WHERE datname = 'gone'")" "0"
check "drop: unknown tenant (42704)" "$(state_of "SELECT tenant_drop('nobody')")" "42704"
check "audit: who did what to which tenant" \
	"$(ctl -c "SELECT count(*) FILTER (WHERE action = 'create'), count(*) FILTER (WHERE action = 'register'), count(*) FILTER (WHERE action LIKE 'drop%'), bool_and(actor = 'postgres') FROM tenancy.audit")" "8|1|2|t"

# ---- fan-out: one tenant fails, the others apply --------------------------
fo_psql A -d a2 -c "INSERT INTO users VALUES (1)"
ctl -c "SELECT tenant_migration_add('2', 'orders and seed', 'CREATE TABLE orders (id int); INSERT INTO users VALUES (1);', NULL, 'tenants')" >/dev/null
ctl -c "SELECT * FROM tenant_migrate_all()" >"$OUT/run1.txt" 2>"$OUT/run1.notices"
check "fan-out: 6 applied, a2 failed with 23505" \
	"$(grep -c '|applied|' "$OUT/run1.txt")|$(grep -c '|failed|' "$OUT/run1.txt")|$(grep '^a2|' "$OUT/run1.txt" | cut -d'|' -f2,7)" \
	"6|1|failed|23505"
check "fan-out: the failing tenant rolled back (no orders table, still at 1)" \
	"$(fo_psql A -d a2 -c "SELECT to_regclass('orders') IS NULL, (SELECT string_agg(version, ',') FROM tenancy.applied)")" "t|1"
check "fan-out: progress NOTICE lines" "$(grep -c 'NOTICE:  \[[0-9]/7\] [a-z0-9]*: ' "$OUT/run1.notices")" "7"
check "fan-out: run recorded (status failed, 6 applied, 1 failed)" \
	"$(ctl -c "SELECT status, tenants, applied, failed FROM tenant_runs() ORDER BY run_id DESC LIMIT 1")" "failed|7|6|1"
fo_psql A -d a2 -c "DELETE FROM users"
ctl -c "SELECT * FROM tenant_migrate_all()" >"$OUT/run2.txt" 2>/dev/null
check "rerun: touches only the failed tenant, which now applies" "$(cut -d'|' -f1,2 "$OUT/run2.txt" | tr '\n' ' ')" "a2|applied "
check "rerun: nothing left behind" "$(ctl -c "SELECT count(*) FROM tenants() WHERE state <> 'up_to_date'")" "0"

# ---- a no-transaction migration over the same connection ------------------
ctl -c "SELECT tenant_migration_add('3', 'index', 'CREATE INDEX CONCURRENTLY users_id_idx ON users (id);', NULL, 'tenants')" >/dev/null
ctl -c "SELECT * FROM tenant_migrate_all()" >"$OUT/run3.txt" 2>/dev/null
check "no-transaction migration: applied in all 7, recorded" \
	"$(grep -c '|applied|2|3|1|' "$OUT/run3.txt")$(fo_psql B -d b1 -c "SELECT to_regclass('users_id_idx') IS NOT NULL, (SELECT max(version) FROM tenancy.applied)")" "7t|3"

# ---- dry run and query_all -----------------------------------------------
fo_psql A -d a3 -c "CREATE TABLE blocker (id int)"
ctl -c "SELECT tenant_migration_add('4', 'blocker', 'CREATE TABLE blocker (id int);', NULL, 'tenants')" >/dev/null 2>&1
ctl -c "SELECT * FROM tenant_dry_run_all()" >"$OUT/dry.txt" 2>/dev/null
check "dry run: a3 would fail, others would apply, nothing applied" \
	"$(grep '^a3|' "$OUT/dry.txt" | cut -d'|' -f2)|$(grep -c '|applied|' "$OUT/dry.txt")|$(fo_psql A -d a1 -c "SELECT to_regclass('blocker') IS NULL")" "failed|6|t"
fo_psql A -d a3 -c "DROP TABLE blocker"
check "query_all: one row per tenant as jsonb" \
	"$(ctl -c "SELECT count(*), min(\"row\"->>'n') FROM tenant_query_all('SELECT count(*) AS n FROM users;')")" "7|1"
ctl -c "SELECT * FROM tenant_query_all('SELECT pg_catalog.nextval(''tenancy.history_id_seq'')')" >"$OUT/qw.txt" 2>"$OUT/qw.err"
check "query_all: read-only (a write fails in every tenant)" "$(wc -l <"$OUT/qw.txt")|$(grep -c 'read-only' "$OUT/qw.err")" "0|7"

# ---- a cluster stopped mid-run --------------------------------------------
ctl -c "SELECT tenant_migration_add('5', 'slow', 'SELECT pg_sleep(2); CREATE TABLE slow5 (id int);', NULL, 'tenants')" >/dev/null
( ctl -c "SELECT * FROM tenant_migrate_all(NULL, 8)" >"$OUT/stop.txt" 2>/dev/null ) &
bg=$!
sleep 1; fo_stop B fast; wait $bg
check "server stopped: its 3 tenants unreachable, the 4 others applied" \
	"$(grep -c '^b[0-9]|unreachable|' "$OUT/stop.txt")|$(grep -c '^a[0-9]|applied|' "$OUT/stop.txt")" "3|4"
fo_restart B
ctl -c "SELECT * FROM tenant_migrate_all()" >"$OUT/stop2.txt" 2>/dev/null
check "server back: the rerun finishes them" \
	"$(cut -d'|' -f1,2 "$OUT/stop2.txt" | sort | tr '\n' ' ')$(ctl -c "SELECT count(*) FROM tenants() WHERE version = '5'")" "b1|applied b2|applied b3|applied 7"

# ---- cancel mid-run --------------------------------------------------------
ctl -c "SELECT tenant_migration_add('6', 'slow again', 'CREATE TABLE t6 (id int); SELECT pg_sleep(5);', NULL, 'tenants')" >/dev/null
( ctl -c "SET application_name = 'fo_cancel'" -c "SELECT * FROM tenant_migrate_all(NULL, 8)" >"$OUT/cancel.txt" 2>"$OUT/cancel.err" ) &
bg=$!
sleep 1.5
t0=$(date +%s%N)
fo_psql A -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'fo_cancel'" >/dev/null
wait $bg
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] && ok "cancel: caller stopped in $ms ms" || bad "cancel: caller took $ms ms"
# the caller closes its connections at once; each tenant session notices
# within client_connection_check_interval (1 s) and ends (SECURITY.md)
for i in $(seq 30); do
	[ "$(fo_psql A -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenancy'")$(fo_psql B -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenancy'")" = 00 ] && break
	sleep 0.1
done
check "cancel: no tenancy connection left on either server (within 1.5 s)" \
	"$(fo_psql A -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenancy'")$(fo_psql B -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenancy'")" "00"
clean=0
for t in a1 a2 a3 a4; do
	r=$(fo_psql A -d $t -c "SELECT (to_regclass('t6') IS NOT NULL) = EXISTS (SELECT 1 FROM tenancy.applied WHERE version = '6')")
	[ "$r" = t ] && clean=$((clean + 1))
done
for t in b1 b2 b3; do
	r=$(fo_psql B -d $t -c "SELECT (to_regclass('t6') IS NOT NULL) = EXISTS (SELECT 1 FROM tenancy.applied WHERE version = '6')")
	[ "$r" = t ] && clean=$((clean + 1))
done
check "cancel: every tenant at a clean version" "$clean" "7"
check "cancel: the run is recorded as cancelled" "$(ctl -c "SELECT status FROM tenant_runs() ORDER BY run_id DESC LIMIT 1")" "cancelled"

# ---- kill -9 of the calling backend mid-run --------------------------------
( ctl -c "SET application_name = 'fo_kill'" -c "SELECT * FROM tenant_migrate_all(NULL, 2)" >/dev/null 2>&1 ) &
bg=$!
sleep 1.5
pid=$(fo_psql A -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'fo_kill'")
[ -n "$pid" ] && kill -9 "$pid"
wait $bg
for i in $(seq 1 60); do fo_psql A -d ctl -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.5; done
ctl -c "SELECT * FROM tenant_migrate_all(NULL, 8)" >"$OUT/kill.txt" 2>/dev/null
check "kill -9: rerun converges (all 7 at 6)" "$(ctl -c "SELECT count(*) FROM tenants() WHERE version = '6' AND state = 'up_to_date'")" "7"
check "kill -9: the killed run shows as aborted" "$(ctl -c "SELECT count(*) FROM tenant_runs() WHERE status = 'aborted'")" "1"

# ---- two concurrent runs ---------------------------------------------------
ctl -c "SELECT tenant_migration_add('7', 'concurrent', 'CREATE TABLE t7 (id int); SELECT pg_sleep(0.3);', NULL, 'tenants')" >/dev/null
( ctl -c "SELECT * FROM tenant_migrate_all(NULL, 4)" >"$OUT/c1.txt" 2>/dev/null ) &
p1=$!
( ctl -c "SELECT * FROM tenant_migrate_all(NULL, 4)" >"$OUT/c2.txt" 2>/dev/null ) &
p2=$!
wait $p1 $p2
twice=0
for t in a1 a2 a3 a4; do
	n=$(fo_psql A -d $t -c "SELECT count(*) FROM tenancy.history WHERE action = 'apply' AND version = '7'"); [ "$n" = 1 ] || twice=$((twice + 1))
done
for t in b1 b2 b3; do
	n=$(fo_psql B -d $t -c "SELECT count(*) FROM tenancy.history WHERE action = 'apply' AND version = '7'"); [ "$n" = 1 ] || twice=$((twice + 1))
done
check "concurrent runs: no tenant migrated twice, all migrated" \
	"$twice|$(cat "$OUT/c1.txt" "$OUT/c2.txt" | grep -c '|applied|')" "0|7"

# ---- max_failures ------------------------------------------------------------
for t in a1 a2 a3 a4; do fo_psql A -d $t -c "CREATE TABLE t8 (id int)"; done
ctl -c "SELECT tenant_migration_add('8', 'canary', 'CREATE TABLE t8 (id int);', NULL, 'tenants')" >/dev/null 2>&1
ctl -c "SELECT * FROM tenant_migrate_all(NULL, 1, 2)" >"$OUT/canary.txt" 2>/dev/null
check "max_failures: stops starting tenants after 2 failures" \
	"$(grep -c '|failed|' "$OUT/canary.txt")|$(grep -c '|skipped|' "$OUT/canary.txt")|$(ctl -c "SELECT status FROM tenant_runs() ORDER BY run_id DESC LIMIT 1")" "2|5|stopped"
for t in a1 a2 a3 a4; do fo_psql A -d $t -c "DROP TABLE t8"; done
ctl -c "SELECT * FROM tenant_migrate_all()" >/dev/null 2>&1

# ---- tenant_verify_all ----------------------------------------------------------
check "verify_all: every tenant ok at 8, nothing pending" \
	"$(ctl -c "SELECT count(*) FILTER (WHERE status = 'ok' AND version = '8' AND pending = 0 AND problems = 0) FROM tenant_verify_all()")" "7"
ctl -c "SELECT tenant_migration_add('9', 'nine', 'CREATE TABLE t9 (id int);', 'DROP TABLE t9;', 'tenants')" >/dev/null
fo_psql A -d a1 -c "UPDATE tenancy.applied SET checksum = 'sha256:' || repeat('0', 64) WHERE version = '1'"
ctl -c "SELECT tenant, status, version, pending, problems, detail FROM tenant_verify_all(3)" >"$OUT/verify.txt" 2>&1
check "verify_all: a1 drifted (1 problem), the others ok with 1 pending" \
	"$(grep '^a1|' "$OUT/verify.txt" | cut -d'|' -f2-5)|$(grep -c '|ok|8|1|0|' "$OUT/verify.txt")" "problems|8|1|1|6"
check "verify_all: the detail names the version" "$(grep -c '^a1|.*1 drifted' "$OUT/verify.txt")" "1"
check "verify_all: reads only (the tenant catalog did not get 9)" \
	"$(fo_psql A -d a2 -c "SELECT count(*) FROM tenancy.catalog WHERE version = '9'")" "0"
check "verify_all: registry cache refreshed (a1 problems, pending 1 elsewhere)" \
	"$(ctl -c "SELECT state FROM tenants() WHERE name = 'a1'")|$(ctl -c "SELECT count(*) FROM tenancy.tenants WHERE pending = 1")" "problems|7"
fo_psql A -d a1 -c "UPDATE tenancy.applied a SET checksum = c.checksum FROM tenancy.catalog c WHERE c.version = a.version AND a.version = '1'"
fo_stop B fast
ctl -c "SELECT tenant, status FROM tenant_verify_all()" >"$OUT/verify2.txt" 2>&1
fo_restart B
check "verify_all: a stopped server's tenants are unreachable" "$(grep -c '^b[0-9]|unreachable' "$OUT/verify2.txt")|$(grep -c '|ok' "$OUT/verify2.txt")" "3|4"

# ---- tenant_migrate_all_atomic -----------------------------------------------------
prepared() { echo "$(fo_psql A -c "SELECT count(*) FROM pg_prepared_xacts")$(fo_psql B -c "SELECT count(*) FROM pg_prepared_xacts")"; }
at_version() { # tenants (on both servers) whose newest applied version is $1
	local n=0 t v
	for t in a1 a2 a3 a4; do v=$(fo_psql A -d $t -c "SELECT max(version::int) FROM tenancy.applied"); [ "$v" = "$1" ] && n=$((n + 1)); done
	for t in b1 b2 b3; do v=$(fo_psql B -d $t -c "SELECT max(version::int) FROM tenancy.applied"); [ "$v" = "$1" ] && n=$((n + 1)); done
	echo $n
}
fo_psql B -d b2 -c "CREATE TABLE t9 (id int)"
ctl -c "SELECT * FROM tenant_migrate_all_atomic(NULL, 2)" >"$OUT/atomic1.txt" 2>"$OUT/atomic1.err"
check "atomic: b2 fails, nobody else moves (rolled back or never started)" \
	"$(grep '^b2|' "$OUT/atomic1.txt" | cut -d'|' -f2)|$(grep -c -e '|rolled_back|' -e '|skipped|' "$OUT/atomic1.txt")|$(at_version 8)" "failed|6|7"
check "atomic: the rows say which tenant failed" "$(grep -c 'tenant "b2" failed' "$OUT/atomic1.txt")" "6"
check "atomic: no prepared transaction left, run rolled_back" \
	"$(prepared)|$(ctl -c "SELECT status FROM tenancy.runs ORDER BY run_id DESC LIMIT 1")" "00|rolled_back"
fo_psql B -d b2 -c "DROP TABLE t9"
ctl -c "SELECT * FROM tenant_migrate_all_atomic()" >"$OUT/atomic2.txt" 2>/dev/null
check "atomic: all 7 commit together" \
	"$(grep -c '|applied|8|9|1|' "$OUT/atomic2.txt")|$(at_version 9)|$(prepared)|$(ctl -c "SELECT status FROM tenancy.runs ORDER BY run_id DESC LIMIT 1")" "7|7|00|done"
ctl -c "SELECT tenant_migration_add('10', 'concurrent index', 'CREATE INDEX CONCURRENTLY t9_idx ON t9 (id);', NULL, 'tenants')" >/dev/null
runs_before=$(ctl -c "SELECT count(*) FROM tenancy.runs")
check "atomic: a no-transaction migration is refused (0A000)" "$(state_of "SELECT * FROM tenant_migrate_all_atomic()")" "0A000"
check "atomic: ... with a hint, before any change" \
	"$(error_of "SELECT * FROM tenant_migrate_all_atomic()" | grep -c "HINT:  Run tenant_migrate_all('10') first")|$(ctl -c "SELECT count(*) FROM tenancy.runs")|$(at_version 9)" "1|$runs_before|7"
ctl -c "SELECT * FROM tenant_migrate_all()" >/dev/null 2>&1
ctl -c "SELECT tenant_migration_add('11', 'eleven', 'CREATE TABLE t11 (id int);', NULL, 'tenants')" >/dev/null
fo_psql B -c "ALTER SYSTEM SET max_prepared_transactions = 0" && fo_stop B fast && fo_restart B
check "atomic: max_prepared_transactions = 0 refused (55000)" "$(state_of "SELECT * FROM tenant_migrate_all_atomic()")" "55000"
check "atomic: ... with the postgresql.conf hint, nothing changed" \
	"$(error_of "SELECT * FROM tenant_migrate_all_atomic()" | grep -c 'HINT:  SET max_prepared_transactions in')|$(at_version 10)" "1|7"
fo_psql B -c "ALTER SYSTEM RESET max_prepared_transactions" && fo_stop B fast && fo_restart B

# kill -9 of the caller with every tenant prepared: the next call resolves it from the record
atomic_kill() { # $1 = pause point (prepared | committing)
	( ctl -c "SET application_name = 'fo_atomic'" -c "SET tenancy.test_atomic_pause = '$1'" \
		-c "SELECT * FROM tenant_migrate_all_atomic(NULL, 4)" >/dev/null 2>"$OUT/atomic_kill_$1.err" ) &
	local bg=$! i pid
	for i in $(seq 1 100); do grep -q 'tenancy test pause' "$OUT/atomic_kill_$1.err" && break; sleep 0.1; done
	pid=$(fo_psql A -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'fo_atomic'")
	[ -n "$pid" ] && kill -9 "$pid"
	wait $bg
	for i in $(seq 1 60); do fo_psql A -d ctl -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.5; done
}
atomic_kill prepared
check "atomic kill -9 (decision not made): 7 prepared transactions left behind" "$(prepared)" "43"
ctl -c "SELECT * FROM tenant_migrate_all('10')" >/dev/null 2>"$OUT/recover1.err"
check "atomic kill -9 (decision not made): next call rolls every tenant back" \
	"$(prepared)|$(at_version 10)|$(grep -c 'rolled back prepared transaction' "$OUT/recover1.err")|$(ctl -c "SELECT count(*) FROM tenancy.runs WHERE status = 'rolled_back'")" "00|7|7|2"
atomic_kill committing
ctl -c "SELECT * FROM tenant_migrate_all('11')" >/dev/null 2>"$OUT/recover2.err"
check "atomic kill -9 (record says committing): next call commits every tenant" \
	"$(prepared)|$(at_version 11)|$(grep -c 'committed prepared transaction' "$OUT/recover2.err")" "00|7|7"

# ---- non-superusers and passwords -----------------------------------------
fo_psql A -d ctl -c "CREATE ROLE tn_plain LOGIN" -c "CREATE ROLE tn_granted LOGIN" \
	-c "GRANT EXECUTE ON FUNCTION tenant_migrate_all(text, int, int), tenants() TO tn_granted" \
	-c "GRANT USAGE ON SCHEMA tenancy TO tn_granted" -c "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA tenancy TO tn_granted" >/dev/null
check "non-superuser without grant refused (42501)" \
	"$(fo_psql A -d ctl -U tn_plain -v VERBOSITY=sqlstate -c "SELECT * FROM tenant_migrate_all()" 2>&1 | sed -n 's/^ERROR: *//p')" "42501"
check "non-superuser with grant cannot borrow trust auth (password is required)" \
	"$(fo_psql A -d ctl -U tn_granted -c "SELECT * FROM tenant_migrate_all()" 2>&1 | grep -o 'password is required' | head -1)" "password is required"
fo_psql A -d ctl -c "SELECT * FROM tenancy.tenants" -c "SELECT * FROM tenancy.audit" -c "SELECT * FROM tenancy.run_tenants" -c "SELECT * FROM tenants()" >"$OUT/all_rows.txt" 2>&1
# (the server logs the caller's own failing statement text: STATEMENT lines are the caller's words)
if grep -v 'STATEMENT:' "$OUT/all_rows.txt" "$A_DIR/server.log" "$B_DIR/server.log" | grep -q "$SECRET"; then
	bad "passwords never in tables, views or logs"; else ok "passwords never in tables, views or logs"; fi

# ---- registry error paths, pg_regress style (tests/fanout/sql, tests/fanout/expected) ----
"$PG_BIN/psql" -X -a -q -h "$A_SOCK" -p "$A_PORT" -U postgres -d ctl -f tests/fanout/sql/registry_errors.sql >"$OUT/registry_errors.out" 2>&1
if diff -u tests/fanout/expected/registry_errors.out "$OUT/registry_errors.out" >"$OUT/registry_errors.diff"; then
	ok "registry error paths match tests/fanout/expected/registry_errors.out"
else
	bad "registry error paths (diff in $OUT/registry_errors.diff)"; head -30 "$OUT/registry_errors.diff"
fi

# ---- isolation: two concurrent tenant_migrate_all calls (tests/fanout/isolation) ----
ISO_BIN=$(dirname "$(pg_config --pgxs)")/../test/isolation/pg_isolation_regress
ISO_DIR=$(mktemp -d /tmp/tenancy_fo_iso.XXXXXX)
cp -r tests/fanout/isolation/specs tests/fanout/isolation/expected "$ISO_DIR/" && chmod -R a+rwX "$ISO_DIR"
fo_psql A -c "CREATE DATABASE iso_fo"
if fo_as_pg "$ISO_BIN" --use-existing --host="$A_SOCK" --port="$A_PORT" --user=postgres --dbname=iso_fo \
	--bindir="$PG_BIN" --inputdir="$ISO_DIR" --outputdir="$ISO_DIR/out" migrate_all_concurrent >"$OUT/isolation.log" 2>&1; then
	ok "isolation: two concurrent tenant_migrate_all (waits / lock_timeout)"
else
	bad "isolation: two concurrent tenant_migrate_all"; cat "$ISO_DIR/out/regression.diffs" 2>/dev/null | head -40
fi
rm -rf "$ISO_DIR"

# ---- upgrade from 1.0 (through 1.1) --------------------------------------------------------
fo_psql A -c "CREATE DATABASE up" && fo_psql A -d up -c "CREATE EXTENSION tenancy VERSION '1.0'" -c "ALTER EXTENSION tenancy UPDATE TO '1.2'" >/dev/null
check "ALTER EXTENSION UPDATE from 1.0 gives the same objects as CREATE EXTENSION" \
	"$(fo_psql A -d up -c "SELECT count(*) FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'tenancy') AND deptype = 'e'")" \
	"$(ctl -c "SELECT count(*) FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'tenancy') AND deptype = 'e'")"

finish
