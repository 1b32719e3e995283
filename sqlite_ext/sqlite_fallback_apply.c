/*
 * sqlite_fallback_apply.c -- the statements of a push: read the recorded
 * keys and rows from the fallback, read (and lock) the primary's rows to
 * hash them, run the batched deletes / updates / inserts on the primary
 * (json_populate_record of the table's own row type), move sequences,
 * keep the new row hashes, and put the primary's rows into the fallback
 * for primary_wins.  sqlite_fallback_push.c decides when each runs.
 *
 * Must not: commit or roll back either side, or decide a conflict (the
 * core's tn_fb_is_conflict / tn_fb_resolve, called by the push).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_fallback_push.h"

SQLITE_EXTENSION_INIT3

void
tnfb_push_free_items(push_table *pt)
{
	size_t j;

	for (j = 0; j < pt->n; j++)
	{
		free(pt->items[j].key);
		free(pt->items[j].elem);
		free(pt->items[j].synced_hash);
		free(pt->items[j].primary_hash);
	}
	free(pt->items);
	tn_buf_free(&pt->copy_data);
	pt->items = NULL;
	pt->n = 0;
	pt->ncopy = 0;
	pt->copy = 0;
	pt->sent = 0;
	pt->mixed = 0;
	pt->stream = NULL;
}

void
tnfb_push_free_tables(push_table *pt, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		tnfb_push_free_items(&pt[i]);
	free(pt);
}

/*
 * [elem, elem, ...] of items[from..to) whose action (or op) is wanted;
 * by_action -1: the items whose row the primary had at the sync (the
 * only rows there are to lock).
 */
static int
batch_json(const push_table *pt, size_t from, size_t to, int by_action, tn_fb_op want,
		   tn_buf *b, size_t *count)
{
	size_t i;
	int	   rc = tn_buf_printf(b, "[");

	*count = 0;
	for (i = from; rc == TN_OK && i < to; i++)
	{
		const push_item *it = &pt->items[i];

		if (it->elem == NULL)
			continue; /* sent by COPY (tnfb_push_copy_inserts) */
		if (want != TN_FB_OP_NONE && (by_action ? it->action : it->op) != want)
			continue;
		if (want == TN_FB_OP_NONE && it->op == TN_FB_OP_NONE)
			continue;
		if (by_action < 0 && !it->synced)
			continue;
		if (*count)
			rc = tn_buf_append(b, ",", 1);
		if (rc == TN_OK)
			rc = tn_buf_append(b, it->elem, strlen(it->elem));
		(*count)++;
	}
	return rc == TN_OK ? tn_buf_printf(b, "]") : rc;
}

/* FROM json_array_elements($1::json) e, json_populate_record(NULL::"t", e->'r') r */
static int
from_elems(const tnfb_table *t, tn_buf *out)
{
	int rc = tn_buf_printf(out, " FROM pg_catalog.json_array_elements($1::json) AS tenancy_e,"
								" pg_catalog.json_populate_record(NULL::");

	if (rc == TN_OK)
		rc = tn_fb_quote_ident(t->name, out);
	return rc == TN_OK ? tn_buf_printf(out, ", tenancy_e->'r') AS tenancy_r") : rc;
}

/*
 * , (tenancy_e->'o') IS NOT NULL, <pull expression of each column of the
 * row a change kept> (sent as element key 'o', read from tenancy_o).
 */
static int
kept_row_exprs(const tnfb_table *t, tn_buf *sql)
{
	int j;
	int rc = tn_buf_printf(sql, ", (tenancy_e->'o') IS NOT NULL");

	for (j = 0; rc == TN_OK && j < t->ncols; j++)
	{
		tn_buf q = { 0 };
		tn_buf v = { 0 };

		rc = tn_fb_quote_ident(t->cols[j].name, &q);
		if (rc == TN_OK)
			rc = tn_fb_pg_value_expr_in(t->cols[j].kind, t->cols[j].name, q.data, t->cols[j].type,
										"tenancy_o", "o", &v);
		if (rc == TN_OK)
			rc = tn_buf_printf(sql, ", ");
		if (rc == TN_OK)
			rc = tn_fb_pull_expr(t->cols[j].kind, v.data, sql);
		tn_buf_free(&q);
		tn_buf_free(&v);
	}
	return rc;
}

/*
 * The primary's current hash of each key in the batch (NULL: no row):
 * rows (k, hash).  lock: take the rows' locks first, so nobody changes
 * them between the check and the write.
 */
