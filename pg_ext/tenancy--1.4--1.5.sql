/* pg_ext/tenancy--1.4--1.5.sql -- upgrade tenancy 1.4 to 1.5.
 *
 * Adds: tenancy.tenants.repeatables, the core's record of the repeatable
 * (R__) migrations a tenant has applied ("<version> <checksum>" lines,
 * tn_set_repeatables_record), so tenants() counts a repeatable whose body
 * changed in the tenant set as pending until a run to the newest version
 * applies it (issue 9).  NULL (rows made before 1.5): none known, so every
 * repeatable of the set counts until the tenant's next such run.
 *
 * Security: nothing new is executable; the column is written by tenancy's
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
