SELECT tenant_migration_add('1', 'one', 'CREATE TABLE v_one (id int PRIMARY KEY, t text); INSERT INTO v_one SELECT g, md5(g::text) FROM generate_series(1, 100) g;', 'DROP TABLE v_one;');

SELECT tenant_migration_add('1', 'one', 'CREATE TABLE v_one (id int PRIMARY KEY, t text); INSERT INTO v_one SELECT g, md5(g::text) FROM generate_series(1, 100) g;', 'DROP TABLE v_one;');

SELECT tenant_migration_add('V2', 'two', E'CREATE TABLE v_two (id int);\n-- comment; here\nCREATE FUNCTION v_f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;', 'DROP TABLE v_two; DROP FUNCTION v_f();');

SELECT * FROM tenant_plan();

SELECT * FROM tenant_plan('1');

SELECT * FROM tenant_dry_run();

SELECT tenant_migrate('1');

SELECT tenant_checkpoint('after_one');

SELECT tenant_checkpoint();

SELECT tenant_migrate();

SELECT * FROM tenant_status();

SELECT * FROM tenant_verify();

SELECT * FROM tenant_history();

SELECT * FROM tenant_checkpoints();

SELECT tenant_rollback('after_one');

SELECT tenant_rollback();

SELECT tenant_migrate();

SELECT tenant_migration_add('3', 'bad', E'CREATE TABLE v_three (id int);\n\nSELECT 1/0;');

SELECT tenant_migrate();

SELECT tenant_migration_add('3', 'bad', E'CREATE TABLE v_three (id int);\n\nSELEC 1;');

SELECT tenant_migrate();

SELECT * FROM tenant_dry_run();

SELECT tenant_migration_add('3', 'commit', 'COMMIT;');

SELECT tenant_migrate();

SELECT tenant_migration_add('3', 'ci', 'CREATE INDEX CONCURRENTLY v_i ON v_one (t);');

SELECT tenant_migrate();

SELECT tenant_migration_add('3', 'fine', 'CREATE TABLE v_three (id int);');

SELECT tenant_migration_add(NULL, 'x', 'SELECT 1');

SELECT tenant_migration_add('1', NULL, 'SELECT 1');

SELECT tenant_migration_add('1.x', 'x', 'SELECT 1');

SELECT tenant_migration_add('9', 'x', '   ');

SELECT tenant_migration_add('1', 'one', 'CREATE TABLE v_one (id bigint);');

SELECT tenant_migrate('abc');

SELECT tenant_migrate('77');

SELECT tenant_checkpoint('s', 'snapshot');

SELECT tenant_checkpoint('bad name');

SELECT tenant_checkpoint('x', 'photo');

SELECT tenant_rollback('nope');

SELECT tenant_repair(NULL);

SELECT tenant_repair('1');

UPDATE tenancy.catalog SET checksum = 'sha256:00' WHERE version = '1';

SELECT * FROM tenant_verify();

SELECT tenant_repair('1');

SELECT tenant_baseline('3');

SELECT tenant_migrations_load('/nonexistent');

SELECT tenant_migrations_load(NULL);

SELECT tenant_migrate();

SELECT version, state FROM tenant_status();
