-- fleet_truth.sql -- issue 9 on SQLite: the fan-out asks every tenant, so a
-- tenant_rollback() run inside a tenant is migrated again by the next
-- tenant_migrate_all() (the registry's cache never decides), and last_run
-- says when each tenant was last checked; tenant_create inside the caller's
-- transaction is refused (25001), so a ROLLBACK leaves no file.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT tenant_migration_add('1', 'marks', 'CREATE TABLE marks (id int);', 'DROP TABLE marks;', 'tenants');
SELECT tenant_create('t1');
SELECT tenant_create('t2');
SELECT tenant_migration_add('2', 'notes', 'CREATE TABLE notes (id int);', 'DROP TABLE notes;', 'tenants');
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all() ORDER BY tenant;
-- roll t1 back inside the tenant: the registry has not seen it
.shell sqlite3 reg/t1.db ".load ./tenancy" "SELECT tenant_rollback();"
SELECT name, version, state FROM tenants() WHERE name = 't1';
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all() ORDER BY tenant;
.shell sqlite3 reg/t1.db "SELECT name FROM sqlite_master WHERE name = 'notes';"
SELECT count(*) AS checked FROM tenants() WHERE last_run IS NOT NULL;
-- tenant_create inside a transaction: refused before any file is made
BEGIN;
SELECT tenant_create('t3');
ROLLBACK;
.shell ls reg | grep -c t3 || true
SELECT tenant_create('t3');
SELECT name, state FROM tenants() ORDER BY name;
