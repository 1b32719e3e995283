/*
 * sqlite_fanout_slots.c -- the per-tenant slots of a SQLite fan-out job
 * (return code, error, migrate result, duration, output rows, recorded
 * flag, held connection, stamp), allocated for the job's tenants and freed with
 * it; and a run in slices (tenant_migrate_all, tenant_rollback_all) that
 * holds one slice's slots at a time, so its memory does not grow with the
 * number of tenants (issue 14).
 *
 * Must not: run tenants or write the registry (sqlite_fanout.c,
 * sqlite_fanout_runs.c).
 */
#define _POSIX_C_SOURCE 200809L /* pthread_condattr_setclock, CLOCK_MONOTONIC */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite_registry.h"
#include "sqlite_registry_internal.h"

SQLITE_EXTENSION_INIT3

/* The per-tenant slots of job->tenants (n of them). */
static int
job_slots_alloc(fanout_job *job, size_t n, int ncols, tn_error *err)
{
	job->rc = calloc(n + 1, sizeof(int));
	job->errs = calloc(n + 1, sizeof(tn_error));
	job->res = calloc(n + 1, sizeof(tn_migrate_result));
	job->ms = calloc(n + 1, sizeof(long long));
	job->rows = calloc(n + 1, sizeof(tn_rows));
	job->recorded = calloc(n + 1, 1);
	job->done = calloc(n + 1, 1);
	if (job->mode == JOB_PREPARE)
		job->held = calloc(n + 1, sizeof(tn_sqlite_conn));
	if (job->mode == JOB_MIGRATE)
		job->stamps = calloc(n + 1, sizeof(char *));
	if (!job->rc || !job->errs || !job->res || !job->ms || !job->rows || !job->recorded || !job->done ||
		(job->mode == JOB_PREPARE && !job->held) || (job->mode == JOB_MIGRATE && !job->stamps))
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < n; i++)
	{
		tn_rows_init(&job->res[i].report, 0);
		tn_rows_init(&job->rows[i], ncols);
	}
	return TN_OK;
}

static void
job_slots_free(fanout_job *job)
{
	size_t n = job->tenants.nrows;

	for (size_t i = 0; job->res && i < n; i++)
		tn_migrate_result_free(&job->res[i]);
	for (size_t i = 0; job->rows && i < n; i++)
		tn_rows_free(&job->rows[i]);
	for (size_t i = 0; job->stamps && i < n; i++)
		free(job->stamps[i]);
	for (size_t i = 0; job->held && i < n; i++)
		if (job->held[i].db)
		{
			sqlite3_exec(job->held[i].db, "ROLLBACK", NULL, NULL, NULL);
			tnsq_close_tenant(&job->held[i]);
		}
	free(job->rc);
	free(job->errs);
	free(job->res);
	free(job->ms);
	free(job->rows);
	free(job->recorded);
	free(job->done);
	free(job->held);
	free(job->stamps);
	job->rc = NULL;
	job->errs = NULL;
	job->res = NULL;
	job->ms = NULL;
	job->rows = NULL;
	job->recorded = NULL;
	job->done = NULL;
	job->held = NULL;
	job->stamps = NULL;
}

static int
job_ncols(job_mode mode)
{
	return mode == JOB_QUERY ? tn_def_query_all.ncols : mode == JOB_VERIFY ? tn_def_verify_all.ncols
																		   : tn_def_migrate_all.ncols;
}

int
tnsq_job_alloc(fanout_job *job, size_t n, tn_error *err)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&job->lock, NULL);
	/* the recorder's timed waits are reckoned on the clock of tn_monotonic_ms */
	if (pthread_condattr_init(&attr) == 0)
	{
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&job->progress, &attr);
		pthread_condattr_destroy(&attr);
	}
	else
		pthread_cond_init(&job->progress, NULL);
	job->lock_ready = 1;
	return job_slots_alloc(job, n, job_ncols(job->mode), err);
}

void
tnsq_job_free(fanout_job *job)
{
	job_slots_free(job);
	if (job->lock_ready)
	{
		pthread_mutex_destroy(&job->lock);
		pthread_cond_destroy(&job->progress);
	}
	job->lock_ready = 0;
	tn_rows_free(&job->tenants);
}

void
tnsq_job_take_all(fanout_job *job, tn_rows *all)
{
	job_slots_free(job);
	*all = job->tenants;
	tn_rows_init(&job->tenants, all->ncols);
	job->total = (long long) all->nrows;
}

int
tnsq_job_slice(fanout_job *job, const tn_rows *all, size_t from, size_t to, tn_error *err)
{
	int rc = TN_OK;

	job_slots_free(job);
	tn_rows_free(&job->tenants);
	for (size_t i = from; rc == TN_OK && i < to; i++)
	{
		const char *row[3] = { tn_rows_get(all, i, 0), tn_rows_get(all, i, 1),
							   all->ncols > 2 ? tn_rows_get(all, i, 2) : NULL };

		if (tn_rows_add(&job->tenants, row) != TN_OK)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	job->next = 0;
	job->end = job->tenants.nrows;
	if (rc == TN_OK)
		rc = job_slots_alloc(job, job->tenants.nrows, job_ncols(job->mode), err);
	return rc;
}
