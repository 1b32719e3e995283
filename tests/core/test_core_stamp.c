/*
 * test_core_stamp.c -- a SQLite tenant's no-op judged in one statement and
 * by its generation stamp (issue 9, tn_probe_one.c): the one-statement
 * probe's SQL and rows (tn_fanout_probe_one_sql,
 * tn_fanout_state_current_one), the tenant set's fingerprint
 * (tn_set_fingerprint) and the stamp (tn_fanout_stamp_make,
 * tn_fanout_stamp_current); and which fan-out rows may wait for a batch
 * (tn_fanout_record_may_wait).  No database: rows are written here as the
 * statement returns them.
 */
#include <stdlib.h>
#include <string.h>

#include "test_core.h"

/* one row of the one-statement probe: tag, then up to six cells */
static void
probe_row(tn_rows *r, const char *tag, const char *a, const char *b, const char *c, const char *d, const char *e,
		  const char *f)
{
	const char *row[TN_PROBE_ONE_NCOLS] = { tag, a, b, c, d, e, f };

	SETUP(tn_rows_add(r, row) == TN_OK, "probe row %s", a);
}

static int
judge_one(const tn_migration_set *set, const char *target, const tn_rows *rows, char *version)
{
	tn_error err;
	int		 current = -1;

	tn_error_clear(&err);
	if (tn_fanout_state_current_one(set, target, rows, &current, version, TN_MAX_VERSION_LEN + 1, &err) != TN_OK)
		return -1;
	return current;
}

static void
one_statement_probe(tn_migration *items, const tn_migration_set *set)
{
	char	version[TN_MAX_VERSION_LEN + 1];
	tn_rows rows, narrow;
	char   *sql;

	tn_rows_init(&rows, TN_PROBE_ONE_NCOLS);
	probe_row(&rows, "c", "1", "m", items[0].checksum, NULL, "0", NULL);
	probe_row(&rows, "c", "2", "m", items[1].checksum, "DROP TABLE b", "0", NULL);
	probe_row(&rows, "a", "1", "m", items[0].checksum, "2026-01-01 00:00:00+00", "1", "1");
	CHECK(judge_one(set, NULL, &rows, version) == 0, "probe one: version 2 not applied: full path%s", NULL);
	probe_row(&rows, "a", "2", "m", items[1].checksum, "2026-01-01 00:00:00+00", "1", "1");
	CHECK(judge_one(set, NULL, &rows, version) == 1 && strcmp(version, "2") == 0,
		  "probe one: catalog and applied rows split by tag: up to date at 2%s", NULL);
	CHECK(judge_one(set, "1", &rows, version) == 0, "probe one: a target below the newest: full path%s", NULL);
	probe_row(&rows, "c", "3", "m", "sha256:00", NULL, "0", NULL);
	CHECK(judge_one(set, NULL, &rows, version) == 0, "probe one: a catalog row the set lacks: full path%s", NULL);
	tn_rows_free(&rows);

	/* a catalog row whose flags differ from the set's: the sync would write it */
	tn_rows_init(&rows, TN_PROBE_ONE_NCOLS);
	probe_row(&rows, "c", "1", "m", items[0].checksum, NULL, "0", NULL);
	probe_row(&rows, "c", "2", "m", items[1].checksum, "DROP TABLE b", "1", NULL);
	probe_row(&rows, "a", "1", "m", items[0].checksum, "2026-01-01 00:00:00+00", "1", "1");
	probe_row(&rows, "a", "2", "m", items[1].checksum, "2026-01-01 00:00:00+00", "1", "1");
	CHECK(judge_one(set, NULL, &rows, version) == 0, "probe one: other flags in the catalog: full path%s", NULL);
	probe_row(&rows, "x", "9", NULL, NULL, NULL, NULL, NULL);
	CHECK(judge_one(set, NULL, &rows, version) == -1, "probe one: a row of no table refused%s", NULL);
	tn_rows_free(&rows);
	tn_rows_init(&narrow, TN_CATALOG_NCOLS);
	CHECK(judge_one(set, NULL, &narrow, version) == -1, "probe one: rows of another width refused%s", NULL);
	tn_rows_free(&narrow);

	sql = tn_fanout_probe_one_sql("tenancy_");
	CHECK(sql != NULL && strstr(sql, "FROM tenancy_catalog UNION ALL") != NULL &&
			  strstr(sql, "FROM tenancy_applied") != NULL && strchr(sql, '{') == NULL && strchr(sql, '=') == NULL &&
			  strchr(sql, '(') == NULL && strchr(sql, ';') == NULL,
		  "probe one: one statement over the prefixed tables, no operator or function%s", NULL);
	free(sql);
}

static void
fingerprints(tn_migration *items, tn_migration_set *set)
{
	char	 a[TN_CHECKSUM_LEN], b[TN_CHECKSUM_LEN];
	char	*down = items[1].down_sql;
	tn_error err;

	tn_error_clear(&err);
	CHECK(tn_set_fingerprint(set, a, &err) == TN_OK && strncmp(a, "sha256:", 7) == 0 &&
			  tn_set_fingerprint(set, b, &err) == TN_OK && strcmp(a, b) == 0,
		  "fingerprint: the same set gives the same fingerprint%s", NULL);
	items[1].down_sql = "DROP TABLE b\r\n";
	CHECK(tn_set_fingerprint(set, b, &err) == TN_OK && strcmp(a, b) != 0, "fingerprint: another down body%s", NULL);
	{
		char c[TN_CHECKSUM_LEN];

		items[1].down_sql = "DROP TABLE b\n";
		CHECK(tn_set_fingerprint(set, c, &err) == TN_OK && strcmp(b, c) != 0,
			  "fingerprint: CRLF and LF in a down body differ (the catalog compares them as text)%s", NULL);
	}
	items[1].down_sql = down;
	items[1].flags ^= 1;
	CHECK(tn_set_fingerprint(set, b, &err) == TN_OK && strcmp(a, b) != 0, "fingerprint: other flags%s", NULL);
	items[1].flags ^= 1;
	set->count = 1;
	CHECK(tn_set_fingerprint(set, b, &err) == TN_OK && strcmp(a, b) != 0, "fingerprint: one version fewer%s", NULL);
	set->count = 0;
	CHECK(tn_set_fingerprint(set, b, &err) == TN_OK && strncmp(b, "sha256:", 7) == 0 && strcmp(a, b) != 0,
		  "fingerprint: the empty set has one too%s", NULL);
	set->count = 2;
}

