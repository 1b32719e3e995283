/*
 * sqlite_fallback_push.c -- tenant_fallback_push(primary [, on_conflict]):
 * apply the changes recorded in the fallback to the primary in one
 * PostgreSQL transaction, in foreign-key order (deletes children first,
 * then inserts and updates parents first), then clear them.
 *
 * Exactly once, across crashes: before touching the primary the push gets
 * an id, committed in the fallback with the last change id it covers
 * (tenancy_fallback_state.pending_push / pending_upto).  The primary's
 * transaction records that id in tenancy_fallback.pushes.  A push that
 * finds a pending id asks the primary first: recorded means the earlier
 * push committed there, so only the fallback's side is finished (changes
 * cleared, row hashes refreshed); not recorded means it never committed,
 * so it is pushed again under the same id.
 *
 * Conflicts: the primary's row, read as a pull reads it, is hashed
 * (tn_fb_row_hash) and compared with the hash recorded at the last pull or
 * push; the core classifies and picks
 * the action for each key (tn_fb_is_conflict, tn_fb_resolve).
 *
 * Must not: apply a change twice, leave the primary half-applied (one
 * transaction there), or lose a recorded change (they are cleared only
 * after the primary committed them).
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlite_fallback_push.h"

SQLITE_EXTENSION_INIT3

#define PUSH_BATCH 2000


static int
add_row(tn_rows *out, const char *table, const push_item *it, const char *outcome)
{
	const char *row[4];

	row[0] = table;
	row[1] = it->key;
	row[2] = tn_fb_op_name(it->op);
	row[3] = outcome;
	return tn_rows_add(out, row);
}

/* Tables with recorded changes but no primary key: refused by name. */
static int
refuse_keyless(sqlite3 *db, const tnfb_tables *ts, long long upto, tn_error *err)
{
	tn_buf names = { 0 };
	size_t i;
	int	   n = 0;

	for (i = 0; i < ts->n; i++)
	{
		sqlite3_stmt *st;
		int			  has = 0;

		if (ts->t[i].npk > 0)
			continue;
		if (sqlite3_prepare_v2(db, "SELECT 1 FROM tenancy_fallback_changes WHERE tbl = ?1 AND id <= ?2 LIMIT 1",
							   -1, &st, NULL) == SQLITE_OK)
		{
			sqlite3_bind_text(st, 1, ts->t[i].name, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, upto);
			has = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_finalize(st);
		}
		if (has && tn_buf_printf(&names, "%s\"%s\"", n++ ? ", " : "", ts->t[i].name) != TN_OK)
		{
			tn_buf_free(&names);
			return tnfb_oom(err);
		}
	}
	if (n == 0)
		return TN_OK;
	tn_error_set(err, TN_ERR_NOT_SUPPORTED, "cannot push changes to %s without a primary key: %s",
				 n == 1 ? "a table" : "tables", names.data);
	tn_error_detail(err, "A change is matched to the primary's row by its primary key; these tables were copied but have none. Nothing was pushed.");
	tn_error_hint(err, "Add a primary key on the primary and pull again, or delete those tables' rows from tenancy_fallback_changes.");
	tn_buf_free(&names);
	return err->code;
}

