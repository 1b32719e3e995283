-- no_transaction.sql -- migrations that run outside a transaction on SQLite:
-- marked "-- tenancy:no-transaction" (or detected), they run alone after what
-- came before is committed, and are recorded (applied row, history). VACUUM
-- cannot run from inside SELECT tenant_migrate() (a statement in progress):
-- a batch holding one is refused before anything of it runs (25001, hint).
.bail off
.headers on
.echo on
.open t.db
.load ./tenancy
SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id INTEGER PRIMARY KEY, note TEXT);');
SELECT tenant_migration_add('2', 'to wal', '-- tenancy:no-transaction
PRAGMA journal_mode = WAL;');
SELECT tenant_migration_add('3', 'after', 'INSERT INTO users (note) VALUES (''VACUUM is only a word here'');');
SELECT version, state, mode FROM tenant_plan();
SELECT tenant_migrate();
-- every version recorded, the no-transaction one included, in one batch
SELECT version, state, batch FROM tenant_status();
SELECT action, version, batch FROM tenant_history() WHERE action IN ('apply', 'fail') ORDER BY id;
PRAGMA journal_mode;
SELECT note FROM users;
-- VACUUM (and VACUUM INTO, detected without a marker): refused up front
SELECT tenant_migration_add('4', 'more', 'CREATE TABLE t4 (x);');
SELECT tenant_migration_add('5', 'vacuum', '-- tenancy:no-transaction
DELETE FROM users;
VACUUM;');
SELECT tenant_migration_add('6', 'vacuum into', 'VACUUM INTO ''copy.db'';');
SELECT version, state, mode FROM tenant_plan();
SELECT tenant_migrate();
-- nothing of the batch ran: 4 pending, t4 absent, users kept, no new checkpoint, no copy
SELECT version, state FROM tenant_status() WHERE version IN ('4', '5', '6');
SELECT count(*) AS t4_exists FROM sqlite_master WHERE name = 't4';
SELECT count(*) AS users_rows FROM users;
SELECT count(*) AS checkpoints FROM tenant_checkpoints();
.shell test -f copy.db && echo copy.db exists || echo no copy.db
-- a target before the VACUUM migration runs
SELECT tenant_migrate('4');
SELECT version, state FROM tenant_status() WHERE version IN ('4', '5', '6');
-- the fix the hint names: VACUUM out of the migrations (not applied yet, so the bodies may change)
SELECT tenant_migration_add('5', 'vacuum', '-- tenancy:no-transaction
DELETE FROM users;');
SELECT tenant_migrate();
SELECT tenant_migration_add('6', 'vacuum into', 'SELECT 1;');
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT count(*) AS users_rows FROM users;
VACUUM;
-- inside the caller's transaction: refused up front (a no-transaction body cannot run there)
SELECT tenant_migration_add('6.5', 'before it', 'CREATE TABLE t65 (x);');
SELECT tenant_migration_add('7', 'wal again', '-- tenancy:no-transaction
PRAGMA journal_mode = WAL;');
BEGIN;
SELECT tenant_migrate();
SELECT count(*) AS t65_in_the_open_transaction FROM sqlite_master WHERE name = 't65';
ROLLBACK;
SELECT tenant_migrate();
SELECT version, state FROM tenant_status() WHERE version IN ('6.5', '7');
