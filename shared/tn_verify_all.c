/*
 * tn_verify_all.c -- one row of tenant_verify_all, built the same way by
 * both hosts from a tenant's adapter (or from the error that kept it out
 * of reach), or from the tenant's tracking rows a fan-out read itself.
 *
 * Must not: write to a tenant (verify reads only), include a host header,
 * or keep memory after returning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

#define MAX_LISTED 5 /* problems named in the detail; the rest counted */

static int
add_row(tn_rows *out, const char *tenant, const char *status,
		const char *version, long long pending, long long problems,
		const char *detail, tn_error *err)
{
	char		p1[32], p2[32];
	const char *row[6];

	snprintf(p1, sizeof(p1), "%lld", pending);
	snprintf(p2, sizeof(p2), "%lld", problems);
	row[0] = tenant;
	row[1] = status;
	row[2] = version && version[0] ? version : NULL;
	row[3] = strcmp(status, TN_VERIFY_UNREACHABLE) == 0 ? NULL : p1;
	row[4] = strcmp(status, TN_VERIFY_UNREACHABLE) == 0 ? NULL : p2;
	row[5] = detail && detail[0] ? detail : NULL;
	if (tn_rows_add(out, row) != TN_OK)
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	return TN_OK;
}

/* Append "version: what" to the detail; only the first MAX_LISTED are named. */
static int
note_problem(tn_buf *detail, long long *problems, const char *version,
			 const char *what)
{
	(*problems)++;
	if (*problems > MAX_LISTED)
		return TN_OK;
	return tn_buf_printf(detail, "%sversion %s %s", detail->len ? "; " : "", version, what);
}

/*
 * The row from the tenant's loaded state: found is tn_verify_state's
 * rows of it.  Shared by tn_verify_all_row (read over the adapter) and
 * tn_verify_all_row_from_rows (rows a fan-out read itself).
 */
static int
row_from_state(const char *tenant, const tn_migration_set *set, tn_db_state *st,
			   const tn_rows *found, tn_rows *out, tn_error *err)
{
	tn_buf	  detail = { 0 };
	long long pending = 0, problems = 0;
	int		  rc, oom = 0;

	/* the tenant's own catalog: drifted, missing, out of order */
	for (size_t r = 0; r < found->nrows && !oom; r++)
		oom = note_problem(&detail, &problems, tn_rows_get(found, r, 0), tn_rows_get(found, r, 2)) != TN_OK;
	if (set == NULL)
		pending = (long long) st->n_pending;
	else
	{
		/* against the tenant set: what it would still run, what changed under it */
		for (size_t i = 0; i < set->count; i++)
		{
			tn_entry *e = tn_state_find(st, set->items[i].version);

			if (e == NULL || !e->is_applied)
				pending++;
		}
		for (size_t i = 0; i < st->count && !oom; i++)
		{
			const tn_entry	   *e = &st->entries[i];
			const tn_migration *m;

			if (!e->is_applied || e->state != TN_STATE_APPLIED)
				continue; /* already counted by tn_verify */
			m = tn_set_find(set, e->version);
			if (m == NULL)
				oom = note_problem(&detail, &problems, e->version, "applied but not in the tenant set") != TN_OK;
			else if (e->applied_checksum && strcmp(e->applied_checksum, m->checksum) != 0)
				oom = note_problem(&detail, &problems, e->version, "drifted from the tenant set") != TN_OK;
		}
	}
	if (!oom && problems > MAX_LISTED)
		oom = tn_buf_printf(&detail, " (and %lld more)", problems - MAX_LISTED) != TN_OK;
	if (oom)
		rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	else
		rc = add_row(out, tenant, problems ? TN_VERIFY_PROBLEMS : TN_VERIFY_OK,
					 st->newest_applied, pending, problems, detail.data, err);
	tn_buf_free(&detail);
	return rc;
}

/* The row of a state read one way or another (its tracking tables, or the probe's rows); frees the state. */
static int
row_from_loaded_state(const char *tenant, const tn_migration_set *set, tn_db_state *st, tn_rows *out,
					  tn_error *err)
{
	tn_rows found;
	int		rc;

	if ((rc = tn_verify_state(st, &found, err)) == TN_OK)
	{
		rc = row_from_state(tenant, set, st, &found, out, err);
		tn_rows_free(&found);
	}
	tn_state_free(st);
	return rc;
}

int
tn_verify_all_row(const tn_adapter *a, const char *tenant,
				  const tn_migration_set *set, const tn_error *reach_err,
				  tn_rows *out, tn_error *err)
{
	tn_db_state st;
	int			rc;

	TN_ASSERT(out->ncols == tn_def_verify_all.ncols);
	if (a == NULL)
	{
		char *msg = reach_err ? tn_error_render(reach_err) : NULL;

		rc = add_row(out, tenant, TN_VERIFY_UNREACHABLE, NULL, 0, 0,
					 msg ? msg : "the tenant could not be reached", err);
		free(msg);
		return rc;
	}
	/* one read of the state: tn_verify's problems and the set's judgement both come from it */
	if ((rc = tn_state_load(a, &st, err)) != TN_OK)
		return rc;
	return row_from_loaded_state(tenant, set, &st, out, err);
}

int
tn_verify_all_row_from_rows(const char *tenant, const tn_migration_set *set,
							const tn_rows *catalog_rows, const tn_rows *applied_rows,
							tn_rows *out, tn_error *err)
{
	tn_db_state st;
	int			rc;

	TN_ASSERT(out->ncols == tn_def_verify_all.ncols);
	if ((rc = tn_state_from_probe(catalog_rows, applied_rows, &st, err)) != TN_OK)
		return rc;
	return row_from_loaded_state(tenant, set, &st, out, err);
}
