-- version_order.sql -- versions order numerically by component, through real
-- folders: Flyway V1_9 next to V1_10, 2 before 10; golang-migrate 000002 = 2.
-- order_log shows the order the migrations ran in.
.bail off
.headers on
.echo on
.open t.db
.load ./tenancy
SELECT tenant_migrations_load('fx/order_flyway');
SELECT version, state FROM tenant_plan();
SELECT tenant_migrate();
SELECT n, v FROM order_log ORDER BY n;
SELECT version, state FROM tenant_status();
.open g.db
.load ./tenancy
SELECT tenant_migrations_load('fx/order_golang');
SELECT tenant_migrate('2');
SELECT n, v FROM order_log ORDER BY n;
SELECT tenant_migration_add('2', 'again', 'SELECT 1;');
SELECT tenant_migrate();
SELECT n, v FROM order_log ORDER BY n;
SELECT tenant_rollback();
SELECT n, v FROM order_log ORDER BY n;
SELECT version, state FROM tenant_status();
