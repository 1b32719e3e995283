-- pg_migrate: add migrations, plan, migrate, targets, dry run, out of order,
-- and migration bodies running with the caller's search_path.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tn_migrate;
CREATE DATABASE tn_migrate;
\c tn_migrate
SET client_min_messages = warning;
CREATE EXTENSION tenancy;

-- the functions live in the install schema, the tables in "tenancy"
-- (the single-database API; later versions add more functions)
SELECT n.nspname, p.oid::regprocedure AS function, p.proretset, p.proisstrict, p.proconfig
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.oid::regprocedure::text IN (
   'tenant_migration_add(text,text,text,text)', 'tenant_migrations_load(text)',
   'tenant_migrate(text,boolean)', 'tenant_plan(text)', 'tenant_dry_run(text)',
   'tenant_status()', 'tenant_verify()', 'tenant_history()', 'tenant_checkpoints()',
   'tenant_repair(text)', 'tenant_baseline(text)', 'tenant_checkpoint(text,text)',
   'tenant_rollback(text)')
 ORDER BY p.oid::regprocedure::text;
SELECT table_name FROM information_schema.tables
 WHERE table_schema = 'tenancy' ORDER BY 1;

SELECT tenant_migration_add('1', 'create users',
  'CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);',
  'DROP TABLE users;');
-- identical re-add: no-op
SELECT tenant_migration_add('1', 'create users',
  'CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);',
  'DROP TABLE users;');
-- a leading V is dropped
SELECT tenant_migration_add('V2', 'seed',
  E'INSERT INTO users VALUES (1, ''a@example.com'');\nINSERT INTO users VALUES (2, ''b@example.com'');',
  'DELETE FROM users;');
SELECT tenant_migration_add('3', 'add name', 'ALTER TABLE users ADD COLUMN name text;');
-- not applied yet: a new body replaces the old one
SELECT tenant_migration_add('3', 'add name', 'ALTER TABLE users ADD COLUMN name text DEFAULT ''x'';',
  'ALTER TABLE users DROP COLUMN name;');
SELECT version, name, checksum, flags, source, down_sql IS NOT NULL AS has_down
  FROM tenancy.catalog ORDER BY version;

SELECT * FROM tenant_plan();
SELECT * FROM tenant_plan('2');
SELECT version, name, outcome, error FROM tenant_dry_run();
-- the dry run left nothing behind
SELECT count(*) AS applied_rows FROM tenancy.applied;
SELECT to_regclass('public.users') AS users_table;

SELECT tenant_migrate('2');
SELECT version, name, state, batch FROM tenant_status();
SELECT tenant_migrate();
SELECT tenant_migrate();   -- up to date
SELECT version, state, batch FROM tenant_status();
SELECT * FROM users ORDER BY id;
SELECT action, version, batch FROM tenant_history() ORDER BY id;

-- out of order: an older version added after a newer one was applied
SELECT tenant_migration_add('2.5', 'late', 'CREATE TABLE late (id int);', 'DROP TABLE late;');
SELECT version, state FROM tenant_status();
SELECT * FROM tenant_plan();
SELECT tenant_migrate();
SELECT tenant_migrate(NULL, true);
SELECT version, state FROM tenant_status();

-- migration bodies run with the caller's search_path, tracking SQL does not
CREATE SCHEMA app;
SELECT tenant_migration_add('4', 'in app schema', 'CREATE TABLE things (id int); CREATE TEMP TABLE scratch (x int);');
SET search_path = app, public;
SELECT tenant_migrate();
SHOW search_path;
RESET search_path;
SELECT to_regclass('app.things') AS app_things, to_regclass('public.things') AS public_things;

-- a body may hold many statements, functions with semicolons, DO blocks
SELECT tenant_migration_add('5', 'functions', $body$
CREATE FUNCTION add_one(i int) RETURNS int LANGUAGE sql AS $$ SELECT i + 1; $$;
CREATE FUNCTION two() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
DO $$ BEGIN PERFORM 1; END $$;
-- a comment at the end
$body$);
SELECT tenant_migrate();
SELECT add_one(41), two();

-- target unknown
SELECT tenant_migrate('99');

-- a dry run reports a failing body without raising, and leaves nothing
SELECT tenant_migration_add('6', 'ok', 'CREATE TABLE six (id int);');
SELECT tenant_migration_add('7', 'fails', 'SELECT 1/0;');
SELECT tenant_migration_add('8', 'after', 'CREATE TABLE eight (id int);');
SELECT version, name, outcome, error FROM tenant_dry_run();
SELECT version, name, outcome FROM tenant_dry_run('6');
SELECT to_regclass('six') AS six,
       (SELECT count(*) FROM tenancy.applied WHERE version IN ('6', '7', '8')) AS applied;
\c postgres
DROP DATABASE tn_migrate;
