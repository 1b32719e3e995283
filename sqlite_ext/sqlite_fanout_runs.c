/*
 * sqlite_fanout_runs.c -- the registry rows of a recorded SQLite fan-out
 * (tenant_migrate_all, tenant_rollback_all, tenant_verify_all): the run's
 * start and end rows, one row per tenant, and each tenant's cached state in
 * tenancy_tenants, written by the caller's thread while the workers run
 * (tnsq_run_workers_recording: at once for a failure, in half-second
 * batches for rows the core lets wait) or per slice.  The words written
 * (statuses, run status), which rows may wait and for how long are the
 * core's; this file only writes them.  The threads that produce the rows
 * are sqlite_fanout.c's.
 */
#define _POSIX_C_SOURCE 200809L /* pthread_cond_timedwait, struct timespec */

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_registry.h"
#include "sqlite_registry_internal.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3

/* ---- registry writes of a run ---- */

/*
 * A recorded run: finished tenants' rows go into the registry while the
 * run goes on, in a transaction of their own on the caller's connection,
 * written by the caller's thread only (tnsq_run_workers_recording: the
 * workers run the tenants meanwhile, so a registry commit no longer sits
 * between one tenant and the next), so another connection sees the
 * progress.  A row the core lets wait (tn_fanout_record_may_wait_self_tracked:
 * up to date, unchanged, and here also applied or rolled back, since the
 * tenant file's own tracking rows, committed first, hold that fact) goes
 * with the others finished meanwhile once TN_FANOUT_RECORD_EVERY_MS has
 * passed since the last write; a row that must not wait (failed,
 * unreachable) is written at once, with every row waiting before it.  So
 * a run costs one registry commit per half second or slice, not one per
 * tenant.  Only if the registry can be written almost at once (a reader's
 * moment passes; a writer holding it would hold up the run): else
 * tnsq_record_results writes the rows after the slice, as it writes every
 * row when progress is not wanted.
 */
#define PROGRESS_BUSY_MS 100

/* Tenant k's row may wait for the next batch (the core's rule). */
static int
row_may_wait(const fanout_job *job, size_t k)
{
	return tn_fanout_record_may_wait_self_tracked(tn_rows_get(&job->rows[k], 0, 1), job->rc[k],
												  tn_cell_int(tn_rows_get(&job->rows[k], 0, 4), 0));
}

/*
 * Write every finished row of the slice not yet in the registry, in one
 * transaction.  Called by the caller's thread with job->lock held; the
 * lock is let go while the registry is written (the rows of finished
 * tenants no longer change), so the workers go on meanwhile.
 */
static void
record_waiting(fanout_job *job)
{
	tn_sqlite_conn *conn = job->record_conn;
	size_t			end = job->next;
	int				busy_ms, was_set, rc = TN_OK, any = 0;
	tn_error		err;

	for (size_t k = 0; k < end; k++)
		if (job->recorded[k] == RECORD_WAITING)
		{
			job->recorded[k] = RECORD_WRITING;
			any = 1;
		}
	if (!any)
		return;
	pthread_mutex_unlock(&job->lock);
	tn_error_clear(&err);
	busy_ms = tn_sqlite_busy_timeout_ms(conn->db);
	was_set = conn->busy_timeout_set;
	conn->busy_timeout_set = 1; /* begin must not put a timeout back */
	sqlite3_busy_timeout(conn->db, busy_ms < PROGRESS_BUSY_MS ? busy_ms : PROGRESS_BUSY_MS);
	if ((rc = conn->adapter.begin(conn, &err)) == TN_OK)
	{
		for (size_t k = 0; rc == TN_OK && k < end; k++)
			if (job->recorded[k] == RECORD_WRITING &&
				(rc = tnsq_insert_run_tenant(conn, job->record_run_id, &job->rows[k], 0, &err)) == TN_OK)
				rc = tnsq_update_tenant_cache(conn, job->record_run_id, job, k, &job->rows[k], 0, &err);
		if (rc == TN_OK)
			rc = tn_finish(&conn->adapter, &err);
		else
			tn_abort(&conn->adapter, &err);
	}
	sqlite3_busy_timeout(conn->db, busy_ms);
	conn->busy_timeout_set = was_set;
	pthread_mutex_lock(&job->lock);
	for (size_t k = 0; k < end; k++)
		if (job->recorded[k] == RECORD_WRITING)
			job->recorded[k] = rc == TN_OK ? RECORD_DONE : RECORD_WAITING;
	/* written or not: the next try waits for the next interval (or a row that must not wait) */
	job->record_last_ms = tn_monotonic_ms();
}

/*
 * The caller's thread, job->lock held: write the waiting rows if one of
 * them is new and must not wait, or the interval has passed.  *waiting:
 * rows still wait afterwards.  Returns 1 when it wrote (the lock was let
 * go meanwhile: what the workers signalled then must be looked at again).
 */
