-- tenant_migrate_all with one failing tenant, then the fix and a rerun
--@pg SET client_min_messages = warning;
SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id integer PRIMARY KEY, email text);', 'DROP TABLE users;', 'tenants');
SELECT tenant_create('conf_pa');
SELECT tenant_create('conf_pb');
-- conf_pb already has the table migration 2 creates
--@pg \set ctl :DBNAME
--@pg \c conf_pb
--@pg CREATE TABLE audit_log (a integer);
--@pg \c :ctl
--@pg SET client_min_messages = warning;
--@sqlite ATTACH 'conf_pb.db' AS pb; CREATE TABLE pb.audit_log (a integer); DETACH pb;
SELECT tenant_migration_add('2', 'audit', 'CREATE TABLE audit_log (id integer PRIMARY KEY, what text);', 'DROP TABLE audit_log;', 'tenants');
SELECT tenant, status, from_version, to_version, applied, sqlstate, error IS NOT NULL AS has_error FROM tenant_migrate_all() ORDER BY tenant;
SELECT name, state, version, pending, last_error IS NOT NULL AS has_error FROM tenants() ORDER BY name;
SELECT status, tenants, applied, failed FROM tenant_runs() ORDER BY run_id;
-- the fix: the stray table goes, and a rerun migrates only the tenant that failed
--@pg \c conf_pb
--@pg DROP TABLE audit_log;
--@pg \c :ctl
--@pg SET client_min_messages = warning;
--@sqlite ATTACH 'conf_pb.db' AS pb; DROP TABLE pb.audit_log; DETACH pb;
SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_migrate_all() ORDER BY tenant;
SELECT name, state, version, pending, last_error FROM tenants() ORDER BY name;
SELECT status, tenants, applied, failed FROM tenant_runs() ORDER BY run_id;
SELECT tenant_drop('conf_pa', 'delete') IS NOT NULL, tenant_drop('conf_pb', 'delete') IS NOT NULL;
