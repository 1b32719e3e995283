/*
 * sqlite_rollback_all.c -- reverting a fleet on SQLite (issue 9):
 * tenant_rollback_all(checkpoint_or_version [, concurrency [, tenants [,
 * max_failures]]])
 * over the fan-out's worker threads, and the tenant side of
 * tenant_migration_remove(version, 'tenants'): asking every tenant file
 * whether it has a version applied.
 *
 * Mechanics only: which files, how many threads, where results go.  What
 * the argument names, what a tenant undoes, its row, the subset and
 * whether a version may leave the set are the core's
 * (tn_rollback_all_arg, tn_rollback_all_one, tn_rollback_all_row,
 * tn_tenant_subset, tn_migration_remove_check).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_registry.h"
#include "sqlite_registry_internal.h"
#include "sqlite_vtab.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3

/* One tenant of tenant_rollback_all (a worker thread calls it). */
int
tnsq_rollback_one(fanout_job *job, size_t i, const char *path)
{
	tn_sqlite_conn tenant;
	int			   rc;

	if ((rc = tnsq_open_tenant_file(path, OPEN_RW, &tenant, &job->errs[i])) != TN_OK)
		return rc;
	rc = tn_rollback_all_one(&tenant.adapter, job->set, job->rb_version, job->rb_checkpoint,
							 &job->res[i], &job->errs[i]);
	tnsq_close_tenant(&tenant);
	return rc;
}

int
tnsq_fill_rollback_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn	 conn;
	registry_paths	 rp;
	tn_migration_set set;
	fanout_job		 job;
	const char		*arg = NULL;
	char			 target[200];
	long long		 concurrency, max_failures, run_id = 0;
	size_t			 n, done = 0;
	tn_rows			 all; /* every tenant of the run; the job holds one slice */
	int				 rc, lockfd = -1;

	(void) nargs;
	tn_rows_init(&all, 3);
	memset(&job, 0, sizeof(job));
	memset(&set, 0, sizeof(set));
	tn_rows_init(out, tn_def_rollback_all.ncols);
	tn_sqlite_conn_init(&conn, db);
	if (args[0] != NULL && sqlite3_value_type(args[0]) != SQLITE_NULL)
		arg = (const char *) sqlite3_value_text(args[0]);
	if ((rc = tnsq_parse_concurrency(args[1], &concurrency, err)) != TN_OK ||
		(rc = tnsq_parse_max_failures(args[3], &max_failures, err)) != TN_OK ||
		(rc = tnsq_registry_ready(&conn, &rp, err)) != TN_OK ||
		(rc = tnsq_run_lock(&rp, "tenant_rollback_all()", &lockfd, err)) != TN_OK)
		return rc;
	if ((rc = tnsq_recover_if_idle(&conn, &rp, err)) != TN_OK ||
		(rc = tnsq_close_abandoned_runs(&conn, err)) != TN_OK ||
		(rc = tnsq_job_start(&job, JOB_ROLLBACK, &conn, &rp, &set, NULL, err)) != TN_OK ||
		(rc = tn_rollback_all_arg(&set, arg, &job.rb_version, &job.rb_checkpoint, err)) != TN_OK ||
		(rc = tnsq_job_subset(&job, args[2], err)) != TN_OK)
		goto done;
	/* as tenant_migrate_all: in slices, one slice's per-tenant state at a time */
	tnsq_job_take_all(&job, &all);
	n = all.nrows;
	/* as tenant_migrate_all: after max_failures failed or unreachable tenants nothing new starts */
	job.max_failures = max_failures;
	tn_rollback_all_run_target(target, sizeof(target), job.rb_version, job.rb_checkpoint);
	if ((rc = tnsq_start_run(&conn, target, n, TN_RUN_RUNNING, &run_id, err)) != TN_OK)
		goto done;
	/* each tenant's row as it finishes: another connection sees the progress */
	job.record_conn = &conn;
	job.record_run_id = run_id;
	job.record_thread = pthread_self();
	job.record_last_ms = tn_monotonic_ms();
	while (done < n && rc == TN_OK && !job.stopped)
	{
		if ((rc = tnsq_job_slice(&job, &all, done, done + RUN_FLUSH_EVERY < n ? done + RUN_FLUSH_EVERY : n, err)) !=
			TN_OK)
			break;
		tnsq_run_workers(&job, concurrency);
		rc = tnsq_record_results(&conn, run_id, &job, out, 0, job.next, err);
		if (rc == TN_OK)
			done += job.next;
	}
	for (size_t i = done; rc == TN_OK && i < n; i++)
		if (tn_fanout_skipped_row(out, tn_rows_get(&all, i, 0), NULL) != TN_OK)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	if (rc == TN_OK)
		rc = tnsq_finish_run(&conn, run_id, out, job.stopped,
							 job.cancelled ? tn_fanout_run_status(0, 0, 0, 1) : NULL, err);
