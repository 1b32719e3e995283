/* pg_ext/tenancy--1.2--1.3.sql -- upgrade tenancy 1.2 to 1.3.
 *
 * 1.3 adds tenant_migrations_load_files(names, bodies [, scope]): the
 * folder rules of tenant_migrations_load applied by the core to files the
 * client sends (the tenancy command's "load"), so a remote or managed
 * server needs no file access and no pg_read_server_files.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tenancy UPDATE TO '1.3'" to load this file. \quit

CREATE FUNCTION @extschema@.tenant_migrations_load_files(names pg_catalog.text[],
	bodies pg_catalog.text[], scope pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_migrations_load_files'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION
	@extschema@.tenant_migrations_load_files(pg_catalog.text[], pg_catalog.text[], pg_catalog.text)
FROM PUBLIC;
