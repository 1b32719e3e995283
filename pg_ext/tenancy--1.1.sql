/* pg_ext/tenancy--1.1.sql -- install script of tenancy 1.1 (fresh installs).
 *
 * Creates the tracking tables (schema "tenancy", kept by pg_dump through
 * pg_extension_config_dump) and the SQL entry points (in the schema the
 * extension is installed into, @extschema@).  Never edit this file once
 * released: add tenancy--1.1--X.Y.sql instead.  Must equal tenancy--1.0.sql
 * followed by tenancy--1.0--1.1.sql (the pg_upgrade regression test checks).
 *
 * Security: every pg_catalog object is qualified, every function carries
 * SET search_path = pg_catalog, pg_temp (pg_temp last, so a temporary
 * object can never shadow anything), and every function is revoked from
 * PUBLIC.  The functions are SECURITY INVOKER: migration bodies run with
 * the caller's rights, so a role that may run them also needs the
 * matching rights on the tenancy.* tables (see README).  The read-only
 * functions are revoked too: history.detail keeps engine error messages
 * and the catalog keeps migration bodies, which may name secrets, so
 * reading them is a grant decision for the administrator.
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION tenancy" to load this file. \quit

CREATE SCHEMA tenancy;
COMMENT ON SCHEMA tenancy IS 'tracking tables of the tenancy extension';

CREATE TABLE tenancy.catalog (
	version pg_catalog.text PRIMARY KEY,
	name pg_catalog.text NOT NULL,
	up_sql pg_catalog.text NOT NULL,
	down_sql pg_catalog.text,
	checksum pg_catalog.text NOT NULL,
	flags pg_catalog.int8 NOT NULL DEFAULT 0,
	source pg_catalog.text,
	added_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);

CREATE TABLE tenancy.applied (
	version pg_catalog.text PRIMARY KEY,
	name pg_catalog.text NOT NULL,
	checksum pg_catalog.text NOT NULL,
	applied_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	duration_ms pg_catalog.int8 NOT NULL DEFAULT 0,
	batch pg_catalog.int8 NOT NULL
);

CREATE TABLE tenancy.history (
	id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	action pg_catalog.text NOT NULL,
	version pg_catalog.text,
	batch pg_catalog.int8,
	detail pg_catalog.text
);

CREATE INDEX history_at_idx ON tenancy.history (at);

CREATE TABLE tenancy.checkpoints (
	name pg_catalog.text PRIMARY KEY,
	created_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	batch pg_catalog.int8 NOT NULL,
	version pg_catalog.text,
	kind pg_catalog.text NOT NULL,
	mode pg_catalog.text NOT NULL
);

COMMENT ON TABLE tenancy.catalog IS 'every known migration: version, name, up/down bodies, checksum';
COMMENT ON TABLE tenancy.applied IS 'migrations applied to this database, with checksum and batch';
COMMENT ON TABLE tenancy.history IS 'append-only log of tenancy actions';
COMMENT ON TABLE tenancy.checkpoints IS 'named points a rollback can return to';

-- pg_dump keeps every tracking row (and the identity position of history).
SELECT pg_catalog.pg_extension_config_dump('tenancy.catalog', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.applied', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.history', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.history_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.checkpoints', '');

-- Entry points.  Not STRICT: a NULL required argument is reported by the
-- core's error (argument "x" must not be null), identical on SQLite.

CREATE FUNCTION @extschema@.tenant_migration_add(version pg_catalog.text,
	name pg_catalog.text, up_sql pg_catalog.text,
	down_sql pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_migration_add'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_migrations_load(path pg_catalog.text)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_migrations_load'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_migrate(target pg_catalog.text DEFAULT NULL,
	allow_out_of_order pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_migrate'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_plan(target pg_catalog.text DEFAULT NULL)
RETURNS TABLE (version pg_catalog.text, name pg_catalog.text,
	state pg_catalog.text, mode pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_plan'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_dry_run(target pg_catalog.text DEFAULT NULL)
RETURNS TABLE (version pg_catalog.text, name pg_catalog.text,
	outcome pg_catalog.text, duration_ms pg_catalog.int8,
	error pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_dry_run'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_status()
RETURNS TABLE (version pg_catalog.text, name pg_catalog.text,
	state pg_catalog.text, checksum pg_catalog.text,
	applied_at pg_catalog.timestamptz, duration_ms pg_catalog.int8,
	batch pg_catalog.int8)
AS 'MODULE_PATHNAME', 'tenant_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 20
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_verify()
RETURNS TABLE (version pg_catalog.text, name pg_catalog.text,
	state pg_catalog.text, detail pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_verify'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 5
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_history()
RETURNS TABLE (id pg_catalog.int8, at pg_catalog.timestamptz,
	action pg_catalog.text, version pg_catalog.text,
	batch pg_catalog.int8, detail pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_history'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 50
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_checkpoints()
RETURNS TABLE (name pg_catalog.text, created_at pg_catalog.timestamptz,
	batch pg_catalog.int8, version pg_catalog.text,
	kind pg_catalog.text, mode pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_checkpoints'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_repair(version pg_catalog.text)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'tenant_repair'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_baseline(version pg_catalog.text)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_baseline'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_checkpoint(name pg_catalog.text DEFAULT NULL,
	mode pg_catalog.text DEFAULT 'marker')
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'tenant_checkpoint'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_rollback(checkpoint pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_rollback'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION
	@extschema@.tenant_migration_add(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_migrations_load(pg_catalog.text),
	@extschema@.tenant_migrate(pg_catalog.text, pg_catalog.bool),
	@extschema@.tenant_plan(pg_catalog.text),
	@extschema@.tenant_dry_run(pg_catalog.text),
	@extschema@.tenant_status(),
	@extschema@.tenant_verify(),
	@extschema@.tenant_history(),
	@extschema@.tenant_checkpoints(),
	@extschema@.tenant_repair(pg_catalog.text),
	@extschema@.tenant_baseline(pg_catalog.text),
	@extschema@.tenant_checkpoint(pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_rollback(pg_catalog.text)
FROM PUBLIC;
REVOKE ALL ON SCHEMA tenancy FROM PUBLIC;
