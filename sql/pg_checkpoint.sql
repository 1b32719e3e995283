-- pg_checkpoint: checkpoints and rollback.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tn_checkpoint;
CREATE DATABASE tn_checkpoint;
\c tn_checkpoint
SET client_min_messages = warning;
CREATE EXTENSION tenancy;

SELECT tenant_migration_add('1', 'a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
SELECT tenant_migration_add('2', 'b', 'CREATE TABLE b (id int);', 'DROP TABLE b;');
SELECT tenant_migrate();
SELECT tenant_checkpoint('before_c');
SELECT tenant_checkpoint('before_c');   -- taken already
SELECT tenant_checkpoint('bad name!');  -- breaks the name rule
SELECT regexp_replace(tenant_checkpoint(), '[0-9]{8}T[0-9.]+Z', '<stamp>') AS generated;
SELECT tenant_checkpoint('snap', 'snapshot');
SELECT tenant_restore('before_c');   -- no snapshots here: refused, as on SQLite for a marker
SELECT tenant_restore(NULL);
SELECT tenant_checkpoint('x', 'photo');
SELECT tenant_checkpoint('m', NULL);   -- NULL mode: the default (marker)
SELECT tenant_migration_add('3', 'c', 'CREATE TABLE c (id int);', 'DROP TABLE c;');
SELECT tenant_migration_add('4', 'd', 'CREATE TABLE d (id int);', 'DROP TABLE d;');
SELECT tenant_migrate();
SELECT regexp_replace(name, '[0-9]{8}T[0-9.]+Z', '<stamp>') AS name, batch, version, kind, mode
  FROM tenant_checkpoints() ORDER BY created_at;

-- roll back to a named checkpoint: 3 and 4 go, newest first
SELECT tenant_rollback('before_c');
SELECT version, state FROM tenant_status();
SELECT to_regclass('c') AS c, to_regclass('d') AS d, to_regclass('b') AS b;
SELECT action, version FROM tenant_history() WHERE action = 'rollback' ORDER BY id;
SELECT tenant_rollback('before_c');   -- nothing left to undo
SELECT tenant_rollback('nope');

-- NULL: the newest automatic checkpoint (before the last batch)
SELECT tenant_migrate();
SELECT tenant_rollback();
SELECT version, state FROM tenant_status();

-- a version without a down body stops the rollback before any change
SELECT tenant_migration_add('5', 'e', 'CREATE TABLE e (id int);');
SELECT tenant_migrate();
SELECT tenant_rollback('before_c');
SELECT version, state FROM tenant_status();

-- a failing down body rolls the whole rollback back
SELECT tenant_checkpoint('before_f');
SELECT tenant_migration_add('6', 'f', 'CREATE TABLE f (id int);', 'DROP TABLE no_such_table;');
SELECT tenant_migrate();
SELECT tenant_rollback('before_f');
SELECT version, state FROM tenant_status() WHERE version = '6';
SELECT to_regclass('f') AS f;
\c postgres
DROP DATABASE tn_checkpoint;
