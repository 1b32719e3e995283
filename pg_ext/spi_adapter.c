/*
 * spi_adapter.c -- the tenancy core's database adapter over SPI.
 *
 * Translates only: the core decides what to run; this file runs it and turns
 * every PostgreSQL error into a tn_error value.  Each call runs in an
 * internal subtransaction inside PG_TRY (the PL/Python / PL/pgSQL pattern),
 * so an error never longjmps through core frames and the statement leaves
 * no trace.
 *
 * Units of work: begin takes a transaction-scoped advisory lock on a key of
 * this database, then opens an internal subtransaction (rollback undoes the
 * batch; the lock stays until the caller's transaction ends, which is when
 * the rows become visible to others).  Savepoints are nested internal
 * subtransactions.  Once the lock is held, every statement runs on the
 * latest snapshot, so even a REPEATABLE READ caller sees what the previous
 * lock holder committed.
 *
 * Must not: call the core, keep PostgreSQL memory across calls beyond the
 * adapter context, or leave a subtransaction open (finish rolls back).
 */
#include "postgres.h"

#include <string.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parse_param.h"
#include "parser/parser.h"
#include "parser/scanner.h"
#include "parser/parse_node.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "storage/lock.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/fmgrprotos.h"
#include "common/hashfn.h"

#include "spi_adapter.h"
#include "spi_internal.h"

/*
 * The migration lock: an advisory lock tag taken from C, (database,
 * "tena", database oid) or, for a schema tenant, (database, the two halves
 * of lock_key), with a fourth field of 8.  pg_advisory_lock() and its
 * kin always put 1 or 2 there, so no SQL call can take, hold or wait on
 * this lock: only tenancy's functions, which a role may EXECUTE only with
 * a capability.  Up to 1.3 the lock was pg_advisory_xact_lock's own key,
 * which any role that could connect could hold to block every migration
 * (issue 7, finding 11).
 */
#define TN_PG_LOCK_KEY	  0x74656e61
#define TN_PG_LOCK_FIELD4 8

/* ------------------------------------------------------------------ */
/* Errors and subtransactions                                          */
/* ------------------------------------------------------------------ */

/* Last error position seen (edata->cursorpos), for exec_script. */
int spi_last_cursorpos = 0;

static void
error_from_edata(tn_error *err, ErrorData *edata)
{
	char *state = unpack_sql_state(edata->sqlerrcode);

	tn_error_set(err, TN_ERR_ENGINE, "%s",
				 edata->message ? edata->message : "unknown error");
	if (edata->detail)
		tn_error_detail(err, "%s", edata->detail);
	if (edata->hint)
		tn_error_hint(err, "%s", edata->hint);
	strlcpy(err->sqlstate, state, sizeof(err->sqlstate));
	tn_error_engine_cause(err); /* disk full, read only, lock slots: the core's hint */
}

/*
 * Run fn in an internal subtransaction.  fn returning TN_OK releases it;
 * fn returning an error code, or any ereport(ERROR) inside fn, rolls it
 * back.  Memory context and resource owner are what they were on entry.
 */
int
spi_run_in_subxact(tn_pg_adapter_ctx *ctx, protected_fn fn, void *arg,
				   tn_error *err)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile int  rc = TN_OK;

	spi_last_cursorpos = 0;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);

	PG_TRY();
	{
		rc = fn(ctx, arg, err);
		if (rc == TN_OK)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();

		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;

		error_from_edata(err, edata);
		if (edata->cursorpos > 0)
			spi_last_cursorpos = edata->cursorpos;
		FreeErrorData(edata);
		rc = err->code;
	}
	PG_END_TRY();

	return rc;
}

/* Open one level of unit of work (begin or savepoint). */
static int
push_level(tn_pg_adapter_ctx *ctx, tn_error *err)
{
	if (ctx->depth >= TN_PG_MAX_NESTING)
		return tn_error_set(err, TN_ERR_TOO_LARGE,
							"too many nested savepoints (at most %d)",
							TN_PG_MAX_NESTING);
	ctx->saved_cxt[ctx->depth] = CurrentMemoryContext;
	ctx->saved_owner[ctx->depth] = CurrentResourceOwner;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(ctx->saved_cxt[ctx->depth]);
	ctx->depth++;
	return TN_OK;
}

