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

-- Folders written for other tools (issue 8), each in a fresh database: loaded, migrated, compared with a
-- plain ordered apply of the up bodies (schema "plain"), rolled back.  A function cannot leave its
-- transaction, so no-transaction versions (goose NO TRANSACTION, sql-migrate notransaction, pop
-- .autocommit) are refused here with the hint to use tenant_migrate_all; the versions before them run.
\set fresh 'DROP DATABASE IF EXISTS tn_fx'
\set differences 'SELECT count(*) AS differences FROM ((SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = \'public\' EXCEPT SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = \'plain\') UNION ALL (SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = \'plain\' EXCEPT SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = \'public\') UNION ALL (SELECT indexname, replace(indexdef, schemaname || \'.\', \'\'), \'\' FROM pg_indexes WHERE schemaname = \'public\' EXCEPT SELECT indexname, replace(indexdef, schemaname || \'.\', \'\'), \'\' FROM pg_indexes WHERE schemaname = \'plain\') UNION ALL (SELECT indexname, replace(indexdef, schemaname || \'.\', \'\'), \'\' FROM pg_indexes WHERE schemaname = \'plain\' EXCEPT SELECT indexname, replace(indexdef, schemaname || \'.\', \'\'), \'\' FROM pg_indexes WHERE schemaname = \'public\')) d'
\set objects 'SELECT count(*) AS objects_left FROM pg_class WHERE relnamespace = \'public\'::regnamespace'
\set fx :abs_srcdir '/tests/fixtures/'

-- goose: the issue's 1_t.sql; its Down section never runs as part of the up
\c postgres
SET client_min_messages = warning;
:fresh;
CREATE DATABASE tn_fx;
\c tn_fx
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'goose_t');
SELECT tenant_migrate();
SELECT to_regclass('public.t') AS t;
SELECT tenant_rollback();
SELECT to_regclass('public.t') AS t_after_rollback;

-- goose: StatementBegin/End, an empty version, NO TRANSACTION (refused in a function)
DROP EXTENSION tenancy;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'goose');
SELECT version, name, flags, down_sql IS NOT NULL AS has_down FROM tenancy.catalog ORDER BY version;
SELECT tenant_migrate('00003');
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT id, email FROM users;
SELECT id, body FROM posts;
CREATE SCHEMA plain;
SET search_path = plain;
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id), body text);
RESET search_path;
:differences;
SELECT tenant_rollback();
:objects;

-- sql-migrate
\c postgres
SET client_min_messages = warning;
:fresh;
CREATE DATABASE tn_fx;
\c tn_fx
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'sql_migrate');
SELECT version, name, flags FROM tenancy.catalog ORDER BY version;
SELECT tenant_migrate('20230101120000');
SELECT tenant_migrate();
SELECT id, name FROM people;
SELECT tenant_rollback();
:objects;

-- golang-migrate with V names
\c postgres
SET client_min_messages = warning;
:fresh;
CREATE DATABASE tn_fx;
\c tn_fx
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'golang_v');
SELECT version, name, down_sql IS NOT NULL AS has_down FROM tenancy.catalog ORDER BY version;
SELECT tenant_migrate();
CREATE SCHEMA plain;
SET search_path = plain;
\i :fx/golang_v/V0001.Initial_Schema.up.sql
\i :fx/golang_v/V0002.Add_Balance.up.sql
RESET search_path;
:differences;
SELECT tenant_rollback();
:objects;

-- empty and comment-only files: no-op versions; an empty down file is a no-op down
\c postgres
SET client_min_messages = warning;
:fresh;
CREATE DATABASE tn_fx;
\c tn_fx
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'empty');
SELECT version, name, length(up_sql) AS up_len, down_sql IS NOT NULL AS has_down, length(down_sql) AS down_len
  FROM tenancy.catalog ORDER BY version;
SELECT tenant_migrate('3');
SELECT tenant_migrate();
SELECT version, state, batch FROM tenant_status();
CREATE SCHEMA plain;
SET search_path = plain;
\i :fx/empty/1_init.up.sql
\i :fx/empty/2_mysql_only.up.sql
\i :fx/empty/3_noop.up.sql
\i :fx/empty/4_label.up.sql
RESET search_path;
:differences;
-- the last batch is 4, whose down file is empty: rollback runs nothing for it (the column stays)
SELECT tenant_rollback();
SELECT version, state FROM tenant_status();
SELECT count(*) AS label_column FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'label';

-- pop: .postgres files and the generic ones, .sqlite3/.mysql/.cockroach skipped, .autocommit no transaction
\c postgres
SET client_min_messages = warning;
:fresh;
CREATE DATABASE tn_fx;
\c tn_fx
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'pop');
SELECT version, name, flags, replace(source, :'fx', '') AS source FROM tenancy.catalog ORDER BY version;
SELECT tenant_migrate('20190100000003000000');
SELECT tenant_migrate();
CREATE SCHEMA plain;
SET search_path = plain;
\i :fx/pop/20190100000001000000_identities.postgres.up.sql
\i :fx/pop/20190100000002000000_traits_index.up.sql
\i :fx/pop/20190100000003000000_mysql_charset.up.sql
RESET search_path;
:differences;
SELECT tenant_rollback();
:objects;

