-- migrate_all.sql -- tenant_migrate_all fans the tenant set out: a corrupted
-- tenant file, a missing one and a drifted one are reported per tenant while
-- the others succeed; runs are recorded; target and concurrency checks.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT tenant_migrations_load('fx/sqlite_tenant_set', 'tenants');
SELECT tenant_create('alpha');
SELECT tenant_create('beta');
SELECT tenant_create('gamma');
SELECT tenant_create('delta');
SELECT tenant_create('eps');
SELECT tenant_migration_add('3', 'bye', 'INSERT INTO notes (body) VALUES (''bye'');', 'DELETE FROM notes WHERE body = ''bye'';', 'tenants');
SELECT tenant_migration_add('4', 'idx', 'CREATE INDEX notes_body ON notes (body);', 'DROP INDEX notes_body;', 'tenants');
SELECT name, version, pending, state FROM tenants();
-- argument errors change nothing
SELECT * FROM tenant_migrate_all('99');
SELECT * FROM tenant_migrate_all('abc');
SELECT * FROM tenant_migrate_all('');
SELECT * FROM tenant_migrate_all(NULL, 0);
SELECT * FROM tenant_migrate_all(NULL, 65);
SELECT * FROM tenant_migrate_all(NULL, -1);
SELECT * FROM tenant_migrate_all(NULL, 'abc');
SELECT count(*) AS runs FROM tenant_runs();
SELECT name, version FROM tenants();
-- to a target, one at a time
SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_migrate_all('V3', 1);
SELECT name, version, pending, state FROM tenants();
-- break three tenants: garbage over beta's file, delta's file removed, drift in eps
.shell printf 'garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage' | dd of=reg/beta.db bs=1 seek=0 conv=notrunc status=none
.shell rm reg/delta.db
.shell sqlite3 reg/eps.db "UPDATE tenancy_applied SET checksum = 'sha256:0000000000000000000000000000000000000000000000000000000000000000' WHERE version = '1';"
SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_migrate_all();
SELECT name, version, pending, state, last_error IS NOT NULL AS has_error FROM tenants();
.shell sqlite3 reg/alpha.db "SELECT group_concat(version) FROM (SELECT version FROM tenancy_applied ORDER BY CAST(version AS INTEGER)); SELECT group_concat(body) FROM notes;"
.shell sqlite3 reg/gamma.db "SELECT group_concat(version) FROM (SELECT version FROM tenancy_applied ORDER BY CAST(version AS INTEGER));"
.shell sqlite3 reg/eps.db "SELECT group_concat(version) FROM (SELECT version FROM tenancy_applied ORDER BY CAST(version AS INTEGER));"
SELECT run_id, target, status, tenants, applied, failed, finished_at IS NOT NULL AS finished FROM tenant_runs();
SELECT run_id, tenant, status, applied FROM tenancy_run_tenants ORDER BY run_id, tenant;
-- again: healthy tenants are up to date, broken ones still fail; higher concurrency
SELECT tenant, status, applied FROM tenant_migrate_all(NULL, 64);
-- fix them: drop the broken ones, repair eps by hand
SELECT tenant_drop('beta', 'delete');
SELECT tenant_drop('delta');
.shell sqlite3 reg/eps.db "UPDATE tenancy_applied SET checksum = (SELECT checksum FROM tenancy_catalog WHERE version = '1') WHERE version = '1';"
SELECT tenant, status, from_version, to_version, applied FROM tenant_migrate_all();
SELECT name, version, pending, state, last_error FROM tenants();
-- a tenant file locked by another process for a moment: the fan-out waits, then applies
SELECT tenant_migration_add('5', 'five', 'CREATE TABLE five (a);', 'DROP TABLE five;', 'tenants');
.shell cd reg && ../fx/sqlite_helpers/hold_lock.sh alpha.db &
.shell fx/sqlite_helpers/wait_for.sh reg/held.flag
.shell (sleep 0.5; touch reg/release.flag) &
SELECT tenant, status, applied FROM tenant_migrate_all();
.shell fx/sqlite_helpers/wait_for.sh reg/released.flag
SELECT name, version, state FROM tenants();
-- an empty registry
.shell mkdir -p reg2
.open reg2/registry.db
.load ./tenancy
SELECT * FROM tenant_migrate_all();
SELECT run_id, status, tenants, applied, failed FROM tenant_runs();
