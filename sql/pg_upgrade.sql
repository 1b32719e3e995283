-- pg_upgrade: install 1.0, use it, ALTER EXTENSION UPDATE to 1.1, and
-- compare every catalog object with a fresh 1.1 install; then 1.0 -> the
-- default version (1.6) the same way.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tn_upgrade_old;
DROP DATABASE IF EXISTS tn_upgrade_new;
CREATE DATABASE tn_upgrade_old;
CREATE DATABASE tn_upgrade_new;

-- describe(): one line per object of the extension and its properties
\set describe 'SELECT string_agg(line, E''\n'' ORDER BY line) FROM (SELECT ''member: '' || pg_describe_object(classid, objid, objsubid) AS line FROM pg_depend WHERE refclassid = ''pg_extension''::regclass AND refobjid = (SELECT oid FROM pg_extension WHERE extname = ''tenancy'') AND deptype = ''e'' UNION ALL SELECT ''index: '' || indexdef FROM pg_indexes WHERE schemaname = ''tenancy'' UNION ALL SELECT ''column: '' || table_name || ''.'' || column_name || '' '' || data_type || '' null='' || is_nullable || '' default='' || coalesce(column_default, ''-'') || '' identity='' || coalesce(identity_generation, ''-'') FROM information_schema.columns WHERE table_schema = ''tenancy'' UNION ALL SELECT ''comment: '' || c.relname || '' '' || coalesce(obj_description(c.oid, ''pg_class''), ''-'') FROM pg_class c WHERE c.relnamespace = ''tenancy''::regnamespace UNION ALL SELECT ''function: '' || p.oid::regprocedure || '' returns '' || pg_get_function_result(p.oid) || '' strict='' || p.proisstrict || '' volatile='' || p.provolatile::text || '' config='' || coalesce(p.proconfig::text, ''-'') || '' acl='' || coalesce(p.proacl::text, ''-'') FROM pg_proc p WHERE p.proname LIKE ''tenant\\_%'' UNION ALL SELECT ''config_dump: '' || c::regclass::text FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = ''tenancy'' UNION ALL SELECT ''schema_acl: '' || coalesce(nspacl::text, ''-'') FROM pg_namespace WHERE nspname = ''tenancy'') lines'

\c tn_upgrade_old
SET client_min_messages = warning;
CREATE EXTENSION tenancy VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'tenancy';
SELECT tenant_migration_add('1', 'one', 'CREATE TABLE one (id int);', 'DROP TABLE one;');
SELECT tenant_migrate();
ALTER EXTENSION tenancy UPDATE TO '1.1';
SELECT extversion FROM pg_extension WHERE extname = 'tenancy';
-- data survived, and the new version works on it
SELECT version, state FROM tenant_status();
SELECT tenant_migration_add('2', 'two', 'CREATE TABLE two (id int);', 'DROP TABLE two;');
SELECT tenant_migrate();
SELECT count(*) AS history_rows FROM tenancy.history;
SELECT md5((:describe)) AS old_md5 \gset
:describe \g (format=unaligned tuples_only=on)

\c tn_upgrade_new
SET client_min_messages = warning;
CREATE EXTENSION tenancy VERSION '1.1';
SELECT extversion FROM pg_extension WHERE extname = 'tenancy';
SELECT md5((:describe)) AS new_md5 \gset
SELECT :'old_md5' = :'new_md5' AS upgrade_equals_fresh_install;

-- the available update paths
SELECT source, target, path FROM pg_extension_update_paths('tenancy')
 WHERE source IN ('1.0', '1.1') AND target IN ('1.0', '1.1') ORDER BY 1, 2;

\c postgres
DROP DATABASE tn_upgrade_old;
DROP DATABASE tn_upgrade_new;

-- the same for the default version (1.6; 1.2 -> 1.3 holds both
-- tenant_migrations_load_files and the capabilities): 1.0 with data,
-- ALTER EXTENSION UPDATE, compared with a fresh CREATE EXTENSION
CREATE DATABASE tn_upgrade_old;
CREATE DATABASE tn_upgrade_new;
\c tn_upgrade_old
SET client_min_messages = warning;
CREATE EXTENSION tenancy VERSION '1.0';
SELECT tenant_migration_add('1', 'one', 'CREATE TABLE one (id int);', 'DROP TABLE one;');
SELECT tenant_migrate();
ALTER EXTENSION tenancy UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'tenancy';
SELECT version, state FROM tenant_status();
SELECT tenant_migrations_load_files(ARRAY['V2__two.sql'], ARRAY['CREATE TABLE two (id int);']);
SELECT tenant_migrate();
SELECT md5((:describe)) AS old_md5 \gset
SELECT string_agg(capability || ' ' || object, ', ' ORDER BY capability, object) AS load_files_capability
  FROM tenancy.capabilities() WHERE object LIKE 'tenant\_migrations\_load%';

