/*
 * tn_rollback_all.c -- the decisions of reverting a fleet (issue 9): what
 * tenant_rollback_all's argument names (a version of the tenant set or a
 * checkpoint), undoing every applied version from a version on in one
 * tenant, the row of one tenant's outcome, which tenants a subset call
 * runs and in what order, and whether tenant_migration_remove may take a
 * version out of the tenant set.
 *
 * Must not: open a tenant, loop over tenants or write a registry (the
 * hosts do), or undo anything partially (a tenant's rollback is one unit
 * of work).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

/* a tenant name is at most 63 bytes (tn_validate_tenant_name); longer is no name */
#define TN_TENANT_LIST_NAME_MAX 63

int
tn_rollback_all_arg(const tn_migration_set *set, const char *arg,
					const char **version, const char **checkpoint,
					tn_error *err)
{
	const tn_migration *m;
	tn_error			scratch;

	*version = NULL;
	*checkpoint = NULL;
	if (arg == NULL)
		return tn_error_null_argument(err, "checkpoint_or_version");
	m = tn_set_find(set, arg);
	if (m != NULL)
	{
		*version = m->version;
		return TN_OK;
	}
	tn_error_clear(&scratch);
	if (tn_version_validate(tn_version_strip(arg), &scratch) == TN_OK)
	{
		/* written like a version: a version the set does not have, not a checkpoint */
		tn_error_set(err, TN_ERR_NOT_FOUND, "version \"%s\" is not in the tenant set", arg);
		tn_error_hint(err, "Name a version of the tenant set (it and every later version are undone) "
						   "or a checkpoint name.");
		return TN_ERR_NOT_FOUND;
	}
	if (tn_validate_checkpoint_name(arg, err) != TN_OK)
		return err->code;
	*checkpoint = arg;
	return TN_OK;
}

/* The applied versions >= version, newest first: (version, name, batch). */
static int
load_undo_from(const tn_adapter *a, const char *version, tn_rows *undo, tn_error *err)
{
	tn_rows all;
	size_t	i;
	int		rc;

	rc = tn_query_rows(a, "SELECT version, name, batch FROM {T}applied", 0, NULL, 3, &all, err);
	if (rc != TN_OK)
		return rc;
	tn_rows_init(undo, 3);
	for (i = 0; i < all.nrows; i++)
	{
		const char *row[3] = { tn_rows_get(&all, i, 0), tn_rows_get(&all, i, 1), tn_rows_get(&all, i, 2) };

		if (tn_version_compare(row[0], version) >= 0 && tn_rows_add(undo, row) != TN_OK)
		{
			tn_rows_free(&all);
			tn_rows_free(undo);
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		}
	}
	tn_rows_free(&all);
	/* newest first (insertion sort: a tenant has few versions to undo) */
	for (i = 1; i < undo->nrows; i++)
		for (size_t j = i; j > 0 && tn_version_compare(undo->cells[(j - 1) * 3], undo->cells[j * 3]) < 0; j--)
			for (int k = 0; k < 3; k++)
			{
				char *t = undo->cells[(j - 1) * 3 + k];

				undo->cells[(j - 1) * 3 + k] = undo->cells[j * 3 + k];
				undo->cells[j * 3 + k] = t;
			}
	return TN_OK;
}

/*
 * The down of version: the tenant set's when the set has the version (so
 * a down added to the set later reaches every tenant), else the tenant's
 * own catalog's.  *down is malloc'd, NULL when there is none.
 */
