/*
 * sqlite_fanout.c -- the SQLite registry's fan-out: worker threads over the
 * tenant files for tenant_migrate_all, tenant_dry_run_all,
 * tenant_verify_all and tenant_query_all (whose per-tenant statement is
 * sqlite_query.c's); the registry rows of a run are sqlite_fanout_runs.c's.
 *
 * Mechanics only: which tenants, how many threads, where results go.  What
 * happens in each tenant (migrate, verify, classify) is the core's.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* flock(): the atomic run's liveness lock */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_registry.h"
#include "sqlite_registry_internal.h"
#include "sqlite_vtab.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3


/* ---- one tenant's work ---- */

/*
 * tenant_migrate_all_atomic, first phase: the tenant file is held in
 * BEGIN IMMEDIATE (no other writer until we commit or roll back), copied
 * as committed through a second connection (the backup API refuses a
 * source in a write transaction; readers may still read, and nobody can
 * change it under us), then migrated without committing.
 */
static int
prepare_one(fanout_job *job, size_t i, const char *path)
{
	tn_sqlite_conn *held = &job->held[i];
	tn_error	   *err = &job->errs[i];
	tn_migrate_opts opts = { 0 };
	char			copy[4400];
	sqlite3		   *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int				rc;

	if ((rc = tnsq_open_tenant_file_waiting(path, OPEN_RW, job->busy_ms, held, err)) != TN_OK)
		return rc;
	if ((rc = tn_sqlite_exec(held->db, "BEGIN IMMEDIATE", err)) != TN_OK)
	{
		tnsq_close_tenant(held);
		return rc;
	}
	snprintf(copy, sizeof(copy), "%s/%s.db", job->backup_dir, tn_rows_get(&job->tenants, i, 0));
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
		sqlite3_open_v2(copy, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		rc = SQLITE_CANTOPEN;
	else
	{
		sqlite3_busy_timeout(src, job->busy_ms);
		b = sqlite3_backup_init(dst, "main", src, "main");
		rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(dst);
		if (b)
			sqlite3_backup_finish(b);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_close(src);
	sqlite3_close(dst);
	if (rc != SQLITE_OK)
	{
		tn_error_set(err, TN_ERR_IO, "could not copy tenant \"%s\" before the atomic run",
					 tn_rows_get(&job->tenants, i, 0));
		tn_error_detail(err, "Writing \"%s\" failed: %s.", copy, sqlite3_errstr(rc));
		sqlite3_exec(held->db, "ROLLBACK", NULL, NULL, NULL);
		tnsq_close_tenant(held);
		return TN_ERR_IO;
	}
	opts.target = job->target;
	opts.sync = job->set;
	rc = tn_migrate(&held->adapter, &opts, &job->res[i], err);
	if (rc != TN_OK)
	{
		sqlite3_exec(held->db, "ROLLBACK", NULL, NULL, NULL);
		tnsq_close_tenant(held);
	}
	return rc;
}

static int
migrate_or_dry_run_one(fanout_job *job, size_t i, const char *path)
{
	tn_sqlite_conn	tenant;
	tn_migrate_opts opts = { 0 };
	tn_error	   *err = &job->errs[i];
	int				rc;

	if (job->mode == JOB_MIGRATE)
	{
		int current = 0;

		/* the common rerun, nothing to do, is answered by one statement (sqlite_probe.c) */
		if ((rc = tnsq_open_probed(job, i, path, &tenant, &current, err)) != TN_OK || current)
			return rc;
	}
	else if ((rc = tnsq_open_tenant_file_waiting(path, OPEN_RW, job->busy_ms, &tenant, err)) != TN_OK)
		return rc;
	opts.target = job->target;
	opts.sync = job->set;
	if (job->mode == JOB_DRY_RUN)
	{
		/* our own transaction around it, rolled back: nothing of the dry run (nor the sync) stays */
		opts.dry_run = 1;
		if ((rc = tn_sqlite_exec(tenant.db, "BEGIN IMMEDIATE", err)) == TN_OK)
		{
			rc = tn_migrate(&tenant.adapter, &opts, &job->res[i], err);
			rc = tn_dry_run_outcome(rc, &job->res[i], err);
			sqlite3_exec(tenant.db, "ROLLBACK", NULL, NULL, NULL);
		}
	}
	else if ((rc = tn_migrate(&tenant.adapter, &opts, &job->res[i], err)) == TN_OK && job->mode == JOB_MIGRATE)
		tnsq_stamp_after_migrate(job, i, path, &tenant); /* so the next no-op run need not read it */
	tnsq_close_tenant(&tenant);
	return rc;
}

static int
verify_one(fanout_job *job, size_t i, const char *path)
{
	tn_sqlite_conn tenant;
	int			   rc;

	if ((rc = tnsq_open_tenant_file_waiting(path, OPEN_READONLY, job->busy_ms, &tenant, &job->errs[i])) != TN_OK)
		return rc;
	rc = tn_verify_all_row(&tenant.adapter, tn_rows_get(&job->tenants, i, 0), job->set, NULL,
						   &job->rows[i], &job->errs[i]);
	tnsq_close_tenant(&tenant);
	return rc;
}

static void
run_one(fanout_job *job, size_t i)
{
	const char *name = tn_rows_get(&job->tenants, i, 0);
	const char *location = tn_rows_get(&job->tenants, i, 1);
	tn_error   *err = &job->errs[i];
	char	   *resolved = NULL;
	double		t0 = tn_monotonic_ms();
	int			rc;

	tn_error_clear(err);
	rc = tn_validate_tenant_path(job->rp->dir, location, 1, &resolved, err);
	if (rc == TN_ERR_NOT_FOUND)
		rc = tn_error_set(err, TN_ERR_UNREACHABLE, "tenant file \"%s\" is missing", location);
	if (rc == TN_OK)
	{
		switch (job->mode)
		{
			case JOB_QUERY:
				rc = tnsq_query_one(job, i, resolved);
				break;
			case JOB_VERIFY:
				rc = verify_one(job, i, resolved);
				break;
			case JOB_PREPARE:
				rc = prepare_one(job, i, resolved);
				break;
			case JOB_ROLLBACK:
				rc = tnsq_rollback_one(job, i, resolved);
				break;
			default:
				rc = migrate_or_dry_run_one(job, i, resolved);
				break;
		}
	}
	free(resolved);
	job->rc[i] = rc;
	job->ms[i] = (long long) (tn_monotonic_ms() - t0 + 0.5);
	if (job->mode == JOB_VERIFY && rc != TN_OK)
	{
		tn_error ignored;

		tn_rows_free(&job->rows[i]);
		tn_rows_init(&job->rows[i], tn_def_verify_all.ncols);
		(void) tn_verify_all_row(NULL, name, job->set, err, &job->rows[i], &ignored);
	}
	else if (job->mode == JOB_ROLLBACK)
		(void) tn_rollback_all_row(&job->rows[i], name, rc, &job->res[i], err, job->ms[i]);
	else if (job->mode != JOB_VERIFY && job->mode != JOB_QUERY)
		(void) tn_fanout_row(&job->rows[i], name, rc, &job->res[i], err, job->ms[i]);
}

static const tn_sqlite_fanout_observer *observer;

void
tn_sqlite_fanout_observe(const tn_sqlite_fanout_observer *obs)
{
	observer = obs;
}

/* Tell the observer, if any, that tenant i finished (called under job->lock). */
static void
observe_done(fanout_job *job, size_t i)
{
	const char *status;

	job->finished++;
	if (observer == NULL || observer->tenant_done == NULL)
		return;
	if (job->mode == JOB_QUERY)
		status = job->rc[i] == TN_OK ? "ok" : TN_FANOUT_FAILED;
	else if (job->rows[i].nrows > 0)
		status = tn_rows_get(&job->rows[i], 0, 1);
	else
		status = job->rc[i] == TN_OK ? "ok" : TN_FANOUT_FAILED;
	observer->tenant_done(observer->arg, job->finished,
						  job->total > 0 ? job->total : (long long) job->tenants.nrows,
						  tn_rows_get(&job->tenants, i, 0), status);
}

void *
tnsq_fanout_worker(void *arg)
{
	fanout_job *job = arg;

	for (;;)
	{
		size_t i;

		pthread_mutex_lock(&job->lock);
		if (job->max_failures > 0 && job->failures >= job->max_failures)
			job->stopped = 1;
		if (observer != NULL && observer->stop != NULL && *observer->stop && job->mode != JOB_PREPARE)
			job->stopped = job->cancelled = 1;
		if (job->stopped || job->next >= job->end)
		{
			job->workers_running--;
			pthread_cond_signal(&job->progress);
			pthread_mutex_unlock(&job->lock);
			return NULL;
		}
		i = job->next++;
		pthread_mutex_unlock(&job->lock);
		run_one(job, i);
		pthread_mutex_lock(&job->lock);
		if ((job->mode == JOB_MIGRATE || job->mode == JOB_ROLLBACK) && job->rows[i].nrows == 1 &&
			tn_fanout_status_counts_as_failure(tn_rows_get(&job->rows[i], 0, 1)))
			job->failures++;
		job->done[i] = 1;
		tnsq_record_now(job, i);
		pthread_cond_signal(&job->progress); /* the caller's thread records it (run_workers_recording) */
		observe_done(job, i);
		pthread_mutex_unlock(&job->lock);
	}
}

/*
 * Run fn(arg) on up to workers threads and wait for them all; fn takes its
 * next item itself (under its own lock) until none is left.  With one worker,
 * or when no thread can be started, fn runs on the caller's thread.  Used by
 * every SQLite fan-out (this file and sqlite_fallback_all.c).
 */
void
tnsq_run_threads(void *(*fn)(void *), void *arg, long long workers)
{
	pthread_t threads[TN_FANOUT_MAX_CONCURRENCY];
	long long started = 0;

	if (workers > TN_FANOUT_MAX_CONCURRENCY)
		workers = TN_FANOUT_MAX_CONCURRENCY;
	for (; workers > 1 && started < workers; started++)
		if (pthread_create(&threads[started], NULL, fn, arg) != 0)
			break;
	if (started == 0)
		fn(arg);
	for (long long t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
}

/* Run tenants [job->next, job->end) on up to concurrency threads. */
void
tnsq_run_workers(fanout_job *job, long long concurrency)
{
	long long workers = (long long) (job->end - job->next);

	if (workers > concurrency)
		workers = concurrency;
	if (job->record_conn != NULL)
		tnsq_run_workers_recording(job, workers); /* the caller's thread records, the workers run tenants */
	else
		tnsq_run_threads(tnsq_fanout_worker, job, workers);
}

/* Copy the rows of tenant i into out. */
int
tnsq_copy_rows(tn_rows *out, const tn_rows *from, tn_error *err)
{
	const char *row[16];

	TN_ASSERT(from->ncols <= 16);
	for (size_t r = 0; r < from->nrows; r++)
	{
		for (int c = 0; c < from->ncols && c < 16; c++)
			row[c] = tn_rows_get(from, r, c);
		if (tn_rows_add(out, row) != TN_OK)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	return TN_OK;
}

/* ---- arguments ---- */

int
tnsq_parse_concurrency(sqlite3_value *v, long long *out, tn_error *err)
{
	*out = DEFAULT_CONCURRENCY;
	if (v == NULL || sqlite3_value_type(v) == SQLITE_NULL)
		return TN_OK;
	if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "concurrency must be a whole number");
		tn_error_detail(err, "\"%s\" was given.", sqlite3_value_text(v));
		return TN_ERR_INVALID_ARGUMENT;
	}
	*out = sqlite3_value_int64(v);
	return tn_check_concurrency(*out, err); /* the limits are the core's */
}

int
tnsq_parse_max_failures(sqlite3_value *v, long long *out, tn_error *err)
{
	*out = 0;
	if (v == NULL || sqlite3_value_type(v) == SQLITE_NULL)
		return TN_OK;
	if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "max_failures must be a whole number of 0 or more");
		tn_error_detail(err, "\"%s\" was given.", sqlite3_value_text(v));
		tn_error_hint(err, "Pass NULL or 0 for no limit.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	*out = sqlite3_value_int64(v);
	return tn_check_max_failures(*out, err);
}

/*
 * The target argument, read by the core (a valid version, a leading V/v
 * dropped); tnsq_job_start checks it against the tenant set.
 */
int
tnsq_parse_target(sqlite3_value *v, const char **target, tn_error *err)
{
	const char *text = NULL;

	if (v != NULL && sqlite3_value_type(v) != SQLITE_NULL)
		text = (const char *) sqlite3_value_text(v);
	return tn_parse_target(text, target, err);
}

/*
 * The common start of every fan-out: registry, tenant set (unless the
 * mode needs none), target, tenant list, per-tenant slots.
 */
int
tnsq_job_start(fanout_job *job, job_mode mode, tn_sqlite_conn *conn, registry_paths *rp,
			   tn_migration_set *set, const char *target, tn_error *err)
{
	int rc;

	memset(job, 0, sizeof(*job));
	memset(set, 0, sizeof(*set));
	job->mode = mode;
	job->rp = rp;
	job->set = set;
	job->target = target;
	job->busy_ms = tn_sqlite_busy_timeout_ms(conn->db); /* one timeout: the caller's, for every tenant */
	if (mode != JOB_QUERY && (rc = tnsq_load_tenant_set(rp, set, err)) != TN_OK)
		return rc;
	if ((rc = tn_set_check_target(set, target, err)) != TN_OK)
		return rc;
	if (mode == JOB_MIGRATE && (rc = tn_set_fingerprint(set, job->set_fp, err)) != TN_OK)
		return rc;
	rc = tn_query_rows(&conn->adapter, "SELECT name, location, probe_stamp FROM {T}tenants ORDER BY name", 0, NULL, 3,
					   &job->tenants, err);
	if (rc != TN_OK)
		return rc;
	job->end = job->tenants.nrows;
	return tnsq_job_alloc(job, job->tenants.nrows, err);
}

/*
 * A subset (tenants: NULL = every tenant, else 'canary,acme'): the core
 * parses the list and picks the tenants in the order given; job->tenants
 * then holds exactly those and job->end their count.
 */
int
tnsq_job_subset(fanout_job *job, sqlite3_value *tenants, tn_error *err)
{
	tn_rows wanted, picked;
	size_t *order;
	size_t	n = 0;
	int		rc;

	if (tenants == NULL || sqlite3_value_type(tenants) == SQLITE_NULL)
		return TN_OK;
	if ((rc = tn_tenant_list_parse((const char *) sqlite3_value_text(tenants), &wanted, err)) != TN_OK)
		return rc;
	order = calloc(job->tenants.nrows + 1, sizeof(size_t));
	if (order == NULL)
	{
		tn_rows_free(&wanted);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	rc = tn_tenant_subset(&job->tenants, &wanted, order, &n, err);
	tn_rows_init(&picked, 3);
	for (size_t k = 0; rc == TN_OK && k < n; k++)
	{
		const char *row[3] = { tn_rows_get(&job->tenants, order[k], 0), tn_rows_get(&job->tenants, order[k], 1),
							   tn_rows_get(&job->tenants, order[k], 2) };

		if (tn_rows_add(&picked, row) != TN_OK)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	free(order);
	tn_rows_free(&wanted);
	if (rc != TN_OK)
	{
		tn_rows_free(&picked);
		return rc;
	}
	tn_rows_free(&job->tenants); /* the per-tenant slots stay: there are as many or more */
	job->tenants = picked;
	job->end = picked.nrows;
	return TN_OK;
}

/*
 * What every tenant_*_all call holds: the registry connection, its paths,
 * the tenant set and the job.  call_init and call_end set it up and tear
 * it down in one place.
 */
typedef struct fanout_call
{
	tn_sqlite_conn	 conn;
	registry_paths	 rp;
	tn_migration_set set;
	fanout_job		 job;
} fanout_call;

static void
call_init(fanout_call *c, sqlite3 *db, tn_rows *out, const tn_result_def *def)
{
	memset(&c->job, 0, sizeof(c->job));
	memset(&c->set, 0, sizeof(c->set));
	tn_rows_init(out, def->ncols);
	tn_sqlite_conn_init(&c->conn, db);
}

/* Free what the call holds; on failure no partial rows are returned. */
static int
call_end(fanout_call *c, tn_rows *out, int rc)
{
	tnsq_job_free(&c->job);
	tn_migration_set_free(&c->set);
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

/* A tenant never started because the observer stopped the run (Ctrl-C in the tenancy command). */
static int
cancelled_row(tn_rows *out, const char *tenant)
{
	const char *row[8] = { tenant, TN_FANOUT_SKIPPED, NULL, NULL, "0", "0", NULL,
						   "not started: the run was cancelled" };

	return tn_rows_add(out, row);
}

/* ---- tenant_migrate_all([target [, concurrency [, max_failures [, tenants]]]]) ---- */

/*
 * A run that cannot go on (its registry writes failed, memory ran out)
 * still ends: its final status is written in a transaction of its own, and
 * the error says what was done and where the truth is.
 */
static void
end_failed_run(fanout_call *c, long long run_id, const tn_rows *out, size_t migrated, tn_error *err)
{
	tn_error ignored;

	tn_error_clear(&ignored);
	if (tnsq_finish_run(&c->conn, run_id, out, c->job.stopped, tn_fanout_run_status(1, 0, 0, 0), &ignored) != TN_OK)
		tn_error_detail_append(err, "Run %lld could not be closed in the registry either (%s); the next"
									" tenant_migrate_all() marks it aborted.",
							   run_id, ignored.message);
	else
		tn_error_detail_append(err, "Run %lld was closed as failed.", run_id);
	tn_error_detail_append(err, "%zu tenant(s) had been migrated or tried before it stopped; each tenant's"
								" own tracking tables hold the truth, and tenant_verify_all() brings the"
								" registry up to date.",
						   migrated);
}

int
tnsq_fill_migrate_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	fanout_call c;
	const char *target = NULL;
	long long	run_id = 0;
	long long	concurrency, max_failures;
	size_t		n, done = 0, tried = 0;
	tn_rows		all; /* every tenant of the run (name, location, probe_stamp); the job holds one slice */
	int			rc, lockfd = -1, last_open = 0;

	(void) nargs;
	tn_rows_init(&all, 3);
	call_init(&c, db, out, &tn_def_migrate_all);
	if ((rc = tnsq_parse_target(args[0], &target, err)) != TN_OK ||
		(rc = tnsq_parse_concurrency(args[1], &concurrency, err)) != TN_OK ||
		(rc = tnsq_parse_max_failures(args[2], &max_failures, err)) != TN_OK ||
		(rc = tnsq_registry_ready(&c.conn, &c.rp, err)) != TN_OK ||
		(rc = tnsq_run_lock(&c.rp, "tenant_migrate_all()", &lockfd, err)) != TN_OK)
		return rc;
	if ((rc = tnsq_recover_if_idle(&c.conn, &c.rp, err)) != TN_OK ||
		(rc = tnsq_close_abandoned_runs(&c.conn, err)) != TN_OK ||
		(rc = tnsq_job_start(&c.job, JOB_MIGRATE, &c.conn, &c.rp, &c.set, target, err)) != TN_OK ||
		(rc = tnsq_job_subset(&c.job, args[3], err)) != TN_OK)
		goto done;
	c.job.max_failures = max_failures;
	tnsq_job_take_all(&c.job, &all);
	n = all.nrows;

	/* the run is recorded before any tenant is touched */
	if ((rc = tnsq_start_run(&c.conn, target, n, TN_RUN_RUNNING, &run_id, err)) != TN_OK)
		goto done;
	/* each tenant's row as it finishes: another connection sees the progress */
	c.job.record_conn = &c.conn;
	c.job.record_run_id = run_id;
	c.job.record_thread = pthread_self();
	c.job.record_last_ms = tn_monotonic_ms(); /* rows that may wait go with the slice or after half a second */

	/*
	 * in slices, so finished tenants are on record while the run goes on;
	 * a slice's per-tenant state is freed once its rows are in out
	 */
	while (done < n && rc == TN_OK && !c.job.stopped)
	{
		if ((rc = tnsq_job_slice(&c.job, &all, done, done + RUN_FLUSH_EVERY < n ? done + RUN_FLUSH_EVERY : n,
								 err)) != TN_OK)
			break;
		tnsq_run_workers(&c.job, concurrency);
		tried = done + c.job.next;
		/* the last slice's rows and the run's end are written in one commit (closed below) */
		if (tried >= n && (rc = c.conn.adapter.begin(&c.conn, err)) == TN_OK)
			last_open = 1;
		if (rc == TN_OK)
			rc = tnsq_record_results(&c.conn, run_id, &c.job, out, 0, c.job.next, err);
		if (rc == TN_OK)
			done = tried;
	}
	/* tenants never started after max_failures are reported as skipped (not recorded, as on PostgreSQL) */
	for (size_t i = done; rc == TN_OK && i < n; i++)
		if ((c.job.cancelled ? cancelled_row(out, tn_rows_get(&all, i, 0))
							 : tn_fanout_skipped_row(out, tn_rows_get(&all, i, 0), NULL)) != TN_OK)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	if (rc == TN_OK)
		rc = tnsq_finish_run(&c.conn, run_id, out, c.job.stopped,
							 c.job.cancelled ? tn_fanout_run_status(0, 0, 0, 1) : NULL, err);
	if (last_open && rc == TN_OK)
		rc = tn_sqlite_exec(c.conn.db, "COMMIT", err);
	if (last_open && rc != TN_OK && !sqlite3_get_autocommit(c.conn.db))
		sqlite3_exec(c.conn.db, "ROLLBACK", NULL, NULL, NULL); /* the last slice's rows go with it, as a slice's did */
	if (rc != TN_OK)
		end_failed_run(&c, run_id, out, tried, err);

done:
	tnsq_run_unlock(lockfd);
	tn_rows_free(&all);
	return call_end(&c, out, rc);
}

/* ---- tenant_dry_run_all([target [, concurrency [, tenants]]]): not recorded, nothing changes ---- */

int
tnsq_fill_dry_run_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	fanout_call c;
	const char *target = NULL;
	long long	concurrency;
	int			rc;

	(void) nargs;
	call_init(&c, db, out, &tn_def_dry_run_all);
	if ((rc = tnsq_parse_target(args[0], &target, err)) != TN_OK ||
		(rc = tnsq_parse_concurrency(args[1], &concurrency, err)) != TN_OK ||
		(rc = tnsq_registry_ready(&c.conn, &c.rp, err)) != TN_OK)
		return rc;
	if ((rc = tnsq_job_start(&c.job, JOB_DRY_RUN, &c.conn, &c.rp, &c.set, target, err)) == TN_OK &&
		(rc = tnsq_job_subset(&c.job, args[2], err)) == TN_OK)
	{
		tnsq_run_workers(&c.job, concurrency);
		for (size_t i = 0; rc == TN_OK && i < c.job.tenants.nrows; i++)
			rc = tnsq_copy_rows(out, &c.job.rows[i], err);
	}
	return call_end(&c, out, rc);
}

/* ---- tenant_verify_all([concurrency [, tenants]]): read every tenant, refresh the registry's cache ---- */

int
tnsq_fill_verify_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	fanout_call c;
	long long	concurrency;
	int			rc, lockfd = -1;

	(void) nargs;
	call_init(&c, db, out, &tn_def_verify_all);
	if ((rc = tnsq_parse_concurrency(args[0], &concurrency, err)) != TN_OK ||
		(rc = tnsq_registry_ready(&c.conn, &c.rp, err)) != TN_OK ||
		(rc = tnsq_run_lock(&c.rp, "tenant_verify_all()", &lockfd, err)) != TN_OK)
		return rc;
	if ((rc = tnsq_job_start(&c.job, JOB_VERIFY, &c.conn, &c.rp, &c.set, NULL, err)) == TN_OK &&
		(rc = tnsq_job_subset(&c.job, args[1], err)) == TN_OK)
	{
		tnsq_run_workers(&c.job, concurrency);
		rc = c.conn.adapter.begin(&c.conn, err);
		/* c.job.next: the tenants started (all of them unless the observer stopped the run) */
		for (size_t i = 0; rc == TN_OK && i < c.job.next; i++)
		{
			size_t		r = out->nrows;
			const char *status;
			tn_value	p[5];

			if ((rc = tnsq_copy_rows(out, &c.job.rows[i], err)) != TN_OK || out->nrows != r + 1)
			{
				if (rc == TN_OK)
					rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
				break;
			}
			status = tn_rows_get(out, r, 1);
			p[0] = tn_text(tn_rows_get(out, r, 0));
			p[1] = tn_text(tn_rows_get(out, r, 2));
			p[2] = tn_int8(tn_cell_int(tn_rows_get(out, r, 3), 0));
			p[3] = tn_text(strcmp(status, TN_VERIFY_OK) == 0 ? NULL : tn_rows_get(out, r, 5));
			p[4] = tn_text(status); /* ok / problems / unreachable: tenants() reads it */
			rc = tn_exec(&c.conn.adapter,
						 strcmp(status, TN_VERIFY_UNREACHABLE) == 0
							 ? "UPDATE {T}tenants SET last_error = $4, last_status = $5,"
							   " last_checked = strftime('%Y-%m-%d %H:%M:%f+00','now') WHERE name = $1"
							 : "UPDATE {T}tenants SET version = $2, pending = $3, last_error = $4, last_status = $5,"
							   " last_checked = strftime('%Y-%m-%d %H:%M:%f+00','now') WHERE name = $1",
						 5, p, err);
		}
		if (rc == TN_OK)
			rc = tn_finish(&c.conn.adapter, err);
		else
			tn_abort(&c.conn.adapter, err);
	}
	tnsq_run_unlock(lockfd);
	return call_end(&c, out, rc);
}

/* ---- tenant_query_all(sql [, concurrency [, tenants]]) ---- */

int
tnsq_fill_query_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	fanout_call c;
	long long	concurrency;
	int			rc;

	(void) nargs;
	call_init(&c, db, out, &tn_def_query_all);
	if (args[0] == NULL || sqlite3_value_type(args[0]) == SQLITE_NULL)
		return tn_error_null_argument(err, "sql");
	if ((rc = tnsq_parse_concurrency(args[1], &concurrency, err)) != TN_OK ||
		(rc = tnsq_registry_ready(&c.conn, &c.rp, err)) != TN_OK)
		return rc;
	if ((rc = tnsq_job_start(&c.job, JOB_QUERY, &c.conn, &c.rp, &c.set, NULL, err)) == TN_OK &&
		(rc = tnsq_job_subset(&c.job, args[2], err)) == TN_OK)
	{
		c.job.sql = (const char *) sqlite3_value_text(args[0]);
		tnsq_run_workers(&c.job, concurrency);
		/* a statement refused for what it is, not for where it ran, fails the call */
		for (size_t i = 0; rc == TN_OK && i < c.job.tenants.nrows; i++)
			if (c.job.rc[i] == TN_ERR_INVALID_ARGUMENT)
			{
				*err = c.job.errs[i];
				rc = err->code;
			}
		/* a tenant that failed gives one row {"error": "...", "sqlstate": "..."} */
		for (size_t i = 0; rc == TN_OK && i < c.job.tenants.nrows; i++)
		{
			if (c.job.rc[i] == TN_OK)
				rc = tnsq_copy_rows(out, &c.job.rows[i], err);
			else
			{
				tn_buf		json = { 0 };
				const char *row[2];

				/* the core writes the error row, as on PostgreSQL */
				if (tn_query_all_error_json(&json, &c.job.errs[i]) != TN_OK)
					rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
				row[0] = tn_rows_get(&c.job.tenants, i, 0);
				row[1] = json.data;
				if (rc == TN_OK && tn_rows_add(out, row) != TN_OK)
					rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
				tn_buf_free(&json);
			}
		}
	}
	return call_end(&c, out, rc);
}
