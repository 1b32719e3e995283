/*
 * registry_runs.c -- a run's record, shared by tenant_migrate_all and
 * tenant_migrate_all_atomic: which tenants it takes, its tenancy.runs row,
 * and each finished tenant's run_tenants, registry and audit rows.
 *
 * The record is written over an autocommit connection to this database
 * (the control connection), so it is visible while the run goes on and
 * stays when the caller's transaction aborts.  The caller may hold only
 * the migrator capability, which writes no registry table: the writes go
 * through tenancy.run_open / run_record_tenant / run_finish (1.4,
 * SECURITY DEFINER), which take them only from the control session this
 * backend named in the run's lock (see tenancy--1.3--1.4.sql).  A control database still at 1.3 is written
 * directly, as before.
 *
 * Must not: decide a tenant's or a run's status (the core's tn_fanout_row
 * and tn_fanout_run_status do), or connect to a tenant.
 */
#include "postgres.h"

#include <stdlib.h>

#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "registry_internal.h"
#include "tn_raise.h"

char *
reg_run_target(char *target)
{
	const char *parsed;
	tn_error	err;

	tn_error_clear(&err);
	if (tn_parse_target(target, &parsed, &err) != TN_OK)
		tn_raise(&err);
	return (char *) parsed;
}

void
reg_put_skipped(tn_pg_srf *srf, const char *tenant, const char *failed_tenant)
{
	tn_rows rows;
	char   *row[8];

	tn_rows_init(&rows, tn_def_migrate_all.ncols);
	if (tn_fanout_skipped_row(&rows, tenant, failed_tenant) != TN_OK)
	{
		tn_rows_free(&rows);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	for (int c = 0; c < 8; c++)
	{
		const char *x = tn_rows_get(&rows, 0, c);

		row[c] = x ? pstrdup(x) : NULL;
	}
	tn_rows_free(&rows);
	tn_pg_srf_put(srf, row);
}

fo_tenant *
reg_load_tenants(bool only_behind, const char *key, int *n)
{
	fo_tenant  *ts;
	const char *v[1] = { key };

	/*
	 * Database tenants by name, then schema tenants grouped by database, so
	 * that fo_run can hand one connection from schema to schema.
	 */
#define TENANTS_ORDER " ORDER BY CASE WHEN kind = 'schema' THEN coalesce(location, '') || ' ' || dbname END NULLS FIRST, name"
	if (only_behind)
		reg_spi_run("SELECT name, location, dbname, schema_name FROM tenancy.tenants"
					" WHERE version_key IS NULL OR version_key < $1 OR last_error IS NOT NULL" TENANTS_ORDER,
					1, v);
	else
		reg_spi_run("SELECT name, location, dbname, schema_name FROM tenancy.tenants" TENANTS_ORDER, 0, NULL);
	*n = (int) SPI_processed;
	ts = palloc0(sizeof(fo_tenant) * (*n + 1));
	for (int r = 0; r < *n; r++)
	{
		ts[r].name = reg_spi_value(r, 1);
		ts[r].location = reg_spi_value(r, 2);
		ts[r].dbname = reg_spi_value(r, 3);
		ts[r].schema = reg_spi_value(r, 4);
	}
	return ts;
}

void
reg_close_killed_runs(void)
{
	reg_spi_write("UPDATE tenancy.runs r SET status = 'aborted', finished_at = pg_catalog.clock_timestamp()"
				  " WHERE r.status = 'running' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a"
				  "   WHERE a.pid = r.caller_pid AND a.backend_start <= r.started_at)",
				  0, NULL);
}

/* The run's lock tag: ("tena", pid of the control session, 7); the pg_advisory_* functions use 1 and 2. */
#define RUN_LOCK_KEY	1952804449 /* "tena" */
#define RUN_LOCK_FIELD4 7

/*
 * Name the control session as the run's only writer: read its backend pid
 * over it and hold, for this transaction, an advisory ExclusiveLock keyed
 * by that pid, which tenancy.run_open looks for in pg_locks.  Only C code
 * can take a lock with that fourth field, and this backend takes it only
 * for a connection it opened itself; nothing secret is sent, so nothing
 * can leak into a server log (issue 7).
 */
static void
take_run_writer_lock(reg_run *run)
{
	PGresult *res = tn_lpq_exec_or_raise(run->control, "SELECT pg_catalog.pg_backend_pid()", 0, NULL);
	uint32	  pid = (uint32) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	LOCKTAG	  tag;

	PQclear(res);
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, RUN_LOCK_KEY, pid, RUN_LOCK_FIELD4);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/* Is this control database at 1.4 (tenancy.run_open exists)? */
static bool
has_run_writes(void)
{
	reg_spi_run("SELECT pg_catalog.to_regprocedure('tenancy.run_open(pg_catalog.text, pg_catalog.text,"
				" pg_catalog.int8, pg_catalog.text)') IS NOT NULL",
				0, NULL);
	return SPI_processed == 1 && strcmp(reg_spi_value(0, 1), "t") == 0;
}

/*
 * May this caller write a slice of tenant rows in one call
 * (tenancy.run_record_tenants, 1.5)?  A control database still at 1.4, or
 * a role given run_record_tenant alone, writes them row by row.
 */
static bool
has_set_writes(void)
{
	reg_spi_run("SELECT p.oid IS NOT NULL AND pg_catalog.has_function_privilege(p.oid, 'EXECUTE')"
				" FROM (SELECT pg_catalog.to_regprocedure('tenancy.run_record_tenants(pg_catalog.int8,"
				" pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], pg_catalog.int8[],"
				" pg_catalog.int8[], pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], pg_catalog.text[])')"
				" AS oid) p",
				0, NULL);
	return SPI_processed == 1 && strcmp(reg_spi_value(0, 1), "t") == 0;
}

/* Is this control database's extension at major.minor or later? */
static bool
extension_at_least(int major, int minor)
{
	int have_major = 0;
	int have_minor = 0;

	if (sscanf(reg_extension_version(), "%d.%d", &have_major, &have_minor) != 2)
		return false;
	return have_major > major || (have_major == major && have_minor >= minor);
}

const char *
reg_run_version(const reg_run *run, const fo_outcome *out)
{
	if (out->keep_version)
		return NULL;
	if (out->res.to_version[0])
		return out->res.to_version;
	return out->rc == TN_OK && run->none_version ? "" : NULL;
}

const char *
reg_run_version_key(const char *version)
{
	if (version == NULL)
		return NULL;
	return version[0] ? reg_version_key(version) : "";
}

bool
reg_tenants_has_column(const char *column)
{
	const char *v[1] = { column };

	reg_spi_run("SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid OPERATOR(pg_catalog.=) 'tenancy.tenants'::pg_catalog.regclass"
				" AND attname OPERATOR(pg_catalog.=) $1 AND NOT attisdropped",
				1, v);
	return SPI_processed > 0;
}

bool
reg_has_last_checked(void)
{
	return reg_tenants_has_column("last_checked");
}

void
reg_record_set_repeatables(const char *name, const tn_migration_set *set)
{
	tn_buf	 record;
	tn_error err;

	tn_error_clear(&err);
	if (tn_set_repeatables_record(set, &record, &err) != TN_OK)
		tn_raise_failure(&err);
	PG_TRY();
	{
		reg_record_repeatables(name, record.data);
	}
	PG_FINALLY();
	{
		tn_buf_free(&record);
	}
	PG_END_TRY();
}

void
reg_record_repeatables(const char *names, const char *record)
{
	const char *v[2] = { names, record };

	if (!reg_tenants_has_column("repeatables"))
		return;
	reg_spi_write("UPDATE tenancy.tenants SET repeatables = $2"
				  " WHERE name OPERATOR(pg_catalog.=) ANY (pg_catalog.string_to_array($1, E'\\n'))"
				  " AND repeatables IS DISTINCT FROM $2",
				  2, v);
}

void
reg_open_run(reg_run *run, const char *target, int ntenants, const char *status,
			 bool async_progress)
{
	tn_lpq_opts o;
	tn_error	err;
	PGresult   *res;
	char		cnt[32];
	char		pid[32];
	const char *p[5];

	run->writer = has_run_writes();
	run->set_writer = run->writer && has_set_writes();
	run->none_version = !run->writer || extension_at_least(1, 6);
	tn_error_clear(&err);
	run->has_last_checked = reg_has_last_checked();
	memset(&o, 0, sizeof(o));
	run->control = tn_lpq_connect(&o, &err);
	if (run->control == NULL)
		tn_raise_failure(&err);

	/*
	 * Before ALTER EXTENSION UPDATE to 1.4 the record is written directly,
	 * which only a superuser may (1.3 took the registry's write grants
	 * back): anyone else is told so before any tenant is touched (after
	 * the control connection, whose own refusal comes first).
	 */
	if (!run->writer && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the run record of this database needs extension tenancy 1.4"),
				 errdetail("Extension tenancy in this database is at %s, whose run record only a superuser writes; nothing was run.",
						   reg_extension_version()),
				 errhint("A superuser runs ALTER EXTENSION tenancy UPDATE here, then the fan-out works for the migrator capability.")));
	PQclear(tn_lpq_exec_or_raise(run->control, "SET lock_timeout = '10s'", 0, NULL));

	snprintf(cnt, sizeof(cnt), "%d", ntenants);
	snprintf(pid, sizeof(pid), "%d", MyProcPid);
	if (run->writer)
	{
		take_run_writer_lock(run);
		p[0] = target;
		p[1] = status;
		p[2] = cnt;
		p[3] = GetUserNameFromId(GetUserId(), false);
		res = tn_lpq_exec_or_raise(run->control,
								   "SELECT tenancy.run_open($1, $2, $3::pg_catalog.int8, $4)", 4, p);
	}
	else
	{
		p[0] = target;
		p[1] = cnt;
		p[2] = pid;
		p[3] = status;
		res = tn_lpq_exec_or_raise(run->control,
								   "INSERT INTO tenancy.runs (target, status, tenants, caller_pid)"
								   " VALUES ($1, $4, $2::int8, $3::int4) RETURNING run_id",
								   4, p);
	}
	run->run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);

	/*
	 * The start row above committed durably (the session default): a crash
	 * after any tenant is touched cannot lose the run or reuse its id.
	 * Progress rows from here on are visible at once but need not each wait
	 * for a WAL flush: a server crash can lose the last few hundred ms of
	 * them, and each tenant's own tracking rows stay the truth a rerun
	 * reads.  The run's final status is written durably.
	 */
	if (async_progress)
		PQclear(tn_lpq_exec_or_raise(run->control, "SET synchronous_commit = off", 0, NULL));
}