-- pop dialect folders: postgres/ read, sqlite3/ and mysql/ skipped
\c postgres
SET client_min_messages = warning;
:fresh;
CREATE DATABASE tn_fx;
\c tn_fx
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'pop_folders');
SELECT version, name, replace(source, :'fx', '') AS source FROM tenancy.catalog ORDER BY version;
SELECT tenant_migrate();
SELECT body FROM notes;
SELECT tenant_rollback();
:objects;

-- a folder per migration: Prisma (migration.sql, no down) and Diesel (up.sql + down.sql)
DROP EXTENSION tenancy;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'prisma');
SELECT version, name, replace(source, :'fx', '') AS source, down_sql IS NOT NULL AS has_down FROM tenancy.catalog ORDER BY version;
SELECT tenant_migrate();
CREATE SCHEMA plain;
SET search_path = plain;
\i :fx/prisma/20230101000000_init/migration.sql
\i :fx/prisma/20230102000000_add_name/migration.sql
RESET search_path;
:differences;
DROP SCHEMA plain CASCADE;
DROP TABLE "User";
DROP EXTENSION tenancy;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'diesel');
SELECT version, name, replace(source, :'fx', '') AS source, down_sql IS NOT NULL AS has_down FROM tenancy.catalog ORDER BY version;
SELECT tenant_migrate();
CREATE SCHEMA plain;
SET search_path = plain;
\i :fx/diesel/2023-01-01-000000_create_posts/up.sql
\i :fx/diesel/2023-01-02-000000_add_published/up.sql
RESET search_path;
:differences;
SELECT tenant_rollback();
:objects;

-- bodies in their own BEGIN ... COMMIT (Prisma enum changes, Sqitch's template): the pairs are taken out
DROP EXTENSION tenancy;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'own_transaction');
SELECT tenant_migrate();
SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'x' ORDER BY ordinal_position;
SELECT tenant_rollback();
:objects;

-- Sqitch: order from the plan, verify after deploy, revert as down, the reworked insert_user read from its
-- @v1.0.0-dev2 copy first; compared with a plain apply of the deploys in plan order
DROP EXTENSION tenancy;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'sqitch');
SELECT version, name, replace(source, :'fx', '') AS source, down_sql IS NOT NULL AS has_down FROM tenancy.catalog ORDER BY version;
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT flipr.insert_user('marge', 'secret');
SELECT nickname, password = md5('secret') AS md5_password FROM flipr.users;
SELECT tenant_rollback();
SELECT count(*) AS flipr_schemas FROM pg_namespace WHERE nspname = 'flipr';
-- Liquibase formatted SQL: changesets in file order, dbms:postgresql ones (not sqlite or mysql), rollbacks
DROP EXTENSION tenancy;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'liquibase');
SELECT version, name, flags, down_sql IS NOT NULL AS has_down, replace(source, :'fx', '') AS source FROM tenancy.catalog ORDER BY version;
SELECT tenant_migrate();
SELECT code, name FROM tb_state ORDER BY code;
DROP SCHEMA IF EXISTS plain CASCADE;
CREATE SCHEMA plain;
SET search_path = plain;
CREATE TABLE tb_product (
    id BIGINT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    price DECIMAL(10,2) NOT NULL
);
CREATE TABLE tb_state (
    code VARCHAR(2) PRIMARY KEY,
    name VARCHAR(64) NOT NULL
);
CREATE INDEX tb_product_name ON tb_product USING btree (name);
ALTER TABLE tb_product ADD COLUMN note TEXT;
RESET search_path;
:differences;
DROP SCHEMA plain CASCADE;
SELECT tenant_rollback();
:objects;

-- a real project's Liquibase folder (glav-kod/glav-lib migrations/public, read by includeAll), unchanged
DROP EXTENSION tenancy;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'liquibase_glav');
SELECT version, name, down_sql IS NOT NULL AS has_down FROM tenancy.catalog ORDER BY version;
SELECT tenant_migrate();
SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users' ORDER BY ordinal_position;
SELECT tenant_rollback();
SELECT to_regclass('public.users') AS users_after_rollback;

-- Flyway repeatables (R__): after the versioned ones, by description; a changed body is applied again (not drift),
-- only it; status and history show them; a rollback passes over them
DROP EXTENSION tenancy;
CREATE EXTENSION tenancy;
SELECT tenant_migrations_load(:'fx' || 'flyway_repeatable');
SELECT version, name, down_sql IS NOT NULL AS has_down FROM tenancy.catalog ORDER BY version;
SELECT * FROM tenant_plan();
SELECT tenant_migrate();
SELECT name FROM people;
SELECT tenant_migrations_load_files(ARRAY['R__People_view.sql'],
  ARRAY[E'drop view if exists PEOPLE;\ncreate view PEOPLE as\n    select P.NAME from PERSON P\n    where P.NAME like \'M%\';\n']);
SELECT version, state FROM tenant_status();
SELECT count(*) AS problems FROM tenant_verify();
SELECT tenant_migrate();
SELECT name FROM people;
SELECT version, state, batch FROM tenant_status();
SELECT action, version, batch FROM tenant_history() WHERE action IN ('apply', 'checkpoint') ORDER BY id;
SELECT tenant_rollback();
SELECT version, state FROM tenant_status();
\c postgres
DROP DATABASE tn_fx;
