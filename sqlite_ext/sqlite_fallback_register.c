/*
 * sqlite_fallback_register.c -- registers the fallback's SQL functions
 * (tenant_fallback_pull / _push / _status, tenant_backup, tenant_backups)
 * from one table, as tenancy_sqlite.c does for the rest.
 *
 * Must not: hold any fallback logic (the sqlite_fallback_*.c files do).
 */
#include "sqlite_fallback.h"
#include "sqlite_vtab.h"

SQLITE_EXTENSION_INIT3

static const tn_vtab_spec fallback_tables[] = {
	{&tn_def_fallback_pull, 2, {"primary", "tables"}, tnfb_fill_pull},
	{&tn_def_fallback_push, 2, {"primary", "on_conflict"}, tnfb_fill_push},
	{&tn_def_fallback_status, 1, {"primary"}, tnfb_fill_status},
	{&tn_def_backups, 0, {NULL}, tnfb_fill_backups},
};

int
tn_fallback_register(sqlite3 *db, tn_sqlite_conn *conn)
{
	size_t		i;
	int			rc = SQLITE_OK;

	(void) conn;
	for (i = 0; rc == SQLITE_OK && i <= 1; i++)
		rc = sqlite3_create_function_v2(db, "tenant_backup", (int) i, SQLITE_UTF8 | SQLITE_DIRECTONLY,
										NULL, tnfb_fn_backup, NULL, NULL, NULL);
	for (i = 0; rc == SQLITE_OK && i < sizeof(fallback_tables) / sizeof(fallback_tables[0]); i++)
		rc = tn_vtab_register(db, &fallback_tables[i]);
	return rc;
}
