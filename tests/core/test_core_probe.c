/*
 * test_core_probe.c -- a fan-out's no-op judged from a tenant's rows
 * (issue 14): tn_fanout_state_current (nothing to do, or the full path),
 * tn_verify_all_row_from_rows (the verify row from the same rows) and the
 * SQL tn_fanout_probe_sql gives the host.  No database: the rows are
 * written here as the two statements return them.
 */
#include <stdlib.h>
#include <string.h>

#include "test_core.h"

/* A state row (tn_fanout_probe_sql's first statement): catalog and applied sides. */
static void
state_row(tn_rows *r, const char *version, const char *checksum, const char *applied_checksum)
{
	const char *row[TN_STATE_NCOLS] = { version, applied_checksum ? version : NULL, "m", applied_checksum ? "m" : NULL,
										checksum, applied_checksum, applied_checksum ? "2026-01-01" : NULL,
										"1", "1", "0", "0" };

	SETUP(tn_rows_add(r, row) == TN_OK, "state row %s", version);
}

static void
catalog_row(tn_rows *r, const tn_migration *m, const char *down)
{
	const char *row[TN_CATALOG_NCOLS] = { m->version, m->name, m->checksum, down };

	SETUP(tn_rows_add(r, row) == TN_OK, "catalog row %s", m->version);
}

/* *current for set against rows built from it; what each case changes is in its arguments. */
static int
judge(const tn_migration_set *set, const char *target, const tn_rows *state, const tn_rows *catalog, char *version)
{
	tn_error err;
	int		 current = -1;

	tn_error_clear(&err);
	if (tn_fanout_state_current(set, target, state, catalog, &current, version, TN_MAX_VERSION_LEN + 1, &err) != TN_OK)
		return -1;
	return current;
}

