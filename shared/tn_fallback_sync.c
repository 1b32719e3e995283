/*
 * tn_fallback_sync.c -- the decisions of a fallback's sync with its
 * primary: foreign-key order, the net change of a recorded key, what is a
 * conflict and what each on_conflict policy does, whether the applied
 * versions allow a pull, the change-capture triggers, and the result
 * shapes of tenant_fallback_push / _status / tenant_backups.
 *
 * Must not: talk to a database or include a host header.
 */
#include <stdlib.h>
#include <string.h>

#include "tenancy.h"
#include "tn_internal.h"

#define COUNT_OF(a) ((int) (sizeof(a) / sizeof((a)[0])))

static const tn_column pull_cols[] = {
	{ "table_name", TN_COL_TEXT },
	{ "rows", TN_COL_INT8 },
};
const tn_result_def tn_def_fallback_pull = { "tenant_fallback_pull", COUNT_OF(pull_cols), pull_cols };

static const tn_column push_cols[] = {
	{ "table_name", TN_COL_TEXT },
	{ "key", TN_COL_TEXT },
	{ "op", TN_COL_TEXT },
	{ "outcome", TN_COL_TEXT },
};
const tn_result_def tn_def_fallback_push = { "tenant_fallback_push", COUNT_OF(push_cols), push_cols };

static const tn_column status_cols[] = { TN_FB_STATUS_COLUMNS };
const tn_result_def	   tn_def_fallback_status = { "tenant_fallback_status", COUNT_OF(status_cols), status_cols };

static const tn_column backups_cols[] = {
	{ "name", TN_COL_TEXT },
	{ "path", TN_COL_TEXT },
	{ "created_at", TN_COL_TIMESTAMPTZ },
	{ "bytes", TN_COL_INT8 },
};
const tn_result_def tn_def_backups = { "tenant_backups", COUNT_OF(backups_cols), backups_cols };

int
tn_fb_fk_order(size_t n, size_t nedges, const int *child, const int *parent,
			   int *order, int *cyclic, tn_error *err)
{
	int	  *indeg;
	char  *placed;
	size_t done = 0;
	size_t e;

	*cyclic = 0;
	if (n == 0)
		return TN_OK;
	indeg = calloc(n, sizeof(int));
	placed = calloc(n, 1);
	if (indeg == NULL || placed == NULL)
	{
		free(indeg);
		free(placed);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	for (e = 0; e < nedges; e++)
		if (child[e] != parent[e])
			indeg[child[e]]++;
	while (done < n)
	{
		size_t pick = n;
		size_t i;

		/* the first table whose parents are all placed */
		for (i = 0; i < n && pick == n; i++)
			if (!placed[i] && indeg[i] == 0)
				pick = i;
		if (pick == n)
		{
			/* a cycle: the first table left goes next */
			*cyclic = 1;
			for (i = 0; i < n && pick == n; i++)
				if (!placed[i])
					pick = i;
		}
		placed[pick] = 1;
		order[done++] = (int) pick;
		for (e = 0; e < nedges; e++)
			if ((size_t) parent[e] == pick && child[e] != parent[e] && !placed[child[e]])
				indeg[child[e]]--;
	}
	free(indeg);
	free(placed);
	return TN_OK;
}

tn_fb_op
tn_fb_net_op(int existed_at_sync, int exists_now)
{
	if (existed_at_sync)
		return exists_now ? TN_FB_OP_UPDATE : TN_FB_OP_DELETE;
	return exists_now ? TN_FB_OP_INSERT : TN_FB_OP_NONE;
}

const char *
tn_fb_op_name(tn_fb_op op)
{
	switch (op)
	{
		case TN_FB_OP_INSERT:
			return "insert";
		case TN_FB_OP_UPDATE:
			return "update";
		case TN_FB_OP_DELETE:
			return "delete";
		case TN_FB_OP_NONE:
			break;
	}
	return "none";
}

int
tn_fb_is_conflict(tn_fb_op op, const char *synced_hash, const char *primary_hash)
{
	switch (op)
	{
		case TN_FB_OP_INSERT:
			return primary_hash != NULL;
		case TN_FB_OP_UPDATE:
		case TN_FB_OP_DELETE:
			return primary_hash == NULL || synced_hash == NULL ||
				   strcmp(primary_hash, synced_hash) != 0;
		case TN_FB_OP_NONE:
			break;
	}
	return 0;
}

int
tn_fb_parse_policy(const char *text, tn_fb_policy *policy, tn_error *err)
{
	if (text == NULL || strcmp(text, "abort") == 0)
		*policy = TN_FB_ABORT;
	else if (strcmp(text, "primary_wins") == 0)
		*policy = TN_FB_PRIMARY_WINS;
	else if (strcmp(text, "fallback_wins") == 0)
		*policy = TN_FB_FALLBACK_WINS;
	else
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid on_conflict \"%s\"", text);
		tn_error_hint(err, "Use 'abort' (the default), 'primary_wins' or 'fallback_wins'.");
		return err->code;
	}
	return TN_OK;
}

