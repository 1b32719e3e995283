/* pg_ext/tenancy--1.3--1.4.sql -- upgrade tenancy 1.3 to 1.4.
 *
 * Helpers append their part at the end, each under a comment header naming
 * its issue, so merges stay append-only.
 *
 * Must not: edit a released script's objects other than by CREATE OR
 * REPLACE / ALTER / REVOKE; every function keeps SET search_path =
 * pg_catalog, pg_temp and is revoked from PUBLIC.
 */
\echo Use "CREATE EXTENSION tenancy" to load this file. \quit

-- ==== issue 9 (operating a fleet): tenant_rollback_all ====
-- tenant_rollback_all(checkpoint_or_version [, concurrency [, tenants]]):
-- every tenant (or the tenants named, in that order) back to before a
-- version of the tenant set, or to a checkpoint, over the same fan-out as
-- tenant_migrate_all (tenancy.migrate_synced(set, arg, 'rollback') in each
-- tenant), recorded in tenancy.runs / tenancy.run_tenants.  A migrator may
-- call it, as tenant_migrate_all.
CREATE FUNCTION @extschema@.tenant_rollback_all(checkpoint_or_version pg_catalog.text,
	concurrency pg_catalog.int4 DEFAULT NULL, tenants pg_catalog.text[] DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, status pg_catalog.text,
	from_version pg_catalog.text, to_version pg_catalog.text,
	applied pg_catalog.int8, duration_ms pg_catalog.int8,
	sqlstate pg_catalog.text, error pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_rollback_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.tenant_rollback_all(pg_catalog.text, pg_catalog.int4, pg_catalog.text[]) FROM PUBLIC;

-- tenant_migrate_all gains tenants text[] (a subset, canary first): the
-- 3-argument function goes and the 4-argument one takes its place; every
-- role that could execute the old one can execute the new one, and
-- tenant_rollback_all.
CREATE TEMP TABLE tenancy_migrate_all_grantees AS
	SELECT coalesce(pg_catalog.array_agg(a.grantee::pg_catalog.regrole::pg_catalog.text), '{}') AS roles
	  FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
	 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.tenant_migrate_all(pg_catalog.text, pg_catalog.int4, pg_catalog.int4)'::pg_catalog.regprocedure
	   AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE' AND a.grantee OPERATOR(pg_catalog.<>) 0
	   AND a.grantee OPERATOR(pg_catalog.<>) p.proowner;
ALTER EXTENSION tenancy DROP FUNCTION @extschema@.tenant_migrate_all(pg_catalog.text, pg_catalog.int4, pg_catalog.int4);
DROP FUNCTION @extschema@.tenant_migrate_all(pg_catalog.text, pg_catalog.int4, pg_catalog.int4);
CREATE FUNCTION @extschema@.tenant_migrate_all(target pg_catalog.text DEFAULT NULL,
	concurrency pg_catalog.int4 DEFAULT NULL, max_failures pg_catalog.int4 DEFAULT NULL,
	tenants pg_catalog.text[] DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, status pg_catalog.text,
	from_version pg_catalog.text, to_version pg_catalog.text,
	applied pg_catalog.int8, duration_ms pg_catalog.int8,
	sqlstate pg_catalog.text, error pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_migrate_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.tenant_migrate_all(pg_catalog.text, pg_catalog.int4, pg_catalog.int4, pg_catalog.text[]) FROM PUBLIC;
DO $$
DECLARE r pg_catalog.text;
BEGIN
	FOREACH r IN ARRAY (SELECT roles FROM pg_temp.tenancy_migrate_all_grantees) LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.tenant_migrate_all(pg_catalog.text, pg_catalog.int4, pg_catalog.int4, pg_catalog.text[]) TO %s', r);
		-- whoever could migrate every tenant can revert them (the migrator capability)
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.tenant_rollback_all(pg_catalog.text, pg_catalog.int4, pg_catalog.text[]) TO %s', r);
	END LOOP;
END $$;
DROP TABLE pg_temp.tenancy_migrate_all_grantees;

-- tenant_migration_remove(version [, scope]): a version no database has
-- applied leaves a set ('tenants': asked of every tenant); admin only.
CREATE FUNCTION @extschema@.tenant_migration_remove(version pg_catalog.text,
	scope pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_migration_remove'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.tenant_migration_remove(pg_catalog.text, pg_catalog.text) FROM PUBLIC;

-- tenants() gains last_checked: when a fan-out (migrate, rollback, verify,
-- atomic) last asked the tenant itself; the registry's cached state is as
-- fresh as that.  Same grants as before.
ALTER TABLE tenancy.tenants ADD COLUMN last_checked pg_catalog.timestamptz;
CREATE TEMP TABLE tenancy_tenants_grantees AS
	SELECT coalesce(pg_catalog.array_agg(a.grantee::pg_catalog.regrole::pg_catalog.text), '{}') AS roles
	  FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
	 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.tenants()'::pg_catalog.regprocedure
	   AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE' AND a.grantee OPERATOR(pg_catalog.<>) 0
	   AND a.grantee OPERATOR(pg_catalog.<>) p.proowner;
ALTER EXTENSION tenancy DROP FUNCTION @extschema@.tenants();
DROP FUNCTION @extschema@.tenants();
CREATE FUNCTION @extschema@.tenants()
RETURNS TABLE (name pg_catalog.text, kind pg_catalog.text,
	location pg_catalog.text, state pg_catalog.text, version pg_catalog.text,
	pending pg_catalog.int8, last_run pg_catalog.timestamptz,
	last_error pg_catalog.text, last_checked pg_catalog.timestamptz)
AS 'MODULE_PATHNAME', 'tenants'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.tenants() FROM PUBLIC;
DO $$
DECLARE r pg_catalog.text;
BEGIN
	FOREACH r IN ARRAY (SELECT roles FROM pg_temp.tenancy_tenants_grantees) LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.tenants() TO %s', r);
	END LOOP;
END $$;
DROP TABLE pg_temp.tenancy_tenants_grantees;

-- tenant_settings(): every setting tenancy reads, with its engine, default,
-- unit, this session's value and meaning (the core's list; issue 9)
CREATE FUNCTION @extschema@.tenant_settings()
RETURNS TABLE (name pg_catalog.text, engine pg_catalog.text,
	default_value pg_catalog.text, unit pg_catalog.text,
	current_value pg_catalog.text, meaning pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_settings'
LANGUAGE C STABLE PARALLEL SAFE ROWS 10
SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.tenant_settings() FROM PUBLIC;

-- capabilities: reader holds tenant_settings, migrator tenant_rollback_all and the
-- new tenant_migrate_all, admin tenant_migration_remove (tenancy.grant_capability)
CREATE OR REPLACE FUNCTION tenancy.capabilities()
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
		('reader', 'function', 'tenant_settings()'),
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
		('migrator', 'function', 'tenant_migrate_all(text, integer, integer, text[])'),
		('migrator', 'function', 'tenant_dry_run_all(text, integer)'),
		('migrator', 'function', 'tenant_verify_all(integer)'),
		('migrator', 'function', 'tenant_query_all(text, integer)'),
		('migrator', 'function', 'tenant_migrate_all_atomic(text, integer)'),
		('migrator', 'function', 'tenant_rollback_all(text, integer, text[])'),
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
		('admin', 'function', 'tenant_migration_remove(text, text)'),
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
