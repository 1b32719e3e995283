/* tenancy--1.3--1.4.sql */
\echo Use "ALTER EXTENSION tenancy UPDATE TO '1.4'" to load this file. \quit

-- ---- issue 14: big batches ----
-- A long batch in chunks of batch_size migrations, each chunk its own batch
-- (with its automatic checkpoint) and its own committed transaction, so the
-- locks of thousands of CREATE TABLEs never pile up in one transaction
-- (53200, max_locks_per_transaction).  A procedure: only CALL may commit; no
-- SET clause (a procedure with one cannot commit): each chunk's transaction
-- sets search_path = pg_catalog, pg_temp locally in C.
CREATE PROCEDURE @extschema@.tenant_migrate_in_batches(batch_size pg_catalog.int8,
	target pg_catalog.text DEFAULT NULL)
AS 'MODULE_PATHNAME', 'tenant_migrate_in_batches'
LANGUAGE C;

REVOKE ALL ON PROCEDURE @extschema@.tenant_migrate_in_batches(pg_catalog.int8, pg_catalog.text) FROM PUBLIC;
