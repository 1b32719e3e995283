/*
 * tn_catalog.c -- the catalog of known migrations in one database: adding
 * one (idempotent, refusing to change an applied body), loading a whole
 * folder in one unit of work, and bringing a tenant set into it.
 *
 * Must not: run a migration body, or change the body of an applied
 * version (that is drift, refused here and reported by the planner).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

static int
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int write_catalog_row(const tn_adapter *a, const tn_migration *m, int may_exist,
							 tn_error *err);
static int repair_applied(const tn_adapter *a, const tn_migration *m, tn_error *err);

/* Add one migration inside an open unit of work. */
static int
catalog_add_locked(const tn_adapter *a, const tn_migration *m, int fix_forward,
				   int *added, tn_error *err)
{
	tn_value p[1];
	tn_rows	 rows;
	int		 rc;
	int		 found;

	*added = 0;
	p[0] = tn_text(m->version);
	rc = tn_query_rows(a,
					   "SELECT c.version, c.name, c.checksum, c.down_sql, a.checksum"
					   " FROM {T}catalog c LEFT JOIN {T}applied a ON a.version = c.version"
					   " WHERE c.version = $1",
					   1, p, 5, &rows, err);
	if (rc != TN_OK)
		return rc;

	found = rows.nrows > 0;
	if (rows.nrows == 0)
	{
		/* versions compare numerically: "01" and "1" are the same version */
		tn_rows_free(&rows);
		rc = tn_query_rows(a, "SELECT version FROM {T}catalog", 0, NULL, 1, &rows, err);
		if (rc != TN_OK)
			return rc;
		for (size_t i = 0; i < rows.nrows; i++)
		{
			const char *other = tn_rows_get(&rows, i, 0);

			if (tn_version_compare(other, m->version) == 0)
			{
				tn_error_set(err, TN_ERR_DUPLICATE, "version \"%s\" is already in the catalog as \"%s\"",
							 m->version, other);
				tn_error_detail(err, "Versions compare by number, so \"%s\" and \"%s\" are the same version.",
								m->version, other);
				tn_rows_free(&rows);
				return TN_ERR_DUPLICATE;
			}
		}
		tn_rows_free(&rows);
	}
	else
	{
		const char *name = tn_rows_get(&rows, 0, 1);
		const char *checksum = tn_rows_get(&rows, 0, 2);
		const char *down = tn_rows_get(&rows, 0, 3);
		const char *applied = tn_rows_get(&rows, 0, 4);

		if (same_text(name, m->name) && same_text(checksum, m->checksum) &&
			same_text(down, m->down_sql))
		{
			tn_rows_free(&rows);
			return TN_OK; /* identical: nothing to do */
		}
		if (applied != NULL && strcmp(applied, m->checksum) != 0 && fix_forward &&
			!tn_version_is_repeatable(m->version))
		{
			/* the fix-forward of a tenant set: the new body, the applied one recorded as repaired */
			tn_rows_free(&rows);
			if ((rc = write_catalog_row(a, m, 1, err)) != TN_OK)
				return rc;
			*added = 1;
			return repair_applied(a, m, err);
		}
		/* a repeatable's new body is applied again by the next migrate: neither drift nor repair */
		if (applied != NULL && strcmp(applied, m->checksum) != 0 && !tn_version_is_repeatable(m->version))
		{
			tn_error_set(err, TN_ERR_DRIFT, "migration \"%s\" is already applied with a different body",
						 m->version);
			tn_error_detail(err, "It was applied with %s; the new body has %s.", applied, m->checksum);
			tn_error_hint(err, "Never edit an applied migration: add a new one with a higher version.");
			tn_rows_free(&rows);
			return TN_ERR_DRIFT;
		}
		tn_rows_free(&rows);
	}

	rc = write_catalog_row(a, m, found, err);
	if (rc != TN_OK)
		return rc;
	*added = 1;
	return TN_OK;
}

static int
catalog_add(const tn_adapter *a, const tn_migration *m, int fix_forward,
			int *added, tn_error *err)
{
	int rc;

	if ((rc = a->begin(a->ctx, err)) != TN_OK)
		return rc;
	rc = catalog_add_locked(a, m, fix_forward, added, err);
	if (rc != TN_OK)
	{
		tn_abort(a, err);
		return rc;
	}
	return tn_finish(a, err);
}

static int add_set(const tn_adapter *a, tn_migration_set *set_in, int fix_forward,
				   long long *count, tn_error *err);

int
tn_catalog_add(const tn_adapter *a, const tn_migration *m, int *added,
			   tn_error *err)
{
	return catalog_add(a, m, 0, added, err);
}

int
tn_catalog_add_to_set(const tn_adapter *a, const tn_migration *m, int *added,
					  tn_error *err)
{
	return catalog_add(a, m, 1, added, err);
}

