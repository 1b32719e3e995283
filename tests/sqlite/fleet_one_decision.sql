-- fleet_one_decision.sql -- issue 9, "one decision, two engines": a failed
-- tenant's fan-out row (status failed, sqlstate TN002 with the body's error
-- in the text, from/to the version it stays at), the core's limits of
-- concurrency (1..64) and max_failures (>= 0), and tenant_query_all's error
-- row that an aggregate can count.  pg_ext/t/003_fleet.pl checks the same
-- on PostgreSQL.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT tenant_migrations_load('fx/sqlite_tenant_set', 'tenants');
SELECT tenant_create('alpha');
SELECT tenant_create('beta');
-- beta has a row the others lack: a NOT NULL column filled from it fails in beta only
.shell sqlite3 reg/beta.db "INSERT INTO notes (body) VALUES ('x');"
SELECT tenant_migration_add('3', 'plan', 'CREATE TABLE plans (plan text NOT NULL); INSERT INTO plans SELECT NULL FROM notes WHERE body = ''x'';', NULL, 'tenants');
SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_migrate_all(NULL, 1);
SELECT name, version, pending, state FROM tenants();
-- the core's limits, the same words on both engines
SELECT count(*) FROM tenant_migrate_all(NULL, 65);
SELECT count(*) FROM tenant_migrate_all(NULL, 64, -1);
SELECT count(*) FROM tenant_dry_run_all(NULL, 0);
-- an aggregate over tenant_query_all sees the tenant that could not answer
.shell rm reg/alpha.db
SELECT count(*) AS answers, count(*) FILTER (WHERE json_extract("row", '$.error') IS NOT NULL) AS errors FROM tenant_query_all('SELECT 1 AS one');
SELECT tenant, json_extract("row", '$.sqlstate') AS sqlstate FROM tenant_query_all('SELECT 1 AS one') ORDER BY tenant;
