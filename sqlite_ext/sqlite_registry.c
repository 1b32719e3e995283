/*
 * sqlite_registry.c -- the tenant registry on SQLite (host side).
 *
 * Mechanics only: where the registry and template files are, copying the
 * template with the backup API, opening tenant files, the worker threads
 * of tenant_migrate_all, and writing registry rows.  Every decision (name
 * and path rules, what to migrate, how a tenant's outcome is classified)
 * is the core's.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE			/* flock(): the atomic run's liveness lock */

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
#include "sqlite_vtab.h"
#include "tn_internal.h"

SQLITE_EXTENSION_INIT3

#define DEFAULT_CONCURRENCY 4
#define MAX_CONCURRENCY 64
#define RUN_FLUSH_EVERY 200

static const char *REGISTRY_SCHEMA_SQL =
"CREATE TABLE IF NOT EXISTS tenancy_tenants("
"  name TEXT PRIMARY KEY, location TEXT NOT NULL UNIQUE, version TEXT, pending INTEGER,"
"  last_run TEXT, last_error TEXT,"
"  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00','now')));"
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

typedef struct registry_paths
{
	char		file[4096];		/* the registry database */
	char		dir[4096];		/* its folder: tenant paths are relative to it */
	char		template_file[4200];
} registry_paths;

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

static int
registry_ready(tn_sqlite_conn *conn, registry_paths *rp, tn_error *err)
{
	int			rc;

	if ((rc = registry_locate(conn->db, rp, err)) != TN_OK)
		return rc;
	if ((rc = tn_sqlite_ensure_schema(conn, err)) != TN_OK)
		return rc;
	return tn_sqlite_exec(conn->db, REGISTRY_SCHEMA_SQL, err);
}

/* How open_tenant_file opens a file. */
#define OPEN_RW 0
#define OPEN_CREATE 1			/* may create it */
#define OPEN_READONLY 2			/* SQLITE_OPEN_READONLY: verify and query never write */

