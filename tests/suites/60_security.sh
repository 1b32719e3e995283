#!/usr/bin/env bash
# 60_security.sh -- the attacks of issue 7, each an assertion that failed on
# the code before its fix (SECURITY.md states the model they check).
# PostgreSQL: two clusters (ports 55470/55471, override with
# TN_SEC_PORT_A/B; use 55470-55479) and two hostile fake servers
# (tests/security/fake_pg.py: one asks for a cleartext password, one never
# answers).  SQLite: registry files that are not tenants.
# Ends with "N passed, N failed"; exits 1 on any failure.
#
# Must not: count setup as a check, or leave a cluster or a fake server
# running (the traps stop them).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
# TN_SEC_DESTDIR=DIR: a private copy of the PostgreSQL tree (DIR/usr/lib/postgresql/15,
# DIR/usr/share/postgresql/15) to install into and run, instead of the shared one
if [ -n "${TN_SEC_DESTDIR:-}" ]; then
	PG_BIN=$TN_SEC_DESTDIR/usr/lib/postgresql/15/bin; INSTALL_ARGS="DESTDIR=$TN_SEC_DESTDIR"
fi
. tests/lib/pg_clusters.sh
OUT=$ROOT/tests/out/security
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local name=$1 got=$2 want=$3; if [ "$got" = "$want" ]; then ok "$name"; else bad "$name"; echo "     got:  $got"; echo "     want: $want"; fi; }
# the text must not appear in the given output
absent() { local name=$1 needle=$2 hay=$3; if grep -qF -- "$needle" <<<"$hay"; then bad "$name"; echo "     found: $needle"; else ok "$name"; fi; }
finish() { echo "${pass} passed, ${fail} failed"; [ "$fail" -eq 0 ]; exit $?; }
FAKE_PIDS=""
cleanup() { local p; for p in $FAKE_PIDS; do kill "$p" 2>/dev/null; done; pgc_cleanup; }

# ==== SQLite (finding 12) ====
if make -s sqlite >"$OUT/sqlite_build.log" 2>&1; then
	EXT=$OUT/tenancy.so; cp sqlite_ext/tenancy.so "$EXT"
	. tests/security/sqlite_files.sh
else
	cat "$OUT/sqlite_build.log"; bad "build sqlite_ext/tenancy.so"
fi


# ==== PostgreSQL ====
if make -C pg_ext >"$OUT/build.log" 2>&1 && make -C pg_ext install ${INSTALL_ARGS:-} >>"$OUT/build.log" 2>&1; then
	ok "build and install pg_ext"
else
	tail -30 "$OUT/build.log"; bad "build and install pg_ext"; fi
pgc_start A "${TN_SEC_PORT_A:-55470}" && pgc_start B "${TN_SEC_PORT_B:-55471}" || { bad "start two clusters"; finish; }
trap cleanup EXIT
# B asks every role but postgres for a password (scram)
printf 'local all postgres trust\nlocal all all scram-sha-256\n' >"$B_DIR/data/pg_hba.conf"
pgc_psql B -c "SELECT pg_reload_conf()" >/dev/null
pgc_psql B -c "CREATE ROLE bsuper SUPERUSER LOGIN PASSWORD 'BsuperPw9'" -c "CREATE ROLE mallory LOGIN PASSWORD 'MalloryPw7'" \
	-c "CREATE DATABASE bdb" >/dev/null
# the administrator's passfile on A's machine, readable by the server's OS user
PASSFILE=$A_DIR/admin.pgpass
printf '*:*:*:bsuper:BsuperPw9\n*:*:*:*:AdminSecretPw\n' >"$PASSFILE"; chmod 600 "$PASSFILE"
[ "$(id -u)" -eq 0 ] && chown postgres: "$PASSFILE"
# hostile fake servers (Unix sockets only)
FAKE=$(mktemp -d /tmp/tenancy_fake.XXXXXX); chmod 755 "$FAKE"
python3 tests/security/fake_pg.py cleartext "$FAKE" 55472 "$OUT/cleartext.log" & FAKE_PIDS="$FAKE_PIDS $!"
python3 tests/security/fake_pg.py hang "$FAKE" 55473 "$OUT/hang.log" & FAKE_PIDS="$FAKE_PIDS $!"
for i in $(seq 50); do [ -S "$FAKE/.s.PGSQL.55472" ] && [ -S "$FAKE/.s.PGSQL.55473" ] && break; sleep 0.1; done

