-- golang-migrate files: 000001 .. 000100 with downs; a target of '2' is 000002
SELECT tenant_migrations_load('@FIXTURES@/order_golang');
SELECT tenant_migrate('2');
SELECT n, v FROM order_log ORDER BY n;
SELECT tenant_migration_add('2', 'again', 'SELECT 1;');
SELECT tenant_migrate();
SELECT n, v FROM order_log ORDER BY n;
SELECT tenant_rollback();
SELECT n, v FROM order_log ORDER BY n;
SELECT version, state FROM tenant_status();
