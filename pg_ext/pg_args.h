/*
 * pg_args.h -- the arguments and result rows of every SQL entry point of
 * the PostgreSQL extension (tenancy_pg.c and the registry_*.c files).
 *
 * Text arguments are read as C strings (NULL for SQL NULL or an argument
 * not passed); a required one that is NULL raises the core's "must not be
 * null" error, as SQLite does.  Set-returning functions use materialize
 * mode (InitMaterializedSRF); when a core result definition is given, the
 * declared columns are checked against it before any row is written.
 *
 * Must not: judge a value beyond its SQL type (the core validates), or
 * hold a row across calls.
 */
#ifndef PG_ARGS_H
#define PG_ARGS_H

#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"

#include "tenancy.h"

/* Text argument argno as a palloc'd C string; NULL when NULL or absent. */
extern char *tn_pg_arg_text(FunctionCallInfo fcinfo, int argno);

/*
 * Text argument argno, which must not be NULL: raises the core's
 * null-argument error naming name otherwise.
 */
extern char *tn_pg_arg_required(FunctionCallInfo fcinfo, int argno,
								const char *name);

/*
 * The concurrency argument of the fan-out functions: NULL or absent means
 * the core's default for this server's max_connections; otherwise the
 * core's limits (tn_check_concurrency; raises 22023 outside).
 */
extern int tn_pg_arg_concurrency(FunctionCallInfo fcinfo, int argno);

/*
 * The max_failures argument of tenant_migrate_all: NULL or absent means 0
 * (no limit); otherwise the core's rule (tn_check_max_failures; raises
 * 22023 for a negative number).
 */
extern int tn_pg_arg_max_failures(FunctionCallInfo fcinfo, int argno);

/*
 * Set by the scoped tenant_migration_add / tenant_migrations_load right
 * before they call the database-scope function for an explicit
 * 'database': that call then does not warn (tn_registry_scope_warning).
 * The callee reads and clears it first thing.
 */
extern bool tn_pg_scope_given;

/* A materialized result being written. */
typedef struct tn_pg_srf
{
	ReturnSetInfo *rsinfo;
	AttInMetadata *meta;
	MemoryContext  outer; /* the function's context, outside SPI */
	MemoryContext  row;	  /* one row's conversions, reset after each put */
} tn_pg_srf;

/*
 * Start the function's materialized result.  def, when not NULL, is the
 * core's definition of the columns: the SQL declaration must match it
 * exactly (an internal error otherwise).  Call outside SPI, in the
 * function's own memory context.
 */
extern void tn_pg_srf_begin(FunctionCallInfo fcinfo, const tn_result_def *def,
							tn_pg_srf *srf);

/*
 * The same, accepting a declaration that is def's first min_cols or more
 * columns (an extension script older than the library: tenants() of 1.3
 * has 8 of the 9 columns); tn_pg_srf_put then stores the declared ones.
 */
extern void tn_pg_srf_begin_compat(FunctionCallInfo fcinfo, const tn_result_def *def,
								   int min_cols, tn_pg_srf *srf);

/*
 * Add one row: values[i] is the text of column i, NULL for SQL NULL.
 * Works from any memory context (SPI's too).
 */
extern void tn_pg_srf_put(tn_pg_srf *srf, char **values);

#endif /* PG_ARGS_H */