int
tnfb_push_primary_hashes(PGconn *pg, push_table *pt, size_t from, size_t to, int lock, tn_error *err)
{
	tn_buf		elems = { 0 };
	tn_buf		sql = { 0 };
	size_t		count;
	PGresult   *r = NULL;
	const char *params[1];
	int			rc;
	int			i;

	rc = batch_json(pt, from, to, 0, TN_FB_OP_NONE, &elems, &count);
	if (rc == TN_OK && count == 0)
	{
		tn_buf_free(&elems);
		return TN_OK;
	}
	if (rc == TN_OK && lock)
	{
		tn_buf synced = { 0 };
		size_t nsynced;

		/* lock the rows the primary had (an insert's key has none to lock) */
		rc = batch_json(pt, from, to, -1, TN_FB_OP_NONE, &synced, &nsynced);
		if (rc != TN_OK || nsynced == 0)
		{
			tn_buf_free(&synced);
			goto check;
		}
		rc = tn_buf_printf(&sql, "SELECT 1 FROM ");
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(pt->t->name, &sql);
		if (rc == TN_OK)
			rc = tn_buf_printf(&sql, " AS tenancy_t WHERE EXISTS (SELECT 1");
		if (rc == TN_OK)
			rc = from_elems(pt->t, &sql);
		if (rc == TN_OK)
			rc = tn_buf_printf(&sql, " WHERE ");
		if (rc == TN_OK)
			rc = tnfb_pk_match(pt->t, "tenancy_t", "tenancy_r", &sql);
		if (rc == TN_OK)
			rc = tn_buf_printf(&sql, ") FOR UPDATE");
		if (rc != TN_OK)
			goto done;
		params[0] = synced.data;
		rc = tnfb_pq_exec(pg, sql.data, 1, params, NULL, "the conflict check", err);
		tn_buf_free(&synced);
		if (rc != TN_OK)
			goto done;
		tn_buf_free(&sql);
	}
check:
	if (rc != TN_OK)
		goto done;
	/* the primary's row read as a pull reads it, hashed the same way */
	rc = tn_buf_printf(&sql, "SELECT tenancy_e->>'k', tenancy_t.ctid IS NOT NULL, ");
	if (rc == TN_OK)
		rc = tnfb_pull_exprs(pt->t, "tenancy_t", &sql);
	if (rc == TN_OK)
		rc = kept_row_exprs(pt->t, &sql);
	if (rc == TN_OK)
		rc = from_elems(pt->t, &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, " LEFT JOIN ");
	if (rc == TN_OK)
		rc = tn_fb_quote_ident(pt->t->name, &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, " AS tenancy_t ON ");
	if (rc == TN_OK)
		rc = tnfb_pk_match(pt->t, "tenancy_t", "tenancy_r", &sql);
	/* a function in FROM is lateral: one row, all NULL without a kept row */
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, ", pg_catalog.json_populate_record(NULL::");
	if (rc == TN_OK)
		rc = tn_fb_quote_ident(pt->t->name, &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, ", tenancy_e->'o') AS tenancy_o");
	if (rc != TN_OK)
		goto done;
	params[0] = elems.data;
	if ((rc = tnfb_pq_exec(pg, sql.data, 1, params, &r, "the conflict check", err)) != TN_OK)
		goto done;
	/* results come back in element order: match them to the items */
	{
		size_t k = from;

		for (i = 0; i < PQntuples(r); i++)
		{
			while (k < to && (pt->items[k].op == TN_FB_OP_NONE || pt->items[k].elem == NULL))
				k++;
			if (k >= to)
				break;
			free(pt->items[k].primary_hash);
			pt->items[k].primary_hash = NULL;
			if (strcmp(PQgetvalue(r, i, 1), "t") == 0)
			{
				char hash[TN_FB_HASH_LEN];

				tnfb_result_hash(r, i, 2, pt->t->ncols, hash);
				pt->items[k].primary_hash = tnfb_strdup(hash);
			}
			/* the kept row as the primary reads it: the hash of the sync */
			if (pt->items[k].synced_hash == NULL && strcmp(PQgetvalue(r, i, pt->t->ncols + 2), "t") == 0)
			{
				char hash[TN_FB_HASH_LEN];

				tnfb_result_hash(r, i, pt->t->ncols + 3, pt->t->ncols, hash);
				pt->items[k].synced_hash = tnfb_strdup(hash);
			}
			k++;
		}
	}

done:
	if (rc != TN_OK && err->code == TN_OK)
		rc = tnfb_oom(err);
	PQclear(r);
	tn_buf_free(&elems);
	tn_buf_free(&sql);
	return rc;
}

