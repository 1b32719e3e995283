/*
 * tn_results.c -- result tables: the column list of every table-valued SQL
 * function, and tn_rows, the table of text cells that carries their rows.
 *
 * Both hosts declare their result columns from these definitions (the
 * SQLite virtual tables directly, the PostgreSQL script by hand, checked by
 * the conformance suite), so names, order and types cannot drift apart.
 *
 * Must not: decide what goes into a row (the files that fill them do), or
 * lose a table's rows on out-of-memory (tn_rows_add leaves it valid).
 */
#include <stdlib.h>
#include <string.h>

#include "tenancy.h"

#define COUNT_OF(a) ((int) (sizeof(a) / sizeof((a)[0])))

static const tn_column status_cols[] = {
	{ "version", TN_COL_TEXT },
	{ "name", TN_COL_TEXT },
	{ "state", TN_COL_TEXT },
	{ "checksum", TN_COL_TEXT },
	{ "applied_at", TN_COL_TIMESTAMPTZ },
	{ "duration_ms", TN_COL_INT8 },
	{ "batch", TN_COL_INT8 },
};
const tn_result_def tn_def_status = { "tenant_status", COUNT_OF(status_cols), status_cols };

static const tn_column verify_cols[] = {
	{ "version", TN_COL_TEXT },
	{ "name", TN_COL_TEXT },
	{ "state", TN_COL_TEXT },
	{ "detail", TN_COL_TEXT },
};
const tn_result_def tn_def_verify = { "tenant_verify", COUNT_OF(verify_cols), verify_cols };

static const tn_column plan_cols[] = {
	{ "version", TN_COL_TEXT },
	{ "name", TN_COL_TEXT },
	{ "state", TN_COL_TEXT },
	{ "mode", TN_COL_TEXT },
};
const tn_result_def tn_def_plan = { "tenant_plan", COUNT_OF(plan_cols), plan_cols };

static const tn_column dry_run_cols[] = {
	{ "version", TN_COL_TEXT },
	{ "name", TN_COL_TEXT },
	{ "outcome", TN_COL_TEXT },
	{ "duration_ms", TN_COL_INT8 },
	{ "error", TN_COL_TEXT },
};
const tn_result_def tn_def_dry_run = { "tenant_dry_run", COUNT_OF(dry_run_cols), dry_run_cols };

static const tn_column history_cols[] = {
	{ "id", TN_COL_INT8 },
	{ "at", TN_COL_TIMESTAMPTZ },
	{ "action", TN_COL_TEXT },
	{ "version", TN_COL_TEXT },
	{ "batch", TN_COL_INT8 },
	{ "detail", TN_COL_TEXT },
};
const tn_result_def tn_def_history = { "tenant_history", COUNT_OF(history_cols), history_cols };

static const tn_column checkpoints_cols[] = {
	{ "name", TN_COL_TEXT },
	{ "created_at", TN_COL_TIMESTAMPTZ },
	{ "batch", TN_COL_INT8 },
	{ "version", TN_COL_TEXT },
	{ "kind", TN_COL_TEXT },
	{ "mode", TN_COL_TEXT },
};
const tn_result_def tn_def_checkpoints = { "tenant_checkpoints", COUNT_OF(checkpoints_cols), checkpoints_cols };

static const tn_column tenants_cols[] = {
	{ "name", TN_COL_TEXT },
	{ "kind", TN_COL_TEXT },
	{ "location", TN_COL_TEXT },
	{ "state", TN_COL_TEXT },
	{ "version", TN_COL_TEXT },
	{ "pending", TN_COL_INT8 },
	{ "last_run", TN_COL_TIMESTAMPTZ },
	{ "last_error", TN_COL_TEXT },
	{ "last_checked", TN_COL_TIMESTAMPTZ }, /* when a fan-out last asked the tenant itself */
};
const tn_result_def tn_def_tenants = { "tenants", COUNT_OF(tenants_cols), tenants_cols };

static const tn_column migrate_all_cols[] = {
	{ "tenant", TN_COL_TEXT },
	{ "status", TN_COL_TEXT },
	{ "from_version", TN_COL_TEXT },
	{ "to_version", TN_COL_TEXT },
	{ "applied", TN_COL_INT8 },
	{ "duration_ms", TN_COL_INT8 },
	{ "sqlstate", TN_COL_TEXT },
	{ "error", TN_COL_TEXT },
};
const tn_result_def tn_def_migrate_all = { "tenant_migrate_all", COUNT_OF(migrate_all_cols), migrate_all_cols };

static const tn_column runs_cols[] = {
	{ "run_id", TN_COL_INT8 },
	{ "started_at", TN_COL_TIMESTAMPTZ },
	{ "finished_at", TN_COL_TIMESTAMPTZ },
	{ "target", TN_COL_TEXT },
	{ "status", TN_COL_TEXT },
	{ "tenants", TN_COL_INT8 },
	{ "applied", TN_COL_INT8 },
	{ "failed", TN_COL_INT8 },
};
const tn_result_def tn_def_runs = { "tenant_runs", COUNT_OF(runs_cols), runs_cols };

