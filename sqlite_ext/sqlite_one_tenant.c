/*
 * sqlite_one_tenant.c -- one named tenant read from its registry (issue 9):
 * tenant_status('acme'), tenant_history('acme'), tenant_checkpoints('acme')
 * and tenant_verify('acme') open the tenant's file read-only and read its
 * own tracking tables (never the registry's cache).
 *
 * Mechanics only: which file, opened how.  What is read and the errors of
 * an unknown or unreadable tenant are the core's (tn_one_tenant_read,
 * tn_one_tenant_unknown, tn_one_tenant_failed).  Must not: write the
 * tenant or the registry's cache.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "sqlite_registry.h"
#include "sqlite_registry_internal.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3

/*
 * Opens the named tenant's file of this registry (how: OPEN_* of
 * tnsq_open_tenant_file) into *tenant.  An unknown name, or a file that is
 * missing or not a database, comes back as the core's one-tenant error.
 */
int
tnsq_open_named_tenant(sqlite3 *db, const char *name, int how, tn_sqlite_conn *tenant, tn_error *err)
{
	tn_sqlite_conn conn;
	registry_paths rp;
	tn_rows		   location;
	tn_value	   p[1] = { tn_text(name) };
	char		  *resolved = NULL;
	int			   rc;

	tn_sqlite_conn_init(&conn, db);
	if ((rc = tnsq_registry_ready(&conn, &rp, err)) != TN_OK)
		return rc;
	rc = tn_query_rows(&conn.adapter, "SELECT location FROM {T}tenants WHERE name = $1", 1, p, 1, &location, err);
	if (rc != TN_OK)
		return rc;
	if (location.nrows == 0)
	{
		tn_rows_free(&location);
		return tn_one_tenant_unknown(name, err);
	}
	rc = tn_validate_tenant_path(rp.dir, tn_rows_get(&location, 0, 0), 1, &resolved, err);
	tn_rows_free(&location);
	if (rc == TN_OK)
		rc = tnsq_open_tenant_file(resolved, how, tenant, err);
	free(resolved);
	if (rc != TN_OK)
		return tn_one_tenant_failed(name, 0, err); /* missing, not a database: unreachable, as in the fan-out */
	return TN_OK;
}

int
tnsq_one_tenant_fill(sqlite3 *db, tn_one_tenant_kind kind, const char *name, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn tenant;
	int			   rc;

	if ((rc = tnsq_open_named_tenant(db, name, OPEN_READONLY, &tenant, err)) != TN_OK)
		return rc;
	if ((rc = tn_one_tenant_read(&tenant.adapter, kind, out, err)) != TN_OK)
		rc = tn_one_tenant_failed(name, 1, err);
	tnsq_close_tenant(&tenant);
	return rc;
}