static int
find_down(const tn_adapter *a, const tn_migration_set *set, const char *version,
		  char **down, long long *flags, tn_error *err)
{
	const tn_migration *m = set ? tn_set_find(set, version) : NULL;
	tn_value			p = tn_text(version);
	tn_rows				rows;
	int					rc;

	*down = NULL;
	*flags = 0;
	if (m != NULL)
	{
		*flags = (long long) m->flags;
		if (m->down_sql == NULL)
			return TN_OK;
		*down = tn_strdup(m->down_sql, err);
		return *down ? TN_OK : TN_ERR_NO_MEMORY;
	}
	rc = tn_query_rows(a, "SELECT down_sql, flags FROM {T}catalog WHERE version = $1", 1, &p, 2, &rows, err);
	if (rc != TN_OK)
		return rc;
	if (rows.nrows > 0)
		*flags = tn_cell_int(tn_rows_get(&rows, 0, 1), 0);
	if (rows.nrows > 0 && tn_rows_get(&rows, 0, 0) != NULL)
		*down = tn_strdup(tn_rows_get(&rows, 0, 0), err);
	rc = rows.nrows > 0 && tn_rows_get(&rows, 0, 0) != NULL && *down == NULL ? TN_ERR_NO_MEMORY : TN_OK;
	tn_rows_free(&rows);
	return rc;
}

/* Undo row i: its down in a savepoint, its applied row gone, a history row. */
static int
undo_version(const tn_adapter *a, const tn_rows *undo, size_t i, const char *down,
			 long long flags, const char *from, tn_error *err)
{
	tn_entry e;
	tn_value q;
	long	 offset = -1;
	char	 detail[200];
	int		 rc;

	memset(&e, 0, sizeof(e));
	e.version = undo->cells[i * 3];
	e.name = undo->cells[i * 3 + 1];
	e.flags = flags; /* where the down starts in its file */
	if (a->interrupted != NULL && a->interrupted(a->ctx))
	{
		rc = tn_error_set(err, TN_ERR_INTERRUPTED, "rollback interrupted before \"%s\"", e.version);
		tn_error_detail(err, "Nothing was changed.");
		return rc;
	}
	if ((rc = a->savepoint(a->ctx, err)) != TN_OK)
		return rc;
	if ((rc = a->exec_script(a->ctx, down, &offset, err)) != TN_OK)
	{
		tn_error ignored;
		char	 after[200];

		a->rollback_to(a->ctx, &ignored);
		snprintf(after, sizeof(after), "The rollback to before version \"%s\" was undone; nothing was changed.",
				 from);
		tn_migration_failed(err, &e, -1, "down of migration", down, offset, after);
		tn_error_hint(err, "Fix the down body with tenant_migration_add(..., 'tenants') and roll back again.");
		return TN_ERR_MIGRATION_FAILED;
	}
	q = tn_text(e.version);
	rc = tn_exec(a, "DELETE FROM {T}applied WHERE version = $1", 1, &q, err);
	snprintf(detail, sizeof(detail), "rolled back to before version %s", from);
	if (rc == TN_OK)
		rc = tn_history_add(a, "rollback", e.version, tn_cell_int(undo->cells[i * 3 + 2], 0), detail, err);
	if (rc == TN_OK)
		rc = a->release(a->ctx, err);
	return rc;
}

/* Every version to undo needs a down: refuse before any change, naming the missing ones. */
static int
collect_downs(const tn_adapter *a, const tn_migration_set *set, const tn_rows *undo,
			  const char *version, char **downs, long long *flags, tn_error *err)
{
	tn_buf missing = { 0 };
	int	   rc = TN_OK;

	for (size_t i = 0; rc == TN_OK && i < undo->nrows; i++)
	{
		rc = find_down(a, set, tn_rows_get(undo, i, 0), &downs[i], &flags[i], err);
		if (rc == TN_OK && downs[i] == NULL)
			tn_buf_printf(&missing, "%s%s (%s)", missing.len ? ", " : "",
						  tn_rows_get(undo, i, 0), tn_rows_get(undo, i, 1));
	}
	if (rc != TN_OK || missing.len == 0)
	{
		tn_buf_free(&missing);
		return rc;
	}
	tn_error_set(err, TN_ERR_MISSING_DOWN, "cannot roll back to before version \"%s\"", version);
	tn_error_detail(err, "These migrations have no down body: %s. Nothing was changed.", missing.data);
	tn_error_hint(err, "Add the down bodies with tenant_migration_add(version, name, up_sql, down_sql, 'tenants') "
					   "and run the rollback again.");
	tn_buf_free(&missing);
	return TN_ERR_MISSING_DOWN;
}