/* the dry run and the atomic run report exactly like tenant_migrate_all */
const tn_result_def tn_def_dry_run_all = { "tenant_dry_run_all", COUNT_OF(migrate_all_cols), migrate_all_cols };
const tn_result_def tn_def_migrate_all_atomic = { "tenant_migrate_all_atomic", COUNT_OF(migrate_all_cols), migrate_all_cols };
const tn_result_def tn_def_rollback_all = { "tenant_rollback_all", COUNT_OF(migrate_all_cols), migrate_all_cols };

static const tn_column verify_all_cols[] = {
	{ "tenant", TN_COL_TEXT },
	{ "status", TN_COL_TEXT }, /* ok | problems | unreachable */
	{ "version", TN_COL_TEXT },
	{ "pending", TN_COL_INT8 },
	{ "problems", TN_COL_INT8 },
	{ "detail", TN_COL_TEXT },
};
const tn_result_def tn_def_verify_all = { "tenant_verify_all", COUNT_OF(verify_all_cols), verify_all_cols };

static const tn_column settings_cols[] = {
	{ "name", TN_COL_TEXT },
	{ "engine", TN_COL_TEXT }, /* postgresql | sqlite */
	{ "default_value", TN_COL_TEXT },
	{ "unit", TN_COL_TEXT },
	{ "current_value", TN_COL_TEXT }, /* the host fills it where it can read it */
	{ "meaning", TN_COL_TEXT },
};
const tn_result_def tn_def_settings = { "tenant_settings", COUNT_OF(settings_cols), settings_cols };

static const tn_column query_all_cols[] = {
	{ "tenant", TN_COL_TEXT },
	{ "row", TN_COL_TEXT }, /* jsonb on PostgreSQL, JSON text on SQLite */
};
const tn_result_def tn_def_query_all = { "tenant_query_all", COUNT_OF(query_all_cols), query_all_cols };

void
tn_rows_init(tn_rows *r, int ncols)
{
	r->ncols = ncols;
	r->nrows = 0;
	r->cap = 0;
	r->cells = NULL;
	r->pooled = 0;
	r->pool = NULL;
}

void
tn_rows_init_pooled(tn_rows *r, int ncols)
{
	tn_rows_init(r, ncols);
	r->pooled = 1;
}

/* A block of a pooled table's cells. */
typedef struct rows_block
{
	struct rows_block *next;
	size_t			   used;
	size_t			   size;
	char			   data[];
} rows_block;

#define ROWS_BLOCK_SIZE 65536

/* n bytes for a cell: from the pool, or malloc'd for a table that is not pooled. */
static char *
cell_alloc(tn_rows *r, size_t n)
{
	rows_block *b = r->pool;

	if (!r->pooled)
		return malloc(n);
	if (b == NULL || b->size - b->used < n)
	{
		size_t size = n > ROWS_BLOCK_SIZE ? n : ROWS_BLOCK_SIZE;

		if ((b = malloc(sizeof(rows_block) + size)) == NULL)
			return NULL;
		b->used = 0;
		b->size = size;
		b->next = r->pool;
		r->pool = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

int
tn_rows_add(tn_rows *r, const char *const *values)
{
	size_t base;
	int	   i;

	TN_ASSERT(r->ncols > 0 && values != NULL);
	TN_ASSERT(r->nrows <= r->cap);
	if (r->nrows == r->cap)
	{
		size_t cap = r->cap ? r->cap * 2 : 16;
		char **cells = realloc(r->cells, cap * (size_t) r->ncols * sizeof(char *));

		if (cells == NULL)
			return TN_ERR_NO_MEMORY;
		r->cells = cells;
		r->cap = cap;
	}
	base = r->nrows * (size_t) r->ncols;
	for (i = 0; i < r->ncols; i++)
	{
		const char *v = values[i];

		r->cells[base + i] = NULL;
		if (v != NULL)
		{
			size_t n = strlen(v) + 1;
			char  *copy = cell_alloc(r, n);

			if (copy == NULL)
			{
				while (!r->pooled && --i >= 0)
					free(r->cells[base + i]);
				return TN_ERR_NO_MEMORY;
			}
			memcpy(copy, v, n);
			r->cells[base + i] = copy;
		}
	}
	r->nrows++;
	return TN_OK;
}

const char *
tn_rows_get(const tn_rows *r, size_t row, int col)
{
	if (row >= r->nrows || col < 0 || col >= r->ncols)
		return NULL;
	return r->cells[row * (size_t) r->ncols + col];
}

void
tn_rows_free(tn_rows *r)
{
	size_t i;

	if (r->cells != NULL && !r->pooled)
		for (i = 0; i < r->nrows * (size_t) r->ncols; i++)
			free(r->cells[i]);
	while (r->pool != NULL)
	{
		rows_block *next = ((rows_block *) r->pool)->next;

		free(r->pool);
		r->pool = next;
	}
	free(r->cells);
	r->cells = NULL;
	r->nrows = r->cap = 0;
}
