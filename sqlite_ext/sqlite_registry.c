/*
 * sqlite_registry.c -- the tenant registry on SQLite (host side).
 *
 * Mechanics only: where the registry and template files are, copying the
 * template with the backup API, opening tenant files, tenant_create,
 * tenant_register, tenant_drop, tenants(), tenant_runs() and registering
 * every registry function (the fan-out is in sqlite_fanout.c, the atomic
 * run in sqlite_atomic.c).  Every decision (name
 * and path rules, what to migrate, how a tenant's outcome is classified)
 * is the core's.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* flock(): the atomic run's liveness lock */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_registry.h"
#include "sqlite_registry_internal.h"
#include "sqlite_vtab.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3


static const char *REGISTRY_SCHEMA_SQL =
	"CREATE TABLE IF NOT EXISTS tenancy_tenants("
	"  name TEXT PRIMARY KEY, location TEXT NOT NULL UNIQUE, version TEXT, pending INTEGER,"
	"  last_run TEXT, last_error TEXT, last_status TEXT, last_checked TEXT, repeatables TEXT, probe_stamp TEXT,"
	"  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00','now')),"
	"  file_path TEXT, file_dev INTEGER, file_ino INTEGER);"
	"CREATE TABLE IF NOT EXISTS tenancy_audit("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00','now')),"
	"  action TEXT NOT NULL, tenant TEXT, detail TEXT);"
	"CREATE TABLE IF NOT EXISTS tenancy_runs("
	"  run_id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00','now')),"
	"  finished_at TEXT, target TEXT, status TEXT NOT NULL,"
	"  tenants INTEGER NOT NULL DEFAULT 0, applied INTEGER NOT NULL DEFAULT 0,"
	"  failed INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS tenancy_run_tenants("
	"  run_id INTEGER NOT NULL, tenant TEXT NOT NULL, status TEXT NOT NULL,"
	"  from_version TEXT, to_version TEXT, applied INTEGER, duration_ms INTEGER,"
	"  sqlstate TEXT, error TEXT, PRIMARY KEY (run_id, tenant));"
	/* tenant_migrate_all_atomic: a run whose copies are kept in folder until it is settled */
	"CREATE TABLE IF NOT EXISTS tenancy_atomic_runs("
	"  run_id INTEGER PRIMARY KEY, folder TEXT NOT NULL);";

/* ---- where things are ---- */


static int
registry_locate(sqlite3 *db, registry_paths *rp, tn_error *err)
{
	const char *file = sqlite3_db_filename(db, "main");
	char	   *slash;

	if (file == NULL || file[0] == '\0')
	{
		tn_error_set(err, TN_ERR_NOT_SUPPORTED, "the tenant registry needs a database file");
		tn_error_detail(err, "This database is in memory or temporary; tenant files are kept beside the registry file.");
		tn_error_hint(err, "Open a file, for example: sqlite3 registry.db");
		return TN_ERR_NOT_SUPPORTED;
	}
	snprintf(rp->file, sizeof(rp->file), "%s", file);
	snprintf(rp->dir, sizeof(rp->dir), "%s", file);
	slash = strrchr(rp->dir, '/');
	if (slash == NULL)
		snprintf(rp->dir, sizeof(rp->dir), ".");
	else if (slash == rp->dir)
		rp->dir[1] = '\0';
	else
		*slash = '\0';
	snprintf(rp->template_file, sizeof(rp->template_file), "%s.template", file);
	return TN_OK;
}

/*
 * tenancy_tenants.last_status (the status word of a tenant's last fan-out
 * or verify row, which tenants() turns into the tenant's state) came after
 * the first registries: add it to a registry made without it.
 */
static int
add_column_if_missing(tn_sqlite_conn *conn, const char *column, const char *alter, tn_error *err)
{
	tn_value p = tn_text(column);
	tn_rows	 rows;
	int		 rc;
	int		 missing;

	rc = tn_query_rows(&conn->adapter, "SELECT count(*) FROM pragma_table_info('tenancy_tenants')"
									   " WHERE name = $1",
					   1, &p, 1, &rows, err);
	if (rc != TN_OK)
		return rc;
	missing = tn_cell_int(tn_rows_get(&rows, 0, 0), 0) == 0;
	tn_rows_free(&rows);
	return missing ? tn_sqlite_exec(conn->db, alter, err) : TN_OK;
}

