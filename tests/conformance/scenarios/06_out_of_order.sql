-- a pending version older than the newest applied one
SELECT tenant_migration_add('1', 'one', 'CREATE TABLE o1 (a integer);');
SELECT tenant_migration_add('3', 'three', 'CREATE TABLE o3 (a integer);');
SELECT tenant_migrate();
SELECT tenant_migration_add('2', 'two', 'CREATE TABLE o2 (a integer);');
SELECT * FROM tenant_verify();
SELECT * FROM tenant_plan();
SELECT tenant_migrate();
SELECT tenant_migrate(NULL, true);
SELECT version, state FROM tenant_status();
