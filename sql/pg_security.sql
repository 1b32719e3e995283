-- pg_security: privileges, search_path and pg_temp hijacks.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tn_security;
CREATE DATABASE tn_security;
\c tn_security
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
DROP ROLE IF EXISTS tn_nobody;
DROP ROLE IF EXISTS tn_deployer;
CREATE ROLE tn_nobody LOGIN;
CREATE ROLE tn_deployer LOGIN;
GRANT CREATE ON SCHEMA public TO tn_nobody, tn_deployer;

-- every function of the extension is revoked from PUBLIC and pins
-- search_path with pg_temp last; so is the tracking schema
CREATE TEMP VIEW ext_functions AS
  SELECT p.* FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'tenancy');
SELECT count(*) >= 13 AS has_functions,
       count(*) FILTER (WHERE proacl IS NULL OR EXISTS (
         SELECT 1 FROM aclexplode(proacl) a WHERE a.grantee = 0)) AS granted_to_public,
       count(*) FILTER (WHERE proconfig IS DISTINCT FROM '{"search_path=pg_catalog, pg_temp"}'
                          AND prokind <> 'p') AS without_safe_search_path,
       count(*) FILTER (WHERE prosecdef) AS security_definer
  FROM ext_functions;
-- the only SECURITY DEFINER functions: the run record's write paths (1.4),
-- owned by the extension's owner
SELECT string_agg(p.proname, ', ' ORDER BY p.proname) AS security_definer_functions,
       bool_and(p.proowner = e.extowner) AS owned_by_extension_owner
  FROM ext_functions p, pg_extension e WHERE e.extname = 'tenancy' AND p.prosecdef;
-- a procedure cannot carry a SET clause and still commit: each one is C and
-- pins search_path = pg_catalog, pg_temp in every transaction it opens
SELECT proname, prolang = (SELECT oid FROM pg_language WHERE lanname = 'c') AS is_c, proconfig
  FROM ext_functions WHERE prokind = 'p' ORDER BY 1;
SELECT has_schema_privilege('tn_nobody', 'tenancy', 'USAGE') AS nobody_usage;

SELECT tenant_migration_add('1', 'one', 'CREATE TABLE one (id int);', 'DROP TABLE one;');

-- a role without grants is refused (42501) by every function
SET ROLE tn_nobody;
\set VERBOSITY terse
SELECT tenant_migrate();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tenant_status();
\echo :LAST_ERROR_SQLSTATE
SELECT tenant_migration_add('2', 'x', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT tenant_rollback();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tenancy.catalog;
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
RESET ROLE;

-- a deployer granted the functions and the tables can migrate
GRANT EXECUTE ON FUNCTION tenant_migrate(text, boolean), tenant_status(),
  tenant_migrations_load(text) TO tn_deployer;
GRANT USAGE ON SCHEMA tenancy TO tn_deployer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA tenancy TO tn_deployer;
SET ROLE tn_deployer;
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT tableowner FROM pg_tables WHERE tablename = 'one';   -- bodies run as the caller
-- reading server files needs pg_read_server_files (42501, core wording)
SELECT tenant_migrations_load('/tmp');
RESET ROLE;
-- without rights on a tracking table the engine's own error comes through
REVOKE INSERT ON tenancy.history FROM tn_deployer;
SELECT tenant_migration_add('1.5', 'one and a half', 'CREATE TABLE one_half (id int);');
SET ROLE tn_deployer;
\set VERBOSITY terse
SELECT tenant_migrate(NULL, true);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT version, state FROM tenant_status();
RESET ROLE;
DELETE FROM tenancy.catalog WHERE version = '1.5';

-- hijack attempts: objects in public and pg_temp that shadow what the
-- tracking SQL uses must not be picked up
CREATE FUNCTION public.coalesce(text, text) RETURNS text LANGUAGE sql
  AS $$ SELECT 'hijacked'::text $$;
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION 'hijacked now()'; END $$;
CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION 'hijacked clock_timestamp()'; END $$;
CREATE FUNCTION public.max(text) RETURNS text LANGUAGE sql AS $$ SELECT 'hijacked' $$;
CREATE FUNCTION public.texteq_hijack(text, text) RETURNS boolean LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION 'hijacked operator'; END $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.texteq_hijack);
CREATE TEMP TABLE catalog (version text);
CREATE TEMP TABLE applied (version text);
CREATE FUNCTION pg_temp.lower(text) RETURNS text LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION 'hijacked pg_temp'; END $$;
SET search_path = public, pg_catalog, pg_temp;
SELECT tenant_migration_add('2', 'two', 'CREATE TABLE two (id int);', 'DROP TABLE two;');
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT count(*) AS verify_problems FROM tenant_verify();
SELECT tenant_checkpoint('c');
SELECT tenant_rollback('c');
SELECT tenant_migrate();
SELECT count(*) AS hijack_rows FROM pg_temp.catalog;
-- the caller's search_path came back, and bodies used it
SHOW search_path;
SELECT to_regclass('public.two') AS two;
RESET search_path;

\c postgres
DROP DATABASE tn_security;
DROP ROLE tn_nobody;
DROP ROLE tn_deployer;
