/* pg_ext/tenancy--1.2--1.3.sql -- upgrade tenancy 1.2 to 1.3: files sent by
 * the client, capabilities and the security model of SECURITY.md (issue 7).
 *
 * Adds tenant_migrations_load_files(names, bodies [, scope]): the folder
 * rules of tenant_migrations_load applied by the core to files the client
 * sends (the tenancy command's "load"), so a remote or managed server needs
 * no file access and no pg_read_server_files.
 *
 * Adds: the foreign-data wrapper tenancy_fdw, whose servers carry the user
 * mappings a non-superuser's outgoing connections take their credentials
 * from (postgres_fdw's rule; the administrator creates the server
 * "tenancy" of it, so the server and its mappings are kept by pg_dump);
 * tenancy.grant_capability(role, capability) /
 * tenancy.revoke_capability(role, capability), the
 * one documented way to give a role a capability; tenancy.capabilities(),
 * what each capability holds; tenancy.location_ok(text), a CHECK that sees
 * passwords in URIs too.  Takes back every direct write on the registry
 * and tenant-set tables that 1.2's README advice made administrators
 * grant: those tables are written by tenancy's functions only.
 *
 * Security: qualified names, SET search_path = pg_catalog, pg_temp on every
 * function, everything revoked from PUBLIC.  grant_capability is SECURITY
 * INVOKER: only a role that may grant EXECUTE on the functions (their
 * owner, a superuser) can use it, and a capability never includes the
 * right to grant it on.
 *
 * 1.3 was never released on its own: both halves were written against 1.2
 * and meet here in one step.
 *
 * Must not: edit a released script's objects other than by ALTER/REVOKE
 * here, or grant anything to PUBLIC.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tenancy UPDATE TO '1.3'" to load this file. \quit

-- ---- migration files sent by the client (the tenancy command's "load") ----
CREATE FUNCTION @extschema@.tenant_migrations_load_files(names pg_catalog.text[],
	bodies pg_catalog.text[], scope pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_migrations_load_files'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

-- ---- credentials of non-superusers: user mappings on a tenancy_fdw server ----
CREATE FOREIGN DATA WRAPPER tenancy_fdw;
COMMENT ON FOREIGN DATA WRAPPER tenancy_fdw IS
	'holds no tables: the user mappings (user, password) of its server "tenancy" are the credentials of a non-superuser''s outgoing tenancy connections';

-- ---- locations: no password, in key=value or URI form ----
CREATE FUNCTION tenancy.location_ok(location pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'tenancy_location_ok'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
ALTER TABLE tenancy.tenants
	ADD CONSTRAINT tenants_location_without_password CHECK (tenancy.location_ok(location));

-- ---- the registry's locks ----
-- Empty tables locked IN EXCLUSIVE MODE by a run (lock_runs) and by a change
-- of the tenant set (lock_set).  That mode needs UPDATE on the table, which
-- only the migrator / admin capability gives: an advisory key, which 1.2
-- used, can be taken by any role that can connect (finding 11).
CREATE TABLE tenancy.lock_runs ();
CREATE TABLE tenancy.lock_set ();
COMMENT ON TABLE tenancy.lock_runs IS 'empty: locked by every fan-out run';
COMMENT ON TABLE tenancy.lock_set IS 'empty: locked by every change of the tenant set';

-- ---- capabilities ----
-- What each capability holds: the functions it may execute and the tables
-- it may read.  No capability may write a registry or tenant-set table.
CREATE FUNCTION tenancy.capabilities()
RETURNS TABLE (capability pg_catalog.text, kind pg_catalog.text, object pg_catalog.text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c, k, o FROM (VALUES
		-- reader: status of this database and of the registry
		('reader', 'function', 'tenant_status()'),
		('reader', 'function', 'tenant_verify()'),
		('reader', 'function', 'tenant_history()'),
		('reader', 'function', 'tenant_checkpoints()'),
		('reader', 'function', 'tenant_plan(text)'),
		('reader', 'function', 'tenants()'),
		('reader', 'function', 'tenant_runs()'),
		('reader', 'table', 'tenancy.catalog'),
		('reader', 'table', 'tenancy.applied'),
		('reader', 'table', 'tenancy.history'),
		('reader', 'table', 'tenancy.checkpoints'),
		('reader', 'table', 'tenancy.tenants'),
		('reader', 'table', 'tenancy.runs'),
		('reader', 'table', 'tenancy.run_tenants'),
		('reader', 'table', 'tenancy.set_catalog'),
		('reader', 'table', 'tenancy.set_applied'),
		-- migrator: migrate this database, and every tenant with the set
		('migrator', 'function', 'tenant_migrate(text, boolean)'),
		('migrator', 'function', 'tenant_dry_run(text)'),
		('migrator', 'function', 'tenant_checkpoint(text, text)'),
		('migrator', 'function', 'tenant_rollback(text)'),
		('migrator', 'function', 'tenant_migration_add(text, text, text, text)'),
		-- this database's catalog, as tenant_migration_add; its 'tenants' scope
		-- takes the tenant-set lock, which only admin holds
		('migrator', 'function', 'tenant_migrations_load_files(text[], text[], text)'),
		('migrator', 'function', 'tenant_migrate_all(text, integer, integer)'),
		('migrator', 'function', 'tenant_dry_run_all(text, integer)'),
		('migrator', 'function', 'tenant_verify_all(integer)'),
		('migrator', 'function', 'tenant_query_all(text, integer)'),
		('migrator', 'function', 'tenant_migrate_all_atomic(text, integer)'),
		('migrator', 'write', 'tenancy.catalog'),
		('migrator', 'write', 'tenancy.applied'),
		('migrator', 'write', 'tenancy.history'),
		('migrator', 'write', 'tenancy.checkpoints'),
		('migrator', 'server', 'tenancy'),
		('migrator', 'lock', 'tenancy.lock_runs'),
		-- admin: the registry and the tenant set
		('admin', 'function', 'tenant_create(text, text, text)'),
		('admin', 'function', 'tenant_register(text, text, text)'),
		('admin', 'function', 'tenant_drop(text, text)'),
		('admin', 'function', 'tenant_migration_add(text, text, text, text, text)'),
		('admin', 'function', 'tenant_migrations_load(text, text)'),
		('admin', 'function', 'tenant_migrations_load(text)'),
		('admin', 'function', 'tenant_repair(text)'),
		('admin', 'function', 'tenant_baseline(text)'),
		('admin', 'table', 'tenancy.audit'),
		('admin', 'table', 'tenancy.set_history'),
		('admin', 'table', 'tenancy.set_checkpoints'),
		('admin', 'lock', 'tenancy.lock_set')
	) AS v(c, k, o)
$$;

-- a capability includes the ones below it: admin > migrator > reader
CREATE FUNCTION tenancy.capability_closure(capability pg_catalog.text)
RETURNS pg_catalog.text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE capability
		WHEN 'reader' THEN ARRAY['reader']
		WHEN 'migrator' THEN ARRAY['reader', 'migrator']
		WHEN 'admin' THEN ARRAY['reader', 'migrator', 'admin']
	END
$$;

CREATE FUNCTION tenancy.capability_apply(role pg_catalog.regrole,
	capability pg_catalog.text, give pg_catalog.bool)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	caps pg_catalog.text[] := tenancy.capability_closure(capability);
	-- grant: the capability and those below it; revoke: just the one named
	wanted pg_catalog.text[] := CASE WHEN give THEN caps ELSE ARRAY[capability] END;
	ext pg_catalog.name;
	r record;
BEGIN
	IF role IS NULL OR capability IS NULL THEN
		RAISE EXCEPTION 'argument "%" must not be null', CASE WHEN role IS NULL THEN 'role' ELSE 'capability' END
			USING ERRCODE = '22004';
	END IF;
	IF caps IS NULL THEN
		RAISE EXCEPTION 'unknown capability "%"', capability
			USING ERRCODE = '22023',
				DETAIL = 'The capabilities are reader, migrator and admin (SECURITY.md).';
	END IF;
	IF role::pg_catalog.oid = 0 OR role::pg_catalog.text OPERATOR(pg_catalog.=) 'public' THEN
		RAISE EXCEPTION 'capabilities are given to roles, not to PUBLIC' USING ERRCODE = '22023';
	END IF;
	SELECT n.nspname INTO ext FROM pg_catalog.pg_extension e
		JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
		WHERE e.extname OPERATOR(pg_catalog.=) 'tenancy';
	IF give THEN
		EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA tenancy TO %s', role);
	END IF;
	FOR r IN SELECT c.kind, c.object FROM tenancy.capabilities() c
		WHERE c.capability OPERATOR(pg_catalog.=) ANY (wanted)
	LOOP
		IF r.kind OPERATOR(pg_catalog.=) 'function' THEN
			EXECUTE pg_catalog.format('%s EXECUTE ON FUNCTION %I.%s %s %s',
				CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END, ext, r.object,
				CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
		ELSIF r.kind OPERATOR(pg_catalog.=) 'table' THEN
			EXECUTE pg_catalog.format('%s SELECT ON %s %s %s',
				CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END, r.object,
				CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
		ELSIF r.kind OPERATOR(pg_catalog.=) 'write' THEN
			EXECUTE pg_catalog.format('%s SELECT, INSERT, UPDATE, DELETE ON %s %s %s',
				CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END, r.object,
				CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
			IF r.object OPERATOR(pg_catalog.=) 'tenancy.history' THEN
				EXECUTE pg_catalog.format('%s USAGE ON SEQUENCE tenancy.history_id_seq %s %s',
					CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END,
					CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
			END IF;
		ELSIF r.kind OPERATOR(pg_catalog.=) 'lock' THEN
			EXECUTE pg_catalog.format('%s UPDATE ON %s %s %s',
				CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END, r.object,
				CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
		ELSIF r.kind OPERATOR(pg_catalog.=) 'server'
			AND EXISTS (SELECT 1 FROM pg_catalog.pg_foreign_server s
				JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid OPERATOR(pg_catalog.=) s.srvfdw
				WHERE s.srvname OPERATOR(pg_catalog.=) r.object AND w.fdwname OPERATOR(pg_catalog.=) 'tenancy_fdw') THEN
			EXECUTE pg_catalog.format('%s USAGE ON FOREIGN SERVER %I %s %s',
				CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END, r.object,
				CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
		END IF;
	END LOOP;
END
$$;

CREATE FUNCTION tenancy.grant_capability(role pg_catalog.regrole, capability pg_catalog.text)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenancy.capability_apply(role, capability, true) $$;

CREATE FUNCTION tenancy.revoke_capability(role pg_catalog.regrole, capability pg_catalog.text)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenancy.capability_apply(role, capability, false) $$;

COMMENT ON FUNCTION tenancy.grant_capability(pg_catalog.regrole, pg_catalog.text) IS
	'give a role a tenancy capability (reader, migrator, admin) and the ones below it; see tenancy.capabilities()';

-- ---- no direct writes on the registry and the tenant set ----
-- 1.2's README advised granting INSERT/UPDATE on tenancy.* to whoever
-- registers tenants; such a grant skipped every check (issue 7, finding 2).
-- Take back every write privilege any role other than the owner holds.
DO $$
DECLARE
	t pg_catalog.text;
	r record;
BEGIN
	FOREACH t IN ARRAY ARRAY['tenants', 'audit', 'runs', 'run_tenants', 'set_catalog', 'set_applied',
							 'set_history', 'set_checkpoints']
	LOOP
		FOR r IN SELECT DISTINCT a.grantee FROM pg_catalog.pg_class c
			CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
			WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.format('tenancy.%I', t)::pg_catalog.regclass
			  AND a.grantee OPERATOR(pg_catalog.<>) c.relowner
			  AND a.privilege_type OPERATOR(pg_catalog.<>) 'SELECT'
		LOOP
			EXECUTE pg_catalog.format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON tenancy.%I FROM %s', t,
				CASE WHEN r.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC' ELSE r.grantee::pg_catalog.regrole::pg_catalog.text END);
		END LOOP;
	END LOOP;
END
$$;

REVOKE ALL ON FUNCTION
	@extschema@.tenant_migrations_load_files(pg_catalog.text[], pg_catalog.text[], pg_catalog.text),
	tenancy.location_ok(pg_catalog.text),
	tenancy.capabilities(),
	tenancy.capability_closure(pg_catalog.text),
	tenancy.capability_apply(pg_catalog.regrole, pg_catalog.text, pg_catalog.bool),
	tenancy.grant_capability(pg_catalog.regrole, pg_catalog.text),
	tenancy.revoke_capability(pg_catalog.regrole, pg_catalog.text)
FROM PUBLIC;
