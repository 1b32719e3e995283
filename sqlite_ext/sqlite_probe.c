/*
 * sqlite_probe.c -- a SQLite tenant's no-op in tenant_migrate_all answered
 * at the cost of the floor or less (issue 9, "Registry truth": every run
 * asks every tenant, and the no-op asking everyone stays within 1.2x of
 * opening each file and running one query).
 *
 * Each tenant file is opened without the tracking-table check and read
 * under one shared lock, taken by PRAGMA schema_version (which reads the
 * file header, not the schema):
 *   1. its generation stamp: file facts that change whenever the file
 *      does (the header's change counter, which SQLite increments on
 *      every commit in rollback-journal mode, the schema cookie, device,
 *      inode, size, modification time and inode change time, which no
 *      user can set back).  When the registry's kept
 *      stamp has the same facts and the same tenant set, the core says the
 *      tenant is where it was found last time (tn_fanout_stamp_current):
 *      up to date, without parsing the schema.  A file in WAL mode gives
 *      no facts (a commit there need not change the main file), so it is
 *      read in full every time;
 *   2. otherwise its tracking rows in one statement (the core's
 *      tn_fanout_probe_one_sql), judged by the core
 *      (tn_fanout_state_current_one); up to date gives a new stamp;
 *   3. anything else (work to do, tracking tables missing, rows the core
 *      cannot read) takes the full path on the same connection: the
 *      tracking tables made ready, then tn_migrate, which decides and
 *      reports as before.
 * The facts are read before opening and again under the lock: a file
 * swapped in between gives no stamp.  A tenant the run migrated is read
 * once more after its commit (the schema is parsed by then, so it costs one
 * query), so that the first no-op run after a migration finds a stamp too;
 * there the open file is checked against its path (SQLITE_FCNTL_HAS_MOVED).
 *
 * Must not: decide a tenant's state (the core does), write the tenant, or
 * wait for a lock twice (a busy file is the tenant's busy error at once).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sqlite_registry.h"
#include "sqlite_registry_internal.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3

static unsigned long
be32(const unsigned char *p)
{
	return ((unsigned long) p[0] << 24) | ((unsigned long) p[1] << 16) | ((unsigned long) p[2] << 8) | p[3];
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
		   a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
		   a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * The file facts of db's main file (its shared lock held), or "" when
 * there are none to trust: WAL mode, a header that cannot be read, or the
 * file at path not the one stat'ed before the open (before).
 */
static void
file_facts(sqlite3 *db, const char *path, const struct stat *before, char *buf, size_t size)
{
	sqlite3_file *f = NULL;
	unsigned char h[100];
	struct stat	  now;

	buf[0] = '\0';
	if (before == NULL || sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || f == NULL ||
		f->pMethods == NULL || f->pMethods->xRead(f, h, (int) sizeof(h), 0) != SQLITE_OK)
		return;
	/* bytes 18 and 19: 1 = rollback journal; 2 = WAL, where a commit need not touch this file */
	if (memcmp(h, "SQLite format 3", 16) != 0 || h[18] != 1 || h[19] != 1)
		return;
	if (stat(path, &now) != 0 || !same_file(before, &now))
		return;
	snprintf(buf, size, "rj:%llu:%llu:%lld:%lld.%09ld:%lld.%09ld:%lu:%lu", (unsigned long long) now.st_dev,
			 (unsigned long long) now.st_ino, (long long) now.st_size, (long long) now.st_mtim.tv_sec,
			 (long) now.st_mtim.tv_nsec, (long long) now.st_ctim.tv_sec, (long) now.st_ctim.tv_nsec, be32(h + 24),
			 be32(h + 40));
}

/* Tenant i is up to date at version, stamp (may be "") to keep. */
static int
up_to_date(fanout_job *job, size_t i, tn_sqlite_conn *tenant, const char *version, const char *stamp,
		   int *current, tn_error *err)
{
	tn_migrate_result *res = &job->res[i];

	snprintf(res->from_version, sizeof(res->from_version), "%s", version);
	snprintf(res->to_version, sizeof(res->to_version), "%s", version);
	res->applied = 0;
	tnsq_close_tenant(tenant);
	*current = 1;
	if (stamp[0] != '\0' && (job->stamps[i] = strdup(stamp)) == NULL)
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	return TN_OK;
}

