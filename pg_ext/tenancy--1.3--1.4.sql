/* pg_ext/tenancy--1.3--1.4.sql -- upgrade tenancy 1.3 to 1.4.
 *
 * Adds: chunked batches (tenant_migrate_in_batches, issue 14); the run
 * record's write paths for a migrator's fan-out (tenancy.run_open /
 * run_record_tenant / run_finish, issue 7); schema tenants' tracking rows in
 * tables tenancy owns (issue 14); the SQLite fallback's functions, refused
 * here (issue 10); schema tenants on Citus (issue 13); operating a fleet:
 * tenant_rollback_all, subsets and max_failures, tenant_migration_remove,
 * tenant_settings, tenants().last_checked, one named tenant, tenant_restore
 * (issue 9).
 * tenancy.capabilities() is rewritten with all of it.
 *
 * Roles that held a capability in 1.3 are found first, from the 1.3
 * functions' ACLs, before anything is dropped, and given what their
 * capability holds in 1.4 at the end; the functions 1.4 replaces with new
 * arguments keep their grants.
 *
 * Security: qualified names, SET search_path = pg_catalog, pg_temp on every
 * function, everything revoked from PUBLIC.
 *
 * Must not: edit a released script's objects other than by ALTER/REVOKE/DROP
 * or CREATE OR REPLACE, or grant anything to PUBLIC.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tenancy UPDATE TO '1.4'" to load this file. \quit

-- ---- who holds what in 1.3 (given their 1.4 rights at the end) ----
-- Kept in transaction-local settings, not a temporary table: Citus cannot
-- PREPARE a transaction that touched temporary objects.
--
-- tenancy_upgrade.holders: {capability, role} pairs.  A role that may
-- execute tenants() or tenant_status() is a reader; one that may execute
-- tenant_migrate_all_atomic() or tenant_query_all() a migrator, one that
-- may execute tenant_drop() an admin (each capability includes the ones
-- below it).  Readers come first, then migrators, then admins.
--
-- tenancy_upgrade.kept: {function, role} pairs, the grants that move to a
-- function replaced with new arguments: whoever could execute the old one
-- can execute the new one (and whoever could run tenant_migrate_all can
-- run tenant_rollback_all, whoever could run tenants() tenant_settings()).
SELECT pg_catalog.set_config('tenancy_upgrade.holders',
	(SELECT coalesce(pg_catalog.array_agg(ARRAY[h.capability, h.role::pg_catalog.regrole::pg_catalog.text]
		ORDER BY h.capability DESC, h.role), '{}')::pg_catalog.text
	  FROM (SELECT DISTINCT a.grantee AS role,
			CASE WHEN p.oid OPERATOR(pg_catalog.=) ANY (ARRAY[
				'@extschema@.tenants()'::pg_catalog.regprocedure,
				'@extschema@.tenant_status()'::pg_catalog.regprocedure]::pg_catalog.oid[])
				THEN 'reader'
			     WHEN p.oid OPERATOR(pg_catalog.=) '@extschema@.tenant_drop(pg_catalog.text, pg_catalog.text)'::pg_catalog.regprocedure
				THEN 'admin' ELSE 'migrator' END AS capability
		  FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
		 WHERE p.oid OPERATOR(pg_catalog.=) ANY (ARRAY[
				'@extschema@.tenants()'::pg_catalog.regprocedure,
				'@extschema@.tenant_status()'::pg_catalog.regprocedure,
				'@extschema@.tenant_migrate_all_atomic(pg_catalog.text, pg_catalog.int4)'::pg_catalog.regprocedure,
				'@extschema@.tenant_query_all(pg_catalog.text, pg_catalog.int4)'::pg_catalog.regprocedure,
				'@extschema@.tenant_drop(pg_catalog.text, pg_catalog.text)'::pg_catalog.regprocedure]::pg_catalog.oid[])
		   AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE' AND a.grantee OPERATOR(pg_catalog.<>) 0
		   AND a.grantee OPERATOR(pg_catalog.<>) p.proowner) h), true),
	pg_catalog.set_config('tenancy_upgrade.kept',
	(SELECT coalesce(pg_catalog.array_agg(ARRAY[f.new, a.grantee::pg_catalog.regrole::pg_catalog.text]
		ORDER BY f.n, a.n), '{}')::pg_catalog.text
	  FROM (VALUES
		(1, '@extschema@.tenant_migrate_all(pg_catalog.text, pg_catalog.int4, pg_catalog.int4)',
			'@extschema@.tenant_migrate_all(pg_catalog.text, pg_catalog.int4, pg_catalog.int4, pg_catalog.text[])'),
		(2, '@extschema@.tenant_migrate_all(pg_catalog.text, pg_catalog.int4, pg_catalog.int4)',
			'@extschema@.tenant_rollback_all(pg_catalog.text, pg_catalog.int4, pg_catalog.text[], pg_catalog.int4)'),
		(3, '@extschema@.tenants()', '@extschema@.tenants()'),
		(4, '@extschema@.tenants()', '@extschema@.tenant_settings()'),
		(5, '@extschema@.tenant_dry_run_all(pg_catalog.text, pg_catalog.int4)',
			'@extschema@.tenant_dry_run_all(pg_catalog.text, pg_catalog.int4, pg_catalog.text[])'),
		(6, '@extschema@.tenant_verify_all(pg_catalog.int4)',
			'@extschema@.tenant_verify_all(pg_catalog.int4, pg_catalog.text[])'),
		(7, '@extschema@.tenant_query_all(pg_catalog.text, pg_catalog.int4)',
			'@extschema@.tenant_query_all(pg_catalog.text, pg_catalog.int4, pg_catalog.text[])')
	  ) AS f(n, old, new),
	  pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) WITH ORDINALITY AS a(grantor, grantee, privilege_type, is_grantable, n)
	 WHERE p.oid OPERATOR(pg_catalog.=) f.old::pg_catalog.regprocedure
	   AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE' AND a.grantee OPERATOR(pg_catalog.<>) 0
	   AND a.grantee OPERATOR(pg_catalog.<>) p.proowner), true);

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

-- ==========================================================================
-- Issue 7 (security): the run record's write paths.
--
-- 1.3 took back every direct write on the registry tables, so a fan-out
-- started by a role with only the migrator capability could not record its
-- run: tenancy.runs / run_tenants / audit and the tenants' cached state are
-- written over an autocommit connection to this database (the control
-- connection), as the caller.  Those writes now go through three SECURITY
-- DEFINER functions owned by the extension's owner, in the manner of
-- pg_cron's cron.schedule (the extension decides what a role may write):
--
--   tenancy.run_open(target, status, tenants, actor) -> run_id
--   tenancy.run_record_tenant(run_id, tenant, status, ...)
--   tenancy.run_finish(run_id, status, finished)
--
-- EXECUTE is part of the migrator capability, but holding it writes
-- nothing on its own, and nothing secret crosses the wire (a parameter
-- would be logged with log_statement = all): the fan-out's backend opens
-- the control connection, reads that session's pg_backend_pid() over it,
-- and takes, for its transaction, an advisory ExclusiveLock whose key is
-- (1952804449 "tena", that pid) and whose fourth field (7) no
-- pg_advisory_* function produces.  run_open, called in that session,
-- finds the lock naming its own pg_backend_pid() in pg_locks (only
-- tenancy's C code takes it, and only for a connection it opened itself)
-- and writes down the session (pid and backend start) as the run's only
-- writer; every later write must come from that session; closing the run
-- forgets it.  A migrator calling them from any other session gets 42501
-- and writes nothing: what it records, it records by running
-- tenant_migrate_all.
--
-- The migrator capability holds the three write paths and, in a tenant,
-- tenancy.migrate_synced (1.3 left it to superusers, so a migrator's
-- fan-out failed in every tenant); the reader capability verify_synced.
-- ==========================================================================

CREATE TABLE tenancy.run_writers (
	run_id pg_catalog.int8 PRIMARY KEY REFERENCES tenancy.runs ON DELETE CASCADE,
	writer_pid pg_catalog.int4 NOT NULL,
	writer_start pg_catalog.timestamptz NOT NULL
);
COMMENT ON TABLE tenancy.run_writers IS 'the one session allowed to write each open run: readable by nobody but the extension''s owner';
REVOKE ALL ON tenancy.run_writers FROM PUBLIC;

-- this session's start, which a later backend with the same pid does not share
CREATE FUNCTION tenancy.session_start()
RETURNS pg_catalog.timestamptz
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT a.backend_start FROM pg_catalog.pg_stat_get_activity(pg_catalog.pg_backend_pid()) a
$$;

-- the run_id of an open run this session writes, or a 42501 error
CREATE FUNCTION tenancy.checked_run(run_id pg_catalog.int8)
RETURNS pg_catalog.int8
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF run_id IS NULL OR NOT EXISTS (
		SELECT 1 FROM tenancy.run_writers w
		 WHERE w.run_id OPERATOR(pg_catalog.=) checked_run.run_id
		   AND w.writer_pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
		   AND w.writer_start OPERATOR(pg_catalog.=) tenancy.session_start()) THEN
		RAISE EXCEPTION 'run record refused'
			USING ERRCODE = '42501',
				DETAIL = 'Only the tenancy fan-out that opened a run writes its record, and only while it is open.',
				HINT = 'Run tenant_migrate_all() to record a run.';
	END IF;
	RETURN run_id;
END
$$;

CREATE FUNCTION tenancy.run_open(target pg_catalog.text, status pg_catalog.text,
	tenants pg_catalog.int8, actor pg_catalog.text)
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	holder pg_catalog.int4;
	id pg_catalog.int8;
BEGIN
	-- the fan-out's backend holds a lock naming this very session: tenancy's C code, and only it, takes it
	SELECT l.pid INTO holder FROM pg_catalog.pg_locks l
	 WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.granted
	   AND l.mode OPERATOR(pg_catalog.=) 'ExclusiveLock'
	   AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
											  WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
	   AND l.classid OPERATOR(pg_catalog.=) 1952804449::pg_catalog.oid
	   AND l.objid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()::pg_catalog.oid
	   AND l.objsubid OPERATOR(pg_catalog.=) 7
	 LIMIT 1;
	IF holder IS NULL THEN
		RAISE EXCEPTION 'run record refused'
			USING ERRCODE = '42501',
				DETAIL = 'Only a tenancy fan-out running in this database opens a run record.',
				HINT = 'Run tenant_migrate_all() to record a run.';
	END IF;
	IF status IS NULL OR status OPERATOR(pg_catalog.<>) ALL (ARRAY['running', 'preparing']) THEN
		RAISE EXCEPTION 'invalid run status "%"', status USING ERRCODE = '22023';
	END IF;
	IF tenants IS NULL OR tenants OPERATOR(pg_catalog.<) 0 OR actor IS NULL
		OR pg_catalog.to_regrole(pg_catalog.quote_ident(actor)) IS NULL THEN
		RAISE EXCEPTION 'invalid run record' USING ERRCODE = '22023',
			DETAIL = 'The number of tenants must be zero or more and the actor a role.';
	END IF;
	INSERT INTO tenancy.runs (target, status, tenants, caller_pid, actor)
		VALUES (target, status, tenants, holder, actor) RETURNING runs.run_id INTO id;
	INSERT INTO tenancy.run_writers (run_id, writer_pid, writer_start)
		VALUES (id, pg_catalog.pg_backend_pid(), tenancy.session_start());
	RETURN id;
END
$$;

-- one tenant's row of a run: status 'unchanged' (tenant_rollback_all: nothing
-- undone, not audited), the audit action of a rollback run ('rollback'), and
-- last_checked (when a fan-out last asked the tenant)
CREATE FUNCTION tenancy.run_record_tenant(run_id pg_catalog.int8,
	tenant pg_catalog.text, status pg_catalog.text, from_version pg_catalog.text,
	to_version pg_catalog.text, applied pg_catalog.int8, duration_ms pg_catalog.int8,
	sqlstate pg_catalog.text, error pg_catalog.text, version pg_catalog.text,
	version_key pg_catalog.text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id pg_catalog.int8 := tenancy.checked_run(run_id);
	is_failure pg_catalog.bool := error IS NOT NULL OR status OPERATOR(pg_catalog.=) ANY (ARRAY['failed', 'unreachable']);
	action pg_catalog.text;
BEGIN
	IF tenant IS NULL OR status IS NULL
		OR status OPERATOR(pg_catalog.<>) ALL (ARRAY['applied', 'up_to_date', 'failed', 'unreachable', 'skipped', 'rolled_back', 'unchanged'])
		OR COALESCE(applied, 0) OPERATOR(pg_catalog.<) 0
		OR COALESCE(duration_ms, 0) OPERATOR(pg_catalog.<) 0
		OR (version IS NULL) OPERATOR(pg_catalog.<>) (version_key IS NULL) THEN
		RAISE EXCEPTION 'invalid tenant record of run %', id USING ERRCODE = '22023',
			DETAIL = 'A tenant, a fan-out status, counts of zero or more and a version with its key are required.';
	END IF;
	SELECT CASE WHEN r.target OPERATOR(pg_catalog.~~) 'rollback %' THEN 'rollback' ELSE 'migrate' END INTO action
	  FROM tenancy.runs r WHERE r.run_id OPERATOR(pg_catalog.=) id;
	INSERT INTO tenancy.run_tenants (run_id, tenant, status, from_version, to_version, applied,
		duration_ms, sqlstate, error)
		VALUES (id, tenant, status, from_version, to_version, applied, duration_ms, sqlstate, error);
	UPDATE tenancy.tenants t SET version = COALESCE(run_record_tenant.version, t.version),
		version_key = COALESCE(run_record_tenant.version_key, t.version_key), state = run_record_tenant.status,
		last_error = CASE WHEN is_failure THEN run_record_tenant.error END, last_run = pg_catalog.clock_timestamp(),
		last_checked = pg_catalog.clock_timestamp()
	 WHERE t.name OPERATOR(pg_catalog.=) tenant;
	IF status OPERATOR(pg_catalog.<>) ALL (ARRAY['up_to_date', 'unchanged']) THEN
		INSERT INTO tenancy.audit (action, tenant, detail)
			VALUES (action, tenant, 'run ' OPERATOR(pg_catalog.||) id OPERATOR(pg_catalog.||) ': '
				OPERATOR(pg_catalog.||) COALESCE(error, status));
	END IF;
	UPDATE tenancy.runs r SET applied = r.applied OPERATOR(pg_catalog.+) COALESCE(run_record_tenant.applied, 0),
		failed = r.failed OPERATOR(pg_catalog.+) CASE WHEN is_failure THEN 1 ELSE 0 END
	 WHERE r.run_id OPERATOR(pg_catalog.=) id;
END
$$;

CREATE FUNCTION tenancy.run_finish(run_id pg_catalog.int8,
	status pg_catalog.text, finished pg_catalog.bool)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id pg_catalog.int8 := tenancy.checked_run(run_id);
BEGIN
	IF status IS NULL OR finished IS NULL
		OR status OPERATOR(pg_catalog.<>) ALL (ARRAY['preparing', 'committing', 'aborting', 'done',
			'rolled_back', 'cancelled', 'stopped', 'failed']) THEN
		RAISE EXCEPTION 'invalid run status "%"', status USING ERRCODE = '22023';
	END IF;
	UPDATE tenancy.runs r SET status = run_finish.status,
		finished_at = CASE WHEN finished THEN pg_catalog.clock_timestamp() ELSE r.finished_at END
	 WHERE r.run_id OPERATOR(pg_catalog.=) id;
	-- a closed run takes no more writes
	IF finished THEN
		DELETE FROM tenancy.run_writers w WHERE w.run_id OPERATOR(pg_catalog.=) id;
	END IF;
END
$$;

REVOKE ALL ON FUNCTION
	tenancy.session_start(),
	tenancy.checked_run(pg_catalog.int8),
	tenancy.run_open(pg_catalog.text, pg_catalog.text, pg_catalog.int8, pg_catalog.text),
	tenancy.run_record_tenant(pg_catalog.int8, pg_catalog.text, pg_catalog.text,
		pg_catalog.text, pg_catalog.text, pg_catalog.int8, pg_catalog.int8, pg_catalog.text,
		pg_catalog.text, pg_catalog.text, pg_catalog.text),
	tenancy.run_finish(pg_catalog.int8, pg_catalog.text, pg_catalog.bool)
FROM PUBLIC;

-- capability_apply: the run write paths are named with their schema
CREATE OR REPLACE FUNCTION tenancy.capability_apply(role pg_catalog.regrole,
	capability pg_catalog.text, give pg_catalog.bool)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	caps pg_catalog.text[] := tenancy.capability_closure(capability);
	-- grant: the capability and those below it; revoke: just the one named
	wanted pg_catalog.text[] := CASE WHEN give THEN caps ELSE ARRAY[capability] END;
	ext pg_catalog.name;
	r record;
BEGIN
	IF role IS NULL OR capability IS NULL THEN
		RAISE EXCEPTION 'argument "%" must not be null', CASE WHEN role IS NULL THEN 'role' ELSE 'capability' END
			USING ERRCODE = '22004';
	END IF;
	IF caps IS NULL THEN
		RAISE EXCEPTION 'unknown capability "%"', capability
			USING ERRCODE = '22023',
				DETAIL = 'The capabilities are reader, migrator and admin (SECURITY.md).';
	END IF;
	IF role::pg_catalog.oid = 0 OR role::pg_catalog.text OPERATOR(pg_catalog.=) 'public' THEN
		RAISE EXCEPTION 'capabilities are given to roles, not to PUBLIC' USING ERRCODE = '22023';
	END IF;
	SELECT n.nspname INTO ext FROM pg_catalog.pg_extension e
		JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
		WHERE e.extname OPERATOR(pg_catalog.=) 'tenancy';
	IF give THEN
		EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA tenancy TO %s', role);
	END IF;
	FOR r IN SELECT c.kind, c.object FROM tenancy.capabilities() c
		WHERE c.capability OPERATOR(pg_catalog.=) ANY (wanted)
	LOOP
		IF r.kind OPERATOR(pg_catalog.=) 'function' THEN
			-- tenant_* live in the extension's schema; objects named with
			-- their schema (tenancy.run_open(...)) are taken as they are
			-- ROUTINE: the same grant for functions and procedures
			EXECUTE pg_catalog.format('%s EXECUTE ON ROUTINE %s %s %s',
				CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END,
				CASE WHEN r.object OPERATOR(pg_catalog.~~) 'tenancy.%' THEN r.object
					ELSE pg_catalog.format('%I.%s', ext, r.object) END,
				CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
		ELSIF r.kind OPERATOR(pg_catalog.=) 'table' THEN
			EXECUTE pg_catalog.format('%s SELECT ON %s %s %s',
				CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END, r.object,
				CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
		ELSIF r.kind OPERATOR(pg_catalog.=) 'write' THEN
			EXECUTE pg_catalog.format('%s SELECT, INSERT, UPDATE, DELETE ON %s %s %s',
				CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END, r.object,
				CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
			IF r.object OPERATOR(pg_catalog.=) 'tenancy.history' THEN
				EXECUTE pg_catalog.format('%s USAGE ON SEQUENCE tenancy.history_id_seq %s %s',
					CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END,
					CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
			END IF;
		ELSIF r.kind OPERATOR(pg_catalog.=) 'lock' THEN
			EXECUTE pg_catalog.format('%s UPDATE ON %s %s %s',
				CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END, r.object,
				CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
		ELSIF r.kind OPERATOR(pg_catalog.=) 'server'
			AND EXISTS (SELECT 1 FROM pg_catalog.pg_foreign_server s
				JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid OPERATOR(pg_catalog.=) s.srvfdw
				WHERE s.srvname OPERATOR(pg_catalog.=) r.object AND w.fdwname OPERATOR(pg_catalog.=) 'tenancy_fdw') THEN
			EXECUTE pg_catalog.format('%s USAGE ON FOREIGN SERVER %I %s %s',
				CASE WHEN give THEN 'GRANT' ELSE 'REVOKE' END, r.object,
				CASE WHEN give THEN 'TO' ELSE 'FROM' END, role);
		END IF;
	END LOOP;
END
$$;

-- ==========================================================================
-- Issue 14 (performance and scale): schema tenants' tracking rows in tables
-- tenancy owns, keyed by schema.
--
-- Up to 1.3 every schema tenant had four tracking tables of its own
-- (<schema>.tenancy_catalog, _applied, _history, _checkpoints): four CREATE
-- TABLEs and their indexes per tenant, a catalog that grew by thousands of
-- relations, and tables the schema's owner could drop or edit.  From 1.4
-- the rows of every schema tenant of this database live in
-- tenancy.schema_catalog, schema_applied, schema_history and
-- schema_checkpoints, whose first column is the schema.  The core reads
-- and writes them through the views tenancy.tenant_catalog, tenant_applied,
-- tenant_history and tenant_checkpoints (the adapter's table prefix
-- "tenancy.tenant_"), which show the rows of the schema named by the
-- setting tenancy.tenant_schema and give that schema to the rows inserted
-- through them.  Only tenancy sets tenancy.tenant_schema (superuser-only
-- setting, set by the adapter for one call and restored after it), so a
-- migration body running as the schema's owner cannot point the views at
-- another schema, and the schema's owner has no privilege on these tables.
-- ==========================================================================

CREATE TABLE tenancy.schema_catalog (
	schema_name pg_catalog.text NOT NULL
		DEFAULT NULLIF(pg_catalog.current_setting('tenancy.tenant_schema', true), ''),
	version pg_catalog.text NOT NULL,
	name pg_catalog.text NOT NULL,
	up_sql pg_catalog.text NOT NULL,
	down_sql pg_catalog.text,
	checksum pg_catalog.text NOT NULL,
	flags pg_catalog.int8 NOT NULL DEFAULT 0,
	source pg_catalog.text,
	added_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	PRIMARY KEY (schema_name, version)
);

CREATE TABLE tenancy.schema_applied (
	schema_name pg_catalog.text NOT NULL
		DEFAULT NULLIF(pg_catalog.current_setting('tenancy.tenant_schema', true), ''),
	version pg_catalog.text NOT NULL,
	name pg_catalog.text NOT NULL,
	checksum pg_catalog.text NOT NULL,
	applied_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	duration_ms pg_catalog.int8 NOT NULL DEFAULT 0,
	batch pg_catalog.int8 NOT NULL,
	PRIMARY KEY (schema_name, version)
);

CREATE TABLE tenancy.schema_history (
	schema_name pg_catalog.text NOT NULL
		DEFAULT NULLIF(pg_catalog.current_setting('tenancy.tenant_schema', true), ''),
	id pg_catalog.int8 GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	action pg_catalog.text NOT NULL,
	version pg_catalog.text,
	batch pg_catalog.int8,
	detail pg_catalog.text
);
CREATE INDEX schema_history_schema_id ON tenancy.schema_history (schema_name, id);

CREATE TABLE tenancy.schema_checkpoints (
	schema_name pg_catalog.text NOT NULL
		DEFAULT NULLIF(pg_catalog.current_setting('tenancy.tenant_schema', true), ''),
	name pg_catalog.text NOT NULL,
	created_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	batch pg_catalog.int8 NOT NULL,
	version pg_catalog.text,
	kind pg_catalog.text NOT NULL,
	mode pg_catalog.text NOT NULL,
	PRIMARY KEY (schema_name, name)
);

COMMENT ON TABLE tenancy.schema_catalog IS 'tracking rows of the schema tenants of this database: their catalog';
COMMENT ON TABLE tenancy.schema_applied IS 'tracking rows of the schema tenants of this database: applied migrations';
COMMENT ON TABLE tenancy.schema_history IS 'tracking rows of the schema tenants of this database: history';
COMMENT ON TABLE tenancy.schema_checkpoints IS 'tracking rows of the schema tenants of this database: checkpoints';

-- one schema's rows, shaped like tenancy.catalog / applied / history /
-- checkpoints (automatically updatable: inserts take the schema from the
-- column default)
CREATE VIEW tenancy.tenant_catalog AS
	SELECT version, name, up_sql, down_sql, checksum, flags, source, added_at
	FROM tenancy.schema_catalog
	WHERE schema_name OPERATOR(pg_catalog.=) pg_catalog.current_setting('tenancy.tenant_schema', true);
CREATE VIEW tenancy.tenant_applied AS
	SELECT version, name, checksum, applied_at, duration_ms, batch
	FROM tenancy.schema_applied
	WHERE schema_name OPERATOR(pg_catalog.=) pg_catalog.current_setting('tenancy.tenant_schema', true);
CREATE VIEW tenancy.tenant_history AS
	SELECT id, at, action, version, batch, detail
	FROM tenancy.schema_history
	WHERE schema_name OPERATOR(pg_catalog.=) pg_catalog.current_setting('tenancy.tenant_schema', true);
CREATE VIEW tenancy.tenant_checkpoints AS
	SELECT name, created_at, batch, version, kind, mode
	FROM tenancy.schema_checkpoints
	WHERE schema_name OPERATOR(pg_catalog.=) pg_catalog.current_setting('tenancy.tenant_schema', true);

-- pg_dump keeps every schema tenant's tracking rows
SELECT pg_catalog.pg_extension_config_dump('tenancy.schema_catalog', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.schema_applied', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.schema_history', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.schema_history_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('tenancy.schema_checkpoints', '');

REVOKE ALL ON tenancy.schema_catalog, tenancy.schema_applied, tenancy.schema_history,
	tenancy.schema_checkpoints, tenancy.tenant_catalog, tenancy.tenant_applied,
	tenancy.tenant_history, tenancy.tenant_checkpoints FROM PUBLIC;

-- Existing schema tenants: their rows move from <schema>.tenancy_* into
-- the shared tables, and the four per-schema tables are dropped.  A schema
-- is moved when it holds all four tables and each is an ordinary table
-- owned by a superuser or by the role running this update (the check
-- tenancy applied before using them: anything else may have been edited
-- or replaced by the schema's owner, so its rows are not trusted; it is
-- left in place with a WARNING, and that schema tenant reads as having
-- nothing applied until an administrator looks at it).
DO $move$
DECLARE
	s record;
BEGIN
	FOR s IN
		SELECT n.nspname,
			pg_catalog.bool_and(c.relkind OPERATOR(pg_catalog.=) 'r'
				AND (r.rolsuper OR c.relowner OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) CURRENT_USER))) AS trusted
		FROM pg_catalog.pg_namespace n
		JOIN pg_catalog.pg_class c ON c.relnamespace OPERATOR(pg_catalog.=) n.oid
		JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
		WHERE c.relname OPERATOR(pg_catalog.=) ANY (ARRAY['tenancy_catalog', 'tenancy_applied', 'tenancy_history', 'tenancy_checkpoints']::pg_catalog.name[])
			AND n.nspname OPERATOR(pg_catalog.<>) 'tenancy'
		GROUP BY n.nspname
		HAVING pg_catalog.count(*) OPERATOR(pg_catalog.=) 4
		ORDER BY n.nspname
	LOOP
		IF NOT s.trusted THEN
			RAISE WARNING 'tracking tables of schema "%" were not moved', s.nspname
				USING DETAIL = 'One of them is not an ordinary table owned by a superuser or by the role updating the extension, so its rows may have been edited by someone else.',
					HINT = 'Check the schema''s tenancy_* tables, copy trusted rows into tenancy.schema_applied yourself, then drop them.';
			CONTINUE;
		END IF;
		EXECUTE pg_catalog.format('INSERT INTO tenancy.schema_catalog (schema_name, version, name, up_sql, down_sql, checksum, flags, source, added_at)'
			' SELECT %L, version, name, up_sql, down_sql, checksum, flags, source, added_at FROM %I.tenancy_catalog', s.nspname, s.nspname);
		EXECUTE pg_catalog.format('INSERT INTO tenancy.schema_applied (schema_name, version, name, checksum, applied_at, duration_ms, batch)'
			' SELECT %L, version, name, checksum, applied_at, duration_ms, batch FROM %I.tenancy_applied', s.nspname, s.nspname);
		EXECUTE pg_catalog.format('INSERT INTO tenancy.schema_history (schema_name, at, action, version, batch, detail)'
			' SELECT %L, at, action, version, batch, detail FROM %I.tenancy_history ORDER BY id', s.nspname, s.nspname);
		EXECUTE pg_catalog.format('INSERT INTO tenancy.schema_checkpoints (schema_name, name, created_at, batch, version, kind, mode)'
			' SELECT %L, name, created_at, batch, version, kind, mode FROM %I.tenancy_checkpoints', s.nspname, s.nspname);
		EXECUTE pg_catalog.format('DROP TABLE %1$I.tenancy_catalog, %1$I.tenancy_applied, %1$I.tenancy_history, %1$I.tenancy_checkpoints', s.nspname);
	END LOOP;
END
$move$;

-- nothing creates per-schema tracking tables any more
DROP FUNCTION tenancy.create_tracking_tables(pg_catalog.name);

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

-- ==== issue 9 (operating a fleet): tenant_rollback_all ====
-- tenant_rollback_all(checkpoint_or_version [, concurrency [, tenants
-- [, max_failures]]]): every tenant (or the tenants named, in that order)
-- back to before a version of the tenant set, or to a checkpoint, over the
-- same fan-out as tenant_migrate_all (tenancy.migrate_synced(set, arg,
-- 'rollback') in each tenant), recorded in tenancy.runs /
-- tenancy.run_tenants; nothing new starts after max_failures failed or
-- unreachable tenants, the rest are 'skipped'.  A migrator may call it, as
-- tenant_migrate_all.
CREATE FUNCTION @extschema@.tenant_rollback_all(checkpoint_or_version pg_catalog.text,
	concurrency pg_catalog.int4 DEFAULT NULL, tenants pg_catalog.text[] DEFAULT NULL,
	max_failures pg_catalog.int4 DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, status pg_catalog.text,
	from_version pg_catalog.text, to_version pg_catalog.text,
	applied pg_catalog.int8, duration_ms pg_catalog.int8,
	sqlstate pg_catalog.text, error pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_rollback_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.tenant_rollback_all(pg_catalog.text, pg_catalog.int4, pg_catalog.text[], pg_catalog.int4) FROM PUBLIC;

-- tenant_migrate_all gains tenants text[] (a subset, canary first): the
-- 3-argument function goes and the 4-argument one takes its place (its
-- grants: tenancy_upgrade.kept).
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

-- tenant_migration_remove(version [, scope]): a version no database has
-- applied leaves a set ('tenants': asked of every tenant); admin only.
CREATE FUNCTION @extschema@.tenant_migration_remove(version pg_catalog.text,
	scope pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_migration_remove'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.tenant_migration_remove(pg_catalog.text, pg_catalog.text) FROM PUBLIC;

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

-- tenants() gains last_checked: when a fan-out (migrate, rollback, verify,
-- atomic) last asked the tenant itself; the registry's cached state is as
-- fresh as that.  Same grants as before (tenancy_upgrade.kept).
ALTER TABLE tenancy.tenants ADD COLUMN last_checked pg_catalog.timestamptz;
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

-- ==== issue 9 (operating a fleet), branch fleet: subsets ====
-- tenant_dry_run_all, tenant_verify_all and tenant_query_all take a subset
-- (tenants text[], as tenant_migrate_all: each a registered tenant, none
-- twice, in the order given).  Each old function goes and the new one takes
-- its place (its grants: tenancy_upgrade.kept).
ALTER EXTENSION tenancy DROP FUNCTION @extschema@.tenant_dry_run_all(pg_catalog.text, pg_catalog.int4);
DROP FUNCTION @extschema@.tenant_dry_run_all(pg_catalog.text, pg_catalog.int4);
ALTER EXTENSION tenancy DROP FUNCTION @extschema@.tenant_verify_all(pg_catalog.int4);
DROP FUNCTION @extschema@.tenant_verify_all(pg_catalog.int4);
ALTER EXTENSION tenancy DROP FUNCTION @extschema@.tenant_query_all(pg_catalog.text, pg_catalog.int4);
DROP FUNCTION @extschema@.tenant_query_all(pg_catalog.text, pg_catalog.int4);

CREATE FUNCTION @extschema@.tenant_dry_run_all(target pg_catalog.text DEFAULT NULL,
	concurrency pg_catalog.int4 DEFAULT NULL, tenants pg_catalog.text[] DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, status pg_catalog.text,
	from_version pg_catalog.text, to_version pg_catalog.text,
	applied pg_catalog.int8, duration_ms pg_catalog.int8,
	sqlstate pg_catalog.text, error pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_dry_run_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_verify_all(concurrency pg_catalog.int4 DEFAULT NULL,
	tenants pg_catalog.text[] DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, status pg_catalog.text,
	version pg_catalog.text, pending pg_catalog.int8, problems pg_catalog.int8,
	detail pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenant_verify_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.tenant_query_all(sql pg_catalog.text,
	concurrency pg_catalog.int4 DEFAULT NULL, tenants pg_catalog.text[] DEFAULT NULL)
RETURNS TABLE (tenant pg_catalog.text, "row" pg_catalog.jsonb)
AS 'MODULE_PATHNAME', 'tenant_query_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100
SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION
	@extschema@.tenant_dry_run_all(pg_catalog.text, pg_catalog.int4, pg_catalog.text[]),
	@extschema@.tenant_verify_all(pg_catalog.int4, pg_catalog.text[]),
	@extschema@.tenant_query_all(pg_catalog.text, pg_catalog.int4, pg_catalog.text[])
FROM PUBLIC;

-- ==== issue 9 (operating a fleet), branch fleet: one named tenant ====
-- tenant_status(tenant), tenant_history(tenant), tenant_checkpoints(tenant)
-- and tenant_verify(tenant) read one registered tenant (database or schema,
-- on any server) from the control database: its own tracking tables, never
-- the registry's cache.  The tenant is reached through tenant_query_all
-- (one tenant, a READ ONLY transaction, the caller's rights and user
-- mapping), where tenancy.inspect_synced reads them with the core.  The
-- call to it is gated by the same check as the fan-out's (are the schema
-- "tenancy" and the function members of an extension a superuser
-- installed?): its argument is evaluated first and fails otherwise (a
-- STABLE format() keeps the planner from folding the failing branch), so a
-- tenant owner's look-alike is never called.  The call is in the target
-- list, not in FROM: a look-alike SQL function in FROM could be inlined by
-- the planner, its body run without its argument ever being evaluated.  Unknown names are refused
-- (42704), a tenant that cannot be reached is 08006, both in the core's
-- words (tenancy.one_tenant_error); NULL reads this database, as the
-- functions without an argument (and SQLite's).  Migrator capability (they connect to
-- tenants, as tenant_query_all); inspect_synced is the reader's, as
-- verify_synced.

-- in the tenant
CREATE FUNCTION tenancy.inspect_synced(what pg_catalog.text, schema pg_catalog.text DEFAULT NULL)
RETURNS TABLE (c1 pg_catalog.text, c2 pg_catalog.text, c3 pg_catalog.text, c4 pg_catalog.text,
	c5 pg_catalog.text, c6 pg_catalog.text, c7 pg_catalog.text)
AS 'MODULE_PATHNAME', 'tenancy_inspect_synced'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 20
SET search_path = pg_catalog, pg_temp;

-- in the control database: the core's error for an unknown tenant (error
-- NULL) or for the error row a tenant gave; always raises
CREATE FUNCTION tenancy.one_tenant_error(tenant pg_catalog.text, error pg_catalog.text,
	sqlstate pg_catalog.text)
RETURNS void
AS 'MODULE_PATHNAME', 'tenancy_one_tenant_error'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

-- the rows of what ('status', 'history', 'checkpoints', 'verify') in one tenant
CREATE FUNCTION tenancy.one_tenant_rows(tenant pg_catalog.text, what pg_catalog.text)
RETURNS TABLE (c1 pg_catalog.text, c2 pg_catalog.text, c3 pg_catalog.text, c4 pg_catalog.text,
	c5 pg_catalog.text, c6 pg_catalog.text, c7 pg_catalog.text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE ROWS 20
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	known pg_catalog.bool;
	sch pg_catalog.text;
	r pg_catalog.jsonb;
	-- the fan-out's extension check (libpq_send.c, EXT_CHECK_SQL), for inspect_synced
	ext_check CONSTANT pg_catalog.text :=
		'(SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) 2'
		'  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid'
		'  JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) e.extowner AND o.rolsuper'
		' WHERE d.refclassid OPERATOR(pg_catalog.=) ''pg_catalog.pg_extension''::pg_catalog.regclass'
		'   AND d.deptype OPERATOR(pg_catalog.=) ''e'' AND e.extname OPERATOR(pg_catalog.=) ''tenancy'''
		'   AND ((d.classid OPERATOR(pg_catalog.=) ''pg_catalog.pg_proc''::pg_catalog.regclass'
		'         AND d.objid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure(''tenancy.inspect_synced(pg_catalog.text,pg_catalog.text)'')::pg_catalog.oid)'
		'     OR (d.classid OPERATOR(pg_catalog.=) ''pg_catalog.pg_namespace''::pg_catalog.regclass'
		'         AND d.objid OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace(''tenancy'')::pg_catalog.oid)))';
BEGIN
	SELECT true, t.schema_name INTO known, sch FROM tenancy.tenants t WHERE t.name OPERATOR(pg_catalog.=) tenant;
	IF known IS NULL THEN
		PERFORM tenancy.one_tenant_error(tenant, NULL, NULL);
	END IF;
	FOR r IN SELECT q."row" FROM @extschema@.tenant_query_all(pg_catalog.format(
			'SELECT tenancy.inspect_synced('
			'CASE WHEN %s THEN %L ELSE pg_catalog.int4(pg_catalog.format(''%%s'', %L))::pg_catalog.text END, %L) AS r',
			ext_check, what, 'tenancy in this tenant is not the extension a superuser installed', sch),
			1, ARRAY[tenant]) q
	LOOP
		IF r OPERATOR(pg_catalog.?) 'error' THEN
			PERFORM tenancy.one_tenant_error(tenant, r OPERATOR(pg_catalog.->>) 'error',
				r OPERATOR(pg_catalog.->>) 'sqlstate');
		END IF;
		c1 := (r OPERATOR(pg_catalog.->) 'r') OPERATOR(pg_catalog.->>) 'c1';
		c2 := (r OPERATOR(pg_catalog.->) 'r') OPERATOR(pg_catalog.->>) 'c2';
		c3 := (r OPERATOR(pg_catalog.->) 'r') OPERATOR(pg_catalog.->>) 'c3';
		c4 := (r OPERATOR(pg_catalog.->) 'r') OPERATOR(pg_catalog.->>) 'c4';
		c5 := (r OPERATOR(pg_catalog.->) 'r') OPERATOR(pg_catalog.->>) 'c5';
		c6 := (r OPERATOR(pg_catalog.->) 'r') OPERATOR(pg_catalog.->>) 'c6';
		c7 := (r OPERATOR(pg_catalog.->) 'r') OPERATOR(pg_catalog.->>) 'c7';
		RETURN NEXT;
	END LOOP;
END
$$;

CREATE FUNCTION @extschema@.tenant_status(tenant pg_catalog.text)
RETURNS TABLE (version pg_catalog.text, name pg_catalog.text,
	state pg_catalog.text, checksum pg_catalog.text,
	applied_at pg_catalog.timestamptz, duration_ms pg_catalog.int8,
	batch pg_catalog.int8)
LANGUAGE sql VOLATILE PARALLEL UNSAFE ROWS 20
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.* FROM @extschema@.tenant_status() s WHERE tenant IS NULL
	UNION ALL
	SELECT r.c1, r.c2, r.c3, r.c4, r.c5::pg_catalog.timestamptz, r.c6::pg_catalog.int8, r.c7::pg_catalog.int8
	  FROM tenancy.one_tenant_rows(tenant, 'status') r WHERE tenant IS NOT NULL
$$;

CREATE FUNCTION @extschema@.tenant_verify(tenant pg_catalog.text)
RETURNS TABLE (version pg_catalog.text, name pg_catalog.text,
	state pg_catalog.text, detail pg_catalog.text)
LANGUAGE sql VOLATILE PARALLEL UNSAFE ROWS 5
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.* FROM @extschema@.tenant_verify() s WHERE tenant IS NULL
	UNION ALL
	SELECT r.c1, r.c2, r.c3, r.c4 FROM tenancy.one_tenant_rows(tenant, 'verify') r WHERE tenant IS NOT NULL
$$;

CREATE FUNCTION @extschema@.tenant_history(tenant pg_catalog.text)
RETURNS TABLE (id pg_catalog.int8, at pg_catalog.timestamptz,
	action pg_catalog.text, version pg_catalog.text,
	batch pg_catalog.int8, detail pg_catalog.text)
LANGUAGE sql VOLATILE PARALLEL UNSAFE ROWS 50
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.* FROM @extschema@.tenant_history() s WHERE tenant IS NULL
	UNION ALL
	SELECT r.c1::pg_catalog.int8, r.c2::pg_catalog.timestamptz, r.c3, r.c4, r.c5::pg_catalog.int8, r.c6
	  FROM tenancy.one_tenant_rows(tenant, 'history') r WHERE tenant IS NOT NULL
$$;

CREATE FUNCTION @extschema@.tenant_checkpoints(tenant pg_catalog.text)
RETURNS TABLE (name pg_catalog.text, created_at pg_catalog.timestamptz,
	batch pg_catalog.int8, version pg_catalog.text,
	kind pg_catalog.text, mode pg_catalog.text)
LANGUAGE sql VOLATILE PARALLEL UNSAFE ROWS 10
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.* FROM @extschema@.tenant_checkpoints() s WHERE tenant IS NULL
	UNION ALL
	SELECT r.c1, r.c2::pg_catalog.timestamptz, r.c3::pg_catalog.int8, r.c4, r.c5, r.c6
	  FROM tenancy.one_tenant_rows(tenant, 'checkpoints') r WHERE tenant IS NOT NULL
$$;

REVOKE ALL ON FUNCTION
	tenancy.inspect_synced(pg_catalog.text, pg_catalog.text),
	tenancy.one_tenant_error(pg_catalog.text, pg_catalog.text, pg_catalog.text),
	tenancy.one_tenant_rows(pg_catalog.text, pg_catalog.text),
	@extschema@.tenant_status(pg_catalog.text),
	@extschema@.tenant_verify(pg_catalog.text),
	@extschema@.tenant_history(pg_catalog.text),
	@extschema@.tenant_checkpoints(pg_catalog.text)
FROM PUBLIC;

-- ==== issue 9 (operating a fleet): tenant_restore ====
-- The SQLite function that restores a snapshot checkpoint explicitly; here
-- with the same arguments, refused by the core (0A000) as PostgreSQL
-- refuses 'snapshot' checkpoints.
CREATE FUNCTION @extschema@.tenant_restore(checkpoint pg_catalog.text)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tenant_restore'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.tenant_restore(pg_catalog.text) FROM PUBLIC;

-- ==========================================================================
-- Capabilities: what each one holds in 1.4 (the functions it may execute,
-- the tables it may read); 1.3's list with what 1.4 adds.  No capability
-- may write a registry or tenant-set table.  Objects named with their
-- schema (tenancy.run_open(...)) are taken as they are; the others live in
-- the extension's schema.
-- ==========================================================================
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

-- ---- 1.3's holders get their 1.4 rights (found at the top) ----
-- first the grants of the replaced functions, then every holder's capability
DO $$
DECLARE
	kept pg_catalog.text[] := pg_catalog.current_setting('tenancy_upgrade.kept')::pg_catalog.text[];
	holders pg_catalog.text[] := pg_catalog.current_setting('tenancy_upgrade.holders')::pg_catalog.text[];
BEGIN
	-- {function, role}
	FOR i IN 1 .. coalesce(pg_catalog.array_length(kept, 1), 0) LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s', kept[i][1], kept[i][2]);
	END LOOP;
	-- {capability, role}
	FOR i IN 1 .. coalesce(pg_catalog.array_length(holders, 1), 0) LOOP
		PERFORM tenancy.capability_apply(holders[i][2]::pg_catalog.regrole, holders[i][1], true);
	END LOOP;
END
$$;