/*
 * ... and last_checked (issue 9: when a fan-out last asked the tenant
 * itself), repeatables (the core's record of the repeatables a tenant
 * has, tn_set_repeatables_record; NULL in older rows: none known), and the
 * identity of each tenant's file (issue 14: file_path, file_dev, file_ino;
 * sqlite_tenant_files.c), filled in place for the tenants registered
 * before them.  The indexes make tenant_create's check a lookup.
 */
static int
registry_upgrade(tn_sqlite_conn *conn, const registry_paths *rp, tn_error *err)
{
	tn_rows rows;
	int		rc = add_column_if_missing(conn, "last_status", "ALTER TABLE tenancy_tenants ADD COLUMN last_status TEXT",
									   err);

	if (rc == TN_OK)
		rc = add_column_if_missing(conn, "last_checked", "ALTER TABLE tenancy_tenants ADD COLUMN last_checked TEXT",
								   err);
	/* issue 9: the generation stamp of a tenant last found up to date (sqlite_probe.c) */
	if (rc == TN_OK)
		rc = add_column_if_missing(conn, "probe_stamp", "ALTER TABLE tenancy_tenants ADD COLUMN probe_stamp TEXT", err);
	if (rc == TN_OK)
		rc = add_column_if_missing(conn, "repeatables", "ALTER TABLE tenancy_tenants ADD COLUMN repeatables TEXT",
								   err);
	if (rc != TN_OK ||
		(rc = tn_query_rows(&conn->adapter, "SELECT count(*) FROM pragma_table_info('tenancy_tenants')"
											" WHERE name = 'file_path'",
							0, NULL, 1, &rows, err)) != TN_OK)
		return rc;
	if (tn_cell_int(tn_rows_get(&rows, 0, 0), 0) == 0 &&
		(rc = tn_sqlite_exec(conn->db,
							 "ALTER TABLE tenancy_tenants ADD COLUMN file_path TEXT;"
							 "ALTER TABLE tenancy_tenants ADD COLUMN file_dev INTEGER;"
							 "ALTER TABLE tenancy_tenants ADD COLUMN file_ino INTEGER;",
							 err)) == TN_OK)
		rc = tnsq_tenant_files_fill(conn, rp, err);
	tn_rows_free(&rows);
	if (rc == TN_OK)
		rc = tn_sqlite_exec(conn->db,
							"CREATE INDEX IF NOT EXISTS tenancy_tenants_file_path ON tenancy_tenants (file_path);"
							"CREATE INDEX IF NOT EXISTS tenancy_tenants_file_id ON tenancy_tenants (file_dev, file_ino);",
							err);
	return rc;
}

int
tnsq_registry_ready(tn_sqlite_conn *conn, registry_paths *rp, tn_error *err)
{
	int rc;

	if ((rc = registry_locate(conn->db, rp, err)) != TN_OK)
		return rc;
	if ((rc = tn_sqlite_ensure_schema(conn, err)) != TN_OK)
		return rc;
	if ((rc = tn_sqlite_exec(conn->db, REGISTRY_SCHEMA_SQL, err)) != TN_OK)
		return rc;
	return registry_upgrade(conn, rp, err);
}


/* Open a tenant (or template) file. */
int
tnsq_open_tenant_file(const char *path, int how, tn_sqlite_conn *out, tn_error *err)
{
	return tnsq_open_tenant_file_waiting(path, how, TN_SQLITE_DEFAULT_BUSY_MS, out, err);
}

