/*
 * sqlite_tenant_set.c -- changing the tenant set of a SQLite registry (host
 * side): tenant_migration_add / _load / _load_files with scope 'tenants' and
 * tenant_migration_remove.  Each change runs in one transaction on the
 * template together with migrating the template, so a failure leaves the set
 * unchanged; a no-transaction migration is applied after the commit with the
 * template's content kept to put back.  What may change (a version no tenant
 * holds, the set's rules) is the core's decision.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_registry.h"
#include "sqlite_registry_internal.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3

/*
 * Change the tenant set: in one transaction on the template, apply the
 * change and migrate the template; a failure leaves the set unchanged.
 */
typedef int (*set_change_fn)(tn_sqlite_conn *tmpl, void *arg, long long *count, tn_error *err);

/* Copy one database into another with the backup API (whole file). */
static int
copy_database(sqlite3 *to, sqlite3 *from, tn_error *err)
{
	sqlite3_backup *b = from ? sqlite3_backup_init(to, "main", from, "main") : NULL;
	int				rc = b ? sqlite3_backup_step(b, -1) : from ? sqlite3_errcode(to)
															   : SQLITE_CANTOPEN;

	if (b)
		sqlite3_backup_finish(b);
	if (rc == SQLITE_DONE)
		return TN_OK;
	tn_error_set(err, TN_ERR_IO, "could not copy the template");
	tn_error_detail(err, "SQLite reported: %s.", sqlite3_errstr(rc));
	return TN_ERR_IO;
}

/*
 * The set now holds a no-transaction migration the template has not run:
 * it cannot run inside the transaction that changes the set (PostgreSQL
 * runs the template's over a connection of its own).  The template's
 * content is kept in memory, the change committed, the template migrated
 * outside a transaction (each no-transaction body alone, as tenant_migrate
 * runs it); a failure puts the kept content back, so the set is unchanged.
 */
