/*
 * sqlite_fallback_status.c -- tenant_fallback_status(primary), the health
 * row an application polls (never raises for an unreachable primary: it
 * says so in the row), and tenant_backup([path]) / tenant_backups(): a
 * consistent copy of the file by the backup API, recorded in
 * tenancy_backups.
 *
 * Must not: change the fallback's data or the primary (status only reads
 * both), or print the connection string.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sqlite_fallback.h"

SQLITE_EXTENSION_INIT3

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Newest version of a one-column list (tn_version_compare order) into buf. */
static void
newest(char *buf, size_t size, int n, const char *const *v)
{
	const char *best = NULL;
	int			i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && (best == NULL || tn_version_compare(v[i], best) > 0))
			best = v[i];
	snprintf(buf, size, "%s", best ? best : "");
}

static void
fallback_version(sqlite3 *db, char *buf, size_t size)
{
	sqlite3_stmt *st;
	char		**v = NULL;
	int			  n = 0;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT version FROM tenancy_applied", -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
	{
		char **grown = realloc(v, (n + 1) * sizeof(char *));

		if (grown == NULL)
			break;
		v = grown;
		v[n] = strdup((const char *) sqlite3_column_text(st, 0));
		if (v[n] != NULL)
			n++;
	}
	sqlite3_finalize(st);
	newest(buf, size, n, (const char *const *) v);
	while (n-- > 0)
		free(v[n]);
	free(v);
}

