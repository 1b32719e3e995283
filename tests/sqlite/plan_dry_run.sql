-- plan_dry_run.sql -- tenant_plan and tenant_dry_run report and change nothing;
-- .dump is identical before and after a dry run (also one that fails).
.bail off
.headers on
.echo on
.load ./tenancy
SELECT tenant_migrations_load('fx/sqlite_shop');
SELECT tenant_migrate('1');
SELECT * FROM tenant_plan();
SELECT * FROM tenant_plan('3');
SELECT * FROM tenant_plan('V2');
SELECT * FROM tenant_plan('1');
SELECT * FROM tenant_plan('99');
SELECT * FROM tenant_plan('not-a-version');
.once before.dump
.dump
SELECT version, name, outcome, error FROM tenant_dry_run();
SELECT version, name, outcome, error FROM tenant_dry_run('2');
.once after.dump
.dump
.shell cmp before.dump after.dump && echo dump unchanged
SELECT version, state FROM tenant_status();
SELECT count(*) AS checkpoints FROM tenancy_checkpoints;
SELECT action FROM tenancy_history ORDER BY id;
-- a dry run of a failing migration reports the failure and still changes nothing
SELECT tenant_migration_add('11', 'breaks', 'CREATE TABLE t11 (a); SELECT * FROM missing_table;');
.once before.dump
.dump
SELECT version, name, outcome, error FROM tenant_dry_run();
.once after.dump
.dump
.shell cmp before.dump after.dump && echo dump unchanged
SELECT * FROM tenant_dry_run('99');
SELECT version, state FROM tenant_status();
-- a plan shows no-transaction migrations
SELECT tenant_migration_add('12', 'notx', '-- tenancy:no-transaction
VACUUM;');
SELECT * FROM tenant_plan() WHERE version = '12';