/* Close the innermost level: release (commit) or roll back. */
static int
pop_level(tn_pg_adapter_ctx *ctx, bool commit, tn_error *err)
{
	volatile int rc = TN_OK;
	int			 level;

	if (ctx->depth <= 0)
		return tn_error_set(err, TN_ERR_ENGINE,
							"no open unit of work to %s",
							commit ? "release" : "roll back");
	level = --ctx->depth;

	if (!commit)
		RollbackAndReleaseCurrentSubTransaction();
	else
	{
		PG_TRY();
		{
			ReleaseCurrentSubTransaction();
		}
		PG_CATCH();
		{
			ErrorData *edata;

			MemoryContextSwitchTo(ctx->saved_cxt[level]);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			error_from_edata(err, edata);
			FreeErrorData(edata);
			rc = err->code;
		}
		PG_END_TRY();
	}
	MemoryContextSwitchTo(ctx->saved_cxt[level]);
	CurrentResourceOwner = ctx->saved_owner[level];
	return rc;
}

/* ------------------------------------------------------------------ */
/* query                                                               */
/* ------------------------------------------------------------------ */

typedef struct query_args
{
	const char	   *sql;
	int				nparams;
	const tn_value *params;
	tn_row_fn		fn;
	void		   *arg;
	Oid			   *types; /* for variable-parameter parsing */
	int				ntypes;
} query_args;

static void
variable_params_setup(ParseState *pstate, void *arg)
{
	query_args *q = (query_args *) arg;

	setup_parse_variable_parameters(pstate, &q->types, &q->ntypes);
}

/* Execute a prepared plan, on the latest snapshot once the lock is held. */
int
spi_execute_plan(tn_pg_adapter_ctx *ctx, SPIPlanPtr plan, Datum *values,
				 const char *nulls)
{
	if (ctx->locked)
		return SPI_execute_snapshot(plan, values, nulls, GetLatestSnapshot(),
									InvalidSnapshot, false, true, 0);
	return SPI_execute_plan(plan, values, nulls, false, 0);
}

int
spi_failure(tn_error *err, int spi_rc, const char *what)
{
	tn_error_set(err, TN_ERR_ENGINE, "%s failed: %s", what,
				 SPI_result_code_string(spi_rc));
	if (spi_rc == SPI_ERROR_TRANSACTION)
	{
		tn_error_set(err, TN_ERR_ENGINE,
					 "transaction control statements are not allowed here");
		tn_error_detail(err, "tenancy runs each migration in its own savepoint inside the caller's transaction.");
		strlcpy(err->sqlstate, "0A000", sizeof(err->sqlstate));
	}
	else if (spi_rc == SPI_ERROR_COPY)
	{
		tn_error_set(err, TN_ERR_ENGINE,
					 "COPY to or from the client is not allowed here");
		strlcpy(err->sqlstate, "0A000", sizeof(err->sqlstate));
	}
	else
		strlcpy(err->sqlstate, "XX000", sizeof(err->sqlstate));
	return TN_ERR_ENGINE;
}

/*
 * Plans of the core's own statements, kept for the life of the backend
 * (SPI_keepplan), keyed by SQL text and the parameter types they were made
 * with.  A NULL parameter has no type of its own (InvalidOid): it matches a
 * plan of the same statement with any type there, so a statement seen with
 * a NULL and then a value in one place (a history row with and without a
 * version) is planned once, and a NULL is not parsed again to infer its
 * type once the statement has a plan.  The core sends
 * a few dozen distinct statements; parsing and planning them on every call
 * cost most of a no-op tenant_migrate().  Cached plans are revalidated by
 * the plan cache when tables change (DROP/CREATE EXTENSION included).
 * Migration bodies never come through here.  Bounded: schema tenants bring
 * one set of statements per schema, so past PLAN_CACHE_SIZE entries plans
 * are made and freed per call as before.
 */
