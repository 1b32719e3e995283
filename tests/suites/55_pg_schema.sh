#!/usr/bin/env bash
# 55_pg_schema.sh -- schema tenants of the PostgreSQL registry (tenancy 1.2) on
# two clusters (ports 55490/55491, override with TN_SCH_PORT_A/B; use 55490-55499):
# create (bad names, an injection-shaped name, an existing schema, a reserved
# name, a rolled-back create), register (adopt), the tracking tables per
# schema, tenant_migrate_all over database + schema tenants with one schema
# failing, two schemas of one database locked independently (the same
# schema never twice), query_all / verify_all / dry_run_all / atomic over
# schemas, drop keep / delete, and a search_path hijack attempt.
# Ends with "N passed, N failed"; exits 1 on any failure.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/fanout/clusters.sh
OUT=$ROOT/tests/out/pg_schema
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
fo_start A "${TN_SCH_PORT_A:-55490}" && fo_start B "${TN_SCH_PORT_B:-55491}" || { bad "start two clusters"; finish; }
ok "two clusters on ports $A_PORT and $B_PORT"
LOCB="host=$B_SOCK port=$B_PORT dbname=shared"
ctl() { fo_psql A -d ctl "$@"; }
state_of() { fo_psql A -d ctl -v VERBOSITY=sqlstate -c "$1" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1; }

fo_psql A -c "CREATE DATABASE ctl" && ctl -c "CREATE EXTENSION tenancy VERSION '1.2'" && fo_psql B -c "CREATE DATABASE shared" ||
	{ bad "control database"; finish; }
ctl -c "SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id int PRIMARY KEY);', 'DROP TABLE users;', 'tenants')" >/dev/null

# ---- create ---------------------------------------------------------------------
for t in s1 s2 s3; do ctl -c "SELECT tenant_create('$t', NULL, 'schema')" >/dev/null || bad "create $t"; done
ctl -c "SELECT tenant_create('r1', '$LOCB', 'schema')" >/dev/null || bad "create r1"
ctl -c "SELECT tenant_create('d1')" >/dev/null || bad "create d1"
check "create: 4 schema tenants + 1 database tenant, all at 1" \
	"$(ctl -c "SELECT count(*) FILTER (WHERE kind = 'schema'), count(*) FILTER (WHERE version = '1' AND state = 'up_to_date') FROM tenants()")" "4|5"
check "create: schema with its own tracking tables and the set's objects" \
	"$(ctl -c "SELECT count(*) FROM pg_tables WHERE schemaname = 's1' AND tablename IN ('tenancy_catalog', 'tenancy_applied', 'tenancy_history', 'tenancy_checkpoints', 'users')")|$(ctl -c "SELECT string_agg(version, ',') FROM s1.tenancy_applied")" "5|1"
check "create: nothing written to the control db's own tracking tables" "$(ctl -c "SELECT count(*) FROM tenancy.applied")" "0"
check "create: remote schema in the database the location names" \
	"$(fo_psql B -d shared -c "SELECT to_regclass('r1.users') IS NOT NULL, (SELECT string_agg(version, ',') FROM r1.tenancy_applied)")" "t|1"
check "create: registry row (kind, dbname, schema_name)" \
	"$(ctl -c "SELECT kind, dbname, schema_name, location IS NULL FROM tenancy.tenants WHERE name = 's1'")" "schema|ctl|s1|t"
check "create: bad name refused (42602)" "$(state_of "SELECT tenant_create('Bad Name', NULL, 'schema')")" "42602"
check "create: injection-shaped name refused (42602)" "$(state_of "SELECT tenant_create('x\"; DROP TABLE y; --', NULL, 'schema')")" "42602"
check "create: pg_ name refused (42602)" "$(state_of "SELECT tenant_create('pg_x', NULL, 'schema')")" "42602"
ctl -c "CREATE SCHEMA taken"
check "create: existing schema refused (42P06)" "$(state_of "SELECT tenant_create('taken', NULL, 'schema')")" "42P06"
check "create: ... nothing registered, the schema untouched" \
	"$(ctl -c "SELECT count(*) FROM tenancy.tenants WHERE name = 'taken'")|$(ctl -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'taken'")" "0|0"
