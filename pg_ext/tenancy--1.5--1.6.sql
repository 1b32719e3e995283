-- tenancy 1.5 -> 1.6: a run's tenant rows can say "at no version".
--
-- tenant_rollback_all back to before a tenant's first version leaves it with
-- nothing applied; 1.5's run_record_tenant(s) took a NULL version for "not
-- known" and kept the registry's old one, so tenants() went on showing the
-- version the tenant no longer has (and up_to_date when that was the
-- newest).  From 1.6 the caller sends '' (with key '') for "at no version",
-- and the registry's version becomes NULL, as on SQLite; NULL still means
-- "keep" (a failed tenant stays where it was).  Same signatures, grants and
-- settings (CREATE OR REPLACE keeps them).

\echo Use "ALTER EXTENSION tenancy UPDATE TO '1.6'" to load this file. \quit

CREATE OR REPLACE FUNCTION tenancy.run_record_tenant(run_id pg_catalog.int8,
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
	UPDATE tenancy.tenants t SET version = CASE WHEN run_record_tenant.version OPERATOR(pg_catalog.=) ''
			THEN NULL ELSE COALESCE(run_record_tenant.version, t.version) END,
		version_key = CASE WHEN run_record_tenant.version OPERATOR(pg_catalog.=) ''
			THEN NULL ELSE COALESCE(run_record_tenant.version_key, t.version_key) END,
		state = run_record_tenant.status,
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

CREATE OR REPLACE FUNCTION tenancy.run_record_tenants(run_id pg_catalog.int8,
	tenants pg_catalog.text[], statuses pg_catalog.text[], from_versions pg_catalog.text[],
	to_versions pg_catalog.text[], applied pg_catalog.int8[], durations_ms pg_catalog.int8[],
	sqlstates pg_catalog.text[], errors pg_catalog.text[], versions pg_catalog.text[],
	version_keys pg_catalog.text[])
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id pg_catalog.int8 := tenancy.checked_run(run_id);
	n pg_catalog.int4 := pg_catalog.cardinality(tenants);
	action pg_catalog.text;
BEGIN
	IF n IS NULL OR pg_catalog.array_ndims(tenants) IS DISTINCT FROM 1
		OR EXISTS (SELECT 1 FROM pg_catalog.unnest(ARRAY[pg_catalog.cardinality(statuses),
				pg_catalog.cardinality(from_versions), pg_catalog.cardinality(to_versions),
				pg_catalog.cardinality(applied), pg_catalog.cardinality(durations_ms),
				pg_catalog.cardinality(sqlstates), pg_catalog.cardinality(errors),
				pg_catalog.cardinality(versions), pg_catalog.cardinality(version_keys)]) AS c(len)
			WHERE c.len IS DISTINCT FROM n)
		OR EXISTS (SELECT 1 FROM ROWS FROM (pg_catalog.unnest(tenants), pg_catalog.unnest(statuses),
				pg_catalog.unnest(applied), pg_catalog.unnest(durations_ms), pg_catalog.unnest(versions),
				pg_catalog.unnest(version_keys)) AS r(tenant, status, applied, duration_ms, version, version_key)
			WHERE r.tenant IS NULL OR r.status IS NULL
				OR r.status OPERATOR(pg_catalog.<>) ALL (ARRAY['applied', 'up_to_date', 'failed', 'unreachable',
					'skipped', 'rolled_back', 'unchanged'])
				OR COALESCE(r.applied, 0) OPERATOR(pg_catalog.<) 0
				OR COALESCE(r.duration_ms, 0) OPERATOR(pg_catalog.<) 0
				OR (r.version IS NULL) OPERATOR(pg_catalog.<>) (r.version_key IS NULL)) THEN
		RAISE EXCEPTION 'invalid tenant record of run %', id USING ERRCODE = '22023',
			DETAIL = 'A tenant, a fan-out status, counts of zero or more and a version with its key are required, in arrays of one length.';
	END IF;
	IF n OPERATOR(pg_catalog.=) 0 THEN
		RETURN 0;
	END IF;
	SELECT CASE WHEN r.target OPERATOR(pg_catalog.~~) 'rollback %' THEN 'rollback' ELSE 'migrate' END INTO action
	  FROM tenancy.runs r WHERE r.run_id OPERATOR(pg_catalog.=) id;
	INSERT INTO tenancy.run_tenants (run_id, tenant, status, from_version, to_version, applied,
		duration_ms, sqlstate, error)
		SELECT id, r.tenant, r.status, r.from_version, r.to_version, r.applied, r.duration_ms, r.sqlstate, r.error
		  FROM ROWS FROM (pg_catalog.unnest(tenants), pg_catalog.unnest(statuses),
				pg_catalog.unnest(from_versions), pg_catalog.unnest(to_versions), pg_catalog.unnest(applied),
				pg_catalog.unnest(durations_ms), pg_catalog.unnest(sqlstates), pg_catalog.unnest(errors))
			WITH ORDINALITY AS r(tenant, status, from_version, to_version, applied, duration_ms, sqlstate, error, i)
		 ORDER BY r.i;
	UPDATE tenancy.tenants t SET version = CASE WHEN r.version OPERATOR(pg_catalog.=) '' THEN NULL
			ELSE COALESCE(r.version, t.version) END,
		version_key = CASE WHEN r.version OPERATOR(pg_catalog.=) '' THEN NULL
			ELSE COALESCE(r.version_key, t.version_key) END,
		state = r.status,
		last_error = CASE WHEN r.error IS NOT NULL OR r.status OPERATOR(pg_catalog.=) ANY (ARRAY['failed', 'unreachable'])
			THEN r.error END,
		last_run = pg_catalog.clock_timestamp(), last_checked = pg_catalog.clock_timestamp()
	  FROM ROWS FROM (pg_catalog.unnest(tenants), pg_catalog.unnest(statuses), pg_catalog.unnest(errors),
			pg_catalog.unnest(versions), pg_catalog.unnest(version_keys)) AS r(tenant, status, error, version, version_key)
	 WHERE t.name OPERATOR(pg_catalog.=) r.tenant;
	INSERT INTO tenancy.audit (action, tenant, detail)
		SELECT action, r.tenant, 'run ' OPERATOR(pg_catalog.||) id OPERATOR(pg_catalog.||) ': '
				OPERATOR(pg_catalog.||) COALESCE(r.error, r.status)
		  FROM ROWS FROM (pg_catalog.unnest(tenants), pg_catalog.unnest(statuses), pg_catalog.unnest(errors))
			WITH ORDINALITY AS r(tenant, status, error, i)
		 WHERE r.status OPERATOR(pg_catalog.<>) ALL (ARRAY['up_to_date', 'unchanged'])
		 ORDER BY r.i;
	UPDATE tenancy.runs r SET applied = r.applied OPERATOR(pg_catalog.+) s.applied,
		failed = r.failed OPERATOR(pg_catalog.+) s.failed
	  FROM (SELECT COALESCE(pg_catalog.sum(COALESCE(x.applied, 0)), 0)::pg_catalog.int8 AS applied,
			pg_catalog.count(*) FILTER (WHERE x.error IS NOT NULL
				OR x.status OPERATOR(pg_catalog.=) ANY (ARRAY['failed', 'unreachable'])) AS failed
		  FROM ROWS FROM (pg_catalog.unnest(statuses), pg_catalog.unnest(applied), pg_catalog.unnest(errors))
			AS x(status, applied, error)) s
	 WHERE r.run_id OPERATOR(pg_catalog.=) id
	   AND (s.applied OPERATOR(pg_catalog.<>) 0 OR s.failed OPERATOR(pg_catalog.<>) 0);
	RETURN n;
END
$$;
