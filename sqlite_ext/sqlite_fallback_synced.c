/*
 * sqlite_fallback_synced.c -- what the fallback keeps of the last sync for
 * the keys a push sent: after the primary committed, each pushed key's
 * shadow row (kept by the capture triggers at its first change) and row
 * hash are forgotten, and the new sync is recorded only where the
 * fallback's row would not tell it:
 *   - a table whose rows the primary may write otherwise than sent (a
 *     trigger or rule of its own, a generated column), and a push finished
 *     after a crash (the fallback may have changed since): the primary's
 *     row, read back and hashed, into tenancy_fallback_rows;
 *   - a pushed key changed again after the push read it (a change past
 *     the push's last one): its row as pushed into the shadow table.
 * Otherwise the fallback's row is the primary's, and its next first change
 * keeps it.
 *
 * Must not: run before the primary committed, or touch a change record
 * (sqlite_fallback_push.c clears those after this).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_fallback_push.h"

SQLITE_EXTENSION_INIT3

/* Does the one-row query sql (parameters ?1 text, ?2 ?3 int64) give a row? */
static int
any_row(sqlite3 *db, const char *sql, const char *tbl, long long a, long long b, int *found,
		tn_error *err)
{
	sqlite3_stmt *st;
	int			  rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_text(st, 1, tbl, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 3)
	{
		sqlite3_bind_int64(st, 2, a);
		sqlite3_bind_int64(st, 3, b);
	}
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? TN_OK : tn_sqlite_error(db, rc, err);
}

/* Run sql with ?1 = table name, ?2 = upto, ?3 = last (those it has). */
static int
run(sqlite3 *db, const char *sql, const char *tbl, long long upto, long long last, tn_error *err)
{
	sqlite3_stmt *st;
	int			  rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	sqlite3_bind_text(st, 1, tbl, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, upto);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, last);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TN_OK : tn_sqlite_error(db, rc, err);
}

/* json_array(alias."k1", ...) */
static int
key_of(const tnfb_table *t, const char *alias, tn_buf *b)
{
	int j;
	int rc = tn_buf_printf(b, "json_array(");

	for (j = 0; rc == TN_OK && j < t->npk; j++)
	{
		rc = tn_buf_printf(b, "%s", j ? ", " : "");
		if (rc == TN_OK)
			rc = tnfb_qcol(b, alias, t->pk[j]);
	}
	return rc == TN_OK ? tn_buf_printf(b, ")") : rc;
}

#define PUSHED_KEYS "(SELECT key FROM tenancy_fallback_changes WHERE tbl = ?1 AND id <= ?2)"

/* Forget the shadow rows of the pushed keys. */
static int
forget_kept(sqlite3 *db, const tnfb_table *t, long long upto, tn_error *err)
{
	tn_buf sql = { 0 };
	int	   found = 0;
	int	   rc = tn_buf_printf(&sql, "SELECT 1 FROM ");

	if (rc == TN_OK)
		rc = tn_fb_shadow_name(t->name, &sql);
	if (rc != TN_OK || (rc = tn_buf_printf(&sql, " LIMIT 1")) != TN_OK)
		return tnfb_oom(err);
	rc = any_row(db, sql.data, t->name, 0, 0, &found, err);
	tn_buf_free(&sql);
	if (rc != TN_OK || !found)
		return rc;
	rc = tn_buf_printf(&sql, "DELETE FROM ");
	if (rc == TN_OK)
		rc = tn_fb_shadow_name(t->name, &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, " WHERE ");
	if (rc == TN_OK)
		rc = key_of(t, NULL, &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, " IN " PUSHED_KEYS);
	rc = rc == TN_OK ? run(db, sql.data, t->name, upto, 0, err) : tnfb_oom(err);
	tn_buf_free(&sql);
	return rc;
}

