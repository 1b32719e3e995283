/*
 * tenancy_sqlite.c -- the SQLite loadable extension: entry point and the
 * table of SQL functions.  Each function reads its arguments, calls the
 * core through the connection's adapter, and raises errors in one place
 * (tn_sqlite_raise).  No migration logic lives here.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_adapter.h"
#include "sqlite_fallback.h"
#include "sqlite_registry.h"
#include "sqlite_registry_internal.h"
#include "sqlite_vtab.h"

SQLITE_EXTENSION_INIT1

/* Text of argument i, or NULL when absent or SQL NULL. */
static const char *
arg_text(int argc, sqlite3_value **argv, int i)
{
	if (i >= argc || sqlite3_value_type(argv[i]) == SQLITE_NULL)
		return NULL;
	return (const char *) sqlite3_value_text(argv[i]);
}

/* The connection's adapter, with the tracking tables in place. */
static tn_sqlite_conn *
conn_for(sqlite3_context *ctx, tn_error *err)
{
	tn_sqlite_conn *conn = sqlite3_user_data(ctx);

	if (tn_sqlite_ensure_schema(conn, err) != TN_OK)
		return NULL;
	return conn;
}

#define BEGIN_CALL()                          \
	tn_error		err;                      \
	tn_sqlite_conn *conn;                     \
	tn_error_clear(&err);                     \
	if ((conn = conn_for(ctx, &err)) == NULL) \
	{                                         \
		tn_sqlite_raise(ctx, &err);           \
		return;                               \
	}

/*
 * The default scope in a registry with tenants: PostgreSQL raises a
 * WARNING; SQLite's channel for one is its error log, sqlite3_log() with
 * SQLITE_WARNING (what an application's SQLITE_CONFIG_LOG callback gets;
 * the sqlite3 shell prints it after ".log stderr").  The core's text,
 * message, detail and hint, as on PostgreSQL; an explicit 'database' scope
 * does not warn.
 */
