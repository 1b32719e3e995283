-- a failing migration rolls back the whole batch; dry run reports and changes nothing
SELECT tenant_migration_add('1', 'ok', 'CREATE TABLE ok1 (a integer);');
SELECT tenant_migration_add('2', 'ok too', 'CREATE TABLE ok2 (a integer);');
SELECT tenant_migration_add('3', 'broken', 'CREATE TABLE ok3 (a integer);
INSERT INTO no_such_table VALUES (1);');
SELECT tenant_migration_add('4', 'after', 'CREATE TABLE ok4 (a integer);');
SELECT version, name, outcome, error IS NOT NULL FROM tenant_dry_run();
SELECT version, state FROM tenant_status();
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT count(*) FROM tenant_checkpoints();
SELECT tenant_migrate('2');
SELECT version, state FROM tenant_status();