static char *
text_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	char		 *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		s = strdup((const char *) sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

int
tnfb_status(sqlite3 *db, const char *primary, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;
	PGconn		  *pg = NULL;
	tn_error	   reach;
	char		   rtt[32] = "";
	char		   pver[TN_MAX_VERSION_LEN + 1] = "";
	char		   fver[TN_MAX_VERSION_LEN + 1] = "";
	char		   changes[32];
	char		   conflicts[32];
	char		  *last_pull;
	char		  *last_push;
	char		  *reach_text = NULL;
	const char	  *row[9];
	int			   reachable = 0;
	int			   rc;

	tn_rows_init(out, tn_def_fallback_status.ncols);
	tn_sqlite_conn_init(&conn, db);
	if (primary == NULL)
		return tn_error_null_argument(err, "primary");
	if ((rc = tn_sqlite_ensure_schema(&conn, err)) != TN_OK ||
		(rc = tnfb_ensure_local(db, err)) != TN_OK)
		return rc;

	tn_error_clear(&reach);
	if (tnfb_connect(primary, &pg, &reach) == TN_OK)
	{
		long long	t0 = now_ms();
		PGresult   *r;
		const char *applied = NULL;
		char		q[64];

		if (tnfb_pq_exec(pg, "SELECT 1", 0, NULL, NULL, "the health check", &reach) == TN_OK)
		{
			reachable = 1;
			snprintf(rtt, sizeof(rtt), "%lld", now_ms() - t0);
			if (tnfb_primary_applied(pg, &applied, &reach) == TN_OK && applied != NULL &&
				snprintf(q, sizeof(q), "SELECT version FROM %s", applied) > 0 &&
				tnfb_pq_exec(pg, q, 0, NULL, &r, "the health check", &reach) == TN_OK)
			{
				const char **v = malloc((PQntuples(r) + 1) * sizeof(char *));
				int			 i;

				if (v != NULL)
				{
					for (i = 0; i < PQntuples(r); i++)
						v[i] = PQgetvalue(r, i, 0);
					newest(pver, sizeof(pver), PQntuples(r), v);
					free(v);
				}
				PQclear(r);
			}
		}
		PQfinish(pg);
	}
	if (reach.code != TN_OK)
		reach_text = tn_error_render(&reach);
	fallback_version(db, fver, sizeof(fver));
	snprintf(changes, sizeof(changes), "%lld",
			 tnfb_sqlite_int(db, "SELECT count(DISTINCT tbl || char(31) || key) FROM tenancy_fallback_changes", 0));
	snprintf(conflicts, sizeof(conflicts), "%lld",
			 tnfb_sqlite_int(db, "SELECT count(*) FROM tenancy_fallback_conflicts", 0));
	last_pull = text_of(db, "SELECT last_pull FROM tenancy_fallback_state");
	last_push = text_of(db, "SELECT last_push FROM tenancy_fallback_state");
	row[0] = reachable ? "1" : "0";
	row[1] = rtt[0] ? rtt : NULL;
	row[2] = pver[0] ? pver : NULL;
	row[3] = fver[0] ? fver : NULL;
	row[4] = changes;
	row[5] = last_pull;
	row[6] = last_push;
	row[7] = conflicts;
	row[8] = reach_text;
	rc = tn_rows_add(out, row) == TN_OK ? TN_OK : tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	free(last_pull);
	free(last_push);
	free(reach_text);
	return rc;
}

/* ---- backups ---- */

static const char *BACKUPS_SQL =
	"CREATE TABLE IF NOT EXISTS tenancy_backups("
	"  name TEXT PRIMARY KEY, path TEXT NOT NULL,"
	"  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00','now'))) WITHOUT ROWID";

void
tnfb_fn_backup(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3		 *db = sqlite3_context_db_handle(ctx);
	const char	 *file = sqlite3_db_filename(db, "main");
	const char	 *given = argc > 0 && sqlite3_value_type(argv[0]) != SQLITE_NULL
							  ? (const char *) sqlite3_value_text(argv[0])
							  : NULL;
	char		 *path = NULL;
	const char	 *name;
	sqlite3_stmt *st;
	tn_error	  err;
	struct stat	  sb;


	tn_error_clear(&err);
	if (given == NULL)
	{
		char	  stamp[32];
		char	 *dir;
		time_t	  now = time(NULL);
		struct tm tm;

		if (file == NULL || file[0] == '\0')
		{
			tn_error_set(&err, TN_ERR_INVALID_ARGUMENT, "an in-memory database has no default backup path");
			tn_error_hint(&err, "Name the file: SELECT tenant_backup('/path/to/copy.db').");
			tn_sqlite_raise(ctx, &err);
			return;
		}
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		dir = sqlite3_mprintf("%s.backups", file);
		if (dir == NULL || (mkdir(dir, 0700) != 0 && errno != EEXIST))
		{
			tn_error_set(&err, TN_ERR_IO, "could not create backup folder \"%s\": %s",
						 dir ? dir : "", strerror(errno));
			sqlite3_free(dir);
			tn_sqlite_raise(ctx, &err);
			return;
		}
		path = sqlite3_mprintf("%s/backup_%s.db", dir, stamp);
		sqlite3_free(dir);
	}
	else
		path = sqlite3_mprintf("%s", given);
	if (path == NULL)
	{
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (stat(path, &sb) == 0)
	{
		tn_error_set(&err, TN_ERR_EXISTS, "backup file \"%s\" already exists", path);
		tn_error_hint(&err, "Name another file, or wait a second for a new default name.");
		sqlite3_free(path);
		tn_sqlite_raise(ctx, &err);
		return;
	}
	if (tn_sqlite_exec(db, BACKUPS_SQL, &err) != TN_OK)
	{
		sqlite3_free(path);
		tn_sqlite_raise(ctx, &err);
		return;
	}
	/*
	 * The backup API (VACUUM INTO refuses while the calling SELECT runs):
	 * a consistent copy into "<path>.tmp", fsynced, then renamed into place.
	 */
	{
		char		   *tmp = sqlite3_mprintf("%s.tmp", path);
		sqlite3		   *to = NULL;
		sqlite3_backup *bk;
		int				rc = tmp ? sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
								 : SQLITE_NOMEM;

		if (rc == SQLITE_OK)
			rc = sqlite3_exec(to, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
		{
			if ((bk = sqlite3_backup_init(to, "main", db, "main")) == NULL)
				rc = sqlite3_errcode(to);
			else
			{
				rc = sqlite3_backup_step(bk, -1);
				rc = sqlite3_backup_finish(bk) == SQLITE_OK && rc == SQLITE_DONE ? SQLITE_OK
																				 : (rc == SQLITE_DONE ? sqlite3_errcode(to) : rc);
			}
		}
		if (rc != SQLITE_OK)
			tn_error_set(&err, TN_ERR_IO, "could not write backup \"%s\": %s", path,
						 to ? sqlite3_errmsg(to) : sqlite3_errstr(rc));
		sqlite3_close(to);
		if (rc == SQLITE_OK && rename(tmp, path) != 0)
			tn_error_set(&err, TN_ERR_IO, "could not write backup \"%s\": %s", path, strerror(errno));
		if (err.code != TN_OK && tmp != NULL)
			remove(tmp);
		sqlite3_free(tmp);
		if (err.code != TN_OK)
		{
			sqlite3_free(path);
			tn_sqlite_raise(ctx, &err);
			return;
		}
	}
	name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO tenancy_backups(name, path) VALUES (?1, ?2)",
						   -1, &st, NULL) == SQLITE_OK)
	{
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			tn_sqlite_error(db, sqlite3_errcode(db), &err);
		sqlite3_finalize(st);
	}
	else
		tn_sqlite_error(db, sqlite3_errcode(db), &err);
	if (err.code != TN_OK)
	{
		sqlite3_free(path);
		tn_sqlite_raise(ctx, &err);
		return;
	}
	sqlite3_result_text(ctx, path, -1, sqlite3_free);
}

int
tnfb_fill_backups(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	sqlite3_stmt *st;
	int			  rc;

	(void) nargs;
	(void) args;
	tn_rows_init(out, tn_def_backups.ncols);
	if (tn_sqlite_exec(db, BACKUPS_SQL, err) != TN_OK)
		return err->code;
	if ((rc = sqlite3_prepare_v2(db, "SELECT name, path, created_at FROM tenancy_backups ORDER BY created_at, name",
								 -1, &st, NULL)) != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		struct stat sb;
		char		bytes[32];
		const char *row[4];

		row[0] = (const char *) sqlite3_column_text(st, 0);
		row[1] = (const char *) sqlite3_column_text(st, 1);
		row[2] = (const char *) sqlite3_column_text(st, 2);
		row[3] = NULL;
		if (stat(row[1], &sb) == 0)
		{
			snprintf(bytes, sizeof(bytes), "%lld", (long long) sb.st_size);
			row[3] = bytes; /* NULL: the file is gone */
		}
		if (tn_rows_add(out, row) != TN_OK)
		{
			sqlite3_finalize(st);
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TN_OK : tn_sqlite_error(db, rc, err);
}

int
tnfb_fill_status(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	(void) nargs;
	return tnfb_status(db, args[0] ? (const char *) sqlite3_value_text(args[0]) : NULL, out, err);
}
