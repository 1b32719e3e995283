-- a rerun of tenant_migrate_all when every tenant is up to date
--@pg SET client_min_messages = warning;
SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id integer PRIMARY KEY);', 'DROP TABLE users;', 'tenants');
SELECT tenant_create('conf_ra');
SELECT tenant_create('conf_rb');
SELECT tenant, status, from_version, to_version, applied FROM tenant_migrate_all() ORDER BY tenant;
SELECT status, tenants, applied, failed FROM tenant_runs() ORDER BY run_id;
SELECT tenant_drop('conf_ra', 'delete') IS NOT NULL, tenant_drop('conf_rb', 'delete') IS NOT NULL;