void
test_fanout_probe(void)
{
	tn_migration	 items[2];
	tn_migration_set set;
	tn_rows			 state, catalog, bad, verify;
	tn_error		 err;
	char			 version[TN_MAX_VERSION_LEN + 1];
	char			*sql;

	tn_error_clear(&err);
	memset(&set, 0, sizeof(set));
	SETUP(tn_migration_from_args("1", "m", "CREATE TABLE a (i int)", NULL, TN_DIALECT_POSTGRES, &items[0], &err) == TN_OK &&
			  tn_migration_from_args("2", "m", "CREATE TABLE b (i int)", "DROP TABLE b", TN_DIALECT_POSTGRES, &items[1], &err) == TN_OK,
		  "two migrations%s", NULL);
	set.items = items;
	set.count = 2;

	/* every version applied as the set has it, the catalog the set's: nothing to do */
	tn_rows_init(&state, TN_STATE_NCOLS);
	tn_rows_init(&catalog, TN_CATALOG_NCOLS);
	state_row(&state, "1", items[0].checksum, items[0].checksum);
	state_row(&state, "2", items[1].checksum, items[1].checksum);
	catalog_row(&catalog, &items[0], NULL);
	catalog_row(&catalog, &items[1], "DROP TABLE b");
	CHECK(judge(&set, NULL, &state, &catalog, version) == 1 && strcmp(version, "2") == 0,
		  "probe: all applied, catalog the set's: up to date at 2%s", NULL);
	CHECK(judge(&set, "V2", &state, &catalog, version) == 1, "probe: target = newest applied: up to date%s", NULL);
	CHECK(judge(&set, "1", &state, &catalog, version) == 0,
		  "probe: a target below the newest goes the full path%s", NULL);

	/* the sync would change the catalog: a new down, another name, a missing or extra row */
	tn_rows_free(&catalog);
	tn_rows_init(&catalog, TN_CATALOG_NCOLS);
	catalog_row(&catalog, &items[0], NULL);
	catalog_row(&catalog, &items[1], "DROP TABLE b CASCADE");
	CHECK(judge(&set, NULL, &state, &catalog, version) == 0, "probe: another down in the catalog: full path%s", NULL);
	tn_rows_free(&catalog);
	tn_rows_init(&catalog, TN_CATALOG_NCOLS);
	catalog_row(&catalog, &items[0], NULL);
	CHECK(judge(&set, NULL, &state, &catalog, version) == 0, "probe: a set version not in the catalog: full path%s", NULL);
	catalog_row(&catalog, &items[1], "DROP TABLE b");
	catalog_row(&catalog, &items[1], "DROP TABLE b");
	CHECK(judge(&set, NULL, &state, &catalog, version) == 0, "probe: an extra catalog row: full path%s", NULL);
	tn_rows_free(&catalog);
	tn_rows_init(&catalog, TN_CATALOG_NCOLS);
	catalog_row(&catalog, &items[0], NULL);
	catalog_row(&catalog, &items[1], "DROP TABLE b");

	/* the state: pending, drifted */
	tn_rows_free(&state);
	tn_rows_init(&state, TN_STATE_NCOLS);
	state_row(&state, "1", items[0].checksum, items[0].checksum);
	state_row(&state, "2", items[1].checksum, NULL);
	CHECK(judge(&set, NULL, &state, &catalog, version) == 0, "probe: a pending version: full path%s", NULL);
	tn_rows_init(&verify, tn_def_verify_all.ncols);
	CHECK(tn_verify_all_row_from_rows("acme", &set, &state, &verify, &err) == TN_OK && verify.nrows == 1 &&
			  strcmp(tn_rows_get(&verify, 0, 1), "ok") == 0 && strcmp(tn_rows_get(&verify, 0, 2), "1") == 0 &&
			  strcmp(tn_rows_get(&verify, 0, 3), "1") == 0 && strcmp(tn_rows_get(&verify, 0, 4), "0") == 0,
		  "probe: verify row from rows, one pending%s", NULL);
	tn_rows_free(&state);
	tn_rows_init(&state, TN_STATE_NCOLS);
	state_row(&state, "1", items[0].checksum, "sha256:0000");
	state_row(&state, "2", items[1].checksum, items[1].checksum);
	CHECK(judge(&set, NULL, &state, &catalog, version) == 0, "probe: a drifted version: full path%s", NULL);
	CHECK(tn_verify_all_row_from_rows("acme", &set, &state, &verify, &err) == TN_OK && verify.nrows == 2 &&
			  strcmp(tn_rows_get(&verify, 1, 1), "problems") == 0 && strcmp(tn_rows_get(&verify, 1, 4), "1") == 0 &&
			  strstr(tn_rows_get(&verify, 1, 5), "version 1 drifted") != NULL,
		  "probe: verify row from rows, drifted%s", NULL);
	tn_rows_free(&verify);

	/* rows the core cannot read: an error, never "up to date" */
	tn_rows_init(&bad, 3);
	CHECK(judge(&set, NULL, &bad, &catalog, version) == -1, "probe: state rows of another shape refused%s", NULL);
	CHECK(judge(&set, NULL, &state, &bad, version) == -1, "probe: catalog rows of another shape refused%s", NULL);
	tn_rows_free(&bad);
	tn_rows_init(&bad, TN_STATE_NCOLS);
	state_row(&bad, NULL, NULL, NULL);
	CHECK(judge(&set, NULL, &bad, &catalog, version) == -1, "probe: a state row without a version refused%s", NULL);
	tn_rows_free(&bad);

	sql = tn_fanout_probe_sql("tenancy.");
	CHECK(sql != NULL && strstr(sql, "FROM tenancy.catalog c LEFT JOIN tenancy.applied a") != NULL &&
			  strstr(sql, "; SELECT version, name, checksum, down_sql FROM tenancy.catalog") != NULL &&
			  strchr(sql, '{') == NULL,
		  "probe: its SQL names the prefixed tables%s", NULL);
	free(sql);
	tn_rows_free(&state);
	tn_rows_free(&catalog);
	tn_migration_clear(&items[0]);
	tn_migration_clear(&items[1]);
}