ctl() { pgc_psql A -d ctl "$@"; }
as() { local role=$1; shift; pgc_psql A -d ctl -U "$role" "$@"; }
# SQLSTATE of what a statement raises as a role
state_as() { pgc_psql A -d ctl -U "$1" -v VERBOSITY=sqlstate -c "$2" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1; }
pgc_psql A -c "CREATE DATABASE ctl" >/dev/null && ctl -c "CREATE EXTENSION tenancy" >/dev/null || { bad "control database"; finish; }
ctl -c "SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id int);', NULL, 'tenants')" >/dev/null
pgc_psql A -c "CREATE ROLE mallory LOGIN" >/dev/null
# mallory may register tenants and query them: the documented capability
# (tenancy.grant_capability, SECURITY.md) or, before 1.3, what the README advised
if ctl -c "SELECT 'tenancy.grant_capability'::regproc" >/dev/null 2>&1; then
	ctl -c "SELECT tenancy.grant_capability('mallory', 'admin')" >/dev/null
else
	ctl -c "GRANT EXECUTE ON FUNCTION tenant_register(text, text, text), tenant_query_all(text, int), tenants() TO mallory" \
		-c "GRANT USAGE ON SCHEMA tenancy TO mallory" -c "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA tenancy TO mallory" >/dev/null
fi

# ---- finding 1: a non-superuser borrows the server's passfile ----
LOC_SUPER="host=$B_SOCK port=$B_PORT user=bsuper dbname=bdb passfile=$PASSFILE"
as mallory -c "SELECT tenant_register('f1super', '$LOC_SUPER')" >"$OUT/f1.out" 2>&1
ctl -c "INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('f1row', '$LOC_SUPER', 'bdb') ON CONFLICT DO NOTHING" >/dev/null
got=$(as mallory -c "SELECT \"row\"->>'u' FROM tenant_query_all('SELECT current_user AS u')" 2>>"$OUT/f1.out")
absent "1: a non-superuser's location cannot name the server's passfile (no session as bsuper)" "bsuper" "$got"
ctl -c "DELETE FROM tenancy.tenants WHERE name IN ('f1super', 'f1row')" >/dev/null
ctl -c "INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('f1fake', 'host=$FAKE port=55472 user=anyone passfile=$PASSFILE', 'x')" >/dev/null
as mallory -c "SELECT * FROM tenant_query_all('SELECT 1')" >>"$OUT/f1.out" 2>&1
absent "1: a fake server asking for a cleartext password gets nothing from the server's passfile" "AdminSecretPw" "$(cat "$OUT/cleartext.log")"
# without passfile=: the server OS user's default ~/.pgpass
ctl -c "UPDATE tenancy.tenants SET location = 'host=$FAKE port=55472 user=anyone service=nosuch' WHERE name = 'f1fake'" >/dev/null
check "1: service= refused for a non-superuser (42501)" \
	"$(state_as mallory "SELECT tenant_register('f1svc', 'host=$B_SOCK port=$B_PORT service=x')")" "42501"
check "1: sslkey= refused for a non-superuser (42501)" \
	"$(state_as mallory "SELECT tenant_register('f1ssl', 'host=$B_SOCK port=$B_PORT sslkey=/etc/ssl/private/ssl-cert-snakeoil.key')")" "42501"