/* Open a tenant (or template) file. */
static int
open_tenant_file(const char *path, int how, tn_sqlite_conn *out, tn_error *err)
{
	sqlite3    *db = NULL;
	int			flags = SQLITE_OPEN_NOMUTEX |
		(how == OPEN_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
		(how == OPEN_CREATE ? SQLITE_OPEN_CREATE : 0);
	int			rc = sqlite3_open_v2(path, &db, flags, NULL);

	if (rc != SQLITE_OK)
	{
		tn_error_set(err, TN_ERR_UNREACHABLE, "cannot open tenant database \"%s\"", path);
		tn_error_detail(err, "SQLite reported: %s.", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return TN_ERR_UNREACHABLE;
	}
	sqlite3_busy_timeout(db, 5000);
	tn_sqlite_conn_init(out, db);
	out->owns_db = 1;
	out->busy_timeout_set = 1;
	tn_sqlite_conn_cache(out);	/* close_tenant releases it */
	if ((rc = tn_sqlite_ensure_schema(out, err)) != TN_OK)
	{
		if (rc == TN_ERR_UNREACHABLE)
			tn_error_detail(err, "\"%s\" is not a usable SQLite database.", path);
		tn_sqlite_conn_release(out);
		sqlite3_close(db);
		out->db = NULL;
		return rc;
	}
	return TN_OK;
}

static void
close_tenant(tn_sqlite_conn *conn)
{
	tn_sqlite_conn_release(conn);
	if (conn->db && conn->owns_db)
		sqlite3_close(conn->db);
	conn->db = NULL;
}

/* Bring the template to the newest version of its own catalog. */
static int
template_migrate(tn_sqlite_conn *tmpl, tn_error *err)
{
	tn_migrate_opts opts = {0};
	tn_migrate_result res;
	int			rc = tn_migrate(&tmpl->adapter, &opts, &res, err);

	tn_migrate_result_free(&res);
	if (rc != TN_OK)
		tn_error_detail_append(err, "This happened in the template tenant, so the change was not accepted.");
	return rc;
}

static int
audit(tn_sqlite_conn *conn, const char *action, const char *tenant,
	  const char *detail, tn_error *err)
{
	tn_value	p[3];

	p[0] = tn_text(action);
	p[1] = tn_text(tenant);
	p[2] = tn_text(detail);
	return conn->adapter.query(conn->adapter.ctx,
							   "INSERT INTO tenancy_audit (action, tenant, detail) VALUES ($1, $2, $3)",
							   3, p, NULL, NULL, err);
}

/*
 * Change the tenant set: in one transaction on the template, apply the
 * change and migrate the template; a failure leaves the set unchanged.
 */
typedef int (*set_change_fn) (tn_sqlite_conn *tmpl, void *arg, long long *count, tn_error *err);

static int
change_tenant_set(tn_sqlite_conn *registry, set_change_fn change, void *arg,
				  long long *count, const char *what, tn_error *err)
{
	registry_paths rp;
	tn_sqlite_conn tmpl;
	int			rc;

	if ((rc = registry_ready(registry, &rp, err)) != TN_OK)
		return rc;
	if ((rc = open_tenant_file(rp.template_file, 1, &tmpl, err)) != TN_OK)
		return rc;
	if ((rc = tn_sqlite_exec(tmpl.db, "BEGIN IMMEDIATE", err)) != TN_OK)
	{
		close_tenant(&tmpl);
		return rc;
	}
	rc = change(&tmpl, arg, count, err);
	if (rc == TN_OK)
		rc = template_migrate(&tmpl, err);
	if (rc != TN_OK)
	{
		sqlite3_exec(tmpl.db, "ROLLBACK", NULL, NULL, NULL);
		close_tenant(&tmpl);
		return rc;
	}
	rc = tn_sqlite_exec(tmpl.db, "COMMIT", err);
	close_tenant(&tmpl);
	if (rc == TN_OK && *count > 0)
	{
		char		detail[64];

		snprintf(detail, sizeof(detail), "%lld migrations", *count);
		rc = audit(registry, what, NULL, detail, err);
	}
	return rc;
}

static int
change_add(tn_sqlite_conn *tmpl, void *arg, long long *count, tn_error *err)
{
	int			added = 0;
	int			rc = tn_catalog_add(&tmpl->adapter, arg, &added, err);

	*count = added;
	return rc;
}

static int
change_load(tn_sqlite_conn *tmpl, void *arg, long long *count, tn_error *err)
{
	return tn_catalog_load_folder(&tmpl->adapter, arg, count, err);
}

int
tn_registry_catalog_add(tn_sqlite_conn *registry, const tn_migration *m,
						int *added, tn_error *err)
{
	long long	count = 0;
	int			rc = change_tenant_set(registry, change_add, (void *) m, &count, "set_add", err);

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

/* ---- tenant_create / tenant_register / tenant_drop ---- */

static const char *
arg_text(int argc, sqlite3_value **argv, int i)
{
	if (i >= argc || sqlite3_value_type(argv[i]) == SQLITE_NULL)
		return NULL;
	return (const char *) sqlite3_value_text(argv[i]);
}

static int
tenant_exists(tn_sqlite_conn *conn, const char *name, const char *location,
			  tn_error *err)
{
	tn_value	p[2] = {tn_text(name), tn_text(location)};
	tn_rows		rows;
	int			rc;

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

static int
register_row(tn_sqlite_conn *conn, const char *name, const char *location,
			 const char *version, const char *action, tn_error *err)
{
	tn_value	p[3] = {tn_text(name), tn_text(location), tn_text(version)};
	int			rc;

	rc = tn_exec(&conn->adapter, "INSERT INTO {T}tenants (name, location, version, pending) VALUES ($1, $2, $3, 0)",
				 3, p, err);
	if (rc == TN_OK)
		rc = audit(conn, action, name, location, err);
	return rc;
}

static int
newest_applied(tn_sqlite_conn *conn, char *out, size_t size, tn_error *err)
{
	tn_db_state st;
	int			rc = tn_state_load(&conn->adapter, &st, err);

	if (rc != TN_OK)
		return rc;
	snprintf(out, size, "%s", st.newest_applied ? st.newest_applied : "");
	tn_state_free(&st);
	return TN_OK;
}

/* Copy the template into a new file: temp name, then an atomic rename. */
static int
copy_template(const registry_paths *rp, const char *final_path, char *version,
			  size_t vsize, tn_error *err)
{
	tn_sqlite_conn tmpl;
	sqlite3    *dst = NULL;
	sqlite3_backup *b;
	char		tmp[4300];
	int			rc;

	if ((rc = open_tenant_file(rp->template_file, 1, &tmpl, err)) != TN_OK)
		return rc;
	if ((rc = template_migrate(&tmpl, err)) != TN_OK ||
		(rc = newest_applied(&tmpl, version, vsize, err)) != TN_OK)
	{
		close_tenant(&tmpl);
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s.tenancy-creating", final_path);
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
	{
		tn_error_set(err, TN_ERR_IO, "could not create tenant file \"%s\"", final_path);
		tn_error_detail(err, "SQLite reported: %s.", dst ? sqlite3_errmsg(dst) : "out of memory");
		sqlite3_close(dst);
		close_tenant(&tmpl);
		return TN_ERR_IO;
	}
	b = sqlite3_backup_init(dst, "main", tmpl.db, "main");
	rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(dst);
	if (b)
		sqlite3_backup_finish(b);
	close_tenant(&tmpl);
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
	int			rc;

	*resolved = NULL;
	if (name == NULL)
		return tn_error_null_argument(err, "name");
	if (path == NULL)
		return tn_error_null_argument(err, "location");
	if ((rc = tn_validate_tenant_name(name, err)) != TN_OK ||
		(rc = registry_ready(conn, rp, err)) != TN_OK ||
		(rc = tenant_exists(conn, name, path, err)) != TN_OK)
		return rc;
	return tn_validate_tenant_path(rp->dir, path, must_exist, resolved, err);
}

/*
 * The kind argument of tenant_create / tenant_register.  PostgreSQL
 * tenants are a 'database' or a 'schema'; a SQLite tenant is a file.
 */
static int
check_kind(const char *kind, tn_error *err)
{
	if (kind == NULL || strcmp(kind, "file") == 0)
		return TN_OK;
	tn_error_set(err, TN_ERR_NOT_SUPPORTED, "tenant kind \"%s\" is not supported on SQLite", kind);
	tn_error_detail(err, "A SQLite tenant is a database file beside the registry: its kind is 'file'. "
					"The kinds 'database' and 'schema' exist on PostgreSQL only.");
	tn_error_hint(err, "Pass 'file' or NULL as the kind.");
	return TN_ERR_NOT_SUPPORTED;
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
	const char *name = arg_text(argc, argv, 0);
	const char *path = arg_text(argc, argv, 1);
	char		default_path[128];
	char		version[TN_MAX_VERSION_LEN + 1] = "";
	char	   *resolved = NULL;
	registry_paths rp;
	tn_error	err;
	int			rc;

	tn_error_clear(&err);
	if (name != NULL && path == NULL)
	{
		snprintf(default_path, sizeof(default_path), "%s.db", name);
		path = default_path;
	}
	rc = check_kind(arg_text(argc, argv, 2), &err);
	if (rc == TN_OK)
		rc = prepare_tenant(conn, name, path, 0, &rp, &resolved, &err);
	/* registry row and file appear together: the row commits only after the rename */
	if (rc == TN_OK && (rc = conn->adapter.begin(conn, &err)) == TN_OK)
	{
		rc = tenant_exists(conn, name, path, &err);
		if (rc == TN_OK)
			rc = copy_template(&rp, resolved, version, sizeof(version), &err);
		if (rc == TN_OK)
			rc = register_row(conn, name, path, version[0] ? version : NULL, "create", &err);
		if (rc == TN_OK)
			rc = tn_finish(&conn->adapter, &err);
		else
			tn_abort(&conn->adapter, &err);
		if (rc != TN_OK && err.code != TN_ERR_EXISTS)
			unlink(resolved);	/* a file we made must not stay unclaimed */
	}
	free(resolved);
	result_tenant(ctx, rc, &err, name);
}

static void
fn_tenant_register(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	tn_sqlite_conn *conn = sqlite3_user_data(ctx);
	const char *name = arg_text(argc, argv, 0);
	const char *path = arg_text(argc, argv, 1);
	char		version[TN_MAX_VERSION_LEN + 1] = "";
	char	   *resolved = NULL;
	registry_paths rp;
	tn_sqlite_conn tenant;
	tn_error	err;
	int			rc;

	tn_error_clear(&err);
	rc = check_kind(arg_text(argc, argv, 2), &err);
	if (rc == TN_OK)
		rc = prepare_tenant(conn, name, path, 1, &rp, &resolved, &err);
	if (rc == TN_OK)
	{
		/* it must be a SQLite database we can track */
		rc = open_tenant_file(resolved, 0, &tenant, &err);
		if (rc == TN_OK)
		{
			rc = newest_applied(&tenant, version, sizeof(version), &err);
			close_tenant(&tenant);
		}
	}
	if (rc == TN_OK && (rc = conn->adapter.begin(conn, &err)) == TN_OK)
	{
		rc = tenant_exists(conn, name, path, &err);
		if (rc == TN_OK)
			rc = register_row(conn, name, path, version[0] ? version : NULL, "register", &err);
		if (rc == TN_OK)
			rc = tn_finish(&conn->adapter, &err);
		else
			tn_abort(&conn->adapter, &err);
	}
	free(resolved);
	result_tenant(ctx, rc, &err, name);
}

static void
fn_tenant_drop(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	tn_sqlite_conn *conn = sqlite3_user_data(ctx);
	const char *name = arg_text(argc, argv, 0);
	const char *mode = arg_text(argc, argv, 1);
	registry_paths rp;
	tn_rows		rows;
	tn_value	p;
	tn_error	err;
	char	   *location = NULL;
	int			rc;

	tn_error_clear(&err);
	rows.nrows = 0;
	if (name == NULL)
		rc = tn_error_null_argument(&err, "name");
	else if (mode != NULL && strcmp(mode, "delete") != 0 && strcmp(mode, "keep") != 0)
	{
		rc = tn_error_set(&err, TN_ERR_INVALID_ARGUMENT, "invalid drop mode \"%s\"", mode);
		tn_error_hint(&err, "Use 'keep' (the default: unregister, keep the file) or 'delete'.");
	}
	else
		rc = registry_ready(conn, &rp, &err);
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
		{
			location = tn_strdup(tn_rows_get(&rows, 0, 0), &err);
			rc = tn_exec(&conn->adapter, "DELETE FROM {T}tenants WHERE name = $1", 1, &p, &err);
		}
		if (rc == TN_OK)
			rc = audit(conn, mode && strcmp(mode, "delete") == 0 ? "drop_delete" : "drop", name, location, &err);
		if (rc == TN_OK)
			rc = tn_finish(&conn->adapter, &err);
		else
			tn_abort(&conn->adapter, &err);
		tn_rows_free(&rows);
	}
	if (rc == TN_OK && mode != NULL && strcmp(mode, "delete") == 0)
	{
		char	   *resolved = NULL;

		/* delete only what resolves inside the registry folder */
		if (tn_validate_tenant_path(rp.dir, location, -1, &resolved, &err) == TN_OK)
		{
			static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};

			for (size_t i = 0; i < 4; i++)
			{
				char		f[4300];

				snprintf(f, sizeof(f), "%s%s", resolved, suffixes[i]);
				unlink(f);
			}
		}
		tn_error_clear(&err);
		free(resolved);
	}
	free(location);
	result_tenant(ctx, rc, &err, name);
}

/* ---- the tenant set, read from the template ---- */

static int
collect_migration(void *arg, int ncols, const char *const *v, tn_error *err)
{
	tn_migration_set *set = arg;
	tn_migration *m;

	(void) ncols;
	if (set->count == set->cap)
	{
		size_t		cap = set->cap ? set->cap * 2 : 16;
		tn_migration *items = realloc(set->items, cap * sizeof(*items));

		if (items == NULL)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		set->items = items;
		set->cap = cap;
	}
	m = &set->items[set->count];
	memset(m, 0, sizeof(*m));
	m->version = tn_strdup(v[0], err);
	m->name = tn_strdup(v[1], err);
	m->up_sql = tn_strdup(v[2], err);
	m->down_sql = v[3] ? tn_strdup(v[3], err) : NULL;
	m->source = v[6] ? tn_strdup(v[6], err) : NULL;
	snprintf(m->checksum, sizeof(m->checksum), "%s", v[4]);
	m->flags = (unsigned) tn_cell_int(v[5], 0);
	m->dialect = TN_DIALECT_SQLITE;
	set->count++;
	if (!m->version || !m->name || !m->up_sql || (v[3] && !m->down_sql) || (v[6] && !m->source))
		return TN_ERR_NO_MEMORY;
	return TN_OK;
}

static int
migration_cmp(const void *x, const void *y)
{
	return tn_version_compare(((const tn_migration *) x)->version, ((const tn_migration *) y)->version);
}

/* Read the tenant set (the template's catalog), migrating the template first. */
static int
load_tenant_set(const registry_paths *rp, tn_migration_set *set, tn_error *err)
{
	tn_sqlite_conn tmpl;
	int			rc;

	memset(set, 0, sizeof(*set));
	if ((rc = open_tenant_file(rp->template_file, 1, &tmpl, err)) != TN_OK)
		return rc;
	rc = template_migrate(&tmpl, err);
	if (rc == TN_OK)
		rc = tmpl.adapter.query(&tmpl, "SELECT version, name, up_sql, down_sql, checksum, flags, source"
								" FROM tenancy_catalog", 0, NULL, collect_migration, set, err);
	close_tenant(&tmpl);
	if (rc != TN_OK)
	{
		tn_migration_set_free(set);
		return rc;
	}
	if (set->count > 1)
		qsort(set->items, set->count, sizeof(tn_migration), migration_cmp);
	return TN_OK;
}

static long long
count_newer(const tn_migration_set *set, const char *version)
{
	long long	n = 0;

	for (size_t i = 0; i < set->count; i++)
		if (version == NULL || tn_version_compare(set->items[i].version, version) > 0)
			n++;
	return n;
}

/* ---- tenants() ---- */

static int
fill_tenants(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;
	registry_paths rp;
	tn_migration_set set;
	tn_rows		rows;
	int			rc;

	(void) nargs;
	(void) args;
	tn_rows_init(out, tn_def_tenants.ncols);
	tn_sqlite_conn_init(&conn, db);
	if ((rc = registry_ready(&conn, &rp, err)) != TN_OK)
		return rc;
	if ((rc = load_tenant_set(&rp, &set, err)) != TN_OK)
		return rc;
	rc = tn_query_rows(&conn.adapter, "SELECT name, location, version, last_run, last_error"
					   " FROM {T}tenants ORDER BY name", 0, NULL, 5, &rows, err);
	for (size_t i = 0; rc == TN_OK && i < rows.nrows; i++)
	{
		const char *version = tn_rows_get(&rows, i, 2);
		const char *last_error = tn_rows_get(&rows, i, 4);
		long long	pending = count_newer(&set, version);
		char		pbuf[32];
		const char *row[8];

		snprintf(pbuf, sizeof(pbuf), "%lld", pending);
		row[0] = tn_rows_get(&rows, i, 0);
		row[1] = "file";
		row[2] = tn_rows_get(&rows, i, 1);
		row[3] = last_error ? "failed" : pending > 0 ? "behind" : "up_to_date";
		row[4] = version;
		row[5] = pbuf;
		row[6] = tn_rows_get(&rows, i, 3);
		row[7] = last_error;
		if (tn_rows_add(out, row) != TN_OK)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	if (rc == TN_OK)
		tn_rows_free(&rows);
	tn_migration_set_free(&set);
	return rc;
}

/* ---- the fan-out: worker threads over the tenant list ---- */

typedef enum job_mode
{
	JOB_MIGRATE,				/* tenant_migrate_all */
	JOB_DRY_RUN,				/* tenant_dry_run_all */
	JOB_VERIFY,					/* tenant_verify_all */
	JOB_QUERY,					/* tenant_query_all */
	JOB_PREPARE					/* tenant_migrate_all_atomic, first phase */
} job_mode;

typedef struct fanout_job
{
	job_mode	mode;
	const registry_paths *rp;
	const tn_migration_set *set;
	const char *target;
	const char *sql;			/* JOB_QUERY */
	const char *backup_dir;		/* JOB_PREPARE */
	tn_rows		tenants;		/* name, location */
	size_t		next;			/* next tenant to start */
	size_t		end;			/* workers start none at or after this */
	long long	max_failures;	/* JOB_MIGRATE; 0 = no limit */
	long long	failures;
	int			stopped;		/* max_failures reached: nothing new starts */
	pthread_mutex_t lock;
	/* per tenant, filled by the workers */
	int		   *rc;
	tn_error   *errs;
	tn_migrate_result *res;
	long long  *ms;
	tn_rows    *rows;			/* the tenant's output rows */
	tn_sqlite_conn *held;		/* JOB_PREPARE: kept open inside BEGIN EXCLUSIVE */
} fanout_job;

/* ---- tenant_query_all: one read-only statement, rows as JSON ---- */

static int
json_string(tn_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	int			rc = tn_buf_append(b, "\"", 1);

	for (size_t i = 0; rc == TN_OK && i < n;)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
		{
			char		esc[2] = {'\\', (char) c};

			rc = tn_buf_append(b, esc, 2);
			i++;
		}
		else if (c < 0x20)
		{
			char		esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};

			rc = c == '\n' ? tn_buf_append(b, "\\n", 2) : c == '\t' ? tn_buf_append(b, "\\t", 2) :
				c == '\r' ? tn_buf_append(b, "\\r", 2) : tn_buf_append(b, esc, 6);
			i++;
		}
		else if (c < 0x80)
		{
			rc = tn_buf_append(b, s + i, 1);
			i++;
		}
		else
		{
			/* copy a valid UTF-8 sequence; a broken byte becomes U+FFFD */
			size_t		len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;

			if (len > 1 && i + len <= n && tn_utf8_error_offset(s + i, len) == -1)
			{
				rc = tn_buf_append(b, s + i, len);
				i += len;
			}
			else
			{
				rc = tn_buf_append(b, "\\ufffd", 6);
				i++;
			}
		}
	}
	if (rc == TN_OK)
		rc = tn_buf_append(b, "\"", 1);
	return rc;
}

/* Column i of the current row as a JSON value (types as PostgreSQL's to_jsonb gives them). */
static int
json_column(tn_buf *b, sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i))
	{
		case SQLITE_INTEGER:
			return tn_buf_printf(b, "%lld", (long long) sqlite3_column_int64(st, i));
		case SQLITE_FLOAT:
			{
				double		d = sqlite3_column_double(st, i);
				char		num[64];

				if (d != d)
					return tn_buf_append(b, "null", 4);
				if (d - d != 0)	/* infinity: no JSON number; as SQLite's json() writes it */
					return tn_buf_append(b, d > 0 ? "9e999" : "-9e999", d > 0 ? 5 : 6);
				sqlite3_snprintf(sizeof(num), num, "%!.15g", d);
				if (strtod(num, NULL) != d)
					sqlite3_snprintf(sizeof(num), num, "%!.17g", d);
				return tn_buf_append(b, num, strlen(num));
			}
		case SQLITE_TEXT:
			return json_string(b, (const char *) sqlite3_column_text(st, i),
							   (size_t) sqlite3_column_bytes(st, i));
		case SQLITE_BLOB:
			{
				/* "\x0a1b", as PostgreSQL's to_jsonb writes a bytea */
				const unsigned char *p = sqlite3_column_blob(st, i);
				int			n = sqlite3_column_bytes(st, i);
				int			rc = tn_buf_append(b, "\"\\\\x", 4);

				for (int k = 0; rc == TN_OK && k < n; k++)
					rc = tn_buf_printf(b, "%02x", p[k]);
				return rc == TN_OK ? tn_buf_append(b, "\"", 1) : rc;
			}
		default:
			return tn_buf_append(b, "null", 4);
	}
}

