/*
 * test_core_state.c -- a database's state built from its two tables
 * (tn_state_from_probe), as tn_state_load now reads them on both engines:
 * catalog and applied rows in any order, joined on the version text through
 * sorted indexes.  No database: the rows are written here.
 */
#include <stdio.h>
#include <string.h>

#include "test_core.h"
#include "tn_internal.h"

static void
add_catalog(tn_rows *r, const char *version, const char *checksum, const char *down)
{
	const char *row[TN_CATALOG_NCOLS] = { version, "m", checksum, down, "0" };

	SETUP(tn_rows_add(r, row) == TN_OK, "catalog row %s", version);
}

static void
add_applied(tn_rows *r, const char *version, const char *checksum, const char *batch)
{
	const char *row[TN_APPLIED_NCOLS] = { version, "a", checksum, "2026-01-01 00:00:00+00", "3", batch };

	SETUP(tn_rows_add(r, row) == TN_OK, "applied row %s", version);
}

static const tn_entry *
entry(const tn_db_state *st, const char *version)
{
	for (size_t i = 0; i < st->count; i++)
		if (strcmp(st->entries[i].version, version) == 0)
			return &st->entries[i];
	return NULL;
}

void
test_state_from_tables(void)
{
	tn_rows			catalog, applied;
	tn_db_state		st;
	tn_error		err;
	const tn_entry *e;
	char			v[16];

	/* out of order on both sides; an applied row the catalog no longer has; a drifted one */
	tn_rows_init(&catalog, TN_CATALOG_NCOLS);
	tn_rows_init(&applied, TN_APPLIED_NCOLS);
	add_catalog(&catalog, "10", "c10", NULL);
	add_catalog(&catalog, "2", "c2", "1");
	add_catalog(&catalog, "1", "c1", NULL);
	add_catalog(&catalog, "3", "c3", NULL);
	add_applied(&applied, "5", "c5", "2");
	add_applied(&applied, "2", "c2", "1");
	add_applied(&applied, "1", "c1", "1");
	add_applied(&applied, "3", "other", "2");
	tn_error_clear(&err);
	CHECK(tn_state_from_probe(&catalog, &applied, &st, &err) == TN_OK, "state: from the two tables%s", "");
	CHECK(st.count == 5, "state: 5 versions (4 in the catalog, 1 only applied)%s", "");
	CHECK(st.count >= 5 && strcmp(st.entries[0].version, "1") == 0 && strcmp(st.entries[4].version, "10") == 0,
		  "state: entries sorted by version, not by text%s", "");
	e = entry(&st, "2");
	CHECK(e && e->state == TN_STATE_APPLIED && e->has_down && e->batch == 1, "state: 2 applied with its down%s", "");
	e = entry(&st, "3");
	CHECK(e && e->state == TN_STATE_DRIFTED, "state: 3 drifted (checksums differ)%s", "");
	e = entry(&st, "5");
	CHECK(e && e->state == TN_STATE_MISSING && !e->in_catalog, "state: 5 missing (applied, not in the catalog)%s", "");
	e = entry(&st, "10");
	CHECK(e && e->state == TN_STATE_PENDING && !e->is_applied, "state: 10 pending%s", "");
	CHECK(st.max_applied_batch == 2, "state: the largest applied batch%s", "");
	tn_state_free(&st);

	/* a catalog row without a version is refused, nothing kept */
	add_catalog(&catalog, NULL, "cx", NULL);
	tn_error_clear(&err);
	CHECK(tn_state_from_probe(&catalog, &applied, &st, &err) == TN_ERR_ENGINE && st.count == 0 &&
			  strstr(err.message, "has no version") != NULL,
		  "state: a catalog row without a version is an engine error%s", "");
	tn_rows_free(&catalog);
	tn_rows_free(&applied);

	/* many versions: every one matched with its applied row */
	tn_rows_init(&catalog, TN_CATALOG_NCOLS);
	tn_rows_init(&applied, TN_APPLIED_NCOLS);
	for (int i = 2000; i >= 1; i--)
	{
		snprintf(v, sizeof(v), "%d", i);
		add_catalog(&catalog, v, "c", NULL);
		if (i % 2 == 0)
			add_applied(&applied, v, "c", "1");
	}
	tn_error_clear(&err);
	CHECK(tn_state_from_probe(&catalog, &applied, &st, &err) == TN_OK && st.count == 2000,
		  "state: 2,000 catalog rows, 1,000 applied%s", "");
	CHECK(st.n_pending == 1000 && st.n_missing == 0 && st.n_drifted == 0,
		  "state: the odd ones pending, none missing or drifted%s", "");
	tn_state_free(&st);
	tn_rows_free(&catalog);
	tn_rows_free(&applied);
}