ctl -c "DELETE FROM tenancy.tenants WHERE name = 'f1fake'" >/dev/null
# with its own user mapping (1.3), the same role reaches B as itself, and only as itself
if ctl -c "SELECT 1 FROM pg_foreign_data_wrapper WHERE fdwname = 'tenancy_fdw'" | grep -q 1; then
	ctl -c "CREATE SERVER IF NOT EXISTS tenancy FOREIGN DATA WRAPPER tenancy_fdw" -c "GRANT USAGE ON FOREIGN SERVER tenancy TO mallory" >/dev/null
	as mallory -c "CREATE USER MAPPING FOR CURRENT_USER SERVER tenancy OPTIONS (user 'mallory', password 'MalloryPw7')" >/dev/null
fi
ctl -c "INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('f1own', 'host=$B_SOCK port=$B_PORT user=bsuper', 'bdb')" >/dev/null
check "1: with its own user mapping a non-superuser connects, as the mapping's user" \
	"$(as mallory -c "SELECT \"row\"->>'u' FROM tenant_query_all('SELECT current_user AS u')" 2>>"$OUT/f1.out")" "mallory"
ctl -c "DELETE FROM tenancy.tenants WHERE name = 'f1own'" >/dev/null

# ---- finding 6: tenancy.* settings are defined; self_conninfo is superuser-only ----
check "6: a non-superuser cannot SET tenancy.self_conninfo (42501)" \
	"$(as mallory -v VERBOSITY=sqlstate -c "SELECT count(*) FROM tenants()" -c "SET tenancy.self_conninfo = 'host=$B_SOCK port=$B_PORT user=postgres'" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1)" "42501"
check "6: a value SET before the module loaded is dropped for a non-superuser" \
	"$(as mallory -c "SET tenancy.self_conninfo = 'host=$B_SOCK port=$B_PORT user=postgres'" -c "SELECT count(*) >= 0 FROM tenants()" -c "SELECT current_setting('tenancy.self_conninfo')" 2>/dev/null | tail -1)" ""
check "6: a misspelt tenancy.* setting is an error (42602), not a placeholder" \
	"$(ctl -v VERBOSITY=sqlstate -c "SELECT count(*) FROM tenants()" -c "SET tenancy.self_connifo = 'x'" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1)" "42602"

# the rollback of tenant_create connects exactly as its forward path did
pgc_psql B -c "CREATE DATABASE bvictim6" >/dev/null
ctl -c "BEGIN" -c "SELECT tenant_create('bvictim6')" -c "SET tenancy.self_conninfo = 'host=$B_SOCK port=$B_PORT user=postgres'" -c "ROLLBACK" >/dev/null 2>&1
sleep 1.5
check "6: a self_conninfo SET after tenant_create does not redirect its rollback (B's database survives, A's clone is dropped)" \
	"$(pgc_psql B -c "SELECT count(*) FROM pg_database WHERE datname = 'bvictim6'")$(pgc_psql A -c "SELECT count(*) FROM pg_database WHERE datname = 'bvictim6'")" "10"
ctl -c "BEGIN" -c "SELECT tenant_create('orphan1', 'port=$A_PORT')" -c "ROLLBACK" >/dev/null 2>&1
sleep 1.5
check "6: tenant_create with a partial location ('port=...') + ROLLBACK leaves no database behind" \
	"$(pgc_psql A -c "SELECT count(*) FROM pg_database WHERE datname = 'orphan1'")" "0"

# ---- finding 9: settings are values, never spliced into libpq options ----
ctl -c "INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('b9', 'host=$B_SOCK port=$B_PORT', 'bdb')" >/dev/null
check "9: tenancy.lock_timeout with '-c ...' appended is refused (22023)" \
	"$(ctl -v VERBOSITY=sqlstate -c "SELECT count(*) FROM tenants()" -c "SET tenancy.lock_timeout = '30000 -c search_path=injected'" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1)" "22023"
got=$(ctl -v ON_ERROR_STOP=0 -c "SET tenancy.statement_timeout = '0 -c search_path=injected'" \
	-c "SELECT \"row\" FROM tenant_query_all('SELECT current_setting(''search_path'') AS p')" 2>/dev/null)
