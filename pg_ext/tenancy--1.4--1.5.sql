/* pg_ext/tenancy--1.4--1.5.sql -- upgrade tenancy 1.4 to 1.5.
 *
 * Adds: tenancy.tenants.repeatables, the core's record of the repeatable
 * (R__) migrations a tenant has applied ("<version> <checksum>" lines,
 * tn_set_repeatables_record), so tenants() counts a repeatable whose body
 * changed in the tenant set as pending until a run to the newest version
 * applies it (issue 9).  NULL (rows made before 1.5): none known, so every
 * repeatable of the set counts until the tenant's next such run.
 *
 * Also: tenant_fallback_drop_retired([tenant]), which refuses here (its
 * work is in the SQLite file, issue 10).
 *
 * Also: tenancy.run_record_tenants(run_id, tenants[], ...), the run rows
 * of a slice of checked tenants in one call (issue 14), for the fan-out's
 * control connection.
 *
 * Security: nothing new is executable but that refusal (revoked from
 * PUBLIC) and run_record_tenants, which is run_record_tenant set-based:
 * it runs with its owner's rights, its search_path pinned to pg_catalog,
 * pg_temp like every such function here, with the same run check (only the control session of
 * the fan-out that opened the run writes), revoked from PUBLIC, part of
 * the migrator capability and given to every role that may execute
 * run_record_tenant.  The column is written by tenancy's
 * C code as the extension's owner, like the rest of the row.
 *
 * Must not: edit a released script's objects other than by ALTER/REVOKE/DROP
 * or CREATE OR REPLACE, or grant anything to PUBLIC.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tenancy UPDATE TO '1.5'" to load this file. \quit

ALTER TABLE tenancy.tenants ADD COLUMN repeatables pg_catalog.text;
COMMENT ON COLUMN tenancy.tenants.repeatables IS
	'repeatable migrations the tenant has applied, one "<version> <checksum>" line each; NULL: not known';

-- ---- issue 10: tenant_fallback_drop_retired([tenant]), refused by PostgreSQL ----
-- On SQLite it drops the fallback's own bookkeeping (shadow tables, capture
-- triggers, row hashes) of tables the application dropped or renamed.  A
-- PostgreSQL database keeps none of it (the primary holds only the push ids
-- in tenancy_fallback.pushes), so here it refuses (0A000), saying why.
CREATE FUNCTION @extschema@.tenant_fallback_drop_retired(tenant pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.int8
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'tenant_fallback_drop_retired is not supported on PostgreSQL'
		USING ERRCODE = 'feature_not_supported',
			DETAIL = 'The fallback''s bookkeeping of a table (its shadow table, capture triggers and row hashes) '
				'lives in the SQLite file; a PostgreSQL database keeps none of it, only the push ids in '
				'tenancy_fallback.pushes.',
			HINT = 'In sqlite3: .load tenancy, then SELECT tenant_fallback_drop_retired(); in a SQLite registry, '
				'SELECT tenant_fallback_drop_retired(''<tenant>'').';
END
$$;

REVOKE ALL ON FUNCTION @extschema@.tenant_fallback_drop_retired(pg_catalog.text) FROM PUBLIC;

-- ---- issue 14: the run rows of many checked tenants in one call ----
-- tenancy.run_record_tenant's writes for a slice of tenants, set-based: one
-- run check, one INSERT of the run_tenants rows, one UPDATE of the tenants'
-- cached state, the audit rows of those that did something, one UPDATE of
-- the run's counts.  The fan-out's control connection sends a no-op run's
-- checked tenants 50 at a time (registry_run_batch.c); row by row, each
-- row's own run check, reads and update of the run row cost the control
-- session about 0.17 ms, and the caller waited for them with every tenant
-- slot idle.  Same rules as run_record_tenant: only the run's control
-- session writes (tenancy.checked_run), every row valid or none written
-- (22023), a tenant at most once per run (the run_tenants key).
CREATE FUNCTION tenancy.run_record_tenants(run_id pg_catalog.int8,
	tenants pg_catalog.text[], statuses pg_catalog.text[], from_versions pg_catalog.text[],
	to_versions pg_catalog.text[], applied pg_catalog.int8[], durations_ms pg_catalog.int8[],
	sqlstates pg_catalog.text[], errors pg_catalog.text[], versions pg_catalog.text[],
	version_keys pg_catalog.text[])
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id pg_catalog.int8 := tenancy.checked_run(run_id);
	n pg_catalog.int4 := pg_catalog.cardinality(tenants);
	action pg_catalog.text;
BEGIN
	IF n IS NULL OR pg_catalog.array_ndims(tenants) IS DISTINCT FROM 1
		OR EXISTS (SELECT 1 FROM pg_catalog.unnest(ARRAY[pg_catalog.cardinality(statuses),
				pg_catalog.cardinality(from_versions), pg_catalog.cardinality(to_versions),
				pg_catalog.cardinality(applied), pg_catalog.cardinality(durations_ms),
				pg_catalog.cardinality(sqlstates), pg_catalog.cardinality(errors),
				pg_catalog.cardinality(versions), pg_catalog.cardinality(version_keys)]) AS c(len)
			WHERE c.len IS DISTINCT FROM n)
		OR EXISTS (SELECT 1 FROM ROWS FROM (pg_catalog.unnest(tenants), pg_catalog.unnest(statuses),
				pg_catalog.unnest(applied), pg_catalog.unnest(durations_ms), pg_catalog.unnest(versions),
				pg_catalog.unnest(version_keys)) AS r(tenant, status, applied, duration_ms, version, version_key)
			WHERE r.tenant IS NULL OR r.status IS NULL
				OR r.status OPERATOR(pg_catalog.<>) ALL (ARRAY['applied', 'up_to_date', 'failed', 'unreachable',
					'skipped', 'rolled_back', 'unchanged'])
				OR COALESCE(r.applied, 0) OPERATOR(pg_catalog.<) 0
				OR COALESCE(r.duration_ms, 0) OPERATOR(pg_catalog.<) 0
				OR (r.version IS NULL) OPERATOR(pg_catalog.<>) (r.version_key IS NULL)) THEN
		RAISE EXCEPTION 'invalid tenant record of run %', id USING ERRCODE = '22023',
			DETAIL = 'A tenant, a fan-out status, counts of zero or more and a version with its key are required, in arrays of one length.';
	END IF;
	IF n OPERATOR(pg_catalog.=) 0 THEN
		RETURN 0;
	END IF;
	SELECT CASE WHEN r.target OPERATOR(pg_catalog.~~) 'rollback %' THEN 'rollback' ELSE 'migrate' END INTO action
	  FROM tenancy.runs r WHERE r.run_id OPERATOR(pg_catalog.=) id;
	INSERT INTO tenancy.run_tenants (run_id, tenant, status, from_version, to_version, applied,
		duration_ms, sqlstate, error)
		SELECT id, r.tenant, r.status, r.from_version, r.to_version, r.applied, r.duration_ms, r.sqlstate, r.error
		  FROM ROWS FROM (pg_catalog.unnest(tenants), pg_catalog.unnest(statuses),
				pg_catalog.unnest(from_versions), pg_catalog.unnest(to_versions), pg_catalog.unnest(applied),
				pg_catalog.unnest(durations_ms), pg_catalog.unnest(sqlstates), pg_catalog.unnest(errors))
			WITH ORDINALITY AS r(tenant, status, from_version, to_version, applied, duration_ms, sqlstate, error, i)
		 ORDER BY r.i;
	UPDATE tenancy.tenants t SET version = COALESCE(r.version, t.version),
		version_key = COALESCE(r.version_key, t.version_key), state = r.status,
		last_error = CASE WHEN r.error IS NOT NULL OR r.status OPERATOR(pg_catalog.=) ANY (ARRAY['failed', 'unreachable'])
			THEN r.error END,
		last_run = pg_catalog.clock_timestamp(), last_checked = pg_catalog.clock_timestamp()
	  FROM ROWS FROM (pg_catalog.unnest(tenants), pg_catalog.unnest(statuses), pg_catalog.unnest(errors),
			pg_catalog.unnest(versions), pg_catalog.unnest(version_keys)) AS r(tenant, status, error, version, version_key)
	 WHERE t.name OPERATOR(pg_catalog.=) r.tenant;
	INSERT INTO tenancy.audit (action, tenant, detail)
		SELECT action, r.tenant, 'run ' OPERATOR(pg_catalog.||) id OPERATOR(pg_catalog.||) ': '
				OPERATOR(pg_catalog.||) COALESCE(r.error, r.status)
		  FROM ROWS FROM (pg_catalog.unnest(tenants), pg_catalog.unnest(statuses), pg_catalog.unnest(errors))
			WITH ORDINALITY AS r(tenant, status, error, i)
		 WHERE r.status OPERATOR(pg_catalog.<>) ALL (ARRAY['up_to_date', 'unchanged'])
		 ORDER BY r.i;
	UPDATE tenancy.runs r SET applied = r.applied OPERATOR(pg_catalog.+) s.applied,
		failed = r.failed OPERATOR(pg_catalog.+) s.failed
	  FROM (SELECT COALESCE(pg_catalog.sum(COALESCE(x.applied, 0)), 0)::pg_catalog.int8 AS applied,
			pg_catalog.count(*) FILTER (WHERE x.error IS NOT NULL
				OR x.status OPERATOR(pg_catalog.=) ANY (ARRAY['failed', 'unreachable'])) AS failed
		  FROM ROWS FROM (pg_catalog.unnest(statuses), pg_catalog.unnest(applied), pg_catalog.unnest(errors))
			AS x(status, applied, error)) s
	 WHERE r.run_id OPERATOR(pg_catalog.=) id
	   AND (s.applied OPERATOR(pg_catalog.<>) 0 OR s.failed OPERATOR(pg_catalog.<>) 0);
	RETURN n;
END
$$;

REVOKE ALL ON FUNCTION tenancy.run_record_tenants(pg_catalog.int8, pg_catalog.text[], pg_catalog.text[],
	pg_catalog.text[], pg_catalog.text[], pg_catalog.int8[], pg_catalog.int8[], pg_catalog.text[],
	pg_catalog.text[], pg_catalog.text[], pg_catalog.text[]) FROM PUBLIC;

-- who may write a run's tenant rows one at a time (run_record_tenant, the
-- migrator capability) may write them a slice at a time
DO $$
DECLARE
	r pg_catalog.text;
BEGIN
	FOR r IN SELECT DISTINCT a.grantee::pg_catalog.regrole::pg_catalog.text
	  FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
	 WHERE p.oid OPERATOR(pg_catalog.=) 'tenancy.run_record_tenant(pg_catalog.int8, pg_catalog.text, pg_catalog.text,
			pg_catalog.text, pg_catalog.text, pg_catalog.int8, pg_catalog.int8, pg_catalog.text,
			pg_catalog.text, pg_catalog.text, pg_catalog.text)'::pg_catalog.regprocedure
	   AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE' AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
	   AND a.grantee OPERATOR(pg_catalog.<>) 0
	LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION tenancy.run_record_tenants(pg_catalog.int8,'
			' pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], pg_catalog.int8[],'
			' pg_catalog.int8[], pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], pg_catalog.text[]) TO %s', r);
	END LOOP;
END
$$;

-- capabilities in 1.5: 1.4's list with tenancy.run_record_tenants beside run_record_tenant
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
		-- the schema tenants' tracking rows of this database
		('reader', 'table', 'tenancy.schema_catalog'),
		('reader', 'table', 'tenancy.schema_applied'),
		('reader', 'table', 'tenancy.schema_history'),
		('reader', 'table', 'tenancy.schema_checkpoints'),
		-- in a tenant: what tenant_verify_all and a one-tenant read call there
		('reader', 'function', 'tenancy.verify_synced(text, text)'),
		('reader', 'function', 'tenancy.inspect_synced(text, text)'),
		-- migrator: migrate this database, and every tenant with the set
		('migrator', 'function', 'tenant_migrate(text, boolean)'),
		('migrator', 'function', 'tenant_dry_run(text)'),
		('migrator', 'function', 'tenant_checkpoint(text, text)'),
		('migrator', 'function', 'tenant_rollback(text)'),
		('migrator', 'function', 'tenant_restore(text)'),
		('migrator', 'function', 'tenant_migration_add(text, text, text, text)'),
		-- a long batch in chunks (the capability sweep, 006_sweep.pl, found it in no capability)
		('migrator', 'function', 'tenant_migrate_in_batches(bigint, text)'),
		-- this database's catalog, as tenant_migration_add; its 'tenants' scope
		-- takes the tenant-set lock, which only admin holds
		('migrator', 'function', 'tenant_migrations_load_files(text[], text[], text)'),
		('migrator', 'function', 'tenant_migrate_all(text, integer, integer, text[])'),
		('migrator', 'function', 'tenant_rollback_all(text, integer, text[], integer)'),
		('migrator', 'function', 'tenant_dry_run_all(text, integer, text[])'),
		('migrator', 'function', 'tenant_verify_all(integer, text[])'),
		('migrator', 'function', 'tenant_query_all(text, integer, text[])'),
		('migrator', 'function', 'tenant_migrate_all_atomic(text, integer)'),
		-- one named tenant, read from the control database (they connect to it)
		('migrator', 'function', 'tenant_status(text)'),
		('migrator', 'function', 'tenant_verify(text)'),
		('migrator', 'function', 'tenant_history(text)'),
		('migrator', 'function', 'tenant_checkpoints(text)'),
		('migrator', 'function', 'tenancy.one_tenant_error(text, text, text)'),
		('migrator', 'function', 'tenancy.one_tenant_rows(text, text)'),
		-- the run record's write paths (a fan-out's control connection)
		('migrator', 'function', 'tenancy.run_open(text, text, bigint, text)'),
		('migrator', 'function', 'tenancy.run_record_tenant(bigint, text, text, text, text, bigint, bigint, text, text, text, text)'),
		('migrator', 'function', 'tenancy.run_record_tenants(bigint, text[], text[], text[], text[], bigint[], bigint[], text[], text[], text[], text[])'),
		('migrator', 'function', 'tenancy.run_finish(bigint, text, boolean)'),
		-- in a tenant: what a fan-out calls there (tenant_migrate's own rights)
		('migrator', 'function', 'tenancy.migrate_synced(text, text, text, text)'),
		('migrator', 'write', 'tenancy.catalog'),
		('migrator', 'write', 'tenancy.applied'),
		('migrator', 'write', 'tenancy.history'),
		('migrator', 'write', 'tenancy.checkpoints'),
		-- a schema tenant's tracking rows, through the views
		('migrator', 'write', 'tenancy.tenant_catalog'),
		('migrator', 'write', 'tenancy.tenant_applied'),
		('migrator', 'write', 'tenancy.tenant_history'),
		('migrator', 'write', 'tenancy.tenant_checkpoints'),
		('migrator', 'server', 'tenancy'),
		('migrator', 'lock', 'tenancy.lock_runs'),
		-- admin: the registry and the tenant set
		('admin', 'function', 'tenant_create(text, text, text)'),
		('admin', 'function', 'tenant_register(text, text, text)'),
		('admin', 'function', 'tenant_drop(text, text)'),
		('admin', 'function', 'tenant_migration_add(text, text, text, text, text)'),
		('admin', 'function', 'tenant_migrations_load(text, text)'),
		('admin', 'function', 'tenant_migrations_load(text)'),
		('admin', 'function', 'tenant_migration_remove(text, text)'),
		('admin', 'function', 'tenant_repair(text)'),
		('admin', 'function', 'tenant_baseline(text)'),
		('admin', 'table', 'tenancy.audit'),
		('admin', 'table', 'tenancy.set_history'),
		('admin', 'table', 'tenancy.set_checkpoints'),
		('admin', 'lock', 'tenancy.lock_set')
	) AS v(c, k, o)
$$;
