-- migrate.sql -- load a folder, plan, migrate to a target, then to the newest;
-- a failing migration rolls the whole batch back; re-running is a no-op.
.bail off
.headers on
.echo on
.load ./tenancy
SELECT tenant_migrations_load('fx/sqlite_shop');
-- loading the same folder again adds nothing
SELECT tenant_migrations_load('fx/sqlite_shop');
SELECT version, name, source IS NOT NULL AS from_file, down_sql IS NOT NULL AS has_down FROM tenancy_catalog ORDER BY CAST(version AS INTEGER);
-- numeric order: 10 comes after 3
SELECT version, name, state FROM tenant_status();
SELECT tenant_migrate('2');
SELECT version, name, state, batch FROM tenant_status();
SELECT sql FROM sqlite_master WHERE name = 'items';
SELECT tenant_migrate();
SELECT version, name, state, batch FROM tenant_status();
SELECT id, name, price FROM items ORDER BY id;
SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'items_name';
-- up to date: 0 applied, nothing recorded
SELECT tenant_migrate();
SELECT count(*) AS applies FROM tenancy_history WHERE action = 'apply';
-- a V prefix on the target is accepted
SELECT tenant_migrate('V10');
-- add by SQL: identical re-add is a no-op (0), a new version is 1
SELECT tenant_migration_add('11', 'more', 'INSERT INTO items (name) VALUES (''plum'');');
SELECT tenant_migration_add('11', 'more', 'INSERT INTO items (name) VALUES (''plum'');');
-- an unapplied version may be replaced
SELECT tenant_migration_add('11', 'more', 'INSERT INTO items (name) VALUES (''kiwi'');');
-- a failing batch: 12 is fine, 13 fails; neither stays, the failure is recorded
SELECT tenant_migration_add('12', 'ok_part', 'CREATE TABLE t12 (a);');
SELECT tenant_migration_add('13', 'broken', 'INSERT INTO items (name) VALUES (''x''); INSERT INTO no_such_table VALUES (1);');
SELECT tenant_migrate();
SELECT version, state FROM tenant_status() WHERE CAST(version AS INTEGER) >= 11;
SELECT count(*) AS t12_exists FROM sqlite_master WHERE name = 't12';
SELECT count(*) AS items FROM items;
SELECT action, version, detail FROM tenancy_history WHERE action = 'fail';
-- fix the body (unapplied, so allowed) and finish
SELECT tenant_migration_add('13', 'broken', 'INSERT INTO items (name) VALUES (''x'');');
SELECT tenant_migrate();
SELECT version, state, batch FROM tenant_status();
SELECT name FROM items ORDER BY id;
-- every apply once, in version order per batch
SELECT action, version, batch FROM tenancy_history WHERE action IN ('apply', 'fail') ORDER BY id;
-- inside the caller's transaction: the unit is a savepoint, ROLLBACK undoes it
SELECT tenant_migration_add('14', 'in_txn', 'CREATE TABLE t14 (a);');
BEGIN;
SELECT tenant_migrate();
ROLLBACK;
SELECT version, state FROM tenant_status() WHERE version = '14';
SELECT count(*) AS t14_exists FROM sqlite_master WHERE name = 't14';
SELECT tenant_migrate();
PRAGMA integrity_check;