/* A pushed key changed again after the push read it: keep its row as pushed. */
static int
keep_pushed_rows(sqlite3 *db, const tnfb_table *t, long long upto, long long last, tn_error *err)
{
	tn_buf sql = { 0 };
	int	   found = 0;
	int	   j;
	/* unary +: a range of ids (usually empty), not every key of the table in the (tbl, key) index */
	int rc = any_row(db, "SELECT 1 FROM tenancy_fallback_changes WHERE +tbl = ?1 AND id > ?2 AND id <= ?3 LIMIT 1",
					 t->name, upto, last, &found, err);

	if (rc != TN_OK || !found)
		return rc;
	rc = tn_buf_printf(&sql, "INSERT OR REPLACE INTO ");
	if (rc == TN_OK)
		rc = tn_fb_shadow_name(t->name, &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, " (");
	for (j = 0; rc == TN_OK && j < t->ncols; j++)
		rc = tn_buf_printf(&sql, "%s", j ? ", " : "") == TN_OK ? tnfb_qcol(&sql, NULL, t->cols[j].name) : TN_ERR_NO_MEMORY;
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, ") SELECT ");
	for (j = 0; rc == TN_OK && j < t->ncols; j++)
		rc = tn_buf_printf(&sql, "%s", j ? ", " : "") == TN_OK ? tnfb_qcol(&sql, "t", t->cols[j].name) : TN_ERR_NO_MEMORY;
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, " FROM ");
	if (rc == TN_OK)
		rc = tn_fb_quote_ident(t->name, &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, " AS t WHERE ");
	if (rc == TN_OK)
		rc = key_of(t, "t", &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, " IN (SELECT key FROM tenancy_fallback_changes WHERE tbl = ?1 AND id > ?2 AND id <= ?3) AND ");
	if (rc == TN_OK)
		rc = key_of(t, "t", &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, " IN " PUSHED_KEYS);
	rc = rc == TN_OK ? run(db, sql.data, t->name, upto, last, err) : tnfb_oom(err);
	tn_buf_free(&sql);
	return rc;
}

int
tnfb_push_store_synced(sqlite3 *db, const push_table *pt, long long upto, long long last,
					   int read_back, tn_error *err)
{
	const tnfb_table *t = pt->t;
	sqlite3_stmt	 *up = NULL;
	int				  found = 0;
	size_t			  i;
	int				  rc;

	if (t->npk == 0 || pt->n == 0)
		return TN_OK;
	if ((rc = any_row(db, "SELECT 1 FROM tenancy_fallback_rows WHERE tbl = ?1 LIMIT 1", t->name, 0, 0,
					  &found, err)) != TN_OK ||
		(found && (rc = run(db, "DELETE FROM tenancy_fallback_rows WHERE tbl = ?1 AND key IN " PUSHED_KEYS,
							t->name, upto, 0, err)) != TN_OK) ||
		(rc = forget_kept(db, t, upto, err)) != TN_OK ||
		(rc = keep_pushed_rows(db, t, upto, last, err)) != TN_OK || !read_back)
		return rc;
	if ((rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO tenancy_fallback_rows(tbl, key, hash) VALUES (?1, ?2, ?3)",
								 -1, &up, NULL)) != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	for (i = 0; rc == SQLITE_OK && i < pt->n; i++)
	{
		const push_item *it = &pt->items[i];

		if (it->op == TN_FB_OP_NONE || it->primary_hash == NULL)
			continue;
		sqlite3_bind_text(up, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(up, 2, it->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(up, 3, it->primary_hash, -1, SQLITE_STATIC);
		rc = sqlite3_step(up) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
		sqlite3_reset(up);
	}
	sqlite3_finalize(up);
	return rc == SQLITE_OK ? TN_OK : tn_sqlite_error(db, rc, err);
}

int
tnfb_push_needs_read_back(PGconn *pg, const tnfb_table *t, int *needs, tn_error *err)
{
	PGresult   *r;
	tn_buf		qt = { 0 };
	const char *params[1];
	int			j;
	int			rc;

	*needs = 0;
	for (j = 0; j < t->ncols; j++)
		if (t->cols[j].generated)
			*needs = 1;
	if (*needs)
		return TN_OK;
	if (tn_fb_quote_ident(t->name, &qt) != TN_OK)
		return tnfb_oom(err);
	params[0] = qt.data;
	/* internal triggers (foreign keys) only check; a rule named _RETURN is a view's */
	rc = tnfb_pq_exec(pg,
					  "WITH p AS (SELECT $1::pg_catalog.regclass AS relid"
					  "           UNION SELECT relid FROM pg_catalog.pg_partition_tree($1::pg_catalog.regclass))"
					  " SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g JOIN p ON g.tgrelid = p.relid"
					  "                 WHERE NOT g.tgisinternal)"
					  "     OR EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite w JOIN p ON w.ev_class = p.relid"
					  "                 WHERE w.rulename <> '_RETURN')",
					  1, params, &r, "the push", err);
	tn_buf_free(&qt);
	if (rc != TN_OK)
		return rc;
	*needs = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return TN_OK;
}
