-- fleet_stamp.sql -- issue 9 on SQLite, the no-op asking every tenant: a
-- tenant found up to date leaves a generation stamp in the registry (its
-- file's change counter, schema cookie, inode, size, modification time
-- and inode change time, with the tenant set's fingerprint), and the next run that finds the same
-- stamp skips reading its tracking tables.  Whatever changes the file
-- changes the stamp, so a tenant rolled back or altered behind the
-- registry's back is still found (even when its size and modification
-- time are put back); a new tenant set is never judged by an old stamp;
-- a WAL-mode file keeps no stamp and is read in full on every run.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT tenant_migration_add('1', 'marks', 'CREATE TABLE marks (id int);', 'DROP TABLE marks;', 'tenants');
SELECT tenant_create('t1');
SELECT tenant_create('t2');
SELECT tenant_create('t3');
SELECT tenant_migration_add('2', 'notes', 'CREATE TABLE notes (id int);', 'DROP TABLE notes;', 'tenants');
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all() ORDER BY tenant;
-- applied tenants are read once more after their commit and keep a stamp of the version reached
SELECT name, probe_stamp LIKE 'sha256:%|rj:%|2' AS stamped FROM tenancy_tenants ORDER BY name;
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all() ORDER BY tenant;
SELECT name, probe_stamp LIKE 'sha256:%|rj:%|2' AS stamped FROM tenancy_tenants ORDER BY name;
-- the stamped rerun: every tenant up to date, each asked (last_checked moves), one row each in the run
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all() ORDER BY tenant;
SELECT count(*) AS rows_of_run_3 FROM tenancy_run_tenants WHERE run_id = 3;
-- 1. t1 rolled back inside the tenant: the registry has not seen it, the next run finds it behind
.shell sqlite3 reg/t1.db ".load ./tenancy" "SELECT tenant_rollback();" >/dev/null
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all() ORDER BY tenant;
-- 2. t2 altered by its owner, its size and modification time put back: its change counter (and ctime) tell
.shell python3 fx/sqlite_change_keep_mtime.py reg/t2.db
SELECT tenant, status, sqlstate FROM tenant_migrate_all() ORDER BY tenant;
.shell sqlite3 reg/t2.db "UPDATE tenancy_applied SET checksum = (SELECT checksum FROM tenancy_catalog WHERE version = '2') WHERE version = '2';"
-- 3. t3 switched to WAL mode: no stamp is kept, and a rollback there is found by the next run
.shell sqlite3 reg/t3.db "PRAGMA journal_mode = WAL;"
SELECT tenant, status FROM tenant_migrate_all() ORDER BY tenant;
SELECT name, probe_stamp IS NULL AS no_stamp FROM tenancy_tenants ORDER BY name;
.shell sqlite3 reg/t3.db ".load ./tenancy" "SELECT tenant_rollback();" >/dev/null
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all() ORDER BY tenant;
SELECT tenant, status FROM tenant_migrate_all() ORDER BY tenant;
-- 4. a new tenant set: every stamp is of the old set, so every tenant is read and migrated
SELECT tenant_migration_add('3', 'tags', 'CREATE TABLE tags (id int);', 'DROP TABLE tags;', 'tenants');
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all() ORDER BY tenant;
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all() ORDER BY tenant;
-- 5. a target: the version a stamp was found at is up to date; another is judged from the tracking rows
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all('3') ORDER BY tenant;
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all('2') ORDER BY tenant;
-- 6. the registry's view after all this agrees with the files
SELECT name, version, state FROM tenants() ORDER BY name;
.shell for t in t1 t2 t3; do sqlite3 reg/$t.db "SELECT '$t', max(CAST(version AS INTEGER)) FROM tenancy_applied;"; done