int
tnsq_open_probed(fanout_job *job, size_t i, const char *path, tn_sqlite_conn *tenant, int *current, tn_error *err)
{
	const char	 *stored = tn_rows_get(&job->tenants, i, 2);
	char		  facts[256], version[TN_MAX_VERSION_LEN + 1], stamp[TN_STAMP_MAX];
	struct stat	  before;
	int			  have_before = stat(path, &before) == 0;
	sqlite3_stmt *lock = NULL;
	char		 *sql;
	tn_rows		  rows;
	tn_error	  probe_err;
	int			  rc;

	*current = 0;
	facts[0] = '\0';
	if ((rc = tnsq_open_tenant_file_waiting(path, OPEN_RW | OPEN_NO_SCHEMA, job->busy_ms, tenant, err)) != TN_OK)
		return rc;

	/* the shared lock, held until lock is finalized; the schema is not parsed */
	if ((rc = sqlite3_prepare_v2(tenant->db, "PRAGMA schema_version", -1, &lock, NULL)) == SQLITE_OK)
		rc = sqlite3_step(lock);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
	{
		/* the lock outlived the busy timeout: that wait is the tenant's one wait */
		rc = tn_sqlite_error(tenant->db, rc, err);
		sqlite3_finalize(lock);
		tnsq_close_tenant(tenant);
		return rc;
	}
	if (rc == SQLITE_ROW)
	{
		file_facts(tenant->db, path, have_before ? &before : NULL, facts, sizeof(facts));
		if (tn_fanout_stamp_current(stored, job->set_fp, facts, job->target, version, sizeof(version)))
		{
			sqlite3_finalize(lock);
			return up_to_date(job, i, tenant, version, stored, current, err);
		}
	}
	else
		facts[0] = '\0';

	/* the tracking rows in one statement, under the same lock */
	if ((sql = tn_fanout_probe_one_sql(TN_SQLITE_TABLE_PREFIX)) == NULL)
	{
		sqlite3_finalize(lock);
		tnsq_close_tenant(tenant);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	tn_error_clear(&probe_err);
	rc = tn_query_rows(&tenant->adapter, sql, 0, NULL, TN_PROBE_ONE_NCOLS, &rows, &probe_err);
	free(sql);
	sqlite3_finalize(lock);
	if (rc == TN_ERR_BUSY)
	{
		*err = probe_err;
		tnsq_close_tenant(tenant);
		return rc;
	}
	if (rc == TN_OK)
	{
		rc = tn_fanout_state_current_one(job->set, job->target, &rows, current, version, sizeof(version), &probe_err);
		tn_rows_free(&rows);
		if (rc == TN_OK && *current)
		{
			tn_fanout_stamp_make(stamp, sizeof(stamp), job->set_fp, facts, version);
			return up_to_date(job, i, tenant, version, stamp, current, err);
		}
		*current = 0;
	}
	/* the full path: it reads again under its own lock and reports any error as before */
	return tnsq_tenant_schema_ready(tenant, path, err);
}

/* Is db's main file still the one its path names?  (1: yes; 0: moved, deleted or unknown) */
static int
not_moved(sqlite3 *db)
{
	int moved = 1;

	return sqlite3_file_control(db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved == 0;
}

void
tnsq_stamp_after_migrate(fanout_job *job, size_t i, const char *path, tn_sqlite_conn *tenant)
{
	char		  facts[256], version[TN_MAX_VERSION_LEN + 1], stamp[TN_STAMP_MAX];
	struct stat	  before;
	sqlite3_stmt *lock = NULL;
	char		 *sql = NULL;
	tn_rows		  rows;
	tn_error	  ignored;
	int			  current = 0;

	facts[0] = '\0';
	tn_error_clear(&ignored);
	sqlite3_busy_timeout(tenant->db, 0); /* optional: a file someone else holds now keeps no stamp */
	if (job->stamps == NULL || sqlite3_prepare_v2(tenant->db, "PRAGMA schema_version", -1, &lock, NULL) != SQLITE_OK ||
		sqlite3_step(lock) != SQLITE_ROW)
		goto out;
	if (!not_moved(tenant->db) || stat(path, &before) != 0)
		goto out;
	file_facts(tenant->db, path, &before, facts, sizeof(facts));
	if (facts[0] == '\0' || !not_moved(tenant->db) || (sql = tn_fanout_probe_one_sql(TN_SQLITE_TABLE_PREFIX)) == NULL)
		goto out;
	if (tn_query_rows(&tenant->adapter, sql, 0, NULL, TN_PROBE_ONE_NCOLS, &rows, &ignored) != TN_OK)
		goto out;
	if (tn_fanout_state_current_one(job->set, job->target, &rows, &current, version, sizeof(version), &ignored) ==
			TN_OK &&
		current && strcmp(version, job->res[i].to_version) == 0 &&
		tn_fanout_stamp_make(stamp, sizeof(stamp), job->set_fp, facts, version))
		job->stamps[i] = strdup(stamp); /* NULL when out of memory: no stamp, the next run reads it */
	tn_rows_free(&rows);
out:
	free(sql);
	sqlite3_finalize(lock);
}