/* Deny what a read-only open does not already stop: ATTACH and DETACH. */
static int
query_authorizer(void *arg, int action, const char *a, const char *b,
				 const char *c, const char *d)
{
	(void) arg;
	(void) a;
	(void) b;
	(void) c;
	(void) d;
	return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

static int
query_refuse(tn_error *err, const char *what)
{
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant_query_all() runs exactly one read-only statement");
	tn_error_detail(err, "%s", what);
	tn_error_hint(err, "Pass one SELECT (or another statement that only reads); change tenants with tenant_migrate_all().");
	return TN_ERR_INVALID_ARGUMENT;
}

/* Is the SQLite error one of a file that is not a usable database? */
static int
file_is_broken(int code)
{
	code &= 0xff;
	return code == SQLITE_NOTADB || code == SQLITE_CORRUPT || code == SQLITE_CANTOPEN;
}

static int
query_one(fanout_job *job, size_t i, const char *path)
{
	const char *name = tn_rows_get(&job->tenants, i, 0);
	tn_error   *err = &job->errs[i];
	sqlite3    *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int			rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK)
	{
		tn_error_set(err, TN_ERR_UNREACHABLE, "cannot open tenant database \"%s\"", path);
		tn_error_detail(err, "SQLite reported: %s.", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return TN_ERR_UNREACHABLE;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	sqlite3_set_authorizer(db, query_authorizer, NULL);
	rc = sqlite3_prepare_v2(db, job->sql, -1, &st, &tail);
	if (rc == SQLITE_AUTH)
		rc = query_refuse(err, "ATTACH and DETACH are not allowed.");
	else if (rc != SQLITE_OK)
	{
		rc = tn_sqlite_error(db, rc, err);
		if (file_is_broken(sqlite3_extended_errcode(db)))
			rc = err->code = TN_ERR_UNREACHABLE;
	}
	else if (st == NULL)
		rc = query_refuse(err, "The statement is empty.");
	else if (!sqlite3_stmt_readonly(st))
		rc = query_refuse(err, "The statement would write.");
	else
	{
		/* anything after the statement but blanks, comments and ";" is a second statement */
		while (rc == SQLITE_OK && tail && *tail)
		{
			sqlite3_stmt *more = NULL;

			rc = sqlite3_prepare_v2(db, tail, -1, &more, &tail);
			if (more != NULL || rc != SQLITE_OK)
			{
				sqlite3_finalize(more);
				rc = query_refuse(err, "More than one statement was given.");
				break;
			}
		}
	}
	while (rc == TN_OK)
	{
		tn_buf		json = {0};
		int			step = sqlite3_step(st);
		int			oom = 0;

		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW)
		{
			rc = tn_sqlite_error(db, step, err);
			if (file_is_broken(sqlite3_extended_errcode(db)))
				rc = err->code = TN_ERR_UNREACHABLE;
			break;
		}
		oom = tn_buf_append(&json, "{", 1) != TN_OK;
		for (int c = 0; !oom && c < sqlite3_column_count(st); c++)
		{
			const char *col = sqlite3_column_name(st, c);

			oom = (c > 0 && tn_buf_append(&json, ",", 1) != TN_OK) ||
				json_string(&json, col ? col : "", col ? strlen(col) : 0) != TN_OK ||
				tn_buf_append(&json, ":", 1) != TN_OK ||
				json_column(&json, st, c) != TN_OK;
		}
		if (!oom)
			oom = tn_buf_append(&json, "}", 1) != TN_OK;
		if (!oom)
		{
			const char *row[2] = {name, json.data};

			oom = tn_rows_add(&job->rows[i], row) != TN_OK;
		}
		tn_buf_free(&json);
		if (oom)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* ---- one tenant's work ---- */

/*
 * tenant_migrate_all_atomic, first phase: the tenant file is held in
 * BEGIN IMMEDIATE (no other writer until we commit or roll back), copied
 * as committed through a second connection (the backup API refuses a
 * source in a write transaction; readers may still read, and nobody can
 * change it under us), then migrated without committing.
 */
static int
prepare_one(fanout_job *job, size_t i, const char *path)
{
	tn_sqlite_conn *held = &job->held[i];
	tn_error   *err = &job->errs[i];
	tn_migrate_opts opts = {0};
	char		copy[4400];
	sqlite3    *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int			rc;

	if ((rc = open_tenant_file(path, OPEN_RW, held, err)) != TN_OK)
		return rc;
	if ((rc = tn_sqlite_exec(held->db, "BEGIN IMMEDIATE", err)) != TN_OK)
	{
		close_tenant(held);
		return rc;
	}
	snprintf(copy, sizeof(copy), "%s/%s.db", job->backup_dir, tn_rows_get(&job->tenants, i, 0));
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
		sqlite3_open_v2(copy, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		rc = SQLITE_CANTOPEN;
	else
	{
		sqlite3_busy_timeout(src, 5000);
		b = sqlite3_backup_init(dst, "main", src, "main");
		rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(dst);
		if (b)
			sqlite3_backup_finish(b);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_close(src);
	sqlite3_close(dst);
	if (rc != SQLITE_OK)
	{
		tn_error_set(err, TN_ERR_IO, "could not copy tenant \"%s\" before the atomic run",
					 tn_rows_get(&job->tenants, i, 0));
		tn_error_detail(err, "Writing \"%s\" failed: %s.", copy, sqlite3_errstr(rc));
		sqlite3_exec(held->db, "ROLLBACK", NULL, NULL, NULL);
		close_tenant(held);
		return TN_ERR_IO;
	}
	opts.target = job->target;
	opts.sync = job->set;
	rc = tn_migrate(&held->adapter, &opts, &job->res[i], err);
	if (rc != TN_OK)
	{
		sqlite3_exec(held->db, "ROLLBACK", NULL, NULL, NULL);
		close_tenant(held);
	}
	return rc;
}

static int
migrate_or_dry_run_one(fanout_job *job, size_t i, const char *path)
{
	tn_sqlite_conn tenant;
	tn_migrate_opts opts = {0};
	tn_error   *err = &job->errs[i];
	int			rc;

	if ((rc = open_tenant_file(path, OPEN_RW, &tenant, err)) != TN_OK)
		return rc;
	opts.target = job->target;
	opts.sync = job->set;
	if (job->mode == JOB_DRY_RUN)
	{
		/* our own transaction around it, rolled back: nothing of the dry run (nor the sync) stays */
		opts.dry_run = 1;
		if ((rc = tn_sqlite_exec(tenant.db, "BEGIN IMMEDIATE", err)) == TN_OK)
		{
			rc = tn_migrate(&tenant.adapter, &opts, &job->res[i], err);
			rc = tn_dry_run_outcome(rc, &job->res[i], err);
			sqlite3_exec(tenant.db, "ROLLBACK", NULL, NULL, NULL);
		}
	}
	else
		rc = tn_migrate(&tenant.adapter, &opts, &job->res[i], err);
	close_tenant(&tenant);
	return rc;
}

static int
verify_one(fanout_job *job, size_t i, const char *path)
{
	tn_sqlite_conn tenant;
	int			rc;

	if ((rc = open_tenant_file(path, OPEN_READONLY, &tenant, &job->errs[i])) != TN_OK)
		return rc;
	rc = tn_verify_all_row(&tenant.adapter, tn_rows_get(&job->tenants, i, 0), job->set, NULL,
						   &job->rows[i], &job->errs[i]);
	close_tenant(&tenant);
	return rc;
}

static void
run_one(fanout_job *job, size_t i)
{
	const char *name = tn_rows_get(&job->tenants, i, 0);
	const char *location = tn_rows_get(&job->tenants, i, 1);
	tn_error   *err = &job->errs[i];
	char	   *resolved = NULL;
	double		t0 = tn_monotonic_ms();
	int			rc;

	tn_error_clear(err);
	rc = tn_validate_tenant_path(job->rp->dir, location, 1, &resolved, err);
	if (rc == TN_ERR_NOT_FOUND)
		rc = tn_error_set(err, TN_ERR_UNREACHABLE, "tenant file \"%s\" is missing", location);
	if (rc == TN_OK)
	{
		switch (job->mode)
		{
			case JOB_QUERY:
				rc = query_one(job, i, resolved);
				break;
			case JOB_VERIFY:
				rc = verify_one(job, i, resolved);
				break;
			case JOB_PREPARE:
				rc = prepare_one(job, i, resolved);
				break;
			default:
				rc = migrate_or_dry_run_one(job, i, resolved);
				break;
		}
	}
	free(resolved);
	job->rc[i] = rc;
	job->ms[i] = (long long) (tn_monotonic_ms() - t0 + 0.5);
	if (job->mode == JOB_VERIFY && rc != TN_OK)
	{
		tn_error	ignored;

		tn_rows_free(&job->rows[i]);
		tn_rows_init(&job->rows[i], tn_def_verify_all.ncols);
		(void) tn_verify_all_row(NULL, name, job->set, err, &job->rows[i], &ignored);
	}
	else if (job->mode != JOB_VERIFY && job->mode != JOB_QUERY)
		(void) tn_fanout_row(&job->rows[i], name, rc, &job->res[i], err, job->ms[i]);
}

static void *
fanout_worker(void *arg)
{
	fanout_job *job = arg;

	for (;;)
	{
		size_t		i;

		pthread_mutex_lock(&job->lock);
		if (job->max_failures > 0 && job->failures >= job->max_failures)
			job->stopped = 1;
		if (job->stopped || job->next >= job->end)
		{
			pthread_mutex_unlock(&job->lock);
			return NULL;
		}
		i = job->next++;
		pthread_mutex_unlock(&job->lock);
		run_one(job, i);
		if (job->mode == JOB_MIGRATE && job->rows[i].nrows == 1 &&
			tn_fanout_status_counts_as_failure(tn_rows_get(&job->rows[i], 0, 1)))
		{
			pthread_mutex_lock(&job->lock);
			job->failures++;
			pthread_mutex_unlock(&job->lock);
		}
	}
}

/* Run tenants [job->next, job->end) on up to concurrency threads. */
static void
run_workers(fanout_job *job, long long concurrency)
{
	pthread_t	threads[MAX_CONCURRENCY];
	long long	workers = (long long) (job->end - job->next);
	long long	started = 0;

	if (workers > concurrency)
		workers = concurrency;
	if (workers <= 1)
	{
		fanout_worker(job);
		return;
	}
	for (; started < workers; started++)
		if (pthread_create(&threads[started], NULL, fanout_worker, job) != 0)
			break;
	if (started == 0)
		fanout_worker(job);
	for (long long t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
}

static int
job_alloc(fanout_job *job, size_t n, int ncols, tn_error *err)
{
	job->rc = calloc(n + 1, sizeof(int));
	job->errs = calloc(n + 1, sizeof(tn_error));
	job->res = calloc(n + 1, sizeof(tn_migrate_result));
	job->ms = calloc(n + 1, sizeof(long long));
	job->rows = calloc(n + 1, sizeof(tn_rows));
	if (job->mode == JOB_PREPARE)
		job->held = calloc(n + 1, sizeof(tn_sqlite_conn));
	if (!job->rc || !job->errs || !job->res || !job->ms || !job->rows ||
		(job->mode == JOB_PREPARE && !job->held))
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < n; i++)
	{
		tn_rows_init(&job->res[i].report, 0);
		tn_rows_init(&job->rows[i], ncols);
	}
	pthread_mutex_init(&job->lock, NULL);
	return TN_OK;
}

static void
job_free(fanout_job *job)
{
	size_t		n = job->tenants.nrows;

	for (size_t i = 0; job->res && i < n; i++)
		tn_migrate_result_free(&job->res[i]);
	for (size_t i = 0; job->rows && i < n; i++)
		tn_rows_free(&job->rows[i]);
	for (size_t i = 0; job->held && i < n; i++)
		if (job->held[i].db)
		{
			sqlite3_exec(job->held[i].db, "ROLLBACK", NULL, NULL, NULL);
			close_tenant(&job->held[i]);
		}
	if (job->rc)
		pthread_mutex_destroy(&job->lock);
	free(job->rc);
	free(job->errs);
	free(job->res);
	free(job->ms);
	free(job->rows);
	free(job->held);
	tn_rows_free(&job->tenants);
}

/* Copy the rows of tenant i into out. */
static int
copy_rows(tn_rows *out, const tn_rows *from, tn_error *err)
{
	const char *row[16];

	for (size_t r = 0; r < from->nrows; r++)
	{
		for (int c = 0; c < from->ncols && c < 16; c++)
			row[c] = tn_rows_get(from, r, c);
		if (tn_rows_add(out, row) != TN_OK)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	return TN_OK;
}

/* ---- arguments ---- */

static int
parse_concurrency(sqlite3_value *v, long long *out, tn_error *err)
{
	*out = DEFAULT_CONCURRENCY;
	if (v == NULL || sqlite3_value_type(v) == SQLITE_NULL)
		return TN_OK;
	if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "concurrency must be a whole number");
		tn_error_detail(err, "\"%s\" was given.", sqlite3_value_text(v));
		return TN_ERR_INVALID_ARGUMENT;
	}
	*out = sqlite3_value_int64(v);
	if (*out < 1 || *out > MAX_CONCURRENCY)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "concurrency must be between 1 and %d", MAX_CONCURRENCY);
		tn_error_detail(err, "%lld was given.", *out);
		return TN_ERR_INVALID_ARGUMENT;
	}
	return TN_OK;
}

static int
parse_max_failures(sqlite3_value *v, long long *out, tn_error *err)
{
	*out = 0;
	if (v == NULL || sqlite3_value_type(v) == SQLITE_NULL)
		return TN_OK;
	if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER || sqlite3_value_int64(v) < 0)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "max_failures must be a whole number of 0 or more");
		tn_error_detail(err, "\"%s\" was given.", sqlite3_value_text(v));
		tn_error_hint(err, "Pass NULL or 0 for no limit.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	*out = sqlite3_value_int64(v);
	return TN_OK;
}

/* The target argument: a valid version (checked against the set by check_target). */
static int
parse_target(sqlite3_value *v, const char **target, tn_error *err)
{
	*target = NULL;
	if (v == NULL || sqlite3_value_type(v) == SQLITE_NULL)
		return TN_OK;
	*target = (const char *) sqlite3_value_text(v);
	return tn_version_validate((*target)[0] == 'V' || (*target)[0] == 'v' ? *target + 1 : *target, err);
}

static int
check_target(const tn_migration_set *set, const char *target, tn_error *err)
{
	const char *t;
	size_t		i;

	if (target == NULL)
		return TN_OK;
	t = (target[0] == 'V' || target[0] == 'v') ? target + 1 : target;
	for (i = 0; i < set->count && tn_version_compare(set->items[i].version, t) != 0; i++)
		;
	if (i < set->count)
		return TN_OK;
	tn_error_set(err, TN_ERR_NOT_FOUND, "target version \"%s\" is not in the tenant set", t);
	tn_error_hint(err, "Load it with tenant_migrations_load(path, 'tenants'), or pass NULL.");
	return TN_ERR_NOT_FOUND;
}

/*
 * The common start of every fan-out: registry, tenant set (unless the
 * mode needs none), target, tenant list, per-tenant slots.
 */
static int
job_start(fanout_job *job, job_mode mode, tn_sqlite_conn *conn, registry_paths *rp,
		  tn_migration_set *set, const char *target, tn_error *err)
{
	int			rc;
	int			ncols = mode == JOB_QUERY ? tn_def_query_all.ncols :
		mode == JOB_VERIFY ? tn_def_verify_all.ncols : tn_def_migrate_all.ncols;

	memset(job, 0, sizeof(*job));
	memset(set, 0, sizeof(*set));
	job->mode = mode;
	job->rp = rp;
	job->set = set;
	job->target = target;
	if (mode != JOB_QUERY && (rc = load_tenant_set(rp, set, err)) != TN_OK)
		return rc;
	if ((rc = check_target(set, target, err)) != TN_OK)
		return rc;
	rc = tn_query_rows(&conn->adapter, "SELECT name, location FROM {T}tenants ORDER BY name", 0, NULL, 2,
					   &job->tenants, err);
	if (rc != TN_OK)
		return rc;
	job->end = job->tenants.nrows;
	return job_alloc(job, job->tenants.nrows, ncols, err);
}

/* ---- registry writes of a run ---- */

static int
insert_run_tenant(tn_sqlite_conn *conn, long long run_id, const tn_rows *rows, size_t r, tn_error *err)
{
	tn_value	p[9];

	p[0] = tn_int8(run_id);
	for (int c = 0; c < 8; c++)
		p[c + 1] = tn_text(tn_rows_get(rows, r, c));
	return tn_exec(&conn->adapter,
				   "INSERT OR REPLACE INTO {T}run_tenants (run_id, tenant, status, from_version, to_version,"
				   " applied, duration_ms, sqlstate, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
				   9, p, err);
}

/* The registry's cached state of tenant i after its run (row r of out). */
static int
update_tenant_cache(tn_sqlite_conn *conn, long long run_id, fanout_job *job, size_t i,
					const tn_rows *out, size_t r, tn_error *err)
{
	const char *name = tn_rows_get(&job->tenants, i, 0);
	int			ok = job->rc[i] == TN_OK;
	tn_value	p[4];
	int			rc;

	p[0] = tn_text(name);
	p[1] = tn_text(ok ? job->res[i].to_version : NULL);
	p[2] = tn_text(tn_rows_get(out, r, 7));
	p[3] = tn_int8(ok ? count_newer(job->set, job->res[i].to_version) : 0);
	rc = tn_exec(&conn->adapter,
				 ok
				 ? "UPDATE {T}tenants SET version = nullif($2, ''), pending = $4, last_error = NULL,"
				 " last_run = strftime('%Y-%m-%d %H:%M:%f+00','now') WHERE name = $1"
				 : "UPDATE {T}tenants SET last_error = $3,"
				 " last_run = strftime('%Y-%m-%d %H:%M:%f+00','now') WHERE name = $1",
				 4, p, err);
	if (rc == TN_OK && (!ok || job->res[i].applied > 0))
	{
		char		detail[TN_MESSAGE_MAX + 64];

		snprintf(detail, sizeof(detail), "run %lld: %s", run_id,
				 ok ? tn_rows_get(out, r, 1) : job->errs[i].message);
		rc = audit(conn, "migrate", name, detail, err);
	}
	return rc;
}

/* Write finished tenants [from, to) of the run into the registry, in one transaction. */
static int
record_results(tn_sqlite_conn *conn, long long run_id, fanout_job *job,
			   tn_rows *out, size_t from, size_t to, tn_error *err)
{
	int			rc = conn->adapter.begin(conn, err);

	for (size_t i = from; rc == TN_OK && i < to; i++)
	{
		size_t		r = out->nrows;

		if (job->rows[i].nrows != 1)
		{
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
			break;
		}
		if ((rc = copy_rows(out, &job->rows[i], err)) == TN_OK &&
			(rc = insert_run_tenant(conn, run_id, out, r, err)) == TN_OK)
			rc = update_tenant_cache(conn, run_id, job, i, out, r, err);
	}
	if (rc == TN_OK)
		return tn_finish(&conn->adapter, err);
	tn_abort(&conn->adapter, err);
	return rc;
}

static int
start_run(tn_sqlite_conn *conn, const char *target, size_t n, const char *status,
		  long long *run_id, tn_error *err)
{
	tn_value	p[3] = {tn_text(target), tn_int8((long long) n), tn_text(status)};
	tn_rows		idrow;
	int			rc;

	rc = tn_query_rows(&conn->adapter, "INSERT INTO {T}runs (target, status, tenants) VALUES ($1, $3, $2)"
					   " RETURNING run_id", 3, p, 1, &idrow, err);
	if (rc != TN_OK)
		return rc;
	*run_id = tn_cell_int(tn_rows_get(&idrow, 0, 0), 0);
	tn_rows_free(&idrow);
	return TN_OK;
}

/* Close a run: its status word comes from the core. */
static int
finish_run(tn_sqlite_conn *conn, long long run_id, const tn_rows *out, int stopped,
		   const char *status_word, tn_error *err)
{
	long long	applied = 0, failed = 0, unreachable = 0;
	tn_value	p[4];

	for (size_t r = 0; r < out->nrows; r++)
	{
		const char *status = tn_rows_get(out, r, 1);

		applied += tn_cell_int(tn_rows_get(out, r, 4), 0);
		if (strcmp(status, TN_FANOUT_UNREACHABLE) == 0)
			unreachable++;
		else if (tn_fanout_status_counts_as_failure(status))
			failed++;
	}
	p[0] = tn_int8(run_id);
	p[1] = tn_int8(applied);
	p[2] = tn_int8(failed + unreachable);
	p[3] = tn_text(status_word ? status_word : tn_fanout_run_status(failed, unreachable, stopped, 0));
	return tn_exec(&conn->adapter, "UPDATE {T}runs SET finished_at = strftime('%Y-%m-%d %H:%M:%f+00','now'),"
				   " status = $4, applied = $2, failed = $3 WHERE run_id = $1", 4, p, err);
}

/* ---- tenant_migrate_all_atomic: settling a run a crash left behind ---- */

/* The liveness lock of atomic runs: held (flock) for a whole atomic run, freed by the kernel on kill. */
static int
atomic_lock(const registry_paths *rp, int *fd, tn_error *err)
{
	char		path[4400];

	snprintf(path, sizeof(path), "%s.atomic-lock", rp->file);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
	{
		tn_error_set(err, TN_ERR_IO, "could not open \"%s\"", path);
		tn_error_detail(err, "%s.", strerror(errno));
		return TN_ERR_IO;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0)
	{
		close(*fd);
		*fd = -1;
		tn_error_set(err, TN_ERR_BUSY, "another tenant_migrate_all_atomic() is running on this registry");
		tn_error_hint(err, "Wait for it to finish, then call again.");
		return TN_ERR_BUSY;
	}
	return TN_OK;
}

static void
atomic_unlock(int fd)
{
	if (fd >= 0)
	{
		flock(fd, LOCK_UN);
		close(fd);
	}
}

static void
remove_folder(const char *folder)
{
	DIR		   *d = opendir(folder);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL)
	{
		char		f[4600];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(f, sizeof(f), "%s/%s", folder, e->d_name);
		unlink(f);
	}
	if (d)
		closedir(d);
	rmdir(folder);
}

