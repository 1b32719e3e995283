/*
 * sqlite_fallback_items.c -- what a push sends, read from the fallback:
 * the keys recorded for a table with their net change, the row as JSON
 * for json_populate_record on the primary, what is known of the row at
 * the sync (a hash a push recorded, or the row the first change kept),
 * and, for a table whose new rows go by COPY, those rows as COPY text,
 * sent by tnfb_push_copy_inserts.
 *
 * Must not: decide a conflict or an action (the core does, called by
 * sqlite_fallback_push.c), or write to either side except by that COPY.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_fallback_push.h"

SQLITE_EXTENSION_INIT3

static int copy_send(PGconn *pg, push_table *pt);

/* json_object('c1', <push expression of alias."c1">, ...): a row for the primary */
static int
row_json(const tnfb_table *t, const char *alias, tn_buf *b)
{
	int j;
	int rc = tn_buf_printf(b, "json_object(");

	for (j = 0; rc == TN_OK && j < t->ncols; j++)
	{
		tn_buf c = { 0 };

		rc = tn_buf_printf(b, "%s", j ? ", " : "");
		if (rc == TN_OK)
			rc = tn_fb_quote_literal(t->cols[j].name, b);
		if (rc == TN_OK)
			rc = tn_buf_printf(b, ", ");
		if (rc == TN_OK)
			rc = tnfb_qcol(&c, alias, t->cols[j].name);
		if (rc == TN_OK)
			rc = tn_fb_push_expr(t->cols[j].kind, c.data, b);
		tn_buf_free(&c);
	}
	return rc == TN_OK ? tn_buf_printf(b, ")") : rc;
}

/*
 * LEFT JOIN <table> AS alias ON alias."k1" = json_extract(c.key, '$[0]') AND ...
 * rowid: the key is the table's rowid (an INTEGER PRIMARY KEY), recorded as
 * [n], so the integer is read from the text without parsing it as JSON
 * (CAST takes the longest integer prefix of "n]").
 */
static int
join_key(const tnfb_table *t, int shadow, const char *alias, int rowid, tn_buf *b)
{
	int j;
	int rc;

	rc = tn_buf_printf(b, " LEFT JOIN ");
	if (rc == TN_OK)
		rc = shadow ? tn_fb_shadow_name(t->name, b) : tn_fb_quote_ident(t->name, b);
	if (rc == TN_OK)
		rc = tn_buf_printf(b, " AS %s ON ", alias);
	if (rc == TN_OK && rowid && !shadow)
		return tn_buf_printf(b, "%s.rowid = CAST(substr(c.key, 2) AS INTEGER)", alias);
	for (j = 0; rc == TN_OK && j < t->npk; j++)
	{
		rc = tn_buf_printf(b, "%s", j ? " AND " : "");
		if (rc == TN_OK)
			rc = tnfb_qcol(b, alias, t->pk[j]);
		if (rc == TN_OK)
			rc = tn_buf_printf(b, " = json_extract(c.key, '$[%d]')", j);
	}
	return rc;
}

/*
 * The SQLite query that reads the recorded changes of one table in the
 * order they were made, one row per change (the caller keeps the first of
 * each key): key, the change's op, the row as JSON for the primary (NULL when the fallback
 * no longer has it), the key as a JSON object, the hash a push recorded,
 * and else the row the first change kept (shadow table) as JSON, NULL when
 * the key had no row at the sync.  copy: a row that is new since the sync
 * has '' for its JSON and is read column by column after those (the push
 * expression of each column that is sent).  no_shadow / no_hash: the
 * shadow table / the table's recorded hashes are empty, not joined.
 * scan: no other table has changes: read them in id order straight
 * from the change table (no index, no sort).  rowid: the key is the
 * table's rowid (join_key).
 */
