#!/usr/bin/env bash
# bench/citus.sh -- schema tenants on Citus (issue 13): N schema tenants (default 200)
# created and migrated through a coordinator with two workers, next to the same on one
# PostgreSQL server without Citus.  Prints times and the ratio; never fails because of a
# timing.  Skipped (one line) when Citus is not installed (tools/build-citus.sh).
#
#   citus    coordinator + 2 workers (ports BENCH_CITUS_PORT.., default 55565-55567), each
#            a schema tenant distributed (citus.enable_schema_based_sharding = on): its
#            tracking tables and every table of the migrations colocated on one worker
#   single   one server (port +3), plain schema tenants
# Both: tenant_create of N tenants at an empty set (timed), then the 5 migrations below
# loaded and tenant_migrate_all(NULL, C) (timed; C = BENCH_CITUS_C, default 4), every
# tenant checked to reach version 5.
#   floor    on each: N plain schemas (distributed by the setting on Citus: Citus itself
#            converts the top-level CREATE TABLEs), the same 5 migrations sent by one psql
#            session, one transaction per schema, no tracking: what the engine itself costs.
#
# On this machine all four servers share 2 cores, so the run measures what distribution
# costs (a distributed transaction per tenant, shards created on the workers, DDL sent to
# them), not what it gains: scaling shows only with workers on machines of their own,
# where each worker runs its tenants' DDL and queries while the coordinator only routes.
# Env: BENCH_QUICK (ignored: N is 200 either way), BENCH_CITUS_TENANTS, BENCH_CITUS_C,
#      BENCH_PG_INSTALL=0 (use the installed pg_ext).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
. tests/lib/citus_cluster.sh
if ! citus_available; then
	echo "bench citus: skipped (Citus not installed; tools/build-citus.sh builds it)"
	exit 0
fi
N=${BENCH_CITUS_TENANTS:-200}
C=${BENCH_CITUS_C:-4}
PORT=${BENCH_CITUS_PORT:-55565}
die() { echo "bench citus: $*" >&2; exit 1; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
line() { printf '%-46s %12s %12s %7s\n' "$1" "$2" "$3" "$4"; }
if [ "${BENCH_PG_INSTALL:-1}" = 1 ]; then
	{ make -C pg_ext && make -C pg_ext install; } >/tmp/tenancy_citus_bench_build.log 2>&1 ||
		{ tail -20 /tmp/tenancy_citus_bench_build.log; die "pg_ext build failed"; }
fi
citus_start "$PORT" C W1 W2 || die "a coordinator and two workers did not start"
PGC_EXTRA_CONF="max_connections = 100"
pgc_start S $((PORT + 3)) || die "the single server did not start"
PGC_EXTRA_CONF=
trap pgc_cleanup EXIT

MIGS=$(mktemp)
cat >"$MIGS" <<'SQL'
SELECT tenant_migration_add('1', 'customers', 'CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());', NULL, 'tenants');
SELECT tenant_migration_add('2', 'orders', 'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE, total numeric NOT NULL); CREATE INDEX orders_customer ON orders (customer_id);', NULL, 'tenants');
SELECT tenant_migration_add('3', 'invoices', 'CREATE TABLE invoices (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id) ON DELETE RESTRICT, amount numeric, due date);', NULL, 'tenants');
SELECT tenant_migration_add('4', 'defaults', 'CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL); INSERT INTO settings VALUES (''currency'', ''EUR''), (''locale'', ''en''), (''timezone'', ''UTC'');', NULL, 'tenants');
SELECT tenant_migration_add('5', 'columns', 'ALTER TABLE customers ADD COLUMN email text; ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT ''open''; CREATE INDEX orders_status ON orders (status);', NULL, 'tenants');
SQL
chmod a+r "$MIGS"
# the floor's SQL: the same 5 bodies, as plain statements
FLOOR_SQL=$(mktemp); FLOOR_SCRIPT=$(mktemp)
cat >"$FLOOR_SQL" <<'SQL'
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE, total numeric NOT NULL); CREATE INDEX orders_customer ON orders (customer_id);
CREATE TABLE invoices (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id) ON DELETE RESTRICT, amount numeric, due date);
CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL); INSERT INTO settings VALUES ('currency', 'EUR'), ('locale', 'en'), ('timezone', 'UTC');
ALTER TABLE customers ADD COLUMN email text; ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'open'; CREATE INDEX orders_status ON orders (status);
SQL
chmod a+r "$FLOOR_SQL" "$FLOOR_SCRIPT"