check "create: public refused (42602)" "$(state_of "SELECT tenant_create('public', NULL, 'schema')")" "42602"
check "create: duplicate tenant refused (42710)" "$(state_of "SELECT tenant_create('s1', NULL, 'schema')")" "42710"
ctl -c "BEGIN" -c "SELECT tenant_create('rolled', NULL, 'schema')" -c "SELECT tenant_create('rrolled', '$LOCB', 'schema')" -c "ROLLBACK" >/dev/null 2>&1
sleep 1
check "create: rolled back transaction leaves no schema (local and remote)" \
	"$(ctl -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'rolled'")$(fo_psql B -d shared -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'rrolled'")$(ctl -c "SELECT count(*) FROM tenancy.tenants WHERE name LIKE '%rolled'")" "000"
# a failing body half-way: nothing stays
ctl -c "SELECT tenant_migration_add('2', 'orders and seed', 'CREATE TABLE orders (id int); INSERT INTO users VALUES (1);', NULL, 'tenants')" >/dev/null
fo_psql B -d shared -c "CREATE SCHEMA other"
ctl -c "SELECT tenant_create('s4', NULL, 'schema')" >/dev/null || bad "create s4 at 2"
check "create: new schema tenant at the newest version (2)" "$(ctl -c "SELECT version FROM tenants() WHERE name = 's4'")" "2"

# ---- register ---------------------------------------------------------------------
ctl -c "CREATE SCHEMA adopted" -c "CREATE TABLE adopted.users (id int PRIMARY KEY)"
ctl -c "SELECT tenant_register('adopted', NULL, 'schema')" >/dev/null || bad "register adopted"
check "register: adopted schema gets tracking tables, is behind by 2" \
	"$(ctl -c "SELECT state, pending FROM tenants() WHERE name = 'adopted'")|$(ctl -c "SELECT to_regclass('adopted.tenancy_applied') IS NOT NULL")" "behind|2|t"
check "register: unknown schema refused (3F000)" "$(state_of "SELECT tenant_register('nosuch', NULL, 'schema')")" "3F000"
ctl -c "INSERT INTO adopted.tenancy_applied (version, name, checksum, batch) SELECT version, name, checksum, 1 FROM tenancy.set_catalog WHERE version = '1'"

# ---- fan-out over database + schema tenants, one schema failing -----------------
ctl -c "INSERT INTO s2.users VALUES (1)"
ctl -c "SELECT * FROM tenant_migrate_all()" >"$OUT/run1.txt" 2>"$OUT/run1.notices"
check "migrate_all: 5 applied (s4 was up to date), s2 failed with 23505" \
	"$(grep -c '|applied|' "$OUT/run1.txt")|$(grep -c '|failed|' "$OUT/run1.txt")|$(grep '^s2|' "$OUT/run1.txt" | cut -d'|' -f2,7)" "5|1|failed|23505"
check "migrate_all: the failing schema rolled back (no orders, still at 1)" \
	"$(ctl -c "SELECT to_regclass('s2.orders') IS NULL, (SELECT string_agg(version, ',') FROM s2.tenancy_applied)")" "t|1"
check "migrate_all: the others applied in their own schema / database" \
	"$(ctl -c "SELECT to_regclass('s1.orders') IS NOT NULL AND to_regclass('s3.orders') IS NOT NULL AND to_regclass('adopted.orders') IS NOT NULL AND to_regclass('public.orders') IS NULL")|$(fo_psql B -d shared -c "SELECT string_agg(version, ',' ORDER BY version) FROM r1.tenancy_applied")|$(fo_psql A -d d1 -c "SELECT to_regclass('orders') IS NOT NULL")" "t|1,2|t"
check "migrate_all: history in the schema's own table" \
	"$(ctl -c "SELECT count(*) FROM s1.tenancy_history WHERE action = 'apply' AND version = '2'")|$(ctl -c "SELECT count(*) FROM tenancy.history")" "1|0"
ctl -c "DELETE FROM s2.users"
ctl -c "SELECT * FROM tenant_migrate_all()" >"$OUT/run2.txt" 2>/dev/null
check "rerun: only s2, which applies now" "$(cut -d'|' -f1,2 "$OUT/run2.txt" | tr '\n' ' ')" "s2|applied "

# ---- locks: two schemas of one database at once, one schema never twice -------------
EMPTY="(SELECT 'tnset1' || chr(10))"
( ctl -c "BEGIN" -c "SELECT applied FROM tenancy.migrate_synced($EMPTY, NULL, 'dry_run', 's1')" -c "SELECT pg_sleep(4)" -c "COMMIT" >/dev/null 2>&1 ) &
holder=$!
sleep 1.5
check "locks: another schema of the same database migrates while s1 is held" \
	"$(ctl -c "SET lock_timeout = '500ms'" -c "SELECT applied FROM tenancy.migrate_synced($EMPTY, NULL, 'dry_run', 's3')" 2>&1)" "0"
fo_psql A -d ctl -v VERBOSITY=sqlstate -c "SET lock_timeout = '500ms'" -c "SELECT applied FROM tenancy.migrate_synced($EMPTY, NULL, 'dry_run', 's1')" >"$OUT/lock.txt" 2>&1
check "locks: the same schema waits (lock timeout, 55P03)" \
	"$(fo_psql A -d ctl -v VERBOSITY=sqlstate -c "SET lock_timeout = '500ms'" -c "SELECT applied FROM tenancy.migrate_synced($EMPTY, NULL, 'dry_run', 's1')" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p')" "55P03"
check "locks: the database's own lock is apart (tenant_migrate in ctl)" \
	"$(ctl -c "SET lock_timeout = '500ms'" -c "SELECT count(*) FROM tenant_dry_run()" 2>&1)" "0"
wait $holder
ctl -c "SELECT tenant_migration_add('3', 'slow', 'SELECT pg_sleep(1); CREATE TABLE slow3 (id int);', NULL, 'tenants')" >/dev/null
ctl -c "SELECT * FROM tenant_migrate_all(NULL, 4)" >"$OUT/run3.txt" 2>/dev/null
check "concurrent fan-out over schemas of one database: all 7 applied once" \
	"$(grep -c '|applied|2|3|1|' "$OUT/run3.txt")|$(ctl -c "SELECT sum(n) FROM (SELECT count(*) n FROM s1.tenancy_history WHERE action = 'apply' AND version = '3' UNION ALL SELECT count(*) FROM s2.tenancy_history WHERE action = 'apply' AND version = '3' UNION ALL SELECT count(*) FROM s3.tenancy_history WHERE action = 'apply' AND version = '3') x")" "7|3"

# ---- no-transaction migration in schema tenants (statements with the schema's search_path) ----
# (VACUUM: CREATE INDEX CONCURRENTLY in the control database would wait for the caller's own
# transaction; README says so)
ctl -c "SELECT tenant_migration_add('4', 'vacuum', '-- tenancy:no-transaction
VACUUM users; CREATE TABLE notx4 (id int);', NULL, 'tenants')" >/dev/null
ctl -c "SELECT * FROM tenant_migrate_all()" >"$OUT/run4.txt" 2>"$OUT/run4.err"
check "no-transaction migration: applied in all 7, each schema got its own table" \
	"$(grep -c '|applied|3|4|1|' "$OUT/run4.txt")|$(ctl -c "SELECT count(*) FROM pg_tables WHERE tablename = 'notx4' AND schemaname IN ('s1', 's2', 's3', 's4', 'adopted')")|$(ctl -c "SELECT to_regclass('public.notx4') IS NULL")" "7|5|t"

# ---- query_all, verify_all, dry_run_all, atomic ----------------------------------------
ctl -c "INSERT INTO s1.users VALUES (2), (3)" -c "INSERT INTO s3.users VALUES (2)"
check "query_all: runs in each schema (its own users table)" \
	"$(ctl -c "SELECT string_agg(tenant || '=' || (\"row\"->>'n'), ',' ORDER BY tenant) FROM tenant_query_all('SELECT count(*) AS n FROM users')")" \
	"adopted=1,d1=1,r1=1,s1=3,s2=1,s3=2,s4=1"
check "verify_all: every tenant ok at 4" \
	"$(ctl -c "SELECT count(*) FILTER (WHERE status = 'ok' AND version = '4' AND pending = 0) FROM tenant_verify_all()")" "7"
ctl -c "CREATE TABLE s3.blocker (id int)"
ctl -c "SELECT tenant_migration_add('5', 'blocker', 'CREATE TABLE blocker (id int);', NULL, 'tenants')" >/dev/null
ctl -c "SELECT * FROM tenant_dry_run_all()" >"$OUT/dry.txt" 2>/dev/null
check "dry_run_all: s3 would fail, 6 would apply, nothing applied" \
	"$(grep '^s3|' "$OUT/dry.txt" | cut -d'|' -f2)|$(grep -c '|applied|' "$OUT/dry.txt")|$(ctl -c "SELECT to_regclass('s1.blocker') IS NULL")" "failed|6|t"
ctl -c "DROP TABLE s3.blocker"
ctl -c "SELECT * FROM tenant_migrate_all_atomic()" >"$OUT/atomic.txt" 2>"$OUT/atomic.err"
check "atomic: all 7 (5 schemas in one database) committed" \
	"$(grep -c '|applied|' "$OUT/atomic.txt")|$(ctl -c "SELECT count(*) FROM pg_tables WHERE tablename = 'blocker'")|$(ctl -c "SELECT count(*) FROM pg_prepared_xacts")" "7|5|0"

# ---- search_path hijack attempts ------------------------------------------------------
# in public of the control db: an "=" on text that is always false, a clock that lies;
# in the tenant schema (created by a migration body): the same.
ctl <<'SQL' >/dev/null
CREATE FUNCTION public.texteq_false(text, text) RETURNS bool LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.texteq_false);
CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz LANGUAGE sql AS $$SELECT '2000-01-01'::timestamptz$$;
SQL
ctl -c "SELECT tenant_migration_add('6', 'hijack', 'CREATE FUNCTION texteq_false(text, text) RETURNS bool LANGUAGE sql AS ''SELECT false''; CREATE OPERATOR = (LEFTARG = text, RIGHTARG = text, FUNCTION = texteq_false); CREATE FUNCTION clock_timestamp() RETURNS timestamptz LANGUAGE sql AS ''SELECT ''''2000-01-01''''::timestamptz'';', NULL, 'tenants')" >/dev/null
ctl -c "SELECT tenant_migration_add('7', 'after', 'CREATE TABLE after7 (id int);', NULL, 'tenants')" >/dev/null
fo_psql A -d ctl -c "SET search_path = public, pg_catalog" -c "SELECT * FROM tenant_migrate_all()" >"$OUT/hijack.txt" 2>"$OUT/hijack.err"
check "hijack: the operator landed in the tenant schema (bodies use its search_path)" \
	"$(ctl -c "SELECT count(*) FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE o.oprname = '=' AND n.nspname = 's1'")" "1"
check "hijack: every tenant applied 6 and 7, tracked correctly" \
	"$(grep -c '|applied|5|7|2|' "$OUT/hijack.txt")|$(ctl -c "SELECT string_agg(version, ',' ORDER BY version::int) FROM s1.tenancy_applied")|$(ctl -c "SELECT bool_and(applied_at > '2020-01-01') FROM s1.tenancy_applied")" "7|1,2,3,4,5,6,7|t"
ctl -c "SELECT tenant_migration_add('8', 'later', 'CREATE TABLE later8 (id int);', NULL, 'tenants')" >/dev/null
fo_psql A -d ctl -c "SET search_path = s1, public, pg_catalog" -c "SELECT * FROM tenant_migrate_all()" >"$OUT/hijack2.txt" 2>&1
check "hijack: a later run is unaffected (only 8 runs, nothing applied twice)" \
	"$(grep -c '|applied|7|8|1|' "$OUT/hijack2.txt")|$(ctl -c "SELECT count(*), max(c) FROM (SELECT version, count(*) c FROM s1.tenancy_history WHERE action = 'apply' GROUP BY version) h")" "7|7|1"
check "hijack: verify_all still ok everywhere" \
	"$(ctl -c "SELECT count(*) FILTER (WHERE status = 'ok') FROM tenant_verify_all()")" "7"

# ---- drop ---------------------------------------------------------------------------
ctl -c "SELECT tenant_drop('s3')" >/dev/null
check "drop keep: unregistered, schema kept" \
	"$(ctl -c "SELECT count(*) FROM tenancy.tenants WHERE name = 's3'")|$(ctl -c "SELECT count(*) FROM pg_namespace WHERE nspname = 's3'")" "0|1"
ctl -c "SELECT tenant_drop('s1', 'delete')" -c "SELECT tenant_drop('r1', 'delete')" >/dev/null
check "drop delete: schemas dropped (local and remote), the rest untouched" \
	"$(ctl -c "SELECT count(*) FROM pg_namespace WHERE nspname IN ('s1', 's2')")|$(fo_psql B -d shared -c "SELECT count(*) FROM pg_namespace WHERE nspname IN ('r1', 'other')")" "1|1"
ctl -c "BEGIN" -c "SELECT tenant_drop('s2', 'delete')" -c "ROLLBACK" >/dev/null
check "drop delete of a local schema rolls back with the caller" "$(ctl -c "SELECT count(*) FROM pg_namespace WHERE nspname = 's2'")$(ctl -c "SELECT count(*) FROM tenancy.tenants WHERE name = 's2'")" "11"
check "audit: schema tenants' create/register/drop recorded" \
	"$(ctl -c "SELECT count(*) FILTER (WHERE action = 'create' AND detail LIKE 'schema%'), count(*) FILTER (WHERE action = 'register' AND detail LIKE 'schema%'), count(*) FILTER (WHERE action LIKE 'drop%') FROM tenancy.audit")" "5|1|3"
check "no connection left open by the fan-outs" \
	"$(fo_psql A -c "SELECT count(*) FROM pg_stat_activity WHERE datname IN ('ctl', 'd1') AND pid <> pg_backend_pid() AND backend_type = 'client backend'")" "0"
finish
