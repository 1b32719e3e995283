-- out_of_order.sql -- planner states: a pending version older than the newest
-- applied one is out_of_order; tenant_migrate() refuses it (TN003) unless allowed.
.bail off
.headers on
.echo on
.open t.db
.load ./tenancy
SELECT tenant_migration_add('1', 'one', 'CREATE TABLE o1 (a integer);');
SELECT tenant_migration_add('3', 'three', 'CREATE TABLE o3 (a integer);');
SELECT tenant_migrate();
SELECT tenant_migration_add('2', 'two', 'CREATE TABLE o2 (a integer);');
SELECT tenant_migration_add('4', 'four', 'CREATE TABLE o4 (a integer);');
SELECT version, state FROM tenant_status();
SELECT version, state FROM tenant_verify();
SELECT version, state, mode FROM tenant_plan();
SELECT tenant_migrate();
SELECT count(*) AS o4_exists FROM sqlite_master WHERE name = 'o4';
SELECT tenant_migrate(NULL, 1);
SELECT version, state, batch FROM tenant_status();