static void
fsync_path(const char *path)
{
	int			fd = open(path, O_RDONLY);

	if (fd >= 0)
	{
		(void) fsync(fd);
		close(fd);
	}
}

/* Put the copy taken before the run back over a tenant file (backup API: itself a transaction). */
static int
restore_copy(const char *copy, const char *path, tn_error *err)
{
	sqlite3    *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int			rc = sqlite3_open_v2(copy, &src, SQLITE_OPEN_READONLY, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
	{
		sqlite3_busy_timeout(dst, 5000);
		b = sqlite3_backup_init(dst, "main", src, "main");
		rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(dst);
		if (b)
			sqlite3_backup_finish(b);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_close(src);
	sqlite3_close(dst);
	if (rc == SQLITE_OK)
		return TN_OK;
	tn_error_set(err, TN_ERR_IO, "could not restore \"%s\" from its copy \"%s\"", path, copy);
	tn_error_detail(err, "SQLite reported: %s.", sqlite3_errstr(rc));
	return TN_ERR_IO;
}

/* Has this tenant file committed the run's batch (its to_version is applied)? */
static int
tenant_has_version(const char *path, const char *version, int *has, tn_error *err)
{
	tn_sqlite_conn t;
	tn_value	p = tn_text(version);
	tn_rows		rows;
	int			rc = open_tenant_file(path, OPEN_RW, &t, err);

	*has = 0;
	if (rc != TN_OK)
		return rc;
	rc = tn_query_rows(&t.adapter, "SELECT count(*) FROM {T}applied WHERE version = $1", 1, &p, 1, &rows, err);
	if (rc == TN_OK)
	{
		*has = tn_cell_int(tn_rows_get(&rows, 0, 0), 0) > 0;
		tn_rows_free(&rows);
	}
	close_tenant(&t);
	return rc;
}

/*
 * Settle one atomic run found unfinished (the caller holds the atomic
 * lock, so its process is gone).  'preparing': it died before its commit
 * record, so no tenant committed (SQLite rolled each back from its
 * journal): the run is 'rolled_back'.  'committing': if every tenant with
 * work committed, the run is 'done'; else the ones that did are put back
 * from their copies, and the run is 'rolled_back'.
 */
static int
atomic_settle(tn_sqlite_conn *conn, const registry_paths *rp, long long run_id,
			  const char *folder, const char *status, tn_error *err)
{
	tn_value	p[2];
	tn_rows		ts;
	const char *final = NULL;
	size_t		committed = 0;
	int		   *has = NULL;
	char		detail[128];
	int			rc = TN_OK;

	p[0] = tn_int8(run_id);
	if (status != NULL && strcmp(status, TN_RUN_COMMITTING) == 0)
	{
		rc = tn_query_rows(&conn->adapter,
						   "SELECT t.tenant, t.to_version, x.location FROM {T}run_tenants t"
						   " JOIN {T}tenants x ON x.name = t.tenant WHERE t.run_id = $1 AND t.applied > 0"
						   " ORDER BY t.tenant", 1, p, 3, &ts, err);
		if (rc != TN_OK)
			return rc;
		has = calloc(ts.nrows + 1, sizeof(int));
		if (has == NULL)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		for (size_t i = 0; rc == TN_OK && i < ts.nrows; i++)
		{
			char	   *path = NULL;

			rc = tn_validate_tenant_path(rp->dir, tn_rows_get(&ts, i, 2), 1, &path, err);
			if (rc == TN_OK)
				rc = tenant_has_version(path, tn_rows_get(&ts, i, 1), &has[i], err);
			committed += has[i];
			free(path);
		}
		if (rc == TN_OK && committed < ts.nrows)
		{
			for (size_t i = 0; rc == TN_OK && i < ts.nrows; i++)
			{
				char		copy[4600];
				char	   *path = NULL;

				if (!has[i])
					continue;
				snprintf(copy, sizeof(copy), "%s/%s.db", folder, tn_rows_get(&ts, i, 0));
				rc = tn_validate_tenant_path(rp->dir, tn_rows_get(&ts, i, 2), 1, &path, err);
				if (rc == TN_OK)
					rc = restore_copy(copy, path, err);
				free(path);
			}
			final = TN_RUN_ROLLED_BACK;
		}
		else if (rc == TN_OK)
			final = "done";
		if (rc == TN_OK && (rc = conn->adapter.begin(conn, err)) == TN_OK)
		{
			p[1] = tn_text(final);
			if (strcmp(final, "done") == 0)
				rc = tn_exec(&conn->adapter,
							 "UPDATE {T}tenants SET version = (SELECT to_version FROM {T}run_tenants t"
							 " WHERE t.run_id = $1 AND t.tenant = name), last_error = NULL"
							 " WHERE name IN (SELECT tenant FROM {T}run_tenants WHERE run_id = $1 AND applied > 0)",
							 1, p, err);
			else
				rc = tn_exec(&conn->adapter,
							 "UPDATE {T}run_tenants SET status = '" TN_FANOUT_ROLLED_BACK "', to_version = from_version,"
							 " applied = 0, error = 'rolled back: the run was interrupted while committing'"
							 " WHERE run_id = $1 AND applied > 0", 1, p, err);
			if (rc == TN_OK)
				rc = tn_finish(&conn->adapter, err);
			else
				tn_abort(&conn->adapter, err);
		}
		free(has);
		tn_rows_free(&ts);
		if (rc != TN_OK)
		{
			tn_error_detail_append(err, "Atomic run %lld was interrupted while committing and could not be settled;"
								   " its copies stay in \"%s\" and the next call tries again.", run_id, folder);
			return rc;
		}
	}
	else if (status == NULL || strcmp(status, TN_RUN_PREPARING) == 0)
		final = TN_RUN_ROLLED_BACK;	/* no commit record: SQLite rolled every tenant back from its journal */
	if (final != NULL)
	{
		p[1] = tn_text(final);
		rc = tn_exec(&conn->adapter, "UPDATE {T}runs SET status = $2,"
					 " finished_at = strftime('%Y-%m-%d %H:%M:%f+00','now') WHERE run_id = $1", 2, p, err);
		snprintf(detail, sizeof(detail), "run %lld: %s after an interruption", run_id, final);
		if (rc == TN_OK)
			rc = audit(conn, "atomic_recover", NULL, detail, err);
	}
	if (rc == TN_OK)
	{
		remove_folder(folder);
		rc = tn_exec(&conn->adapter, "DELETE FROM {T}atomic_runs WHERE run_id = $1", 1, p, err);
	}
	return rc;
}

/* Settle every atomic run left unfinished; the caller holds the atomic lock. */
static int
atomic_recover(tn_sqlite_conn *conn, const registry_paths *rp, tn_error *err)
{
	tn_rows		runs;
	int			rc = tn_query_rows(&conn->adapter,
								   "SELECT a.run_id, a.folder, r.status FROM {T}atomic_runs a"
								   " LEFT JOIN {T}runs r ON r.run_id = a.run_id ORDER BY a.run_id",
								   0, NULL, 3, &runs, err);

	if (rc != TN_OK)
		return rc;
	for (size_t i = 0; rc == TN_OK && i < runs.nrows; i++)
		rc = atomic_settle(conn, rp, tn_cell_int(tn_rows_get(&runs, i, 0), 0),
						   tn_rows_get(&runs, i, 1), tn_rows_get(&runs, i, 2), err);
	tn_rows_free(&runs);
	return rc;
}

/* Before a migrating run: settle what an interrupted atomic run left, unless one is live. */
static int
recover_if_idle(tn_sqlite_conn *conn, const registry_paths *rp, tn_error *err)
{
	tn_error	busy;
	int			fd;
	int			rc;

	tn_error_clear(&busy);
	if (atomic_lock(rp, &fd, &busy) != TN_OK)
		return busy.code == TN_ERR_BUSY ? TN_OK : tn_error_set(err, busy.code, "%s", busy.message);
	rc = atomic_recover(conn, rp, err);
	atomic_unlock(fd);
	return rc;
}

/* ---- tenant_migrate_all([target [, concurrency [, max_failures]]]) ---- */

static int
fill_migrate_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;
	registry_paths rp;
	tn_migration_set set;
	fanout_job	job;
	const char *target = NULL;
	long long	run_id = 0;
	long long	concurrency, max_failures;
	size_t		n, done = 0;
	int			rc;

	(void) nargs;
	memset(&job, 0, sizeof(job));
	memset(&set, 0, sizeof(set));
	tn_rows_init(out, tn_def_migrate_all.ncols);
	tn_sqlite_conn_init(&conn, db);
	if ((rc = parse_target(args[0], &target, err)) != TN_OK ||
		(rc = parse_concurrency(args[1], &concurrency, err)) != TN_OK ||
		(rc = parse_max_failures(args[2], &max_failures, err)) != TN_OK ||
		(rc = registry_ready(&conn, &rp, err)) != TN_OK ||
		(rc = recover_if_idle(&conn, &rp, err)) != TN_OK)
		return rc;
	if ((rc = job_start(&job, JOB_MIGRATE, &conn, &rp, &set, target, err)) != TN_OK)
		goto done;
	job.max_failures = max_failures;
	n = job.tenants.nrows;

	/* the run is recorded before any tenant is touched */
	if ((rc = start_run(&conn, target, n, "running", &run_id, err)) != TN_OK)
		goto done;

	/* in slices, so finished tenants are on record while the run goes on */
	while (done < n && rc == TN_OK && !job.stopped)
	{
		job.next = done;
		job.end = done + RUN_FLUSH_EVERY < n ? done + RUN_FLUSH_EVERY : n;
		run_workers(&job, concurrency);
		rc = record_results(&conn, run_id, &job, out, done, job.next, err);
		done = job.next;
	}
	/* tenants never started after max_failures are reported as skipped (not recorded, as on PostgreSQL) */
	for (size_t i = done; rc == TN_OK && i < n; i++)
	{
		const char *row[8] = {tn_rows_get(&job.tenants, i, 0), TN_FANOUT_SKIPPED, NULL, NULL, "0", "0", NULL,
		"not started: max_failures reached"};

		if (tn_rows_add(out, row) != TN_OK)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	if (rc == TN_OK)
		rc = finish_run(&conn, run_id, out, job.stopped, NULL, err);

done:
	job_free(&job);
	tn_migration_set_free(&set);
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

/* ---- tenant_dry_run_all([target [, concurrency]]): not recorded, nothing changes ---- */

static int
fill_dry_run_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;
	registry_paths rp;
	tn_migration_set set;
	fanout_job	job;
	const char *target = NULL;
	long long	concurrency;
	int			rc;

	(void) nargs;
	memset(&job, 0, sizeof(job));
	memset(&set, 0, sizeof(set));
	tn_rows_init(out, tn_def_dry_run_all.ncols);
	tn_sqlite_conn_init(&conn, db);
	if ((rc = parse_target(args[0], &target, err)) != TN_OK ||
		(rc = parse_concurrency(args[1], &concurrency, err)) != TN_OK ||
		(rc = registry_ready(&conn, &rp, err)) != TN_OK)
		return rc;
	if ((rc = job_start(&job, JOB_DRY_RUN, &conn, &rp, &set, target, err)) == TN_OK)
	{
		run_workers(&job, concurrency);
		for (size_t i = 0; rc == TN_OK && i < job.tenants.nrows; i++)
			rc = copy_rows(out, &job.rows[i], err);
	}
	job_free(&job);
	tn_migration_set_free(&set);
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

/* ---- tenant_verify_all([concurrency]): read every tenant, refresh the registry's cache ---- */

static int
fill_verify_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;
	registry_paths rp;
	tn_migration_set set;
	fanout_job	job;
	long long	concurrency;
	int			rc;

	(void) nargs;
	memset(&job, 0, sizeof(job));
	memset(&set, 0, sizeof(set));
	tn_rows_init(out, tn_def_verify_all.ncols);
	tn_sqlite_conn_init(&conn, db);
	if ((rc = parse_concurrency(args[0], &concurrency, err)) != TN_OK ||
		(rc = registry_ready(&conn, &rp, err)) != TN_OK)
		return rc;
	if ((rc = job_start(&job, JOB_VERIFY, &conn, &rp, &set, NULL, err)) == TN_OK)
	{
		run_workers(&job, concurrency);
		rc = conn.adapter.begin(&conn, err);
		for (size_t i = 0; rc == TN_OK && i < job.tenants.nrows; i++)
		{
			size_t		r = out->nrows;
			const char *status;
			tn_value	p[4];

			if ((rc = copy_rows(out, &job.rows[i], err)) != TN_OK || out->nrows != r + 1)
			{
				if (rc == TN_OK)
					rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
				break;
			}
			status = tn_rows_get(out, r, 1);
			p[0] = tn_text(tn_rows_get(out, r, 0));
			p[1] = tn_text(tn_rows_get(out, r, 2));
			p[2] = tn_int8(tn_cell_int(tn_rows_get(out, r, 3), 0));
			p[3] = tn_text(strcmp(status, TN_VERIFY_OK) == 0 ? NULL : tn_rows_get(out, r, 5));
			rc = tn_exec(&conn.adapter,
						 strcmp(status, TN_VERIFY_UNREACHABLE) == 0
						 ? "UPDATE {T}tenants SET last_error = $4 WHERE name = $1"
						 : "UPDATE {T}tenants SET version = $2, pending = $3, last_error = $4 WHERE name = $1",
						 4, p, err);
		}
		if (rc == TN_OK)
			rc = tn_finish(&conn.adapter, err);
		else
			tn_abort(&conn.adapter, err);
	}
	job_free(&job);
	tn_migration_set_free(&set);
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

/* ---- tenant_query_all(sql [, concurrency]) ---- */

static int
fill_query_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;
	registry_paths rp;
	tn_migration_set set;
	fanout_job	job;
	long long	concurrency;
	int			rc;

	(void) nargs;
	memset(&job, 0, sizeof(job));
	memset(&set, 0, sizeof(set));
	tn_rows_init(out, tn_def_query_all.ncols);
	tn_sqlite_conn_init(&conn, db);
	if (args[0] == NULL || sqlite3_value_type(args[0]) == SQLITE_NULL)
		return tn_error_null_argument(err, "sql");
	if ((rc = parse_concurrency(args[1], &concurrency, err)) != TN_OK ||
		(rc = registry_ready(&conn, &rp, err)) != TN_OK)
		return rc;
	if ((rc = job_start(&job, JOB_QUERY, &conn, &rp, &set, NULL, err)) == TN_OK)
	{
		job.sql = (const char *) sqlite3_value_text(args[0]);
		run_workers(&job, concurrency);
		/* a statement refused for what it is, not for where it ran, fails the call */
		for (size_t i = 0; rc == TN_OK && i < job.tenants.nrows; i++)
			if (job.rc[i] == TN_ERR_INVALID_ARGUMENT)
			{
				*err = job.errs[i];
				rc = err->code;
			}
		/* a tenant that failed gives one row {"error": "..."} (SQLite has no NOTICE) */
		for (size_t i = 0; rc == TN_OK && i < job.tenants.nrows; i++)
		{
			if (job.rc[i] == TN_OK)
				rc = copy_rows(out, &job.rows[i], err);
			else
			{
				tn_buf		json = {0};
				const char *row[2];

				if (tn_buf_append(&json, "{\"error\":", 9) != TN_OK ||
					json_string(&json, job.errs[i].message, strlen(job.errs[i].message)) != TN_OK ||
					tn_buf_append(&json, "}", 1) != TN_OK)
					rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
				row[0] = tn_rows_get(&job.tenants, i, 0);
				row[1] = json.data;
				if (rc == TN_OK && tn_rows_add(out, row) != TN_OK)
					rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
				tn_buf_free(&json);
			}
		}
	}
	job_free(&job);
	tn_migration_set_free(&set);
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

/* ---- tenant_migrate_all_atomic([target [, concurrency]]) ---- */

/*
 * All tenants or none.  SQLite has no two-phase commit across files, so:
 *  1. every tenant with work is held in BEGIN EXCLUSIVE, copied (backup
 *     API) into the run folder <registry>.atomic-<run_id>, and migrated
 *     without committing;
 *  2. any failure: every tenant is rolled back, nothing was committed;
 *  3. all succeeded: a durable 'committing' record (run status and
 *     per-tenant target versions) is written to the registry, then each
 *     tenant commits;
 *  4. a commit that fails: the tenants already committed are put back
 *     from their copies, the rest rolled back.
 * A crash (kill -9, power loss) during 3 leaves the run 'committing';
 * the next tenant_migrate_all() or tenant_migrate_all_atomic() settles
 * it (atomic_settle): all committed -> 'done', else the committed ones are
 * restored from their copies -> 'rolled_back'.  Window: what is written
 * to a restored tenant between the crash and that next call is lost.
 * Every held tenant costs open files: at most MAX_ATOMIC_TENANTS.
 */
#define MAX_ATOMIC_TENANTS 250

/* Every tenant's row of an atomic run (the core words them): committed, or all rolled back. */
static int
atomic_rows(tn_rows *out, fanout_job *job, size_t first_failed, tn_error *err)
{
	int			committed = first_failed == (size_t) -1;
	const char *failed_tenant = committed ? NULL : tn_rows_get(&job->tenants, first_failed, 0);

	for (size_t i = 0; i < job->tenants.nrows; i++)
		if (tn_atomic_row(out, tn_rows_get(&job->tenants, i, 0), job->rc[i], &job->res[i], &job->errs[i],
						  job->ms[i], committed, failed_tenant) != TN_OK)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	return TN_OK;
}

static int
fill_migrate_all_atomic(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;
	registry_paths rp;
	tn_migration_set set;
	fanout_job	job;
	const char *target = NULL;
	char		folder[4400];
	long long	run_id = 0, concurrency;
	size_t		n, first_failed = (size_t) -1, committed = 0;
	const char *kill_after = getenv("TENANCY_TEST_KILL_AFTER_COMMITS");	/* crash tests only */
	int			lockfd = -1, in_record = 0;
	int			rc;

	(void) nargs;
	memset(&job, 0, sizeof(job));
	memset(&set, 0, sizeof(set));
	folder[0] = '\0';
	tn_rows_init(out, tn_def_migrate_all_atomic.ncols);
	tn_sqlite_conn_init(&conn, db);
	if ((rc = parse_target(args[0], &target, err)) != TN_OK ||
		(rc = parse_concurrency(args[1], &concurrency, err)) != TN_OK ||
		(rc = registry_ready(&conn, &rp, err)) != TN_OK)
		return rc;
	if (!sqlite3_get_autocommit(db))
	{
		tn_error_set(err, TN_ERR_NO_TRANSACTION, "tenant_migrate_all_atomic() cannot run inside a transaction");
		tn_error_detail(err, "Its commit record must be durable before any tenant commits.");
		tn_error_hint(err, "Call it outside BEGIN ... COMMIT.");
		return TN_ERR_NO_TRANSACTION;
	}
	if ((rc = atomic_lock(&rp, &lockfd, err)) != TN_OK)
		return rc;
	if ((rc = atomic_recover(&conn, &rp, err)) != TN_OK)
		goto done;
	if ((rc = job_start(&job, JOB_PREPARE, &conn, &rp, &set, target, err)) != TN_OK)
		goto done;
	n = job.tenants.nrows;
	if (n > MAX_ATOMIC_TENANTS)
	{
		rc = tn_error_set(err, TN_ERR_TOO_LARGE, "tenant_migrate_all_atomic() handles at most %d tenants",
						  MAX_ATOMIC_TENANTS);
		tn_error_detail(err, "The registry has %zu; every tenant stays open in its transaction until all commit.", n);
		tn_error_hint(err, "Use tenant_migrate_all(), which migrates each tenant on its own.");
		goto done;
	}
	if ((rc = start_run(&conn, target, n, TN_RUN_PREPARING, &run_id, err)) != TN_OK)
		goto done;
	snprintf(folder, sizeof(folder), "%s.atomic-%lld", rp.file, run_id);
	remove_folder(folder);
	if (mkdir(folder, 0700) != 0)
	{
		rc = tn_error_set(err, TN_ERR_IO, "could not create the run folder \"%s\"", folder);
		tn_error_detail(err, "%s.", strerror(errno));
		folder[0] = '\0';
		goto done;
	}
	{
		tn_value	p[2] = {tn_int8(run_id), tn_text(folder)};

		if ((rc = tn_exec(&conn.adapter, "INSERT INTO {T}atomic_runs (run_id, folder) VALUES ($1, $2)",
						  2, p, err)) != TN_OK)
			goto done;
	}

	/* 1. hold, copy and migrate every tenant */
	job.backup_dir = folder;
	run_workers(&job, concurrency);
	for (size_t i = 0; i < n && first_failed == (size_t) -1; i++)
		if (job.rc[i] != TN_OK)
			first_failed = i;

	if (first_failed != (size_t) -1)
	{
		/* 2. nothing commits */
		for (size_t i = 0; i < n; i++)
			if (job.held[i].db)
			{
				sqlite3_exec(job.held[i].db, "ROLLBACK", NULL, NULL, NULL);
				close_tenant(&job.held[i]);
			}
		rc = atomic_rows(out, &job, first_failed, err);
	}
	else
	{
		/* 3. the durable commit record, then every tenant commits */
		char		dir[4400];

		fsync_path(folder);
		snprintf(dir, sizeof(dir), "%s", rp.dir);
		fsync_path(dir);
		rc = atomic_rows(out, &job, first_failed, err);
		if (rc == TN_OK && (rc = conn.adapter.begin(&conn, err)) == TN_OK)
		{
			tn_value	p = tn_int8(run_id);

			for (size_t r = 0; rc == TN_OK && r < out->nrows; r++)
				rc = insert_run_tenant(&conn, run_id, out, r, err);
			if (rc == TN_OK)
				rc = tn_exec(&conn.adapter, "UPDATE {T}runs SET status = '" TN_RUN_COMMITTING "' WHERE run_id = $1",
							 1, &p, err);
			if (rc == TN_OK)
				rc = tn_finish(&conn.adapter, err);
			else
				tn_abort(&conn.adapter, err);
		}
		if (rc != TN_OK)
			goto done;			/* no record: job_free rolls every tenant back */
		in_record = 1;
		for (size_t i = 0; i < n; i++)
		{
			tn_error	cerr;

			tn_error_clear(&cerr);
			if (tn_sqlite_exec(job.held[i].db, "COMMIT", &cerr) != TN_OK)
			{
				job.rc[i] = cerr.code;
				job.errs[i] = cerr;
				first_failed = i;
				break;
			}
			committed++;
			if (kill_after && (long long) committed >= atoll(kill_after))
				kill(getpid(), SIGKILL);
		}
		if (first_failed != (size_t) -1)
		{
			/* 4. put back the ones that committed, roll back the rest */
			tn_rows_free(out);
			tn_rows_init(out, tn_def_migrate_all_atomic.ncols);
			for (size_t i = 0; i < n; i++)
				close_tenant(&job.held[i]);	/* uncommitted: closing rolls back */
			rc = TN_OK;
			for (size_t i = 0; rc == TN_OK && i < committed; i++)
				if (job.res[i].applied > 0)
				{
					char		copy[4600];
					char	   *path = NULL;

					snprintf(copy, sizeof(copy), "%s/%s.db", folder, tn_rows_get(&job.tenants, i, 0));
					rc = tn_validate_tenant_path(rp.dir, tn_rows_get(&job.tenants, i, 1), 1, &path, err);
					if (rc == TN_OK)
						rc = restore_copy(copy, path, err);
					free(path);
				}
			if (rc != TN_OK)
			{
				tn_error_detail_append(err, "The run stays 'committing'; the next tenant_migrate_all() settles it.");
				folder[0] = '\0';	/* keep the copies */
				goto done;
			}
			rc = atomic_rows(out, &job, first_failed, err);
		}
	}

	/* the outcome on record: per tenant, the cache, the run */
	if (rc == TN_OK && (rc = conn.adapter.begin(&conn, err)) == TN_OK)
	{
		for (size_t i = 0; rc == TN_OK && i < n; i++)
		{
			rc = insert_run_tenant(&conn, run_id, out, i, err);
			if (rc == TN_OK && (first_failed == (size_t) -1 || job.rc[i] != TN_OK))
				rc = update_tenant_cache(&conn, run_id, &job, i, out, i, err);
		}
		if (rc == TN_OK)
			rc = finish_run(&conn, run_id, out, 0, first_failed == (size_t) -1 ? "done" : TN_RUN_ROLLED_BACK, err);
		if (rc == TN_OK)
		{
			tn_value	p = tn_int8(run_id);

			rc = tn_exec(&conn.adapter, "DELETE FROM {T}atomic_runs WHERE run_id = $1", 1, &p, err);
		}
		if (rc == TN_OK)
			rc = tn_finish(&conn.adapter, err);
		else
			tn_abort(&conn.adapter, err);
	}
	if (rc != TN_OK && in_record)
		folder[0] = '\0';		/* the record stays: keep the copies for the settling */

done:
	job_free(&job);
	tn_migration_set_free(&set);
	if (folder[0] && rc == TN_OK)
		remove_folder(folder);
	else if (folder[0] && !in_record)
	{
		tn_value	p = tn_int8(run_id);
		tn_error	ignored;

		/* failed before anything committed: no settling needed */
		remove_folder(folder);
		(void) tn_exec(&conn.adapter, "DELETE FROM {T}atomic_runs WHERE run_id = $1", 1, &p, &ignored);
		p = tn_int8(run_id);
		(void) tn_exec(&conn.adapter, "UPDATE {T}runs SET status = '" TN_RUN_ROLLED_BACK "',"
					   " finished_at = strftime('%Y-%m-%d %H:%M:%f+00','now') WHERE run_id = $1 AND status = '"
					   TN_RUN_PREPARING "'",
					   1, &p, &ignored);
	}
	atomic_unlock(lockfd);
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

/* ---- tenant_runs() ---- */

static int
fill_runs(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;
	registry_paths rp;
	int			rc;

	(void) nargs;
	(void) args;
	tn_sqlite_conn_init(&conn, db);
	if ((rc = registry_ready(&conn, &rp, err)) != TN_OK)
		return rc;
	return tn_query_rows(&conn.adapter, "SELECT run_id, started_at, finished_at, target, status, tenants,"
						 " applied, failed FROM {T}runs ORDER BY run_id",
						 0, NULL, tn_def_runs.ncols, out, err);
}

static const tn_vtab_spec registry_tables[] = {
	{&tn_def_tenants, 0, {NULL}, fill_tenants},
	{&tn_def_migrate_all, 3, {"target", "concurrency", "max_failures"}, fill_migrate_all},
	{&tn_def_runs, 0, {NULL}, fill_runs},
	{&tn_def_dry_run_all, 2, {"target", "concurrency"}, fill_dry_run_all},
	{&tn_def_verify_all, 1, {"concurrency"}, fill_verify_all},
	{&tn_def_query_all, 2, {"sql", "concurrency"}, fill_query_all},
	{&tn_def_migrate_all_atomic, 2, {"target", "concurrency"}, fill_migrate_all_atomic},
};

int
tn_registry_register(sqlite3 *db, tn_sqlite_conn *conn)
{
	static const struct
	{
		const char *name;
		int			min_args, max_args;
		void		(*fn) (sqlite3_context *, int, sqlite3_value **);
	}			fns[] = {
		{"tenant_create", 1, 3, fn_tenant_create},
		{"tenant_register", 2, 3, fn_tenant_register},
		{"tenant_drop", 1, 2, fn_tenant_drop},
	};
	int			rc = SQLITE_OK;

	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(fns) / sizeof(fns[0]); i++)
		for (int n = fns[i].min_args; rc == SQLITE_OK && n <= fns[i].max_args; n++)
			rc = sqlite3_create_function_v2(db, fns[i].name, n, SQLITE_UTF8 | SQLITE_DIRECTONLY, conn,
											fns[i].fn, NULL, NULL, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(registry_tables) / sizeof(registry_tables[0]); i++)
		rc = tn_vtab_register(db, &registry_tables[i]);
	return rc;
}
