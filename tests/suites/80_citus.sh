#!/usr/bin/env bash
# 80_citus.sh -- schema tenants on a real Citus coordinator with two workers (issue 13,
# README "Scaling out with Citus"): 20 schema tenants created distributed (by the
# sharding setting, by placement 'distributed', on a named worker), a migration set
# whose later versions create tables with foreign keys, every table of every tenant
# checked with citus_tables / citus_schemas / citus_shards to be a colocated schema
# table on one worker, one tenant moved with tenant_move and one with Citus's own
# citus_schema_move before migrating again, one tenant's failing migration rolled
# back on its worker (its error naming the user's table, not the shard), referential
# integrity on the workers, the half-distributed state found by tenant_verify_all and
# repaired, atomic runs refused before anything is prepared, and bad placements.
# Ports 55560-55562 (TN_CITUS_PORT).  Ends with "N passed, N failed".
#
# Skipped ("skipped: Citus not built", 0 failed) only when Citus cannot be built here:
# no sources in ../shared/vendor or not root.  With the sources and root, a missing
# Citus is a failure (.ci/run builds it with tools/build-citus.sh first).
# Must not: count setup as a check, or leave a cluster running (pgc_cleanup).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/lib/citus_cluster.sh
OUT=$ROOT/tests/out/citus
rm -rf "$OUT"; mkdir -p "$OUT"
. tests/lib/suite_count.sh

if ! citus_available; then
	if [ -f "$ROOT/../shared/vendor/citus-13.0.5.tar.gz" ] && [ "$(id -u)" -eq 0 ]; then
		bad "Citus is not installed although its sources are beside the checkout (run tools/build-citus.sh)"
		finish
	fi
	echo "skipped: Citus not built"
	finish
fi
if make -C pg_ext >"$OUT/build.log" 2>&1 && make -C pg_ext install >>"$OUT/build.log" 2>&1; then :; else
	tail -30 "$OUT/build.log"; bad "build and install pg_ext"; finish
fi
PORT=${TN_CITUS_PORT:-55560}
citus_start "$PORT" C W1 W2 || { bad "start a coordinator and two workers"; finish; }
trap pgc_cleanup EXIT
N1=$(citus_node W1); N2=$(citus_node W2); NC=$(citus_node C)

cq() { pgc_psql C "$@"; }
# SQLSTATE and message of what a statement raises on the coordinator
err_of() { pgc_psql C -v VERBOSITY=default -c "$1" 2>&1 >/dev/null | head -5; }
state_of() { pgc_psql C -v VERBOSITY=sqlstate -c "$1" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1; }
add() { cq -c "SELECT tenant_migration_add('$1', '$2', \$m\$$3\$m\$, \$m\$$4\$m\$, 'tenants')" >/dev/null; }
TENANTS="t01 t02 t03 t04 t05 t06 t07 t08 t09 t10 t11 t12 t13 t14 t15 t16 t17 t18 t19 t20"
IN_LIST="'t01','t02','t03','t04','t05','t06','t07','t08','t09','t10','t11','t12','t13','t14','t15','t16','t17','t18','t19','t20'"

cq -c "SET client_min_messages = warning" -c "CREATE EXTENSION tenancy" >/dev/null || { bad "CREATE EXTENSION tenancy"; finish; }
add 1 customers "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);" "DROP TABLE customers;"

# ---- 20 schema tenants, created distributed three ways ----
{
	echo "SET citus.enable_schema_based_sharding = on;"
	for t in t01 t02 t03 t04 t05 t06 t07 t08 t09 t10; do echo "SELECT tenant_create('$t', NULL, 'schema');"; done
	echo "RESET citus.enable_schema_based_sharding;"
	for t in t11 t12 t13 t14 t15 t16 t17 t18; do echo "SELECT tenant_create('$t', NULL, 'schema', 'distributed');"; done
	echo "SELECT tenant_create('t19', NULL, 'schema', '$N1');"
	echo "SELECT tenant_create('t20', NULL, 'schema', '$N2');"
} >"$OUT/create.sql"
cq -f "$OUT/create.sql" >"$OUT/create.out" 2>&1 || { cat "$OUT/create.out"; bad "create 20 schema tenants"; finish; }
check_eq "20 schema tenants are distributed schemas (citus_schemas)" \
	"$(cq -c "SELECT count(*) FROM citus_schemas WHERE schema_name::text IN ($IN_LIST)")" "20"
