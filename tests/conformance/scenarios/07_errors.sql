-- bad arguments: each a clear error that changes nothing
SELECT tenant_migration_add(NULL, 'n', 'SELECT 1;');
SELECT tenant_migration_add('1', NULL, 'SELECT 1;');
SELECT tenant_migration_add('1', 'n', NULL);
SELECT tenant_migration_add('', 'n', 'SELECT 1;');
SELECT tenant_migration_add('1.a', 'n', 'SELECT 1;');
SELECT tenant_migration_add('1', '', 'SELECT 1;');
SELECT tenant_migration_add('1', 'n', '');
SELECT tenant_migration_add('1', 'n', '   -- only a comment
');
SELECT tenant_migration_add('1', 'n', 'SELECT 1;', '');
SELECT tenant_migration_add('V1', 'n', 'CREATE TABLE e1 (a integer);');
SELECT tenant_migration_add('01', 'n', 'CREATE TABLE e1 (a integer);');
SELECT tenant_migrate('7');
SELECT tenant_migrate('x');
SELECT * FROM tenant_plan('7');
SELECT tenant_repair(NULL);
SELECT tenant_rollback();
SELECT tenant_rollback('bad name!');
SELECT tenant_checkpoint(NULL, 'photo');
SELECT tenant_migrations_load(NULL);
SELECT tenant_migrations_load('@FIXTURES@/does_not_exist');
SELECT tenant_migrations_load('@FIXTURES@/bad_duplicate');
SELECT version, name, state FROM tenant_status();
SELECT action, version FROM tenant_history() ORDER BY id;