absent "9: nothing from a setting reaches a tenant session's search_path" "injected" "$got"
check "9: a timeout with a unit is accepted and passed as a number" \
	"$(ctl -c "SET tenancy.lock_timeout = '2s'" -c "SELECT \"row\"->>'t' FROM tenant_query_all('SELECT current_setting(''lock_timeout'') AS t')")" "2s"
ctl -c "DELETE FROM tenancy.tenants WHERE name = 'b9'" >/dev/null

# ---- finding 10: a malformed location's password is never echoed ----
err=$(ctl -c "SELECT tenant_register('x10', 'postgresql://bob:Hunter2%ZZsecret@localhost/db')" 2>&1)
absent "10: a malformed URI's password is not in the error" "Hunter2" "$err"
check "10: ... which is still refused (22023)" \
	"$(ctl -v VERBOSITY=sqlstate -c "SELECT tenant_register('x10', 'postgresql://bob:Hunter2%ZZsecret@localhost/db')" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1)" "22023"
err=$(ctl -c "SET tenancy.self_conninfo = 'postgresql://bob:Hunter3%ZZsecret@localhost/db'" 2>&1)
absent "10: nor in the error of a bad tenancy.self_conninfo" "Hunter3" "$err"
sleep 0.3
absent "10: nor in the server log (other than the caller's own STATEMENT lines)" "Hunter" \
	"$(grep -v 'STATEMENT:' "$A_DIR/server.log")"

# ---- finding 7: cancel and terminate stop a call whose tenant never answers ----
ctl -c "INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('hung', 'host=$FAKE port=55473', 'x')" >/dev/null
# start tenant_query_all in the background; wait until it is waiting on the fake server
hung_call() {
	timeout 30 "$PG_BIN/psql" -X -q -h "$A_SOCK" -p "$A_PORT" -U postgres -d ctl -c "SET application_name = 'f7'" \
		-c "SELECT * FROM tenant_query_all('SELECT 1')" >/dev/null 2>&1 &
	CALL_PID=$!
	for i in $(seq 100); do
		[ "$(pgc_psql A -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'f7' AND state = 'active'")" = 1 ] &&
			grep -q login "$OUT/hang.log" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.5
}
# seconds (ms precision) until no f7 backend is active any more after the signal
stop_time() {
	local fn=$1 t0 t1
	t0=$(date +%s%N)
	pgc_psql A -c "SELECT $fn(pid) FROM pg_stat_activity WHERE application_name = 'f7'" >/dev/null
	for i in $(seq 60); do
		[ "$(pgc_psql A -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'f7' AND state = 'active'")" = 0 ] && break
		sleep 0.05
	done
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 ))
}
hung_call
ms=$(stop_time pg_cancel_backend)
if [ "$ms" -lt 1000 ]; then ok "7: pg_cancel_backend stops a call on a never-answering server in ${ms} ms (< 1 s)"
else bad "7: pg_cancel_backend stops a call on a never-answering server within 1 s (took ${ms} ms)"; fi
pgc_psql A -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'f7'" >/dev/null
wait "$CALL_PID"
hung_call
ms=$(stop_time pg_terminate_backend)
if [ "$ms" -lt 1000 ]; then ok "7: pg_terminate_backend ends it in ${ms} ms (< 1 s)"
else bad "7: pg_terminate_backend ends it within 1 s (took ${ms} ms)"; fi
wait "$CALL_PID"
# a backend stuck before the fix is ended the hard way, so the rest can run
pgc_psql A -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'f7'" >/dev/null
ctl -c "DELETE FROM tenancy.tenants WHERE name = 'hung'" >/dev/null

# ---- finding 2: registry tables are written by tenancy's functions only; the fan-out
# calls only the tenancy extension's functions in a tenant ----
pgc_psql A -c "CREATE ROLE owner2 LOGIN" -c "CREATE DATABASE f2db OWNER owner2" >/dev/null
pgc_psql A -d f2db -U owner2 -c "CREATE SCHEMA tenancy" -c "CREATE FUNCTION tenancy.migrate_synced(text, text, text, text)
	RETURNS TABLE (from_version text, to_version text, applied bigint, error text) LANGUAGE plpgsql AS
	\$\$ BEGIN EXECUTE 'ALTER ROLE owner2 SUPERUSER'; RETURN QUERY SELECT NULL::text, NULL::text, 0::bigint, NULL::text; END \$\$" >/dev/null
