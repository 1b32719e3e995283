/* pg_ext/tenancy--1.3--1.4.sql -- upgrade tenancy 1.3 to 1.4.
 *
 * Each issue that adds SQL objects in 1.4 appends its part below under a
 * header naming it, so merges are append-only.
 *
 * Security as before: qualified names, SET search_path = pg_catalog,
 * pg_temp on every function, everything revoked from PUBLIC.
 *
 * Must not: edit a released script's objects other than by ALTER/REVOKE
 * here, or grant anything to PUBLIC.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tenancy UPDATE TO '1.4'" to load this file. \quit

-- ======================================================================
-- Issue 13: schema tenants on Citus (README "Scaling out with Citus").
-- Registry: tenant_create(name, location, 'schema', placement),
-- tenant_distribute(name, placement) (distribute, or repair a
-- half-distributed schema), tenant_move(name, node), tenant_placements().
-- Tenant side (in a tenant's database, called by the registry):
-- tenancy.citus_create_schema, citus_distribute, citus_move, citus_where.
-- Without the citus extension they do nothing new (or say it is missing).
-- Superuser only (not in a capability): they change Citus's metadata.
-- ======================================================================

CREATE FUNCTION @extschema@.tenant_create(name pg_catalog.text,
	location pg_catalog.text, kind pg_catalog.text, placement pg_catalog.text)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'tenant_create'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_distribute(name pg_catalog.text,
	placement pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'tenant_distribute'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_move(name pg_catalog.text, node pg_catalog.text)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'tenant_move'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_placements()
RETURNS TABLE (name pg_catalog.text, schema_name pg_catalog.text,
	state pg_catalog.text, node pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_placements'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION tenancy.citus_create_schema(schema pg_catalog.text)
RETURNS void
AS 'MODULE_PATHNAME', 'tenancy_citus_create_schema'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION tenancy.citus_distribute(schema pg_catalog.text,
	placement pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'tenancy_citus_distribute'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION tenancy.citus_move(schema pg_catalog.text, node pg_catalog.text)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'tenancy_citus_move'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION tenancy.citus_where(schema pg_catalog.text)
RETURNS TABLE (state pg_catalog.text, node pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenancy_citus_where'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1
SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION
	@extschema@.tenant_create(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_distribute(pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_move(pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_placements(),
	tenancy.citus_create_schema(pg_catalog.text),
	tenancy.citus_distribute(pg_catalog.text, pg_catalog.text),
	tenancy.citus_move(pg_catalog.text, pg_catalog.text),
	tenancy.citus_where(pg_catalog.text)
FROM PUBLIC;
