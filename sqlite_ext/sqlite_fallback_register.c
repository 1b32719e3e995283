/*
 * sqlite_fallback_register.c -- registers the fallback's SQL functions
 * (tenant_fallback_pull / _push / _status and their _all forms over a
 * registry, tenant_backup, tenant_backups)
 * from one table, as tenancy_sqlite.c does for the rest.
 *
 * Must not: hold any fallback logic (the sqlite_fallback_*.c files do).
 */
#include <stdio.h>

#include "sqlite_fallback.h"
#include "sqlite_vtab.h"

SQLITE_EXTENSION_INIT3

static const tn_vtab_spec fallback_tables[] = {
	{ &tn_def_fallback_pull, 2, { "primary", "tables" }, tnfb_fill_pull },
	{ &tn_def_fallback_push, 2, { "primary", "on_conflict" }, tnfb_fill_push },
	{ &tn_def_fallback_status, 1, { "primary" }, tnfb_fill_status },
	{ &tn_def_backups, 0, { NULL }, tnfb_fill_backups },
	{ &tn_def_fallback_pull_all, 2, { "primary_registry", "concurrency" }, tnfb_fill_pull_all },
	{ &tn_def_fallback_push_all, 3, { "primary_registry", "on_conflict", "concurrency" }, tnfb_fill_push_all },
	{ &tn_def_fallback_status_all, 2, { "primary_registry", "concurrency" }, tnfb_fill_status_all },
};

/*
 * tenancy_fb_real(x): a REAL as "%.17g" text (exact for the primary's
 * float8in; SQLite's printf is not exact near DBL_MAX), else x unchanged.
 */
static void
fn_fb_real(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[40];

	(void) argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_FLOAT)
	{
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	snprintf(buf, sizeof(buf), "%.17g", sqlite3_value_double(argv[0]));
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

int
tn_fallback_register(sqlite3 *db, tn_sqlite_conn *conn)
{
	size_t i;
	int	   rc = SQLITE_OK;

	(void) conn;
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "tenancy_fb_real", 1,
										SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
										NULL, fn_fb_real, NULL, NULL, NULL);
	for (i = 0; rc == SQLITE_OK && i <= 1; i++)
		rc = sqlite3_create_function_v2(db, "tenant_backup", (int) i, SQLITE_UTF8 | SQLITE_DIRECTONLY,
										NULL, tnfb_fn_backup, NULL, NULL, NULL);
	for (i = 0; rc == SQLITE_OK && i <= 1; i++)
		rc = sqlite3_create_function_v2(db, "tenant_fallback_drop_retired", (int) i, SQLITE_UTF8 | SQLITE_DIRECTONLY,
										NULL, tnfb_fn_drop_retired, NULL, NULL, NULL);
	for (i = 0; rc == SQLITE_OK && i < sizeof(fallback_tables) / sizeof(fallback_tables[0]); i++)
		rc = tn_vtab_register(db, &fallback_tables[i]);
	return rc;
}
