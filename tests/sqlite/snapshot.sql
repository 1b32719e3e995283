-- snapshot.sql -- snapshot checkpoints keep a full copy; rollback to one
-- restores data even without downs, keeps catalog/history/checkpoints.
.bail off
.headers on
.echo on
.load ./tenancy
SELECT tenant_migration_add('1', 'create_t', 'CREATE TABLE t (a);');
SELECT tenant_migration_add('2', 'fill', 'INSERT INTO t VALUES (1), (2), (3);');
SELECT tenant_migrate('1');
INSERT INTO t VALUES (100);
SELECT tenant_checkpoint('snap1', 'snapshot');
.shell test -f test.db.snapshots/snap1.db && echo snapshot file exists
SELECT name, version, kind, mode FROM tenant_checkpoints() WHERE name = 'snap1';
SELECT tenant_migrate();
INSERT INTO t VALUES (200);
SELECT a FROM t ORDER BY a;
-- no downs, but the snapshot is restored
SELECT tenant_rollback('snap1');
SELECT a FROM t ORDER BY a;
SELECT version, state FROM tenant_status();
SELECT count(*) AS catalog FROM tenancy_catalog;
SELECT name, mode FROM tenant_checkpoints() WHERE name = 'snap1';
SELECT action, version FROM tenancy_history WHERE action IN ('apply', 'restore', 'rollback', 'checkpoint') ORDER BY id;
-- migrate again after the restore
SELECT tenant_migrate();
SELECT count(*) AS rows_t FROM t;
-- a snapshot restore is refused inside a transaction
BEGIN;
SELECT tenant_rollback('snap1');
ROLLBACK;
-- a snapshot whose file was removed
.shell rm -f test.db.snapshots/snap1.db
SELECT tenant_rollback('snap1');
SELECT count(*) AS rows_t FROM t;
-- snapshots need a file: not in memory
.open :memory:
.load ./tenancy
SELECT tenant_checkpoint('mem', 'snapshot');
SELECT count(*) AS checkpoints FROM tenancy_checkpoints;
SELECT tenant_checkpoint('mem_marker');
-- tenant_restore(checkpoint): the snapshot explicitly, even where downs exist
-- (tenant_rollback prefers downs; a down does not bring back deleted rows)
.open restore.db
.load ./tenancy
SELECT tenant_migration_add('1', 'create_u', 'CREATE TABLE u (a);', 'DROP TABLE u;');
SELECT tenant_migration_add('2', 'drop_rows', 'DELETE FROM u WHERE a > 1;', 'SELECT 1;');
SELECT tenant_migrate('1');
INSERT INTO u VALUES (1), (2), (3);
SELECT tenant_checkpoint('before_delete', 'snapshot');
SELECT tenant_checkpoint('marker_only');
SELECT tenant_migrate();
SELECT count(*) AS rows_u FROM u;
-- errors first, each changing nothing
SELECT tenant_restore(NULL);
SELECT tenant_restore('no_such');
SELECT tenant_restore('bad name!');
SELECT tenant_restore('marker_only');
SELECT tenant_restore();
BEGIN;
SELECT tenant_restore('before_delete');
ROLLBACK;
SELECT count(*) AS rows_u, (SELECT count(*) FROM tenancy_applied) AS applied FROM u;
-- the restore: rows back, version 2 no longer applied, later checkpoints gone
SELECT tenant_restore('before_delete');
SELECT a FROM u ORDER BY a;
SELECT version, state FROM tenant_status();
SELECT name, mode FROM tenant_checkpoints() ORDER BY name;
SELECT action, detail FROM tenancy_history WHERE action = 'restore';
SELECT tenant_migrate();
SELECT count(*) AS rows_u FROM u;
