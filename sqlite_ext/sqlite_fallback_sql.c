/*
 * sqlite_fallback_sql.c -- the SQL texts and bindings the fallback's pull
 * and push both use: the pull expressions of a table's columns, the
 * SQLite INSERT of a whole row, key conditions, a qualified column, a row
 * hash of a libpq result, the binding of a pulled cell into SQLite, and
 * the capture triggers with their shadow table (made by a pull, and by a
 * push in a file pulled before shadow tables existed).
 *
 * Must not: run a statement, or decide a type or a conflict (the core's
 * tn_fb_* functions do; this file only pastes their pieces together).
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_fallback.h"

SQLITE_EXTENSION_INIT3

int
tnfb_oom(tn_error *err)
{
	return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
}

char *
tnfb_strdup(const char *s)
{
	size_t n;
	char  *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if ((d = malloc(n)) != NULL)
		memcpy(d, s, n);
	return d;
}

int
tnfb_sent_cols(const tnfb_table *t, tn_buf *out)
{
	int j;
	int first = 1;
	int rc = TN_OK;

	for (j = 0; rc == TN_OK && j < t->ncols; j++)
	{
		if (t->cols[j].generated)
			continue;
		rc = tn_buf_printf(out, "%s", first ? "" : ", ");
		first = 0;
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(t->cols[j].name, out);
	}
	return rc;
}

int
tnfb_qcol(tn_buf *b, const char *alias, const char *col)
{
	int rc = TN_OK;

	if (alias != NULL)
		rc = tn_buf_printf(b, "%s.", alias);
	return rc == TN_OK ? tn_fb_quote_ident(col, b) : rc;
}

int
tnfb_pk_match(const tnfb_table *t, const char *a, const char *b, tn_buf *out)
{
	int j;
	int rc = TN_OK;

	for (j = 0; rc == TN_OK && j < t->npk; j++)
	{
		rc = tn_buf_printf(out, "%s", j ? " AND " : "");
		if (rc == TN_OK)
			rc = tnfb_qcol(out, a, t->pk[j]);
		if (rc == TN_OK)
			rc = tn_buf_printf(out, " = ");
		if (rc == TN_OK)
			rc = tnfb_qcol(out, b, t->pk[j]);
	}
	return rc;
}

int
tnfb_insert_sql(const tnfb_table *t, tn_buf *out)
{
	int j;
	int rc = tn_buf_printf(out, "INSERT INTO ");

	if (rc == TN_OK)
		rc = tn_fb_quote_ident(t->name, out);
	if (rc == TN_OK)
		rc = tn_buf_printf(out, " (");
	for (j = 0; rc == TN_OK && j < t->ncols; j++)
	{
		rc = tn_buf_printf(out, "%s", j ? ", " : "");
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(t->cols[j].name, out);
	}
	if (rc == TN_OK)
		rc = tn_buf_printf(out, ") VALUES (");
	for (j = 0; rc == TN_OK && j < t->ncols; j++)
		rc = tn_buf_printf(out, "%s?%d", j ? ", " : "", j + 1);
	return rc == TN_OK ? tn_buf_printf(out, ")") : rc;
}


/* The pull expressions of every column, comma-separated, columns of alias. */
int
tnfb_pull_exprs(const tnfb_table *t, const char *alias, tn_buf *out)
{
	int j;
	int rc = TN_OK;

	for (j = 0; rc == TN_OK && j < t->ncols; j++)
	{
		tn_buf q = { 0 };

		rc = tn_buf_printf(&q, "%s.", alias);
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(t->cols[j].name, &q);
		if (rc == TN_OK && j > 0)
			rc = tn_buf_printf(out, ", ");
		if (rc == TN_OK)
			rc = tn_fb_pull_expr(t->cols[j].kind, q.data, out);
		tn_buf_free(&q);
	}
	return rc;
}

/* SELECT true, <pull exprs> FROM "t" AS tenancy_t (column 0 marks a row) */
int
tnfb_pull_select(const tnfb_table *t, tn_buf *out)
{
	int rc = tn_buf_printf(out, "SELECT true, ");

	if (rc == TN_OK)
		rc = tnfb_pull_exprs(t, "tenancy_t", out);
	if (rc == TN_OK)
		rc = tn_buf_printf(out, " FROM ");
	if (rc == TN_OK)
		rc = tn_fb_quote_ident(t->name, out);
	return rc == TN_OK ? tn_buf_printf(out, " AS tenancy_t") : rc;
}

