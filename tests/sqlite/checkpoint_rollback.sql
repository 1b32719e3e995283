-- checkpoint_rollback.sql -- marker checkpoints, automatic pre_migration
-- checkpoints, rollback by downs, refusal when downs are missing.
.bail off
.headers on
.echo on
.load ./tenancy
SELECT tenant_migrations_load('fx/sqlite_shop');
SELECT tenant_checkpoint('empty');
SELECT tenant_migrate('2');
SELECT tenant_checkpoint('after_2');
SELECT tenant_checkpoint('after_2_marker', 'marker');
SELECT tenant_migrate();
SELECT name, batch, version, kind, mode FROM tenant_checkpoints() ORDER BY created_at, name;
-- generated name
SELECT tenant_checkpoint() LIKE 'checkpoint_%' AS generated;
SELECT tenant_checkpoint(NULL, 'marker') LIKE 'checkpoint_%' AS generated;
-- errors
SELECT tenant_checkpoint('after_2');
SELECT tenant_checkpoint('');
SELECT tenant_checkpoint('bad name');
SELECT tenant_checkpoint('x"; DROP TABLE items; --');
SELECT tenant_checkpoint(printf('%.101c', 'a'));
SELECT tenant_checkpoint('ok', 'bogus');
SELECT tenant_checkpoint('ok', '');
SELECT tenant_rollback('nope');
SELECT tenant_rollback('');
SELECT count(*) AS checkpoints FROM tenancy_checkpoints;
-- rollback to a named checkpoint runs the downs of 3 and 10, newest first
SELECT tenant_rollback('after_2');
SELECT version, state FROM tenant_status();
SELECT count(*) AS items_rows FROM items;
SELECT count(*) AS idx FROM sqlite_master WHERE name = 'items_name';
SELECT action, version FROM tenancy_history WHERE action = 'rollback' ORDER BY id;
-- nothing after it now
SELECT tenant_rollback('after_2');
-- rollback with no argument: the newest automatic checkpoint
SELECT tenant_migrate();
SELECT tenant_rollback();
SELECT version, state FROM tenant_status();
SELECT tenant_rollback('empty');
SELECT version, state FROM tenant_status();
SELECT count(*) AS items_table FROM sqlite_master WHERE name = 'items';
-- missing downs: refused before any change, listing them
SELECT tenant_migrate();
SELECT tenant_migration_add('20', 'no_down_a', 'CREATE TABLE t20 (a);');
SELECT tenant_migration_add('21', 'no_down_b', 'CREATE TABLE t21 (a);');
SELECT tenant_migration_add('22', 'with_down', 'CREATE TABLE t22 (a);', 'DROP TABLE t22;');
SELECT tenant_checkpoint('before_20');
SELECT tenant_migrate();
.once before.dump
.dump
SELECT tenant_rollback('before_20');
.once after.dump
.dump
.shell cmp before.dump after.dump && echo dump unchanged
SELECT version, state FROM tenant_status() WHERE CAST(version AS INTEGER) >= 20;
-- a failing down rolls the whole rollback back
SELECT tenant_migration_add('30', 'bad_down', 'CREATE TABLE t30 (a);', 'DROP TABLE no_such_t30;');
SELECT tenant_checkpoint('before_30');
SELECT tenant_migrate();
SELECT tenant_rollback('before_30');
SELECT version, state FROM tenant_status() WHERE version = '30';
SELECT count(*) AS t30 FROM sqlite_master WHERE name = 't30';
PRAGMA integrity_check;
