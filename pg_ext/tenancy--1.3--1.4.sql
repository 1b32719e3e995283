/* pg_ext/tenancy--1.3--1.4.sql -- upgrade tenancy 1.3 to 1.4.
 *
 * Each issue's part is appended under a comment header naming it, so the
 * parts merge without touching one another.
 *
 * Security: qualified names, SET search_path = pg_catalog, pg_temp on every
 * function, everything revoked from PUBLIC.
 *
 * Must not: edit a released script's objects other than by ALTER/REVOKE/DROP.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
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
--   tenancy.run_open(secret, target, status, tenants, actor) -> run_id
--   tenancy.run_record_tenant(run_id, secret, tenant, status, ...)
--   tenancy.run_finish(run_id, secret, status, finished)
--
-- EXECUTE is part of the migrator capability, but holding it writes
-- nothing on its own: a run is opened only by the backend of a fan-out
-- that tenancy's C code started.  That backend draws a random secret and
-- holds, for its transaction, an advisory lock whose key is the first 8
-- bytes of the secret's SHA-256 and whose fourth field (7) none of the
-- pg_advisory_* functions can produce; run_open finds that lock in
-- pg_locks, so it needs both the lock (only tenancy's C code takes it) and
-- the secret (only that backend and its control connection know it).  The
-- secret's hash is kept in tenancy.run_secrets, readable by nobody, and
-- every later write of the run must present the secret; closing the run
-- forgets it.  So a migrator can neither open a run of its own nor write
-- a row, a tenant's state or an audit line into anyone's run: what it
-- records, it records by running tenant_migrate_all.
-- ==========================================================================

CREATE TABLE tenancy.run_secrets (
	run_id pg_catalog.int8 PRIMARY KEY REFERENCES tenancy.runs ON DELETE CASCADE,
	secret_hash pg_catalog.bytea NOT NULL
);
COMMENT ON TABLE tenancy.run_secrets IS 'the SHA-256 of each open run''s secret: readable by nobody but the extension''s owner';
REVOKE ALL ON tenancy.run_secrets FROM PUBLIC;

-- the run_id of an open run whose secret is $2, or a 42501 error
CREATE FUNCTION tenancy.checked_run(run_id pg_catalog.int8, secret pg_catalog.text)
RETURNS pg_catalog.int8
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF run_id IS NULL OR secret IS NULL OR NOT EXISTS (
		SELECT 1 FROM tenancy.run_secrets s
		 WHERE s.run_id OPERATOR(pg_catalog.=) checked_run.run_id
		   AND s.secret_hash OPERATOR(pg_catalog.=) pg_catalog.sha256(pg_catalog.convert_to(secret, 'UTF8'))) THEN
		RAISE EXCEPTION 'run record refused'
			USING ERRCODE = '42501',
				DETAIL = 'Only the tenancy fan-out that opened a run writes its record, and only while it is open.',
				HINT = 'Run tenant_migrate_all() to record a run.';
	END IF;
	RETURN run_id;
END
$$;

CREATE FUNCTION tenancy.run_open(secret pg_catalog.text, target pg_catalog.text, status pg_catalog.text,
	tenants pg_catalog.int8, actor pg_catalog.text)
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	h pg_catalog.bytea;
	holder pg_catalog.int4;
	id pg_catalog.int8;
BEGIN
	IF secret IS NULL OR secret OPERATOR(pg_catalog.!~) '^[0-9a-f]{32}$' THEN
		RAISE EXCEPTION 'run record refused'
			USING ERRCODE = '42501',
				DETAIL = 'Only a tenancy fan-out running in this database opens a run record.';
	END IF;
	h := pg_catalog.sha256(pg_catalog.convert_to(secret, 'UTF8'));
	-- the backend that holds the run's lock: tenancy's C code, and only it, takes it
	SELECT l.pid INTO holder FROM pg_catalog.pg_locks l
	 WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.granted
	   AND l.mode OPERATOR(pg_catalog.=) 'ExclusiveLock'
	   AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
											  WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
	   AND l.classid::pg_catalog.text OPERATOR(pg_catalog.=) (
		   (pg_catalog.get_byte(h, 0)::pg_catalog.int8 OPERATOR(pg_catalog.<<) 24) OPERATOR(pg_catalog.|)
		   (pg_catalog.get_byte(h, 1)::pg_catalog.int8 OPERATOR(pg_catalog.<<) 16) OPERATOR(pg_catalog.|)
		   (pg_catalog.get_byte(h, 2)::pg_catalog.int8 OPERATOR(pg_catalog.<<) 8) OPERATOR(pg_catalog.|)
		   pg_catalog.get_byte(h, 3)::pg_catalog.int8)::pg_catalog.text
	   AND l.objid::pg_catalog.text OPERATOR(pg_catalog.=) (
		   (pg_catalog.get_byte(h, 4)::pg_catalog.int8 OPERATOR(pg_catalog.<<) 24) OPERATOR(pg_catalog.|)
		   (pg_catalog.get_byte(h, 5)::pg_catalog.int8 OPERATOR(pg_catalog.<<) 16) OPERATOR(pg_catalog.|)
		   (pg_catalog.get_byte(h, 6)::pg_catalog.int8 OPERATOR(pg_catalog.<<) 8) OPERATOR(pg_catalog.|)
		   pg_catalog.get_byte(h, 7)::pg_catalog.int8)::pg_catalog.text
	   AND l.objsubid OPERATOR(pg_catalog.=) 7;
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
	INSERT INTO tenancy.run_secrets (run_id, secret_hash) VALUES (id, h);
	RETURN id;
END
$$;

CREATE FUNCTION tenancy.run_record_tenant(run_id pg_catalog.int8, secret pg_catalog.text,
	tenant pg_catalog.text, status pg_catalog.text, from_version pg_catalog.text,
	to_version pg_catalog.text, applied pg_catalog.int8, duration_ms pg_catalog.int8,
	sqlstate pg_catalog.text, error pg_catalog.text, version pg_catalog.text,
	version_key pg_catalog.text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id pg_catalog.int8 := tenancy.checked_run(run_id, secret);
	is_failure pg_catalog.bool := error IS NOT NULL OR status OPERATOR(pg_catalog.=) ANY (ARRAY['failed', 'unreachable']);
BEGIN
	IF tenant IS NULL OR status IS NULL
		OR status OPERATOR(pg_catalog.<>) ALL (ARRAY['applied', 'up_to_date', 'failed', 'unreachable', 'skipped', 'rolled_back'])
		OR COALESCE(applied, 0) OPERATOR(pg_catalog.<) 0
		OR COALESCE(duration_ms, 0) OPERATOR(pg_catalog.<) 0
		OR (version IS NULL) OPERATOR(pg_catalog.<>) (version_key IS NULL) THEN
		RAISE EXCEPTION 'invalid tenant record of run %', id USING ERRCODE = '22023',
			DETAIL = 'A tenant, a fan-out status, counts of zero or more and a version with its key are required.';
	END IF;
	INSERT INTO tenancy.run_tenants (run_id, tenant, status, from_version, to_version, applied,
		duration_ms, sqlstate, error)
		VALUES (id, tenant, status, from_version, to_version, applied, duration_ms, sqlstate, error);
	UPDATE tenancy.tenants t SET version = COALESCE(run_record_tenant.version, t.version),
		version_key = COALESCE(run_record_tenant.version_key, t.version_key), state = run_record_tenant.status,
		last_error = CASE WHEN is_failure THEN run_record_tenant.error END, last_run = pg_catalog.clock_timestamp()
	 WHERE t.name OPERATOR(pg_catalog.=) tenant;
	IF status OPERATOR(pg_catalog.<>) 'up_to_date' THEN
		INSERT INTO tenancy.audit (action, tenant, detail)
			VALUES ('migrate', tenant, 'run ' OPERATOR(pg_catalog.||) id OPERATOR(pg_catalog.||) ': '
				OPERATOR(pg_catalog.||) COALESCE(error, status));
	END IF;
	UPDATE tenancy.runs r SET applied = r.applied OPERATOR(pg_catalog.+) COALESCE(run_record_tenant.applied, 0),
		failed = r.failed OPERATOR(pg_catalog.+) CASE WHEN is_failure THEN 1 ELSE 0 END
	 WHERE r.run_id OPERATOR(pg_catalog.=) id;
END
$$;

CREATE FUNCTION tenancy.run_finish(run_id pg_catalog.int8, secret pg_catalog.text,
	status pg_catalog.text, finished pg_catalog.bool)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id pg_catalog.int8 := tenancy.checked_run(run_id, secret);
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
		DELETE FROM tenancy.run_secrets s WHERE s.run_id OPERATOR(pg_catalog.=) id;
	END IF;
END
$$;

REVOKE ALL ON FUNCTION
	tenancy.checked_run(pg_catalog.int8, pg_catalog.text),
	tenancy.run_open(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.int8, pg_catalog.text),
	tenancy.run_record_tenant(pg_catalog.int8, pg_catalog.text, pg_catalog.text, pg_catalog.text,
		pg_catalog.text, pg_catalog.text, pg_catalog.int8, pg_catalog.int8, pg_catalog.text,
		pg_catalog.text, pg_catalog.text, pg_catalog.text),
	tenancy.run_finish(pg_catalog.int8, pg_catalog.text, pg_catalog.text, pg_catalog.bool)
FROM PUBLIC;

-- The migrator capability holds the three write paths and, in a tenant,
-- tenancy.migrate_synced (1.3 left it to superusers, so a migrator's
-- fan-out failed in every tenant); the reader capability verify_synced.
-- capabilities() is
-- extended, not rewritten: what the script has defined so far (1.3's list
-- and whatever an earlier part of this script added) stays, under
-- capabilities_before_run_records(), and the run write paths are added.
ALTER FUNCTION tenancy.capabilities() RENAME TO capabilities_before_run_records;
CREATE FUNCTION tenancy.capabilities()
RETURNS TABLE (capability pg_catalog.text, kind pg_catalog.text, object pg_catalog.text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT b.capability, b.kind, b.object FROM tenancy.capabilities_before_run_records() b
	UNION ALL
	SELECT c, k, o FROM (VALUES
		('migrator', 'function', 'tenancy.run_open(text, text, text, bigint, text)'),
		('migrator', 'function', 'tenancy.run_record_tenant(bigint, text, text, text, text, text, bigint, bigint, text, text, text, text)'),
		('migrator', 'function', 'tenancy.run_finish(bigint, text, text, boolean)'),
		-- in a tenant: what a fan-out calls there (tenant_migrate / tenant_verify's own rights)
		('migrator', 'function', 'tenancy.migrate_synced(text, text, text, text)'),
		('reader', 'function', 'tenancy.verify_synced(text, text)')
	) AS v(c, k, o)
$$;
REVOKE ALL ON FUNCTION tenancy.capabilities(), tenancy.capabilities_before_run_records() FROM PUBLIC;

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
			EXECUTE pg_catalog.format('%s EXECUTE ON FUNCTION %s %s %s',
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

-- roles that hold a capability from 1.3 get what it holds now (a reader
-- holds tenants(), a migrator tenant_migrate_all_atomic)
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT DISTINCT a.grantee::pg_catalog.regrole AS role,
			CASE p.proname WHEN 'tenants' THEN 'reader' ELSE 'migrator' END AS capability
		FROM pg_catalog.pg_proc p CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
		WHERE p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['tenants', 'tenant_migrate_all_atomic'])
		  AND p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
		  AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
		  AND a.grantee OPERATOR(pg_catalog.<>) 0 AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
		ORDER BY 2 DESC
	LOOP
		PERFORM tenancy.capability_apply(r.role, r.capability, true);
	END LOOP;
END
$$;