void
tn_fb_resolve(tn_fb_op op, int conflict, const char *primary_hash,
			  tn_fb_policy policy, tn_fb_op *action, int *refresh,
			  const char **outcome)
{
	*refresh = 0;
	if (op == TN_FB_OP_NONE)
	{
		*action = TN_FB_OP_NONE;
		*outcome = TN_FB_SKIPPED;
		return;
	}
	if (!conflict)
	{
		*action = op;
		*outcome = TN_FB_PUSHED;
		return;
	}
	switch (policy)
	{
		case TN_FB_ABORT:
			*action = TN_FB_OP_NONE;
			*outcome = TN_FB_CONFLICT;
			return;
		case TN_FB_PRIMARY_WINS:
			*action = TN_FB_OP_NONE;
			*refresh = 1;
			*outcome = TN_FB_PRIMARY_KEPT;
			return;
		case TN_FB_FALLBACK_WINS:
			*outcome = TN_FB_FALLBACK_APPLIED;
			if (op == TN_FB_OP_DELETE)
				*action = primary_hash != NULL ? TN_FB_OP_DELETE : TN_FB_OP_NONE;
			else
				*action = primary_hash != NULL ? TN_FB_OP_UPDATE : TN_FB_OP_INSERT;
			return;
	}
}

static int
contains(const char *const *list, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tn_version_compare(list[i], v) == 0)
			return 1;
	return 0;
}

int
tn_fb_check_versions(const char *const *pr, size_t npr, const char *const *fb,
					 size_t nfb, int exact, const char **target, tn_error *err)
{
	const char *newest = NULL;
	size_t		i;

	*target = NULL;
	for (i = 0; i < npr; i++)
		if (newest == NULL || tn_version_compare(pr[i], newest) > 0)
			newest = pr[i];
	for (i = 0; i < nfb; i++)
	{
		if (contains(pr, npr, fb[i]))
			continue;
		if (newest == NULL || tn_version_compare(fb[i], newest) > 0)
		{
			tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "primary is behind the fallback");
			tn_error_detail(err, "The fallback has applied version %s; the primary's newest applied version is %s.",
							fb[i], newest ? newest : "none");
			tn_error_hint(err, "Migrate the primary first (tenant_migrate() there), then pull again.");
		}
		else
		{
			tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "applied versions differ between primary and fallback");
			tn_error_detail(err, "The fallback has applied version %s, which the primary has not applied.", fb[i]);
		}
		return err->code;
	}
	if (exact)
		for (i = 0; i < npr; i++)
			if (!contains(fb, nfb, pr[i]))
			{
				tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "applied versions differ between primary and fallback");
				tn_error_detail(err, "The primary has applied version %s, which the fallback has not applied.", pr[i]);
				tn_error_hint(err, "Load the sqlite migrations of the tenant set into the fallback (tenant_migrations_load) so that it can reach every version the primary has.");
				return err->code;
			}
	*target = newest;
	return TN_OK;
}

static int
trigger_name(tn_buf *out, const char *what, const char *table)
{
	tn_buf name = { 0 };
	int	   rc;

	if ((rc = tn_buf_printf(&name, "tenancy_fb_%s_%s", what, table)) == TN_OK)
		rc = tn_fb_quote_ident(name.data, out);
	tn_buf_free(&name);
	return rc;
}

/* json_array(<prefix>."a", <prefix>."b") */
static int
key_expr(tn_buf *out, const char *prefix, const char *const *pk, size_t npk)
{
	size_t i;
	int	   rc = tn_buf_printf(out, "json_array(");

	for (i = 0; rc == TN_OK && i < npk; i++)
	{
		rc = tn_buf_printf(out, "%s%s.", i ? ", " : "", prefix);
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(pk[i], out);
	}
	return rc == TN_OK ? tn_buf_printf(out, ")") : rc;
}