static int
record_if_due(fanout_job *job, int *waiting)
{
	int urgent = 0;

	*waiting = 0;
	for (size_t k = 0; k < job->next; k++)
	{
		if (job->recorded[k] != RECORD_WAITING)
			continue;
		*waiting = 1;
		if (job->done[k] == 1 && !row_may_wait(job, k))
			urgent = 1;
		job->done[k] = 2; /* seen: a busy registry leaves it to the interval or the slice's end */
	}
	if (!urgent && !(*waiting && tn_monotonic_ms() - job->record_last_ms >= TN_FANOUT_RECORD_EVERY_MS))
		return 0;
	record_waiting(job);
	*waiting = 0;
	for (size_t k = 0; k < job->next && !*waiting; k++)
		*waiting = job->recorded[k] == RECORD_WAITING;
	return 1;
}

void
tnsq_record_now(fanout_job *job, size_t i)
{
	int waiting;

	if (job->record_conn == NULL || job->rows[i].nrows != 1)
		return;
	job->recorded[i] = RECORD_WAITING;
	/* a worker started by tnsq_run_workers_recording leaves it to the caller's thread */
	if (pthread_equal(pthread_self(), job->record_thread))
		(void) record_if_due(job, &waiting);
}


int
tnsq_insert_run_tenant(tn_sqlite_conn *conn, long long run_id, const tn_rows *rows, size_t r, tn_error *err)
{
	tn_value p[9];

	p[0] = tn_int8(run_id);
	for (int c = 0; c < 8; c++)
		p[c + 1] = tn_text(tn_rows_get(rows, r, c));
	return tn_exec(&conn->adapter,
				   "INSERT OR REPLACE INTO {T}run_tenants (run_id, tenant, status, from_version, to_version,"
				   " applied, duration_ms, sqlstate, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
				   9, p, err);
}

/* The registry's cached state of tenant i after its run (row r of out). */
int
tnsq_update_tenant_cache(tn_sqlite_conn *conn, long long run_id, fanout_job *job, size_t i,
						 const tn_rows *out, size_t r, tn_error *err)
{
	const char *name = tn_rows_get(&job->tenants, i, 0);
	int			ok = job->rc[i] == TN_OK;
	tn_value	p[7];
	tn_buf		record = { 0 };
	int			rc = TN_OK;

	p[0] = tn_text(name);
	p[1] = tn_text(ok ? job->res[i].to_version : NULL);
	p[2] = tn_text(tn_rows_get(out, r, 7));
	p[3] = tn_int8(ok ? tn_set_count_newer(job->set, job->res[i].to_version) : 0);
	p[4] = tn_text(tn_rows_get(out, r, 1)); /* the row's status: tenants() reads it (tn_tenant_state) */
	/* the stamp of a tenant found up to date (sqlite_probe.c); any other outcome forgets it */
	p[5] = tn_text(ok && job->stamps ? job->stamps[i] : NULL);
	/* a run to the newest version applied every new or changed repeatable of the set (NULL: kept) */
	if (ok && job->mode == JOB_MIGRATE && job->target == NULL)
		rc = tn_set_repeatables_record(job->set, &record, err);
	p[6] = tn_text(record.data);
	if (rc == TN_OK)
		rc = tn_exec(&conn->adapter,
					 ok ? "UPDATE {T}tenants SET version = nullif($2, ''), pending = $4, last_error = NULL,"
						  " last_status = $5, last_run = strftime('%Y-%m-%d %H:%M:%f+00','now'), last_checked = strftime('%Y-%m-%d %H:%M:%f+00','now'),"
						  " probe_stamp = $6, repeatables = coalesce($7, repeatables) WHERE name = $1"
						: "UPDATE {T}tenants SET last_error = $3, last_status = $5,"
						  " last_run = strftime('%Y-%m-%d %H:%M:%f+00','now'), last_checked = strftime('%Y-%m-%d %H:%M:%f+00','now'),"
						  " probe_stamp = NULL, repeatables = coalesce($7, repeatables) WHERE name = $1",
					 7, p, err);
	tn_buf_free(&record);
	if (rc == TN_OK && (!ok || job->res[i].applied > 0))
	{
		char detail[TN_MESSAGE_MAX + 64];

		snprintf(detail, sizeof(detail), "run %lld: %s", run_id,
				 ok ? tn_rows_get(out, r, 1) : job->errs[i].message);
		rc = tnsq_audit(conn, job->mode == JOB_ROLLBACK ? "rollback" : "migrate", name, detail, err);
	}
	return rc;
}

/*
 * Finished tenants [from, to) of the run into out, and into the registry
 * in one transaction (those record_now has not written already).
 */