static int
set_pending(sqlite3 *db, const char *id, long long upto, tn_error *err)
{
	sqlite3_stmt *st;
	int			  rc = sqlite3_prepare_v2(db, "UPDATE tenancy_fallback_state SET pending_push = ?1, pending_upto = ?2",
										  -1, &st, NULL);

	if (rc != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	if (id)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (id)
		sqlite3_bind_int64(st, 2, upto);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TN_OK : tn_sqlite_error(db, rc, err);
}

/* Give this push an id, committed before the primary is touched. */
static int
pending_push(sqlite3 *db, char *id, size_t size, long long *upto, tn_error *err)
{
	sqlite3_stmt *st;
	int			  savepoint;
	int			  rc;

	id[0] = '\0';
	if ((rc = tnfb_begin(db, &savepoint, err)) != TN_OK)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT pending_push, pending_upto, (SELECT max(id) FROM tenancy_fallback_changes)"
							   " FROM tenancy_fallback_state",
						   -1, &st, NULL) != SQLITE_OK)
	{
		rc = tn_sqlite_error(db, sqlite3_errcode(db), err);
		tnfb_rollback(db, savepoint);
		return rc;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
	{
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
		{
			snprintf(id, size, "%s", (const char *) sqlite3_column_text(st, 0));
			*upto = sqlite3_column_int64(st, 1);
		}
		else
			*upto = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (id[0] == '\0' && *upto > 0)
	{
		unsigned char rnd[16];
		int			  i;

		sqlite3_randomness(sizeof(rnd), rnd);
		for (i = 0; i < 16 && (size_t) (2 * i + 2) < size; i++)
			snprintf(id + 2 * i, 3, "%02x", rnd[i]);
		rc = set_pending(db, id, *upto, err);
	}
	if (rc == TN_OK)
		rc = tnfb_commit(db, savepoint, err);
	if (rc != TN_OK)
		tnfb_rollback(db, savepoint);
	return rc;
}

/* The primary's hashes of pt's items, PUSH_BATCH keys per statement. */
static int
primary_hashes(PGconn *pg, push_table *pt, int lock, tn_error *err)
{
	size_t k;
	int	   rc = TN_OK;

	for (k = 0; rc == TN_OK && k < pt->n; k += PUSH_BATCH)
		rc = tnfb_push_primary_hashes(pg, pt, k, k + PUSH_BATCH < pt->n ? k + PUSH_BATCH : pt->n, lock, err);
	return rc;
}

/* The core decides each key (tn_fb_is_conflict, tn_fb_resolve); counts for the caller. */
static void
resolve_all(push_table *pt, size_t n, tn_fb_policy policy, int *conflicts, int *refreshes)
{
	size_t i;
	size_t k;

	*conflicts = 0;
	*refreshes = 0;
	for (i = 0; i < n; i++)
		for (k = 0; k < pt[i].n; k++)
		{
			push_item *it = &pt[i].items[k];
			int		   c = tn_fb_is_conflict(it->op, it->synced_hash, it->primary_hash);

			tn_fb_resolve(it->op, c, it->primary_hash, policy, &it->action, &it->refresh, &it->outcome);
			*conflicts += c;
			*refreshes += it->refresh;
		}
}

/* abort: the conflicts as result rows and in tenancy_fallback_conflicts (for status). */
static int
record_conflicts(sqlite3 *db, const tnfb_tables *ts, push_table *pt, tn_rows *out, tn_error *err)
{
	sqlite3_stmt *st;
	size_t		  i;
	size_t		  k;
	int			  rc = tn_sqlite_exec(db, "DELETE FROM tenancy_fallback_conflicts", err);

	if (rc != TN_OK)
		return rc;
	if (sqlite3_prepare_v2(db, "INSERT INTO tenancy_fallback_conflicts(tbl, key, op) VALUES (?1, ?2, ?3)",
						   -1, &st, NULL) != SQLITE_OK)
		return tn_sqlite_error(db, sqlite3_errcode(db), err);
	for (i = 0; rc == TN_OK && i < ts->n; i++)
		for (k = 0; rc == TN_OK && k < pt[i].n; k++)
		{
			push_item *it = &pt[i].items[k];

			if (strcmp(it->outcome, TN_FB_CONFLICT) != 0)
				continue;
			sqlite3_bind_text(st, 1, ts->t[i].name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, it->key, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, tn_fb_op_name(it->op), -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = tn_sqlite_error(db, sqlite3_errcode(db), err);
			sqlite3_reset(st);
			if (rc == TN_OK && add_row(out, ts->t[i].name, it, TN_FB_CONFLICT) != TN_OK)
				rc = tnfb_oom(err);
		}
	sqlite3_finalize(st);
	return rc;
}

/*
 * The tables from..n-1 whose new rows were to go by COPY and are not on the
 * primary yet: read again with a JSON row each and checked against the
 * primary key by key (locked).  A table whose COPY went through (streamed)
 * is left as it is: its new keys were free, and its rows are the primary's
 * now.  A key checked before keeps that check's hashes, so its decision
 * stays what was already done (a delete applied before the COPY failed).
 */
static int
check_copied(sqlite3 *db, PGconn *pg, push_table *pt, size_t from, size_t n, long long upto,
			 tn_error *err)
{
	size_t j;
	int	   rc = TN_OK;

	for (j = from; rc == TN_OK && j < n; j++)
	{
		push_table before = pt[j];
		size_t	   k;

		if (!pt[j].copy || pt[j].sent)
			continue;
		/* the items are kept until the new ones are checked; the COPY text goes */
		pt[j].items = NULL;
		pt[j].n = 0;
		pt[j].copy_data = (tn_buf){ 0 };
		pt[j].ncopy = 0;
		tn_buf_free(&before.copy_data);
		before.copy_data = (tn_buf){ 0 };
		if ((rc = tnfb_push_read_items(db, &pt[j], upto, 0, err)) == TN_OK)
			rc = primary_hashes(pg, &pt[j], 1, err);
		/* the same changes in the same order: item k is the same key */
		for (k = 0; rc == TN_OK && k < pt[j].n && k < before.n; k++)
		{
			push_item *it = &pt[j].items[k];
			push_item *was = &before.items[k];
			char	  *swap;

			if (was->elem == NULL || strcmp(was->key, it->key) != 0)
				continue;
			swap = it->primary_hash;
			it->primary_hash = was->primary_hash;
			was->primary_hash = swap;
			swap = it->synced_hash;
			it->synced_hash = was->synced_hash;
			was->synced_hash = swap;
		}
		tnfb_push_free_items(&before);
	}
	return rc;
}

/*
 * May t's rows new since the sync go by COPY?  Not when the primary may
 * store a row otherwise than sent (*read_back: its rows are read back
 * after the push) or a column needs json_populate_record (an array or a
 * composite travels as JSON).  Asked only for a table with changes.
 */
static int
copy_allowed(sqlite3 *db, PGconn *pg, const tnfb_table *t, long long upto, int *copy, int *read_back,
			 tn_error *err)
{
	sqlite3_stmt *st;
	int			  has = 0;
	int			  j;
	int			  rc;

	*copy = 0;
	*read_back = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM tenancy_fallback_changes WHERE tbl = ?1 AND id <= ?2 LIMIT 1",
						   -1, &st, NULL) != SQLITE_OK)
		return tn_sqlite_error(db, sqlite3_errcode(db), err);
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, upto);
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!has)
		return TN_OK;
	if ((rc = tnfb_push_needs_read_back(pg, t, read_back, err)) != TN_OK)
		return rc;
	*copy = !*read_back;
	for (j = 0; j < t->ncols; j++)
		if (t->cols[j].kind == TN_FB_STRUCTURED)
			*copy = 0;
	return TN_OK;
}