check_eq "placement: t19 lives on the first worker, t20 on the second (tenant_placements)" \
	"$(cq -c "SELECT string_agg(name || ' ' || state || ' ' || node, ', ' ORDER BY name) FROM tenant_placements() WHERE name IN ('t19', 't20')")" \
	"t19 distributed $N1, t20 distributed $N2"
check_eq "a schema tenant without the setting or a placement stays local" \
	"$(cq -c "SELECT tenant_create('plain', NULL, 'schema')" -c "SELECT state FROM tenant_placements() WHERE name = 'plain'")" $'plain\nlocal'

# ---- later versions create tables with foreign keys ----
add 2 orders "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id) ON DELETE CASCADE, total numeric NOT NULL);" "DROP TABLE orders;"
add 3 invoices "CREATE TABLE invoices (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders (id) ON DELETE RESTRICT, amount numeric);
CREATE INDEX invoices_order ON invoices (order_id);" "DROP TABLE invoices;"
add 4 notes "ALTER TABLE customers ADD COLUMN email text;
CREATE TABLE notes (id int PRIMARY KEY, customer_id int REFERENCES customers (id) ON DELETE CASCADE, body text);" "DROP TABLE notes; ALTER TABLE customers DROP COLUMN email;"
check_eq "tenant_migrate_all brings all 21 to version 4" \
	"$(cq -c "SELECT count(*) FILTER (WHERE status = 'applied') || ' ' || count(*) FROM tenant_migrate_all()" 2>>"$OUT/notices.log")" "21 21"

