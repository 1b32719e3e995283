/*
 * tn_state.c -- read one database's migration state and classify it.
 *
 * The planner lives here: every version is applied, pending, drifted
 * (checksum differs), missing (applied, gone from the catalog) or
 * out_of_order (pending but older than the newest applied).  A repeatable
 * (R__) whose checksum changed since it was applied is pending again, not
 * drifted, and never the newest applied version.  Also which
 * entries a run selects, the checks before a run, and the next batch id.
 *
 * The same state is built from a fan-out's probe of the two tables
 * (tn_state_from_probe), read by the host itself.
 *
 * Must not: write to the database (history and checkpoint rows are
 * tn_history.c's and tn_checkpoint.c's), or keep memory after
 * tn_state_free.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

/*
 * One query for the whole state: the no-op tenant_migrate costs only this.
 * The two tables as they are, one UNION ALL of two one-table scans (the
 * first column says which table a row comes from), joined on the version
 * here (tn_state_from_probe): no join to plan or run.  PostgreSQL planned
 * the former LEFT JOIN + NOT EXISTS as two hash joins, which took half of
 * a no-op call's time (parse + plan + run: 230-250 us against 110-125 us
 * for this one); SQLite built a Bloom filter for it.  Each column keeps one
 * type (PostgreSQL refuses a UNION of a number and a timestamp).
 */
static const char *STATE_SQL =
	"SELECT 0, version, name, checksum, CASE WHEN down_sql IS NULL THEN 0 ELSE 1 END, flags,"
	" NULL, NULL, NULL FROM {T}catalog"
	" UNION ALL"
	" SELECT 1, version, name, checksum, NULL, NULL, applied_at, duration_ms, batch FROM {T}applied";
#define STATE_SQL_NCOLS 9

const char *
tn_state_name(tn_state s)
{
	switch (s)
	{
		case TN_STATE_APPLIED:
			return "applied";
		case TN_STATE_PENDING:
			return "pending";
		case TN_STATE_DRIFTED:
			return "drifted";
		case TN_STATE_MISSING:
			return "missing";
		case TN_STATE_OUT_OF_ORDER:
			return "out_of_order";
	}
	return "unknown";
}

static void
entry_free(tn_entry *e)
{
	free(e->version);
	free(e->name);
	free(e->checksum);
	free(e->applied_checksum);
	free(e->applied_at);
}

void
tn_state_free(tn_db_state *st)
{
	size_t i;

	for (i = 0; i < st->count; i++)
		entry_free(&st->entries[i]);
	free(st->entries);
	memset(st, 0, sizeof(*st));
}

static int
entry_cmp(const void *x, const void *y)
{
	const tn_entry *a = x;
	const tn_entry *b = y;

	return tn_version_compare(a->version, b->version);
}

static int
dup_into(char **dst, const char *src, int *oom)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = strdup(src);
	if (*dst == NULL)
		*oom = 1;
	return 0;
}

/*
 * STATE_SQL's rows as the probe's two tables: catalog rows (version, name,
 * checksum, a non-NULL marker when there is a down, flags) and applied rows.
 */