int
tn_rollback_before(const tn_adapter *a, const tn_migration_set *set,
				   const char *version, tn_migrate_result *res, tn_error *err)
{
	tn_rows	   undo;
	tn_rows	   cps;
	char	 **downs = NULL;
	long long *flags = NULL;
	tn_value   p;
	int		   rc;

	memset(res, 0, sizeof(*res));
	tn_rows_init(&res->report, 0);
	if (version == NULL)
		return tn_error_null_argument(err, "version");
	if ((rc = a->begin(a->ctx, err)) != TN_OK)
		return rc;
	if ((rc = tn_newest_applied(a, res->from_version, sizeof(res->from_version), err)) != TN_OK ||
		(rc = load_undo_from(a, version, &undo, err)) != TN_OK)
	{
		tn_abort(a, err);
		return rc;
	}
	downs = calloc(undo.nrows + 1, sizeof(char *));
	flags = calloc(undo.nrows + 1, sizeof(long long));
	if (downs == NULL || flags == NULL)
		rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	if (rc == TN_OK)
		rc = collect_downs(a, set, &undo, version, downs, flags, err);
	for (size_t i = 0; rc == TN_OK && i < undo.nrows; i++)
		if ((rc = undo_version(a, &undo, i, downs[i], flags[i], version, err)) == TN_OK)
			res->applied++;
	/* marker checkpoints taken at a version now undone describe a state that is gone */
	if (rc == TN_OK && undo.nrows > 0 &&
		(rc = tn_query_rows(a, "SELECT name, version FROM {T}checkpoints", 0, NULL, 2, &cps, err)) == TN_OK)
	{
		for (size_t i = 0; rc == TN_OK && i < cps.nrows; i++)
			if (tn_rows_get(&cps, i, 1) != NULL && tn_version_compare(tn_rows_get(&cps, i, 1), version) >= 0)
			{
				p = tn_text(tn_rows_get(&cps, i, 0));
				rc = tn_exec(a, "DELETE FROM {T}checkpoints WHERE name = $1 AND mode = 'marker'", 1, &p, err);
			}
		tn_rows_free(&cps);
	}
	if (rc == TN_OK)
		rc = tn_newest_applied(a, res->to_version, sizeof(res->to_version), err);
	for (size_t i = 0; downs && i < undo.nrows; i++)
		free(downs[i]);
	free(downs);
	free(flags);
	tn_rows_free(&undo);
	if (rc != TN_OK)
	{
		tn_abort(a, err);
		res->applied = 0;
		snprintf(res->to_version, sizeof(res->to_version), "%s", res->from_version);
		return rc;
	}
	return tn_finish(a, err);
}

int
tn_rollback_all_one(const tn_adapter *a, const tn_migration_set *set,
					const char *version, const char *checkpoint,
					tn_migrate_result *res, tn_error *err)
{
	long long count = 0;
	int		  rc;

	TN_ASSERT((version == NULL) != (checkpoint == NULL));
	if (version != NULL)
		return tn_rollback_before(a, set, version, res, err);
	memset(res, 0, sizeof(*res));
	tn_rows_init(&res->report, 0);
	if ((rc = tn_newest_applied(a, res->from_version, sizeof(res->from_version), err)) != TN_OK)
		return rc;
	rc = tn_rollback(a, checkpoint, &count, err);
	if (rc != TN_OK)
	{
		snprintf(res->to_version, sizeof(res->to_version), "%s", res->from_version);
		return rc;
	}
	res->applied = count;
	return tn_newest_applied(a, res->to_version, sizeof(res->to_version), err);
}

