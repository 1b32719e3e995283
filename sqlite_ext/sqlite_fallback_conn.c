/*
 * sqlite_fallback_conn.c -- what the fallback functions share: the libpq
 * connection to the primary (no password in the connection string, the
 * session settings the type mapping needs), the fallback's own tables in
 * the SQLite file, our transaction on the caller's connection, and the
 * primary's table list (columns, primary keys, foreign-key order).
 *
 * Must not: print or store a connection string (its host, port and
 * database are all an error names), decide a type, an order or a
 * conflict (the core does: shared/tn_fallback_*.c).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_fallback.h"

SQLITE_EXTENSION_INIT3

static const char *LOCAL_SQL =
	"CREATE TABLE IF NOT EXISTS tenancy_fallback_tables("
	"  name TEXT PRIMARY KEY, ord INTEGER NOT NULL, columns TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS tenancy_fallback_rows("
	"  tbl TEXT NOT NULL, key TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (tbl, key)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS tenancy_fallback_changes("
	"  id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, key TEXT NOT NULL, op TEXT NOT NULL,"
	"  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00','now')));"
	"CREATE INDEX IF NOT EXISTS tenancy_fallback_changes_key ON tenancy_fallback_changes(tbl, key);"
	"CREATE TABLE IF NOT EXISTS tenancy_fallback_conflicts("
	"  tbl TEXT NOT NULL, key TEXT NOT NULL, op TEXT NOT NULL,"
	"  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00','now')));"
	"CREATE TABLE IF NOT EXISTS tenancy_fallback_state("
	"  id INTEGER PRIMARY KEY CHECK (id = 1), primary_version TEXT, last_pull TEXT, last_push TEXT,"
	"  pending_push TEXT, pending_upto INTEGER);"
	"INSERT OR IGNORE INTO tenancy_fallback_state(id) VALUES (1);";

int
tnfb_sqlite_exec(sqlite3 *db, const char *sql, tn_error *err)
{
	return tn_sqlite_exec(db, sql, err);
}

long long
tnfb_sqlite_int(sqlite3 *db, const char *sql, long long dflt)
{
	sqlite3_stmt *st;
	long long	  v = dflt;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
tnfb_ensure_local(sqlite3 *db, tn_error *err)
{
	return tn_sqlite_exec(db, LOCAL_SQL, err);
}

int
tnfb_begin(sqlite3 *db, int *savepoint, tn_error *err)
{
	*savepoint = !sqlite3_get_autocommit(db);
	if (*savepoint)
		return tn_sqlite_exec(db, "SAVEPOINT tenancy_fallback", err);
	if (tnfb_sqlite_int(db, "PRAGMA busy_timeout", 0) == 0)
		sqlite3_busy_timeout(db, 5000);
	return tn_sqlite_exec(db, "BEGIN IMMEDIATE", err);
}

int
tnfb_commit(sqlite3 *db, int savepoint, tn_error *err)
{
	return tn_sqlite_exec(db, savepoint ? "RELEASE tenancy_fallback" : "COMMIT", err);
}

void
tnfb_rollback(sqlite3 *db, int savepoint)
{
	tn_error ignored;

	tn_error_clear(&ignored);
	if (savepoint)
		tn_sqlite_exec(db, "ROLLBACK TO tenancy_fallback; RELEASE tenancy_fallback", &ignored);
	else if (!sqlite3_get_autocommit(db))
		tn_sqlite_exec(db, "ROLLBACK", &ignored);
}

/* ---- libpq ---- */

/* The first line of a libpq message, without the trailing newline. */
static void
first_line(const char *msg, char *buf, size_t size)
{
	size_t n = 0;

	if (msg == NULL)
		msg = "";
	while (msg[n] && msg[n] != '\n' && n + 1 < size)
	{
		buf[n] = msg[n];
		n++;
	}
	buf[n] = '\0';
}

int
tnfb_pq_error(PGconn *pg, const PGresult *res, const char *what, tn_error *err)
{
	char		line[TN_MESSAGE_MAX];
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (pg == NULL || PQstatus(pg) != CONNECTION_OK ||
		(state != NULL && tn_fanout_sqlstate_unreachable(state)) ||
		(res == NULL && PQstatus(pg) != CONNECTION_OK))
	{
		first_line(pg ? PQerrorMessage(pg) : "out of memory", line, sizeof(line));
		tn_error_set(err, TN_ERR_UNREACHABLE, "lost the connection to the primary during %s", what);
		tn_error_detail(err, "%s", line[0] ? line : "The server closed the connection.");
		tn_error_hint(err, "Nothing was changed on the primary unless it committed; run the call again when the primary is back.");
		return err->code;
	}
	if (res != NULL && PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) != NULL)
	{
		const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

		tn_error_set(err, TN_ERR_ENGINE, "primary failed during %s: %s", what,
					 PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		if (state != NULL)
			snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
		if (detail != NULL)
			tn_error_detail(err, "%s", detail);
		return err->code;
	}
	first_line(PQerrorMessage(pg), line, sizeof(line));
	tn_error_set(err, TN_ERR_ENGINE, "primary failed during %s: %s", what, line);
	return err->code;
}

