-- pg_fallback: the SQLite fallback's functions exist on PostgreSQL with the
-- same arguments and result columns, and each refuses (0A000) with a hint
-- naming what to use instead: pg_dump for backups, the SQLite extension
-- for the fallback.  Nothing is changed by a refused call.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tn_fallback;
CREATE DATABASE tn_fallback;
\c tn_fallback
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT tenant_backup();
\echo :LAST_ERROR_SQLSTATE
SELECT tenant_backup('/tmp/x.db');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tenant_backups();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tenant_fallback_pull('dbname=tn_fallback');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tenant_fallback_pull('dbname=tn_fallback', 'users');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tenant_fallback_push('dbname=tn_fallback');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tenant_fallback_push('dbname=tn_fallback', 'primary_wins');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tenant_fallback_status('dbname=tn_fallback');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tenant_fallback_pull_all('dbname=tn_fallback');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tenant_fallback_push_all('dbname=tn_fallback', 'fallback_wins', 2);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tenant_fallback_status_all('dbname=tn_fallback');
\echo :LAST_ERROR_SQLSTATE
-- dropping the bookkeeping of retired tables: nothing of it lives here
SELECT tenant_fallback_drop_retired();
\echo :LAST_ERROR_SQLSTATE
SELECT tenant_fallback_drop_retired('acme');
\echo :LAST_ERROR_SQLSTATE
-- the arguments and result columns are the SQLite extension's
SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments, pg_get_function_result(p.oid) AS result
  FROM pg_proc p WHERE p.proname IN ('tenant_backup', 'tenant_backups') OR p.proname LIKE 'tenant\_fallback\_%'
 ORDER BY 1;
-- revoked from PUBLIC like every function of the extension
SELECT count(*) AS granted_to_public FROM pg_proc p
 WHERE (p.proname IN ('tenant_backup', 'tenant_backups', 'refuse_sqlite_only') OR p.proname LIKE 'tenant\_fallback\_%')
   AND (p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0));
\c postgres
DROP DATABASE tn_fallback;
