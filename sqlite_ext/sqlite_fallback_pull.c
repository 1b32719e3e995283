/*
 * sqlite_fallback_pull.c -- tenant_fallback_pull(primary [, tables]): copy
 * the primary's application tables into this SQLite file.  One REPEATABLE
 * READ READ ONLY snapshot on the primary, each table streamed through a
 * cursor (memory bounded by one fetch of 2,000 rows), everything written in one
 * SQLite transaction (a failure leaves the file as it was), tables in
 * foreign-key order.  Before copying, the fallback is brought to the
 * primary's applied version (when the primary has tenancy).  Each row's
 * hash on the primary is kept for the conflict check of a later push,
 * and change-capture triggers are (re)made.
 *
 * Must not: write to the primary, drop changes not yet pushed, or decide
 * a type or an order itself (shared/tn_fallback_*.c does).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_fallback.h"

SQLITE_EXTENSION_INIT3

static int
table_exists(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int			  found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?1",
						   -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* The fallback's table must have every column the primary's has. */
static int
check_columns(sqlite3 *db, const tnfb_table *t, tn_error *err)
{
	sqlite3_stmt *st;
	int			  j;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
						   -1, &st, NULL) != SQLITE_OK)
		return tn_sqlite_error(db, sqlite3_errcode(db), err);
	for (j = 0; j < t->ncols; j++)
	{
		int found;

		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, t->cols[j].name, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!found)
		{
			sqlite3_finalize(st);
			tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
						 "table \"%s\" of the fallback has no column \"%s\"", t->name, t->cols[j].name);
			tn_error_detail(err, "The primary's table has it; the fallback's schema is not the primary's.");
			tn_error_hint(err, "Add the column with a sqlite migration of the tenant set, or drop the fallback's table so that the pull creates it.");
			return err->code;
		}
	}
	sqlite3_finalize(st);
	return TN_OK;
}

static int
create_table(sqlite3 *db, const tnfb_table *t, tn_error *err)
{
	tn_buf sql = { 0 };
	int	   j;
	int	   rc = tn_buf_printf(&sql, "CREATE TABLE ");

	if (rc == TN_OK)
		rc = tn_fb_quote_ident(t->name, &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, " (");
	for (j = 0; rc == TN_OK && j < t->ncols; j++)
	{
		rc = tn_buf_printf(&sql, "%s", j ? ", " : "");
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(t->cols[j].name, &sql);
		if (rc == TN_OK)
			rc = tn_buf_printf(&sql, " %s", tn_fb_sqlite_decl(t->cols[j].kind));
	}
	if (rc == TN_OK && t->npk > 0)
	{
		rc = tn_buf_printf(&sql, ", PRIMARY KEY (");
		for (j = 0; rc == TN_OK && j < t->npk; j++)
		{
			rc = tn_buf_printf(&sql, "%s", j ? ", " : "");
			if (rc == TN_OK)
				rc = tn_fb_quote_ident(t->pk[j], &sql);
		}
		if (rc == TN_OK)
			rc = tn_buf_printf(&sql, ")");
	}
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, ")");
	if (rc != TN_OK)
		rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	else
		rc = tn_sqlite_exec(db, sql.data, err);
	tn_buf_free(&sql);
	return rc;
}

