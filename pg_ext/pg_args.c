/*
 * pg_args.c -- the arguments and result rows of every SQL entry point of
 * the PostgreSQL extension: text arguments, the fan-out's concurrency,
 * and materialized set-returning results checked against the core's
 * column definitions.
 *
 * Must not: judge a value beyond its SQL type; the core does (its error
 * for a NULL argument is raised here unchanged).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "pg_args.h"
#include "tn_raise.h"

bool tn_pg_scope_given = false;

char *
tn_pg_arg_text(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

char *
tn_pg_arg_required(FunctionCallInfo fcinfo, int argno, const char *name)
{
	char *v = tn_pg_arg_text(fcinfo, argno);

	if (v == NULL)
	{
		tn_error err;

		tn_error_clear(&err);
		tn_error_null_argument(&err, name);
		tn_raise(&err);
	}
	return v;
}

int
tn_pg_arg_concurrency(FunctionCallInfo fcinfo, int argno)
{
	int		 c;
	tn_error err;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return tn_fanout_default_concurrency(MaxConnections);
	c = PG_GETARG_INT32(argno);
	tn_error_clear(&err);
	if (tn_check_concurrency(c, &err) != TN_OK)
		tn_raise(&err);
	return c;
}

int
tn_pg_arg_max_failures(FunctionCallInfo fcinfo, int argno)
{
	int		 m;
	tn_error err;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return 0;
	m = PG_GETARG_INT32(argno);
	tn_error_clear(&err);
	if (tn_check_max_failures(m, &err) != TN_OK)
		tn_raise(&err);
	return m;
}

/*
 * The SQL declaration must match the core's definition exactly, or (min_cols
 * > 0) be its first min_cols or more columns: an extension script older than
 * the library (before ALTER EXTENSION UPDATE) gets the columns it declares.
 */
static void
check_columns(TupleDesc desc, const tn_result_def *def, int min_cols)
{
	if (min_cols > 0 && desc->natts >= min_cols && desc->natts < def->ncols)
	{
		for (int i = 0; i < desc->natts; i++)
			if (strcmp(NameStr(TupleDescAttr(desc, i)->attname), def->cols[i].name) != 0)
				elog(ERROR, "%s() column %d is \"%s\", the core defines \"%s\"",
					 def->function, i + 1,
					 NameStr(TupleDescAttr(desc, i)->attname), def->cols[i].name);
		return;
	}
	if (desc->natts != def->ncols)
		elog(ERROR, "%s() returns %d columns, the core defines %d",
			 def->function, desc->natts, def->ncols);
	for (int i = 0; i < def->ncols; i++)
		if (strcmp(NameStr(TupleDescAttr(desc, i)->attname), def->cols[i].name) != 0)
			elog(ERROR, "%s() column %d is \"%s\", the core defines \"%s\"",
				 def->function, i + 1,
				 NameStr(TupleDescAttr(desc, i)->attname), def->cols[i].name);
}

void
tn_pg_srf_begin(FunctionCallInfo fcinfo, const tn_result_def *def,
				tn_pg_srf *srf)
{
	srf->outer = CurrentMemoryContext;
	srf->row = AllocSetContextCreate(srf->outer, "tenancy result row", ALLOCSET_SMALL_SIZES);
	InitMaterializedSRF(fcinfo, 0);
	srf->rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (def != NULL)
		check_columns(srf->rsinfo->setDesc, def, 0);
	srf->meta = TupleDescGetAttInMetadata(srf->rsinfo->setDesc);
}

void
tn_pg_srf_begin_compat(FunctionCallInfo fcinfo, const tn_result_def *def, int min_cols,
					   tn_pg_srf *srf)
{
	srf->outer = CurrentMemoryContext;
	srf->row = AllocSetContextCreate(srf->outer, "tenancy result row", ALLOCSET_SMALL_SIZES);
	InitMaterializedSRF(fcinfo, 0);
	srf->rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	check_columns(srf->rsinfo->setDesc, def, min_cols);
	srf->meta = TupleDescGetAttInMetadata(srf->rsinfo->setDesc);
}

/*
 * The input functions (jsonb_in, ...) allocate as they convert: in a
 * context of their own, reset per row, so storing 10,000 tenants' rows or
 * a large tenant_query_all result costs the caller the tuplestore (which
 * spills to disk past work_mem) and nothing per row besides.
 */
void
tn_pg_srf_put(tn_pg_srf *srf, char **values)
{
	MemoryContext old = MemoryContextSwitchTo(srf->row);
	HeapTuple	  tuple = BuildTupleFromCStrings(srf->meta, values);

	MemoryContextSwitchTo(srf->outer);
	tuplestore_puttuple(srf->rsinfo->setResult, tuple);
	MemoryContextSwitchTo(old);
	MemoryContextReset(srf->row);
}
