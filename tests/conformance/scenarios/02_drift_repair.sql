-- drift: detected, stops migrate, listed by verify, accepted by repair
SELECT tenant_migration_add('1', 'create t', 'CREATE TABLE t (a integer);');
SELECT tenant_migrate();
SELECT tenant_migration_add('1', 'create t', 'CREATE TABLE t (a integer, b integer);');
UPDATE @TABLE(catalog)@ SET up_sql = 'CREATE TABLE t (a bigint);', checksum = 'sha256:0000000000000000000000000000000000000000000000000000000000000000' WHERE version = '1';
SELECT tenant_migration_add('2', 'create u', 'CREATE TABLE u (a integer);');
SELECT * FROM tenant_verify();
SELECT tenant_migrate();
SELECT * FROM tenant_plan();
SELECT version, state FROM tenant_status();
SELECT tenant_repair('1');
SELECT tenant_repair('1');
SELECT tenant_repair('9');
SELECT * FROM tenant_verify();
SELECT tenant_migrate();
SELECT action, version, detail FROM tenant_history() WHERE action = 'repair';