int
tn_rollback_all_row(tn_rows *out, const char *tenant, int rc,
					const tn_migrate_result *res, const tn_error *err,
					long long duration_ms)
{
	/* a tenant that failed undid nothing and stays where it was: no versions, as an unreachable one */
	int		 added = tn_fanout_row(out, tenant, rc, rc == TN_OK ? res : NULL, err, duration_ms);
	char   **status;
	tn_error scratch;

	if (added != TN_OK || rc != TN_OK)
		return added;
	/* the same row as tenant_migrate_all's; only the words of success differ */
	status = &out->cells[(out->nrows - 1) * out->ncols + 1];
	free(*status);
	*status = tn_strdup(res->applied > 0 ? TN_FANOUT_ROLLED_BACK : TN_FANOUT_UNCHANGED, &scratch);
	return *status ? TN_OK : TN_ERR_NO_MEMORY;
}

void
tn_rollback_all_run_target(char *buf, size_t size, const char *version, const char *checkpoint)
{
	if (version != NULL)
		snprintf(buf, size, "rollback to before %s", version);
	else
		snprintf(buf, size, "rollback to checkpoint %s", checkpoint ? checkpoint : "");
}

/* ------------------------------------------------------------------ */
/* Subsets and waves                                                   */
/* ------------------------------------------------------------------ */

