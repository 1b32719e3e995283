-- adopt a database that already has the schema
CREATE TABLE legacy (id integer);
SELECT tenant_migration_add('1', 'legacy', 'CREATE TABLE legacy (id integer);');
SELECT tenant_migration_add('2', 'legacy index', 'CREATE INDEX legacy_id ON legacy (id);');
SELECT tenant_migration_add('3', 'new', 'CREATE TABLE newer (id integer);');
SELECT tenant_baseline('9');
SELECT tenant_baseline(NULL);
SELECT tenant_baseline('1');
SELECT tenant_migrate();
SELECT version, state, batch FROM tenant_status();
SELECT action, version FROM tenant_history() WHERE action = 'baseline';
