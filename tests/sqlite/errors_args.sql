-- errors_args.sql -- every argument error of the single-database functions;
-- after each, nothing changed (catalog, applied rows, history).
.bail off
.headers on
.echo on
.load ./tenancy
SELECT tenant_migration_add('1', 'create_t', 'CREATE TABLE t (a);', 'DROP TABLE t;');
SELECT tenant_migrate();
-- NULL arguments
SELECT tenant_migration_add(NULL, 'n', 'SELECT 1;');
SELECT tenant_migration_add('2', NULL, 'SELECT 1;');
SELECT tenant_migration_add('2', 'n', NULL);
SELECT tenant_migrations_load(NULL);
SELECT tenant_migrations_load(NULL, 'tenants');
-- a NULL down means "no down", a NULL scope means 'database'
SELECT tenant_migration_add('2', 'n', 'SELECT 1;', NULL, NULL);
DELETE FROM tenancy_catalog WHERE version = '2';
-- empty strings and bad versions
SELECT tenant_migration_add('', 'n', 'SELECT 1;');
SELECT tenant_migration_add('V', 'n', 'SELECT 1;');
SELECT tenant_migration_add('1.', 'n', 'SELECT 1;');
SELECT tenant_migration_add('1..2', 'n', 'SELECT 1;');
SELECT tenant_migration_add('-1', 'n', 'SELECT 1;');
SELECT tenant_migration_add('1a', 'n', 'SELECT 1;');
SELECT tenant_migration_add(' 1', 'n', 'SELECT 1;');
SELECT tenant_migration_add(printf('%.65c', '1'), 'n', 'SELECT 1;');
SELECT tenant_migration_add('2', '', 'SELECT 1;');
SELECT tenant_migration_add('2', printf('%.201c', 'n'), 'SELECT 1;');
SELECT length(tenant_migration_add('2', printf('%.200c', 'n'), 'SELECT 1;')) AS added_200_char_name;
DELETE FROM tenancy_catalog WHERE version = '2';
-- empty and blank bodies
SELECT tenant_migration_add('2', 'n', '');
SELECT tenant_migration_add('2', 'n', '   
	 ');
SELECT tenant_migration_add('2', 'n', 'SELECT 1;', '');
-- bodies that are not UTF-8
SELECT tenant_migration_add('2', 'n', CAST(X'53454C45435420FF3B' AS TEXT));
SELECT tenant_migration_add('2', 'n', 'SELECT 1;', CAST(X'C328' AS TEXT));
SELECT tenant_migration_add('2', 'n', CAST(X'EDA080' AS TEXT));
SELECT tenant_migration_add(CAST(X'31FF' AS TEXT), 'n', 'SELECT 1;');
-- a name that is not UTF-8 must be refused like a body (it ends up in messages)
SELECT tenant_migration_add('2', CAST(X'6EFF' AS TEXT), 'SELECT 1;');
DELETE FROM tenancy_catalog WHERE version = '2';
DELETE FROM tenancy_history WHERE version = '2';
-- a 50 MB body is over the 16 MiB limit
SELECT tenant_migration_add('9', 'big', 'SELECT 1;' || replace(hex(zeroblob(25000000)), '00', '--'));
-- exactly the limit is fine, one byte more is not
SELECT tenant_migration_add('9', 'limit', 'SELECT 1;' || printf('%.*c', 16777216 - 9, '-'));
SELECT tenant_migration_add('9', 'limit', 'SELECT 1;' || printf('%.*c', 16777216 - 9 + 1, '-'));
DELETE FROM tenancy_catalog WHERE version = '9';
-- bad scope
SELECT tenant_migration_add('2', 'n', 'SELECT 1;', NULL, 'bogus');
SELECT tenant_migration_add('2', 'n', 'SELECT 1;', NULL, '');
SELECT tenant_migration_add('2', 'n', 'SELECT 1;', NULL, 'DATABASE');
SELECT tenant_migrations_load('fx/sqlite_shop', 'bogus');
-- unknown and malformed targets
SELECT tenant_migrate('99');
SELECT tenant_migrate('');
SELECT tenant_migrate('abc');
SELECT tenant_migrate('1; DROP TABLE t');
-- out-of-order: 3 applied, then 2 added below it
SELECT tenant_migration_add('3', 'three', 'CREATE TABLE t3 (a);');
SELECT tenant_migrate();
SELECT tenant_migration_add('2', 'late', 'CREATE TABLE t2 (a);');
SELECT version, state FROM tenant_status();
SELECT * FROM tenant_plan();
SELECT tenant_migrate();
SELECT tenant_migrate(NULL, 0);
SELECT count(*) AS t2 FROM sqlite_master WHERE name = 't2';
SELECT tenant_migrate(NULL, 1);
SELECT version, state FROM tenant_status();
-- the tracking state after all the errors: only the intended rows
SELECT version, name FROM tenancy_catalog ORDER BY version;
SELECT version, batch FROM tenancy_applied ORDER BY version;
SELECT action, version FROM tenancy_history WHERE action <> 'checkpoint' ORDER BY id;
-- rollback and checkpoint argument errors
SELECT tenant_rollback(NULL);
SELECT tenant_checkpoint(NULL, NULL) LIKE 'checkpoint_%' AS generated;
-- functions called with too many arguments are not registered
SELECT tenant_migrate(NULL, 1, 2);
SELECT tenant_repair('1', '2');
SELECT tenant_baseline();
-- a locked database: another process holds an exclusive lock
.shell fx/sqlite_helpers/hold_lock.sh test.db &
.shell fx/sqlite_helpers/wait_for.sh held.flag
.timeout 200
SELECT tenant_migration_add('4', 'four', 'CREATE TABLE t4 (a);');
SELECT tenant_migrate();
SELECT * FROM tenant_status();
.shell touch release.flag
.shell fx/sqlite_helpers/wait_for.sh released.flag
SELECT tenant_migration_add('4', 'four', 'CREATE TABLE t4 (a);');
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT count(*) AS holder_left FROM sqlite_master WHERE name = 'lock_holder';
-- a table locked by this same connection (SQLITE_LOCKED, not another connection's
-- lock): the caller's SELECT over t still returns rows while the migration drops a
-- table; the error says so, nothing is applied, and the call on its own works
SELECT tenant_migration_add('5', 'drop_t4', 'DROP TABLE t4;', 'CREATE TABLE t4 (a);');
INSERT INTO t VALUES (1), (2);
SELECT a, tenant_migrate() FROM t;
SELECT version, state FROM tenant_status() WHERE version = '5';
SELECT tenant_migrate();
SELECT version, state FROM tenant_status() WHERE version = '5';