int
tnfb_pq_exec(PGconn *pg, const char *sql, int nparams, const char *const *values,
			 PGresult **res, const char *what, tn_error *err)
{
	/* without parameters: PQexec, which also takes several statements */
	PGresult	  *r = nparams == 0 ? PQexec(pg, sql)
									: PQexecParams(pg, sql, nparams, NULL, values, NULL, NULL, 0);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (res != NULL)
		*res = NULL;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
	{
		tnfb_pq_error(pg, r, what, err);
		PQclear(r);
		return err->code;
	}
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return TN_OK;
}

static void
ignore_notice(void *arg, const char *message)
{
	(void) arg;
	(void) message;
}

int
tnfb_connect(const char *conninfo, PGconn **out, tn_error *err)
{
	PQconninfoOption *opts;
	PQconninfoOption *o;
	char			 *parse_err = NULL;
	const char		 *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char		 *vals[] = { "5", "tenancy_fallback", conninfo, NULL };
	PGconn			 *pg;
	PGresult		 *r;

	*out = NULL;
	if (conninfo == NULL)
		return tn_error_null_argument(err, "primary");
	opts = PQconninfoParse(conninfo, &parse_err);
	if (opts == NULL)
	{
		/* libpq's parse message never repeats the string's values */
		char line[TN_MESSAGE_MAX];

		first_line(parse_err, line, sizeof(line));
		PQfreemem(parse_err);
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "primary is not a valid connection string");
		tn_error_detail(err, "%s", line);
		return err->code;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0')
		{
			PQconninfoFree(opts);
			tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "primary must not contain a password");
			tn_error_detail(err, "A connection string is shown in errors and kept by applications; a password there would be readable.");
			tn_error_hint(err, "Put the password in a password file or a service file and name it in the connection string (passfile=... or service=...).");
			return err->code;
		}
	PQconninfoFree(opts);

	pg = PQconnectdbParams(keys, vals, 1);
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK)
	{
		char line[TN_MESSAGE_MAX];

		first_line(pg ? PQerrorMessage(pg) : "out of memory", line, sizeof(line));
		PQfinish(pg);
		tn_error_set(err, TN_ERR_UNREACHABLE, "could not connect to the primary");
		tn_error_detail(err, "%s", line);
		return err->code;
	}
	/* notices ("already exists, skipping") must not reach the application's stderr */
	PQsetNoticeProcessor(pg, ignore_notice, NULL);
	r = PQexec(pg, tn_fb_session_sql);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
	{
		tnfb_pq_error(pg, r, "session setup", err);
		PQclear(r);
		PQfinish(pg);
		return err->code;
	}
	PQclear(r);
	*out = pg;
	return TN_OK;
}

int
tnfb_primary_applied(PGconn *pg, const char **rel, tn_error *err)
{
	PGresult *r;

	/* a schema tenant keeps <schema>.tenancy_applied (its search_path finds it) */
	if (tnfb_pq_exec(pg, "SELECT pg_catalog.to_regclass('tenancy_applied') IS NOT NULL,"
						 " pg_catalog.to_regclass('tenancy.applied') IS NOT NULL",
					 0, NULL, &r, "the version check", err) != TN_OK)
		return err->code;
	*rel = NULL;
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0)
		*rel = "tenancy_applied";
	else if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 1), "t") == 0)
		*rel = "tenancy.applied";
	PQclear(r);
	return TN_OK;
}

/* ---- table descriptions ---- */

static void
table_free(tnfb_table *t)
{
	int j;

	for (j = 0; j < t->ncols; j++)
	{
		free(t->cols[j].name);
		free(t->cols[j].type);
	}
	free(t->cols);
	free(t->pk);
	free(t->name);
}

void
tnfb_tables_free(tnfb_tables *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		table_free(&ts->t[i]);
	free(ts->t);
	ts->t = NULL;
	ts->n = 0;
}

