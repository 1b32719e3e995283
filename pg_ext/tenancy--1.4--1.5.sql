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
 * Security: nothing new is executable but that refusal (revoked from
 * PUBLIC); the column is written by tenancy's
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
