/*
 * tn_guard.c -- what a migrate run checks before it runs a body (issue 7,
 * finding 5; SECURITY.md promise 2).
 *
 * Two rules, the same on both engines:
 *  - a body runs only if it still hashes to the checksum the catalog
 *    recorded for it: a row whose up_sql was rewritten behind tenancy's
 *    back is refused, not run;
 *  - a fan-out (opts.sync: the registry's tenant set) applies only the
 *    set's migrations: a pending version that is not in the set, or whose
 *    checksum differs from the set's, was put into the tenant's catalog by
 *    whoever may write it there, and is reported, never run with the
 *    caller's rights.
 *
 * Must not: read or write the database (the caller passes what it read),
 * or decide what runs beyond refusing.
 */
#include <stdio.h>
#include <string.h>

#include "tn_internal.h"

int
tn_guard_body(const tn_entry *e, const char *body, tn_error *err)
{
	char sum[TN_CHECKSUM_LEN];
	int	 rc;

	if ((rc = tn_checksum(body, strlen(body), sum, err)) != TN_OK)
		return rc;
	if (e->checksum != NULL && strcmp(sum, e->checksum) == 0)
		return TN_OK;
	tn_error_set(err, TN_ERR_DRIFT, "body of migration \"%s\" does not match its checksum", e->version);
	tn_error_detail(err, "The catalog records %s, the body there now hashes to %s: it was changed without "
						 "tenant_migration_add, so it is not run.",
					e->checksum ? e->checksum : "no checksum", sum);
	tn_error_hint(err, "Add the migration again with tenant_migration_add (or reload its folder), then migrate.");
	return TN_ERR_DRIFT;
}

int
tn_guard_sync_pending(const tn_db_state *st, const tn_migration_set *set,
					  const char *target, int allow_out_of_order, tn_error *err)
{
	for (size_t i = 0; i < st->count; i++)
	{
		const tn_entry	   *e = &st->entries[i];
		const tn_migration *m = NULL;

		if (!tn_entry_selected(e, target, allow_out_of_order))
			continue;
		for (size_t j = 0; j < set->count && m == NULL; j++)
			if (tn_version_compare(set->items[j].version, e->version) == 0)
				m = &set->items[j];
		if (m != NULL && e->checksum != NULL && strcmp(m->checksum, e->checksum) == 0)
			continue;
		tn_error_set(err, TN_ERR_PERMISSION, "pending migration \"%s\" of this tenant is not in the tenant set",
					 e->version);
		tn_error_detail(err, m == NULL
								 ? "It was added to the tenant's own catalog, not to the registry's tenant set; a fan-out runs only the set's migrations. Nothing was applied."
								 : "The tenant's catalog has another body for it than the tenant set; a fan-out runs only the set's migrations. Nothing was applied.");
		tn_error_hint(err, "Run it in the tenant with tenant_migrate() as a role trusted there, or remove it from the tenant's catalog.");
		return TN_ERR_PERMISSION;
	}
	return TN_OK;
}