static int
read_items_sql(const tnfb_table *t, int copy, int no_shadow, int no_hash, int scan, int rowid, tn_buf *b)
{
	/* an empty shadow table or hash list is not joined: its columns are NULL */
	const char *hash = no_hash ? "NULL" : "h.hash";
	const char *kept = no_shadow ? "NULL" : "s.rowid";
	int			j;
	int			rc = tn_buf_printf(b, "SELECT c.key, c.op, CASE WHEN ");

	if (rc == TN_OK)
		rc = tnfb_qcol(b, "t", t->pk[0]);
	if (rc == TN_OK && copy && no_hash && no_shadow)
		rc = tn_buf_printf(b, " IS NULL THEN NULL ELSE '' END"); /* every row there is new since the sync */
	else if (rc == TN_OK)
	{
		if (copy)
			rc = tn_buf_printf(b, " IS NULL THEN NULL WHEN %s IS NULL AND %s IS NULL THEN '' ELSE ", hash, kept);
		else
			rc = tn_buf_printf(b, " IS NULL THEN NULL ELSE ");
		if (rc == TN_OK)
			rc = row_json(t, "t", b);
		if (rc == TN_OK)
			rc = tn_buf_printf(b, " END");
	}
	/* the key as an object, only for a row the fallback no longer has */
	if (rc == TN_OK)
		rc = tn_buf_printf(b, ", CASE WHEN ");
	if (rc == TN_OK)
		rc = tnfb_qcol(b, "t", t->pk[0]);
	if (rc == TN_OK)
		rc = tn_buf_printf(b, " IS NULL THEN json_object(");
	for (j = 0; rc == TN_OK && j < t->npk; j++)
	{
		rc = tn_buf_printf(b, "%s", j ? ", " : "");
		if (rc == TN_OK)
			rc = tn_fb_quote_literal(t->pk[j], b);
		if (rc == TN_OK)
			rc = tn_buf_printf(b, ", json_extract(c.key, '$[%d]')", j);
	}
	if (rc == TN_OK && no_shadow)
		rc = tn_buf_printf(b, ") END, %s, NULL", hash);
	else if (rc == TN_OK)
	{
		rc = tn_buf_printf(b, ") END, %s, CASE WHEN %s IS NULL AND s.rowid IS NOT NULL THEN ", hash, hash);
		if (rc == TN_OK)
			rc = row_json(t, "s", b);
		if (rc == TN_OK)
			rc = tn_buf_printf(b, " END");
	}
	/* copy: the push expression of each column sent, for COPY's text */
	for (j = 0; rc == TN_OK && copy && j < t->ncols; j++)
	{
		tn_buf c = { 0 };

		if (t->cols[j].generated)
			continue;
		rc = tn_buf_printf(b, ", ");
		if (rc == TN_OK)
			rc = tnfb_qcol(&c, "t", t->cols[j].name);
		if (rc == TN_OK)
			rc = tn_fb_push_expr(t->cols[j].kind, c.data, b);
		tn_buf_free(&c);
	}
	if (rc == TN_OK)
		rc = tn_buf_printf(b, " FROM tenancy_fallback_changes c");
	if (rc == TN_OK)
		rc = join_key(t, 0, "t", rowid, b);
	if (rc == TN_OK && !no_shadow)
		rc = join_key(t, 1, "s", 0, b);
	if (rc == TN_OK && !no_hash)
		rc = tn_buf_printf(b, " LEFT JOIN tenancy_fallback_rows h ON h.tbl = ?1 AND h.key = c.key");
	/* unary +: the (tbl, key) index is not used, the changes are read in rowid order */
	if (rc == TN_OK)
		rc = tn_buf_printf(b, " WHERE %sc.tbl = ?1 AND c.id <= ?2 ORDER BY c.id", scan ? "+" : "");
	return rc;
}

/*
 * The keys already read, by hash, as indexes into pt->items (open
 * addressing, at most half full): the first change of a key makes its
 * item, the later ones are skipped.  A slot keeps the hash, so a probe
 * compares strings only on a full hash match.
 */
typedef struct key_slot
{
	unsigned int hash; /* the key's hash, low 32 bits */
	unsigned int item; /* item index + 1, 0 = free */
} key_slot;

typedef struct key_set
{
	key_slot *slot;
	size_t	  cap;
} key_set;

static unsigned int
key_hash(const char *k)
{
	unsigned long long h = 1469598103934665603ULL; /* FNV-1a, then mixed */

	while (*k)
		h = (h ^ (unsigned char) *k++) * 1099511628211ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (unsigned int) (h ^ (h >> 32));
}

