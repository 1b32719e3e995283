-- issue 9, recipe (b): a set version fails in one tenant; a canary wave, the rest, the
-- revert with tenant_rollback_all, tenant_migration_remove refused while applied, then
-- allowed; the tenants' catalogs forget the version; the fixed version reaches everyone
--@pg SET client_min_messages = warning;
SELECT tenant_migration_add('1', 'notes', 'CREATE TABLE notes (id integer PRIMARY KEY, body text);', 'DROP TABLE notes;', 'tenants');
SELECT tenant_create('conf_ka');
SELECT tenant_create('conf_kb');
SELECT tenant_create('conf_kc');
-- conf_kb has a row the broken migration cannot fill
--@pg \set ctl :DBNAME
--@pg \c conf_kb
--@pg INSERT INTO notes (id, body) VALUES (1, 'x');
--@pg \c :ctl
--@pg SET client_min_messages = warning;
--@sqlite ATTACH 'conf_kb.db' AS kb; INSERT INTO kb.notes (id, body) VALUES (1, 'x'); DETACH kb;
SELECT tenant_migration_add('2', 'plan', 'CREATE TABLE plans (plan text NOT NULL); INSERT INTO plans SELECT NULL FROM notes;', 'DROP TABLE plans;', 'tenants');
-- a wave: the canary first, then the rest in the order given
--@pg SET client_min_messages = warning;
SELECT tenant, status, from_version, to_version, applied FROM tenant_migrate_all(NULL, NULL, NULL, @LIST(conf_kc)@);
-- tenants() says which tenants a fan-out has asked, and when (last_checked)
SELECT name, state, last_checked IS NOT NULL AS checked FROM tenants() ORDER BY name;
SELECT tenant, status, from_version, to_version, applied, sqlstate FROM tenant_migrate_all(NULL, 1, NULL, @LIST(conf_kb,conf_ka)@);
SELECT tenant FROM tenant_migrate_all(NULL, NULL, NULL, @LIST(conf_ka,conf_zz)@);
SELECT tenant FROM tenant_migrate_all(NULL, NULL, NULL, @LIST(conf_ka,conf_ka)@);
SELECT tenant_migration_remove('2', 'tenants');
SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_rollback_all('2') ORDER BY tenant;
SELECT name, state, version, pending, last_error FROM tenants() ORDER BY name;
SELECT target, status, tenants, applied, failed FROM tenant_runs() ORDER BY run_id;
SELECT tenant, status, applied FROM tenant_rollback_all('2', 2, @LIST(conf_ka)@);
SELECT tenant_migration_remove('2', 'tenants');
SELECT name, state, version, pending FROM tenants() ORDER BY name;
SELECT tenant, status, from_version, to_version, applied FROM tenant_migrate_all() ORDER BY tenant;
SELECT tenant, status, version FROM tenant_verify_all() ORDER BY tenant;
SELECT name, last_checked IS NOT NULL AND last_checked >= last_run AS checked_by_verify FROM tenants() ORDER BY name;
SELECT tenant_migration_add('2', 'plan', 'CREATE TABLE plans (plan text NOT NULL); INSERT INTO plans SELECT ''free'' FROM notes;', 'DROP TABLE plans;', 'tenants');
SELECT tenant, status, from_version, to_version, applied FROM tenant_migrate_all() ORDER BY tenant;
-- rolled back before the first version: at no version in the registry too (PostgreSQL
-- kept the old version until 1.6), then back to the newest
SELECT tenant, status, from_version, to_version, applied FROM tenant_rollback_all('1', NULL, @LIST(conf_kc)@);
SELECT name, state, version, pending FROM tenants() WHERE name = 'conf_kc';
SELECT tenant, status, from_version, to_version, applied FROM tenant_migrate_all(NULL, NULL, NULL, @LIST(conf_kc)@);
-- errors: a version the set lacks, NULL, an unknown tenant, a version still applied, no down
SELECT tenant FROM tenant_rollback_all('7');
SELECT tenant FROM tenant_rollback_all(NULL);
SELECT tenant FROM tenant_rollback_all('2', NULL, @LIST(ghost)@);
SELECT tenant_migration_remove('7', 'tenants');
SELECT tenant_migration_add('3', 'no_down', 'CREATE TABLE t3 (a integer);', NULL, 'tenants');
SELECT tenant, status FROM tenant_migrate_all() ORDER BY tenant;
SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_rollback_all('3', NULL, @LIST(conf_ka)@);
SELECT tenant_drop('conf_ka', 'delete') IS NOT NULL, tenant_drop('conf_kb', 'delete') IS NOT NULL, tenant_drop('conf_kc', 'delete') IS NOT NULL;