/* Append a column to the last table (a new table when name differs). */
static int
add_col(tnfb_tables *ts, const char *table, const char *col, const char *type,
		tn_fb_kind kind, int generated, int pkpos, tn_error *err)
{
	tnfb_table *t = ts->n ? &ts->t[ts->n - 1] : NULL;
	tnfb_col   *c;

	if (t == NULL || strcmp(t->name, table) != 0)
	{
		tnfb_table *grown = realloc(ts->t, (ts->n + 1) * sizeof(*grown));

		if (grown == NULL)
			return tnfb_oom(err);
		ts->t = grown;
		t = &ts->t[ts->n++];
		memset(t, 0, sizeof(*t));
		if ((t->name = tnfb_strdup(table)) == NULL)
			return tnfb_oom(err);
	}
	c = realloc(t->cols, (t->ncols + 1) * sizeof(*c));
	if (c == NULL)
		return tnfb_oom(err);
	t->cols = c;
	c = &t->cols[t->ncols++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->generated = generated;
	c->pkpos = pkpos;
	if ((c->name = tnfb_strdup(col)) == NULL || (c->type = tnfb_strdup(type)) == NULL)
		return tnfb_oom(err);
	return TN_OK;
}

/* pk[] in key order, after every column is in. */
static int
finish_tables(tnfb_tables *ts, tn_error *err)
{
	size_t i;
	int	   j;

	for (i = 0; i < ts->n; i++)
	{
		tnfb_table *t = &ts->t[i];

		t->npk = 0;
		for (j = 0; j < t->ncols; j++)
			if (t->cols[j].pkpos > t->npk)
				t->npk = t->cols[j].pkpos;
		if (t->npk == 0)
			continue;
		if ((t->pk = calloc(t->npk, sizeof(char *))) == NULL)
			return tnfb_oom(err);
		for (j = 0; j < t->ncols; j++)
			if (t->cols[j].pkpos > 0)
				t->pk[t->cols[j].pkpos - 1] = t->cols[j].name;
	}
	return TN_OK;
}

static tn_fb_kind
kind_from_name(const char *name)
{
	int k;

	for (k = TN_FB_BOOL; k <= TN_FB_OTHER; k++)
		if (strcmp(tn_fb_kind_name((tn_fb_kind) k), name) == 0)
			return (tn_fb_kind) k;
	return TN_FB_OTHER;
}

static const char *COLUMNS_SQL =
	"WITH RECURSIVE ns AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = pg_catalog.current_schema()),"
	" cols AS ("
	"  SELECT c.relname, a.attname, a.attnum, a.atttypid AS t,"
	"         pg_catalog.format_type(a.atttypid, a.atttypmod) AS ftype, a.attgenerated <> '' AS gen,"
	"         (SELECT pg_catalog.array_position(k.conkey, a.attnum) FROM pg_catalog.pg_constraint k"
	"           WHERE k.conrelid = c.oid AND k.contype = 'p') AS pkpos"
	"    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a"
	"      ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
	"   WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
	"     AND c.relname NOT LIKE 'tenancy\\_%'"
	"  UNION ALL"
	"  SELECT cols.relname, cols.attname, cols.attnum, ty.typbasetype, cols.ftype, cols.gen, cols.pkpos"
	"    FROM cols JOIN pg_catalog.pg_type ty ON ty.oid = cols.t WHERE ty.typtype = 'd')"
	" SELECT cols.relname, cols.attname, cols.ftype, pg_catalog.format_type(ty.oid, NULL),"
	"        ty.typtype, ty.typcategory, cols.gen, coalesce(cols.pkpos, 0)"
	"   FROM cols JOIN pg_catalog.pg_type ty ON ty.oid = cols.t"
	"  WHERE ty.typtype <> 'd' ORDER BY cols.relname COLLATE \"C\", cols.attnum";

static const char *FKEYS_SQL =
	"SELECT c.relname, p.relname FROM pg_catalog.pg_constraint k"
	"  JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_class p ON p.oid = k.confrelid"
	" WHERE k.contype = 'f'"
	"   AND c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = pg_catalog.current_schema())"
	"   AND p.relnamespace = c.relnamespace";

static int
table_index(const tnfb_tables *ts, const char *name)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		if (strcmp(ts->t[i].name, name) == 0)
			return (int) i;
	return -1;
}

/* Keep only the tables named in only (comma-separated, spaces ignored). */
static int
filter_tables(tnfb_tables *ts, const char *only, tn_error *err)
{
	char  *list = tnfb_strdup(only);
	char  *keep;
	char  *tok;
	char  *save = NULL;
	size_t i;
	size_t w = 0;

	if (list == NULL || (keep = calloc(ts->n ? ts->n : 1, 1)) == NULL)
	{
		free(list);
		return tnfb_oom(err);
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
	{
		char *end;
		int	  idx;

		while (*tok == ' ')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && end[-1] == ' ')
			*--end = '\0';
		if (*tok == '\0')
			continue;
		if ((idx = table_index(ts, tok)) < 0)
		{
			tn_error_set(err, TN_ERR_NOT_FOUND, "table \"%s\" does not exist on the primary", tok);
			tn_error_detail(err, "Only tables of the primary's current schema are copied.");
			free(list);
			free(keep);
			return err->code;
		}
		keep[idx] = 1;
	}
	free(list);
	for (i = 0; i < ts->n; i++)
	{
		if (keep[i])
			ts->t[w++] = ts->t[i];
		else
			table_free(&ts->t[i]);
	}
	ts->n = w;
	free(keep);
	return TN_OK;
}