\c tn_upgrade_new
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
SELECT extversion FROM pg_extension WHERE extname = 'tenancy';
SELECT md5((:describe)) AS new_md5 \gset
SELECT :'old_md5' = :'new_md5' AS upgrade_to_default_equals_fresh_install;

\c postgres
DROP DATABASE tn_upgrade_old;
DROP DATABASE tn_upgrade_new;

-- 1.3 -> 1.4: a role given the migrator capability under 1.3 holds the run
-- record's write paths after the update (issue 7); a reader does not
CREATE DATABASE tn_upgrade_14;
\c tn_upgrade_14
SET client_min_messages = warning;
CREATE EXTENSION tenancy VERSION '1.3';
DROP ROLE IF EXISTS tn_up_migrator;
DROP ROLE IF EXISTS tn_up_reader;
CREATE ROLE tn_up_migrator;
CREATE ROLE tn_up_reader;
SELECT tenancy.grant_capability('tn_up_migrator', 'migrator');
SELECT tenancy.grant_capability('tn_up_reader', 'reader');
ALTER EXTENSION tenancy UPDATE TO '1.4';
SELECT r AS role,
       has_function_privilege(r, 'tenancy.run_open(text, text, bigint, text)', 'EXECUTE') AS run_open,
       has_function_privilege(r, 'tenancy.run_finish(bigint, text, boolean)', 'EXECUTE') AS run_finish,
       has_function_privilege(r, 'tenancy.migrate_synced(text, text, text, text)', 'EXECUTE') AS migrate_synced,
       has_function_privilege(r, 'tenancy.verify_synced(text, text)', 'EXECUTE') AS verify_synced
  FROM unnest(ARRAY['tn_up_migrator', 'tn_up_reader']) AS r ORDER BY r;
SELECT count(*) AS run_paths_in_capabilities FROM tenancy.capabilities() WHERE kind = 'function' AND object LIKE 'tenancy.run\_%';
SELECT tenancy.revoke_capability('tn_up_migrator', 'migrator');
SELECT has_function_privilege('tn_up_migrator', 'tenancy.run_open(text, text, bigint, text)', 'EXECUTE') AS run_open_after_revoke;
\c postgres
DROP DATABASE tn_upgrade_14;
DROP ROLE tn_up_migrator;
DROP ROLE tn_up_reader;

-- 1.3 -> 1.4: tenant_migrate_all gains tenants text[]; a role given the
-- migrator capability under 1.3 can still run it, and tenant_rollback_all
-- with it; tenant_migration_remove stays admin's (issue 9)
CREATE DATABASE tn_upgrade_grants;
\c tn_upgrade_grants
SET client_min_messages = warning;
DROP ROLE IF EXISTS tn_upgrade_migrator;
CREATE ROLE tn_upgrade_migrator;
CREATE EXTENSION tenancy VERSION '1.3';
SELECT tenancy.grant_capability('tn_upgrade_migrator', 'migrator');
ALTER EXTENSION tenancy UPDATE;
SELECT pg_catalog.has_function_privilege('tn_upgrade_migrator',
  'tenant_migrate_all(text, integer, integer, text[])', 'EXECUTE') AS migrate_all_kept,
  pg_catalog.has_function_privilege('tn_upgrade_migrator',
  'tenant_rollback_all(text, integer, text[], integer)', 'EXECUTE') AS rollback_all_given,
  pg_catalog.has_function_privilege('public',
  'tenant_migrate_all(text, integer, integer, text[])', 'EXECUTE') AS public_may;
SELECT pg_catalog.has_function_privilege('tn_upgrade_migrator',
  'tenant_migration_remove(text, text)', 'EXECUTE') AS migrator_may_remove;
-- the fan-out calls that gained a subset (issue 9, fleet) keep their grants
SELECT pg_catalog.has_function_privilege('tn_upgrade_migrator',
  'tenant_verify_all(integer, text[])', 'EXECUTE') AS verify_all_kept,
  pg_catalog.has_function_privilege('tn_upgrade_migrator',
  'tenant_dry_run_all(text, integer, text[])', 'EXECUTE') AS dry_run_all_kept,
  pg_catalog.has_function_privilege('tn_upgrade_migrator',
  'tenant_query_all(text, integer, text[])', 'EXECUTE') AS query_all_kept,
  pg_catalog.has_function_privilege('public',
  'tenant_verify_all(integer, text[])', 'EXECUTE') AS public_may_verify;
DROP EXTENSION tenancy;
\c postgres
DROP DATABASE tn_upgrade_grants;
DROP ROLE tn_upgrade_migrator;