# run NAME: prints "create_ms migrate_ms"
run() {
	local n=$1 setting=$2 t0 tc tm i
	pgc_psql "$n" -c "SET client_min_messages = warning" -c "CREATE EXTENSION tenancy" >/dev/null || die "CREATE EXTENSION on $n"
	t0=$(now_ms)
	{ echo "SET client_min_messages = warning;"; echo "$setting"
	  for ((i = 0; i < N; i++)); do echo "SELECT tenant_create('s$i', NULL, 'schema');"; done; } |
		pgc_psql "$n" >/dev/null || die "tenant_create on $n"
	tc=$(($(now_ms) - t0))
	pgc_psql "$n" -f "$MIGS" >/dev/null || die "loading the migrations on $n"
	t0=$(now_ms)
	pgc_psql "$n" -c "SET client_min_messages = warning" -c "SELECT count(*) FROM tenant_migrate_all(NULL, $C)" >/dev/null ||
		die "tenant_migrate_all on $n"
	tm=$(($(now_ms) - t0))
	[ "$(pgc_psql "$n" -c "SELECT count(*) FROM tenants() WHERE version = '5'")" = "$N" ] || die "not every tenant reached version 5 on $n"
	echo "$tc $tm"
}
# floor NAME SETTING: prints "floor_ms"
floor() {
	local n=$1 setting=$2 t0 i
	{ echo "SET client_min_messages = warning;"; echo "$setting"
	  for ((i = 0; i < N; i++)); do echo "CREATE SCHEMA fl$i;"; done; } | pgc_psql "$n" >/dev/null || die "floor schemas on $n"
	for ((i = 0; i < N; i++)); do
		echo "BEGIN; SET LOCAL search_path = fl$i, pg_catalog;"; cat "$FLOOR_SQL"; echo "COMMIT;"
	done >"$FLOOR_SCRIPT"
	t0=$(now_ms)
	pgc_psql "$n" -f "$FLOOR_SCRIPT" >/dev/null || die "floor migrations on $n"
	echo $(($(now_ms) - t0))
}
read -r cc cm < <(run C "SET citus.enable_schema_based_sharding = on;") || exit 1
[ -n "${cm:-}" ] || exit 1
dist=$(pgc_psql C -c "SELECT count(*) || ' schemas, ' || count(DISTINCT nodename || nodeport) || ' workers' FROM citus_shards sh JOIN citus_tables t USING (table_name) WHERE t.citus_table_type = 'schema' AND sh.table_name::text LIKE '%.orders'")
read -r sc sm < <(run S "") || exit 1
[ -n "${sm:-}" ] || exit 1
cf=$(floor C "SET citus.enable_schema_based_sharding = on;") || exit 1
[ "$(pgc_psql C -c "SELECT count(*) FROM citus_tables WHERE table_name::text LIKE 'fl%.invoices' AND citus_table_type = 'schema'")" = "$N" ] ||
	die "the Citus floor did not make schema tables"
sf=$(floor S "") || exit 1

echo
echo "tenancy on Citus  $(date -u '+%Y-%m-%d %H:%M UTC')  commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) cores shared by all servers; $N schema tenants, 5 migrations, concurrency $C; ratio = citus / single"
echo "citus: coordinator + 2 workers, every tenant a distributed schema ($dist hold orders)"
line "measurement" "citus" "single" "ratio"
line "-----------" "-----" "------" "-----"
line "tenant_create, $N schema tenants" "$cc ms" "$sc ms" "$(calc '%.2f' "$cc / $sc")x"
line "tenant_migrate_all, $N tenants to version 5" "$cm ms" "$sm ms" "$(calc '%.2f' "$cm / $sm")x"
line "per tenant, migrate" "$(calc '%.1f' "$cm / $N") ms" "$(calc '%.1f' "$sm / $N") ms" ""
line "floor: same DDL, top level, no tracking" "$cf ms" "$sf ms" "$(calc '%.2f' "$cf / $sf")x"
line "tenant_migrate_all / floor" "$(calc '%.2f' "$cm / $cf")x" "$(calc '%.2f' "$sm / $sf")x" ""
echo "(2 cores for 4 servers: this shows what distribution costs, not what it gains; see the header of bench/citus.sh)"
rm -f "$MIGS" "$FLOOR_SQL" "$FLOOR_SCRIPT"