/* Record the table's description for push (tenancy_fallback_tables). */
static int
record_table(sqlite3 *db, const tnfb_table *t, int ord, tn_error *err)
{
	sqlite3_stmt *st;
	char		 *cols = NULL;
	int			  j;
	int			  rc;

	rc = sqlite3_prepare_v2(db,
							"SELECT json_insert(coalesce(?1, '[]'), '$[#]',"
							" json_object('n', ?2, 't', ?3, 'k', ?4, 'g', ?5, 'p', ?6))",
							-1, &st, NULL);
	if (rc != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	for (j = 0; j < t->ncols; j++)
	{
		sqlite3_bind_text(st, 1, cols, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, t->cols[j].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, t->cols[j].type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, tn_fb_kind_name(t->cols[j].kind), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 5, t->cols[j].generated);
		sqlite3_bind_int(st, 6, t->cols[j].pkpos);
		if (sqlite3_step(st) != SQLITE_ROW)
		{
			sqlite3_free(cols);
			rc = tn_sqlite_error(db, sqlite3_errcode(db), err);
			sqlite3_finalize(st);
			return rc;
		}
		sqlite3_free(cols);
		cols = sqlite3_mprintf("%s", (const char *) sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO tenancy_fallback_tables(name, ord, columns) VALUES (?1, ?2, ?3)",
							-1, &st, NULL);
	if (rc == SQLITE_OK)
	{
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, ord);
		sqlite3_bind_text(st, 3, cols ? cols : "[]", -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
		sqlite3_finalize(st);
	}
	sqlite3_free(cols);
	return rc == SQLITE_OK ? TN_OK : tn_sqlite_error(db, rc, err);
}

/*
 * Stream one table of the primary into the fallback: COPY (SELECT <pull
 * expressions> FROM t) TO STDOUT, each line split (tn_fb_copy_split) and
 * bound to one prepared INSERT.  Memory is one line whatever the table's
 * size.  Nothing is recorded per row: the capture triggers keep a row's
 * pulled form when it is first changed.  *count receives the rows copied.
 */
static int
copy_table(sqlite3 *db, PGconn *pg, const tnfb_table *t, long long *count, tn_error *err)
{
	tn_buf		  sel = { 0 };
	tn_buf		  ins = { 0 };
	sqlite3_stmt *st = NULL;
	PGresult	 *r;
	char		**fields = NULL;
	int			 *isnull = NULL;
	char		 *line = NULL;
	int			  n;
	int			  j;
	int			  rc;

	*count = 0;
	rc = tn_buf_printf(&sel, "COPY (SELECT ");
	if (rc == TN_OK)
		rc = tnfb_pull_exprs(t, "tenancy_t", &sel);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sel, " FROM ");
	if (rc == TN_OK)
		rc = tn_fb_quote_ident(t->name, &sel);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sel, " AS tenancy_t) TO STDOUT");
	if (rc == TN_OK)
		rc = tnfb_insert_sql(t, &ins);
	if (rc != TN_OK || (fields = malloc((t->ncols + 1) * sizeof(char *))) == NULL ||
		(isnull = malloc((t->ncols + 1) * sizeof(int))) == NULL)
	{
		rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(db, ins.data, -1, &st, NULL) != SQLITE_OK)
	{
		rc = tn_sqlite_error(db, sqlite3_errcode(db), err);
		goto out;
	}
	r = PQexec(pg, sel.data);
	if (PQresultStatus(r) != PGRES_COPY_OUT)
	{
		rc = tnfb_pq_error(pg, r, "the copy", err);
		PQclear(r);
		goto out;
	}
	PQclear(r);
	while ((n = PQgetCopyData(pg, &line, 0)) > 0)
	{
		if (rc == TN_OK)
			rc = tn_fb_copy_split(line, (size_t) n, t->ncols, fields, isnull, err);
		for (j = 0; rc == TN_OK && j < t->ncols; j++)
			rc = tnfb_bind_pulled(st, j + 1, &t->cols[j], fields[j], isnull[j], err);
		if (rc == TN_OK)
		{
			int src = sqlite3_step(st);

			if (src != SQLITE_DONE)
				rc = tn_sqlite_error(db, src, err);
			sqlite3_reset(st);
			(*count)++;
		}
		/* after a failure the rest of the stream is read and dropped */
		PQfreemem(line);
	}
	r = PQgetResult(pg);
	if (n == -2 || PQresultStatus(r) != PGRES_COMMAND_OK)
	{
		tn_error pqerr;

		tn_error_clear(&pqerr);
		tnfb_pq_error(pg, r, "the copy", &pqerr);
		if (rc == TN_OK)
			rc = (*err = pqerr).code;
	}
	PQclear(r);
	while ((r = PQgetResult(pg)) != NULL)
		PQclear(r);
	if (rc != TN_OK && err->code == TN_ERR_ENGINE && strstr(err->message, "table") == NULL)
		tn_error_detail_append(err, "While copying table \"%s\".", t->name);

out:
	sqlite3_finalize(st);
	free(fields);
	free(isnull);
	tn_buf_free(&sel);
	tn_buf_free(&ins);
	return rc;
}