# every table of every tenant: a schema table of its schema's colocation group, on one worker
check_eq "every table of every tenant (4 each; tenancy tracks schema tenants in its own tables) is a schema table (citus_tables)" \
	"$(cq -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	            WHERE n.nspname IN ($IN_LIST) AND c.relkind IN ('r', 'p')")/$(cq -c "SELECT count(*) FROM citus_tables t
	            JOIN pg_class c ON c.oid = t.table_name JOIN pg_namespace n ON n.oid = c.relnamespace
	            WHERE n.nspname IN ($IN_LIST) AND t.citus_table_type = 'schema'")" "80/80"
check_eq "each tenant's tables share its schema's colocation group (citus_schemas)" \
	"$(cq -c "SELECT count(*) FROM citus_tables t JOIN pg_class c ON c.oid = t.table_name
	            JOIN pg_namespace n ON n.oid = c.relnamespace JOIN citus_schemas s ON s.schema_name::text = n.nspname
	            WHERE n.nspname IN ($IN_LIST) AND t.colocation_id <> s.colocation_id")" "0"
check_eq "each tenant's shards are on exactly one node, a worker (citus_shards)" \
	"$(cq -c "SELECT count(*) FROM (SELECT n.nspname, count(DISTINCT sh.nodename || sh.nodeport) AS nodes,
	            bool_or(sh.nodename || ':' || sh.nodeport = '$NC') AS on_coordinator
	            FROM citus_shards sh JOIN pg_class c ON c.oid = sh.table_name JOIN pg_namespace n ON n.oid = c.relnamespace
	            WHERE n.nspname IN ($IN_LIST) GROUP BY 1) x WHERE nodes = 1 AND NOT on_coordinator")" "20"
check_eq "both workers hold schema tenants" \
	"$(cq -c "SELECT count(DISTINCT node) FROM tenant_placements() WHERE state = 'distributed'")" "2"
check_eq "the plain (local) tenant's tables stay local" \
	"$(cq -c "SELECT count(*) FROM citus_tables t JOIN pg_class c ON c.oid = t.table_name
	            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'plain'")" "0"
check_eq "the workers hold the shards: t19's orders shard on the first worker has its foreign key" \
	"$(pgc_psql W1 -c "SET citus.override_table_visibility = off" -c "SELECT count(*) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
	            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 't19' AND k.contype = 'f'
	            AND c.relname LIKE 'orders\_%'")" "1"
check_eq "tenant_verify_all: 21 ok" \
	"$(cq -c "SELECT count(*) FILTER (WHERE status = 'ok') FROM tenant_verify_all()")" "21"

# ---- moves: tenant_move, and Citus's own citus_schema_move ----
check_eq "tenant_move moves t19 to the second worker and says where it lives" \
	"$(cq -c "SELECT tenant_move('t19', '$N2')")" "$N2"
cq -c "SELECT citus_schema_move('t20', '$(cut -d: -f1 <<<"$N1")', $((PORT + 1)))" >"$OUT/move.out" 2>&1 ||
	{ cat "$OUT/move.out"; bad "citus_schema_move t20"; }
check_eq "tenant_placements follows both moves (read from Citus each time)" \
	"$(cq -c "SELECT string_agg(name || ' ' || node, ', ' ORDER BY name) FROM tenant_placements() WHERE name IN ('t19', 't20')")" \
	"t19 $N2, t20 $N1"
add 5 payments "CREATE TABLE payments (id int PRIMARY KEY, invoice_id int REFERENCES invoices (id) ON DELETE CASCADE, paid numeric);" "DROP TABLE payments;"
check_eq "after the moves tenant_migrate_all brings all 21 to version 5" \
	"$(cq -c "SELECT count(*) FILTER (WHERE status = 'applied' AND to_version = '5') FROM tenant_migrate_all()" 2>>"$OUT/notices.log")" "21"
check_eq "the moved tenants' new tables are on their new workers, in their groups" \
	"$(cq -c "SELECT string_agg(n.nspname || ' ' || sh.nodename || ':' || sh.nodeport, ', ' ORDER BY n.nspname)
	            FROM citus_shards sh JOIN pg_class c ON c.oid = sh.table_name JOIN pg_namespace n ON n.oid = c.relnamespace
	            JOIN citus_schemas s ON s.schema_name::text = n.nspname JOIN citus_tables t ON t.table_name = sh.table_name
	            WHERE c.relname = 'payments' AND n.nspname IN ('t19', 't20') AND t.colocation_id = s.colocation_id")" \
	"t19 $N2, t20 $N1"

# ---- referential integrity on the workers ----
cq -c "INSERT INTO t03.customers (id, name) VALUES (1, 'ann'), (2, 'bob')" \
	-c "INSERT INTO t03.orders VALUES (10, 1, 5), (20, 2, 7)" -c "INSERT INTO t03.invoices VALUES (100, 10, 5)" >/dev/null
check_eq "a delete of an invoiced order fails (ON DELETE RESTRICT, enforced on the worker)" \
	"$(state_of "DELETE FROM t03.orders WHERE id = 10")" "23503"
W03=$(cq -c "SELECT node FROM tenant_placements() WHERE name = 't03'")
WN=W1; [ "$W03" = "$N2" ] && WN=W2
SHARD=$(cq -c "SELECT shard_name FROM citus_shards WHERE table_name = 't03.orders'::regclass")
check_eq "on the worker itself, a delete from the orders shard fails the same way" \
	"$(pgc_psql "$WN" -v VERBOSITY=sqlstate -c "DELETE FROM $SHARD WHERE id = 10" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p')" "23503"
check_eq "a delete of a customer cascades to its orders (ON DELETE CASCADE)" \
	"$(cq -c "DELETE FROM t03.customers WHERE id = 2" -c "SELECT count(*) FROM t03.orders WHERE customer_id = 2")" "0"
check_eq "an order of no customer is refused (23503)" \
	"$(state_of "INSERT INTO t03.orders VALUES (30, 99, 1)")" "23503"

# ---- a failing migration is rolled back on the worker; its error names the user's table ----
cq -c "INSERT INTO t07.customers (id, name) VALUES (1, 'a name far too long for the rule')" >/dev/null
RAW=$(err_of "ALTER TABLE t07.customers ADD CONSTRAINT short_name CHECK (length(name) < 10)")
if grep -qE 'customers_[0-9]{5,}' <<<"$RAW"; then ok "Citus's own error names the shard (customers_<shardid>)"; else
	bad "Citus's own error names the shard (customers_<shardid>)"; echo "     got: $RAW"; fi
add 6 short_names "ALTER TABLE customers ADD CONSTRAINT short_name CHECK (length(name) < 10);" "ALTER TABLE customers DROP CONSTRAINT short_name;"
cq -c "SELECT tenant, status, to_version, error FROM tenant_migrate_all()" >"$OUT/migrate6.out" 2>>"$OUT/notices.log"
check_eq "version 6: 20 applied, t07 failed and stays at 5" \
	"$(cq -c "SELECT count(*) FILTER (WHERE state <> 'failed') || ' ' || string_agg(name || ' ' || state || ' ' || version, '' ) FILTER (WHERE state = 'failed') FROM tenants()")" \
	"20 t07 failed 5"
T07ERR=$(cq -c "SELECT last_error FROM tenancy.tenants WHERE name = 't07'")
if grep -q 'relation "customers"' <<<"$T07ERR" && ! grep -qE 'customers_[0-9]' <<<"$T07ERR"; then
	ok "t07's error names \"customers\", no shard name"; else bad "t07's error names \"customers\", no shard name"; echo "     got: $T07ERR"; fi
check_eq "rolled back on the worker: t07's customers shard has no short_name constraint" \
	"$(cq -c "SELECT result FROM run_command_on_placements('t07.customers', \$\$SELECT count(*) FROM pg_constraint WHERE starts_with(conname, 'short_name') AND conrelid = '%s'::regclass\$\$)")" "0"
check_eq "...while t08's has it" \
	"$(cq -c "SELECT result FROM run_command_on_placements('t08.customers', \$\$SELECT count(*) FROM pg_constraint WHERE starts_with(conname, 'short_name') AND conrelid = '%s'::regclass\$\$)")" "1"

# ---- atomic runs refuse distributed schemas before preparing anything ----
cq -c "UPDATE t07.customers SET name = 'short'" >/dev/null
add 7 more "CREATE TABLE tags (id int PRIMARY KEY);" "DROP TABLE tags;"
check_eq "tenant_migrate_all_atomic refuses a distributed schema tenant (0A000)" \
	"$(state_of "SELECT * FROM tenant_migrate_all_atomic()")" "0A000"
check_eq "...with the reason and the way out" \
	"$(err_of "SELECT * FROM tenant_migrate_all_atomic()" | grep -c -e 'is a distributed schema on Citus' -e 'Use tenant_migrate_all()')" "2"
check_eq "...and nothing was prepared or applied on any node" \
	"$(for n in C W1 W2; do pgc_psql $n -c "SELECT count(*) FROM pg_prepared_xacts"; done | tr '\n' ' ')$(cq -c "SELECT count(*) FROM tenants() WHERE version = '7'")" "0 0 0 0"

# ---- the half-distributed state: found, refused, repaired ----
# an application's PL/pgSQL creates a table in t05: Citus leaves it on the coordinator
cq -c "DO \$\$ BEGIN EXECUTE 'CREATE TABLE t05.stray (id int PRIMARY KEY)'; END \$\$" >/dev/null
check_eq "tenant_verify_all reports t05 half-distributed, naming the local table and the repair" \
	"$(cq -c "SELECT status || ' ' || problems || ': ' || detail FROM tenant_verify_all() WHERE tenant = 't05'")" \
	"problems 1: half-distributed on Citus: 1 table(s) local to the coordinator (stray); repair with tenant_distribute('t05')"
check_eq "a migration of t05 is refused while it is half-distributed" \
	"$(cq -c "SELECT status || ' ' || split_part(error, E'\n', 1) FROM tenant_migrate_all() WHERE tenant = 't05'" 2>>"$OUT/notices.log")" \
	"failed schema tenant \"t05\" is half-distributed"
check_eq "tenant_distribute repairs it (the stray table joins the group on t05's worker)" \
	"$(cq -c "SELECT tenant_distribute('t05') = node FROM tenant_placements() WHERE name = 't05'")/$(cq -c "SELECT t.citus_table_type FROM citus_tables t WHERE t.table_name = 't05.stray'::regclass")" "t/schema"
check_eq "after the repair t05 verifies ok and migrates to 7" \
	"$(cq -c "SELECT status FROM tenant_verify_all() WHERE tenant = 't05'")/$(cq -c "SELECT to_version FROM tenant_migrate_all() WHERE tenant = 't05'" 2>>"$OUT/notices.log")" "ok/7"
# the issue's own state: a schema Citus registered empty, its tables all local
cq -c "SET citus.enable_schema_based_sharding = on" -c "CREATE SCHEMA h1" >/dev/null
cq -c "DO \$\$ BEGIN EXECUTE 'CREATE TABLE h1.settings (k text PRIMARY KEY, v text)'; EXECUTE 'CREATE TABLE h1.events (id int PRIMARY KEY, k text REFERENCES h1.settings)'; END \$\$" \
	-c "INSERT INTO h1.settings VALUES ('a', '1')" -c "INSERT INTO h1.events VALUES (1, 'a')" >/dev/null
check_eq "h1 starts half-distributed with no table in its group" \
	"$(cq -c "SELECT state FROM tenancy.citus_where('h1')")/$(cq -c "SELECT count(*) FROM citus_tables WHERE table_name::text LIKE 'h1.%'")" "half-distributed/0"
check_eq "tenant_register of h1 completes it: every table a schema table, the data kept" \
	"$(cq -c "SELECT tenant_register('h1', NULL, 'schema')" -c "SELECT state FROM tenant_placements() WHERE name = 'h1'" \
		-c "SELECT count(*) FROM citus_tables WHERE table_name::text LIKE 'h1.%' AND citus_table_type = 'schema'" \
		-c "SELECT count(*) FROM h1.events JOIN h1.settings USING (k)")" $'h1\ndistributed\n2\n1'

# an existing local schema, registered with the setting on, is distributed with its data
cq -c "SET citus.enable_schema_based_sharding = off" -c "CREATE SCHEMA r1" -c "CREATE TABLE r1.items (id int PRIMARY KEY)" \
	-c "INSERT INTO r1.items VALUES (1), (2)" >/dev/null
check_eq "tenant_register with the setting on distributes an existing local schema, data kept" \
	"$(cq -c "SET citus.enable_schema_based_sharding = on" -c "SELECT tenant_register('r1', NULL, 'schema')" \
		-c "SELECT state FROM tenant_placements() WHERE name = 'r1'" -c "SELECT count(*) FROM r1.items")" $'r1\ndistributed\n2'
# a dry run converts inside its savepoint and leaves nothing behind, on the coordinator or a worker
add 8 dry "CREATE TABLE dry_probe (id int PRIMARY KEY, customer_id int REFERENCES customers (id));" "DROP TABLE dry_probe;"
check_eq "tenant_dry_run_all of a new table: would reach 8 everywhere" \
	"$(cq -c "SELECT count(*) FILTER (WHERE to_version = '8') FROM tenant_dry_run_all() WHERE tenant ~ '^t[0-9]+$'" 2>>"$OUT/notices.log")" "20"
check_eq "...and left no table, no Citus table and no shard behind" \
	"$(cq -c "SELECT count(*) FROM pg_class WHERE relname = 'dry_probe'")/$(cq -c "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE '%dry_probe'")/$(for n in W1 W2; do pgc_psql $n -c "SET citus.override_table_visibility = off" -c "SELECT count(*) FROM pg_class WHERE relname LIKE 'dry\_probe%'"; done | tr '\n' ' ')" "0/0/0 0 "

# ---- bad input: clear errors, nothing changed ----
check_eq "an unknown placement word is refused (22023)" "$(state_of "SELECT tenant_create('bad1', NULL, 'schema', 'somewhere')")" "22023"
check_eq "a placement for a database tenant is refused (22023)" "$(state_of "SELECT tenant_create('bad2', NULL, 'database', 'distributed')")" "22023"
check_eq "a node that is not in the cluster is refused (22023)" "$(state_of "SELECT tenant_create('bad3', NULL, 'schema', '/nowhere:5')")" "22023"
check_eq "...and nothing of them was created or registered" \
	"$(cq -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'bad_'")/$(cq -c "SELECT count(*) FROM tenancy.tenants WHERE name LIKE 'bad_'")" "0/0"
check_eq "tenant_move to something that is not a node is refused (22023)" "$(state_of "SELECT tenant_move('t01', 'distributed')")" "22023"
check_eq "tenant_distribute of an unknown tenant is refused (42704)" "$(state_of "SELECT tenant_distribute('nobody')")" "42704"
cq -c "CREATE DATABASE nocitus" >/dev/null
pgc_psql C -d nocitus -c "SET client_min_messages = warning" -c "CREATE EXTENSION tenancy" >/dev/null
check_eq "without the citus extension a placement asking for Citus is refused (0A000)" \
	"$(pgc_psql C -d nocitus -v VERBOSITY=sqlstate -c "SELECT tenant_create('x', NULL, 'schema', 'distributed')" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p')" "0A000"
check_eq "without the citus extension a schema tenant is made and migrated as before" \
	"$(pgc_psql C -d nocitus -c "SELECT tenant_migration_add('1', 'a', 'CREATE TABLE a (id int)', NULL, 'tenants')" \
		-c "SELECT tenant_create('x', NULL, 'schema')" -c "SELECT state FROM tenant_placements()" \
		-c "SELECT count(*) FROM pg_tables WHERE schemaname = 'x' AND tablename = 'a'")" $'1\nx\nlocal\n1'
finish