void
tnfb_result_hash(const PGresult *r, int row, int first, int ncols, char out[TN_FB_HASH_LEN])
{
	const char **v = malloc((ncols + 1) * sizeof(char *));
	int			 j;

	if (v == NULL)
	{
		out[0] = '\0'; /* no hash: a later push sees a conflict, never a false match */
		return;
	}
	for (j = 0; j < ncols; j++)
		v[j] = PQgetisnull(r, row, first + j) ? NULL : PQgetvalue(r, row, first + j);
	tn_fb_row_hash(ncols, v, out);
	free(v);
}

/* Bind the pulled text of column j to parameter idx of st. */
int
tnfb_bind_pulled(sqlite3_stmt *st, int idx, const tnfb_col *c, const char *v,
				 int isnull, tn_error *err)
{
	if (isnull)
		return sqlite3_bind_null(st, idx) == SQLITE_OK ? TN_OK : tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	switch (tn_fb_kind_bind(c->kind))
	{
		case TN_FB_BIND_INT:
			sqlite3_bind_int64(st, idx, strtoll(v, NULL, 10));
			break;
		case TN_FB_BIND_REAL:
		{
			char  *end;
			double d = strtod(v, &end);

			/* SQLite stores a NaN as NULL: keep it as the text 'NaN' */
			if (*end != '\0' || isnan(d))
				sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_double(st, idx, d);
			break;
		}
		case TN_FB_BIND_BLOB_HEX:
		{
			unsigned char *b;
			size_t		   n;

			if (tn_fb_hex_decode(v, &b, &n, err) != TN_OK)
				return err->code;
			if (sqlite3_bind_blob64(st, idx, b, n, free) != SQLITE_OK)
				return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
			break;
		}
		case TN_FB_BIND_TIMESTAMPTZ:
		{
			char iso[128];

			tn_fb_timestamptz_iso(v, iso, sizeof(iso));
			sqlite3_bind_text(st, idx, iso, -1, SQLITE_TRANSIENT);
			break;
		}
		case TN_FB_BIND_TEXT:
			sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
			break;
	}
	return TN_OK;
}