/* Is key among the items already?  Else remember it as item idx.  -1: out of memory. */
static int
key_seen(key_set *ks, const push_table *pt, const char *key, size_t idx)
{
	unsigned int h = key_hash(key);
	size_t		 i;

	if (idx >= 0xfffffffeU)
		return -1; /* more keys than a slot can number */
	if (2 * (idx + 1) > ks->cap)
	{
		size_t	  cap = ks->cap ? 2 * ks->cap : 1024;
		key_slot *slot = calloc(cap, sizeof(key_slot));
		size_t	  j;

		if (slot == NULL)
			return -1;
		for (j = 0; j < ks->cap; j++)
			if (ks->slot[j].item)
			{
				for (i = ks->slot[j].hash & (cap - 1); slot[i].item; i = (i + 1) & (cap - 1))
					;
				slot[i] = ks->slot[j];
			}
		free(ks->slot);
		ks->slot = slot;
		ks->cap = cap;
	}
	for (i = h & (ks->cap - 1); ks->slot[i].item; i = (i + 1) & (ks->cap - 1))
		if (ks->slot[i].hash == h && strcmp(pt->items[ks->slot[i].item - 1].key, key) == 0)
			return 1;
	ks->slot[i].hash = h;
	ks->slot[i].item = (unsigned int) idx + 1;
	return 0;
}