/* Run one action for the items [from, to) that have it. */
int
tnfb_push_apply_batch(PGconn *pg, push_table *pt, size_t from, size_t to, tn_fb_op action, tn_error *err)
{
	const tnfb_table *t = pt->t;
	tn_buf			  elems = { 0 };
	tn_buf			  sql = { 0 };
	size_t			  count;
	const char		 *params[1];
	int				  rc;
	int				  j;
	int				  first = 1;

	rc = batch_json(pt, from, to, 1, action, &elems, &count);
	if (rc == TN_OK && count == 0)
	{
		tn_buf_free(&elems);
		return TN_OK;
	}
	if (action == TN_FB_OP_DELETE)
	{
		rc = tn_buf_printf(&sql, "DELETE FROM ");
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(t->name, &sql);
		if (rc == TN_OK)
			rc = tn_buf_printf(&sql, " AS tenancy_t USING (SELECT tenancy_r.*");
		if (rc == TN_OK)
			rc = from_elems(t, &sql);
		if (rc == TN_OK)
			rc = tn_buf_printf(&sql, ") AS tenancy_x WHERE ");
		if (rc == TN_OK)
			rc = tnfb_pk_match(t, "tenancy_t", "tenancy_x", &sql);
	}
	else
	{
		/* the pushed values, one column each: SELECT <expr> AS "c", ... FROM ... */
		tn_buf vals = { 0 };

		rc = tn_buf_printf(&vals, "SELECT ");
		for (j = 0; rc == TN_OK && j < t->ncols; j++)
		{
			tn_buf q = { 0 };

			if (t->cols[j].generated)
				continue;
			rc = tn_buf_printf(&vals, "%s", first ? "" : ", ");
			first = 0;
			if (rc == TN_OK)
				rc = tn_fb_quote_ident(t->cols[j].name, &q);
			if (rc == TN_OK)
				rc = tn_fb_pg_value_expr(t->cols[j].kind, t->cols[j].name, q.data, t->cols[j].type, &vals);
			if (rc == TN_OK)
				rc = tn_buf_printf(&vals, " AS %s", q.data);
			tn_buf_free(&q);
		}
		if (rc == TN_OK)
			rc = from_elems(t, &vals);
		if (rc == TN_OK && action == TN_FB_OP_INSERT)
		{
			rc = tn_buf_printf(&sql, "INSERT INTO ");
			if (rc == TN_OK)
				rc = tn_fb_quote_ident(t->name, &sql);
			if (rc == TN_OK)
				rc = tn_buf_printf(&sql, " (");
			if (rc == TN_OK)
				rc = tnfb_sent_cols(t, &sql);
			if (rc == TN_OK)
				rc = tn_buf_printf(&sql, ") OVERRIDING SYSTEM VALUE %s", vals.data);
		}
		else if (rc == TN_OK)
		{
			rc = tn_buf_printf(&sql, "UPDATE ");
			if (rc == TN_OK)
				rc = tn_fb_quote_ident(t->name, &sql);
			if (rc == TN_OK)
				rc = tn_buf_printf(&sql, " AS tenancy_t SET ");
			first = 1;
			for (j = 0; rc == TN_OK && j < t->ncols; j++)
			{
				if (t->cols[j].generated)
					continue;
				rc = tn_buf_printf(&sql, "%s", first ? "" : ", ");
				first = 0;
				if (rc == TN_OK)
					rc = tn_fb_quote_ident(t->cols[j].name, &sql);
				if (rc == TN_OK)
					rc = tn_buf_printf(&sql, " = ");
				if (rc == TN_OK)
					rc = tnfb_qcol(&sql, "tenancy_x", t->cols[j].name);
			}
			if (rc == TN_OK)
				rc = tn_buf_printf(&sql, " FROM (%s) AS tenancy_x WHERE ", vals.data);
			if (rc == TN_OK)
				rc = tnfb_pk_match(t, "tenancy_t", "tenancy_x", &sql);
		}
		tn_buf_free(&vals);
	}
	if (rc != TN_OK)
		rc = tnfb_oom(err);
	else
	{
		params[0] = elems.data;
		rc = tnfb_pq_exec(pg, sql.data, 1, params, NULL, "the push", err);
		if (rc != TN_OK)
			tn_error_detail_append(err, "While pushing %s of table \"%s\".", tn_fb_op_name(action), t->name);
	}
	tn_buf_free(&elems);
	tn_buf_free(&sql);
	return rc;
}

/* Move the sequences of serial/identity columns past the pushed keys. */
int
tnfb_push_move_sequences(PGconn *pg, const tnfb_table *t, tn_error *err)
{
	tn_buf qt = { 0 };
	int	   j;
	int	   rc = tn_fb_quote_ident(t->name, &qt);

	for (j = 0; rc == TN_OK && j < t->ncols; j++)
	{
		PGresult   *r;
		const char *params[2];
		tn_buf		sql = { 0 };

		if (t->cols[j].kind != TN_FB_INT)
			continue;
		params[0] = qt.data;
		params[1] = t->cols[j].name;
		if ((rc = tnfb_pq_exec(pg, "SELECT pg_catalog.pg_get_serial_sequence($1, $2)", 2, params, &r,
							   "moving sequences", err)) != TN_OK)
			break;
		if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		{
			/* setval only forward: never hand out a key twice */
			rc = tn_buf_printf(&sql, "SELECT pg_catalog.setval($1::regclass, x.m) FROM (SELECT max(");
			if (rc == TN_OK)
				rc = tn_fb_quote_ident(t->cols[j].name, &sql);
			if (rc == TN_OK)
				rc = tn_buf_printf(&sql, ")::int8 AS m FROM %s) AS x WHERE x.m IS NOT NULL AND x.m >"
										 " (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %s)",
								   qt.data, PQgetvalue(r, 0, 0));
			params[0] = PQgetvalue(r, 0, 0);
			if (rc == TN_OK)
				rc = tnfb_pq_exec(pg, sql.data, 1, params, NULL, "moving sequences", err);
			else
				rc = tnfb_oom(err);
			tn_buf_free(&sql);
		}
		PQclear(r);
	}
	tn_buf_free(&qt);
	return rc;
}

