/*
 * tenant_batches.c -- CALL tenant_migrate_in_batches(batch_size [, target]):
 * a long batch of pending migrations applied in chunks of batch_size, each
 * chunk its own batch (with its automatic checkpoint) and its own committed
 * transaction.  One transaction holds a lock per relation it creates or
 * alters until it ends, so thousands of CREATE TABLEs in one batch exhaust
 * the lock table (53200, max_locks_per_transaction); committed chunks
 * release theirs.
 *
 * A procedure, not a function: only CALL outside a transaction block may
 * commit (SPI_OPT_NONATOMIC).  It carries no SET clause (a procedure with one
 * cannot commit); instead each chunk's transaction sets search_path =
 * pg_catalog, pg_temp locally, as the functions' SET clause would, and
 * migration bodies get the caller's search_path from the adapter.
 *
 * Must not: decide what a chunk holds (the core's max_migrations), or keep
 * anything of the core alive across a commit.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "nodes/parsenodes.h"

#include "pg_args.h"
#include "spi_adapter.h"
#include "tn_raise.h"

PG_FUNCTION_INFO_V1(tenant_migrate_in_batches);

/* One chunk in the current transaction; returns how many migrations it applied (raises on error). */
static long long
migrate_one_chunk(const char *target, long long batch_size, const char *caller_path)
{
	tn_adapter		  adapter;
	tn_pg_adapter_ctx ctx;
	tn_migrate_opts	  opts;
	tn_migrate_result res;
	tn_error		  err;
	long long		  applied;
	int				  rc;

	tn_error_clear(&err);
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	SPI_execute("SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)", false, 0);
	tn_pg_adapter_init(&adapter, &ctx, caller_path);
	memset(&opts, 0, sizeof(opts));
	memset(&res, 0, sizeof(res));
	opts.target = target;
	opts.max_migrations = batch_size;
	rc = tn_migrate(&adapter, &opts, &res, &err);
	applied = res.applied;
	tn_migrate_result_free(&res);
	rc = tn_pg_adapter_finish(&ctx, rc, &err);
	if (rc != TN_OK)
	{
		SPI_finish();
		if (err.code == TN_OK)
			err.code = rc;
		tn_raise(&err);
	}
	SPI_commit(); /* this chunk is done: its locks go */
	SPI_finish();
	return applied;
}

Datum
tenant_migrate_in_batches(PG_FUNCTION_ARGS)
{
	char	 *target = tn_pg_arg_text(fcinfo, 1);
	char	 *caller_path;
	long long batch_size = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
	long long total = 0, applied;
	int		  chunks = 0;
	tn_error  err;

	tn_error_clear(&err);
	if (PG_ARGISNULL(0))
	{
		tn_error_null_argument(&err, "batch_size");
		tn_raise(&err);
	}
	if (tn_check_batch_size(batch_size, &err) != TN_OK)
		tn_raise(&err);
	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		castNode(CallContext, fcinfo->context)->atomic)
	{
		tn_error_batches_need_commit(&err);
		tn_raise(&err);
	}
	caller_path = tn_pg_caller_search_path();
	do
	{
		applied = migrate_one_chunk(target, batch_size, caller_path);
		total += applied;
		if (applied > 0)
			chunks++;
	} while (applied == batch_size);
	ereport(NOTICE, (errmsg("applied %lld migrations in %d batches", total, chunks)));
	PG_RETURN_VOID();
}
