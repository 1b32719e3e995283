/*
 * sqlite_atomic.c -- tenant_migrate_all_atomic on SQLite: all tenants or
 * none, with copies and a durable commit record, and the settling of a run
 * a crash interrupted (see README "What tenant_migrate_all_atomic promises").
 *
 * Mechanics only: locks, copies, fsyncs, restore.  Row shapes and run
 * states are the core's (tn_atomic_row, TN_RUN_*).
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

/* ---- tenant_migrate_all_atomic: settling a run a crash left behind ---- */

/* The liveness lock of atomic runs: held (flock) for a whole atomic run, freed by the kernel on kill. */
static int
atomic_lock(const registry_paths *rp, int *fd, tn_error *err)
{
	char path[4400];

	snprintf(path, sizeof(path), "%s.atomic-lock", rp->file);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
	{
		tn_error_set(err, TN_ERR_IO, "could not open \"%s\"", path);
		tn_error_detail(err, "%s.", strerror(errno));
		return TN_ERR_IO;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0)
	{
		close(*fd);
		*fd = -1;
		tn_error_set(err, TN_ERR_BUSY, "another tenant_migrate_all_atomic() is running on this registry");
		tn_error_hint(err, "Wait for it to finish, then call again.");
		return TN_ERR_BUSY;
	}
	return TN_OK;
}

static void
atomic_unlock(int fd)
{
	if (fd >= 0)
	{
		flock(fd, LOCK_UN);
		close(fd);
	}
}

static void
remove_folder(const char *folder)
{
	DIR			  *d = opendir(folder);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL)
	{
		char f[4600];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(f, sizeof(f), "%s/%s", folder, e->d_name);
		unlink(f);
	}
	if (d)
		closedir(d);
	rmdir(folder);
}

static void
fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd >= 0)
	{
		(void) fsync(fd);
		close(fd);
	}
}

