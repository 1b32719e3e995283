/*
 * test_core_revert.c -- test_core's checks of the fleet decisions of issue 9
 * that both hosts take from the core (tn_rollback_all.c, tn_settings_doc.c):
 * what tenant_rollback_all's argument names, its rows, subsets and waves,
 * whether tenant_migration_remove may take a version out of a set, and the
 * settings list.
 *
 * Linked into the test_core runner (test_core.c calls each test_*).
 */
#define _XOPEN_SOURCE 700

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_core.h"

/* A set of versions 1, 2, 10 built from SQL arguments, as tenant_migration_add would. */
static void
make_set(tn_migration_set *set)
{
	const char *v[3] = { "1", "2", "10" };
	tn_error	err;

	memset(set, 0, sizeof(*set));
	set->items = calloc(3, sizeof(tn_migration));
	for (int i = 0; set->items && i < 3; i++)
		if (tn_migration_from_args(v[i], "m", "CREATE TABLE t (a int);", "DROP TABLE t;", TN_DIALECT_SQLITE,
								   &set->items[i], &err) == TN_OK)
			set->count++;
}

static void
names(tn_rows *r, const char *const *list, size_t n)
{
	tn_rows_init(r, 1);
	for (size_t i = 0; i < n; i++)
	{
		const char *row[1] = { list[i] };

		(void) tn_rows_add(r, row);
	}
}

