-- drop_journals.sql -- tenant_drop(name, 'delete') removes the tenant file and
-- its journal files: -journal (DELETE-family journal, kept on disk with
-- journal_mode=PERSIST) and -wal/-shm (WAL, kept with persist_wal); 'keep'
-- leaves every file. Each listing after a drop is preceded by one that shows
-- the files were there.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT tenant_migrations_load('fx/sqlite_tenant_set', 'tenants');
SELECT tenant_create('del_mode');
SELECT tenant_create('wal_mode');
SELECT tenant_create('kept');
.shell sqlite3 reg/del_mode.db "PRAGMA journal_mode = PERSIST;" "CREATE TABLE j (x);" >/dev/null
.shell sqlite3 reg/wal_mode.db "PRAGMA journal_mode = WAL;" ".filectrl persist_wal 1" "CREATE TABLE j (x);" >/dev/null
.shell sqlite3 reg/kept.db "PRAGMA journal_mode = WAL;" ".filectrl persist_wal 1" "CREATE TABLE j (x);" >/dev/null
.shell cd reg && ls del_mode.db* wal_mode.db* kept.db*
SELECT tenant_drop('del_mode', 'delete');
.shell cd reg && ls del_mode.db* 2>/dev/null | wc -l
SELECT tenant_drop('wal_mode', 'delete');
.shell cd reg && ls wal_mode.db* 2>/dev/null | wc -l
SELECT tenant_drop('kept', 'keep');
.shell cd reg && ls kept.db*
SELECT name FROM tenants();