static int
load_folder(const tn_adapter *a, const char *path, int fix_forward,
			long long *count, tn_error *err)
{
	tn_migration_set set = { 0 };
	int				 rc;

	*count = 0;
	if (path == NULL)
		return tn_error_null_argument(err, "path");
	if ((rc = tn_load_folder(path, a->dialect, &set, err)) != TN_OK)
		return rc;
	return add_set(a, &set, fix_forward, count, err);
}

int
tn_catalog_load_files(const tn_adapter *a, size_t n, const char *const *names,
					  const char *const *bodies, const size_t *lens,
					  long long *count, tn_error *err)
{
	tn_migration_set set = { 0 };
	int				 rc;

	*count = 0;
	if ((rc = tn_load_files(n, names, bodies, lens, a->dialect, &set, err)) != TN_OK)
		return rc;
	return add_set(a, &set, 0, count, err);
}

/*
 * Add every migration of set (freed here) in one unit of work; *count: how
 * many were added or changed.  fix_forward: a tenant set, where a new body
 * of an applied version is accepted (tn_catalog_add_to_set).
 */
static int
add_set(const tn_adapter *a, tn_migration_set *set_in, int fix_forward,
		long long *count, tn_error *err)
{
	tn_migration_set set = *set_in;
	size_t			 i;
	int				 rc;

	memset(set_in, 0, sizeof(*set_in));
	if ((rc = a->begin(a->ctx, err)) != TN_OK)
	{
		tn_migration_set_free(&set);
		return rc;
	}
	for (i = 0; i < set.count; i++)
	{
		int added = 0;

		rc = catalog_add_locked(a, &set.items[i], fix_forward, &added, err);
		if (rc != TN_OK)
		{
			if (set.items[i].source != NULL)
				tn_error_detail_append(err, "File: %s.", set.items[i].source);
			tn_abort(a, err);
			tn_migration_set_free(&set);
			return rc;
		}
		*count += added;
	}
	tn_migration_set_free(&set);
	return tn_finish(a, err);
}

int
tn_catalog_load_folder(const tn_adapter *a, const char *path,
					   long long *count, tn_error *err)
{
	return load_folder(a, path, 0, count, err);
}

int
tn_catalog_load_folder_to_set(const tn_adapter *a, const char *path,
							  long long *count, tn_error *err)
{
	return load_folder(a, path, 1, count, err);
}

typedef struct catalog_row
{
	const char *version;
	const char *name;
	const char *checksum;
	const char *down_sql;
	long long	flags;
} catalog_row;

static int
catalog_row_cmp(const void *x, const void *y)
{
	return tn_version_compare(((const catalog_row *) x)->version,
							  ((const catalog_row *) y)->version);
}

/*
 * m's catalog row: replaced when may_exist and a row of that version text
 * is there, else inserted (an upsert in two plain statements, because a
 * PostgreSQL schema tenant writes through a view keyed by its schema, where
 * ON CONFLICT (version) has no index to infer; issue 14).  A row that was
 * there keeps its added_at, as before.
 */
static int
write_catalog_row(const tn_adapter *a, const tn_migration *m, int may_exist,
				  tn_error *err)
{
	tn_value p[7];
	tn_rows	 rows;
	int		 rc;
	int		 replaced = 0;

	p[0] = tn_text(m->version);
	p[1] = tn_text(m->name);
	p[2] = tn_text(m->up_sql);
	p[3] = tn_text(m->down_sql);
	p[4] = tn_text(m->checksum);
	p[5] = tn_int8((long long) m->flags);
	p[6] = tn_text(m->source);
	if (may_exist)
	{
		rc = tn_query_rows(a,
						   "UPDATE {T}catalog SET name = $2, up_sql = $3, down_sql = $4, checksum = $5,"
						   " flags = $6, source = $7 WHERE version = $1 RETURNING version",
						   7, p, 1, &rows, err);
		if (rc != TN_OK)
			return rc;
		replaced = rows.nrows > 0;
		tn_rows_free(&rows);
	}
	if (!replaced)
		rc = tn_exec(a,
					 "INSERT INTO {T}catalog (version, name, up_sql, down_sql, checksum, flags, source)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7)",
					 7, p, err);
	if (rc == TN_OK)
		rc = tn_history_add(a, "add", m->version, 0, m->checksum, err);
	return rc;
}

/*
 * m's version applied with another checksum: the applied row takes m's
 * (the tenant keeps what the old body did) and history records a
 * "repair" "old -> new", as tenant_repair does.  Nothing when it is not
 * applied or already has m's checksum.
 */