int
tn_tenant_list_parse(const char *text, tn_rows *names, tn_error *err)
{
	const char *p = text;

	tn_rows_init(names, 1);
	if (text == NULL)
		return TN_OK;
	for (;;)
	{
		const char *end = strchr(p, ',');
		size_t		len = end ? (size_t) (end - p) : strlen(p);
		char		one[TN_TENANT_LIST_NAME_MAX + 2];
		const char *row[1] = { one };

		while (len > 0 && (*p == ' ' || *p == '\n' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\n' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len > TN_TENANT_LIST_NAME_MAX)
		{
			tn_rows_free(names);
			tn_rows_init(names, 1);
			tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid tenant list \"%s\"", text);
			tn_error_detail(err, len == 0 ? "A name in the list is empty." : "A name in the list is too long.");
			tn_error_hint(err, "Give tenant names separated by commas, for example 'canary,acme'.");
			return TN_ERR_INVALID_ARGUMENT;
		}
		memcpy(one, p, len);
		one[len] = '\0';
		if (tn_rows_add(names, row) != TN_OK)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		if (end == NULL)
			return TN_OK;
		p = end + 1;
	}
}

int
tn_tenant_subset(const tn_rows *all, const tn_rows *wanted, size_t *order,
				 size_t *n, tn_error *err)
{
	*n = 0;
	if (wanted == NULL)
	{
		for (size_t i = 0; i < all->nrows; i++)
			order[(*n)++] = i;
		return TN_OK;
	}
	if (wanted->nrows == 0)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "the tenant list is empty");
		tn_error_hint(err, "Pass NULL for every tenant, or name at least one.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	for (size_t w = 0; w < wanted->nrows; w++)
	{
		const char *name = tn_rows_get(wanted, w, 0);
		size_t		i;

		if (name == NULL)
			return tn_error_null_argument(err, "tenants");
		for (size_t k = 0; k < w; k++)
			if (strcmp(tn_rows_get(wanted, k, 0), name) == 0)
			{
				tn_error_set(err, TN_ERR_DUPLICATE, "tenant \"%s\" is named twice in the tenant list", name);
				return TN_ERR_DUPLICATE;
			}
		for (i = 0; i < all->nrows; i++)
			if (strcmp(tn_rows_get(all, i, 0), name) == 0)
				break;
		if (i == all->nrows)
		{
			tn_error_set(err, TN_ERR_NOT_FOUND, "tenant \"%s\" does not exist", name);
			tn_error_detail(err, "Nothing was run: every name of the list must be a registered tenant.");
			tn_error_hint(err, "See SELECT name FROM tenants().");
			return TN_ERR_NOT_FOUND;
		}
		order[(*n)++] = i; /* in the order given: canary first */
	}
	return TN_OK;
}

/* ------------------------------------------------------------------ */
/* tenant_migration_remove                                             */
/* ------------------------------------------------------------------ */

int
tn_catalog_forget_unapplied(const tn_adapter *a, const char *version, int *forgot, tn_error *err)
{
	tn_value p = tn_text(tn_version_strip(version));
	tn_rows	 rows;
	int		 applied = 0;
	int		 rc;

	*forgot = 0;
	if ((rc = tn_version_applied(a, version, &applied, err)) != TN_OK || applied)
		return rc;
	if ((rc = tn_query_rows(a, "SELECT version FROM {T}catalog WHERE version = $1", 1, &p, 1, &rows, err)) != TN_OK)
		return rc;
	if (rows.nrows > 0)
	{
		rc = a->begin(a->ctx, err);
		if (rc == TN_OK && (rc = tn_catalog_forget(a, tn_rows_get(&rows, 0, 0), err)) == TN_OK)
			rc = tn_finish(a, err);
		else if (rc != TN_OK)
			tn_abort(a, err);
		*forgot = rc == TN_OK;
	}
	tn_rows_free(&rows);
	return rc;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

int
tn_version_applied(const tn_adapter *a, const char *version, int *applied, tn_error *err)
{
	tn_value p = tn_text(tn_version_strip(version));
	tn_rows	 rows;
	int		 rc;

	*applied = 0;
	if (version == NULL)
		return tn_error_null_argument(err, "version");
	rc = tn_query_rows(a, "SELECT 1 FROM {T}applied WHERE version = $1", 1, &p, 1, &rows, err);
	if (rc != TN_OK)
		return rc;
	*applied = rows.nrows > 0;
	tn_rows_free(&rows);
	return TN_OK;
}

int
tn_migration_remove_check(const tn_migration_set *set, const char *version,
						  const tn_rows *holders, int fleet, tn_error *err)
{
	tn_buf names = { 0 };

	if (version == NULL)
		return tn_error_null_argument(err, "version");
	if (tn_set_find(set, version) == NULL)
	{
		tn_error_set(err, TN_ERR_NOT_FOUND, fleet ? "version \"%s\" is not in the tenant set" : "version \"%s\" is not in the catalog", version);
		tn_error_hint(err, fleet ? "The tenant set's versions are in tenant_migrate_all's to_version and tenants().version."
								 : "See SELECT * FROM tenant_status().");
		return TN_ERR_NOT_FOUND;
	}
	if (holders->nrows == 0)
		return TN_OK;
	if (!fleet)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "version \"%s\" is applied in this database", version);
		tn_error_detail(err, "Only a version that was never applied here can be removed. Nothing was changed.");
		tn_error_hint(err, "Roll it back first with tenant_rollback(checkpoint), then remove it.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	{
		/* by name, whatever order the tenants answered in */
		const char **sorted = calloc(holders->nrows, sizeof(char *));

		if (sorted == NULL)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		for (size_t i = 0; i < holders->nrows; i++)
			sorted[i] = tn_rows_get(holders, i, 0);
		qsort(sorted, holders->nrows, sizeof(char *), compare_names);
		for (size_t i = 0; i < holders->nrows && i < 5; i++)
			tn_buf_printf(&names, "%s%s", i ? ", " : "", sorted[i]);
		free(sorted);
	}
	if (holders->nrows > 5)
		tn_buf_printf(&names, " and %zu more", holders->nrows - 5);
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "version \"%s\" is applied in %zu tenant%s", version,
				 holders->nrows, holders->nrows == 1 ? "" : "s");
	tn_error_detail(err, "It is applied in: %s. Nothing was changed.", names.data ? names.data : "");
	tn_error_hint(err, "Run SELECT * FROM tenant_rollback_all('%s') first, then remove it.", version);
	tn_buf_free(&names);
	return TN_ERR_INVALID_ARGUMENT;
}
