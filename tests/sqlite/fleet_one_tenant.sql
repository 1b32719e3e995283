-- fleet_one_tenant.sql -- issue 9 on SQLite: one tenant read from its registry
-- (tenant_status/history/checkpoints/verify with a tenant name) opens the tenant's
-- file read-only; a missing file or one that is not a database is "unreachable"
-- (08006) with the cause in the detail, and the file is not changed or made.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT tenant_migration_add('1', 'marks', 'CREATE TABLE marks (id int);', 'DROP TABLE marks;', 'tenants');
SELECT tenant_create('t1');
SELECT tenant_create('t2');
SELECT version, state FROM tenant_status('t1');
.shell rm reg/t2.db
SELECT * FROM tenant_status('t2');
.shell ls reg | grep -c '^t2.db$' || true
.shell echo 'not a database' > reg/t2.db
SELECT * FROM tenant_history('t2');
SELECT * FROM tenant_checkpoints('t2');
SELECT * FROM tenant_verify('t2');
.shell cat reg/t2.db
-- a tenant's own status, not the registry's cache
.shell sqlite3 reg/t1.db ".load ./tenancy" "SELECT tenant_rollback();"
SELECT name, version FROM tenants() WHERE name = 't1';
SELECT count(*) AS applied FROM tenant_status('t1') WHERE state = 'applied';
