-- pg_baseline: mark an existing schema as migrated up to a version.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tn_baseline;
CREATE DATABASE tn_baseline;
\c tn_baseline
SET client_min_messages = warning;
CREATE EXTENSION tenancy;

-- the schema exists already (made before tenancy was used)
CREATE TABLE accounts (id int PRIMARY KEY);
SELECT tenant_migration_add('1', 'accounts', 'CREATE TABLE accounts (id int PRIMARY KEY);');
SELECT tenant_migration_add('2', 'accounts name', 'ALTER TABLE accounts ADD COLUMN name text;');
SELECT tenant_migration_add('3', 'orders', 'CREATE TABLE orders (id int);');
\set VERBOSITY terse
SELECT tenant_migrate();   -- fails: accounts exists
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT tenant_baseline('1');
SELECT version, state FROM tenant_status();
SELECT tenant_baseline('1');   -- nothing more to mark
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT tenant_baseline('7');   -- unknown version
SELECT tenant_baseline('x');   -- malformed version
SELECT tenant_baseline(NULL);
SELECT action, version FROM tenant_history() WHERE action IN ('baseline', 'apply', 'fail') ORDER BY id;
\c postgres
DROP DATABASE tn_baseline;