#define PLAN_CACHE_SIZE		  256
#define PLAN_CACHE_MAX_PARAMS 16

typedef struct cached_plan
{
	char	  *sql;
	int		   nparams;
	Oid		   types[PLAN_CACHE_MAX_PARAMS];
	SPIPlanPtr plan;
} cached_plan;

static cached_plan plan_cache[PLAN_CACHE_SIZE];
static int		   plan_cache_used = 0;

static SPIPlanPtr
plan_cache_lookup(const char *sql, int n, const Oid *types)
{
	int i;

	if (n > PLAN_CACHE_MAX_PARAMS)
		return NULL;
	for (i = 0; i < plan_cache_used; i++)
	{
		cached_plan *c = &plan_cache[i];

		int j;

		if (c->nparams != n || strcmp(c->sql, sql) != 0)
			continue;
		for (j = 0; j < n; j++)
			if (types[j] != InvalidOid && types[j] != c->types[j])
				break;
		if (j == n)
			return c->plan;
	}
	return NULL;
}

/* Keep plan if there is room; returns true if the cache now owns it. */
static bool
plan_cache_store(const char *sql, int n, const Oid *types, SPIPlanPtr plan)
{
	cached_plan *c;

	if (n > PLAN_CACHE_MAX_PARAMS || plan_cache_used >= PLAN_CACHE_SIZE)
		return false;
	if (SPI_keepplan(plan) != 0)
		return false;
	c = &plan_cache[plan_cache_used++];
	c->sql = MemoryContextStrdup(TopMemoryContext, sql);
	c->nparams = n;
	memcpy(c->types, types, sizeof(Oid) * n);
	c->plan = plan;
	return true;
}

/*
 * The core's parameters as SPI's: types, values and nulls.  Returns true
 * when a NULL parameter left a type to infer (InvalidOid).
 */
static bool
bind_params(const query_args *q, Oid *types, Datum *values, char *nulls)
{
	bool untyped = false;

	for (int i = 0; i < q->nparams; i++)
	{
		const tn_value *v = &q->params[i];

		nulls[i] = ' ';
		switch (v->type)
		{
			case TN_T_TEXT:
				types[i] = TEXTOID;
				if (v->text == NULL)
					nulls[i] = 'n';
				else
					values[i] = CStringGetTextDatum(v->text);
				break;
			case TN_T_INT8:
				types[i] = INT8OID;
				values[i] = Int64GetDatum((int64) v->i);
				break;
			case TN_T_BOOL:
				types[i] = BOOLOID;
				values[i] = BoolGetDatum(v->i != 0);
				break;
			case TN_T_NULL:
			default:
				types[i] = InvalidOid; /* inferred from context below */
				nulls[i] = 'n';
				untyped = true;
				break;
		}
	}
	return untyped;
}

/*
 * A NULL parameter has no type of its own: let the parser infer it from
 * where it is used (as PREPARE without types does), so that the plan can
 * then be prepared with the inferred types and run on a given snapshot.
 */
static int
infer_param_types(query_args *q, Oid *types, tn_error *err)
{
	int				  n = q->nparams;
	SPIPrepareOptions opts;
	SPIPlanPtr		  plan;
	int				  i;

	memset(&opts, 0, sizeof(opts));
	q->types = palloc(sizeof(Oid) * n);
	memcpy(q->types, types, sizeof(Oid) * n);
	q->ntypes = n;
	opts.parserSetup = variable_params_setup;
	opts.parserSetupArg = q;
	opts.parseMode = RAW_PARSE_DEFAULT;
	plan = SPI_prepare_extended(q->sql, &opts);
	if (plan == NULL)
		return spi_failure(err, SPI_result, "prepare");
	SPI_freeplan(plan);
	for (i = 0; i < n && i < q->ntypes; i++)
		if (types[i] == InvalidOid)
			types[i] = q->types[i];
	for (i = 0; i < n; i++)
		if (types[i] == InvalidOid || types[i] == UNKNOWNOID)
			types[i] = TEXTOID;
	return TN_OK;
}

