/*
 * test_core_probe.c -- a fan-out's no-op judged from a tenant's rows
 * (issue 14): tn_fanout_state_current (nothing to do, or the full path),
 * tn_verify_all_row_from_rows (the verify row from the same rows) and the
 * SQL tn_fanout_probe_sql gives the host, and the COPY text lines its rows
 * arrive as (tn_rows_add_copy_text).  No database: the rows are written
 * here as the probe's two statements return them.
 */
#include <stdlib.h>
#include <string.h>

#include "test_core.h"

/* An applied row (the probe's second statement). */
static void
applied_row(tn_rows *r, const char *version, const char *checksum)
{
	const char *row[TN_APPLIED_NCOLS] = { version, "m", checksum, "2026-01-01 00:00:00+00", "1", "1" };

	SETUP(tn_rows_add(r, row) == TN_OK, "applied row %s", version);
}

/* A catalog row (its first statement). */
static void
catalog_row(tn_rows *r, const tn_migration *m, const char *down)
{
	const char *row[TN_CATALOG_NCOLS] = { m->version, m->name, m->checksum, down, "0" };

	SETUP(tn_rows_add(r, row) == TN_OK, "catalog row %s", m->version);
}

/* *current (-1: an error) for set against the rows. */
static int
judge(const tn_migration_set *set, const char *target, const tn_rows *catalog, const tn_rows *applied, char *version)
{
	tn_error err;
	int		 current = -1;

	tn_error_clear(&err);
	if (tn_fanout_state_current(set, target, catalog, applied, &current, version, TN_MAX_VERSION_LEN + 1, &err) != TN_OK)
		return -1;
	return current;
}

static void
reset(tn_rows *r, int ncols)
{
	tn_rows_free(r);
	tn_rows_init(r, ncols);
}

/* The rows of one COPY text line into a table of ncols: tn_rows_add_copy_text's code. */
static int
copy_line(tn_rows *r, const char *line)
{
	return tn_rows_add_copy_text(r, line, strlen(line));
}

/* COPY's text format read back as the cells a SELECT returns (tn_copy_text.c). */
static void
test_copy_text(void)
{
	tn_rows r;

	tn_rows_init(&r, 3);
	/* a tab separates, \N alone is NULL, every escape decoded, the newline ends the row */
	CHECK(copy_line(&r, "v1\tline\\nnext\\ttab\\\\back \\101\\x41\\x4a\\b\\f\\r\\v\\q\\x\t\\N\n") == TN_OK &&
			  r.nrows == 1 && strcmp(tn_rows_get(&r, 0, 0), "v1") == 0 &&
			  strcmp(tn_rows_get(&r, 0, 1), "line\nnext\ttab\\back AAJ\b\f\r\vqx") == 0 && tn_rows_get(&r, 0, 2) == NULL,
		  "copy text: cells split on tabs, escapes decoded, \\N a NULL%s", NULL);
	/* "\\N" (an escaped backslash, then N) is text; so is \N inside a cell; empty cells are empty text */
	CHECK(copy_line(&r, "\\\\N\tx\\Ny\t") == TN_OK && r.nrows == 2 && strcmp(tn_rows_get(&r, 1, 0), "\\N") == 0 &&
			  strcmp(tn_rows_get(&r, 1, 1), "xNy") == 0 && strcmp(tn_rows_get(&r, 1, 2), "") == 0,
		  "copy text: an escaped \\N is text, an empty last cell without a newline%s", NULL);
	/* malformed: nothing added */
	CHECK(copy_line(&r, "a\tb\n") == TN_ERR_ENGINE, "copy text: two cells where three are expected refused%s", NULL);
	CHECK(copy_line(&r, "a\tb\tc\td\n") == TN_ERR_ENGINE, "copy text: four cells where three are expected refused%s",
		  NULL);
	CHECK(copy_line(&r, "a\tb\tc\\") == TN_ERR_ENGINE, "copy text: a line ending in a backslash refused%s", NULL);
	CHECK(copy_line(&r, "a\tb\\000\tc\n") == TN_ERR_ENGINE, "copy text: a NUL byte refused%s", NULL);
	CHECK(copy_line(&r, "a\tb\rc\tc\n") == TN_ERR_ENGINE, "copy text: a raw carriage return refused%s", NULL);
	CHECK(copy_line(&r, "a\tb\nc\tc\n") == TN_ERR_ENGINE, "copy text: a raw newline inside refused%s", NULL);
	CHECK(r.nrows == 2, "copy text: refused lines add nothing%s", NULL);
	tn_rows_free(&r);
}