static int
shadow_exists(sqlite3 *db, const tnfb_table *t)
{
	tn_buf		  name = { 0 };
	sqlite3_stmt *st;
	int			  found = 1;

	if (tn_buf_printf(&name, "tenancy_fb_old_%s", t->name) != TN_OK)
		return 1;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?1", -1, &st, NULL) == SQLITE_OK)
	{
		sqlite3_bind_text(st, 1, name.data, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	tn_buf_free(&name);
	return found;
}

#define TNFB_SECURE_DELETE_FAST 2 /* PRAGMA secure_delete's value for FAST */

/*
 * Set main's secure_delete (0, 1, 2 = FAST) and return the value it had.
 * The change log holds only (table, key, op, time); clearing it with
 * secure_delete on (Debian's build default) would zero and journal every
 * page it frees, twice its size in writes.  FAST still zeroes what is
 * deleted from pages that stay in use; the freed pages keep their bytes
 * until reused (SECURITY.md).  Never raised: a connection with it off
 * keeps it off.
 */
static int
set_secure_delete(sqlite3 *db, int value)
{
	int	  was = (int) tnfb_sqlite_int(db, "PRAGMA main.secure_delete", 0);
	char *q;

	if (was == value || (value == TNFB_SECURE_DELETE_FAST && was == 0))
		return was;
	/* the word: the pragma reads any number but "fast" as a boolean */
	q = value == TNFB_SECURE_DELETE_FAST ? sqlite3_mprintf("PRAGMA main.secure_delete = FAST")
										 : sqlite3_mprintf("PRAGMA main.secure_delete = %d", value);
	if (q != NULL)
		sqlite3_exec(db, q, NULL, NULL, NULL);
	sqlite3_free(q);
	return was;
}

/* The result of the COMMIT sent by PQsendQuery: TN_OK only if the primary said COMMIT. */
static int
commit_result(PGconn *pg, tn_error *err)
{
	PGresult *r;
	int		  rc = TN_OK;
	int		  committed = 0;

	while ((r = PQgetResult(pg)) != NULL)
	{
		/* a transaction in error answers COMMIT with ROLLBACK: the command tag tells */
		if (PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0)
			committed = 1;
		else if (rc == TN_OK)
			rc = tnfb_pq_error(pg, r, "the commit of the push", err);
		PQclear(r);
	}
	if (rc == TN_OK && !committed)
		rc = tnfb_pq_error(pg, NULL, "the commit of the push", err);
	return rc;
}

static const char *PUSHES_SQL =
	"CREATE SCHEMA IF NOT EXISTS tenancy_fallback;"
	"CREATE TABLE IF NOT EXISTS tenancy_fallback.pushes("
	"  push_id text PRIMARY KEY, pushed_at timestamptz NOT NULL DEFAULT pg_catalog.now(), changes int8 NOT NULL)";

int
tnfb_push(sqlite3 *db, const char *primary, const char *policy_text, tn_rows *out, int *contacted,
		  tn_error *err)
{
	tn_sqlite_conn conn;
	tn_fb_policy   policy;
	tnfb_tables	   ts = { 0 };
	push_table	  *pt = NULL;
	int			  *read_back = NULL; /* per table: record the primary's rows read back */
	int			   stream;
	PGconn		  *pg = NULL;
	PGresult	  *r = NULL;
	char		   id[64];
	long long	   upto = 0;
	long long	   before_refresh;
	int			   savepoint = 0;
	int			   in_txn = 0;
	int			   pg_txn = 0;
	int			   committing = 0; /* the primary's COMMIT is sent, its result not read */
	int			   already = 0;
	int			   conflicts = 0;
	int			   refreshes = 0;
	size_t		   i;
	size_t		   k;
	int			   rc;

	tn_rows_init_pooled(out, tn_def_fallback_push.ncols); /* one row per key: many small cells */
	if (contacted != NULL)
		*contacted = 0;
	tn_sqlite_conn_init(&conn, db);
	if (primary == NULL)
		return tn_error_null_argument(err, "primary");
	if ((rc = tn_fb_parse_policy(policy_text, &policy, err)) != TN_OK ||
		(rc = tn_sqlite_ensure_schema(&conn, err)) != TN_OK ||
		(rc = tnfb_ensure_local(db, err)) != TN_OK)
		return rc;
	if ((rc = pending_push(db, id, sizeof(id), &upto, err)) != TN_OK)
		return rc;
	if (id[0] == '\0')
		return TN_OK; /* nothing recorded: nothing to push */
	if (contacted != NULL)
		*contacted = 1; /* tried, at least: unreachable is an answer from the primary's side */
	if ((rc = tnfb_connect(primary, &pg, err)) != TN_OK)
		return rc;
	{
		/* one round trip: begin, the pushes table, and is this push there */
		char  *lit = PQescapeLiteral(pg, id, strlen(id));
		tn_buf q = { 0 };

		if (lit == NULL ||
			tn_buf_printf(&q, "BEGIN; %s; SELECT 1 FROM tenancy_fallback.pushes WHERE push_id = %s", PUSHES_SQL, lit) != TN_OK)
			rc = tnfb_oom(err);
		else
			rc = tnfb_pq_exec(pg, q.data, 0, NULL, &r, "the push", err);
		PQfreemem(lit);
		tn_buf_free(&q);
		if (rc != TN_OK)
			goto out;
		pg_txn = 1;
		already = PQntuples(r) > 0;
		PQclear(r);
		r = NULL;
	}
	if ((rc = tnfb_begin(db, &savepoint, err)) != TN_OK)
		goto out;
	in_txn = 1;
	if ((rc = tnfb_load_tables(db, &ts, err)) != TN_OK)
		goto out;
	/* a file pulled before shadow tables existed: its triggers are made again */
	for (i = 0; i < ts.n; i++)
		if (ts.t[i].npk > 0 && !shadow_exists(db, &ts.t[i]) && (rc = tnfb_make_capture(db, &ts.t[i], err)) != TN_OK)
			goto out;
	if (!already && (rc = refuse_keyless(db, &ts, upto, err)) != TN_OK)
	{
		/* nothing reached the primary: this push id is not needed */
		tn_error ignored;

		tn_error_clear(&ignored);
		if (set_pending(db, NULL, 0, &ignored) == TN_OK && tnfb_commit(db, savepoint, &ignored) == TN_OK)
			in_txn = 0;
		goto out;
	}
	before_refresh = tnfb_sqlite_int(db, "SELECT max(id) FROM tenancy_fallback_changes", 0);
	if ((pt = calloc(ts.n + 1, sizeof(push_table))) == NULL ||
		(read_back = calloc(ts.n + 1, sizeof(int))) == NULL)
	{
		rc = tnfb_oom(err);
		goto out;
	}
	/*
	 * A table whose changes are all inserts (no update, no delete of its
	 * own to go first) streams: its COPY is opened before it is read, and
	 * rows go to the primary while the rest are read.  Tables go parents
	 * first, so streaming stops for good at the first table with changes
	 * that cannot stream (a child's new rows may refer to its new rows,
	 * sent later).  Whether a table has only inserts is learnt by reading
	 * it: at its first other change the COPY is cancelled (rolled back to
	 * its savepoint) and the table read again, its new rows sent after
	 * the deletes and updates.
	 */
	stream = !already;
	for (i = 0; i < ts.n; i++)
	{
		int copy = 0;
		int taken = 0;
		int mixed;

		pt[i].t = &ts.t[i];
		if (ts.t[i].npk == 0)
			continue;
		/* rows new since the sync go by COPY where the primary stores them as sent */
		if (!already && (rc = copy_allowed(db, pg, &ts.t[i], upto, &copy, &read_back[i], err)) != TN_OK)
			goto out;
		if (copy && stream)
		{
			if ((rc = tnfb_push_copy_begin(pg, &pt[i], err)) != TN_OK)
				goto out;
			pt[i].stream = pg;
		}
		rc = tnfb_push_read_items(db, &pt[i], upto, copy, err);
		mixed = pt[i].mixed;
		if (pt[i].stream != NULL)
		{
			tn_error end_err;

			/* the COPY is ended even after a failed read, so the connection stays usable */
			tn_error_clear(&end_err);
			if (tnfb_push_copy_end(pg, &pt[i], &taken, &end_err) != TN_OK && rc == TN_OK)
				rc = (*err = end_err).code;
		}
		if (rc != TN_OK)
			goto out;
		if (taken)
		{
			/*
			 * Not only inserts: read again, the new rows by COPY after the
			 * deletes and updates.  A new key on the primary already: read
			 * without COPY, checked key by key below.
			 */
			tnfb_push_free_items(&pt[i]);
			pt[i].t = &ts.t[i];
			if ((rc = tnfb_push_read_items(db, &pt[i], upto, mixed ? copy : 0, err)) != TN_OK)
				goto out;
		}
		/* a table with changes that did not stream: the later ones wait too */
		if (pt[i].n > 0 && !pt[i].sent)
			stream = 0;
	}

	if (already)
	{
		/*
		 * An earlier push committed on the primary: finish the fallback's
		 * side, with the primary's rows read back (the fallback may have
		 * changed since that push read it).
		 */
		for (i = 0; i < ts.n; i++)
			read_back[i] = 1;
		for (i = 0; i < ts.n; i++)
			if ((rc = primary_hashes(pg, &pt[i], 0, err)) != TN_OK)
				goto out;
		for (i = 0; i < ts.n; i++)
			for (k = 0; k < pt[i].n; k++)
				if (add_row(out, ts.t[i].name, &pt[i].items[k], TN_FB_PUSHED) != TN_OK)
				{
					rc = tnfb_oom(err);
					goto out;
				}
	}
	else
	{
		/* check every key the primary had (locking its row), then decide */
		for (i = 0; i < ts.n; i++)
			if ((rc = primary_hashes(pg, &pt[i], 1, err)) != TN_OK)
				goto out;
		resolve_all(pt, ts.n, policy, &conflicts, &refreshes);
		if (policy == TN_FB_ABORT && conflicts > 0)
		{
			/* every conflict is reported: the new rows are checked too */
			if ((rc = check_copied(db, pg, pt, 0, ts.n, upto, err)) != TN_OK)
				goto out;
			resolve_all(pt, ts.n, policy, &conflicts, &refreshes);
			goto abort;
		}
		/* deletes, children first */
		for (i = ts.n; i-- > 0;)
			for (k = 0; k < pt[i].n; k += PUSH_BATCH)
				if ((rc = tnfb_push_apply_batch(pg, &pt[i], k, k + PUSH_BATCH < pt[i].n ? k + PUSH_BATCH : pt[i].n,
												TN_FB_OP_DELETE, err)) != TN_OK)
					goto out;
		/* inserts and updates, parents first */
		for (i = 0; i < ts.n; i++)
		{
			int taken = 0;

			if (pt[i].copy && (rc = tnfb_push_copy_inserts(pg, &pt[i], &taken, err)) != TN_OK)
				goto out;
			if (taken)
			{
				/*
				 * A new key is on the primary already: this table and the
				 * later ones that went by COPY are read again and checked
				 * key by key, as every table without COPY was.
				 */
				if ((rc = check_copied(db, pg, pt, i, ts.n, upto, err)) != TN_OK)
					goto out;
				resolve_all(pt, ts.n, policy, &conflicts, &refreshes);
				if (policy == TN_FB_ABORT && conflicts > 0)
					goto abort;
			}
			for (k = 0; k < pt[i].n; k += PUSH_BATCH)
			{
				size_t end = k + PUSH_BATCH < pt[i].n ? k + PUSH_BATCH : pt[i].n;

				if ((rc = tnfb_push_apply_batch(pg, &pt[i], k, end, TN_FB_OP_UPDATE, err)) != TN_OK ||
					(rc = tnfb_push_apply_batch(pg, &pt[i], k, end, TN_FB_OP_INSERT, err)) != TN_OK)
					goto out;
			}
			if (pt[i].n > 0 && (rc = tnfb_push_move_sequences(pg, &ts.t[i], err)) != TN_OK)
				goto out;
		}
		/* the primary's hashes after the push, where its rows are not as sent */
		for (i = 0; i < ts.n; i++)
			if (read_back[i] && (rc = primary_hashes(pg, &pt[i], 0, err)) != TN_OK)
				goto out;
		for (i = 0; i < ts.n; i++)
			for (k = 0; k < pt[i].n; k++)
				if (add_row(out, ts.t[i].name, &pt[i].items[k], pt[i].items[k].outcome) != TN_OK)
				{
					rc = tnfb_oom(err);
					goto out;
				}
		{
			char		n[32];
			const char *params[2] = { id, n };

			snprintf(n, sizeof(n), "%zu", out->nrows);
			if ((rc = tnfb_pq_exec(pg, "INSERT INTO tenancy_fallback.pushes(push_id, changes) VALUES ($1, $2)",
								   2, params, NULL, "the push", err)) != TN_OK)
				goto out;
		}
	}
	/* primary_wins: the fallback takes the primary's rows (before the commit there) */
	for (i = 0; refreshes > 0 && i < ts.n; i++)
		if ((rc = tnfb_push_refresh_rows(db, pg, &pt[i], err)) != TN_OK)
			goto out;
	/*
	 * The primary commits while the fallback clears the changes in its own
	 * transaction, still open: it commits only after the primary's COMMIT
	 * succeeded (a failed one rolls it back, the changes stay).  A crash in
	 * between leaves the pending push id, which the next push finds
	 * recorded on the primary, as before.
	 */
	if (pg_txn)
	{
		pg_txn = 0;
		if (!PQsendQuery(pg, "COMMIT"))
		{
			rc = tnfb_pq_error(pg, NULL, "the commit of the push", err);
			goto out;
		}
		committing = 1;
	}
	/* clear the changes the primary takes (made durable below, after its COMMIT) */
	for (i = 0; i < ts.n; i++)
		if ((rc = tnfb_push_store_synced(db, &pt[i], upto, before_refresh, read_back[i], err)) != TN_OK)
			goto out;
	{
		sqlite3_stmt *st;

		/*
		 * Kept: the changes made after this push read them (id in (upto,
		 * before_refresh]).  None (the usual case): a DELETE without WHERE
		 * empties the table at once.
		 */
		char *q = sqlite3_mprintf("SELECT count(*) FROM tenancy_fallback_changes WHERE id > %lld AND id <= %lld",
								  upto, before_refresh);
		int	  keep = q == NULL || tnfb_sqlite_int(db, q, 1) > 0;
		int	  secure;

		sqlite3_free(q);
		secure = set_secure_delete(db, TNFB_SECURE_DELETE_FAST);
		rc = sqlite3_prepare_v2(db, keep ? "DELETE FROM tenancy_fallback_changes WHERE id <= ?1 OR id > ?2" : "DELETE FROM tenancy_fallback_changes",
								-1, &st, NULL);
		if (rc == SQLITE_OK)
		{
			if (keep)
			{
				sqlite3_bind_int64(st, 1, upto);
				sqlite3_bind_int64(st, 2, before_refresh);
			}
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
			sqlite3_finalize(st);
		}
		set_secure_delete(db, secure);
		if (rc != SQLITE_OK)
		{
			rc = tn_sqlite_error(db, rc, err);
			goto out;
		}
	}
	if ((rc = set_pending(db, NULL, 0, err)) != TN_OK ||
		(rc = tn_sqlite_exec(db, "UPDATE tenancy_fallback_state SET last_push = strftime('%Y-%m-%d %H:%M:%f+00','now');"
								 " DELETE FROM tenancy_fallback_conflicts",
							 err)) != TN_OK)
		goto out;
	if (committing)
	{
		committing = 0;
		if ((rc = commit_result(pg, err)) != TN_OK)
			goto out;
		/* crash tests only: die in the window between the two commits */
		if (getenv("TENANCY_TEST_FB_KILL_AFTER_PRIMARY_COMMIT") != NULL)
			kill(getpid(), SIGKILL);
	}
	rc = tnfb_commit(db, savepoint, err);
	in_txn = rc != TN_OK;

	goto out;

abort:
	/* nothing is pushed; the conflicts are returned and kept for status */
	tnfb_pq_exec(pg, "ROLLBACK", 0, NULL, NULL, "the push", err);
	pg_txn = 0;
	tn_error_clear(err);
	rc = record_conflicts(db, &ts, pt, out, err);
	if (rc == TN_OK)
		rc = set_pending(db, NULL, 0, err);
	if (rc == TN_OK)
		rc = tnfb_commit(db, savepoint, err);
	in_txn = rc != TN_OK;

out:
	if (in_txn)
		tnfb_rollback(db, savepoint);
	if (rc != TN_OK)
		tn_rows_free(out);
	PQclear(r);
	PQfinish(pg); /* an open transaction there is rolled back */
	if (pt != NULL)
		tnfb_push_free_tables(pt, ts.n);
	free(read_back);
	tnfb_tables_free(&ts);
	return rc;
}

int
tnfb_fill_push(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	return tnfb_push(db, args[0] ? (const char *) sqlite3_value_text(args[0]) : NULL,
					 nargs > 1 && args[1] ? (const char *) sqlite3_value_text(args[1]) : NULL, out, NULL, err);
}