void
reg_run_status(reg_run *run, const char *status, bool finished, bool raise)
{
	char		run_id[32];
	const char *p[4];
	PGresult   *res;
	tn_error	err;

	snprintf(run_id, sizeof(run_id), "%lld", run->run_id);
	p[0] = run_id;
	p[1] = status;
	p[2] = finished ? "true" : "false";
	tn_error_clear(&err);
	if (run->writer)
		res = tn_lpq_exec(run->control, "SELECT tenancy.run_finish($1::pg_catalog.int8, $2, $3::pg_catalog.bool)",
						  3, p, &err);
	else
		res = tn_lpq_exec(run->control,
						  finished ? "UPDATE tenancy.runs SET status = $2, finished_at = pg_catalog.clock_timestamp()"
									 " WHERE run_id = $1::int8"
								   : "UPDATE tenancy.runs SET status = $2 WHERE run_id = $1::int8",
						  2, p, &err);
	if (res)
		PQclear(res);
	else if (raise)
		tn_raise_failure(&err);
	else
		ereport(WARNING, (errmsg("could not record the status of run %lld: %s", run->run_id, err.message)));
}

void
reg_run_status_nowait(reg_run *run, const char *status, bool finished)
{
	char		run_id[32];
	const char *p[2];

	/* non-blocking: the caller is being cancelled */
	snprintf(run_id, sizeof(run_id), "%lld", run->run_id);
	p[0] = run_id;
	p[1] = status;
	if (run->writer)
		(void) PQsendQueryParams(run->control,
								 finished ? "SELECT tenancy.run_finish($1::pg_catalog.int8, $2, true)"
										  : "SELECT tenancy.run_finish($1::pg_catalog.int8, $2, false)",
								 2, NULL, p, NULL, NULL, 0);
	else
		(void) PQsendQueryParams(run->control,
								 finished ? "UPDATE tenancy.runs SET status = $2, finished_at = pg_catalog.clock_timestamp() WHERE run_id = $1::int8"
										  : "UPDATE tenancy.runs SET status = $2 WHERE run_id = $1::int8",
								 2, NULL, p, NULL, NULL, 0);
	(void) PQflush(run->control);
}

