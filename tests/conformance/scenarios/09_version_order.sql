-- version order through real folders: Flyway V1_9 next to V1_10, 2 before 10;
-- golang-migrate zero padding (000002 = 2); order_log shows the order they ran in
SELECT tenant_migrations_load('@FIXTURES@/order_flyway');
SELECT version, state FROM tenant_plan();
SELECT tenant_migrate();
SELECT n, v FROM order_log ORDER BY n;
SELECT version, state FROM tenant_status();
SELECT tenant_migration_add('1.10', 'same as 1_10', 'SELECT 1;');
