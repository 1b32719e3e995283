-- pg_upgrade_caps: roles given a capability (reader, migrator, admin) under 1.3 hold, after
-- ALTER EXTENSION tenancy UPDATE, exactly what tenancy.capabilities() lists
-- for it (and the capabilities below it): the same rights as a role given
-- that capability on a fresh 1.4 install.  Also: the update leaves one
-- capabilities() and no helper of its own behind.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tn_upcaps_old;
DROP DATABASE IF EXISTS tn_upcaps_new;
DROP ROLE IF EXISTS tn_upcaps_reader;
DROP ROLE IF EXISTS tn_upcaps_migrator;
DROP ROLE IF EXISTS tn_upcaps_admin;
CREATE ROLE tn_upcaps_reader;
CREATE ROLE tn_upcaps_migrator;
CREATE ROLE tn_upcaps_admin;
CREATE DATABASE tn_upcaps_old;
CREATE DATABASE tn_upcaps_new;

-- held(): one line per role and object it may use (functions: EXECUTE,
-- tables: SELECT, writes: INSERT, locks: UPDATE) among the extension's members
\set held 'SELECT string_agg(r || '' '' || what, E''\n'' ORDER BY r, what) FROM unnest(ARRAY[''tn_upcaps_reader'', ''tn_upcaps_migrator'', ''tn_upcaps_admin'']) r, (SELECT ''execute '' || p.oid::regprocedure::text AS what, p.oid AS o, ''f'' AS t FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid WHERE d.classid = ''pg_proc''::regclass AND d.refclassid = ''pg_extension''::regclass AND d.deptype = ''e'' AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = ''tenancy'') UNION ALL SELECT m || '' '' || c.oid::regclass::text, c.oid, m FROM pg_depend d JOIN pg_class c ON c.oid = d.objid, unnest(ARRAY[''SELECT'', ''INSERT'', ''UPDATE'']) m WHERE d.classid = ''pg_class''::regclass AND d.refclassid = ''pg_extension''::regclass AND d.deptype = ''e'' AND c.relkind IN (''r'', ''v'') AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = ''tenancy'')) x WHERE CASE WHEN x.t = ''f'' THEN has_function_privilege(r, x.o, ''EXECUTE'') ELSE has_table_privilege(r, x.o, x.t) END'

-- mismatches(): objects a role may use that its capability does not list,
-- or that it lists and the role may not use
\set mismatches 'WITH listed AS (SELECT h.r, c.kind, CASE WHEN c.kind <> ''function'' THEN c.object WHEN c.object LIKE ''tenancy.%'' THEN c.object ELSE e.extnamespace::regnamespace::text || ''.'' || c.object END AS object FROM (VALUES (''tn_upcaps_reader'', ''reader''), (''tn_upcaps_migrator'', ''migrator''), (''tn_upcaps_admin'', ''admin'')) h(r, cap), tenancy.capabilities() c, pg_extension e WHERE e.extname = ''tenancy'' AND c.capability = ANY (tenancy.capability_closure(h.cap)) AND c.kind <> ''server''), funcs AS (SELECT p.oid FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid WHERE d.classid = ''pg_proc''::regclass AND d.deptype = ''e'' AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = ''tenancy'')) SELECT h.r, f.oid::regprocedure::text AS object, has_function_privilege(h.r, f.oid, ''EXECUTE'') AS may FROM (VALUES (''tn_upcaps_reader''), (''tn_upcaps_migrator''), (''tn_upcaps_admin'')) h(r), funcs f WHERE has_function_privilege(h.r, f.oid, ''EXECUTE'') <> EXISTS (SELECT 1 FROM listed l WHERE l.r = h.r AND l.kind = ''function'' AND to_regprocedure(l.object) = f.oid) UNION ALL SELECT l.r, l.object, false FROM listed l WHERE l.kind = ''function'' AND (to_regprocedure(l.object) IS NULL OR NOT has_function_privilege(l.r, to_regprocedure(l.object), ''EXECUTE'')) UNION ALL SELECT l.r, l.kind || '' '' || l.object, false FROM listed l WHERE l.kind <> ''function'' AND NOT has_table_privilege(l.r, l.object, CASE l.kind WHEN ''table'' THEN ''SELECT'' WHEN ''write'' THEN ''INSERT'' ELSE ''UPDATE'' END) ORDER BY 1, 2'

-- 1.3, capabilities given, then the update
\c tn_upcaps_old
SET client_min_messages = warning;
CREATE EXTENSION tenancy VERSION '1.3';
SELECT tenancy.grant_capability('tn_upcaps_reader', 'reader');
SELECT tenancy.grant_capability('tn_upcaps_migrator', 'migrator');
SELECT tenancy.grant_capability('tn_upcaps_admin', 'admin');
ALTER EXTENSION tenancy UPDATE;
:mismatches;
SELECT count(*) FILTER (WHERE p.proname = 'capabilities') AS capabilities_functions,
       count(*) FILTER (WHERE p.proname LIKE 'capabilities\_%') AS left_behind
  FROM pg_proc p WHERE p.pronamespace = 'tenancy'::regnamespace;
SELECT count(*) AS listed_functions_missing FROM tenancy.capabilities() c, pg_extension e
 WHERE e.extname = 'tenancy' AND c.kind = 'function'
   AND to_regprocedure(CASE WHEN c.object LIKE 'tenancy.%' THEN c.object
                            ELSE e.extnamespace::regnamespace::text || '.' || c.object END) IS NULL;
:held \gset upgraded_
SELECT length(:'upgraded_string_agg') > 0 AS holds_something,
       :'upgraded_string_agg' LIKE '%tn_upcaps_migrator execute %tenancy.run_open(%' AS migrator_holds_run_open,
       :'upgraded_string_agg' LIKE '%tn_upcaps_reader execute %tenancy.run_open(%' AS reader_holds_run_open;

-- a fresh 1.4, the same capabilities given: the same rights
\c tn_upcaps_new
SET client_min_messages = warning;
CREATE EXTENSION tenancy;
SELECT tenancy.grant_capability('tn_upcaps_reader', 'reader');
SELECT tenancy.grant_capability('tn_upcaps_migrator', 'migrator');
SELECT tenancy.grant_capability('tn_upcaps_admin', 'admin');
:mismatches;
:held \gset fresh_
SELECT :'upgraded_string_agg' = :'fresh_string_agg' AS same_rights_as_fresh_install;

\c postgres
DROP DATABASE tn_upcaps_old;
DROP DATABASE tn_upcaps_new;
DROP ROLE tn_upcaps_reader;
DROP ROLE tn_upcaps_migrator;
DROP ROLE tn_upcaps_admin;
