-- dry_run_all.sql -- tenant_dry_run_all([target [, concurrency]]): every
-- tenant applies and rolls back; nothing changes anywhere (tenant files
-- byte for byte, the registry), and no run is recorded (as on PostgreSQL).
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
SELECT tenant_migration_add('3', 'three', 'INSERT INTO notes (body) VALUES (''three'');', NULL, 'tenants');
SELECT tenant_migration_add('4', 'four', 'CREATE TABLE four (a);', 'DROP TABLE four;', 'tenants');
SELECT tenant_migration_add('5', 'five', 'INSERT INTO four VALUES (5);', NULL, 'tenants');
-- beta will fail at 4
.shell sqlite3 reg/beta.db "CREATE TABLE four (x);"
.shell mkdir -p before && cp reg/alpha.db reg/beta.db reg/gamma.db reg/registry.db before/
SELECT * FROM tenant_dry_run_all(NULL, 'x');
SELECT * FROM tenant_dry_run_all(NULL, 0);
SELECT * FROM tenant_dry_run_all('abc');
SELECT * FROM tenant_dry_run_all('99');
SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_dry_run_all();
SELECT tenant, status, from_version, to_version, applied, error FROM tenant_dry_run_all('4', 3);
SELECT tenant, status, from_version, to_version, applied FROM tenant_dry_run_all('V3', 1);
-- byte for byte the same, and no run, no cache change
.shell for f in alpha beta gamma registry; do cmp before/$f.db reg/$f.db && echo "$f unchanged"; done
SELECT count(*) AS runs FROM tenant_runs();
SELECT name, version, last_error FROM tenants();
-- a missing tenant is unreachable
.shell rm reg/gamma.db
SELECT tenant, status, error FROM tenant_dry_run_all();
-- the real run then does what the dry run said
SELECT tenant, status, from_version, to_version, applied FROM tenant_migrate_all();