static void
stamps(void)
{
	char stamp[TN_STAMP_MAX], version[TN_MAX_VERSION_LEN + 1], tiny[16];

	CHECK(tn_fanout_stamp_make(stamp, sizeof(stamp), "sha256:ab", "rj:1:2:3", "2") == 1 &&
			  strcmp(stamp, "sha256:ab|rj:1:2:3|2") == 0,
		  "stamp: set fingerprint, file facts, version%s", NULL);
	CHECK(tn_fanout_stamp_current(stamp, "sha256:ab", "rj:1:2:3", NULL, version, sizeof(version)) == 1 &&
			  strcmp(version, "2") == 0,
		  "stamp: the same set and facts: up to date at its version%s", NULL);
	CHECK(tn_fanout_stamp_current(stamp, "sha256:ab", "rj:1:2:3", "V2", version, sizeof(version)) == 1,
		  "stamp: a target that is its version%s", NULL);
	CHECK(tn_fanout_stamp_current(stamp, "sha256:ab", "rj:1:2:3", "1", version, sizeof(version)) == 0 &&
			  version[0] == '\0',
		  "stamp: another target reads the tenant%s", NULL);
	CHECK(tn_fanout_stamp_current(stamp, "sha256:ab", "rj:1:2:4", NULL, version, sizeof(version)) == 0,
		  "stamp: other file facts read the tenant%s", NULL);
	CHECK(tn_fanout_stamp_current(stamp, "sha256:ab", "rj:1:2", NULL, version, sizeof(version)) == 0,
		  "stamp: facts that are a prefix of the kept ones read the tenant%s", NULL);
	CHECK(tn_fanout_stamp_current(stamp, "sha256:ac", "rj:1:2:3", NULL, version, sizeof(version)) == 0,
		  "stamp: another tenant set reads the tenant%s", NULL);
	CHECK(tn_fanout_stamp_current(stamp, "sha256:ab", "", NULL, version, sizeof(version)) == 0 &&
			  tn_fanout_stamp_current(stamp, "sha256:ab", NULL, NULL, version, sizeof(version)) == 0,
		  "stamp: no facts now (WAL mode) reads the tenant%s", NULL);
	CHECK(tn_fanout_stamp_current(NULL, "sha256:ab", "rj:1:2:3", NULL, version, sizeof(version)) == 0,
		  "stamp: none kept reads the tenant%s", NULL);
	CHECK(tn_fanout_stamp_current("sha256:ab|rj:1:2:3|2|x", "sha256:ab", "rj:1:2:3", NULL, version,
								  sizeof(version)) == 0,
		  "stamp: a kept stamp of another shape reads the tenant%s", NULL);
	CHECK(tn_fanout_stamp_make(stamp, sizeof(stamp), "sha256:ab", "", "2") == 0 && stamp[0] == '\0' &&
			  tn_fanout_stamp_make(stamp, sizeof(stamp), "sha256:ab", NULL, "2") == 0,
		  "stamp: no facts, no stamp%s", NULL);
	CHECK(tn_fanout_stamp_make(stamp, sizeof(stamp), "sha256:ab", "rj|1", "2") == 0,
		  "stamp: facts with the separator make none%s", NULL);
	CHECK(tn_fanout_stamp_make(tiny, sizeof(tiny), "sha256:ab", "rj:1:2:3", "2") == 0 && tiny[0] == '\0',
		  "stamp: too long for the buffer makes none%s", NULL);
	CHECK(tn_fanout_stamp_make(stamp, sizeof(stamp), "sha256:ab", "rj:1", NULL) == 1 &&
			  tn_fanout_stamp_current(stamp, "sha256:ab", "rj:1", NULL, version, sizeof(version)) == 1 &&
			  version[0] == '\0' &&
			  tn_fanout_stamp_current(stamp, "sha256:ab", "rj:1", "1", version, sizeof(version)) == 0,
		  "stamp: a tenant with nothing applied (empty set)%s", NULL);
}

void
test_fanout_stamp(void)
{
	tn_migration	 items[2];
	tn_migration_set set;
	tn_error		 err;

	tn_error_clear(&err);
	memset(&set, 0, sizeof(set));
	SETUP(tn_migration_from_args("1", "m", "CREATE TABLE a (i int)", NULL, TN_DIALECT_SQLITE, &items[0], &err) == TN_OK &&
			  tn_migration_from_args("2", "m", "CREATE TABLE b (i int)", "DROP TABLE b", TN_DIALECT_SQLITE, &items[1], &err) == TN_OK,
		  "two migrations%s", NULL);
	set.items = items;
	set.count = 2;
	one_statement_probe(items, &set);
	fingerprints(items, &set);
	stamps();
	/* the rest of the rule is test_core_decisions.c's: an unknown word never waits */
	CHECK(!tn_fanout_record_may_wait("other", TN_OK, 0), "an unknown status never waits for a batch%s", NULL);
	tn_migration_clear(&items[0]);
	tn_migration_clear(&items[1]);
}