/*
 * Hand each row of the result to the core's callback as text cells; the
 * first error it returns stops there.  Frees the result.  Each column's
 * output function is looked up once per result (SPI_getvalue looks it up
 * again for every cell: a syscache search and an fmgr_info per value).
 */
static int
deliver_rows(query_args *q, tn_error *err)
{
	SPITupleTable *tt = SPI_tuptable;
	TupleDesc	   desc = tt->tupdesc;
	int			   ncols = desc->natts;
	const char	 **cells = palloc0(sizeof(char *) * (ncols > 0 ? ncols : 1));
	FmgrInfo	  *out = palloc0(sizeof(FmgrInfo) * (ncols > 0 ? ncols : 1));

	for (int col = 0; col < ncols; col++)
	{
		Oid	 typoutput;
		bool typisvarlena;

		if (TupleDescAttr(desc, col)->attisdropped)
			continue;
		getTypeOutputInfo(TupleDescAttr(desc, col)->atttypid, &typoutput, &typisvarlena);
		fmgr_info(typoutput, &out[col]);
	}
	for (uint64 row = 0; row < tt->numvals; row++)
	{
		int col;
		int rc;

		for (col = 0; col < ncols; col++)
		{
			bool  isnull;
			Datum d;

			cells[col] = NULL;
			if (TupleDescAttr(desc, col)->attisdropped)
				continue;
			d = heap_getattr(tt->vals[row], col + 1, desc, &isnull);
			if (!isnull)
				cells[col] = OutputFunctionCall(&out[col], d);
		}
		rc = q->fn(q->arg, ncols, cells, err);
		for (col = 0; col < ncols; col++)
			if (cells[col])
				pfree((char *) cells[col]);
		if (rc != TN_OK)
		{
			if (err->code == TN_OK)
				tn_error_set(err, rc, "%s", tn_strerror(rc));
			SPI_freetuptable(tt);
			return rc;
		}
	}
	SPI_freetuptable(tt);
	return TN_OK;
}

static int
do_query(tn_pg_adapter_ctx *ctx, void *arg, tn_error *err)
{
	query_args *q = (query_args *) arg;
	int			n = q->nparams;
	Oid		   *types = palloc0(sizeof(Oid) * (n > 0 ? n : 1));
	Datum	   *values = palloc0(sizeof(Datum) * (n > 0 ? n : 1));
	char	   *nulls = palloc0(n + 1);
	Oid		   *given = palloc0(sizeof(Oid) * (n > 0 ? n : 1));
	SPIPlanPtr	plan;
	bool		cached;
	int			rc;
	bool		untyped = bind_params(q, types, values, nulls);

	memcpy(given, types, sizeof(Oid) * n);
	plan = plan_cache_lookup(q->sql, n, given);
	cached = plan != NULL;
	if (plan == NULL && untyped)
	{
		rc = infer_param_types(q, types, err);
		if (rc != TN_OK)
			return rc;
	}
	if (plan == NULL)
	{
		/*
		 * A generic plan at once: the core's statements are key lookups and
		 * single-row writes on small tables, which a custom plan cannot do
		 * better, and the plan cache would otherwise plan each of the first
		 * five executions anew (all five of a five-migration batch).
		 */
		plan = SPI_prepare_cursor(q->sql, n, types, CURSOR_OPT_GENERIC_PLAN);
		if (plan == NULL)
			return spi_failure(err, SPI_result, "prepare");
		cached = plan_cache_store(q->sql, n, types, plan); /* the types it was made with */
	}
	rc = spi_execute_plan(ctx, plan, values, nulls);
	if (rc < 0)
		return spi_failure(err, rc, "query");

	rc = TN_OK;
	if (q->fn != NULL && SPI_tuptable != NULL)
		rc = deliver_rows(q, err);
	else if (SPI_tuptable != NULL)
		SPI_freetuptable(SPI_tuptable);
	if (!cached)
		SPI_freeplan(plan);
	return rc;
}

