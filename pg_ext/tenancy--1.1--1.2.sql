/* pg_ext/tenancy--1.1--1.2.sql -- tenancy 1.2: the tenant registry and fan-out.
 *
 * Adds, in schema "tenancy": the registry (tenants, audit, runs,
 * run_tenants), the tenant set (set_catalog, set_applied, set_history,
 * set_checkpoints: the core's tracking tables under the prefix
 * "tenancy.set_", holding the migrations pushed to tenants), and the
 * tenant-side tenancy.migrate_synced() a fan-out calls in each tenant.
 * Adds, in the extension schema: tenant_create, tenant_register,
 * tenant_drop, tenants, tenant_runs, tenant_migrate_all,
 * tenant_dry_run_all, tenant_query_all, tenant_verify_all,
 * tenant_migrate_all_atomic (+ tenant-side tenancy.verify_synced), and the scope argument of
 * tenant_migration_add / tenant_migrations_load.
 *
 * There is one install script, tenancy--1.0.sql (pg_cron's layout): a
 * fresh CREATE EXTENSION runs it and then every upgrade script in turn, so
 * a new version is written once, as its upgrade script, never twice.
 *
 * Security as in 1.0: qualified names, SET search_path = pg_catalog,
 * pg_temp on every function, everything revoked from PUBLIC.  Locations
 * are libpq connection strings without a password (checked by the
 * functions and by a CHECK constraint).
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "ALTER EXTENSION tenancy UPDATE TO '1.2'" to load this file. \quit

-- ---- the tenant set: the core's tracking tables under "tenancy.set_" ----
CREATE TABLE tenancy.set_catalog (LIKE tenancy.catalog INCLUDING ALL);
CREATE TABLE tenancy.set_applied (LIKE tenancy.applied INCLUDING ALL);
CREATE TABLE tenancy.set_history (LIKE tenancy.history INCLUDING ALL);
CREATE TABLE tenancy.set_checkpoints (LIKE tenancy.checkpoints INCLUDING ALL);

-- ---- the registry ----
CREATE TABLE tenancy.tenants (
	name pg_catalog.text PRIMARY KEY,
	kind pg_catalog.text NOT NULL DEFAULT 'database'
		CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['database', 'schema'])),
	location pg_catalog.text,		-- libpq conninfo without password; NULL: this server
	dbname pg_catalog.text NOT NULL,	-- the tenant's database
	schema_name pg_catalog.text,	-- kind 'schema': the schema in dbname (its tables <schema>.tenancy_*)
	state pg_catalog.text NOT NULL DEFAULT 'up_to_date',	-- last fan-out status
	version pg_catalog.text,		-- newest applied version, as last seen
	version_key pg_catalog.text COLLATE "C",	-- tn_version_key(version): sorts like versions
	pending pg_catalog.int8 NOT NULL DEFAULT 0,
	last_run pg_catalog.timestamptz,
	last_error pg_catalog.text,
	created_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	CHECK (location IS NULL OR location OPERATOR(pg_catalog.!~*) 'password')
);
-- "who is behind" is one index scan: version_key < key of the newest version
CREATE INDEX tenants_version_key ON tenancy.tenants (version_key);
CREATE INDEX tenants_failed ON tenancy.tenants (name) WHERE last_error IS NOT NULL;

CREATE TABLE tenancy.audit (
	id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	actor pg_catalog.text NOT NULL DEFAULT CURRENT_USER,
	session_actor pg_catalog.text NOT NULL DEFAULT SESSION_USER,
	action pg_catalog.text NOT NULL,
	tenant pg_catalog.text,
	detail pg_catalog.text
);

CREATE TABLE tenancy.runs (
	run_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	started_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	finished_at pg_catalog.timestamptz,
	target pg_catalog.text,
	status pg_catalog.text NOT NULL,
	tenants pg_catalog.int8 NOT NULL DEFAULT 0,
	applied pg_catalog.int8 NOT NULL DEFAULT 0,
	failed pg_catalog.int8 NOT NULL DEFAULT 0,
	caller_pid pg_catalog.int4,
	actor pg_catalog.text NOT NULL DEFAULT CURRENT_USER
);

CREATE TABLE tenancy.run_tenants (
	run_id pg_catalog.int8 NOT NULL REFERENCES tenancy.runs ON DELETE CASCADE,
	tenant pg_catalog.text NOT NULL,
	status pg_catalog.text NOT NULL,
	from_version pg_catalog.text,
	to_version pg_catalog.text,
	applied pg_catalog.int8,
	duration_ms pg_catalog.int8,
	sqlstate pg_catalog.text,
	error pg_catalog.text,
	finished_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	PRIMARY KEY (run_id, tenant)
);

SELECT pg_catalog.pg_extension_config_dump('tenancy.set_catalog', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.set_applied', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.set_history', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.set_checkpoints', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.tenants', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.audit', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.audit_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.runs', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.runs_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.run_tenants', '');

-- ---- entry points ----

CREATE FUNCTION @extschema@.tenant_migration_add(version pg_catalog.text,
	name pg_catalog.text, up_sql pg_catalog.text, down_sql pg_catalog.text,
	scope pg_catalog.text)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_migration_add_scoped'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_migrations_load(path pg_catalog.text,
	scope pg_catalog.text)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_migrations_load_scoped'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_create(name pg_catalog.text,
	location pg_catalog.text DEFAULT NULL, kind pg_catalog.text DEFAULT 'database')
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'tenant_create'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_register(name pg_catalog.text,
	location pg_catalog.text, kind pg_catalog.text DEFAULT 'database')
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'tenant_register'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_drop(name pg_catalog.text,
	mode pg_catalog.text DEFAULT 'keep')
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'tenant_drop'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenants()
RETURNS TABLE (name pg_catalog.text, kind pg_catalog.text,
	location pg_catalog.text, state pg_catalog.text, version pg_catalog.text,
	pending pg_catalog.int8, last_run pg_catalog.timestamptz,
	last_error pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenants'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_runs()
RETURNS TABLE (run_id pg_catalog.int8, started_at pg_catalog.timestamptz,
	finished_at pg_catalog.timestamptz, target pg_catalog.text,
	status pg_catalog.text, tenants pg_catalog.int8, applied pg_catalog.int8,
	failed pg_catalog.int8)
AS 'MODULE_PATHNAME', 'tenant_runs'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 20
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_migrate_all(target pg_catalog.text DEFAULT NULL,
	concurrency pg_catalog.int4 DEFAULT NULL, max_failures pg_catalog.int4 DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, status pg_catalog.text,
	from_version pg_catalog.text, to_version pg_catalog.text,
	applied pg_catalog.int8, duration_ms pg_catalog.int8,
	sqlstate pg_catalog.text, error pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_migrate_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_dry_run_all(target pg_catalog.text DEFAULT NULL,
	concurrency pg_catalog.int4 DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, status pg_catalog.text,
	from_version pg_catalog.text, to_version pg_catalog.text,
	applied pg_catalog.int8, duration_ms pg_catalog.int8,
	sqlstate pg_catalog.text, error pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_dry_run_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_query_all(sql pg_catalog.text,
	concurrency pg_catalog.int4 DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, "row" pg_catalog.jsonb)
AS 'MODULE_PATHNAME', 'tenant_query_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_verify_all(concurrency pg_catalog.int4 DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, status pg_catalog.text,
	version pg_catalog.text, pending pg_catalog.int8, problems pg_catalog.int8,
	detail pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_verify_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_migrate_all_atomic(target pg_catalog.text DEFAULT NULL,
	concurrency pg_catalog.int4 DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, status pg_catalog.text,
	from_version pg_catalog.text, to_version pg_catalog.text,
	applied pg_catalog.int8, duration_ms pg_catalog.int8,
	sqlstate pg_catalog.text, error pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_migrate_all_atomic'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;

-- called by tenant_verify_all inside each tenant: the core's verify row against the set
CREATE FUNCTION tenancy.verify_synced(tenant_set pg_catalog.text,
	schema_name pg_catalog.text DEFAULT NULL)
RETURNS TABLE (status pg_catalog.text, version pg_catalog.text,
	pending pg_catalog.int8, problems pg_catalog.int8, detail pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenancy_verify_synced'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1
SET search_path = pg_catalog, pg_temp;

-- called by a fan-out inside each tenant (one round trip per tenant)
-- schema_name NULL: this database's tenancy.* tables; else the schema
-- tenant's <schema>.tenancy_* tables, its own lock, bodies run with
-- search_path = <schema>, pg_catalog, pg_temp
CREATE FUNCTION tenancy.migrate_synced(tenant_set pg_catalog.text,
	target pg_catalog.text, mode pg_catalog.text,
	schema_name pg_catalog.text DEFAULT NULL)
RETURNS TABLE (from_version pg_catalog.text, to_version pg_catalog.text,
	applied pg_catalog.int8, error pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenancy_migrate_synced'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1
SET search_path = pg_catalog, pg_temp;

-- the tracking tables of a schema tenant: <schema>.tenancy_catalog,
-- tenancy_applied, tenancy_history, tenancy_checkpoints, shaped like the
-- tenancy.* tables (the one place their DDL is written for schemas)
CREATE FUNCTION tenancy.create_tracking_tables(schema_name pg_catalog.name)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE pg_catalog.format('CREATE TABLE IF NOT EXISTS %I.tenancy_catalog (LIKE tenancy.catalog INCLUDING ALL)', schema_name);
	EXECUTE pg_catalog.format('CREATE TABLE IF NOT EXISTS %I.tenancy_applied (LIKE tenancy.applied INCLUDING ALL)', schema_name);
	EXECUTE pg_catalog.format('CREATE TABLE IF NOT EXISTS %I.tenancy_history (LIKE tenancy.history INCLUDING ALL)', schema_name);
	EXECUTE pg_catalog.format('CREATE TABLE IF NOT EXISTS %I.tenancy_checkpoints (LIKE tenancy.checkpoints INCLUDING ALL)', schema_name);
END
$$;

REVOKE ALL ON FUNCTION
	@extschema@.tenant_migration_add(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_migrations_load(pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_create(pg_catalog.text, pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_register(pg_catalog.text, pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_drop(pg_catalog.text, pg_catalog.text),
	@extschema@.tenants(),
	@extschema@.tenant_runs(),
	@extschema@.tenant_migrate_all(pg_catalog.text, pg_catalog.int4, pg_catalog.int4),
	@extschema@.tenant_dry_run_all(pg_catalog.text, pg_catalog.int4),
	@extschema@.tenant_query_all(pg_catalog.text, pg_catalog.int4),
	@extschema@.tenant_verify_all(pg_catalog.int4),
	@extschema@.tenant_migrate_all_atomic(pg_catalog.text, pg_catalog.int4),
	tenancy.verify_synced(pg_catalog.text, pg_catalog.text),
	tenancy.migrate_synced(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text),
	tenancy.create_tracking_tables(pg_catalog.name)
FROM PUBLIC;