/*
 * primary_wins: put the primary's row (or its absence) into the fallback
 * for the items marked refresh.  The triggers record these writes; the
 * caller removes those records.
 */
int
tnfb_push_refresh_rows(sqlite3 *db, PGconn *pg, push_table *pt, tn_error *err)
{
	const tnfb_table *t = pt->t;
	size_t			  i;
	int				  rc = TN_OK;

	for (i = 0; rc == TN_OK && i < pt->n; i++)
	{
		push_item	 *it = &pt->items[i];
		tn_buf		  sql = { 0 };
		sqlite3_stmt *st = NULL;
		PGresult	 *r = NULL;
		const char	 *params[1];
		int			  j;

		if (!it->refresh)
			continue;
		/* delete the fallback's row by key */
		rc = tn_buf_printf(&sql, "DELETE FROM ");
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(t->name, &sql);
		if (rc == TN_OK)
			rc = tn_buf_printf(&sql, " WHERE ");
		for (j = 0; rc == TN_OK && j < t->npk; j++)
		{
			rc = tn_buf_printf(&sql, "%s", j ? " AND " : "");
			if (rc == TN_OK)
				rc = tn_fb_quote_ident(t->pk[j], &sql);
			if (rc == TN_OK)
				rc = tn_buf_printf(&sql, " = json_extract(?1, '$[%d]')", j);
		}
		if (rc != TN_OK)
			return tnfb_oom(err);
		if (sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK)
		{
			tn_buf_free(&sql);
			return tn_sqlite_error(db, sqlite3_errcode(db), err);
		}
		tn_buf_free(&sql);
		sqlite3_bind_text(st, 1, it->key, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? TN_OK : tn_sqlite_error(db, sqlite3_errcode(db), err);
		sqlite3_finalize(st);
		if (rc != TN_OK || it->primary_hash == NULL)
			continue;
		/* and insert the primary's */
		rc = tnfb_pull_select(t, &sql);
		if (rc == TN_OK)
			rc = tn_buf_printf(&sql, " WHERE EXISTS (SELECT 1");
		if (rc == TN_OK)
		{
			tn_buf one = { 0 };

			rc = from_elems(t, &sql);
			if (rc == TN_OK)
				rc = tn_buf_printf(&sql, " WHERE ");
			if (rc == TN_OK)
				rc = tnfb_pk_match(t, "tenancy_t", "tenancy_r", &sql);
			if (rc == TN_OK)
				rc = tn_buf_printf(&sql, ")");
			tn_buf_free(&one);
		}
		if (rc != TN_OK)
		{
			tn_buf_free(&sql);
			return tnfb_oom(err);
		}
		{
			tn_buf arr = { 0 };

			if (tn_buf_printf(&arr, "[%s]", it->elem) != TN_OK)
			{
				tn_buf_free(&sql);
				return tnfb_oom(err);
			}
			params[0] = arr.data;
			rc = tnfb_pq_exec(pg, sql.data, 1, params, &r, "refreshing a row", err);
			tn_buf_free(&arr);
		}
		tn_buf_free(&sql);
		if (rc != TN_OK)
			return rc;
		if (PQntuples(r) == 1)
		{
			rc = tnfb_insert_sql(t, &sql);
			if (rc != TN_OK)
				rc = tnfb_oom(err);
			else if (sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK)
				rc = tn_sqlite_error(db, sqlite3_errcode(db), err);
			else
			{
				for (j = 0; rc == TN_OK && j < t->ncols; j++)
					rc = tnfb_bind_pulled(st, j + 1, &t->cols[j], PQgetvalue(r, 0, j + 1),
										  PQgetisnull(r, 0, j + 1), err);
				if (rc == TN_OK && sqlite3_step(st) != SQLITE_DONE)
					rc = tn_sqlite_error(db, sqlite3_errcode(db), err);
				sqlite3_finalize(st);
			}
			tn_buf_free(&sql);
		}
		PQclear(r);
	}
	return rc;
}
