-- a no-transaction migration in the tenant set, applied by tenant_migrate_all and recorded in each tenant
--@pg SET client_min_messages = warning;
SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id integer PRIMARY KEY, email text);', 'DROP TABLE users;', 'tenants');
SELECT tenant_create('conf_na');
SELECT tenant_migration_add('2', 'email index', '-- tenancy:no-transaction
CREATE INDEX users_email ON users (email);', 'DROP INDEX users_email;', 'tenants');
SELECT tenant, status, from_version, to_version, applied, sqlstate FROM tenant_migrate_all() ORDER BY tenant;
SELECT tenant, status, version, pending, problems FROM tenant_verify_all() ORDER BY tenant;
SELECT tenant_drop('conf_na', 'delete') IS NOT NULL;