static int
pg_query(void *vctx, const char *sql, int nparams, const tn_value *params,
		 tn_row_fn fn, void *arg, tn_error *err)
{
	tn_pg_adapter_ctx *ctx = CTX(vctx);
	MemoryContext	   old;
	query_args		   q;
	int				   rc;

	if (sql == NULL || nparams < 0 || (nparams > 0 && params == NULL))
		return tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
							"invalid query call from the core");
	memset(&q, 0, sizeof(q));
	q.sql = sql;
	q.nparams = nparams;
	q.params = params;
	q.fn = fn;
	q.arg = arg;

	old = MemoryContextSwitchTo(ctx->query_cxt);
	ctx->query_depth++;
	rc = spi_run_in_subxact(ctx, do_query, &q, err);
	ctx->query_depth--;
	MemoryContextSwitchTo(old);
	if (ctx->query_depth == 0)
		MemoryContextReset(ctx->query_cxt);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Units of work                                                       */
/* ------------------------------------------------------------------ */

static int
do_lock(tn_pg_adapter_ctx *ctx, void *arg pg_attribute_unused(),
		tn_error *err pg_attribute_unused())
{
	LOCKTAG tag;

	/* a schema tenant: its own key, apart from the database's */
	if (ctx->has_lock_key)
		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) ((uint64) ctx->lock_key >> 32),
							 (uint32) ctx->lock_key, TN_PG_LOCK_FIELD4);
	else
		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, TN_PG_LOCK_KEY, (uint32) MyDatabaseId, TN_PG_LOCK_FIELD4);
	/* transaction-scoped, honours lock_timeout (55P03), as pg_advisory_xact_lock */
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	return TN_OK;
}

static int
pg_begin(void *vctx, tn_error *err)
{
	tn_pg_adapter_ctx *ctx = CTX(vctx);
	int				   rc;

	if (ctx->depth != 0)
		return tn_error_set(err, TN_ERR_ENGINE,
							"a tenancy unit of work is already open");

	/*
	 * The lock is taken in its own subtransaction which is released, so it
	 * belongs to the caller's transaction and survives a rollback of the
	 * batch: it is held until the rows are committed or discarded.
	 */
	rc = spi_run_in_subxact(ctx, do_lock, NULL, err);
	if (rc != TN_OK)
	{
		if (strcmp(err->sqlstate, "55P03") == 0)
		{
			/* Same words as the SQLite host's busy error. */
			tn_error_set(err, TN_ERR_BUSY,
						 "database is locked by another connection");
			tn_error_detail(err, "Waited for the tenancy lock of this database until lock_timeout ran out.");
			tn_error_hint(err, "Retry when the other connection is done, or raise lock_timeout.");
		}
		return err->code;
	}
	ctx->locked = true;
	return push_level(ctx, err);
}

static int
pg_commit(void *vctx, tn_error *err)
{
	tn_pg_adapter_ctx *ctx = CTX(vctx);

	if (ctx->depth != 1)
		return tn_error_set(err, TN_ERR_ENGINE,
							"commit with %d savepoints still open",
							ctx->depth - 1);
	return pop_level(ctx, true, err);
}

static int
pg_rollback(void *vctx, tn_error *err)
{
	tn_pg_adapter_ctx *ctx = CTX(vctx);
	int				   rc = TN_OK;

	if (ctx->depth <= 0)
		return tn_error_set(err, TN_ERR_ENGINE,
							"no open unit of work to roll back");
	while (ctx->depth > 0 && rc == TN_OK)
		rc = pop_level(ctx, false, err);
	return rc;
}

static int
pg_savepoint(void *vctx, tn_error *err)
{
	tn_pg_adapter_ctx *ctx = CTX(vctx);

	if (ctx->depth <= 0)
		return tn_error_set(err, TN_ERR_ENGINE,
							"savepoint outside a unit of work");
	return push_level(ctx, err);
}

static int
pg_release(void *vctx, tn_error *err)
{
	tn_pg_adapter_ctx *ctx = CTX(vctx);

	if (ctx->depth <= 1)
		return tn_error_set(err, TN_ERR_ENGINE, "no savepoint to release");
	return pop_level(ctx, true, err);
}