int
tnsq_open_tenant_file_waiting(const char *path, int how, int busy_ms, tn_sqlite_conn *out, tn_error *err)
{
	sqlite3 *db = NULL;
	int		 flags = SQLITE_OPEN_NOMUTEX |
				((how & OPEN_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
				((how & OPEN_CREATE) ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(path, &db, flags, NULL);

	if (rc != SQLITE_OK)
	{
		tn_error_set(err, TN_ERR_UNREACHABLE, "cannot open tenant database \"%s\"", path);
		tn_error_detail(err, "SQLite reported: %s.", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return TN_ERR_UNREACHABLE;
	}
	sqlite3_busy_timeout(db, busy_ms);
	tn_sqlite_conn_init(out, db);
	out->owns_db = 1;
	out->busy_timeout_set = 1;
	tn_sqlite_conn_cache(out); /* close_tenant releases it */
	return (how & OPEN_NO_SCHEMA) ? TN_OK : tnsq_tenant_schema_ready(out, path, err);
}

int
tnsq_tenant_schema_ready(tn_sqlite_conn *conn, const char *path, tn_error *err)
{
	int rc = tn_sqlite_ensure_schema(conn, err);

	if (rc != TN_OK)
	{
		if (rc == TN_ERR_UNREACHABLE)
			tn_error_detail(err, "\"%s\" is not a usable SQLite database.", path);
		tnsq_close_tenant(conn);
	}
	return rc;
}

void
tnsq_close_tenant(tn_sqlite_conn *conn)
{
	tn_sqlite_conn_release(conn);
	if (conn->db && conn->owns_db)
		sqlite3_close(conn->db);
	conn->db = NULL;
}

/*
 * Bring the template to the newest version of its own catalog.
 * in_transaction: our BEGIN is open on it, so a no-transaction migration
 * is refused up front (TN_ERR_NO_TRANSACTION) before anything runs.
 */
int
tnsq_template_migrate_in(tn_sqlite_conn *tmpl, int in_transaction, tn_error *err)
{
	tn_migrate_opts	  opts = { 0 };
	tn_migrate_result res;
	int				  rc;

	opts.in_statement = in_transaction ? TN_IN_STATEMENT_AND_TRANSACTION : 0;
	rc = tn_migrate(&tmpl->adapter, &opts, &res, err);
	tn_migrate_result_free(&res);
	if (rc != TN_OK && !(in_transaction && rc == TN_ERR_NO_TRANSACTION))
		tn_error_detail_append(err, "This happened in the template tenant, so the change was not accepted.");
	return rc;
}

int
tnsq_template_migrate(tn_sqlite_conn *tmpl, tn_error *err)
{
	return tnsq_template_migrate_in(tmpl, 0, err);
}

int
tnsq_audit(tn_sqlite_conn *conn, const char *action, const char *tenant,
		   const char *detail, tn_error *err)
{
	tn_value p[3];

	p[0] = tn_text(action);
	p[1] = tn_text(tenant);
	p[2] = tn_text(detail);
	return conn->adapter.query(conn->adapter.ctx,
							   "INSERT INTO tenancy_audit (action, tenant, detail) VALUES ($1, $2, $3)",
							   3, p, NULL, NULL, err);
}

/* ---- tenant_create / tenant_register / tenant_drop ---- */

const char *
tnsq_arg_text(int argc, sqlite3_value **argv, int i)
{
	if (i >= argc || sqlite3_value_type(argv[i]) == SQLITE_NULL)
		return NULL;
	return (const char *) sqlite3_value_text(argv[i]);
}

static int
tenant_exists(tn_sqlite_conn *conn, const char *name, const char *location,
			  tn_error *err)
{
	tn_value p[2] = { tn_text(name), tn_text(location) };
	tn_rows	 rows;
	int		 rc;

	rows.nrows = 0;
	rc = tn_query_rows(&conn->adapter, "SELECT name, location FROM {T}tenants WHERE name = $1 OR location = $2",
					   2, p, 2, &rows, err);
	if (rc != TN_OK)
		return rc;
	if (rows.nrows > 0)
	{
		if (strcmp(tn_rows_get(&rows, 0, 0), name) == 0)
		{
			tn_error_set(err, TN_ERR_EXISTS, "tenant \"%s\" already exists", name);
			tn_error_hint(err, "Choose another name, or drop the tenant first with tenant_drop('%s').", name);
		}
		else
		{
			tn_error_set(err, TN_ERR_EXISTS, "tenant file \"%s\" already belongs to tenant \"%s\"",
						 location, tn_rows_get(&rows, 0, 0));
		}
		tn_rows_free(&rows);
		return TN_ERR_EXISTS;
	}
	tn_rows_free(&rows);
	return TN_OK;
}

/*
 * The tenant's row, with its file's identity (resolved: the file, there
 * now) and repeatables, the core's record of what the tenant has (NULL:
 * not known).
 */
static int
register_row(tn_sqlite_conn *conn, const registry_paths *rp, const char *name, const char *location,
			 const char *resolved, const char *version, const char *repeatables, const char *action,
			 tn_error *err)
{
	tn_value p[7] = { tn_text(name), tn_text(location), tn_text(version) };
	int		 rc;

	tnsq_tenant_file_identity(rp, resolved, &p[3]);
	p[6] = tn_text(repeatables);
	rc = tn_exec(&conn->adapter,
				 "INSERT INTO {T}tenants (name, location, version, pending, file_path, file_dev, file_ino, repeatables)"
				 " VALUES ($1, $2, $3, 0, $4, $5, $6, $7)",
				 7, p, err);
	if (rc == TN_OK)
		rc = tnsq_audit(conn, action, name, location, err);
	return rc;
}

/* Copy the template into a new file: temp name, then an atomic rename. */
static int
copy_template(const registry_paths *rp, const char *final_path, char *version,
			  size_t vsize, tn_buf *repeatables, tn_error *err)
{
	tn_sqlite_conn	tmpl;
	sqlite3		   *dst = NULL;
	sqlite3_backup *b;
	char			tmp[4300];
	int				rc;

	if ((rc = tnsq_open_tenant_file(rp->template_file, 1, &tmpl, err)) != TN_OK)
		return rc;
	/* what the copy will have: the template's newest version and its repeatables */
	if ((rc = tnsq_template_migrate(&tmpl, err)) != TN_OK ||
		(rc = tn_newest_applied(&tmpl.adapter, version, vsize, err)) != TN_OK ||
		(rc = tn_applied_repeatables(&tmpl.adapter, repeatables, err)) != TN_OK)
	{
		tnsq_close_tenant(&tmpl);
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s.tenancy-creating", final_path);
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
	{
		tn_error_set(err, TN_ERR_IO, "could not create tenant file \"%s\"", final_path);
		tn_error_detail(err, "SQLite reported: %s.", dst ? sqlite3_errmsg(dst) : "out of memory");
		sqlite3_close(dst);
		tnsq_close_tenant(&tmpl);
		return TN_ERR_IO;
	}
	b = sqlite3_backup_init(dst, "main", tmpl.db, "main");
	rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(dst);
	if (b)
		sqlite3_backup_finish(b);
	tnsq_close_tenant(&tmpl);
	if (rc != SQLITE_DONE)
	{
		tn_error_set(err, TN_ERR_IO, "could not copy the template into \"%s\"", final_path);
		tn_error_detail(err, "SQLite reported: %s.", sqlite3_errstr(rc));
		sqlite3_close(dst);
		unlink(tmp);
		return TN_ERR_IO;
	}
	sqlite3_close(dst);
	if (rename(tmp, final_path) != 0)
	{
		tn_error_set(err, TN_ERR_IO, "could not create tenant file \"%s\"", final_path);
		tn_error_detail(err, "%s.", strerror(errno));
		unlink(tmp);
		return TN_ERR_IO;
	}
	return TN_OK;
}

/*
 * The checks tenant_create and tenant_register share: arguments, the
 * core's name and path rules, and no clash in the registry.
 */
static int
prepare_tenant(tn_sqlite_conn *conn, const char *name, const char *path,
			   int must_exist, registry_paths *rp, char **resolved, tn_error *err)
{
	int rc;

	*resolved = NULL;
	if (name == NULL)
		return tn_error_null_argument(err, "name");
	if (path == NULL)
		return tn_error_null_argument(err, "location");
	if ((rc = tn_validate_tenant_name(name, err)) != TN_OK ||
		(rc = tnsq_registry_ready(conn, rp, err)) != TN_OK ||
		(rc = tenant_exists(conn, name, path, err)) != TN_OK ||
		(rc = tn_validate_tenant_path(rp->dir, path, must_exist, resolved, err)) != TN_OK)
		return rc;
	/* never the registry's own files, a link, or another tenant's file */
	if ((rc = tnsq_guard_new_tenant_file(conn, rp, name, path, *resolved, err)) != TN_OK)
	{
		free(*resolved);
		*resolved = NULL;
	}
	return rc;
}

/* The kind argument of tenant_create / tenant_register: the core's word, a SQLite tenant is a file. */
static int
check_kind(const char *kind, tn_error *err)
{
	tn_tenant_kind parsed;

	return tn_parse_tenant_kind(kind, TN_DIALECT_SQLITE, &parsed, err);
}

static void
result_tenant(sqlite3_context *ctx, int rc, const tn_error *err, const char *name)
{
	if (rc != TN_OK)
		tn_sqlite_raise(ctx, err);
	else
		sqlite3_result_text(ctx, name, -1, SQLITE_TRANSIENT);
}

static void
fn_tenant_create(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	tn_sqlite_conn *conn = sqlite3_user_data(ctx);
	const char	   *name = tnsq_arg_text(argc, argv, 0);
	const char	   *path = tnsq_arg_text(argc, argv, 1);
	char			default_path[128];
	char			version[TN_MAX_VERSION_LEN + 1] = "";
	char		   *resolved = NULL;
	tn_buf			repeatables = { 0 };
	registry_paths	rp;
	tn_error		err;
	int				rc;

	tn_error_clear(&err);
	if (name != NULL && path == NULL)
	{
		snprintf(default_path, sizeof(default_path), "%s.db", name);
		path = default_path;
	}
	rc = check_kind(tnsq_arg_text(argc, argv, 2), &err);
	/* a caller's ROLLBACK could not take the file back: refused there (the core's rule) */
	if (rc == TN_OK)
		rc = tn_registry_check_create_outside(!sqlite3_get_autocommit(conn->db), &err);
	if (rc == TN_OK)
		rc = prepare_tenant(conn, name, path, 0, &rp, &resolved, &err);
	/* registry row and file appear together: the row commits only after the rename */
	if (rc == TN_OK && (rc = conn->adapter.begin(conn, &err)) == TN_OK)
	{
		rc = tenant_exists(conn, name, path, &err);
		if (rc == TN_OK)
			rc = copy_template(&rp, resolved, version, sizeof(version), &repeatables, &err);
		if (rc == TN_OK)
			rc = register_row(conn, &rp, name, path, resolved, version[0] ? version : NULL, repeatables.data, "create",
							  &err);
		if (rc == TN_OK)
			rc = tn_finish(&conn->adapter, &err);
		else
			tn_abort(&conn->adapter, &err);
		if (rc != TN_OK && err.code != TN_ERR_EXISTS)
			unlink(resolved); /* a file we made must not stay unclaimed */
	}
	free(resolved);
	tn_buf_free(&repeatables);
	result_tenant(ctx, rc, &err, name);
}

static void
fn_tenant_register(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	tn_sqlite_conn *conn = sqlite3_user_data(ctx);
	const char	   *name = tnsq_arg_text(argc, argv, 0);
	const char	   *path = tnsq_arg_text(argc, argv, 1);
	char			version[TN_MAX_VERSION_LEN + 1] = "";
	char		   *resolved = NULL;
	tn_buf			repeatables = { 0 };
	registry_paths	rp;
	tn_sqlite_conn	tenant;
	tn_error		err;
	int				rc;

	tn_error_clear(&err);
	rc = check_kind(tnsq_arg_text(argc, argv, 2), &err);
	if (rc == TN_OK)
		rc = prepare_tenant(conn, name, path, 1, &rp, &resolved, &err);
	if (rc == TN_OK)
	{
		/* it must be a SQLite database we can track */
		rc = tnsq_open_tenant_file(resolved, 0, &tenant, &err);
		if (rc == TN_OK)
		{
			rc = tn_newest_applied(&tenant.adapter, version, sizeof(version), &err);
			if (rc == TN_OK)
				rc = tn_applied_repeatables(&tenant.adapter, &repeatables, &err);
			tnsq_close_tenant(&tenant);
		}
	}
	if (rc == TN_OK && (rc = conn->adapter.begin(conn, &err)) == TN_OK)
	{
		rc = tenant_exists(conn, name, path, &err);
		if (rc == TN_OK)
			rc = register_row(conn, &rp, name, path, resolved, version[0] ? version : NULL, repeatables.data,
							  "register", &err);
		if (rc == TN_OK)
			rc = tn_finish(&conn->adapter, &err);
		else
			tn_abort(&conn->adapter, &err);
	}
	free(resolved);
	tn_buf_free(&repeatables);
	result_tenant(ctx, rc, &err, name);
}

static void
fn_tenant_drop(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	tn_sqlite_conn *conn = sqlite3_user_data(ctx);
	const char	   *name = tnsq_arg_text(argc, argv, 0);
	const char	   *mode = tnsq_arg_text(argc, argv, 1);
	registry_paths	rp;
	tn_rows			rows;
	tn_value		p;
	tn_error		err;
	char		   *location = NULL;
	char		   *resolved = NULL;
	int				delete_file = 0;
	int				rc;

	tn_error_clear(&err);
	rows.nrows = 0;
	if (name == NULL)
		rc = tn_error_null_argument(&err, "name");
	else if ((rc = tn_parse_drop_mode(mode, TN_DIALECT_SQLITE, &delete_file, &err)) == TN_OK)
		rc = tnsq_registry_ready(conn, &rp, &err);
	if (rc == TN_OK && (rc = conn->adapter.begin(conn, &err)) == TN_OK)
	{
		p = tn_text(name);
		rc = tn_query_rows(&conn->adapter, "SELECT location FROM {T}tenants WHERE name = $1", 1, &p, 1, &rows, &err);
		if (rc == TN_OK && rows.nrows == 0)
		{
			rc = tn_error_set(&err, TN_ERR_NOT_FOUND, "tenant \"%s\" does not exist", name);
			tn_error_hint(&err, "See SELECT * FROM tenants().");
		}
		if (rc == TN_OK)
			location = tn_strdup(tn_rows_get(&rows, 0, 0), &err);
		if (rc == TN_OK && location == NULL)
			rc = err.code;

		/*
		 * 'delete' removes only a file that is this tenant's alone: decided
		 * before anything changes, so a refusal leaves the tenant
		 * registered and says so (never success for work not done).
		 */
		if (rc == TN_OK && delete_file &&
			(rc = tn_validate_tenant_path(rp.dir, location, -1, &resolved, &err)) == TN_OK)
			rc = tnsq_guard_tenant_file(conn, &rp, name, location, resolved, &err);
		if (rc != TN_OK && delete_file && err.code != TN_ERR_NOT_FOUND)
			tn_error_hint(&err, "Nothing was changed. tenant_drop('%s', 'keep') unregisters it and leaves every file as it is.", name);
		if (rc == TN_OK)
			rc = tn_exec(&conn->adapter, "DELETE FROM {T}tenants WHERE name = $1", 1, &p, &err);
		if (rc == TN_OK)
			rc = tnsq_audit(conn, delete_file ? "drop_delete" : "drop", name, location, &err);
		if (rc == TN_OK)
			rc = tn_finish(&conn->adapter, &err);
		else
			tn_abort(&conn->adapter, &err);
		tn_rows_free(&rows);
	}
	if (rc == TN_OK && delete_file)
	{
		static const char *const suffixes[] = { "", "-journal", "-wal", "-shm" };

		for (size_t i = 0; i < 4 && rc == TN_OK; i++)
		{
			char f[4300];

			snprintf(f, sizeof(f), "%s%s", resolved, suffixes[i]);
			if (unlink(f) != 0 && errno != ENOENT)
			{
				rc = tn_error_set(&err, TN_ERR_IO, "tenant \"%s\" was unregistered, but \"%s\" could not be deleted",
								  name, f);
				tn_error_detail(&err, "%s.", strerror(errno));
			}
		}
	}
	free(resolved);
	free(location);
	result_tenant(ctx, rc, &err, name);
}

/* ---- the tenant set, read from the template ---- */

/* Read the tenant set (the template's catalog), migrating the template first. */
int
tnsq_load_tenant_set(const registry_paths *rp, tn_migration_set *set, tn_error *err)
{
	tn_sqlite_conn tmpl;
	int			   rc;

	memset(set, 0, sizeof(*set));
	if ((rc = tnsq_open_tenant_file(rp->template_file, 1, &tmpl, err)) != TN_OK)
		return rc;
	rc = tnsq_template_migrate(&tmpl, err);
	if (rc == TN_OK)
		rc = tn_set_read(&tmpl.adapter, "catalog", set, err);
	tnsq_close_tenant(&tmpl);
	return rc;
}

/* ---- tenants() ---- */

static int
fill_tenants(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn	 conn;
	registry_paths	 rp;
	tn_migration_set set;
	tn_rows			 rows;
	int				 rc;

	(void) nargs;
	(void) args;
	tn_rows_init(out, tn_def_tenants.ncols);
	tn_sqlite_conn_init(&conn, db);
	if ((rc = tnsq_registry_ready(&conn, &rp, err)) != TN_OK)
		return rc;
	if ((rc = tnsq_load_tenant_set(&rp, &set, err)) != TN_OK)
		return rc;
	rc = tn_query_rows(&conn.adapter, "SELECT name, location, version, last_run, last_error, last_status, last_checked,"
									  " repeatables FROM {T}tenants ORDER BY name",
					   0, NULL, 8, &rows, err);
	for (size_t i = 0; rc == TN_OK && i < rows.nrows; i++)
	{
		const char *version = tn_rows_get(&rows, i, 2);
		const char *last_error = tn_rows_get(&rows, i, 4);
		long long	pending = tn_set_count_pending(&set, version, tn_rows_get(&rows, i, 7));
		char		pbuf[32];
		const char *row[9];

		snprintf(pbuf, sizeof(pbuf), "%lld", pending);
		row[0] = tn_rows_get(&rows, i, 0);
		row[1] = tn_tenant_kind_name(TN_KIND_FILE);
		row[2] = tn_rows_get(&rows, i, 1);
		row[3] = tn_tenant_state(tn_rows_get(&rows, i, 5), last_error, pending);
		row[4] = version;
		row[5] = pbuf;
		row[6] = tn_rows_get(&rows, i, 3);
		row[7] = last_error;
		row[8] = tn_rows_get(&rows, i, 6);
		if (tn_rows_add(out, row) != TN_OK)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	tn_rows_free(&rows); /* initialised by tn_query_rows, also on its failure */
	tn_migration_set_free(&set);
	return rc;
}

/* ---- tenant_runs() ---- */

static int
fill_runs(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;
	registry_paths rp;
	int			   rc;

	(void) nargs;
	(void) args;
	tn_sqlite_conn_init(&conn, db);
	if ((rc = tnsq_registry_ready(&conn, &rp, err)) != TN_OK)
		return rc;
	return tn_query_rows(&conn.adapter, "SELECT run_id, started_at, finished_at, target, status, tenants,"
										" applied, failed FROM {T}runs ORDER BY run_id",
						 0, NULL, tn_def_runs.ncols, out, err);
}

static const tn_vtab_spec registry_tables[] = {
	{ &tn_def_tenants, 0, { NULL }, fill_tenants },
	{ &tn_def_migrate_all, 4, { "target", "concurrency", "max_failures", "tenants" }, tnsq_fill_migrate_all },
	{ &tn_def_rollback_all, 4, { "checkpoint_or_version", "concurrency", "tenants", "max_failures" }, tnsq_fill_rollback_all },
	{ &tn_def_runs, 0, { NULL }, fill_runs },
	{ &tn_def_dry_run_all, 3, { "target", "concurrency", "tenants" }, tnsq_fill_dry_run_all },
	{ &tn_def_verify_all, 2, { "concurrency", "tenants" }, tnsq_fill_verify_all },
	{ &tn_def_query_all, 3, { "sql", "concurrency", "tenants" }, tnsq_fill_query_all },
	{ &tn_def_migrate_all_atomic, 2, { "target", "concurrency" }, tnsq_fill_migrate_all_atomic },
};

int
tn_registry_register(sqlite3 *db, tn_sqlite_conn *conn)
{
	static const struct
	{
		const char *name;
		int			min_args, max_args;
		void (*fn)(sqlite3_context *, int, sqlite3_value **);
	} fns[] = {
		{ "tenant_create", 1, 3, fn_tenant_create },
		{ "tenant_register", 2, 3, fn_tenant_register },
		{ "tenant_drop", 1, 2, fn_tenant_drop },
		{ "tenant_migration_remove", 1, 2, tnsq_fn_migration_remove },
	};
	int rc = SQLITE_OK;

	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(fns) / sizeof(fns[0]); i++)
		for (int n = fns[i].min_args; rc == SQLITE_OK && n <= fns[i].max_args; n++)
			rc = sqlite3_create_function_v2(db, fns[i].name, n, SQLITE_UTF8 | SQLITE_DIRECTONLY, conn,
											fns[i].fn, NULL, NULL, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(registry_tables) / sizeof(registry_tables[0]); i++)
		rc = tn_vtab_register(db, &registry_tables[i]);
	return rc;
}
