-- pg_load: tenant_migrations_load reads a folder on the server.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tn_load;
CREATE DATABASE tn_load;
\c tn_load
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
\getenv abs_srcdir PG_ABS_SRCDIR

SELECT tenant_migrations_load(:'abs_srcdir' || '/tests/fixtures/golang');
SELECT tenant_migrations_load(:'abs_srcdir' || '/tests/fixtures/golang');   -- identical: 0 changed
SELECT version, name, down_sql IS NOT NULL AS has_down,
       replace(source, :'abs_srcdir', '<srcdir>') AS source
  FROM tenancy.catalog ORDER BY version COLLATE "C";
SELECT * FROM tenant_plan();
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
-- dialect subfolders: the postgres and all files, never the sqlite ones
DROP EXTENSION tenancy;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'abs_srcdir' || '/tests/fixtures/dialects');
SELECT version, name, replace(source, :'abs_srcdir', '<srcdir>') AS source
  FROM tenancy.catalog WHERE source LIKE '%dialects%' ORDER BY version COLLATE "C";
\c postgres
DROP DATABASE tn_load;