static int
repair_applied(const tn_adapter *a, const tn_migration *m, tn_error *err)
{
	tn_value p[2];
	tn_rows	 rows;
	char	 detail[200];
	int		 rc;

	p[0] = tn_text(m->version);
	if ((rc = tn_query_rows(a, "SELECT checksum FROM {T}applied WHERE version = $1", 1, p, 1, &rows, err)) != TN_OK)
		return rc;
	if (rows.nrows == 0 || tn_rows_get(&rows, 0, 0) == NULL || strcmp(tn_rows_get(&rows, 0, 0), m->checksum) == 0)
	{
		tn_rows_free(&rows);
		return TN_OK;
	}
	snprintf(detail, sizeof(detail), "%s -> %s", tn_rows_get(&rows, 0, 0), m->checksum);
	tn_rows_free(&rows);
	p[0] = tn_text(m->checksum);
	p[1] = tn_text(m->version);
	if ((rc = tn_exec(a, "UPDATE {T}applied SET checksum = $1 WHERE version = $2", 2, p, err)) != TN_OK)
		return rc;
	return tn_history_add(a, "repair", m->version, 0, detail, err);
}

/*
 * Walk the set against the catalog; for every migration that is missing or
 * differs, call write (when write is NULL, just count).  *differing gets
 * the count.
 */
static int
catalog_compare(const tn_adapter *a, const tn_migration_set *set, int write,
				size_t *differing, tn_error *err)
{
	tn_rows		 rows;
	catalog_row *have = NULL;
	size_t		 i;
	size_t		 j = 0;
	int			 rc;

	*differing = 0;
	TN_ASSERT(tn_set_is_sorted(set)); /* the merge walk below needs it */
	rc = tn_query_rows(a, "SELECT version, name, checksum, down_sql, flags FROM {T}catalog",
					   0, NULL, 5, &rows, err);
	if (rc != TN_OK)
		return rc;
	if (rows.nrows > 0 && (have = calloc(rows.nrows, sizeof(*have))) == NULL)
	{
		tn_rows_free(&rows);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	for (i = 0; i < rows.nrows; i++)
	{
		have[i].version = tn_rows_get(&rows, i, 0);
		have[i].name = tn_rows_get(&rows, i, 1);
		have[i].checksum = tn_rows_get(&rows, i, 2);
		have[i].down_sql = tn_rows_get(&rows, i, 3);
		have[i].flags = tn_cell_int(tn_rows_get(&rows, i, 4), 0);
	}
	if (rows.nrows > 1)
		qsort(have, rows.nrows, sizeof(*have), catalog_row_cmp);

	/* both sides sorted by version: one merge walk */
	for (i = 0; i < set->count && rc == TN_OK; i++)
	{
		const tn_migration *m = &set->items[i];
		int					cmp = 1;

		while (j < rows.nrows && (cmp = tn_version_compare(have[j].version, m->version)) < 0)
			j++;
		if (j < rows.nrows && cmp == 0 &&
			same_text(have[j].name, m->name) && same_text(have[j].checksum, m->checksum) &&
			same_text(have[j].down_sql, m->down_sql) && have[j].flags == (long long) m->flags)
			continue;
		(*differing)++;
		/*
		 * a fix-forward of the set reaches a tenant that applied the old body: repaired
		 * (a repeatable's new body is applied again instead)
		 */
		if (write && (rc = write_catalog_row(a, m, j < rows.nrows && cmp == 0, err)) == TN_OK &&
			j < rows.nrows && cmp == 0 && !same_text(have[j].checksum, m->checksum) &&
			!tn_version_is_repeatable(m->version))
			rc = repair_applied(a, m, err);
	}
	free(have);
	tn_rows_free(&rows);
	return rc;
}

int
tn_catalog_forget(const tn_adapter *a, const char *version, tn_error *err)
{
	tn_value v = tn_text(version);
	int		 rc = tn_exec(a, "DELETE FROM {T}catalog WHERE version = $1", 1, &v, err);

	if (rc == TN_OK)
		rc = tn_history_add(a, "remove", version, 0, "taken out of the tenant set", err);
	return rc;
}

int
tn_catalog_sync_locked(const tn_adapter *a, const tn_migration_set *set,
					   tn_error *err)
{
	size_t differing;

	return catalog_compare(a, set, 1, &differing, err);
}

int
tn_catalog_in_sync(const tn_adapter *a, const tn_migration_set *set,
				   int *in_sync, tn_error *err)
{
	size_t differing = 0;
	int	   rc = catalog_compare(a, set, 0, &differing, err);

	*in_sync = rc == TN_OK && differing == 0;
	return rc;
}

int
tn_catalog_load_sent(const tn_adapter *a, const tn_sent_files *files, long long *count, tn_error *err)
{
	return tn_catalog_load_files(a, files->n, files->names, files->bodies, files->lens, count, err);
}