/* "tenancy_fb_old_<table>", quoted: the rows as they were at the last sync */
int
tn_fb_shadow_name(const char *table, tn_buf *out)
{
	return trigger_name(out, "old", table);
}

/* "a", "b" or <prefix>."a", <prefix>."b" */
static int
col_list(tn_buf *out, const char *prefix, const char *const *cols, size_t ncols)
{
	size_t i;
	int	   rc = TN_OK;

	for (i = 0; rc == TN_OK && i < ncols; i++)
	{
		rc = tn_buf_printf(out, "%s%s%s", i ? ", " : "", prefix ? prefix : "", prefix ? "." : "");
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(cols[i], out);
	}
	return rc;
}

/* WHERE NOT EXISTS (a change of <key> recorded since the sync) */
static int
first_change(tn_buf *out, const char *table, const char *row, const char *const *pk, size_t npk)
{
	int rc;

	if ((rc = tn_buf_printf(out, "NOT EXISTS (SELECT 1 FROM tenancy_fallback_changes WHERE tbl = ")) != TN_OK ||
		(rc = tn_fb_quote_literal(table, out)) != TN_OK ||
		(rc = tn_buf_printf(out, " AND key = ")) != TN_OK ||
		(rc = key_expr(out, row, pk, npk)) != TN_OK)
		return rc;
	return tn_buf_printf(out, ")");
}

/* INSERT OR IGNORE INTO <shadow>(cols) SELECT <row>.cols WHERE <first change> */
static int
capture_old(tn_buf *out, const char *table, const char *const *cols, size_t ncols,
			const char *const *pk, size_t npk)
{
	int rc;

	if ((rc = tn_buf_printf(out, " INSERT OR IGNORE INTO ")) != TN_OK ||
		(rc = tn_fb_shadow_name(table, out)) != TN_OK ||
		(rc = tn_buf_printf(out, " (")) != TN_OK ||
		(rc = col_list(out, NULL, cols, ncols)) != TN_OK ||
		(rc = tn_buf_printf(out, ") SELECT ")) != TN_OK ||
		(rc = col_list(out, "OLD", cols, ncols)) != TN_OK ||
		(rc = tn_buf_printf(out, " WHERE ")) != TN_OK ||
		(rc = first_change(out, table, "OLD", pk, npk)) != TN_OK)
		return rc;
	return tn_buf_printf(out, ";");
}

static int
one_trigger(tn_buf *out, const char *what, const char *event, const char *table,
			const char *const *pk, size_t npk, const char *row, const char *op,
			const char *const *cols, size_t ncols)
{
	int rc;

	if ((rc = tn_buf_printf(out, "CREATE TRIGGER ")) != TN_OK ||
		(rc = trigger_name(out, what, table)) != TN_OK ||
		(rc = tn_buf_printf(out, " AFTER %s ON ", event)) != TN_OK ||
		(rc = tn_fb_quote_ident(table, out)) != TN_OK ||
		(rc = tn_buf_printf(out, " BEGIN")) != TN_OK)
		return rc;
	/* the row as it was at the sync, kept by the first change of its key */
	if (cols != NULL && strcmp(row, "OLD") == 0 &&
		(rc = capture_old(out, table, cols, ncols, pk, npk)) != TN_OK)
		return rc;
	if ((rc = tn_buf_printf(out, " INSERT INTO tenancy_fallback_changes(tbl, key, op) VALUES (")) != TN_OK ||
		(rc = tn_fb_quote_literal(table, out)) != TN_OK ||
		(rc = tn_buf_printf(out, ", ")) != TN_OK ||
		(rc = key_expr(out, row, pk, npk)) != TN_OK ||
		(rc = tn_buf_printf(out, ", '%s')", op)) != TN_OK)
		return rc;
	if (strcmp(what, "upd") == 0)
	{
		/* a changed key: the old key is gone, the new one is there */
		if ((rc = tn_buf_printf(out, "; INSERT INTO tenancy_fallback_changes(tbl, key, op) SELECT ")) != TN_OK ||
			(rc = tn_fb_quote_literal(table, out)) != TN_OK ||
			(rc = tn_buf_printf(out, ", ")) != TN_OK ||
			(rc = key_expr(out, "NEW", pk, npk)) != TN_OK ||
			(rc = tn_buf_printf(out, ", 'update' WHERE ")) != TN_OK ||
			(rc = key_expr(out, "NEW", pk, npk)) != TN_OK ||
			(rc = tn_buf_printf(out, " IS NOT ")) != TN_OK ||
			(rc = key_expr(out, "OLD", pk, npk)) != TN_OK)
			return rc;
	}
	return tn_buf_printf(out, "; END;\n");
}