void
reg_record_tenant(reg_run *run, const char *tenant, char **row, const fo_outcome *out)
{
	const char *p[13];
	char		run_id[32];
	char		fails[32];
	const char *status = row[1];
	bool		ok = out->rc == TN_OK;
	tn_error	err;
	PGresult   *res;
	const char *version = reg_run_version(run, out);

	snprintf(run_id, sizeof(run_id), "%lld", run->run_id);
	snprintf(fails, sizeof(fails), "%d", ok ? 0 : 1);
	p[0] = run_id;
	p[1] = tenant;
	p[2] = status;
	p[3] = row[2];
	p[4] = row[3];
	p[5] = row[4];
	p[6] = row[5];
	p[7] = row[6];
	p[8] = row[7];
	p[9] = version;
	p[10] = reg_run_version_key(version);
	p[11] = fails;
	p[12] = run->mode == FO_ROLLBACK ? "rollback" : "migrate";
	tn_error_clear(&err);
	if (run->writer)
		res = tn_lpq_exec(run->control,
						  "SELECT tenancy.run_record_tenant($1::pg_catalog.int8, $2, $3, $4, $5,"
						  " $6::pg_catalog.int8, $7::pg_catalog.int8, $8, $9, $10, $11)",
						  11, p, &err);
	else
		res = tn_lpq_exec(run->control,
						  "WITH t AS (INSERT INTO tenancy.run_tenants (run_id, tenant, status, from_version, to_version,"
						  "   applied, duration_ms, sqlstate, error)"
						  "   VALUES ($1::int8, $2, $3, $4, $5, $6::int8, $7::int8, $8, $9)),"
						  " u AS (UPDATE tenancy.tenants SET"
						  "   version = CASE WHEN $10 = '' THEN NULL ELSE coalesce($10, version) END,"
						  "   version_key = CASE WHEN $10 = '' THEN NULL ELSE coalesce($11, version_key) END, state = $3,"
						  "   last_error = CASE WHEN $12 = '0' THEN NULL ELSE $9 END, last_run = pg_catalog.clock_timestamp()"
						  "   WHERE name = $2),"
						  " a AS (INSERT INTO tenancy.audit (action, tenant, detail)"
						  "   SELECT 'migrate', $2, 'run ' || $1 || ': ' || coalesce($9, $3) WHERE $3 <> 'up_to_date')"
						  " UPDATE tenancy.runs SET applied = applied + $6::int8, failed = failed + $12::int8"
						  " WHERE run_id = $1::int8",
						  12, p, &err);
	if (res)
		PQclear(res);
	else
		ereport(WARNING,
				(errmsg("could not record tenant \"%s\" of run %lld: %s", tenant, run->run_id, err.message)));
}
