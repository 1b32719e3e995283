-- max_failures below zero
--@pg SET client_min_messages = warning;
SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id integer PRIMARY KEY);', 'DROP TABLE users;', 'tenants');
SELECT tenant_create('conf_ma');
SELECT tenant_migration_add('2', 'more', 'CREATE TABLE more (id integer);', 'DROP TABLE more;', 'tenants');
SELECT tenant, status FROM tenant_migrate_all(NULL, 1, -1) ORDER BY tenant;
SELECT tenant_drop('conf_ma', 'delete') IS NOT NULL;
