/*
 * tenancy_pg.c -- the module's magic and the SQL entry points of one
 * database's migrations: tenant_migration_add, tenant_migrations_load,
 * tenant_migrations_load_files (its 'tenants' scope: registry_set.c),
 * tenant_migrate, tenant_plan, tenant_dry_run, tenant_status,
 * tenant_verify, tenant_history, tenant_checkpoints, tenant_repair,
 * tenant_baseline, tenant_checkpoint and tenant_rollback.  (The registry's
 * entry points are in the registry_*.c files.)
 *
 * Each function turns its SQL arguments into a core call over the SPI
 * adapter, copies the result out of core memory, frees the core's
 * structures, and only then raises (tn_raise) or returns.
 *
 * Must not: hold migration logic; the core decides, this file translates.
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "pg_args.h"
#include "registry_internal.h"
#include "spi_adapter.h"
#include "tn_raise.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(tenant_migration_add);
PG_FUNCTION_INFO_V1(tenant_migrations_load);
PG_FUNCTION_INFO_V1(tenant_migrations_load_files);
PG_FUNCTION_INFO_V1(tenant_migrate);
PG_FUNCTION_INFO_V1(tenant_plan);
PG_FUNCTION_INFO_V1(tenant_dry_run);
PG_FUNCTION_INFO_V1(tenant_status);
PG_FUNCTION_INFO_V1(tenant_verify);
PG_FUNCTION_INFO_V1(tenant_history);
PG_FUNCTION_INFO_V1(tenant_checkpoints);
PG_FUNCTION_INFO_V1(tenant_repair);
PG_FUNCTION_INFO_V1(tenant_baseline);
PG_FUNCTION_INFO_V1(tenant_checkpoint);
PG_FUNCTION_INFO_V1(tenant_rollback);
PG_FUNCTION_INFO_V1(tenant_restore);

/* One core call: the adapter, its context and the error to raise. */
typedef struct tn_call
{
	tn_adapter		  adapter;
	tn_pg_adapter_ctx ctx;
	tn_error		  err;
	MemoryContext	  outer; /* the function's context, outside SPI */
} tn_call;

static void
call_start(tn_call *call)
{
	char *path = tn_pg_caller_search_path();

	tn_error_clear(&call->err);
	call->outer = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	tn_pg_adapter_init(&call->adapter, &call->ctx, path);
}

/*
 * End the call: close the adapter, disconnect SPI, raise on error.  The
 * caller has already copied its results out of core memory and freed them.
 */
static void
call_finish(tn_call *call, int rc)
{
	rc = tn_pg_adapter_finish(&call->ctx, rc, &call->err);
	SPI_finish();
	if (rc != TN_OK)
	{
		if (call->err.code == TN_OK)
			call->err.code = rc;
		tn_raise(&call->err);
	}
}

/* ------------------------------------------------------------------ */
/* Table results                                                       */
/* ------------------------------------------------------------------ */

typedef struct copied_rows
{
	int	   ncols;
	size_t nrows;
	char **cells; /* palloc'd in the function's context */
} copied_rows;

/*
 * Copy a core table into palloc'd memory and free the core's copy, even
 * when palloc fails.
 */
static void
copy_rows(tn_call *call, tn_rows *rows, copied_rows *out)
{
	MemoryContext old = MemoryContextSwitchTo(call->outer);

	out->ncols = rows->ncols;
	out->nrows = rows->nrows;
	out->cells = NULL;
	PG_TRY();
	{
		size_t n = rows->nrows * (size_t) rows->ncols;
		size_t i;

		out->cells = palloc0(sizeof(char *) * (n > 0 ? n : 1));
		for (i = 0; i < n; i++)
			out->cells[i] = rows->cells[i] ? pstrdup(rows->cells[i]) : NULL;
	}
	PG_CATCH();
	{
		tn_rows_free(rows);
		PG_RE_THROW();
	}
	PG_END_TRY();
	tn_rows_free(rows);
	MemoryContextSwitchTo(old);
}