void
test_fanout_probe(void)
{
	tn_migration	 items[2];
	tn_migration_set set;
	tn_rows			 catalog, applied, bad, verify;
	tn_error		 err;
	char			 version[TN_MAX_VERSION_LEN + 1];
	char			*sql;

	test_copy_text();
	tn_error_clear(&err);
	memset(&set, 0, sizeof(set));
	SETUP(tn_migration_from_args("1", "m", "CREATE TABLE a (i int)", NULL, TN_DIALECT_POSTGRES, &items[0], &err) == TN_OK &&
			  tn_migration_from_args("2", "m", "CREATE TABLE b (i int)", "DROP TABLE b", TN_DIALECT_POSTGRES, &items[1], &err) == TN_OK,
		  "two migrations%s", NULL);
	set.items = items;
	set.count = 2;

	/* every version applied as the set has it, the catalog the set's: nothing to do */
	tn_rows_init(&catalog, TN_CATALOG_NCOLS);
	tn_rows_init(&applied, TN_APPLIED_NCOLS);
	catalog_row(&catalog, &items[0], NULL);
	catalog_row(&catalog, &items[1], "DROP TABLE b");
	applied_row(&applied, "1", items[0].checksum);
	applied_row(&applied, "2", items[1].checksum);
	CHECK(judge(&set, NULL, &catalog, &applied, version) == 1 && strcmp(version, "2") == 0,
		  "probe: all applied, catalog the set's: up to date at 2%s", NULL);
	CHECK(judge(&set, "V2", &catalog, &applied, version) == 1, "probe: target = newest applied: up to date%s", NULL);
	CHECK(judge(&set, "1", &catalog, &applied, version) == 0,
		  "probe: a target below the newest goes the full path%s", NULL);
	tn_rows_init(&verify, tn_def_verify_all.ncols);
	CHECK(tn_verify_all_row_from_rows("acme", &set, &catalog, &applied, &verify, &err) == TN_OK && verify.nrows == 1 &&
			  strcmp(tn_rows_get(&verify, 0, 1), "ok") == 0 && strcmp(tn_rows_get(&verify, 0, 2), "2") == 0 &&
			  strcmp(tn_rows_get(&verify, 0, 3), "0") == 0 && tn_rows_get(&verify, 0, 5) == NULL,
		  "probe: verify row from rows, all applied%s", NULL);

	/* the sync would change the catalog: a new down, a missing or an extra row */
	reset(&catalog, TN_CATALOG_NCOLS);
	catalog_row(&catalog, &items[0], NULL);
	catalog_row(&catalog, &items[1], "DROP TABLE b CASCADE");
	CHECK(judge(&set, NULL, &catalog, &applied, version) == 0, "probe: another down in the catalog: full path%s", NULL);
	reset(&catalog, TN_CATALOG_NCOLS);
	catalog_row(&catalog, &items[0], NULL);
	CHECK(judge(&set, NULL, &catalog, &applied, version) == 0, "probe: a set version not in the catalog: full path%s", NULL);
	CHECK(tn_verify_all_row_from_rows("acme", &set, &catalog, &applied, &verify, &err) == TN_OK && verify.nrows == 2 &&
			  strcmp(tn_rows_get(&verify, 1, 1), "problems") == 0 &&
			  strstr(tn_rows_get(&verify, 1, 5), "version 2 missing") != NULL,
		  "probe: verify row from rows, applied but not in the catalog (missing)%s", NULL);
	catalog_row(&catalog, &items[1], "DROP TABLE b");
	catalog_row(&catalog, &items[1], "DROP TABLE b");
	CHECK(judge(&set, NULL, &catalog, &applied, version) == 0, "probe: an extra catalog row: full path%s", NULL);
	reset(&catalog, TN_CATALOG_NCOLS);
	catalog_row(&catalog, &items[0], NULL);
	catalog_row(&catalog, &items[1], "DROP TABLE b");

	/* the applied rows: pending, drifted */
	reset(&applied, TN_APPLIED_NCOLS);
	applied_row(&applied, "1", items[0].checksum);
	CHECK(judge(&set, NULL, &catalog, &applied, version) == 0, "probe: a pending version: full path%s", NULL);
	CHECK(tn_verify_all_row_from_rows("acme", &set, &catalog, &applied, &verify, &err) == TN_OK && verify.nrows == 3 &&
			  strcmp(tn_rows_get(&verify, 2, 1), "ok") == 0 && strcmp(tn_rows_get(&verify, 2, 2), "1") == 0 &&
			  strcmp(tn_rows_get(&verify, 2, 3), "1") == 0 && strcmp(tn_rows_get(&verify, 2, 4), "0") == 0,
		  "probe: verify row from rows, one pending%s", NULL);
	reset(&applied, TN_APPLIED_NCOLS);
	applied_row(&applied, "1", "sha256:0000");
	applied_row(&applied, "2", items[1].checksum);
	CHECK(judge(&set, NULL, &catalog, &applied, version) == 0, "probe: a drifted version: full path%s", NULL);
	CHECK(tn_verify_all_row_from_rows("acme", &set, &catalog, &applied, &verify, &err) == TN_OK && verify.nrows == 4 &&
			  strcmp(tn_rows_get(&verify, 3, 1), "problems") == 0 && strcmp(tn_rows_get(&verify, 3, 4), "1") == 0 &&
			  strstr(tn_rows_get(&verify, 3, 5), "version 1 drifted") != NULL,
		  "probe: verify row from rows, drifted%s", NULL);
	tn_rows_free(&verify);

	/* rows the core cannot read: an error, never "up to date" */
	tn_rows_init(&bad, 3);
	CHECK(judge(&set, NULL, &bad, &applied, version) == -1, "probe: catalog rows of another shape refused%s", NULL);
	CHECK(judge(&set, NULL, &catalog, &bad, version) == -1, "probe: applied rows of another shape refused%s", NULL);
	reset(&bad, TN_CATALOG_NCOLS);
	{
		const char *row[TN_CATALOG_NCOLS] = { NULL, "m", "c", NULL, "0" };

		SETUP(tn_rows_add(&bad, row) == TN_OK, "a catalog row without a version%s", NULL);
	}
	CHECK(judge(&set, NULL, &bad, &applied, version) == -1, "probe: a catalog row without a version refused%s", NULL);
	tn_rows_free(&bad);

	sql = tn_fanout_probe_sql("tenancy.");
	CHECK(sql != NULL &&
			  strstr(sql, "COPY tenancy.catalog (version, name, checksum, down_sql, flags) TO STDOUT;") != NULL &&
			  strstr(sql, "COPY tenancy.applied (version, name, checksum, applied_at, duration_ms, batch) TO STDOUT") !=
				  NULL &&
			  strchr(sql, '{') == NULL && strchr(sql, '=') == NULL && strstr(sql, "SELECT") == NULL,
		  "probe: its SQL copies the prefixed tables' columns, with no operator or function%s", NULL);
	free(sql);
	tn_rows_free(&catalog);
	tn_rows_free(&applied);
	tn_migration_clear(&items[0]);
	tn_migration_clear(&items[1]);
}
