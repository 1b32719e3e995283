-- tenant_query_all: a statement that fails in one tenant gives that tenant one error row, the same shape and
-- SQLSTATE on both engines (SQLite's error mapped to PostgreSQL's: no such table -> 42P01, a syntax error ->
-- 42601); the error text is each engine's own (normalised to <engine error>).  A statement that writes, several
-- statements or none are refused for the whole call with the core's error, before any tenant runs it.
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
SELECT tenant, "row" FROM tenant_query_all('SELECT 1 FRM users') ORDER BY tenant;
SELECT count(*) AS answers FROM tenant_query_all('SELECT 1 AS one -- a closing comment');
SELECT * FROM tenant_query_all('DELETE FROM users');
SELECT * FROM tenant_query_all('CREATE TABLE more (a integer)');
SELECT * FROM tenant_query_all('SELECT 1; SELECT 2');
SELECT * FROM tenant_query_all('  -- nothing');
SELECT tenant_drop('conf_qa', 'delete') IS NOT NULL, tenant_drop('conf_qb', 'delete') IS NOT NULL;
