-- pg_errors: every error path of the SQL API, with its SQLSTATE.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tn_errors;
CREATE DATABASE tn_errors;
\c tn_errors
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
\getenv abs_srcdir PG_ABS_SRCDIR

-- try(sql): runs sql, shows its result or its SQLSTATE, message, detail, hint
-- (timestamps of automatic checkpoints masked).
CREATE FUNCTION pg_temp.try(q text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE r text; s text; m text; d text; h text;
BEGIN
  EXECUTE q INTO r;
  RETURN NEXT 'ok: ' || coalesce(r, 'NULL');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT,
                          d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN NEXT s || ': ' || regexp_replace(m, '[0-9]{8}T[0-9.]+Z', '<stamp>', 'g');
  IF d <> '' THEN RETURN NEXT 'DETAIL: ' || regexp_replace(d, '[0-9]{8}T[0-9.]+Z', '<stamp>', 'g'); END IF;
  IF h <> '' THEN RETURN NEXT 'HINT: ' || h; END IF;
END $f$;
\pset tuples_only on
\pset format unaligned

-- NULL for a required argument (22004), same wording as SQLite
SELECT pg_temp.try($$SELECT tenant_migration_add(NULL, 'n', 'SELECT 1')$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('1', NULL, 'SELECT 1')$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('1', 'n', NULL)$$);
SELECT pg_temp.try($$SELECT tenant_migrations_load(NULL)$$);
SELECT pg_temp.try($$SELECT tenant_repair(NULL)$$);
SELECT pg_temp.try($$SELECT tenant_baseline(NULL)$$);

-- invalid arguments (22023) and limits (54000)
SELECT pg_temp.try($$SELECT tenant_migration_add('1.x', 'n', 'SELECT 1')$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('', 'n', 'SELECT 1')$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('1', '', 'SELECT 1')$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('1', repeat('n', 201), 'SELECT 1')$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('1', 'n', '   ')$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('1', 'n', 'SELECT 1', '')$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('1', 'n', repeat('x', 16 * 1024 * 1024 + 1))$$);
SELECT pg_temp.try($$SELECT tenant_migrate('abc')$$);
SELECT pg_temp.try($$SELECT tenant_checkpoint('x', 'photo')$$);
SELECT pg_temp.try($$SELECT tenant_checkpoint('no spaces')$$);
SELECT pg_temp.try($$SELECT tenant_checkpoint(repeat('c', 101))$$);
SELECT pg_temp.try($$SELECT tenant_checkpoint('s', 'snapshot')$$);

-- unknown names (42704), duplicates (42710)
SELECT pg_temp.try($$SELECT tenant_migrate('7')$$);
SELECT pg_temp.try($$SELECT tenant_rollback('nope')$$);
SELECT pg_temp.try($$SELECT tenant_rollback()$$);
SELECT pg_temp.try($$SELECT tenant_checkpoint('dup')$$);
SELECT pg_temp.try($$SELECT tenant_checkpoint('dup')$$);

-- folders: unreadable (58030), malformed (TN005)
SELECT pg_temp.try($$SELECT tenant_migrations_load('/nonexistent/tenancy')$$);
-- (the checkout's absolute path is masked: CI clones into another folder)
SELECT replace(t, :'abs_srcdir', '<srcdir>') FROM pg_temp.try(format('SELECT tenant_migrations_load(%L)', :'abs_srcdir' || '/tests/fixtures/bad_tern')) AS t;
SELECT replace(t, :'abs_srcdir', '<srcdir>') FROM pg_temp.try(format('SELECT tenant_migrations_load(%L)', :'abs_srcdir' || '/tests/fixtures/bad_nothing')) AS t;
SELECT replace(t, :'abs_srcdir', '<srcdir>') FROM pg_temp.try(format('SELECT tenant_migrations_load(%L)', :'abs_srcdir' || '/tests/fixtures/bad_liquibase')) AS t;
SELECT replace(t, :'abs_srcdir', '<srcdir>') FROM pg_temp.try(format('SELECT tenant_migrations_load(%L)', :'abs_srcdir' || '/tests/fixtures/bad_own_transaction')) AS t;
SELECT replace(t, :'abs_srcdir', '<srcdir>') FROM pg_temp.try(format('SELECT tenant_migrations_load(%L)', :'abs_srcdir' || '/tests/fixtures/bad_duplicate')) AS t;

-- a failing body (TN002, the engine's SQLSTATE in the detail) names the line
SELECT pg_temp.try($$SELECT tenant_migration_add('1', 'ok', 'CREATE TABLE ok1 (id int);', 'DROP TABLE ok1;')$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'div', E'CREATE TABLE t2 (id int);\n\nINSERT INTO t2 SELECT 1/0;')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'syntax', E'CREATE TABLE t2 (id int);\n/* comment; with semicolon */\nCREAT TABLE t3 (id int);')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
SELECT to_regclass('ok1') AS ok1, to_regclass('t2') AS t2;   -- the whole batch was rolled back
-- the "fail" history row is rolled back with the error on PostgreSQL
SELECT count(*) AS fail_rows FROM tenancy.history WHERE action = 'fail';

-- statements a function cannot run
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'commit', E'CREATE TABLE t2 (id int);\nCOMMIT;')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'copy', E'CREATE TABLE t2 (id int);\nCOPY t2 FROM STDIN;')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
-- the failing statement is named whether it fails in its parse analysis, its run
-- or its parameters, first or later in the body (the body runs as one SPI call)
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'missing', E'CREATE TABLE t2 (id int);\nINSERT INTO t2 VALUES (1);\n\nINSERT INTO t_missing\n  VALUES (1);')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'param', E'CREATE TABLE t2 (id int);\nSELECT $1;')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'first', E'-- a comment line\n\nSELECT 1/0; CREATE TABLE t2 (id int);')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
-- a REPEATABLE READ caller's bodies run statement by statement: the same error, the same line
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'div', E'CREATE TABLE t2 (id int);\n\nINSERT INTO t2 SELECT 1/0;')$$);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
COMMIT;
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'syntax', E'CREATE TABLE t2 (id int);\n/* comment; with semicolon */\nCREAT TABLE t3 (id int);')$$);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
COMMIT;
-- no-transaction migrations (25001) are refused before anything runs
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'concurrently', 'CREATE INDEX CONCURRENTLY i ON ok1 (id);')$$);
SELECT flags FROM tenancy.catalog WHERE version = '2';
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'marked', E'-- tenancy:no-transaction\nCREATE TABLE t2 (id int);')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);

