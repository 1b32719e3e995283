/*
 * sqlite_fanout_runs.c -- the registry rows of a recorded SQLite fan-out
 * (tenant_migrate_all, tenant_rollback_all, tenant_verify_all): the run's
 * start and end rows, one row per tenant, and each tenant's cached state in
 * tenancy_tenants, written as each tenant finishes (tnsq_record_now: at
 * once, or in batches for rows the core lets wait; by the caller's thread
 * when the registry's connection has a mutex, tnsq_run_workers_recording)
 * or per slice.  The words written (statuses, run status) and which rows
 * may wait are the core's; this file only writes them.  The threads that
 * produce the rows are sqlite_fanout.c's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_registry.h"
#include "sqlite_registry_internal.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3

/* ---- registry writes of a run ---- */

/*
 * A recorded run: finished tenants' rows go into the registry while the
 * run goes on, in a transaction of their own on the caller's connection
 * (under job->lock, so one thread at a time uses it; the caller's thread
 * waits in tnsq_run_threads meanwhile), so another connection sees the
 * progress.  A row that must not wait (the core's rule: a tenant that
 * applied, failed or was rolled back) is written at once, with every
 * finished row waiting before it; rows that may wait (up to date,
 * unchanged) go together when PROGRESS_EVERY_MS has passed since the last
 * write, so a no-op run costs one registry commit per slice or half
 * second, not one per tenant.  Only if the registry can be written almost
 * at once (a reader's moment passes; a writer holding it would hold up
 * every worker): else tnsq_record_results writes the rows after the
 * slice, as it writes every row when progress is not wanted.
 */
#define PROGRESS_BUSY_MS  100
#define PROGRESS_EVERY_MS 500
void
tnsq_record_now(fanout_job *job, size_t i)
{
	tn_sqlite_conn *conn = job->record_conn;
	int				busy_ms, was_set;
	size_t			from = job->end > RUN_FLUSH_EVERY ? job->end - RUN_FLUSH_EVERY : 0;
	tn_error		err;

	if (conn == NULL || job->rows[i].nrows != 1)
		return;
	job->recorded[i] = RECORD_WAITING;
	if (tn_fanout_record_may_wait(tn_rows_get(&job->rows[i], 0, 1), job->rc[i],
								  tn_cell_int(tn_rows_get(&job->rows[i], 0, 4), 0)) &&
		tn_monotonic_ms() - job->record_last_ms < PROGRESS_EVERY_MS)
		return;
	/*
	 * A worker thread cannot use the caller's connection when it has a mutex
	 * (SQLite's default, serialized mode: the CLI, Python): the caller's
	 * statement holds it until the fan-out returns, so the worker would wait
	 * forever.  Then the row is written after the slice, like every row when
	 * progress is not wanted; connections without a mutex (the sqlite3 shell)
	 * and the caller's own thread record at once.
	 */
	if (sqlite3_db_mutex(conn->db) != NULL && !pthread_equal(pthread_self(), job->record_thread))
		return;
	tn_error_clear(&err);
	busy_ms = tn_sqlite_busy_timeout_ms(conn->db);
	was_set = conn->busy_timeout_set;
	conn->busy_timeout_set = 1; /* begin must not put a timeout back */
	sqlite3_busy_timeout(conn->db, busy_ms < PROGRESS_BUSY_MS ? busy_ms : PROGRESS_BUSY_MS);
	if (conn->adapter.begin(conn, &err) == TN_OK)
	{
		int rc = TN_OK;

		/* every finished row of this slice not yet written (a slice is RUN_FLUSH_EVERY tenants at most) */
		for (size_t k = from; rc == TN_OK && k < job->end; k++)
			if (job->recorded[k] == RECORD_WAITING &&
				(rc = tnsq_insert_run_tenant(conn, job->record_run_id, &job->rows[k], 0, &err)) == TN_OK)
				rc = tnsq_update_tenant_cache(conn, job->record_run_id, job, k, &job->rows[k], 0, &err);
		if (rc == TN_OK && tn_finish(&conn->adapter, &err) == TN_OK)
		{
			for (size_t k = from; k < job->end; k++)
				if (job->recorded[k] == RECORD_WAITING)
					job->recorded[k] = RECORD_DONE;
			job->record_last_ms = tn_monotonic_ms();
		}
		else if (rc != TN_OK)
			tn_abort(&conn->adapter, &err);
	}
	sqlite3_busy_timeout(conn->db, busy_ms);
	conn->busy_timeout_set = was_set;
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
 * Worker threads of a recorded run whose registry connection has a mutex
 * (the CLI, Python): the caller's statement holds it, so no worker may
 * write; the caller's thread, which may, waits for each tenant a worker
 * finishes and records it at once (tnsq_record_now), so another connection
 * sees the progress tenant by tenant, as with the sqlite3 shell.
 */
void
tnsq_run_workers_recording(fanout_job *job, long long workers)
{
	pthread_t threads[TN_FANOUT_MAX_CONCURRENCY];
	long long started = 0;
	size_t	  from = job->next;

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
		tnsq_fanout_worker(job); /* the caller's thread: it records each tenant itself */
		return;
	}
	for (;;)
	{
		for (size_t i = from; i < job->next; i++)
			if (job->done[i] == 1)
			{
				job->done[i] = 2; /* tried once: a busy registry leaves it to the slice's end */
				if (job->recorded[i] == RECORD_WAITING)
					tnsq_record_now(job, i);
			}
		if (job->workers_running == 0)
			break;
		pthread_cond_wait(&job->progress, &job->lock);
	}
	pthread_mutex_unlock(&job->lock);
	for (long long t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
}