int
tnsq_record_results(tn_sqlite_conn *conn, long long run_id, fanout_job *job,
					tn_rows *out, size_t from, size_t to, tn_error *err)
{
	int rc = TN_OK, open = 0;

	for (size_t i = from; rc == TN_OK && i < to; i++)
	{
		size_t r = out->nrows;

		if (job->rows[i].nrows != 1)
		{
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
			break;
		}
		if ((rc = tnsq_copy_rows(out, &job->rows[i], err)) != TN_OK ||
			(job->recorded && job->recorded[i] == RECORD_DONE))
			continue;
		if (!open && (rc = conn->adapter.begin(conn, err)) == TN_OK)
			open = 1;
		if (rc == TN_OK && (rc = tnsq_insert_run_tenant(conn, run_id, out, r, err)) == TN_OK)
			rc = tnsq_update_tenant_cache(conn, run_id, job, i, out, r, err);
	}
	if (!open)
		return rc;
	if (rc != TN_OK)
	{
		tn_abort(&conn->adapter, err);
		return rc;
	}
	if ((rc = tn_finish(&conn->adapter, err)) != TN_OK) /* it rolled back */
		return rc;
	for (size_t i = from; job->recorded && i < to; i++)
		job->recorded[i] = RECORD_DONE; /* record_now of a later slice looks this far back */
	return TN_OK;
}

int
tnsq_start_run(tn_sqlite_conn *conn, const char *target, size_t n, const char *status,
			   long long *run_id, tn_error *err)
{
	tn_value p[3] = { tn_text(target), tn_int8((long long) n), tn_text(status) };
	tn_rows	 idrow;
	int		 rc;

	rc = tn_query_rows(&conn->adapter, "INSERT INTO {T}runs (target, status, tenants) VALUES ($1, $3, $2)"
									   " RETURNING run_id",
					   3, p, 1, &idrow, err);
	if (rc != TN_OK)
		return rc;
	*run_id = tn_cell_int(tn_rows_get(&idrow, 0, 0), 0);
	tn_rows_free(&idrow);
	return TN_OK;
}

/* Close a run: its status word comes from the core. */
int
tnsq_finish_run(tn_sqlite_conn *conn, long long run_id, const tn_rows *out, int stopped,
				const char *status_word, tn_error *err)
{
	long long applied = 0, failed = 0, unreachable = 0;
	tn_value  p[4];

	for (size_t r = 0; r < out->nrows; r++)
	{
		const char *status = tn_rows_get(out, r, 1);

		applied += tn_cell_int(tn_rows_get(out, r, 4), 0);
		if (strcmp(status, TN_FANOUT_UNREACHABLE) == 0)
			unreachable++;
		else if (tn_fanout_status_counts_as_failure(status))
			failed++;
	}
	p[0] = tn_int8(run_id);
	p[1] = tn_int8(applied);
	p[2] = tn_int8(failed + unreachable);
	p[3] = tn_text(status_word ? status_word : tn_fanout_run_status(failed, unreachable, stopped, 0));
	return tn_exec(&conn->adapter, "UPDATE {T}runs SET finished_at = strftime('%Y-%m-%d %H:%M:%f+00','now'),"
								   " status = $4, applied = $2, failed = $3 WHERE run_id = $1",
				   4, p, err);
}

/* ---- progress: each tenant on record as it finishes ---- */

/*
 * The worker threads of a recorded run, and the caller's thread as their
 * recorder: it alone uses the registry connection (whose statement, the
 * caller's, may hold the connection's mutex: the CLI, Python), waking when
 * a worker finishes a tenant or when waiting rows are due
 * (record_if_due), so another connection sees the progress tenant by tenant
 * or half second by half second, whatever the concurrency (one worker
 * thread too: its tenant's work and the registry's commit overlap).  If no
 * thread can be started the caller's thread runs the tenants itself and
 * records between them.
 */
void
tnsq_run_workers_recording(fanout_job *job, long long workers)
{
	pthread_t threads[TN_FANOUT_MAX_CONCURRENCY];
	long long started = 0;

	if (workers > TN_FANOUT_MAX_CONCURRENCY)
		workers = TN_FANOUT_MAX_CONCURRENCY;
	pthread_mutex_lock(&job->lock);
	job->workers_running = 0;
	for (; started < workers; started++)
	{
		job->workers_running++;
		if (pthread_create(&threads[started], NULL, tnsq_fanout_worker, job) != 0)
		{
			job->workers_running--;
			break;
		}
	}
	if (started == 0)
	{
		pthread_mutex_unlock(&job->lock);
		tnsq_fanout_worker(job); /* the caller's thread: it records between tenants itself */
		return;
	}
	for (;;)
	{
		struct timespec until;
		double			due;
		int				waiting;

		if (record_if_due(job, &waiting))
			continue; /* the lock was let go: look again before waiting */
		if (job->workers_running == 0)
			break;
		if (!waiting)
		{
			pthread_cond_wait(&job->progress, &job->lock);
			continue;
		}
		/* the job's condition variable runs on CLOCK_MONOTONIC (tnsq_job_alloc) */
		due = job->record_last_ms + TN_FANOUT_RECORD_EVERY_MS + 1;
		until.tv_sec = (time_t) (due / 1000);
		until.tv_nsec = (long) ((due - (double) until.tv_sec * 1000) * 1e6);
		if (until.tv_nsec >= 1000000000L)
			until.tv_nsec = 999999999L;
		(void) pthread_cond_timedwait(&job->progress, &job->lock, &until);
	}
	pthread_mutex_unlock(&job->lock);
	for (long long t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
}