int
tnfb_read_tables(PGconn *pg, const char *only, tnfb_tables *out, tn_error *err)
{
	PGresult   *r;
	int			i;
	int		   *child = NULL;
	int		   *parent = NULL;
	int		   *order = NULL;
	tnfb_table *sorted = NULL;
	size_t		nedges = 0;
	size_t		k;

	memset(out, 0, sizeof(*out));
	if (tnfb_pq_exec(pg, COLUMNS_SQL, 0, NULL, &r, "reading the table list", err) != TN_OK)
		return err->code;
	for (i = 0; i < PQntuples(r); i++)
	{
		tn_fb_kind kind = tn_fb_type_kind(PQgetvalue(r, i, 3), PQgetvalue(r, i, 4)[0],
										  PQgetvalue(r, i, 5)[0]);

		if (add_col(out, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), kind,
					PQgetvalue(r, i, 6)[0] == 't', atoi(PQgetvalue(r, i, 7)), err) != TN_OK)
		{
			PQclear(r);
			tnfb_tables_free(out);
			return err->code;
		}
	}
	PQclear(r);
	if (finish_tables(out, err) != TN_OK ||
		(only != NULL && filter_tables(out, only, err) != TN_OK))
	{
		tnfb_tables_free(out);
		return err->code;
	}
	if (tnfb_pq_exec(pg, FKEYS_SQL, 0, NULL, &r, "reading foreign keys", err) != TN_OK)
	{
		tnfb_tables_free(out);
		return err->code;
	}
	child = malloc((PQntuples(r) + 1) * sizeof(int));
	parent = malloc((PQntuples(r) + 1) * sizeof(int));
	order = malloc((out->n + 1) * sizeof(int));
	sorted = malloc((out->n + 1) * sizeof(tnfb_table));
	if (child == NULL || parent == NULL || order == NULL || sorted == NULL)
	{
		tnfb_oom(err);
		goto fail;
	}
	for (i = 0; i < PQntuples(r); i++)
	{
		int c = table_index(out, PQgetvalue(r, i, 0));
		int p = table_index(out, PQgetvalue(r, i, 1));

		if (c >= 0 && p >= 0)
		{
			child[nedges] = c;
			parent[nedges++] = p;
		}
	}
	if (tn_fb_fk_order(out->n, nedges, child, parent, order, &out->cyclic, err) != TN_OK)
		goto fail;
	for (k = 0; k < out->n; k++)
		sorted[k] = out->t[order[k]];
	memcpy(out->t, sorted, out->n * sizeof(tnfb_table));
	PQclear(r);
	free(child);
	free(parent);
	free(order);
	free(sorted);
	return TN_OK;

fail:
	PQclear(r);
	free(child);
	free(parent);
	free(order);
	free(sorted);
	tnfb_tables_free(out);
	return err->code;
}

int
tnfb_load_tables(sqlite3 *db, tnfb_tables *out, tn_error *err)
{
	sqlite3_stmt *st;
	int			  rc;

	memset(out, 0, sizeof(*out));
	rc = sqlite3_prepare_v2(db,
							"SELECT t.name, json_extract(j.value, '$.n'), json_extract(j.value, '$.t'),"
							" json_extract(j.value, '$.k'), json_extract(j.value, '$.g'), json_extract(j.value, '$.p')"
							" FROM tenancy_fallback_tables t, json_each(t.columns) j ORDER BY t.ord, j.key",
							-1, &st, NULL);
	if (rc != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		if (add_col(out, (const char *) sqlite3_column_text(st, 0),
					(const char *) sqlite3_column_text(st, 1),
					(const char *) sqlite3_column_text(st, 2),
					kind_from_name((const char *) sqlite3_column_text(st, 3)),
					sqlite3_column_int(st, 4), sqlite3_column_int(st, 5), err) != TN_OK)
		{
			sqlite3_finalize(st);
			tnfb_tables_free(out);
			return err->code;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
	{
		tnfb_tables_free(out);
		return tn_sqlite_error(db, rc, err);
	}
	if (finish_tables(out, err) != TN_OK)
	{
		tnfb_tables_free(out);
		return err->code;
	}
	return TN_OK;
}