# a row that got there somehow (1.2 let a granted role INSERT it)
ctl -c "INSERT INTO tenancy.tenants (name, dbname) VALUES ('f2', 'f2db')" >/dev/null
ctl -c "SELECT tenant, status, sqlstate FROM tenant_migrate_all()" >"$OUT/f2.out" 2>&1
check "2: a tenant database owner's fake tenancy.migrate_synced is not called by the fan-out" \
	"$(pgc_psql A -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'owner2'")" "f"
check "2: ... the tenant is reported failed (42501)" "$(grep -c '^f2|failed|42501' "$OUT/f2.out")" "1"
ctl -c "DELETE FROM tenancy.tenants WHERE name = 'f2'" >/dev/null
check "2: a role with the admin capability cannot INSERT into tenancy.tenants directly (42501)" \
	"$(state_as mallory "INSERT INTO tenancy.tenants (name, dbname) VALUES ('direct', 'postgres')")" "42501"
check "2: a URI password cannot be stored in tenancy.tenants even by a direct INSERT (23514)" \
	"$(ctl -v VERBOSITY=sqlstate -c "INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('uri', 'postgresql://u:Secr3tUri@localhost/db', 'db')" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1)" "23514"

# ---- finding 8: every tenant of tenant_query_all gets its own READ ONLY transaction ----
ctl -c "SELECT tenant_create('s8a', NULL, 'schema')" -c "SELECT tenant_create('s8b', NULL, 'schema')" >/dev/null
Q8="SELECT CASE WHEN pg_catalog.current_setting('default_transaction_read_only') = 'on'
	THEN pg_catalog.set_config('default_transaction_read_only', 'off', false)
	ELSE pg_catalog.lo_from_bytea(0, '\\x41'::bytea)::text END AS x"
ctl -c "SELECT * FROM tenant_query_all(\$q\$$Q8\$q\$, 1)" >"$OUT/f8.out" 2>&1
check "8: a query that turns the session read-write cannot write in the next schema tenant of the same session" \
	"$(ctl -c "SELECT count(*) FROM pg_largeobject_metadata")" "0"
ctl -c "SELECT tenant_drop('s8a', 'delete')" -c "SELECT tenant_drop('s8b', 'delete')" >/dev/null 2>&1

# ---- finding 3: adopting a schema never reads tracking "tables" its owner made ----
pgc_psql A -c "CREATE ROLE owner3 LOGIN" >/dev/null
ctl -c "CREATE SCHEMA initech AUTHORIZATION owner3" >/dev/null
pgc_psql A -d ctl -U owner3 -c "CREATE FUNCTION initech.evil() RETURNS boolean LANGUAGE plpgsql AS
	\$\$ BEGIN EXECUTE 'ALTER ROLE owner3 SUPERUSER'; RETURN false; END \$\$" \
	-c "CREATE VIEW initech.tenancy_catalog AS SELECT NULL::text AS version, NULL::text AS name, NULL::text AS up_sql,
	NULL::text AS down_sql, NULL::text AS checksum, 0::bigint AS flags, NULL::text AS source, now() AS added_at WHERE initech.evil()" >/dev/null
# (1.4, issue 14: a schema tenant's tracking rows are in tenancy.schema_*; its own tenancy_* are never read)
check "3: adopting a schema whose tenancy_catalog is its owner's view never reads the view" \
	"$(state_as postgres "SELECT tenant_register('initech', NULL, 'schema')")" ""
check "3: ... and the owner's function did not run as the caller" \
	"$(pgc_psql A -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'owner3'")" "f"