static int
pg_rollback_to(void *vctx, tn_error *err)
{
	tn_pg_adapter_ctx *ctx = CTX(vctx);

	if (ctx->depth <= 1)
		return tn_error_set(err, TN_ERR_ENGINE, "no savepoint to roll back to");
	return pop_level(ctx, false, err);
}

static int
pg_interrupted(void *vctx pg_attribute_unused())
{
	return InterruptPending && (QueryCancelPending || ProcDiePending);
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

void
tn_pg_adapter_init(tn_adapter *a, tn_pg_adapter_ctx *ctx,
				   const char *caller_search_path)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->mcxt = CurrentMemoryContext;
	ctx->query_cxt = AllocSetContextCreate(CurrentMemoryContext,
										   "tenancy query",
										   ALLOCSET_DEFAULT_SIZES);
	ctx->caller_search_path = caller_search_path;

	memset(a, 0, sizeof(*a));
	a->ctx = ctx;
	a->engine = "postgres";
	a->dialect = TN_DIALECT_POSTGRES;
	a->table_prefix = TN_POSTGRES_TABLE_PREFIX;
	a->query = pg_query;
	a->exec_script = spi_exec_script;
	a->begin = pg_begin;
	a->commit = pg_commit;
	a->rollback = pg_rollback;
	a->savepoint = pg_savepoint;
	a->release = pg_release;
	a->rollback_to = pg_rollback_to;
	a->exec_outside_transaction = NULL; /* a function cannot leave its txn */
	a->snapshot_save = NULL;			/* no whole-database copy inside a txn */
	a->snapshot_restore = NULL;
	a->snapshot_drop = NULL;
	a->interrupted = pg_interrupted;
}

void
tn_pg_adapter_use_schema(tn_adapter *a, tn_pg_adapter_ctx *ctx,
						 const char *schema)
{
	const char *q = quote_identifier(schema);
	uint32		h = hash_bytes((const unsigned char *) schema, (int) strlen(schema));

	/* its tracking rows: tenancy's shared tables, or (before 1.4) its own */
	a->table_prefix = tn_pg_schema_tracking_begin(ctx, schema);
	ctx->caller_search_path = psprintf("%s, pg_catalog, pg_temp", q);
	ctx->has_lock_key = true;
	ctx->lock_key = (int64) (((uint64) MyDatabaseId << 32) | (uint64) h);
}

int
tn_pg_adapter_finish(tn_pg_adapter_ctx *ctx, int rc, tn_error *err)
{
	int left = ctx->depth;

	while (ctx->depth > 0)
	{
		tn_error ignored;

		tn_error_clear(&ignored);
		(void) pop_level(ctx, false, &ignored);
	}
	tn_pg_schema_tracking_end(ctx);
	if (left > 0 && rc == TN_OK)
	{
		rc = tn_error_set(err, TN_ERR_ENGINE,
						  "tenancy core left %d unit(s) of work open", left);
		strlcpy(err->sqlstate, "XX000", sizeof(err->sqlstate));
	}
	return rc;
}

char *
tn_pg_caller_search_path(void)
{
	/* search_path's record: a built-in variable, so it never moves */
	static struct config_generic *search_path_var = NULL;
	const char					 *current = GetConfigOption("search_path", false, false);

	/*
	 * Our functions carry SET search_path = pg_catalog, pg_temp, applied by
	 * fmgr before we run; the value it replaced is the top of the GUC stack.
	 */
	if (current != NULL && strcmp(current, "pg_catalog, pg_temp") == 0)
	{
		if (search_path_var == NULL)
		{
			struct config_generic **vars = get_guc_variables();
			int						n = GetNumConfigOptions();

			for (int i = 0; i < n && search_path_var == NULL; i++)
				if (vars[i]->vartype == PGC_STRING && strcmp(vars[i]->name, "search_path") == 0)
					search_path_var = vars[i];
		}
		if (search_path_var != NULL && search_path_var->stack != NULL &&
			search_path_var->stack->prior.val.stringval != NULL)
			return pstrdup(search_path_var->stack->prior.val.stringval);
	}
	return pstrdup(current ? current : "");
}