/* Has the shadow table of t (if any yet) the column col? A missing table has every column. */
static int
shadow_has(sqlite3 *db, const tnfb_table *t, const char *col)
{
	tn_buf		  name = { 0 };
	sqlite3_stmt *st;
	int			  has = 1;

	if (tn_buf_printf(&name, "tenancy_fb_old_%s", t->name) != TN_OK)
		return 1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) = 0 OR sum(name = ?2) > 0 FROM pragma_table_info(?1)", -1, &st, NULL) == SQLITE_OK)
	{
		sqlite3_bind_text(st, 1, name.data, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, col, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			has = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	tn_buf_free(&name);
	return has;
}

/*
 * Is t's shadow table keyed otherwise than t (its primary key changed on
 * the primary since the shadow table was made)?  0 when there is none.
 */
static int
shadow_key_differs(sqlite3 *db, const tnfb_table *t)
{
	tn_buf		  name = { 0 };
	sqlite3_stmt *st;
	int			  n = 0;
	int			  differs = 0;

	if (tn_buf_printf(&name, "tenancy_fb_old_%s", t->name) != TN_OK)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk", -1, &st, NULL) == SQLITE_OK)
	{
		sqlite3_bind_text(st, 1, name.data, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
		{
			const char *col = (const char *) sqlite3_column_text(st, 0);

			if (n >= t->npk || col == NULL || strcmp(col, t->pk[n]) != 0)
				differs = 1;
			n++;
		}
		sqlite3_finalize(st);
		/* no row: no shadow table (a table always has a key here) */
		differs = n > 0 && (differs || n != t->npk);
	}
	tn_buf_free(&name);
	return differs;
}

/* DELETE FROM <shadow>; ALTER TABLE <shadow> RENAME TO tenancy_fb_retired_<t>_<n> (n: the first free) */
static int
retire_shadow(sqlite3 *db, const tnfb_table *t, tn_buf *sql)
{
	tn_buf		  name = { 0 };
	sqlite3_stmt *st;
	int			  n;
	int			  rc = TN_OK;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_master WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
		return TN_ERR_NO_MEMORY;
	for (n = 1; rc == TN_OK; n++)
	{
		int taken;

		name.len = 0;
		rc = tn_buf_printf(&name, "tenancy_fb_retired_%s_%d", t->name, n);
		if (rc != TN_OK)
			break;
		sqlite3_bind_text(st, 1, name.data, -1, SQLITE_STATIC);
		taken = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!taken)
			break;
	}
	sqlite3_finalize(st);
	if (rc == TN_OK)
		rc = tn_buf_printf(sql, "DELETE FROM ");
	if (rc == TN_OK)
		rc = tn_fb_shadow_name(t->name, sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(sql, ";\nALTER TABLE ");
	if (rc == TN_OK)
		rc = tn_fb_shadow_name(t->name, sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(sql, " RENAME TO ");
	if (rc == TN_OK)
		rc = tn_fb_quote_ident(name.data, sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(sql, ";\n");
	tn_buf_free(&name);
	return rc;
}

/*
 * The capture triggers, keyed by the primary key (or rowid without one),
 * and for a keyed table its shadow table, made empty: the rows as they were
 * at this sync are the table's own until a change keeps one there.  A
 * shadow table keyed otherwise than the table is set aside (emptied,
 * renamed tenancy_fb_retired_<t>_<n>) and made again.
 */
int
tnfb_make_capture(sqlite3 *db, const tnfb_table *t, tn_error *err)
{
	tn_buf					 sql = { 0 };
	static const char *const rowid[] = { "rowid" };
	const char			   **cols = NULL;
	int						 rekey = 0;
	int						 j;
	int						 rc = tn_fb_drop_trigger_sql(t->name, &sql);

	if (rc == TN_OK && t->npk > 0)
	{
		if ((cols = malloc((t->ncols + 1) * sizeof(char *))) == NULL)
			rc = TN_ERR_NO_MEMORY;
		for (j = 0; rc == TN_OK && j < t->ncols; j++)
			cols[j] = t->cols[j].name;
		/*
		 * The primary key changed on the primary: the shadow table (a row
		 * kept under the old key cannot be matched to the new one) is
		 * emptied and set aside under a free name, and made again under
		 * the new key.  Set aside, not dropped: SQLite refuses DROP TABLE
		 * while another statement reads, and the caller's SELECT does.
		 */
		rekey = rc == TN_OK && shadow_key_differs(db, t);
		if (rekey)
			rc = retire_shadow(db, t, &sql);
		if (rc == TN_OK)
			rc = tn_fb_shadow_sql(t->name, cols, (size_t) t->ncols, t->pk, (size_t) t->npk, &sql);
		if (rc == TN_OK)
			rc = tn_fb_trigger_sql(t->name, t->pk, (size_t) t->npk, cols, (size_t) t->ncols, &sql);
		if (rc == TN_OK)
			rc = tn_buf_printf(&sql, "DELETE FROM ");
		if (rc == TN_OK)
			rc = tn_fb_shadow_name(t->name, &sql);
		/* the shadow table was made before (and is kept): the columns it lacks */
		for (j = 0; rc == TN_OK && !rekey && j < t->ncols; j++)
			if (!shadow_has(db, t, t->cols[j].name))
			{
				rc = tn_buf_printf(&sql, ";\nALTER TABLE ");
				if (rc == TN_OK)
					rc = tn_fb_shadow_name(t->name, &sql);
				if (rc == TN_OK)
					rc = tn_buf_printf(&sql, " ADD COLUMN ");
				if (rc == TN_OK)
					rc = tn_fb_quote_ident(t->cols[j].name, &sql);
			}
	}
	else if (rc == TN_OK)
	{
		/* keyed by rowid: its changes are refused by a push, nothing is kept */
		rc = tn_fb_trigger_sql(t->name, rowid, 1, NULL, 0, &sql);
	}
	if (rc != TN_OK)
		rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	else
		rc = tn_sqlite_exec(db, sql.data, err);
	free(cols);
	tn_buf_free(&sql);
	return rc;
}