-- a cancel (statement_timeout) while a body runs: 57014, batch rolled back
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'slow', 'CREATE TABLE t2 (id int); SELECT pg_sleep(5);')$$);
-- (PL/pgSQL cannot catch a cancel, so no try() here)
\set VERBOSITY terse
SET statement_timeout = '300ms';
SELECT tenant_migrate();
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
\set VERBOSITY default
SELECT to_regclass('ok1') AS ok1, to_regclass('t2') AS t2;

-- drift (TN001), out of order (TN003), missing down (TN004)
SELECT pg_temp.try($$SELECT tenant_migration_add('2', 'fine', 'CREATE TABLE t2 (id int);')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('1', 'ok', 'CREATE TABLE ok1 (id bigint);', 'DROP TABLE ok1;')$$);
SELECT pg_temp.try($$SELECT tenant_migration_add('1.5', 'late', 'SELECT 1;')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
SELECT pg_temp.try($$SELECT tenant_migrate(NULL, NULL)$$);
SELECT pg_temp.try($$SELECT tenant_rollback()$$);

-- a read-only transaction: reading works, migrating gets the engine's 25006
BEGIN TRANSACTION READ ONLY;
SELECT count(*) AS versions FROM tenant_status();
SELECT pg_temp.try($$SELECT tenant_migrate(NULL, true)$$);
ROLLBACK;

-- an error raised by the core never leaves the session in a bad state
BEGIN;
SELECT tenant_migrate('nope');
ROLLBACK;
SELECT count(*) FROM tenant_status();
-- a caller's transaction decides: rolled back, nothing stays
SELECT pg_temp.try($$SELECT tenant_migration_add('3', 'three', 'CREATE TABLE t3 (id int);', 'DROP TABLE t3;')$$);
BEGIN;
SELECT tenant_migrate(NULL, true);
ROLLBACK;
SELECT version, state FROM tenant_status() WHERE version = '3';
BEGIN;
SAVEPOINT s;
SELECT tenant_migrate(NULL, true);
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT version, state FROM tenant_status() WHERE version = '3';
\c postgres
DROP DATABASE tn_errors;
