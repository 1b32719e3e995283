-- migrate_all_max_failures.sql -- tenant_migrate_all(target, concurrency,
-- max_failures): after max_failures failed or unreachable tenants no new
-- tenant starts; the rest are reported 'skipped' (not recorded) and the
-- run is 'stopped'.  NULL and 0 mean no limit; other values are refused.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT tenant_migrations_load('fx/sqlite_tenant_set', 'tenants');
SELECT tenant_create('t1');
SELECT tenant_create('t2');
SELECT tenant_create('t3');
SELECT tenant_create('t4');
SELECT tenant_create('t5');
SELECT tenant_migration_add('3', 'three', 'CREATE TABLE three (a);', 'DROP TABLE three;', 'tenants');
-- t2 and t3 will fail (the table is there already), t4 is unreachable
.shell sqlite3 reg/t2.db "CREATE TABLE three (x);"
.shell sqlite3 reg/t3.db "CREATE TABLE three (x);"
.shell rm reg/t4.db
-- argument errors
SELECT * FROM tenant_migrate_all(NULL, 1, -1);
SELECT * FROM tenant_migrate_all(NULL, 1, 'x');
SELECT * FROM tenant_migrate_all(NULL, 1, 1.5);
SELECT count(*) AS runs FROM tenant_runs();
-- one at a time, stop after 2 failures: t1 applied, t2 and t3 failed, t4 and t5 skipped
SELECT tenant, status, from_version, to_version, applied, sqlstate, error IS NOT NULL AS has_error FROM tenant_migrate_all(NULL, 1, 2);
SELECT error FROM tenant_migrate_all(NULL, 1, 1) WHERE status = 'skipped';
SELECT run_id, status, tenants, applied, failed FROM tenant_runs();
SELECT run_id, tenant, status FROM tenancy_run_tenants ORDER BY run_id, tenant;
-- t5 was never touched
.shell sqlite3 reg/t5.db "SELECT group_concat(version) FROM tenancy_applied;"
-- an unreachable tenant counts as a failure too: t2, t3 fixed, limit 1 stops after t4
.shell sqlite3 reg/t2.db "DROP TABLE three;"
.shell sqlite3 reg/t3.db "DROP TABLE three;"
SELECT tenant, status, applied FROM tenant_migrate_all(NULL, 1, 1);
SELECT run_id, status, tenants, applied, failed FROM tenant_runs() WHERE run_id = 3;
-- no limit (NULL or 0): everyone is tried, the run is 'failed'
SELECT tenant, status, applied FROM tenant_migrate_all(NULL, 1, 0);
SELECT run_id, status, failed FROM tenant_runs() WHERE run_id = 4;
SELECT tenant_drop('t4');
SELECT tenant, status, applied FROM tenant_migrate_all(NULL, 4, NULL);
SELECT run_id, status, failed FROM tenant_runs() WHERE run_id = 5;
-- with concurrency, tenants already started finish; none start after the limit
.shell sqlite3 reg/t1.db "CREATE TABLE four (x);"
.shell sqlite3 reg/t2.db "CREATE TABLE four (x);"
SELECT tenant_migration_add('4', 'four', 'CREATE TABLE four (a);', NULL, 'tenants');
SELECT count(*) FILTER (WHERE status = 'failed') >= 1 AS some_failed, count(*) AS rows FROM tenant_migrate_all(NULL, 2, 1);
SELECT status FROM tenant_runs() WHERE run_id = 6;
