/*
 * registry_run_batch.c -- the run record's rows of tenants a fan-out only
 * checked, written a slice at a time (issue 14).
 *
 * A no-op tenant_migrate_all asks every tenant; one blocking round trip on
 * the control connection per tenant for its run_tenants row cost the
 * caller as much as the tenant's own answer.  Rows that record a mere
 * check (tn_fanout_record_may_wait: up_to_date or unchanged, nothing
 * applied, no failure) are kept here and written together, in one
 * statement and one transaction, when RUN_BATCH_ROWS have gathered and
 * when the run finishes.  Every other row is written at once, as before
 * (registry_runs.c).  Runs never lie: a crash or cancel of the caller loses
 * at most the waiting rows of its last slice, which claim no work; no row
 * claims work that did not happen, and the run itself is closed as
 * aborted / cancelled.
 *
 * The rows go through tenancy.run_record_tenants (1.5, SECURITY DEFINER,
 * which takes writes only from the run's control session): one call, one
 * run check, one INSERT and one UPDATE for the whole slice (row by row
 * cost the control session ~0.17 ms a tenant, which the caller waited for
 * with every slot idle).  A control database at 1.4 (or a role given
 * run_record_tenant alone) calls run_record_tenant once per row by one
 * statement over unnest() of the same arrays; one still at 1.3 is written
 * row by row.
 *
 * Must not: decide which rows may wait (the core does), write a row that
 * says something was applied or failed later than at once, or keep rows
 * past the run.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "registry_internal.h"

/* rows written together: 200 tenants at concurrency 8 take 4 statements */
#define RUN_BATCH_ROWS 50

/* the per-row values of tenancy.run_record_tenant after run_id */
#define RUN_BATCH_COLS 10

struct reg_run_batch
{
	MemoryContext cxt;
	int			  n;
	char		 *vals[RUN_BATCH_COLS][RUN_BATCH_ROWS];
};

/* ROWS FROM: the multi-argument unnest() is only the unqualified name's syntax */
#define RUN_BATCH_SQL                                                                                      \
	"SELECT tenancy.run_record_tenant($1::pg_catalog.int8, r.tenant, r.status, r.from_version,"            \
	" r.to_version, r.applied::pg_catalog.int8, r.duration_ms::pg_catalog.int8, r.sqlstate, r.error,"      \
	" r.version, r.version_key)"                                                                           \
	" FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.text[]), pg_catalog.unnest($3::pg_catalog.text[])," \
	"   pg_catalog.unnest($4::pg_catalog.text[]), pg_catalog.unnest($5::pg_catalog.text[]),"               \
	"   pg_catalog.unnest($6::pg_catalog.text[]), pg_catalog.unnest($7::pg_catalog.text[]),"               \
	"   pg_catalog.unnest($8::pg_catalog.text[]), pg_catalog.unnest($9::pg_catalog.text[]),"               \
	"   pg_catalog.unnest($10::pg_catalog.text[]), pg_catalog.unnest($11::pg_catalog.text[]))"             \
	"   AS r(tenant, status, from_version, to_version, applied, duration_ms, sqlstate, error, version,"    \
	"   version_key)"

/* 1.5: the slice in one call */
#define RUN_BATCH_SET_SQL                                                                                  \
	"SELECT tenancy.run_record_tenants($1::pg_catalog.int8, $2::pg_catalog.text[], $3::pg_catalog.text[]," \
	" $4::pg_catalog.text[], $5::pg_catalog.text[], $6::pg_catalog.int8[], $7::pg_catalog.int8[],"         \
	" $8::pg_catalog.text[], $9::pg_catalog.text[], $10::pg_catalog.text[], $11::pg_catalog.text[])"

bool
reg_record_tenant_later(reg_run *run, const char *tenant, char **row, const fo_outcome *out)
{
	struct reg_run_batch *b;
	const char			 *version = reg_run_version(run, out);
	const char			 *v[RUN_BATCH_COLS];
	MemoryContext		  old;

	if (!run->writer || run->control == NULL ||
		!tn_fanout_record_may_wait(row[1], out->rc, out->res.applied))
		return false;
	if (run->batch == NULL)
	{
		/* outlives the fan-out's turns (each turn's context is reset) */
		b = MemoryContextAllocZero(TopTransactionContext, sizeof(*b));
		b->cxt = AllocSetContextCreate(TopTransactionContext, "tenancy run rows", ALLOCSET_SMALL_SIZES);
		run->batch = b;
	}
	b = run->batch;
	/* the values reg_record_tenant passes, in run_record_tenant's order */
	v[0] = tenant;
	v[1] = row[1];
	v[2] = row[2];
	v[3] = row[3];
	v[4] = row[4];
	v[5] = row[5];
	v[6] = row[6];
	v[7] = row[7];
	v[8] = version;
	v[9] = reg_run_version_key(version);
	old = MemoryContextSwitchTo(b->cxt);
	for (int c = 0; c < RUN_BATCH_COLS; c++)
		b->vals[c][b->n] = v[c] ? pstrdup(v[c]) : NULL;
	MemoryContextSwitchTo(old);
	b->n++;
	if (b->n == RUN_BATCH_ROWS)
		reg_flush_tenants(run);
	return true;
}

/*
 * n values (NULL: SQL NULL) as a text[] literal (array_out), palloc'd: one
 * column of a batch of waiting rows, sent as one parameter (also used by
 * registry_verify_batch.c).
 */
char *
reg_text_array_literal(char *const *vals, int n)
{
	Datum	  *elems = palloc(sizeof(Datum) * n);
	bool	  *nulls = palloc(sizeof(bool) * n);
	int		   dims[1] = { n };
	int		   lbs[1] = { 1 };
	ArrayType *arr;

	for (int r = 0; r < n; r++)
	{
		nulls[r] = vals[r] == NULL;
		elems[r] = nulls[r] ? (Datum) 0 : CStringGetTextDatum(vals[r]);
	}
	arr = construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT);
	return OidOutputFunctionCall(F_ARRAY_OUT, PointerGetDatum(arr));
}

void
reg_flush_tenants(reg_run *run)
{
	struct reg_run_batch *b = run->batch;
	const char			 *p[1 + RUN_BATCH_COLS];
	char				  run_id[32];
	tn_error			  err;
	PGresult			 *res;
	int					  n;

	if (b == NULL || b->n == 0)
		return;
	n = b->n;
	snprintf(run_id, sizeof(run_id), "%lld", run->run_id);
	p[0] = run_id;
	for (int c = 0; c < RUN_BATCH_COLS; c++)
		p[1 + c] = reg_text_array_literal(b->vals[c], b->n);
	/* taken even when the write fails: a row is tried once, as reg_record_tenant tries it */
	b->n = 0;
	MemoryContextReset(b->cxt);
	tn_error_clear(&err);
	res = run->control ? tn_lpq_exec(run->control, run->set_writer ? RUN_BATCH_SET_SQL : RUN_BATCH_SQL,
									 1 + RUN_BATCH_COLS, p, &err)
					   : NULL;
	if (res)
		PQclear(res);
	else
		ereport(WARNING,
				(errmsg("could not record %d checked tenants of run %lld: %s", n, run->run_id,
						run->control ? err.message : "no control connection")));
}

void
reg_forget_tenants(reg_run *run)
{
	/* the caller's transaction takes the memory back; only the count goes */
	if (run->batch != NULL)
		run->batch->n = 0;
}