# ---- finding 5: a fan-out runs the tenant set only; bodies are re-hashed before they run ----
pgc_psql A -c "CREATE ROLE app5 NOLOGIN" >/dev/null
ctl -c "SELECT tenant_create('t5')" >/dev/null
# someone with migrator rights inside the tenant adds a version of its own
pgc_psql A -d t5 -c "SELECT tenant_migration_add('4', 'x', 'ALTER ROLE app5 SUPERUSER')" >/dev/null
# the administrator adds a set version, so t5 is behind and the next fan-out reaches it
ctl -c "SELECT tenant_migration_add('3', 'three', 'CREATE TABLE three5 (id int);', NULL, 'tenants')" >/dev/null
ctl -c "SELECT tenant, status, error FROM tenant_migrate_all()" >"$OUT/f5.out" 2>&1
check "5: the administrator's fan-out does not run a tenant-local pending version" \
	"$(pgc_psql A -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'app5'")" "f"
check "5: ... it reports the tenant failed, naming the version" \
	"$(grep -c "^t5|failed|pending migration \"4\" of this tenant is not in the tenant set" "$OUT/f5.out")" "1"
ctl -c "SELECT tenant_migration_add('2', 'two', 'CREATE TABLE two5 (id int);')" >/dev/null
ctl -c "UPDATE tenancy.catalog SET up_sql = 'ALTER ROLE app5 SUPERUSER' WHERE version = '2'" >/dev/null
check "5: a catalog body rewritten behind tenancy's back is refused (TN001), not run" \
	"$(ctl -v VERBOSITY=sqlstate -c "SELECT tenant_migrate()" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1)|$(pgc_psql A -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'app5'")" "TN001|f"

# ---- finding 4: a fan-out's bodies run as the tenant's owner, in trusted schemas only ----
pgc_psql A -c "CREATE ROLE r4 LOGIN" -c "CREATE ROLE owner4 LOGIN" -c "CREATE DATABASE t4db OWNER owner4" >/dev/null
ctl -c "SELECT tenant_create('globex', NULL, 'schema')" -c "GRANT USAGE, CREATE ON SCHEMA globex TO r4" >/dev/null
pgc_psql A -d ctl -U r4 -c "CREATE FUNCTION globex.lower(text) RETURNS text LANGUAGE plpgsql AS
	\$\$ BEGIN EXECUTE 'ALTER ROLE r4 SUPERUSER'; RETURN \$1; END \$\$" >/dev/null
ctl -c "SELECT tenant_register('t4', 'dbname=t4db')" >/dev/null
pgc_psql A -d t4db -U owner4 -c "CREATE SCHEMA evil4" -c "CREATE FUNCTION evil4.lower(text) RETURNS text LANGUAGE plpgsql AS
	\$\$ BEGIN EXECUTE 'ALTER ROLE owner4 SUPERUSER'; RETURN \$1; END \$\$" -c "ALTER DATABASE t4db SET search_path = evil4, pg_catalog, public" >/dev/null
ctl -c "SELECT tenant_migration_add('6', 'lower', 'SELECT lower(''X'');', NULL, 'tenants')" >/dev/null
ctl -c "SELECT tenant, status, error FROM tenant_migrate_all()" >"$OUT/f4.out" 2>&1
check "4: a role with CREATE in a schema tenant cannot shadow lower() for the administrator's fan-out" \
	"$(pgc_psql A -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'r4'")" "f"
check "4: ... the schema tenant is refused: its search_path has an untrusted schema" \
	"$(grep -c 'schema "globex" of the search_path of the tenant.s migrations is not trusted' "$OUT/f4.out")" "1"
check "4: a tenant database owner's ALTER DATABASE ... SET search_path runs nothing with the caller's rights" \
	"$(pgc_psql A -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'owner4'")" "f"