done:
	tnsq_run_unlock(lockfd);
	tnsq_job_free(&job);
	tn_rows_free(&all);
	tn_migration_set_free(&set);
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

/*
 * The tenants that have version applied, each asked in its own file
 * (read-only), never the registry's cache.  A tenant that cannot be opened
 * cannot be asked: that is an error naming it, nothing is changed.
 */
int
tnsq_version_holders(tn_sqlite_conn *conn, const registry_paths *rp, const char *version,
					 tn_rows *holders, tn_error *err)
{
	tn_rows tenants;
	int		rc;

	tn_rows_init(holders, 1);
	rc = tn_query_rows(&conn->adapter, "SELECT name, location FROM {T}tenants ORDER BY name", 0, NULL, 2,
					   &tenants, err);
	for (size_t i = 0; rc == TN_OK && i < tenants.nrows; i++)
	{
		const char	  *name = tn_rows_get(&tenants, i, 0);
		char		  *resolved = NULL;
		tn_sqlite_conn t;
		int			   applied = 0;

		rc = tn_validate_tenant_path(rp->dir, tn_rows_get(&tenants, i, 1), 1, &resolved, err);
		if (rc == TN_OK)
			rc = tnsq_open_tenant_file(resolved, OPEN_READONLY, &t, err);
		free(resolved);
		if (rc != TN_OK)
		{
			tn_error_detail_append(err, "Tenant \"%s\" could not be asked whether it has version \"%s\" applied; "
										"nothing was changed.",
								   name, version);
			break;
		}
		rc = tn_version_applied(&t.adapter, version, &applied, err);
		if (rc == TN_OK && applied)
		{
			const char *row[1] = { name };

			if (tn_rows_add(holders, row) != TN_OK)
				rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		}
		tnsq_close_tenant(&t);
	}
	tn_rows_free(&tenants);
	return rc;
}

/*
 * Once the core allowed the removal: every tenant's catalog forgets the
 * version (it never applied it), so no later run applies it from there.
 */
int
tnsq_forget_in_tenants(tn_sqlite_conn *conn, const registry_paths *rp, const char *version, tn_error *err)
{
	tn_rows tenants;
	int		rc;

	rc = tn_query_rows(&conn->adapter, "SELECT name, location FROM {T}tenants ORDER BY name", 0, NULL, 2,
					   &tenants, err);
	for (size_t i = 0; rc == TN_OK && i < tenants.nrows; i++)
	{
		char		  *resolved = NULL;
		tn_sqlite_conn t;
		int			   forgot = 0;

		rc = tn_validate_tenant_path(rp->dir, tn_rows_get(&tenants, i, 1), 1, &resolved, err);
		if (rc == TN_OK)
			rc = tnsq_open_tenant_file(resolved, OPEN_RW, &t, err);
		free(resolved);
		if (rc != TN_OK)
			break;
		rc = tn_catalog_forget_unapplied(&t.adapter, version, &forgot, err);
		tnsq_close_tenant(&t);
	}
	tn_rows_free(&tenants);
	return rc;
}
