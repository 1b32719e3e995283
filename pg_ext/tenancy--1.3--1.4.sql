/* pg_ext/tenancy--1.3--1.4.sql -- upgrade tenancy 1.3 to 1.4.
 *
 * Several issues append their part here, each under a header naming it;
 * merges are append-only.
 *
 * Security: qualified names, SET search_path = pg_catalog, pg_temp on every
 * function, everything revoked from PUBLIC.
 *
 * Must not: edit a released script's objects other than by ALTER/REVOKE.
 */
\echo Use "ALTER EXTENSION tenancy UPDATE TO '1.4'" to load this file. \quit

-- ---- issue 10: the SQLite fallback's functions, refused by PostgreSQL ----
-- tenant_fallback_pull / _push / _status (and their _all forms over a
-- registry), tenant_backup and tenant_backups run in the SQLite file that keeps a copy of a PostgreSQL tenant.  They
-- exist here with the same arguments and result columns, so both engines
-- offer the same functions, and each refuses (0A000) with a hint naming
-- what to use instead.
CREATE FUNCTION tenancy.refuse_sqlite_only(fn pg_catalog.text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF fn OPERATOR(pg_catalog.~~) 'tenant\_backup%' THEN
		RAISE EXCEPTION '% is not supported on PostgreSQL', fn
			USING ERRCODE = 'feature_not_supported',
				DETAIL = pg_catalog.format('%s copies or lists the copies of a SQLite tenant file; '
					'a PostgreSQL database is backed up with its own tools.', fn),
				HINT = 'Use pg_dump for a database (pg_basebackup for the whole cluster).';
	END IF;
	RAISE EXCEPTION '% is not supported on PostgreSQL', fn
		USING ERRCODE = 'feature_not_supported',
			DETAIL = pg_catalog.format('%s runs in the SQLite file that keeps a fallback copy of a PostgreSQL '
				'tenant; this database is what it takes as its primary.', fn),
			HINT = pg_catalog.format('In sqlite3: .load tenancy, then SELECT * FROM %s(''<connection string of this database>'').', fn);
END
$$;

CREATE FUNCTION @extschema@.tenant_fallback_pull("primary" pg_catalog.text, tables pg_catalog.text DEFAULT NULL)
RETURNS TABLE (table_name pg_catalog.text, "rows" pg_catalog.int8)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN PERFORM tenancy.refuse_sqlite_only('tenant_fallback_pull'); END $$;

CREATE FUNCTION @extschema@.tenant_fallback_push("primary" pg_catalog.text, on_conflict pg_catalog.text DEFAULT 'abort')
RETURNS TABLE (table_name pg_catalog.text, key pg_catalog.text, op pg_catalog.text, outcome pg_catalog.text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN PERFORM tenancy.refuse_sqlite_only('tenant_fallback_push'); END $$;

CREATE FUNCTION @extschema@.tenant_fallback_status("primary" pg_catalog.text)
RETURNS TABLE (primary_reachable pg_catalog.bool, round_trip_ms pg_catalog.int8,
	primary_version pg_catalog.text, fallback_version pg_catalog.text, changes_waiting pg_catalog.int8,
	last_pull pg_catalog.timestamptz, last_push pg_catalog.timestamptz, conflicts_waiting pg_catalog.int8,
	error pg_catalog.text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN PERFORM tenancy.refuse_sqlite_only('tenant_fallback_status'); END $$;

CREATE FUNCTION @extschema@.tenant_backup(path pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN PERFORM tenancy.refuse_sqlite_only('tenant_backup'); RETURN NULL; END $$;

CREATE FUNCTION @extschema@.tenant_backups()
RETURNS TABLE (name pg_catalog.text, path pg_catalog.text, created_at pg_catalog.timestamptz, bytes pg_catalog.int8)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN PERFORM tenancy.refuse_sqlite_only('tenant_backups'); END $$;

-- the registry level: a SQLite registry mirrors this one (tenancy.tenants)
CREATE FUNCTION @extschema@.tenant_fallback_pull_all(primary_registry pg_catalog.text,
	concurrency pg_catalog.int4 DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, status pg_catalog.text, created pg_catalog.bool, tables pg_catalog.int8,
	"rows" pg_catalog.int8, duration_ms pg_catalog.int8, error pg_catalog.text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN PERFORM tenancy.refuse_sqlite_only('tenant_fallback_pull_all'); END $$;

CREATE FUNCTION @extschema@.tenant_fallback_push_all(primary_registry pg_catalog.text,
	on_conflict pg_catalog.text DEFAULT 'abort', concurrency pg_catalog.int4 DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, status pg_catalog.text, changes pg_catalog.int8, conflicts pg_catalog.int8,
	duration_ms pg_catalog.int8, error pg_catalog.text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN PERFORM tenancy.refuse_sqlite_only('tenant_fallback_push_all'); END $$;

CREATE FUNCTION @extschema@.tenant_fallback_status_all(primary_registry pg_catalog.text,
	concurrency pg_catalog.int4 DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, primary_reachable pg_catalog.bool, round_trip_ms pg_catalog.int8,
	primary_version pg_catalog.text, fallback_version pg_catalog.text, changes_waiting pg_catalog.int8,
	last_pull pg_catalog.timestamptz, last_push pg_catalog.timestamptz, conflicts_waiting pg_catalog.int8,
	error pg_catalog.text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN PERFORM tenancy.refuse_sqlite_only('tenant_fallback_status_all'); END $$;

REVOKE ALL ON FUNCTION
	tenancy.refuse_sqlite_only(pg_catalog.text),
	@extschema@.tenant_fallback_pull_all(pg_catalog.text, pg_catalog.int4),
	@extschema@.tenant_fallback_push_all(pg_catalog.text, pg_catalog.text, pg_catalog.int4),
	@extschema@.tenant_fallback_status_all(pg_catalog.text, pg_catalog.int4),
	@extschema@.tenant_fallback_pull(pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_fallback_push(pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_fallback_status(pg_catalog.text),
	@extschema@.tenant_backup(pg_catalog.text),
	@extschema@.tenant_backups()
FROM PUBLIC;