static void
warn_default_scope(tn_sqlite_conn *conn, const char *function, int scope_given)
{
	sqlite3_stmt *st = NULL;
	long long	  n = 0;
	tn_error	  warn;

	if (scope_given)
		return;
	/* no registry table: not a registry, nothing to warn about (and no error in the log) */
	if (sqlite3_prepare_v2(conn->db,
						   "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'tenancy_tenants'", -1,
						   &st, NULL) == SQLITE_OK &&
		sqlite3_step(st) == SQLITE_ROW)
	{
		sqlite3_finalize(st);
		st = NULL;
		if (sqlite3_prepare_v2(conn->db, "SELECT count(*) FROM main.tenancy_tenants", -1, &st, NULL) == SQLITE_OK &&
			sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	tn_error_clear(&warn);
	/* one line each: sqlite3_log cuts a message at about 200 bytes */
	if (tn_registry_scope_warning(function, n, &warn))
	{
		sqlite3_log(SQLITE_WARNING, "WARNING:  %s", warn.message);
		sqlite3_log(SQLITE_WARNING, "DETAIL:  %s", warn.detail);
		sqlite3_log(SQLITE_WARNING, "HINT:  %s", warn.hint);
	}
}

static void
fn_migration_add(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	tn_migration m;
	int			 added = 0;
	int			 tenants = 0;

	BEGIN_CALL();
	if (tn_parse_scope(arg_text(argc, argv, 4), &tenants, &err) != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	warn_default_scope(conn, "tenant_migration_add", arg_text(argc, argv, 4) != NULL);
	if (tn_migration_from_args(arg_text(argc, argv, 0), arg_text(argc, argv, 1),
							   arg_text(argc, argv, 2), arg_text(argc, argv, 3),
							   TN_DIALECT_SQLITE, &m, &err) != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	if ((tenants ? tn_registry_catalog_add(conn, &m, &added, &err)
				 : tn_catalog_add(&conn->adapter, &m, &added, &err)) != TN_OK)
	{
		tn_migration_clear(&m);
		tn_sqlite_raise(ctx, &err);
		return;
	}
	tn_migration_clear(&m);
	sqlite3_result_int64(ctx, added);
}

static void
fn_migrations_load(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	long long count = 0;
	int		  tenants = 0;

	BEGIN_CALL();
	if (tn_parse_scope(arg_text(argc, argv, 1), &tenants, &err) == TN_OK)
		warn_default_scope(conn, "tenant_migrations_load", arg_text(argc, argv, 1) != NULL);
	if (tn_parse_scope(arg_text(argc, argv, 1), &tenants, &err) != TN_OK ||
		(tenants ? tn_registry_catalog_load(conn, arg_text(argc, argv, 0), &count, &err)
				 : tn_catalog_load_folder(&conn->adapter, arg_text(argc, argv, 0), &count, &err)) != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	sqlite3_result_int64(ctx, count);
}

/* One text array of tenant_migrations_load_files: SQLite has no arrays, so a JSON array of strings. */
typedef struct text_array
{
	size_t	n;
	char  **items;
	size_t *lens;
} text_array;

static void
text_array_free(text_array *a)
{
	for (size_t i = 0; i < a->n; i++)
		sqlite3_free(a->items[i]);
	sqlite3_free(a->items);
	sqlite3_free(a->lens);
	memset(a, 0, sizeof(*a));
}

static int
bad_array(tn_error *err, const char *argname)
{
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "argument \"%s\" must be a JSON array of strings", argname);
	tn_error_detail(err, "SQLite has no array type: tenant_migrations_load_files takes names and bodies as JSON arrays.");
	tn_error_hint(err, "Pass json_array('1_a.sql', ...) and json_array('CREATE TABLE ...', ...).");
	return TN_ERR_INVALID_ARGUMENT;
}

/* Read a JSON array of strings with json_each (the connection's JSON functions). */
static int
read_text_array(sqlite3 *db, sqlite3_value *v, const char *argname, text_array *out, tn_error *err)
{
	sqlite3_stmt *st = NULL;
	int			  rc;

	memset(out, 0, sizeof(*out));
	if (v == NULL || sqlite3_value_type(v) == SQLITE_NULL)
		return tn_error_null_argument(err, argname);
	if (sqlite3_value_type(v) != SQLITE_TEXT)
		return bad_array(err, argname);
	rc = sqlite3_prepare_v2(db, "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) = 'array' ELSE 0 END", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_value(st, 1, v);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != 1)
	{
		sqlite3_finalize(st);
		return bad_array(err, argname);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	rc = sqlite3_prepare_v2(db, "SELECT type, value FROM json_each(?1) ORDER BY key", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_value(st, 1, v);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		const char *type = (const char *) sqlite3_column_text(st, 0);
		int			len = sqlite3_column_bytes(st, 1);
		char	  **items;
		size_t	   *lens;

		if (type == NULL || strcmp(type, "text") != 0)
		{
			sqlite3_finalize(st);
			text_array_free(out);
			return bad_array(err, argname);
		}
		items = sqlite3_realloc64(out->items, (out->n + 1) * sizeof(char *));
		lens = items ? sqlite3_realloc64(out->lens, (out->n + 1) * sizeof(size_t)) : NULL;
		if (items)
			out->items = items;
		if (lens)
			out->lens = lens;
		if (items == NULL || lens == NULL ||
			(out->items[out->n] = sqlite3_malloc(len + 1)) == NULL)
		{
			sqlite3_finalize(st);
			text_array_free(out);
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		}
		memcpy(out->items[out->n], sqlite3_column_text(st, 1), (size_t) len);
		out->items[out->n][len] = '\0';
		out->lens[out->n++] = (size_t) len;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
	{
		text_array_free(out);
		return tn_sqlite_error(db, rc, err);
	}
	return TN_OK;
}

static void
fn_migrations_load_files(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	text_array names,
		bodies;
	long long count = 0;
	int		  tenants = 0;
	int		  rc;

	BEGIN_CALL();
	memset(&names, 0, sizeof(names));
	memset(&bodies, 0, sizeof(bodies));
	if ((rc = tn_parse_scope(arg_text(argc, argv, 2), &tenants, &err)) == TN_OK &&
		(rc = read_text_array(conn->db, argv[0], "names", &names, &err)) == TN_OK &&
		(rc = read_text_array(conn->db, argv[1], "bodies", &bodies, &err)) == TN_OK &&
		names.n != bodies.n)
	{
		rc = tn_error_set(&err, TN_ERR_INVALID_ARGUMENT, "names and bodies have different lengths (%zu and %zu)",
						  names.n, bodies.n);
		tn_error_detail(&err, "Each file name needs its body at the same position.");
	}
	if (rc == TN_OK && !tenants)
		warn_default_scope(conn, "tenant_migrations_load_files", arg_text(argc, argv, 2) != NULL);
	if (rc == TN_OK)
		rc = tenants
				 ? tn_registry_catalog_load_files(conn, names.n, (const char *const *) names.items,
												  (const char *const *) bodies.items, bodies.lens, &count, &err)
				 : tn_catalog_load_files(&conn->adapter, names.n, (const char *const *) names.items,
										 (const char *const *) bodies.items, bodies.lens, &count, &err);
	text_array_free(&names);
	text_array_free(&bodies);
	if (rc != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	sqlite3_result_int64(ctx, count);
}

static void
fn_migrate(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	tn_migrate_opts	  opts = { 0 };
	tn_migrate_result res;

	BEGIN_CALL();
	opts.target = arg_text(argc, argv, 0);
	opts.allow_out_of_order = argc > 1 && sqlite3_value_int(argv[1]) != 0;
	/* this SELECT is a statement in progress; and maybe inside the caller's BEGIN */
	opts.in_statement = sqlite3_get_autocommit(sqlite3_context_db_handle(ctx)) ? TN_IN_STATEMENT : TN_IN_STATEMENT_AND_TRANSACTION;
	if (tn_migrate(&conn->adapter, &opts, &res, &err) != TN_OK)
	{
		tn_migrate_result_free(&res);
		tn_sqlite_raise(ctx, &err);
		return;
	}
	sqlite3_result_int64(ctx, res.applied);
	tn_migrate_result_free(&res);
}

/*
 * tenant_migrate_in_batches(batch_size [, target]): chunks of batch_size
 * migrations, each its own batch and committed transaction (the core's
 * max_migrations), as PostgreSQL's CALL; returns how many were applied.
 */
static void
fn_migrate_in_batches(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	tn_migrate_opts	  opts = { 0 };
	tn_migrate_result res;
	long long		  total = 0;

	BEGIN_CALL();
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		tn_error_null_argument(&err, "batch_size");
	else if (sqlite3_value_numeric_type(argv[0]) != SQLITE_INTEGER)
		tn_check_batch_size(0, &err);
	else if (tn_check_batch_size(sqlite3_value_int64(argv[0]), &err) == TN_OK &&
			 !sqlite3_get_autocommit(sqlite3_context_db_handle(ctx)))
		tn_error_batches_need_commit(&err);
	if (err.code != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	opts.target = arg_text(argc, argv, 1);
	opts.in_statement = TN_IN_STATEMENT;
	opts.max_migrations = sqlite3_value_int64(argv[0]);
	do
	{
		if (tn_migrate(&conn->adapter, &opts, &res, &err) != TN_OK)
		{
			tn_migrate_result_free(&res);
			tn_sqlite_raise(ctx, &err);
			return;
		}
		total += res.applied;
		tn_migrate_result_free(&res);
	} while (res.applied == opts.max_migrations);
	sqlite3_result_int64(ctx, total);
}

static void
fn_repair(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	BEGIN_CALL();
	if (tn_repair(&conn->adapter, arg_text(argc, argv, 0), &err) != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	sqlite3_result_text(ctx, arg_text(argc, argv, 0), -1, SQLITE_TRANSIENT);
}

static void
fn_baseline(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	long long count = 0;

	BEGIN_CALL();
	if (tn_baseline(&conn->adapter, arg_text(argc, argv, 0), &count, &err) != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	sqlite3_result_int64(ctx, count);
}

static void
fn_checkpoint(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char name[160];
	int	 snapshot = 0;

	BEGIN_CALL();
	if (tn_parse_checkpoint_mode(arg_text(argc, argv, 1), &snapshot, &err) != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	if (tn_checkpoint(&conn->adapter, arg_text(argc, argv, 0), snapshot, name, sizeof(name), &err) != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	sqlite3_result_text(ctx, name, -1, SQLITE_TRANSIENT);
}

static void
fn_rollback(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	long long count = 0;

	BEGIN_CALL();
	if (tn_rollback(&conn->adapter, arg_text(argc, argv, 0), &count, &err) != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	sqlite3_result_int64(ctx, count);
}

static void
fn_restore(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	long long count = 0;

	BEGIN_CALL();
	if (tn_restore(&conn->adapter, arg_text(argc, argv, 0), &count, &err) != TN_OK)
	{
		tn_sqlite_raise(ctx, &err);
		return;
	}
	sqlite3_result_int64(ctx, count);
}

/* ---- table-valued functions ---- */

static int
with_conn(sqlite3 *db, tn_sqlite_conn *conn, tn_error *err)
{
	tn_sqlite_conn_init(conn, db);
	return tn_sqlite_ensure_schema(conn, err);
}

static const char *
value_text(sqlite3_value *v)
{
	if (v == NULL || sqlite3_value_type(v) == SQLITE_NULL)
		return NULL;
	return (const char *) sqlite3_value_text(v);
}

static int
fill_status(sqlite3 *db, int n, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;

	(void) n;
	/* a tenant named: read in its own file, from its registry */
	if (value_text(args[0]) != NULL)
		return tnsq_one_tenant_fill(db, TN_ONE_STATUS, value_text(args[0]), out, err);
	if (with_conn(db, &conn, err) != TN_OK)
		return err->code;
	return tn_status(&conn.adapter, out, err);
}

static int
fill_verify(sqlite3 *db, int n, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;

	(void) n;
	/* a tenant named: read in its own file, from its registry */
	if (value_text(args[0]) != NULL)
		return tnsq_one_tenant_fill(db, TN_ONE_VERIFY, value_text(args[0]), out, err);
	if (with_conn(db, &conn, err) != TN_OK)
		return err->code;
	return tn_verify(&conn.adapter, out, err);
}

static int
fill_history(sqlite3 *db, int n, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;

	(void) n;
	/* a tenant named: read in its own file, from its registry */
	if (value_text(args[0]) != NULL)
		return tnsq_one_tenant_fill(db, TN_ONE_HISTORY, value_text(args[0]), out, err);
	if (with_conn(db, &conn, err) != TN_OK)
		return err->code;
	return tn_history(&conn.adapter, out, err);
}

static int
fill_checkpoints(sqlite3 *db, int n, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;

	(void) n;
	/* a tenant named: read in its own file, from its registry */
	if (value_text(args[0]) != NULL)
		return tnsq_one_tenant_fill(db, TN_ONE_CHECKPOINTS, value_text(args[0]), out, err);
	if (with_conn(db, &conn, err) != TN_OK)
		return err->code;
	return tn_checkpoints(&conn.adapter, out, err);
}

static int
fill_plan(sqlite3 *db, int n, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;

	(void) n;
	if (with_conn(db, &conn, err) != TN_OK)
		return err->code;
	return tn_plan(&conn.adapter, value_text(args[0]), out, err);
}

static int
fill_dry_run(sqlite3 *db, int n, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn	  conn;
	tn_migrate_opts	  opts = { 0 };
	tn_migrate_result res;
	int				  rc;

	(void) n;
	if (with_conn(db, &conn, err) != TN_OK)
		return err->code;
	opts.target = value_text(args[0]);
	opts.dry_run = 1;
	rc = tn_migrate(&conn.adapter, &opts, &res, err);
	*out = res.report; /* hand the report over */
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

/* tenant_settings(): the core's list; this connection's PRAGMA busy_timeout as the current value */
static int
fill_settings(sqlite3 *db, int n, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	int rc;

	(void) n;
	(void) args;
	tn_rows_init(out, tn_def_settings.ncols);
	if ((rc = tn_settings_rows(out, err)) != TN_OK)
		return rc;
	for (size_t r = 0; r < out->nrows; r++)
		if (strcmp(tn_rows_get(out, r, 0), "busy_timeout") == 0)
		{
			sqlite3_stmt *stmt = NULL;
			char		 *value = NULL;

			if (sqlite3_prepare_v2(db, "PRAGMA busy_timeout", -1, &stmt, NULL) == SQLITE_OK &&
				sqlite3_step(stmt) == SQLITE_ROW)
				value = sqlite3_mprintf("%d", sqlite3_column_int(stmt, 0));
			sqlite3_finalize(stmt);
			if (value != NULL)
			{
				char **cell = &out->cells[r * out->ncols + 4];

				free(*cell);
				*cell = tn_strdup(value, err);
				sqlite3_free(value);
				if (*cell == NULL)
					return TN_ERR_NO_MEMORY;
			}
		}
	return TN_OK;
}

static const tn_vtab_spec table_functions[] = {
	{ &tn_def_status, 1, { "tenant" }, fill_status },
	{ &tn_def_verify, 1, { "tenant" }, fill_verify },
	{ &tn_def_history, 1, { "tenant" }, fill_history },
	{ &tn_def_checkpoints, 1, { "tenant" }, fill_checkpoints },
	{ &tn_def_plan, 1, { "target" }, fill_plan },
	{ &tn_def_dry_run, 1, { "target" }, fill_dry_run },
	{ &tn_def_settings, 0, { NULL }, fill_settings },
};

/* ---- registration ---- */

typedef struct fn_entry
{
	const char *name;
	int			min_args;
	int			max_args;
	void (*fn)(sqlite3_context *, int, sqlite3_value **);
} fn_entry;

static const fn_entry scalar_functions[] = {
	{ "tenant_migration_add", 3, 5, fn_migration_add },
	{ "tenant_migrations_load", 1, 2, fn_migrations_load },
	{ "tenant_migrations_load_files", 2, 3, fn_migrations_load_files },
	{ "tenant_migrate", 0, 2, fn_migrate },
	{ "tenant_migrate_in_batches", 1, 2, fn_migrate_in_batches },
	{ "tenant_repair", 1, 1, fn_repair },
	{ "tenant_baseline", 1, 1, fn_baseline },
	{ "tenant_checkpoint", 0, 2, fn_checkpoint },
	{ "tenant_rollback", 0, 1, fn_rollback },
	{ "tenant_restore", 1, 1, fn_restore },
};

static void
conn_free(void *p)
{
	sqlite3_free(p);
}

/* the one symbol the .so exports: the build hides everything else (-fvisibility=hidden) */
#ifdef _WIN32
__declspec(dllexport)
#else
__attribute__((visibility("default")))
#endif
	int sqlite3_tenancy_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
	tn_sqlite_conn *conn;
	size_t			i;
	int				rc = SQLITE_OK;

	SQLITE_EXTENSION_INIT2(api);
	conn = sqlite3_malloc(sizeof(*conn));
	if (conn == NULL)
		return SQLITE_NOMEM;
	tn_sqlite_conn_init(conn, db);

	for (i = 0; rc == SQLITE_OK && i < sizeof(scalar_functions) / sizeof(scalar_functions[0]); i++)
	{
		const fn_entry *f = &scalar_functions[i];
		int				flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
		int				n;

		for (n = f->min_args; rc == SQLITE_OK && n <= f->max_args; n++)
			rc = sqlite3_create_function_v2(db, f->name, n, flags, conn, f->fn, NULL, NULL,
											/* the last registration owns conn */
											(i == 0 && n == f->min_args) ? conn_free : NULL);
	}
	for (i = 0; rc == SQLITE_OK && i < sizeof(table_functions) / sizeof(table_functions[0]); i++)
		rc = tn_vtab_register(db, &table_functions[i]);
	if (rc == SQLITE_OK)
		rc = tn_registry_register(db, conn);
	if (rc == SQLITE_OK)
		rc = tn_fallback_register(db, conn);
	if (rc != SQLITE_OK && errmsg != NULL)
		*errmsg = sqlite3_mprintf("tenancy: could not register functions: %s", sqlite3_errstr(rc));
	return rc;
}