/* Put the copy taken before the run back over a tenant file (backup API: itself a transaction). */
static int
restore_copy(const char *copy, const char *path, tn_error *err)
{
	sqlite3		   *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int				rc = sqlite3_open_v2(copy, &src, SQLITE_OPEN_READONLY, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
	{
		sqlite3_busy_timeout(dst, 5000);
		b = sqlite3_backup_init(dst, "main", src, "main");
		rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(dst);
		if (b)
			sqlite3_backup_finish(b);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_close(src);
	sqlite3_close(dst);
	if (rc == SQLITE_OK)
		return TN_OK;
	tn_error_set(err, TN_ERR_IO, "could not restore \"%s\" from its copy \"%s\"", path, copy);
	tn_error_detail(err, "SQLite reported: %s.", sqlite3_errstr(rc));
	return TN_ERR_IO;
}

/* Has this tenant file committed the run's batch (its to_version is applied)? */
static int
tenant_has_version(const char *path, const char *version, int *has, tn_error *err)
{
	tn_sqlite_conn t;
	tn_value	   p = tn_text(version);
	tn_rows		   rows;
	int			   rc = tnsq_open_tenant_file(path, OPEN_RW, &t, err);

	*has = 0;
	if (rc != TN_OK)
		return rc;
	rc = tn_query_rows(&t.adapter, "SELECT count(*) FROM {T}applied WHERE version = $1", 1, &p, 1, &rows, err);
	if (rc == TN_OK)
	{
		*has = tn_cell_int(tn_rows_get(&rows, 0, 0), 0) > 0;
		tn_rows_free(&rows);
	}
	tnsq_close_tenant(&t);
	return rc;
}

/*
 * Settle one atomic run found unfinished (the caller holds the atomic
 * lock, so its process is gone).  'preparing': it died before its commit
 * record, so no tenant committed (SQLite rolled each back from its
 * journal): the run is 'rolled_back'.  'committing': if every tenant with
 * work committed, the run is 'done'; else the ones that did are put back
 * from their copies, and the run is 'rolled_back'.
 */
static int
atomic_settle(tn_sqlite_conn *conn, const registry_paths *rp, long long run_id,
			  const char *folder, const char *status, tn_error *err)
{
	tn_value	p[2];
	tn_rows		ts;
	const char *final = NULL;
	size_t		committed = 0;
	int		   *has = NULL;
	char		detail[128];
	int			rc = TN_OK;

	p[0] = tn_int8(run_id);
	if (status != NULL && strcmp(status, TN_RUN_COMMITTING) == 0)
	{
		rc = tn_query_rows(&conn->adapter,
						   "SELECT t.tenant, t.to_version, x.location FROM {T}run_tenants t"
						   " JOIN {T}tenants x ON x.name = t.tenant WHERE t.run_id = $1 AND t.applied > 0"
						   " ORDER BY t.tenant",
						   1, p, 3, &ts, err);
		if (rc != TN_OK)
			return rc;
		has = calloc(ts.nrows + 1, sizeof(int));
		if (has == NULL)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		for (size_t i = 0; rc == TN_OK && i < ts.nrows; i++)
		{
			char *path = NULL;

			rc = tn_validate_tenant_path(rp->dir, tn_rows_get(&ts, i, 2), 1, &path, err);
			if (rc == TN_OK)
				rc = tenant_has_version(path, tn_rows_get(&ts, i, 1), &has[i], err);
			committed += has[i];
			free(path);
		}
		if (rc == TN_OK && committed < ts.nrows)
		{
			for (size_t i = 0; rc == TN_OK && i < ts.nrows; i++)
			{
				char  copy[4600];
				char *path = NULL;

				if (!has[i])
					continue;
				snprintf(copy, sizeof(copy), "%s/%s.db", folder, tn_rows_get(&ts, i, 0));
				rc = tn_validate_tenant_path(rp->dir, tn_rows_get(&ts, i, 2), 1, &path, err);
				if (rc == TN_OK)
					rc = restore_copy(copy, path, err);
				free(path);
			}
			final = TN_RUN_ROLLED_BACK;
		}
		else if (rc == TN_OK)
			final = TN_RUN_DONE;
		if (rc == TN_OK && (rc = conn->adapter.begin(conn, err)) == TN_OK)
		{
			p[1] = tn_text(final);
			if (strcmp(final, TN_RUN_DONE) == 0)
				rc = tn_exec(&conn->adapter,
							 "UPDATE {T}tenants SET version = (SELECT to_version FROM {T}run_tenants t"
							 " WHERE t.run_id = $1 AND t.tenant = name), last_error = NULL"
							 " WHERE name IN (SELECT tenant FROM {T}run_tenants WHERE run_id = $1 AND applied > 0)",
							 1, p, err);
			else
				rc = tn_exec(&conn->adapter,
							 "UPDATE {T}run_tenants SET status = '" TN_FANOUT_ROLLED_BACK "', to_version = from_version,"
							 " applied = 0, error = 'rolled back: the run was interrupted while committing'"
							 " WHERE run_id = $1 AND applied > 0",
							 1, p, err);
			if (rc == TN_OK)
				rc = tn_finish(&conn->adapter, err);
			else
				tn_abort(&conn->adapter, err);
		}
		free(has);
		tn_rows_free(&ts);
		if (rc != TN_OK)
		{
			tn_error_detail_append(err, "Atomic run %lld was interrupted while committing and could not be settled;"
										" its copies stay in \"%s\" and the next call tries again.",
								   run_id, folder);
			return rc;
		}
	}
	else if (status == NULL || strcmp(status, TN_RUN_PREPARING) == 0)
		final = TN_RUN_ROLLED_BACK; /* no commit record: SQLite rolled every tenant back from its journal */
	if (final != NULL)
	{
		p[1] = tn_text(final);
		rc = tn_exec(&conn->adapter, "UPDATE {T}runs SET status = $2,"
									 " finished_at = strftime('%Y-%m-%d %H:%M:%f+00','now') WHERE run_id = $1",
					 2, p, err);
		snprintf(detail, sizeof(detail), "run %lld: %s after an interruption", run_id, final);
		if (rc == TN_OK)
			rc = tnsq_audit(conn, "atomic_recover", NULL, detail, err);
	}
	if (rc == TN_OK)
	{
		remove_folder(folder);
		rc = tn_exec(&conn->adapter, "DELETE FROM {T}atomic_runs WHERE run_id = $1", 1, p, err);
	}
	return rc;
}

/* Settle every atomic run left unfinished; the caller holds the atomic lock. */
static int
atomic_recover(tn_sqlite_conn *conn, const registry_paths *rp, tn_error *err)
{
	tn_rows runs;
	int		rc = tn_query_rows(&conn->adapter,
							   "SELECT a.run_id, a.folder, r.status FROM {T}atomic_runs a"
								   " LEFT JOIN {T}runs r ON r.run_id = a.run_id ORDER BY a.run_id",
							   0, NULL, 3, &runs, err);

	if (rc != TN_OK)
		return rc;
	for (size_t i = 0; rc == TN_OK && i < runs.nrows; i++)
		rc = atomic_settle(conn, rp, tn_cell_int(tn_rows_get(&runs, i, 0), 0),
						   tn_rows_get(&runs, i, 1), tn_rows_get(&runs, i, 2), err);
	tn_rows_free(&runs);
	return rc;
}

/* Before a migrating run: settle what an interrupted atomic run left, unless one is live. */
int
tnsq_recover_if_idle(tn_sqlite_conn *conn, const registry_paths *rp, tn_error *err)
{
	tn_error busy;
	int		 fd;
	int		 rc;

	tn_error_clear(&busy);
	if (atomic_lock(rp, &fd, &busy) != TN_OK)
		return busy.code == TN_ERR_BUSY ? TN_OK : tn_error_set(err, busy.code, "%s", busy.message);
	rc = atomic_recover(conn, rp, err);
	atomic_unlock(fd);
	return rc;
}

/* ---- tenant_migrate_all_atomic([target [, concurrency]]) ---- */

/*
 * All tenants or none.  SQLite has no two-phase commit across files, so:
 *  1. every tenant with work is held in BEGIN EXCLUSIVE, copied (backup
 *     API) into the run folder <registry>.atomic-<run_id>, and migrated
 *     without committing;
 *  2. any failure: every tenant is rolled back, nothing was committed;
 *  3. all succeeded: a durable 'committing' record (run status and
 *     per-tenant target versions) is written to the registry, then each
 *     tenant commits;
 *  4. a commit that fails: the tenants already committed are put back
 *     from their copies, the rest rolled back.
 * A crash (kill -9, power loss) during 3 leaves the run 'committing';
 * the next tenant_migrate_all() or tenant_migrate_all_atomic() settles
 * it (atomic_settle): all committed -> 'done', else the committed ones are
 * restored from their copies -> 'rolled_back'.  Window: what is written
 * to a restored tenant between the crash and that next call is lost.
 * Every held tenant costs open files: at most MAX_ATOMIC_TENANTS.
 */
#define MAX_ATOMIC_TENANTS 250

#define NONE_FAILED ((size_t) -1)

/* What one tenant_migrate_all_atomic call holds, from its start to its cleanup. */
typedef struct atomic_run
{
	tn_sqlite_conn	 conn; /* the registry */
	registry_paths	 rp;
	tn_migration_set set;
	fanout_job		 job;
	const char		*target;
	long long		 concurrency;
	long long		 run_id;
	char			 folder[4400]; /* the run's copies; "" once they must stay or are gone */
	size_t			 n;			   /* tenants */
	size_t			 first_failed; /* NONE_FAILED, or the first tenant that failed */
	size_t			 committed;	   /* tenants committed in phase 3 */
	int				 lockfd;
	int				 runfd;		/* the registry's run lock (sqlite_run_lock.c) */
	int				 in_record; /* the durable 'committing' record exists */
} atomic_run;

/* Every tenant's row of an atomic run (the core words them): committed, or all rolled back. */
static int
atomic_rows(tn_rows *out, atomic_run *ar, tn_error *err)
{
	fanout_job *job = &ar->job;
	int			committed = ar->first_failed == NONE_FAILED;
	const char *failed_tenant = committed ? NULL : tn_rows_get(&job->tenants, ar->first_failed, 0);

	for (size_t i = 0; i < job->tenants.nrows; i++)
		if (tn_atomic_row(out, tn_rows_get(&job->tenants, i, 0), job->rc[i], &job->res[i], &job->errs[i],
						  job->ms[i], committed, failed_tenant) != TN_OK)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	return TN_OK;
}

/*
 * Before phase 1, under the atomic lock: settle what an interrupted run
 * left, the tenant list and set, the run record ('preparing'), and the
 * run folder for the copies (on record in atomic_runs).
 */
static int
atomic_start(atomic_run *ar, tn_error *err)
{
	tn_value p[2];
	int		 rc;

	if ((rc = tnsq_run_lock(&ar->rp, "tenant_migrate_all_atomic()", &ar->runfd, err)) != TN_OK ||
		(rc = atomic_lock(&ar->rp, &ar->lockfd, err)) != TN_OK ||
		(rc = atomic_recover(&ar->conn, &ar->rp, err)) != TN_OK ||
		(rc = tnsq_job_start(&ar->job, JOB_PREPARE, &ar->conn, &ar->rp, &ar->set, ar->target, err)) != TN_OK)
		return rc;
	ar->n = ar->job.tenants.nrows;
	if (ar->n > MAX_ATOMIC_TENANTS)
	{
		rc = tn_error_set(err, TN_ERR_TOO_LARGE, "tenant_migrate_all_atomic() handles at most %d tenants",
						  MAX_ATOMIC_TENANTS);
		tn_error_detail(err, "The registry has %zu; every tenant stays open in its transaction until all commit.", ar->n);
		tn_error_hint(err, "Use tenant_migrate_all(), which migrates each tenant on its own.");
		return rc;
	}
	if ((rc = tnsq_start_run(&ar->conn, ar->target, ar->n, TN_RUN_PREPARING, &ar->run_id, err)) != TN_OK)
		return rc;
	snprintf(ar->folder, sizeof(ar->folder), "%s.atomic-%lld", ar->rp.file, ar->run_id);
	remove_folder(ar->folder);
	if (mkdir(ar->folder, 0700) != 0)
	{
		rc = tn_error_set(err, TN_ERR_IO, "could not create the run folder \"%s\"", ar->folder);
		tn_error_detail(err, "%s.", strerror(errno));
		ar->folder[0] = '\0';
		return rc;
	}
	p[0] = tn_int8(ar->run_id);
	p[1] = tn_text(ar->folder);
	return tn_exec(&ar->conn.adapter, "INSERT INTO {T}atomic_runs (run_id, folder) VALUES ($1, $2)", 2, p, err);
}

/* Phase 1: hold, copy and migrate every tenant; note the first that failed. */
static void
atomic_prepare(atomic_run *ar)
{
	ar->job.backup_dir = ar->folder;
	tnsq_run_workers(&ar->job, ar->concurrency);
	for (size_t i = 0; i < ar->n && ar->first_failed == NONE_FAILED; i++)
		if (ar->job.rc[i] != TN_OK)
			ar->first_failed = i;
}

/* Phase 2: something failed, so nothing commits. */
static int
atomic_roll_back_all(atomic_run *ar, tn_rows *out, tn_error *err)
{
	for (size_t i = 0; i < ar->n; i++)
		if (ar->job.held[i].db)
		{
			sqlite3_exec(ar->job.held[i].db, "ROLLBACK", NULL, NULL, NULL);
			tnsq_close_tenant(&ar->job.held[i]);
		}
	return atomic_rows(out, ar, err);
}

/* Phase 3a: the durable 'committing' record (per-tenant rows and the run status). */
static int
atomic_write_commit_record(atomic_run *ar, const tn_rows *out, tn_error *err)
{
	tn_sqlite_conn *conn = &ar->conn;
	tn_value		p = tn_int8(ar->run_id);
	int				rc;

	if ((rc = conn->adapter.begin(conn, err)) != TN_OK)
		return rc;
	for (size_t r = 0; rc == TN_OK && r < out->nrows; r++)
		rc = tnsq_insert_run_tenant(conn, ar->run_id, out, r, err);
	if (rc == TN_OK)
		rc = tn_exec(&conn->adapter, "UPDATE {T}runs SET status = '" TN_RUN_COMMITTING "' WHERE run_id = $1",
					 1, &p, err);
	if (rc == TN_OK)
		return tn_finish(&conn->adapter, err);
	tn_abort(&conn->adapter, err);
	return rc;
}

/* Phase 3b: every tenant commits; the first that cannot becomes first_failed. */
static void
atomic_commit_tenants(atomic_run *ar)
{
	const char *kill_after = getenv("TENANCY_TEST_KILL_AFTER_COMMITS"); /* crash tests only */

	for (size_t i = 0; i < ar->n; i++)
	{
		tn_error cerr;

		tn_error_clear(&cerr);
		if (tn_sqlite_exec(ar->job.held[i].db, "COMMIT", &cerr) != TN_OK)
		{
			ar->job.rc[i] = cerr.code;
			ar->job.errs[i] = cerr;
			ar->first_failed = i;
			return;
		}
		ar->committed++;
		if (kill_after && (long long) ar->committed >= atoll(kill_after))
			kill(getpid(), SIGKILL);
	}
}

/* Phase 4: a commit failed; put back the tenants that committed, roll back the rest. */
static int
atomic_undo_commits(atomic_run *ar, tn_rows *out, tn_error *err)
{
	int rc = TN_OK;

	tn_rows_free(out);
	tn_rows_init(out, tn_def_migrate_all_atomic.ncols);
	for (size_t i = 0; i < ar->n; i++)
		tnsq_close_tenant(&ar->job.held[i]); /* uncommitted: closing rolls back */
	for (size_t i = 0; rc == TN_OK && i < ar->committed; i++)
		if (ar->job.res[i].applied > 0)
		{
			char  copy[4600];
			char *path = NULL;

			snprintf(copy, sizeof(copy), "%s/%s.db", ar->folder, tn_rows_get(&ar->job.tenants, i, 0));
			rc = tn_validate_tenant_path(ar->rp.dir, tn_rows_get(&ar->job.tenants, i, 1), 1, &path, err);
			if (rc == TN_OK)
				rc = restore_copy(copy, path, err);
			free(path);
		}
	if (rc != TN_OK)
	{
		tn_error_detail_append(err, "The run stays 'committing'; the next tenant_migrate_all() settles it.");
		ar->folder[0] = '\0'; /* keep the copies */
		return rc;
	}
	return atomic_rows(out, ar, err);
}

/* Phase 3 (and 4 when a commit fails): all prepared, so the record, then every commit. */
static int
atomic_commit_all(atomic_run *ar, tn_rows *out, tn_error *err)
{
	char dir[4400];
	int	 rc;

	fsync_path(ar->folder);
	snprintf(dir, sizeof(dir), "%s", ar->rp.dir);
	fsync_path(dir);
	if ((rc = atomic_rows(out, ar, err)) != TN_OK ||
		(rc = atomic_write_commit_record(ar, out, err)) != TN_OK)
		return rc; /* no record: job_free rolls every tenant back */
	ar->in_record = 1;
	atomic_commit_tenants(ar);
	if (ar->first_failed != NONE_FAILED)
		return atomic_undo_commits(ar, out, err);
	return TN_OK;
}

/* The outcome on record: per tenant, the registry's cache, the run; the run leaves atomic_runs. */
static int
atomic_record_outcome(atomic_run *ar, const tn_rows *out, tn_error *err)
{
	tn_sqlite_conn *conn = &ar->conn;
	int				all = ar->first_failed == NONE_FAILED;
	tn_value		p = tn_int8(ar->run_id);
	int				rc;

	if ((rc = conn->adapter.begin(conn, err)) != TN_OK)
		return rc;
	for (size_t i = 0; rc == TN_OK && i < ar->n; i++)
	{
		rc = tnsq_insert_run_tenant(conn, ar->run_id, out, i, err);
		if (rc == TN_OK && (all || ar->job.rc[i] != TN_OK))
			rc = tnsq_update_tenant_cache(conn, ar->run_id, &ar->job, i, out, i, err);
	}
	if (rc == TN_OK)
		rc = tnsq_finish_run(conn, ar->run_id, out, 0, all ? TN_RUN_DONE : TN_RUN_ROLLED_BACK, err);
	if (rc == TN_OK)
		rc = tn_exec(&conn->adapter, "DELETE FROM {T}atomic_runs WHERE run_id = $1", 1, &p, err);
	if (rc == TN_OK)
		return tn_finish(&conn->adapter, err);
	tn_abort(&conn->adapter, err);
	return rc;
}

/*
 * Free what the run holds.  Its copies go when it ended (rc TN_OK) or
 * failed before its commit record (then it is marked rolled back: nothing
 * committed, no settling needed); with a record they stay for atomic_settle.
 */
static int
atomic_end(atomic_run *ar, tn_rows *out, int rc)
{
	tnsq_job_free(&ar->job);
	tn_migration_set_free(&ar->set);
	if (ar->folder[0] && rc == TN_OK)
		remove_folder(ar->folder);
	else if (ar->folder[0] && !ar->in_record)
	{
		tn_value p = tn_int8(ar->run_id);
		tn_error ignored;

		remove_folder(ar->folder);
		(void) tn_exec(&ar->conn.adapter, "DELETE FROM {T}atomic_runs WHERE run_id = $1", 1, &p, &ignored);
		(void) tn_exec(&ar->conn.adapter, "UPDATE {T}runs SET status = '" TN_RUN_ROLLED_BACK "',"
										  " finished_at = strftime('%Y-%m-%d %H:%M:%f+00','now') WHERE run_id = $1 AND status = '" TN_RUN_PREPARING "'",
					   1, &p, &ignored);
	}
	atomic_unlock(ar->lockfd);
	tnsq_run_unlock(ar->runfd);
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

int
tnsq_fill_migrate_all_atomic(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	atomic_run ar;
	int		   rc;

	(void) nargs;
	memset(&ar, 0, sizeof(ar));
	ar.lockfd = -1;
	ar.runfd = -1;
	ar.first_failed = NONE_FAILED;
	tn_rows_init(out, tn_def_migrate_all_atomic.ncols);
	tn_sqlite_conn_init(&ar.conn, db);
	if ((rc = tnsq_parse_target(args[0], &ar.target, err)) != TN_OK ||
		(rc = tnsq_parse_concurrency(args[1], &ar.concurrency, err)) != TN_OK ||
		(rc = tnsq_registry_ready(&ar.conn, &ar.rp, err)) != TN_OK)
		return rc;
	if (!sqlite3_get_autocommit(db))
	{
		tn_error_set(err, TN_ERR_NO_TRANSACTION, "tenant_migrate_all_atomic() cannot run inside a transaction");
		tn_error_detail(err, "Its commit record must be durable before any tenant commits.");
		tn_error_hint(err, "Call it outside BEGIN ... COMMIT.");
		return TN_ERR_NO_TRANSACTION;
	}
	if ((rc = atomic_start(&ar, err)) != TN_OK)
		return atomic_end(&ar, out, rc);
	atomic_prepare(&ar);
	if (ar.first_failed != NONE_FAILED)
		rc = atomic_roll_back_all(&ar, out, err);
	else
		rc = atomic_commit_all(&ar, out, err);
	if (rc == TN_OK)
		rc = atomic_record_outcome(&ar, out, err);
	if (rc != TN_OK && ar.in_record)
		ar.folder[0] = '\0'; /* the record stays: keep the copies for the settling */
	return atomic_end(&ar, out, rc);
}