/*
 * BEFORE INSERT: an INSERT OR REPLACE (or an upsert) over a row the sync
 * left there replaces it without a delete trigger: keep that row first.
 */
static int
before_insert(tn_buf *out, const char *table, const char *const *cols, size_t ncols,
			  const char *const *pk, size_t npk)
{
	size_t i;
	int	   rc;

	if ((rc = tn_buf_printf(out, "CREATE TRIGGER ")) != TN_OK ||
		(rc = trigger_name(out, "bin", table)) != TN_OK ||
		(rc = tn_buf_printf(out, " BEFORE INSERT ON ")) != TN_OK ||
		(rc = tn_fb_quote_ident(table, out)) != TN_OK ||
		(rc = tn_buf_printf(out, " BEGIN INSERT OR IGNORE INTO ")) != TN_OK ||
		(rc = tn_fb_shadow_name(table, out)) != TN_OK ||
		(rc = tn_buf_printf(out, " (")) != TN_OK ||
		(rc = col_list(out, NULL, cols, ncols)) != TN_OK ||
		(rc = tn_buf_printf(out, ") SELECT ")) != TN_OK ||
		(rc = col_list(out, "tenancy_o", cols, ncols)) != TN_OK ||
		(rc = tn_buf_printf(out, " FROM ")) != TN_OK ||
		(rc = tn_fb_quote_ident(table, out)) != TN_OK ||
		(rc = tn_buf_printf(out, " AS tenancy_o WHERE ")) != TN_OK)
		return rc;
	for (i = 0; rc == TN_OK && i < npk; i++)
	{
		rc = tn_buf_printf(out, "tenancy_o.");
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(pk[i], out);
		if (rc == TN_OK)
			rc = tn_buf_printf(out, " = NEW.");
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(pk[i], out);
		if (rc == TN_OK)
			rc = tn_buf_printf(out, " AND ");
	}
	if (rc == TN_OK)
		rc = first_change(out, table, "NEW", pk, npk);
	return rc == TN_OK ? tn_buf_printf(out, "; END;\n") : rc;
}

int
tn_fb_trigger_sql(const char *table, const char *const *pk, size_t npk,
				  const char *const *cols, size_t ncols, tn_buf *out)
{
	int rc;

	if (cols != NULL && (rc = before_insert(out, table, cols, ncols, pk, npk)) != TN_OK)
		return rc;
	if ((rc = one_trigger(out, "ins", "INSERT", table, pk, npk, "NEW", "insert", cols, ncols)) != TN_OK ||
		(rc = one_trigger(out, "upd", "UPDATE", table, pk, npk, "OLD", "update", cols, ncols)) != TN_OK)
		return rc;
	return one_trigger(out, "del", "DELETE", table, pk, npk, "OLD", "delete", cols, ncols);
}

int
tn_fb_shadow_sql(const char *table, const char *const *cols, size_t ncols,
				 const char *const *pk, size_t npk, tn_buf *out)
{
	int rc;

	/* no declared types: a value is kept exactly as the table held it */
	if ((rc = tn_buf_printf(out, "CREATE TABLE IF NOT EXISTS ")) != TN_OK ||
		(rc = tn_fb_shadow_name(table, out)) != TN_OK ||
		(rc = tn_buf_printf(out, " (")) != TN_OK ||
		(rc = col_list(out, NULL, cols, ncols)) != TN_OK ||
		(rc = tn_buf_printf(out, ", PRIMARY KEY (")) != TN_OK ||
		(rc = col_list(out, NULL, pk, npk)) != TN_OK)
		return rc;
	return tn_buf_printf(out, "));\n");
}

int
tn_fb_drop_trigger_sql(const char *table, tn_buf *out)
{
	static const char *const what[] = { "bin", "ins", "upd", "del" };
	int						 i;
	int						 rc = TN_OK;

	for (i = 0; rc == TN_OK && i < 4; i++)
	{
		rc = tn_buf_printf(out, "DROP TRIGGER IF EXISTS ");
		if (rc == TN_OK)
			rc = trigger_name(out, what[i], table);
		if (rc == TN_OK)
			rc = tn_buf_printf(out, ";\n");
	}
	return rc;
}