/* The fallback's applied versions. */
static int
fallback_versions(sqlite3 *db, tn_rows *out, tn_error *err)
{
	sqlite3_stmt *st;
	int			  rc;

	tn_rows_init(out, 1);
	if ((rc = sqlite3_prepare_v2(db, "SELECT version FROM tenancy_applied", -1, &st, NULL)) != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		const char *v[1] = { (const char *) sqlite3_column_text(st, 0) };

		if (tn_rows_add(out, v) != TN_OK)
		{
			sqlite3_finalize(st);
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TN_OK : tn_sqlite_error(db, rc, err);
}

/*
 * Bring the fallback to the primary's applied version: refuse when the
 * primary is behind or the lists differ (tn_fb_check_versions), migrate
 * to the primary's newest, check again.  *primary_version: the newest.
 */
static int
match_versions(tn_sqlite_conn *conn, PGconn *pg, const char *applied, char *primary_version,
			   size_t size, tn_error *err)
{
	PGresult	*r;
	tn_rows		 fb;
	const char **pr = NULL;
	const char	*target = NULL;
	int			 i;
	int			 rc;
	char		 q[64];

	primary_version[0] = '\0';

	snprintf(q, sizeof(q), "SELECT version FROM %s", applied);
	if (tnfb_pq_exec(pg, q, 0, NULL, &r, "the version check", err) != TN_OK)
		return err->code;
	pr = malloc((PQntuples(r) + 1) * sizeof(char *));
	if (pr == NULL)
	{
		PQclear(r);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	for (i = 0; i < PQntuples(r); i++)
		pr[i] = PQgetvalue(r, i, 0);
	rc = fallback_versions(conn->db, &fb, err);
	if (rc == TN_OK)
		rc = tn_fb_check_versions(pr, PQntuples(r), (const char *const *) fb.cells, fb.nrows, 0,
								  &target, err);
	if (rc == TN_OK && target != NULL)
	{
		tn_migrate_opts	  opts = { 0 };
		tn_migrate_result res;

		opts.target = target;
		snprintf(primary_version, size, "%s", target);
		rc = tn_migrate(&conn->adapter, &opts, &res, err);
		tn_migrate_result_free(&res);
		if (rc == TN_ERR_NOT_FOUND)
			tn_error_hint(err, "The primary is at version %s: load the sqlite migrations of the tenant set into the fallback (tenant_migrations_load) first.",
						  target);
	}
	if (rc == TN_OK)
	{
		tn_rows_free(&fb);
		rc = fallback_versions(conn->db, &fb, err);
		if (rc == TN_OK)
			rc = tn_fb_check_versions(pr, PQntuples(r), (const char *const *) fb.cells, fb.nrows, 1,
									  &target, err);
	}
	tn_rows_free(&fb);
	free(pr);
	PQclear(r);
	return rc;
}

int
tnfb_pull(sqlite3 *db, const char *primary, const char *only, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;
	PGconn		  *pg = NULL;
	tnfb_tables	   ts = { 0 };
	char		   version[TN_MAX_VERSION_LEN + 1] = "";
	const char	  *applied = NULL;
	int			   savepoint = 0;
	int			   in_txn = 0;
	size_t		   i;
	int			   rc;

	tn_rows_init(out, tn_def_fallback_pull.ncols);
	tn_sqlite_conn_init(&conn, db);
	if (primary == NULL)
		return tn_error_null_argument(err, "primary");
	if ((rc = tn_sqlite_ensure_schema(&conn, err)) != TN_OK ||
		(rc = tnfb_connect(primary, &pg, err)) != TN_OK)
		return rc;
	if ((rc = tnfb_pq_exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL,
						   "the snapshot", err)) != TN_OK ||
		(rc = tnfb_primary_applied(pg, &applied, err)) != TN_OK ||
		(rc = tnfb_read_tables(pg, only, &ts, err)) != TN_OK)
		goto out;
	if ((rc = tnfb_begin(db, &savepoint, err)) != TN_OK)
		goto out;
	in_txn = 1;
	if ((rc = tnfb_ensure_local(db, err)) != TN_OK)
		goto out;
	if (tnfb_sqlite_int(db, "SELECT count(*) FROM tenancy_fallback_changes", 0) > 0 ||
		tnfb_sqlite_int(db, "SELECT pending_push IS NOT NULL FROM tenancy_fallback_state", 0))
	{
		rc = tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "the fallback has changes that were not pushed");
		tn_error_detail(err, "%lld change(s) recorded since the last pull or push would be overwritten.",
						tnfb_sqlite_int(db, "SELECT count(*) FROM tenancy_fallback_changes", 0));
		tn_error_hint(err, "Push them first: SELECT * FROM tenant_fallback_push(primary).");
		goto out;
	}
	if (applied != NULL &&
		(rc = match_versions(&conn, pg, applied, version, sizeof(version), err)) != TN_OK)
		goto out;
	for (i = 0; i < ts.n; i++)
	{
		tnfb_table *t = &ts.t[i];
		tn_buf		sql = { 0 };
		long long	count = 0;
		char		num[32];
		const char *row[2];

		if (!table_exists(db, t->name))
			rc = create_table(db, t, err);
		else
			rc = check_columns(db, t, err);
		if (rc == TN_OK)
		{
			rc = tn_fb_drop_trigger_sql(t->name, &sql);
			if (rc == TN_OK)
				rc = tn_buf_printf(&sql, "DELETE FROM ");
			if (rc == TN_OK)
				rc = tn_fb_quote_ident(t->name, &sql);
			if (rc == TN_OK)
				rc = tn_buf_printf(&sql, "; DELETE FROM tenancy_fallback_rows WHERE tbl = ");
			if (rc == TN_OK)
				rc = tn_fb_quote_literal(t->name, &sql);
			rc = rc == TN_OK ? tn_sqlite_exec(db, sql.data, err)
							 : tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
			tn_buf_free(&sql);
		}
		if (rc == TN_OK)
			rc = copy_table(db, pg, t, &count, err);
		if (rc == TN_OK)
			rc = tnfb_make_capture(db, t, err);
		if (rc == TN_OK)
			rc = record_table(db, t, (int) i, err);
		if (rc != TN_OK)
			goto out;
		snprintf(num, sizeof(num), "%lld", count);
		row[0] = t->name;
		row[1] = num;
		if (tn_rows_add(out, row) != TN_OK)
		{
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
	}
	{
		sqlite3_stmt *st;

		rc = sqlite3_prepare_v2(db,
								"UPDATE tenancy_fallback_state SET last_pull = strftime('%Y-%m-%d %H:%M:%f+00','now'),"
								" primary_version = ?1",
								-1, &st, NULL);
		if (rc == SQLITE_OK)
		{
			if (version[0])
				sqlite3_bind_text(st, 1, version, -1, SQLITE_STATIC);
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
			sqlite3_finalize(st);
		}
		if (rc == SQLITE_OK)
			/*
			 * Writes of the migrations run above fired the capture triggers:
			 * the primary made them itself.  (Nothing else was recorded: the
			 * pull refused recorded changes and holds the write lock.)
			 */
			rc = tn_sqlite_exec(db, "DELETE FROM tenancy_fallback_conflicts; DELETE FROM tenancy_fallback_changes", err);
		else
			rc = tn_sqlite_error(db, rc, err);
		if (rc != TN_OK)
			goto out;
	}
	rc = tnfb_commit(db, savepoint, err);
	in_txn = rc != TN_OK;

out:
	if (in_txn)
		tnfb_rollback(db, savepoint);
	if (rc != TN_OK)
		tn_rows_free(out);
	tnfb_tables_free(&ts);
	PQfinish(pg);
	return rc;
}

int
tnfb_fill_pull(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	return tnfb_pull(db, args[0] ? (const char *) sqlite3_value_text(args[0]) : NULL,
					 nargs > 1 && args[1] ? (const char *) sqlite3_value_text(args[1]) : NULL, out, err);
}