/* The decimal text of v (what SQLite would give), no escapes needed. */
static int
append_int(sqlite3_int64 v, tn_buf *out)
{
	char			   digits[24];
	char			  *p = digits + sizeof(digits);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;

	do
	{
		*--p = (char) ('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		*--p = '-';
	return tn_buf_append(out, p, (size_t) (digits + sizeof(digits) - p));
}

/* Append the columns from first on of the current row as one COPY line. */
static int
copy_line(sqlite3_stmt *st, push_table *pt, int first)
{
	int j;
	int k = first;
	int rc = TN_OK;

	for (j = 0; rc == TN_OK && j < pt->t->ncols; j++)
	{
		if (pt->t->cols[j].generated)
			continue;
		if (k > first)
			rc = tn_buf_append(&pt->copy_data, "\t", 1);
		if (rc == TN_OK)
		{
			int type = sqlite3_column_type(st, k);

			if (type == SQLITE_NULL)
				rc = tn_fb_copy_append(NULL, 0, &pt->copy_data);
			else if (type == SQLITE_INTEGER)
				rc = append_int(sqlite3_column_int64(st, k), &pt->copy_data); /* no text conversion in SQLite */
			else
				rc = tn_fb_copy_append((const char *) sqlite3_column_text(st, k),
									   (size_t) sqlite3_column_bytes(st, k), &pt->copy_data);
		}
		k++;
	}
	if (rc == TN_OK)
		rc = tn_buf_append(&pt->copy_data, "\n", 1);
	pt->ncopy++;
	/* streaming: the primary takes the rows while the rest are read */
	if (rc == TN_OK && pt->stream != NULL && pt->copy_data.len >= 65536)
		copy_send(pt->stream, pt);
	return rc;
}

/* Does the one-row query sql (?1 = the table's name) give a row? */
static int
has_row(sqlite3 *db, const char *sql, const char *tbl)
{
	sqlite3_stmt *st;
	int			  found = 1; /* unknown: joined, as if it had rows */

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
	{
		if (sqlite3_bind_parameter_count(st) >= 1)
			sqlite3_bind_text(st, 1, tbl, -1, SQLITE_STATIC);
		found = sqlite3_step(st) != SQLITE_DONE;
		sqlite3_finalize(st);
	}
	return found;
}

/*
 * Is t's key its rowid?  One key column and no index made for the key: an
 * INTEGER PRIMARY KEY of a rowid table (any other key, WITHOUT ROWID and
 * INTEGER PRIMARY KEY DESC included, has an index of origin 'pk').  Its
 * values are integers.  Unknown (an error): no.
 */
static int
key_is_rowid(sqlite3 *db, const tnfb_table *t)
{
	return t->npk == 1 && !has_row(db, "SELECT 1 FROM pragma_index_list(?1) WHERE origin = 'pk'", t->name);
}

/* Is the shadow table of t empty (nothing kept since the sync)? */
static int
shadow_empty(sqlite3 *db, const tnfb_table *t)
{
	tn_buf sql = { 0 };
	int	   empty = 0;

	if (tn_buf_printf(&sql, "SELECT 1 FROM ") == TN_OK && tn_fb_shadow_name(t->name, &sql) == TN_OK &&
		tn_buf_printf(&sql, " LIMIT 1") == TN_OK)
		empty = !has_row(db, sql.data, t->name);
	tn_buf_free(&sql);
	return empty;
}

/*
 * Has no other table recorded changes?  Then one pass over the change
 * table in id order is cheaper than the index and a sort (two probes of
 * the (tbl, key) index answer it).
 */
static int
only_table(sqlite3 *db, const char *tbl)
{
	return !has_row(db, "SELECT 1 FROM tenancy_fallback_changes WHERE tbl < ?1 LIMIT 1", tbl) &&
		   !has_row(db, "SELECT 1 FROM tenancy_fallback_changes WHERE tbl > ?1 LIMIT 1", tbl);
}

int
tnfb_push_read_items(sqlite3 *db, push_table *pt, long long upto, int copy, tn_error *err)
{
	tn_buf		  sql = { 0 };
	sqlite3_stmt *st = NULL;
	key_set		  seen = { 0 };
	size_t		  cap = 0;
	int			  rc;

	if (read_items_sql(pt->t, copy, shadow_empty(db, pt->t),
					   !has_row(db, "SELECT 1 FROM tenancy_fallback_rows WHERE tbl = ?1 LIMIT 1", pt->t->name),
					   only_table(db, pt->t->name), key_is_rowid(db, pt->t), &sql) != TN_OK)
		return tnfb_oom(err);
	if ((rc = sqlite3_prepare_v2(db, sql.data, -1, &st, NULL)) != SQLITE_OK)
	{
		tn_buf_free(&sql);
		return tn_sqlite_error(db, rc, err);
	}
	tn_buf_free(&sql);
	pt->copy = copy;
	sqlite3_bind_text(st, 1, pt->t->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, upto);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		push_item  *it;
		const char *key = (const char *) sqlite3_column_text(st, 0);
		const char *row;
		const char *keyobj;
		tn_buf		e = { 0 };
		int			seen_before;

		if (pt->n == cap)
		{
			/* grow geometrically: 100,000 keys must not mean 100,000 copies */
			push_item *grown = realloc(pt->items, (cap ? 2 * cap : 64) * sizeof(push_item));

			if (grown == NULL)
				break;
			pt->items = grown;
			cap = cap ? 2 * cap : 64;
		}
		if (pt->stream != NULL && strcmp((const char *) sqlite3_column_text(st, 1), "insert") != 0)
		{
			/* not only inserts: the caller stops the COPY and reads again */
			pt->mixed = 1;
			rc = SQLITE_DONE;
			break;
		}
		if (key == NULL || (seen_before = key_seen(&seen, pt, key, pt->n)) < 0)
			break;
		if (seen_before)
			continue; /* a later change of a key: its item is made */
		row = (const char *) sqlite3_column_text(st, 2);
		keyobj = (const char *) sqlite3_column_text(st, 3);
		it = &pt->items[pt->n];
		memset(it, 0, sizeof(*it));
		if ((it->key = tnfb_strdup(key)) == NULL)
			break;
		pt->n++;
		it->synced_hash = tnfb_strdup((const char *) sqlite3_column_text(st, 4));
		it->synced = it->synced_hash != NULL || sqlite3_column_type(st, 5) != SQLITE_NULL;
		it->op = tn_fb_net_op(it->synced, row != NULL);
		if (copy && row != NULL && row[0] == '\0')
		{
			/* new since the sync: a line of COPY text, no JSON */
			if (copy_line(st, pt, 6) != TN_OK)
				break;
			continue;
		}
		if (tn_buf_printf(&e, "{\"k\":") != TN_OK || tn_json_string(&e, it->key, strlen(it->key)) != TN_OK ||
			tn_buf_printf(&e, ",\"r\":%s", row ? row : keyobj) != TN_OK ||
			(sqlite3_column_type(st, 5) != SQLITE_NULL &&
			 tn_buf_printf(&e, ",\"o\":%s", (const char *) sqlite3_column_text(st, 5)) != TN_OK) ||
			tn_buf_printf(&e, "}") != TN_OK)
		{
			tn_buf_free(&e);
			break;
		}
		it->elem = e.data;
	}
	sqlite3_finalize(st);
	free(seen.slot);
	if (rc == SQLITE_ROW)
		return tnfb_oom(err);
	return rc == SQLITE_DONE ? TN_OK : tn_sqlite_error(db, rc, err);
}

int
tnfb_push_copy_begin(PGconn *pg, push_table *pt, tn_error *err)
{
	tn_buf	  sql = { 0 };
	PGresult *r;
	int		  rc;

	if ((rc = tnfb_pq_exec(pg, "SAVEPOINT tenancy_fb_copy", 0, NULL, NULL, "the push", err)) != TN_OK)
		return rc;
	rc = tn_buf_printf(&sql, "COPY ");
	if (rc == TN_OK)
		rc = tn_fb_quote_ident(pt->t->name, &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, " (");
	if (rc == TN_OK)
		rc = tnfb_sent_cols(pt->t, &sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(&sql, ") FROM STDIN");
	if (rc != TN_OK)
	{
		tn_buf_free(&sql);
		return tnfb_oom(err);
	}
	r = PQexec(pg, sql.data);
	tn_buf_free(&sql);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		rc = tnfb_pq_error(pg, r, "the push", err);
	PQclear(r);
	return rc;
}

/* Send what copy_data holds (the stream keeps going). */
static int
copy_send(PGconn *pg, push_table *pt)
{
	size_t off;

	for (off = 0; off < pt->copy_data.len; off += 65536)
	{
		size_t n = pt->copy_data.len - off < 65536 ? pt->copy_data.len - off : 65536;

		if (PQputCopyData(pg, pt->copy_data.data + off, (int) n) != 1)
			return TN_ERR_UNREACHABLE;
	}
	pt->copy_data.len = 0;
	if (pt->copy_data.data)
		pt->copy_data.data[0] = '\0';
	return TN_OK;
}

int
tnfb_push_copy_end(PGconn *pg, push_table *pt, int *conflict, tn_error *err)
{
	PGresult *r;
	int		  rc = TN_OK;

	*conflict = 0;
	if (pt->mixed)
	{
		/* the server ends the COPY with an error; rolled back to the savepoint below */
		pt->copy_data.len = 0;
		PQputCopyEnd(pg, "the push reads this table again");
	}
	else
	{
		copy_send(pg, pt);
		PQputCopyEnd(pg, NULL);
	}
	r = PQgetResult(pg);
	if (pt->mixed && PQresultStatus(r) == PGRES_FATAL_ERROR && PQstatus(pg) == CONNECTION_OK)
		*conflict = 1; /* stopped as asked */
	else if (PQresultStatus(r) == PGRES_COMMAND_OK)
		rc = TN_OK;
	else if (r != NULL && PQresultErrorField(r, PG_DIAG_SQLSTATE) != NULL &&
			 strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23505") == 0)
		*conflict = 1; /* a key is on the primary now: the caller checks them one by one */
	else
		rc = tnfb_pq_error(pg, r, "the push", err);
	PQclear(r);
	while ((r = PQgetResult(pg)) != NULL)
		PQclear(r);
	pt->stream = NULL;
	pt->ncopy = 0; /* sent (or rolled back with the savepoint below) */
	pt->sent = rc == TN_OK && !*conflict;
	if (rc == TN_OK)
		rc = tnfb_pq_exec(pg, *conflict ? "ROLLBACK TO SAVEPOINT tenancy_fb_copy" : "RELEASE SAVEPOINT tenancy_fb_copy",
						  0, NULL, NULL, "the push", err);
	if (rc != TN_OK && err->code == TN_ERR_ENGINE)
		tn_error_detail_append(err, "While pushing inserts of table \"%s\".", pt->t->name);
	return rc;
}

int
tnfb_push_copy_inserts(PGconn *pg, push_table *pt, int *conflict, tn_error *err)
{
	int rc;

	*conflict = 0;
	if (pt->ncopy == 0)
		return TN_OK;
	if ((rc = tnfb_push_copy_begin(pg, pt, err)) != TN_OK)
		return rc;
	return tnfb_push_copy_end(pg, pt, conflict, err);
}
