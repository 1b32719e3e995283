-- pg_status: tenant_status, tenant_verify, drift, missing, tenant_repair.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tn_status;
CREATE DATABASE tn_status;
\c tn_status
SET client_min_messages = warning;
CREATE EXTENSION tenancy;

-- empty database
SELECT * FROM tenant_status();
SELECT * FROM tenant_verify();

SELECT tenant_migration_add('1', 'one', 'CREATE TABLE one (id int);', 'DROP TABLE one;');
SELECT tenant_migration_add('2', 'two', 'CREATE TABLE two (id int);', 'DROP TABLE two;');
SELECT tenant_migrate('1');
SELECT version, name, state, checksum IS NOT NULL AS has_checksum,
       applied_at IS NOT NULL AS has_applied_at, duration_ms >= 0 AS duration_ok, batch
  FROM tenant_status();
SELECT pg_typeof(applied_at), pg_typeof(duration_ms), pg_typeof(batch)
  FROM tenant_status() LIMIT 1;
SELECT * FROM tenant_verify();   -- a pending version is not a problem

-- drift: an applied body cannot be changed through the API
SELECT tenant_migration_add('1', 'one', 'CREATE TABLE one (id bigint);', 'DROP TABLE one;');

-- drift made behind the API's back
UPDATE tenancy.catalog SET up_sql = 'CREATE TABLE one (id bigint);',
       checksum = 'sha256:0000000000000000000000000000000000000000000000000000000000000000'
 WHERE version = '1';
SELECT version, state FROM tenant_status();
SELECT version, name, state, detail FROM tenant_verify();
SELECT tenant_migrate();   -- drift stops everything
SELECT count(*) AS applied FROM tenancy.applied;

-- repair accepts the catalog checksum
SELECT tenant_repair('1');
SELECT version, state FROM tenant_status();
SELECT * FROM tenant_verify();
SELECT tenant_repair('1');   -- not drifted any more
SELECT tenant_repair('42');  -- unknown
SELECT tenant_repair(NULL);
SELECT tenant_migrate();

-- missing: applied but gone from the catalog
DELETE FROM tenancy.catalog WHERE version = '2';
SELECT version, state FROM tenant_status();
SELECT version, name, state, detail FROM tenant_verify();
SELECT tenant_repair('2');

SELECT action, version FROM tenant_history() ORDER BY id;
\c postgres
DROP DATABASE tn_status;
