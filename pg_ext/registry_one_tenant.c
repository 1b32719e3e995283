/*
 * registry_one_tenant.c -- one named tenant read from the control database
 * (issue 9): the two C pieces of tenant_status(tenant),
 * tenant_history(tenant), tenant_checkpoints(tenant) and
 * tenant_verify(tenant), whose SQL wrappers reach the tenant through
 * tenant_query_all (one tenant, read only, the caller's own connection
 * rights and credentials):
 *
 *   tenancy.inspect_synced(what, schema)  in the tenant: the core's rows of
 *       what ('status', 'history', 'checkpoints', 'verify') from its own
 *       tracking tables (a schema tenant's adapter uses its schema), as
 *       text columns c1..c7;
 *   tenancy.one_tenant_error(tenant, error, sqlstate)  in the control
 *       database: raises the core's error for an unknown tenant (error
 *       NULL) or for the error row the tenant gave.
 *
 * Must not: word an error or decide what is read (tn_one_tenant_*), or
 * write anything.
 */
#include "postgres.h"

#include "executor/spi.h"

#include "pg_args.h"
#include "registry_internal.h"
#include "spi_adapter.h"
#include "tn_raise.h"

PG_FUNCTION_INFO_V1(tenancy_inspect_synced);
PG_FUNCTION_INFO_V1(tenancy_one_tenant_error);

#define INSPECT_COLUMNS 7 /* the widest: tenant_status() */

/* tenancy.inspect_synced(what, schema DEFAULT NULL) -> (c1 .. c7 text) */
Datum
tenancy_inspect_synced(PG_FUNCTION_ARGS)
{
	char			  *what = tn_pg_arg_text(fcinfo, 0);
	char			  *schema = tn_pg_arg_text(fcinfo, 1);
	char			  *path = tn_pg_caller_search_path();
	MemoryContext	   outer = CurrentMemoryContext;
	tn_one_tenant_kind kind;
	tn_adapter		   adapter;
	tn_pg_adapter_ctx  ctx;
	tn_error		   err;
	tn_rows			   rows;
	tn_pg_srf		   srf;
	char			 **cells = NULL;
	size_t			   nrows = 0;
	int				   ncols, rc;

	tn_error_clear(&err);
	if (tn_one_tenant_kind_parse(what, &kind, &err) != TN_OK)
		tn_raise(&err);
	ncols = tn_one_tenant_def(kind)->ncols;
	tn_pg_srf_begin(fcinfo, NULL, &srf);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	tn_pg_adapter_init(&adapter, &ctx, path);
	if (schema != NULL)
		tn_pg_adapter_use_schema(&adapter, &ctx, schema);
	tn_rows_init(&rows, ncols);
	rc = tn_one_tenant_read(&adapter, kind, &rows, &err);
	rc = tn_pg_adapter_finish(&ctx, rc, &err);
	if (rc == TN_OK)
	{
		/* out of SPI's memory before it goes */
		nrows = rows.nrows;
		cells = MemoryContextAllocZero(outer, sizeof(char *) * (nrows * INSPECT_COLUMNS + 1));
		for (size_t r = 0; r < nrows; r++)
			for (int c = 0; c < ncols; c++)
			{
				const char *v = tn_rows_get(&rows, r, c);

				cells[r * INSPECT_COLUMNS + c] = v ? MemoryContextStrdup(outer, v) : NULL;
			}
	}
	tn_rows_free(&rows);
	SPI_finish();
	if (rc != TN_OK)
		tn_raise_failure(&err);
	for (size_t r = 0; r < nrows; r++)
		tn_pg_srf_put(&srf, cells + r * INSPECT_COLUMNS);
	return (Datum) 0;
}

/* tenancy.one_tenant_error(tenant, error, sqlstate): always raises */
Datum
tenancy_one_tenant_error(PG_FUNCTION_ARGS)
{
	tn_error err;

	tn_one_tenant_error_row(tn_pg_arg_text(fcinfo, 0), tn_pg_arg_text(fcinfo, 1), tn_pg_arg_text(fcinfo, 2), &err);
	tn_raise(&err);
	PG_RETURN_VOID();
}