# ---- sweep: a role holding exactly one capability tries the escalations above ----
if ctl -c "SELECT 'tenancy.grant_capability'::regproc" >/dev/null 2>&1; then
	for cap in reader migrator admin; do
		r=sw_$cap
		pgc_psql A -c "CREATE ROLE $r LOGIN" >/dev/null
		ctl -c "SELECT tenancy.grant_capability('$r', '$cap')" >/dev/null
		refused=0
		for setting in self_conninfo test_atomic_pause; do
			[ "$(pgc_psql A -d ctl -U $r -v VERBOSITY=sqlstate -c "SELECT count(*) FROM tenancy.capabilities()" \
				-c "SET tenancy.$setting = 'host=$B_SOCK port=$B_PORT user=postgres'" 2>&1 >/dev/null |
				sed -n 's/^ERROR: *//p' | tail -1)" = 42501 ] && refused=$((refused + 1))
		done
		# (tenancy.capabilities() is not granted: the first -c fails, loading the module is enough)
		check "sweep $cap: no tenancy.* setting that redirects connections can be set" "$refused" "2"
		wrote=0
		for t in tenants audit runs run_tenants set_catalog set_applied set_history set_checkpoints; do
			pgc_psql A -d ctl -U $r -c "INSERT INTO tenancy.$t DEFAULT VALUES" >/dev/null 2>&1 && wrote=$((wrote + 1))
			pgc_psql A -d ctl -U $r -c "DELETE FROM tenancy.$t" >/dev/null 2>&1 && wrote=$((wrote + 1))
		done
		# (a migrator writes this database's own tracking tables by design: SECURITY.md, known limit)
		check "sweep $cap: no registry or tenant-set table is writable directly" "$wrote" "0"
		check "sweep $cap: a location naming the server's passfile is refused (42501)" \
			"$(state_as $r "SELECT tenant_register('sw_$cap', '$LOC_SUPER')")" "42501"
		pgc_psql A -d ctl -U $r -c "CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql AS 'SELECT ''x''::text'" >/dev/null 2>&1
		check "sweep $cap: cannot shadow functions in public (PostgreSQL 15: no CREATE there)" \
			"$(ctl -c "SELECT count(*) FROM pg_proc WHERE proname = 'lower' AND pronamespace = 'public'::regnamespace")" "0"
		check "sweep $cap: ends without superuser" "$(pgc_psql A -c "SELECT rolsuper FROM pg_roles WHERE rolname = '$r'")" "f"
	done
fi

# ---- finding 11: tenant_query_all holds at most tenancy.query_max_bytes ----
check "11: a result over tenancy.query_max_bytes fails the call (54000) instead of filling memory" \
	"$(ctl -v VERBOSITY=sqlstate -c "SET tenancy.query_max_bytes = '1MB'" \
		-c "SELECT count(*) FROM tenant_query_all('SELECT pg_catalog.repeat(''x'', 100000) AS x FROM pg_catalog.generate_series(1, 200)')" 2>&1 >/dev/null |
		sed -n 's/^ERROR: *//p' | head -1)" "54000"
check "11: ... and a result under it is unchanged" \
	"$(ctl -c "SET tenancy.query_max_bytes = '1MB'" -c "SELECT count(*) FROM tenant_query_all('SELECT 1 AS one FROM pg_catalog.generate_series(1, 3)') WHERE tenant = 't4'")" "3"

# ---- finding 11: a role without a capability cannot hold the run lock ----
pgc_psql A -c "CREATE ROLE lk LOGIN" >/dev/null
( pgc_psql A -d ctl -U lk -c "SELECT pg_advisory_lock(1952804449, 2)" -c "SELECT pg_sleep(4)" >/dev/null 2>&1 ) &
LK_PID=$!
sleep 0.7
check "11: an unprivileged role holding tenancy's old advisory key does not block a run" \
	"$(ctl -v VERBOSITY=sqlstate -c "SET lock_timeout = '500ms'" -c "SELECT count(*) >= 0 FROM tenant_migrate_all()" 2>&1 | sed -n 's/^ERROR: *//p;s/^t$/ran/p' | head -1)" "ran"
check "11: ... nor can it take the run lock of 1.3 (42501)" \
	"$(state_as lk "BEGIN; LOCK TABLE tenancy.lock_runs IN EXCLUSIVE MODE; COMMIT")" "42501"
wait "$LK_PID"

finish