void
test_revert_decisions(void)
{
	tn_migration_set  set;
	tn_error		  err;
	const char		 *version, *checkpoint;
	tn_rows			  all, wanted, holders, out;
	size_t			  order[8], n = 0;
	tn_migrate_result res;
	char			  buf[128];
	const char *const fleet[] = { "acme", "beta", "canary" };

	make_set(&set);
	CHECK(set.count == 3, "revert: a set of three%s", NULL);

	/* the argument: a version of the set, else a checkpoint */
	CHECK(tn_rollback_all_arg(&set, "V02", &version, &checkpoint, &err) == TN_OK && checkpoint == NULL &&
			  version == set.items[1].version,
		  "rollback_all arg: a version of the set (V and zeros ignored)%s", NULL);
	CHECK(tn_rollback_all_arg(&set, "before_four", &version, &checkpoint, &err) == TN_OK && version == NULL &&
			  strcmp(checkpoint, "before_four") == 0,
		  "rollback_all arg: any other name is a checkpoint%s", NULL);
	CHECK(tn_rollback_all_arg(&set, "7", &version, &checkpoint, &err) == TN_ERR_NOT_FOUND &&
			  strcmp(err.message, "version \"7\" is not in the tenant set") == 0,
		  "rollback_all arg: a version the set lacks is never a checkpoint%s", NULL);
	CHECK(tn_rollback_all_arg(&set, NULL, &version, &checkpoint, &err) == TN_ERR_NULL_ARGUMENT,
		  "rollback_all arg: NULL%s", NULL);
	CHECK(tn_rollback_all_arg(&set, "bad name!", &version, &checkpoint, &err) == TN_ERR_INVALID_NAME,
		  "rollback_all arg: a bad checkpoint name%s", NULL);

	/* rows: rolled_back / unchanged / failed without versions */
	memset(&res, 0, sizeof(res));
	snprintf(res.from_version, sizeof(res.from_version), "2");
	snprintf(res.to_version, sizeof(res.to_version), "1");
	res.applied = 1;
	tn_rows_init(&out, tn_def_rollback_all.ncols);
	tn_error_clear(&err);
	CHECK(tn_rollback_all_row(&out, "acme", TN_OK, &res, &err, 3) == TN_OK &&
			  strcmp(tn_rows_get(&out, 0, 1), "rolled_back") == 0 && strcmp(tn_rows_get(&out, 0, 4), "1") == 0,
		  "rollback_all row: versions undone%s", NULL);
	res.applied = 0;
	CHECK(tn_rollback_all_row(&out, "beta", TN_OK, &res, &err, 3) == TN_OK &&
			  strcmp(tn_rows_get(&out, 1, 1), "unchanged") == 0,
		  "rollback_all row: nothing to undo%s", NULL);
	tn_error_set(&err, TN_ERR_MISSING_DOWN, "cannot roll back to before version \"2\"");
	CHECK(tn_rollback_all_row(&out, "canary", TN_ERR_MISSING_DOWN, &res, &err, 3) == TN_OK &&
			  strcmp(tn_rows_get(&out, 2, 1), "failed") == 0 && tn_rows_get(&out, 2, 2) == NULL &&
			  tn_rows_get(&out, 2, 3) == NULL && strcmp(tn_rows_get(&out, 2, 6), "TN004") == 0,
		  "rollback_all row: a failed tenant undid nothing, no versions, its SQLSTATE%s", NULL);
	tn_rows_free(&out);
	tn_rollback_all_run_target(buf, sizeof(buf), "2", NULL);
	CHECK(strcmp(buf, "rollback to before 2") == 0, "rollback_all run target: version%s", NULL);
	tn_rollback_all_run_target(buf, sizeof(buf), NULL, "cp");
	CHECK(strcmp(buf, "rollback to checkpoint cp") == 0, "rollback_all run target: checkpoint%s", NULL);

	/* subsets: the order given (canary first), every name known, none twice */
	names(&all, fleet, 3);
	CHECK(tn_tenant_list_parse(" canary , acme", &wanted, &err) == TN_OK && wanted.nrows == 2 &&
			  strcmp(tn_rows_get(&wanted, 0, 0), "canary") == 0,
		  "tenant list: names and blanks%s", NULL);
	CHECK(tn_tenant_subset(&all, &wanted, order, &n, &err) == TN_OK && n == 2 && order[0] == 2 && order[1] == 0,
		  "subset: in the order given%s", NULL);
	tn_rows_free(&wanted);
	CHECK(tn_tenant_subset(&all, NULL, order, &n, &err) == TN_OK && n == 3 && order[2] == 2,
		  "subset: NULL is every tenant%s", NULL);
	CHECK(tn_tenant_list_parse("acme,,beta", &wanted, &err) == TN_ERR_INVALID_ARGUMENT && wanted.nrows == 0,
		  "tenant list: an empty name%s", NULL);
	tn_rows_free(&wanted);
	CHECK(tn_tenant_list_parse("a123456789a123456789a123456789a123456789a123456789a123456789abcd", &wanted, &err) ==
			  TN_ERR_INVALID_ARGUMENT,
		  "tenant list: a name over 63 bytes%s", NULL);
	tn_rows_free(&wanted);
	CHECK(tn_tenant_list_parse("acme,ghost", &wanted, &err) == TN_OK &&
			  tn_tenant_subset(&all, &wanted, order, &n, &err) == TN_ERR_NOT_FOUND &&
			  strcmp(err.message, "tenant \"ghost\" does not exist") == 0,
		  "subset: an unknown name runs nothing%s", NULL);
	tn_rows_free(&wanted);
	CHECK(tn_tenant_list_parse("acme,acme", &wanted, &err) == TN_OK &&
			  tn_tenant_subset(&all, &wanted, order, &n, &err) == TN_ERR_DUPLICATE,
		  "subset: a name twice%s", NULL);
	tn_rows_free(&wanted);
	tn_rows_init(&wanted, 1);
	CHECK(tn_tenant_subset(&all, &wanted, order, &n, &err) == TN_ERR_INVALID_ARGUMENT, "subset: an empty list%s",
		  NULL);
	tn_rows_free(&wanted);
	tn_rows_free(&all);

	/* tenant_migration_remove: never while applied anywhere, names sorted, at most five */
	tn_rows_init(&holders, 1);
	CHECK(tn_migration_remove_check(&set, "10", &holders, 1, &err) == TN_OK, "remove: applied nowhere%s", NULL);
	CHECK(tn_migration_remove_check(&set, "3", &holders, 1, &err) == TN_ERR_NOT_FOUND, "remove: not in the set%s",
		  NULL);
	CHECK(tn_migration_remove_check(&set, NULL, &holders, 1, &err) == TN_ERR_NULL_ARGUMENT, "remove: NULL%s", NULL);
	{
		const char *const seven[] = { "g", "f", "e", "d", "c", "b", "a" };

		tn_rows_free(&holders);
		names(&holders, seven, 7);
	}
	CHECK(tn_migration_remove_check(&set, "2", &holders, 1, &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(err.message, "version \"2\" is applied in 7 tenants") == 0 &&
			  strstr(err.detail, "a, b, c, d, e and 2 more") != NULL && strstr(err.hint, "tenant_rollback_all('2')"),
		  "remove: refused, the holders named in order%s", NULL);
	CHECK(tn_migration_remove_check(&set, "2", &holders, 0, &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(err.message, "version \"2\" is applied in this database") == 0,
		  "remove: one database's own catalog%s", NULL);
	tn_rows_free(&holders);
	tn_migration_set_free(&set);

	/* settings: every row has an engine, a meaning, and a unique name */
	tn_rows_init(&out, tn_def_settings.ncols);
	CHECK(tn_settings_rows(&out, &err) == TN_OK && out.nrows >= 7, "settings: listed%s", NULL);
	for (size_t i = 0; i < out.nrows; i++)
	{
		CHECK((strcmp(tn_rows_get(&out, i, 1), "postgresql") == 0 || strcmp(tn_rows_get(&out, i, 1), "sqlite") == 0) &&
				  tn_rows_get(&out, i, 5) != NULL && tn_rows_get(&out, i, 4) == NULL,
			  "settings: %s has an engine and a meaning", tn_rows_get(&out, i, 0));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(tn_rows_get(&out, i, 0), tn_rows_get(&out, j, 0)) != 0, "settings: %s once",
				  tn_rows_get(&out, i, 0));
	}
	tn_rows_free(&out);
}
