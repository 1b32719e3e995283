/*
 * sqlite_query.c -- tenant_query_all's work in one tenant file: the file
 * opened read-only (PRAGMA query_only, ATTACH/DETACH denied), exactly one
 * read-only statement, and each result row as a JSON object text (values
 * typed as PostgreSQL's to_jsonb gives them).
 *
 * Must not: write to a tenant, run more than one statement, or decide
 * which tenants to visit (sqlite_fanout.c does).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "sqlite_registry_internal.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3

/* Column i of the current row as a JSON value (types as PostgreSQL's to_jsonb gives them). */
static int
json_column(tn_buf *b, sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i))
	{
		case SQLITE_INTEGER:
			return tn_buf_printf(b, "%lld", (long long) sqlite3_column_int64(st, i));
		case SQLITE_FLOAT:
		{
			double d = sqlite3_column_double(st, i);
			char   num[64];

			if (d != d)
				return tn_buf_append(b, "null", 4);
			if (d - d != 0) /* infinity: no JSON number; as SQLite's json() writes it */
				return tn_buf_append(b, d > 0 ? "9e999" : "-9e999", d > 0 ? 5 : 6);
			sqlite3_snprintf(sizeof(num), num, "%!.15g", d);
			if (strtod(num, NULL) != d)
				sqlite3_snprintf(sizeof(num), num, "%!.17g", d);
			return tn_buf_append(b, num, strlen(num));
		}
		case SQLITE_TEXT:
			return tn_json_string(b, (const char *) sqlite3_column_text(st, i),
								  (size_t) sqlite3_column_bytes(st, i));
		case SQLITE_BLOB:
		{
			/* "\x0a1b", as PostgreSQL's to_jsonb writes a bytea */
			const unsigned char *p = sqlite3_column_blob(st, i);
			int					 n = sqlite3_column_bytes(st, i);
			int					 rc = tn_buf_append(b, "\"\\\\x", 4);

			for (int k = 0; rc == TN_OK && k < n; k++)
				rc = tn_buf_printf(b, "%02x", p[k]);
			return rc == TN_OK ? tn_buf_append(b, "\"", 1) : rc;
		}
		default:
			return tn_buf_append(b, "null", 4);
	}
}

/* Deny what a read-only open does not already stop: ATTACH and DETACH. */
static int
query_authorizer(void *arg, int action, const char *a, const char *b,
				 const char *c, const char *d)
{
	(void) arg;
	(void) a;
	(void) b;
	(void) c;
	(void) d;
	return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

/* Is the SQLite error one of a file that is not a usable database? */
static int
file_is_broken(int code)
{
	code &= 0xff;
	return code == SQLITE_NOTADB || code == SQLITE_CORRUPT || code == SQLITE_CANTOPEN;
}

/* Run the job's statement in tenant i (file path): its rows into job->rows[i] as (tenant, JSON). */
int
tnsq_query_one(fanout_job *job, size_t i, const char *path)
{
	const char	 *name = tn_rows_get(&job->tenants, i, 0);
	tn_error	 *err = &job->errs[i];
	sqlite3		 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char	 *tail = NULL;
	int			  rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK)
	{
		tn_error_set(err, TN_ERR_UNREACHABLE, "cannot open tenant database \"%s\"", path);
		tn_error_detail(err, "SQLite reported: %s.", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return TN_ERR_UNREACHABLE;
	}
	sqlite3_busy_timeout(db, job->busy_ms);
	sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	sqlite3_set_authorizer(db, query_authorizer, NULL);
	rc = sqlite3_prepare_v2(db, job->sql, -1, &st, &tail);
	if (rc == SQLITE_AUTH)
		rc = tn_query_all_refuse(err, TN_QUERY_ATTACH);
	else if (rc != SQLITE_OK)
	{
		rc = tn_sqlite_error(db, rc, err);
		if (file_is_broken(sqlite3_extended_errcode(db)))
			rc = err->code = TN_ERR_UNREACHABLE;
	}
	else if (st == NULL)
		rc = tn_query_all_refuse(err, TN_QUERY_EMPTY);
	else if (!sqlite3_stmt_readonly(st))
		rc = tn_query_all_refuse(err, TN_QUERY_WRITES);
	else
	{
		/* anything after the statement but blanks, comments and ";" is a second statement */
		while (rc == SQLITE_OK && tail && *tail)
		{
			sqlite3_stmt *more = NULL;

			rc = sqlite3_prepare_v2(db, tail, -1, &more, &tail);
			if (more != NULL || rc != SQLITE_OK)
			{
				sqlite3_finalize(more);
				rc = tn_query_all_refuse(err, TN_QUERY_SEVERAL);
				break;
			}
		}
	}
	while (rc == TN_OK)
	{
		tn_buf json = { 0 };
		int	   step = sqlite3_step(st);
		int	   oom = 0;

		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW)
		{
			rc = tn_sqlite_error(db, step, err);
			if (file_is_broken(sqlite3_extended_errcode(db)))
				rc = err->code = TN_ERR_UNREACHABLE;
			break;
		}
		oom = tn_buf_append(&json, "{", 1) != TN_OK;
		for (int c = 0; !oom && c < sqlite3_column_count(st); c++)
		{
			const char *col = sqlite3_column_name(st, c);

			oom = (c > 0 && tn_buf_append(&json, ",", 1) != TN_OK) ||
				  tn_json_string(&json, col ? col : "", col ? strlen(col) : 0) != TN_OK ||
				  tn_buf_append(&json, ":", 1) != TN_OK ||
				  json_column(&json, st, c) != TN_OK;
		}
		if (!oom)
			oom = tn_buf_append(&json, "}", 1) != TN_OK;
		if (!oom)
		{
			const char *row[2] = { name, json.data };

			oom = tn_rows_add(&job->rows[i], row) != TN_OK;
		}
		tn_buf_free(&json);
		if (oom)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
