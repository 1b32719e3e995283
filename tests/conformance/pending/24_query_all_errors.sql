-- tenant_query_all: a statement that fails in one tenant, and one that writes
--@pg SET client_min_messages = warning;
SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id integer PRIMARY KEY);', 'DROP TABLE users;', 'tenants');
SELECT tenant_create('conf_qa');
SELECT tenant_create('conf_qb');
--@pg \set ctl :DBNAME
--@pg \c conf_qb
--@pg DROP TABLE users;
--@pg \c :ctl
--@pg SET client_min_messages = warning;
--@sqlite ATTACH 'conf_qb.db' AS qb; DROP TABLE qb.users; DETACH qb;
SELECT tenant, "row" FROM tenant_query_all('SELECT count(*) AS n FROM users') ORDER BY tenant;
SELECT count(*) AS answers FROM tenant_query_all('SELECT count(*) AS n FROM users');
SELECT * FROM tenant_query_all('DELETE FROM users');
SELECT tenant_drop('conf_qa', 'delete') IS NOT NULL, tenant_drop('conf_qb', 'delete') IS NOT NULL;