static int
split_state_rows(const tn_rows *rows, tn_rows *catalog, tn_rows *applied, tn_error *err)
{
	for (size_t r = 0; r < rows->nrows; r++)
	{
		const char *tag = tn_rows_get(rows, r, 0);
		const char *has_down = tn_rows_get(rows, r, 4);
		const char *cells[TN_APPLIED_NCOLS];
		int			ok;

		cells[0] = tn_rows_get(rows, r, 1);
		cells[1] = tn_rows_get(rows, r, 2);
		cells[2] = tn_rows_get(rows, r, 3);
		if (tag != NULL && strcmp(tag, "0") == 0)
		{
			cells[3] = has_down != NULL && strcmp(has_down, "0") != 0 ? "1" : NULL;
			cells[4] = tn_rows_get(rows, r, 5);
			ok = tn_rows_add(catalog, cells) == TN_OK;
		}
		else if (tag != NULL && strcmp(tag, "1") == 0)
		{
			for (int c = 3; c < TN_APPLIED_NCOLS; c++)
				cells[c] = tn_rows_get(rows, r, c + 3);
			ok = tn_rows_add(applied, cells) == TN_OK;
		}
		else
			return tn_error_set(err, TN_ERR_ENGINE, "state row %zu names no table", r + 1);
		if (!ok)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	return TN_OK;
}

int
tn_state_load(const tn_adapter *a, tn_db_state *st, tn_error *err)
{
	tn_rows rows, catalog, applied;
	int		rc;

	memset(st, 0, sizeof(*st));
	rc = tn_query_rows(a, STATE_SQL, 0, NULL, STATE_SQL_NCOLS, &rows, err);
	if (rc != TN_OK)
		return rc;
	tn_rows_init(&catalog, TN_CATALOG_NCOLS);
	tn_rows_init(&applied, TN_APPLIED_NCOLS);
	rc = split_state_rows(&rows, &catalog, &applied, err);
	tn_rows_free(&rows);
	if (rc == TN_OK)
		rc = tn_state_from_probe(&catalog, &applied, st, err);
	tn_rows_free(&catalog);
	tn_rows_free(&applied);
	return rc;
}

/*
 * A fan-out's probe (tn_fanout_probe_sql): the two tables as they are,
 * with no join, no operator and no function, so that the host can run it
 * under any search_path.  COPY, not SELECT: a table copied out is not
 * planned (in a fresh backend planning the two scans opened each table's
 * indexes and statistics, about 0.3 ms of the tenant's CPU), and COPY
 * refuses anything but a plain table (a view, a foreign, partitioned or
 * materialized table) by itself.
 */
static const char *PROBE_SQL = "COPY {T}catalog (version, name, checksum, down_sql, flags) TO STDOUT;"
							   " COPY {T}applied (version, name, checksum, applied_at, duration_ms, batch) TO STDOUT";

char *
tn_fanout_probe_sql(const char *table_prefix)
{
	tn_adapter a;
	char	   buf[TN_SQL_MAX];

	memset(&a, 0, sizeof(a));
	a.table_prefix = table_prefix;
	return strdup(tn_sql(&a, PROBE_SQL, buf));
}

/* A row's version and index, sorted by version (NULLs first) for by_version. */
typedef struct version_ref
{
	const char *version;
	size_t		row;
} version_ref;

static int
version_ref_cmp(const void *x, const void *y)
{
	const char *a = ((const version_ref *) x)->version;
	const char *b = ((const version_ref *) y)->version;

	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static version_ref *
sorted_versions(const tn_rows *t)
{
	version_ref *refs = malloc(sizeof(version_ref) * (t->nrows > 0 ? t->nrows : 1));

	if (refs == NULL)
		return NULL;
	for (size_t i = 0; i < t->nrows; i++)
	{
		refs[i].version = tn_rows_get(t, i, 0);
		refs[i].row = i;
	}
	qsort(refs, t->nrows, sizeof(version_ref), version_ref_cmp);
	return refs;
}

/* The row of t (refs: sorted_versions(t)) whose version is v, or t->nrows. */
static size_t
by_version(const tn_rows *t, const version_ref *refs, const char *v)
{
	size_t lo = 0, hi = t->nrows;

	while (v != NULL && lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;
		const char *m = refs[mid].version;
		int			c = m == NULL ? 1 : strcmp(v, m);

		if (c == 0)
			return refs[mid].row;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return t->nrows;
}

/*
 * The state's rows from the two tables: each catalog row with its applied
 * row, if any (equal version text), then the applied rows no catalog row
 * has.  Matched through sorted indexes: a catalog of thousands of versions
 * costs n log n, not n x m.
 */
int
tn_state_from_probe(const tn_rows *catalog, const tn_rows *applied, tn_db_state *st, tn_error *err)
{
	tn_rows		 rows;
	version_ref *cat_idx, *app_idx;
	int			 rc = TN_OK;

	memset(st, 0, sizeof(*st));
	if (catalog->ncols != TN_CATALOG_NCOLS || applied->ncols != TN_APPLIED_NCOLS)
		return tn_error_set(err, TN_ERR_ENGINE, "probe rows have %d and %d columns, expected %d and %d",
							catalog->ncols, applied->ncols, TN_CATALOG_NCOLS, TN_APPLIED_NCOLS);
	cat_idx = sorted_versions(catalog);
	app_idx = sorted_versions(applied);
	if (cat_idx == NULL || app_idx == NULL)
	{
		free(cat_idx);
		free(app_idx);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	tn_rows_init(&rows, TN_STATE_NCOLS);
	for (size_t i = 0; rc == TN_OK && i < catalog->nrows + applied->nrows; i++)
	{
		const char *row[TN_STATE_NCOLS] = { NULL };
		const char *c = i < catalog->nrows ? tn_rows_get(catalog, i, 0) : NULL;
		size_t		a = i < catalog->nrows ? 0 : i - catalog->nrows;

		if (i < catalog->nrows)
		{
			/* a catalog row and its applied row */
			if (c == NULL)
			{
				rc = tn_error_set(err, TN_ERR_ENGINE, "catalog row %zu has no version", i + 1);
				break;
			}
			a = by_version(applied, app_idx, c);
			row[0] = c;
			row[2] = tn_rows_get(catalog, i, 1);
			row[4] = tn_rows_get(catalog, i, 2);
			row[9] = tn_rows_get(catalog, i, 4);
			row[10] = tn_rows_get(catalog, i, 3) ? "1" : "0";
			if (a == applied->nrows)
			{
				rc = tn_rows_add(&rows, row) == TN_OK ? TN_OK : TN_ERR_NO_MEMORY;
				continue;
			}
		}
		else
		{
			/* an applied row no catalog row has */
			const char *v = tn_rows_get(applied, a, 0);

			if (v != NULL && by_version(catalog, cat_idx, v) < catalog->nrows)
				continue;
			row[10] = "0";
		}
		row[1] = tn_rows_get(applied, a, 0);
		row[3] = tn_rows_get(applied, a, 1);
		row[5] = tn_rows_get(applied, a, 2);
		row[6] = tn_rows_get(applied, a, 3);
		row[7] = tn_rows_get(applied, a, 4);
		row[8] = tn_rows_get(applied, a, 5);
		rc = tn_rows_add(&rows, row) == TN_OK ? TN_OK : TN_ERR_NO_MEMORY;
	}
	free(cat_idx);
	free(app_idx);
	if (rc == TN_ERR_NO_MEMORY)
		rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	if (rc == TN_OK)
		rc = tn_state_from_rows(&rows, st, err);
	tn_rows_free(&rows);
	return rc;
}

int
tn_state_from_rows(const tn_rows *rows, tn_db_state *st, tn_error *err)
{
	size_t i;
	int	   oom = 0;

	memset(st, 0, sizeof(*st));
	if (rows->ncols != TN_STATE_NCOLS)
		return tn_error_set(err, TN_ERR_ENGINE, "tracking state has %d columns, expected %d",
							rows->ncols, TN_STATE_NCOLS);
	if (rows->nrows > 0)
	{
		st->entries = calloc(rows->nrows, sizeof(tn_entry));
		if (st->entries == NULL)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	for (i = 0; i < rows->nrows; i++)
	{
		tn_entry   *e = &st->entries[i];
		const char *cv = tn_rows_get(rows, i, 0);
		const char *av = tn_rows_get(rows, i, 1);

		if (cv == NULL && av == NULL)
		{
			tn_state_free(st);
			return tn_error_set(err, TN_ERR_ENGINE, "tracking state row %zu has no version", i + 1);
		}
		st->count++;
		e->in_catalog = cv != NULL;
		e->is_applied = av != NULL;
		dup_into(&e->version, cv ? cv : av, &oom);
		dup_into(&e->name, cv ? tn_rows_get(rows, i, 2) : tn_rows_get(rows, i, 3), &oom);
		dup_into(&e->checksum, tn_rows_get(rows, i, 4), &oom);
		dup_into(&e->applied_checksum, tn_rows_get(rows, i, 5), &oom);
		dup_into(&e->applied_at, tn_rows_get(rows, i, 6), &oom);
		e->duration_ms = tn_cell_int(tn_rows_get(rows, i, 7), 0);
		e->batch = tn_cell_int(tn_rows_get(rows, i, 8), 0);
		e->flags = tn_cell_int(tn_rows_get(rows, i, 9), 0);
		e->has_down = tn_cell_int(tn_rows_get(rows, i, 10), 0) != 0;
	}
	if (oom)
	{
		tn_state_free(st);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}

	if (st->count > 1)
		qsort(st->entries, st->count, sizeof(tn_entry), entry_cmp);

	for (i = 0; i < st->count; i++)
	{
		tn_entry *e = &st->entries[i];

		if (e->is_applied)
		{
			if (!tn_version_is_repeatable(e->version))
				st->newest_applied = e->version; /* sorted: the last one wins */
			if (e->batch > st->max_applied_batch)
				st->max_applied_batch = e->batch;
		}
	}
	for (i = 0; i < st->count; i++)
	{
		tn_entry *e = &st->entries[i];

		TN_ASSERT(e->version != NULL && (e->in_catalog || e->is_applied));
		TN_ASSERT(i == 0 || tn_version_compare(st->entries[i - 1].version, e->version) <= 0);
		if (e->is_applied && !e->in_catalog)
		{
			e->state = TN_STATE_MISSING;
			st->n_missing++;
		}
		else if (e->is_applied && strcmp(e->checksum, e->applied_checksum) != 0 &&
				 tn_version_is_repeatable(e->version))
		{
			e->state = TN_STATE_PENDING; /* a changed repeatable runs again: not drift */
			st->n_pending++;
		}
		else if (e->is_applied && strcmp(e->checksum, e->applied_checksum) != 0)
		{
			e->state = TN_STATE_DRIFTED;
			st->n_drifted++;
		}
		else if (e->is_applied)
			e->state = TN_STATE_APPLIED;
		else if (st->newest_applied != NULL &&
				 tn_version_compare(e->version, st->newest_applied) < 0)
		{
			e->state = TN_STATE_OUT_OF_ORDER;
			st->n_out_of_order++;
			st->n_pending++;
		}
		else
		{
			e->state = TN_STATE_PENDING;
			st->n_pending++;
		}
	}
	TN_ASSERT(st->n_out_of_order <= st->n_pending);
	TN_ASSERT(st->n_drifted + st->n_missing + st->n_pending <= st->count);
	return TN_OK;
}

tn_entry *
tn_state_find(tn_db_state *st, const char *version)
{
	size_t i;

	for (i = 0; i < st->count; i++)
		if (tn_version_compare(st->entries[i].version, version) == 0)
			return &st->entries[i];
	return NULL;
}

int
tn_entry_selected(const tn_entry *e, const char *target, int allow_out_of_order)
{
	if (e->state == TN_STATE_OUT_OF_ORDER && !allow_out_of_order)
		return 0;
	if (e->state != TN_STATE_PENDING && e->state != TN_STATE_OUT_OF_ORDER)
		return 0;
	if (target != NULL && tn_version_compare(e->version, target) > 0)
		return 0;
	return 1;
}

int
tn_state_check_runnable(const tn_db_state *st, const char *target,
						int allow_out_of_order, tn_error *err)
{
	size_t i;
	tn_buf list = { 0 };

	if (target != NULL)
	{
		int known = 0;

		for (i = 0; i < st->count; i++)
			if (st->entries[i].in_catalog &&
				tn_version_compare(st->entries[i].version, target) == 0)
				known = 1;
		if (!known)
		{
			tn_error_set(err, TN_ERR_NOT_FOUND, "target version \"%s\" is not in the catalog", target);
			tn_error_hint(err, "Load the migration first, or pass NULL to migrate to the newest version.");
			return TN_ERR_NOT_FOUND;
		}
	}

	if (st->n_drifted > 0)
	{
		const tn_entry *first = NULL;

		for (i = 0; i < st->count; i++)
		{
			const tn_entry *e = &st->entries[i];

			if (e->state != TN_STATE_DRIFTED)
				continue;
			if (first == NULL)
				first = e;
			tn_buf_printf(&list, "%sMigration \"%s\" was applied with %s; the catalog now has %s.",
						  list.len ? " " : "", e->version, e->applied_checksum, e->checksum);
		}
		if (st->n_drifted == 1)
			tn_error_set(err, TN_ERR_DRIFT, "migration \"%s\" has changed since it was applied", first->version);
		else
			tn_error_set(err, TN_ERR_DRIFT, "%zu migrations have changed since they were applied", st->n_drifted);
		tn_error_detail(err, "%s", list.data ? list.data : "");
		tn_error_hint(err, "Restore the original migration, or accept the new body with tenant_repair('%s').",
					  first->version);
		tn_buf_free(&list);
		return TN_ERR_DRIFT;
	}

	if (st->n_out_of_order > 0 && !allow_out_of_order)
	{
		const tn_entry *first = NULL;

		for (i = 0; i < st->count; i++)
		{
			const tn_entry *e = &st->entries[i];

			if (e->state != TN_STATE_OUT_OF_ORDER)
				continue;
			if (target != NULL && tn_version_compare(e->version, target) > 0)
				continue;
			if (first == NULL)
				first = e;
			tn_buf_printf(&list, "%s\"%s\"", list.len ? ", " : "", e->version);
		}
		if (first != NULL)
		{
			tn_error_set(err, TN_ERR_OUT_OF_ORDER,
						 "migration \"%s\" is older than the newest applied migration \"%s\"",
						 first->version, st->newest_applied);
			tn_error_detail(err, "Pending migrations older than the newest applied one: %s.", list.data);
			tn_error_hint(err, "Apply them anyway with tenant_migrate(NULL, true), or give them higher versions.");
			tn_buf_free(&list);
			return TN_ERR_OUT_OF_ORDER;
		}
	}
	tn_buf_free(&list);
	return TN_OK;
}

int
tn_next_batch(const tn_adapter *a, long long *batch, tn_error *err)
{
	tn_rows rows;
	int		rc;

	/* one aggregate over the three: half the planning of three (replanned after each CREATE SCHEMA) */
	rc = tn_query_rows(a,
					   "SELECT max(batch) FROM (SELECT batch FROM {T}history"
					   " UNION ALL SELECT batch FROM {T}applied"
					   " UNION ALL SELECT batch FROM {T}checkpoints) AS t",
					   0, NULL, 1, &rows, err);
	if (rc != TN_OK)
		return rc;
	*batch = tn_cell_int(rows.nrows ? tn_rows_get(&rows, 0, 0) : NULL, 0) + 1;
	tn_rows_free(&rows);
	return TN_OK;
}
