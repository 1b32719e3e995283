-- pg_fleet: issue 9, "one decision, two engines" on PostgreSQL: the fan-out's
-- numeric arguments are judged by the core (concurrency 1..64, max_failures
-- >= 0, the same words as SQLite's tests/sqlite/fleet_one_decision.sql), and a
-- failed tenant_migrate() raises TN002 with the body's SQLSTATE in the detail.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tn_fleet;
CREATE DATABASE tn_fleet;
\c tn_fleet
SET client_min_messages = warning;
CREATE EXTENSION tenancy;

-- try(sql): runs sql, shows its result or its SQLSTATE, message, detail, hint
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

-- the core's limits (before any tenant is contacted)
SELECT pg_temp.try($$SELECT count(*) FROM tenant_migrate_all(NULL, 65)$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_migrate_all(NULL, 256)$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_migrate_all(NULL, 64, -1)$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_dry_run_all(NULL, 0)$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_verify_all(65)$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_query_all('SELECT 1', 0)$$);
-- tenant_query_all's statement is read by PostgreSQL's parser before any tenant: refused for the whole
-- call with the core's error, as on SQLite (conformance 24: DELETE, CREATE, several, none)
SELECT pg_temp.try($$SELECT count(*) FROM tenant_query_all('SHOW work_mem')$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_query_all('EXPLAIN SELECT 1')$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_query_all('EXPLAIN ANALYZE DELETE FROM t')$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_query_all('SELECT 1 INTO t')$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_query_all('WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d')$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_query_all('SELECT 1 UNION (WITH d AS (DELETE FROM t RETURNING 1) SELECT 1)')$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_query_all(';;')$$);
-- a syntax error is not refused here (each tenant reports it): the next check is reached
SELECT pg_temp.try($$SELECT count(*) FROM tenant_query_all('SELEC 1', 0)$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_migrate_all_atomic(NULL, 65)$$);

-- a failed body: TN002 (as on SQLite), the body's SQLSTATE in the detail
SELECT pg_temp.try($$SELECT tenant_migration_add('1', 'plan', E'CREATE TABLE plans (plan text NOT NULL);\nINSERT INTO plans VALUES (NULL);')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
SELECT count(*) AS applied FROM tenancy.applied;

-- issue 9: tenant_rollback_all and tenant_migration_remove refuse bad input
-- before any tenant is contacted (the core reads the argument and the list)
SELECT pg_temp.try($$SELECT count(*) FROM tenant_rollback_all(NULL)$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_rollback_all('9')$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_rollback_all('bad name!')$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_rollback_all('1', 0)$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_rollback_all('cp1', NULL, ARRAY[]::text[])$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_rollback_all('cp1', NULL, ARRAY['nobody'])$$);
SELECT pg_temp.try($$SELECT count(*) FROM tenant_migrate_all(NULL, NULL, NULL, ARRAY[NULL]::text[])$$);
SELECT pg_temp.try($$SELECT tenant_migration_remove(NULL, 'tenants')$$);
SELECT pg_temp.try($$SELECT tenant_migration_remove('9', 'tenants')$$);
SELECT pg_temp.try($$SELECT tenant_migration_remove('1', 'everything')$$);
-- the database's own catalog: the broken, never applied "1" above goes; an applied one stays
SELECT pg_temp.try($$SELECT tenant_migration_remove('1')$$);
SELECT version, state FROM tenant_status();
SELECT action, version FROM tenant_history() WHERE action = 'remove';
SELECT pg_temp.try($$SELECT tenant_migration_add('41', 'own', 'CREATE TABLE own41 (a int);', NULL, 'database')$$);
SELECT pg_temp.try($$SELECT tenant_migrate()$$);
SELECT pg_temp.try($$SELECT tenant_migration_remove('41')$$);

-- tenant_settings(): every tenancy.* GUC this server defines is listed (and nothing else
-- of PostgreSQL's), with its default; current values follow SET
SELECT s.name FROM pg_catalog.pg_settings s WHERE s.name LIKE 'tenancy.%'
EXCEPT SELECT name FROM tenant_settings() WHERE engine = 'postgresql';
SELECT name FROM tenant_settings() WHERE engine = 'postgresql'
EXCEPT SELECT s.name FROM pg_catalog.pg_settings s WHERE s.name LIKE 'tenancy.%';
SELECT t.name, t.default_value = s.boot_val AS default_matches, t.unit IS NOT DISTINCT FROM s.unit AS unit_matches
  FROM tenant_settings() t JOIN pg_catalog.pg_settings s USING (name) ORDER BY 1;
SET tenancy.lock_timeout = '2s';
SELECT name, current_value FROM tenant_settings() WHERE name = 'tenancy.lock_timeout';

\c postgres
SET client_min_messages = warning;
DROP DATABASE tn_fleet;