/* Emit copied rows as the function's materialized result. */
static void
return_rows(FunctionCallInfo fcinfo, const tn_result_def *def,
			copied_rows *rows)
{
	tn_pg_srf srf;

	tn_pg_srf_begin(fcinfo, def, &srf);
	if (rows->nrows > 0 && rows->ncols != def->ncols)
		elog(ERROR, "core returned %d columns for %s(), expected %d",
			 rows->ncols, def->function, def->ncols);
	for (size_t r = 0; r < rows->nrows; r++)
		tn_pg_srf_put(&srf, rows->cells + r * (size_t) rows->ncols);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

/*
 * The default scope in a registry with tenants: a WARNING (the core's
 * text), unless the caller said 'database'.  Inside SPI.
 */
static void
warn_default_scope(const char *function)
{
	bool	  given = tn_pg_scope_given;
	tn_error  warn;
	long long n = 0;

	tn_pg_scope_given = false;
	if (given)
		return;
	if (SPI_execute("SELECT pg_catalog.to_regclass('tenancy.tenants') IS NOT NULL", true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1 &&
		strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "t") == 0 &&
		SPI_execute("SELECT pg_catalog.count(*) FROM tenancy.tenants", true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
		n = strtoll(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), NULL, 10);
	tn_error_clear(&warn);
	if (tn_registry_scope_warning(function, n, &warn))
		ereport(WARNING,
				(errmsg_internal("%s", warn.message),
				 errdetail_internal("%s", warn.detail),
				 errhint("%s", warn.hint)));
}

/* tenant_migration_add(version, name, up_sql, down_sql DEFAULT NULL) */
Datum
tenant_migration_add(PG_FUNCTION_ARGS)
{
	char		*version = tn_pg_arg_text(fcinfo, 0);
	char		*name = tn_pg_arg_text(fcinfo, 1);
	char		*up_sql = tn_pg_arg_text(fcinfo, 2);
	char		*down_sql = tn_pg_arg_text(fcinfo, 3);
	tn_call		 call;
	tn_migration m;
	int			 added = 0;
	int			 rc;

	call_start(&call);
	warn_default_scope("tenant_migration_add");
	/* The core validates (NULLs included) and builds the migration. */
	rc = tn_migration_from_args(version, name, up_sql, down_sql,
								TN_DIALECT_POSTGRES, &m, &call.err);
	if (rc == TN_OK)
	{
		rc = tn_catalog_add(&call.adapter, &m, &added, &call.err);
		tn_migration_clear(&m);
	}
	call_finish(&call, rc);
	PG_RETURN_INT64(added);
}

/* tenant_migrations_load(path): superuser or pg_read_server_files only */
Datum
tenant_migrations_load(PG_FUNCTION_ARGS)
{
	char	 *path = tn_pg_arg_required(fcinfo, 0, "path");
	tn_call	  call;
	long long count = 0;
	int		  rc;

	if (!superuser() &&
		!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
	{
		tn_error err;

		tn_error_clear(&err);
		tn_error_set(&err, TN_ERR_PERMISSION,
					 "permission denied to load migrations from the server's file system");
		tn_error_detail(&err, "Only roles with privileges of the \"pg_read_server_files\" role may read server files.");
		tn_error_hint(&err, "Use tenant_migration_add() to add migrations from SQL instead.");
		tn_raise(&err);
	}

	call_start(&call);
	warn_default_scope("tenant_migrations_load");
	rc = tn_catalog_load_folder(&call.adapter, path, &count, &call.err);
	call_finish(&call, rc);
	PG_RETURN_INT64((int64) count);
}

/* One text[] argument of tenant_migrations_load_files as C strings (palloc'd) and their lengths. */
static int
text_array_arg(FunctionCallInfo fcinfo, int i, const char *argname, char ***items, size_t **lens)
{
	ArrayType *arr;
	Datum	  *elems;
	bool	  *nulls;
	int		   n;
	tn_error   err;

	tn_error_clear(&err);
	if (PG_ARGISNULL(i))
	{
		tn_error_null_argument(&err, argname);
		tn_raise(&err);
	}
	arr = PG_GETARG_ARRAYTYPE_P(i);
	if (ARR_NDIM(arr) > 1)
	{
		tn_error_set(&err, TN_ERR_INVALID_ARGUMENT, "argument \"%s\" must be a one-dimensional array", argname);
		tn_raise(&err);
	}
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	*items = palloc0(sizeof(char *) * (n + 1));
	*lens = palloc0(sizeof(size_t) * (n + 1));
	for (int k = 0; k < n; k++)
	{
		if (nulls[k])
		{
			tn_error_null_argument(&err, argname);
			tn_error_detail(&err, "Element %d of \"%s\" is null.", k + 1, argname);
			tn_raise(&err);
		}
		(*items)[k] = text_to_cstring(DatumGetTextPP(elems[k]));
		(*lens)[k] = strlen((*items)[k]);
	}
	return n;
}

/*
 * tenant_migrations_load_files(names text[], bodies text[], scope DEFAULT NULL):
 * the folder rules on files the client sends.  No server file is read, so
 * no pg_read_server_files check: EXECUTE on the function is the capability.
 */
Datum
tenant_migrations_load_files(PG_FUNCTION_ARGS)
{
	char **names,
		**bodies;
	size_t *name_lens,
		*lens;
	int		  n = text_array_arg(fcinfo, 0, "names", &names, &name_lens);
	int		  nb = text_array_arg(fcinfo, 1, "bodies", &bodies, &lens);
	char	 *scope = tn_pg_arg_text(fcinfo, 2);
	int		  tenants = 0;
	tn_call	  call;
	tn_error  err;
	long long count = 0;
	int		  rc;

	tn_error_clear(&err);
	if (tn_parse_scope(scope, &tenants, &err) != TN_OK)
		tn_raise(&err);
	if (n != nb)
	{
		tn_error_set(&err, TN_ERR_INVALID_ARGUMENT, "names and bodies have different lengths (%d and %d)", n, nb);
		tn_error_detail(&err, "Each file name needs its body at the same position.");
		tn_raise(&err);
	}
	if (tenants)
		PG_RETURN_INT64((int64) reg_set_load_files((size_t) n, (const char *const *) names,
												   (const char *const *) bodies, lens));
	call_start(&call);
	tn_pg_scope_given = scope != NULL;
	warn_default_scope("tenant_migrations_load_files");
	rc = tn_catalog_load_files(&call.adapter, (size_t) n, (const char *const *) names,
							   (const char *const *) bodies, lens, &count, &call.err);
	call_finish(&call, rc);
	PG_RETURN_INT64((int64) count);
}

static void
add_no_transaction_hint(tn_error *err)
{
	if (err->code == TN_ERR_NO_TRANSACTION && err->hint[0] == '\0')
		tn_error_hint(err, "A SQL function cannot leave its transaction: run this migration with the tenancy command-line runner, or run its body by hand outside a transaction block and then record it with tenant_baseline().");
}

/* tenant_migrate(target DEFAULT NULL, allow_out_of_order DEFAULT false) */
Datum
tenant_migrate(PG_FUNCTION_ARGS)
{
	char			 *target = tn_pg_arg_text(fcinfo, 0);
	bool			  allow;
	tn_call			  call;
	tn_migrate_opts	  opts;
	tn_migrate_result res;
	long long		  applied;
	int				  rc;

	/* NULL means the default (false), as on SQLite. */
	allow = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);

	call_start(&call);
	memset(&opts, 0, sizeof(opts));
	memset(&res, 0, sizeof(res));
	opts.target = target;
	opts.allow_out_of_order = allow ? 1 : 0;
	opts.dry_run = 0;
	rc = tn_migrate(&call.adapter, &opts, &res, &call.err);
	applied = res.applied;
	tn_migrate_result_free(&res);
	add_no_transaction_hint(&call.err);
	call_finish(&call, rc);
	PG_RETURN_INT64((int64) applied);
}

/* tenant_dry_run(target DEFAULT NULL): rows of tn_def_dry_run */
Datum
tenant_dry_run(PG_FUNCTION_ARGS)
{
	char			 *target = tn_pg_arg_text(fcinfo, 0);
	tn_call			  call;
	tn_migrate_opts	  opts;
	tn_migrate_result res;
	copied_rows		  rows;
	int				  rc;

	call_start(&call);
	memset(&opts, 0, sizeof(opts));
	memset(&res, 0, sizeof(res));
	opts.target = target;
	opts.dry_run = 1;
	rc = tn_migrate(&call.adapter, &opts, &res, &call.err);
	copy_rows(&call, &res.report, &rows);
	tn_migrate_result_free(&res);
	add_no_transaction_hint(&call.err);
	call_finish(&call, rc);
	return_rows(fcinfo, &tn_def_dry_run, &rows);
	return (Datum) 0;
}

typedef int (*table_fn)(const tn_adapter *a, tn_rows *out, tn_error *err);

static Datum
table_result(FunctionCallInfo fcinfo, table_fn fn, const tn_result_def *def)
{
	tn_call		call;
	tn_rows		out;
	copied_rows rows;
	int			rc;

	call_start(&call);
	tn_rows_init(&out, def->ncols);
	rc = fn(&call.adapter, &out, &call.err);
	copy_rows(&call, &out, &rows);
	call_finish(&call, rc);
	return_rows(fcinfo, def, &rows);
	return (Datum) 0;
}

/* tenant_plan(target DEFAULT NULL) */
Datum
tenant_plan(PG_FUNCTION_ARGS)
{
	char	   *target = tn_pg_arg_text(fcinfo, 0);
	tn_call		call;
	tn_rows		out;
	copied_rows rows;
	int			rc;

	call_start(&call);
	tn_rows_init(&out, tn_def_plan.ncols);
	rc = tn_plan(&call.adapter, target, &out, &call.err);
	copy_rows(&call, &out, &rows);
	call_finish(&call, rc);
	return_rows(fcinfo, &tn_def_plan, &rows);
	return (Datum) 0;
}

Datum
tenant_status(PG_FUNCTION_ARGS)
{
	return table_result(fcinfo, tn_status, &tn_def_status);
}

Datum
tenant_verify(PG_FUNCTION_ARGS)
{
	return table_result(fcinfo, tn_verify, &tn_def_verify);
}

Datum
tenant_history(PG_FUNCTION_ARGS)
{
	return table_result(fcinfo, tn_history, &tn_def_history);
}

Datum
tenant_checkpoints(PG_FUNCTION_ARGS)
{
	return table_result(fcinfo, tn_checkpoints, &tn_def_checkpoints);
}

/* tenant_repair(version): returns the version repaired */
Datum
tenant_repair(PG_FUNCTION_ARGS)
{
	char   *version = tn_pg_arg_required(fcinfo, 0, "version");
	tn_call call;
	int		rc;

	call_start(&call);
	rc = tn_repair(&call.adapter, version, &call.err);
	call_finish(&call, rc);
	PG_RETURN_TEXT_P(cstring_to_text(version));
}

/* tenant_baseline(version): number of versions marked applied */
Datum
tenant_baseline(PG_FUNCTION_ARGS)
{
	char	 *version = tn_pg_arg_required(fcinfo, 0, "version");
	tn_call	  call;
	long long count = 0;
	int		  rc;

	call_start(&call);
	rc = tn_baseline(&call.adapter, version, &count, &call.err);
	call_finish(&call, rc);
	PG_RETURN_INT64((int64) count);
}

/* tenant_checkpoint(name DEFAULT NULL, mode DEFAULT 'marker') */
Datum
tenant_checkpoint(PG_FUNCTION_ARGS)
{
	char   *name = tn_pg_arg_text(fcinfo, 0);
	char   *mode = tn_pg_arg_text(fcinfo, 1); /* NULL: marker, as on SQLite */
	char	used[256];
	tn_call call;
	int		snapshot;
	int		rc;

	{
		tn_error err;

		tn_error_clear(&err);
		if (tn_parse_checkpoint_mode(mode, &snapshot, &err) != TN_OK)
			tn_raise(&err);
	}

	used[0] = '\0';
	call_start(&call);
	rc = tn_checkpoint(&call.adapter, name, snapshot, used, sizeof(used),
					   &call.err);
	if (rc == TN_ERR_NOT_SUPPORTED && call.err.hint[0] == '\0')
		tn_error_hint(&call.err, "PostgreSQL keeps no whole-database copy inside a transaction: take a \"marker\" checkpoint and give each migration a down script, or take a backup with pg_dump.");
	call_finish(&call, rc);
	PG_RETURN_TEXT_P(cstring_to_text(used));
}

/* tenant_rollback(checkpoint DEFAULT NULL): number of versions undone */
Datum
tenant_rollback(PG_FUNCTION_ARGS)
{
	char	 *checkpoint = tn_pg_arg_text(fcinfo, 0);
	tn_call	  call;
	long long count = 0;
	int		  rc;

	call_start(&call);
	rc = tn_rollback(&call.adapter, checkpoint, &count, &call.err);
	call_finish(&call, rc);
	PG_RETURN_INT64((int64) count);
}

/* tenant_restore(checkpoint): refused on PostgreSQL (no snapshots), the same words as SQLite's */
Datum
tenant_restore(PG_FUNCTION_ARGS)
{
	char	 *checkpoint = tn_pg_arg_text(fcinfo, 0);
	tn_call	  call;
	long long count = 0;
	int		  rc;

	call_start(&call);
	rc = tn_restore(&call.adapter, checkpoint, &count, &call.err);
	call_finish(&call, rc);
	PG_RETURN_INT64((int64) count);
}