static int
change_then_migrate(tn_sqlite_conn *tmpl, set_change_fn change, void *arg,
					long long *count, tn_error *err)
{
	sqlite3 *kept = NULL;
	int		 rc;

	if (sqlite3_open_v2(":memory:", &kept, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
	{
		sqlite3_close(kept);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	if ((rc = tn_sqlite_exec(tmpl->db, "BEGIN IMMEDIATE", err)) == TN_OK)
	{
		/* read through a second connection: ours holds the write lock */
		sqlite3 *reader = NULL;

		if (sqlite3_open_v2(sqlite3_db_filename(tmpl->db, "main"), &reader, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
		{
			sqlite3_busy_timeout(reader, 5000);
			rc = copy_database(kept, reader, err);
		}
		else
			rc = copy_database(kept, NULL, err);
		sqlite3_close(reader);
		if (rc == TN_OK)
			rc = change(tmpl, arg, count, err);
		if (rc == TN_OK)
			rc = tn_sqlite_exec(tmpl->db, "COMMIT", err);
		else
			sqlite3_exec(tmpl->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (rc == TN_OK && (rc = tnsq_template_migrate(tmpl, err)) != TN_OK)
	{
		tn_error ignored;

		tn_error_clear(&ignored);
		copy_database(tmpl->db, kept, &ignored);
	}
	sqlite3_close(kept);
	return rc;
}

static int
change_tenant_set(tn_sqlite_conn *registry, set_change_fn change, void *arg,
				  long long *count, const char *what, tn_error *err)
{
	registry_paths rp;
	tn_sqlite_conn tmpl;
	int			   rc;

	if ((rc = tnsq_registry_ready(registry, &rp, err)) != TN_OK)
		return rc;
	if ((rc = tnsq_open_tenant_file(rp.template_file, 1, &tmpl, err)) != TN_OK)
		return rc;
	if ((rc = tn_sqlite_exec(tmpl.db, "BEGIN IMMEDIATE", err)) != TN_OK)
	{
		tnsq_close_tenant(&tmpl);
		return rc;
	}
	rc = change(&tmpl, arg, count, err);
	if (rc == TN_OK)
		rc = tnsq_template_migrate_in(&tmpl, 1, err);
	if (rc != TN_OK)
		sqlite3_exec(tmpl.db, "ROLLBACK", NULL, NULL, NULL);
	else
		rc = tn_sqlite_exec(tmpl.db, "COMMIT", err);
	if (rc == TN_ERR_NO_TRANSACTION)
	{
		tn_error_clear(err);
		*count = 0;
		rc = change_then_migrate(&tmpl, change, arg, count, err);
	}
	tnsq_close_tenant(&tmpl);
	if (rc != TN_OK)
		return rc;
	if (rc == TN_OK && *count > 0)
	{
		char detail[64];

		snprintf(detail, sizeof(detail), "%lld migrations", *count);
		rc = tnsq_audit(registry, what, NULL, detail, err);
	}
	return rc;
}

static int
change_add(tn_sqlite_conn *tmpl, void *arg, long long *count, tn_error *err)
{
	int added = 0;
	int rc = tn_catalog_add_to_set(&tmpl->adapter, arg, &added, err);

	*count = added;
	return rc;
}

static int
change_load(tn_sqlite_conn *tmpl, void *arg, long long *count, tn_error *err)
{
	return tn_catalog_load_folder_to_set(&tmpl->adapter, arg, count, err);
}

static int
change_load_files(tn_sqlite_conn *tmpl, void *arg, long long *count, tn_error *err)
{
	return tn_catalog_load_sent(&tmpl->adapter, arg, count, err);
}

int
tn_registry_catalog_load_files(tn_sqlite_conn *registry, size_t n, const char *const *names,
							   const char *const *bodies, const size_t *lens,
							   long long *count, tn_error *err)
{
	tn_sent_files f = { n, names, bodies, lens };

	return change_tenant_set(registry, change_load_files, &f, count, "set_load", err);
}

int
tn_registry_catalog_add(tn_sqlite_conn *registry, const tn_migration *m,
						int *added, tn_error *err)
{
	long long count = 0;
	int		  rc = change_tenant_set(registry, change_add, (void *) m, &count, "set_add", err);

	*added = (int) count;
	return rc;
}

int
tn_registry_catalog_load(tn_sqlite_conn *registry, const char *path,
						 long long *count, tn_error *err)
{
	if (path == NULL)
		return tn_error_null_argument(err, "path");
	return change_tenant_set(registry, change_load, (void *) path, count, "set_load", err);
}


/* Undo version in the template (it has no data), forget it; change_tenant_set then migrates the rest again. */
static int
change_remove(tn_sqlite_conn *tmpl, void *arg, long long *count, tn_error *err)
{
	tn_migration_set  set;
	tn_migrate_result res;
	int				  rc;

	if ((rc = tn_set_read(&tmpl->adapter, "catalog", &set, err)) != TN_OK)
		return rc;
	rc = tn_rollback_before(&tmpl->adapter, &set, arg, &res, err);
	tn_migrate_result_free(&res);
	tn_migration_set_free(&set);
	if (rc == TN_OK)
		rc = tn_catalog_forget(&tmpl->adapter, arg, err);
	*count = rc == TN_OK ? 1 : 0;
	return rc;
}

/*
 * tenant_migration_remove(version [, scope]): take a version that no
 * database has applied out of a set.  Scope 'tenants': every tenant file
 * is asked (tnsq_version_holders), the core decides, then the template
 * forgets it.  Default scope: this database's own catalog.
 */
void
tnsq_fn_migration_remove(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	tn_sqlite_conn	*conn = sqlite3_user_data(ctx);
	const char		*version = tnsq_arg_text(argc, argv, 0);
	tn_migration_set set;
	registry_paths	 rp;
	tn_rows			 holders;
	tn_error		 err;
	long long		 count = 0;
	int				 tenants = 0;
	int				 rc;

	tn_error_clear(&err);
	memset(&set, 0, sizeof(set));
	tn_rows_init(&holders, 1);
	if ((rc = tn_parse_scope(tnsq_arg_text(argc, argv, 1), &tenants, &err)) == TN_OK && !tenants)
	{
		/* this database: its own catalog is the set, itself the only holder */
		if ((rc = tn_sqlite_ensure_schema(conn, &err)) == TN_OK &&
			(rc = tn_set_read(&conn->adapter, "catalog", &set, &err)) == TN_OK && version != NULL)
		{
			int			applied = 0;
			const char *row[1] = { "this database" };

			rc = tn_version_applied(&conn->adapter, version, &applied, &err);
			if (rc == TN_OK && applied)
				rc = tn_rows_add(&holders, row);
		}
		if (rc == TN_OK && (rc = tn_migration_remove_check(&set, version, &holders, 0, &err)) == TN_OK)
			rc = tn_catalog_forget(&conn->adapter, tn_set_find(&set, version)->version, &err);
	}
	else if (rc == TN_OK &&
			 (rc = tnsq_registry_ready(conn, &rp, &err)) == TN_OK &&
			 (rc = tnsq_load_tenant_set(&rp, &set, &err)) == TN_OK &&
			 (rc = version == NULL ? tn_error_null_argument(&err, "version")
								   : tnsq_version_holders(conn, &rp, version, &holders, &err)) == TN_OK &&
			 (rc = tn_migration_remove_check(&set, version, &holders, 1, &err)) == TN_OK &&
			 (rc = tnsq_forget_in_tenants(conn, &rp, tn_set_find(&set, version)->version, &err)) == TN_OK)
		rc = change_tenant_set(conn, change_remove, (void *) tn_set_find(&set, version)->version, &count,
							   "set_remove", &err);
	tn_rows_free(&holders);
	tn_migration_set_free(&set);
	if (rc != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	sqlite3_result_int64(ctx, 1);
}
