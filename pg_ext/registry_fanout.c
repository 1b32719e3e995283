/*
 * registry_fanout.c -- the SQL entry points that run one thing in every
 * tenant: tenant_migrate_all, tenant_dry_run_all, tenant_query_all and
 * tenant_verify_all (each over every tenant or the tenants named).
 *
 * Each reads the registry and the tenant set over SPI, hands the tenants
 * to the libpq fan-out driver (libpq_fanout.c), and turns each tenant's
 * outcome into a result row as it finishes.  tenant_migrate_all also keeps
 * the run's record (registry_runs.c) and finishes atomic runs a dead
 * caller left first (registry_recover.c); tenant_verify_all refreshes the
 * registry's cached state of each tenant.
 *
 * Must not: decide a tenant's status, a run's status or a verify row (the
 * core does: tn_fanout_row, tn_fanout_run_status, tn_verify_all_row), or
 * talk to a tenant itself (the driver does).
 */
#include "postgres.h"

#include "executor/spi.h"
#include "catalog/pg_type.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "registry_internal.h"
#include "tn_raise.h"

PG_FUNCTION_INFO_V1(tenant_migrate_all);
PG_FUNCTION_INFO_V1(tenant_dry_run_all);
PG_FUNCTION_INFO_V1(tenant_query_all);
PG_FUNCTION_INFO_V1(tenant_verify_all);
PG_FUNCTION_INFO_V1(tenant_rollback_all);

/* One call of a fan-out entry point. */
typedef struct fanout_call
{
	reg_run			 run;
	fo_job			 job;
	tn_migration_set set;
	char			*target;		  /* migrate / dry run: NULL = newest */
	char			*sql;			  /* query: the statement to run */
	ArrayType		*subset;		  /* tenants text[]: NULL = every tenant */
	char			 run_target[200]; /* rollback: the run's target words */
	char			*text;			  /* the set's transport */
	fo_tenant		*ts;
	int				 n;
} fanout_call;

/* ------------------------------------------------------------------ */
/* Each tenant's outcome                                               */
/* ------------------------------------------------------------------ */

/*
 * A tenant's verify row: built in the tenant by the core (verify_synced),
 * or here by the core for a tenant that could not be reached.  The
 * registry's cached state follows (in the caller's transaction).
 */
static void
verify_done(reg_run *run, const fo_tenant *t, fo_outcome *out)
{
	char	   *row[6];
	const char *v[6];

	row[0] = (char *) t->name;
	if (out->rc == TN_OK)
	{
		for (int c = 0; c < 5; c++)
			row[c + 1] = out->cells[c];
	}
	else
	{
		tn_rows	 rows;
		tn_error err;

		tn_error_clear(&err);
		tn_rows_init(&rows, tn_def_verify_all.ncols);
		if (tn_verify_all_row(NULL, t->name, NULL, &out->err, &rows, &err) != TN_OK)
			tn_raise_failure(&err);
		for (int c = 1; c < 6; c++)
		{
			const char *x = tn_rows_get(&rows, 0, c);

			row[c] = x ? pstrdup(x) : NULL;
		}
		tn_rows_free(&rows);
	}
	tn_pg_srf_put(&run->srf, row);

	/* refresh the cache: version (when known), pending, state, last_error */
	v[0] = t->name;
	v[1] = row[1];
	v[2] = row[2];
	v[3] = row[2] ? reg_version_key(row[2]) : NULL;
	v[4] = row[3];
	v[5] = strcmp(row[1], TN_VERIFY_OK) == 0 ? NULL : row[5];
	/* written with its slice of tenants, in this transaction (registry_verify_batch.c) */
	reg_verify_later(run, v);
	run->done_count++;
}

/* One query row, (tenant, row as jsonb text), stored as it arrives. */
static void
query_row(void *arg, const fo_tenant *t, const char *json)
{
	reg_run *run = arg;
	char	*vals[2] = { (char *) t->name, (char *) json };

	tn_pg_srf_put(&run->srf, vals);
}

/* A tenant's query ended: a failure is the core's error row. */
static void
query_done(reg_run *run, const fo_tenant *t, fo_outcome *out)
{
	if (out->rc != TN_OK)
	{
		/* the core's error row, as on SQLite: an aggregate sees the failure */
		tn_buf json = { 0 };
		char  *vals[2] = { (char *) t->name, NULL };

		if (tn_query_all_error_json(&json, &out->err) != TN_OK)
		{
			tn_buf_free(&json);
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		}
		vals[1] = pstrdup(json.data);
		tn_buf_free(&json);
		tn_pg_srf_put(&run->srf, vals);
		run->failed++;
	}
}

/* A migrated (or dry-run) tenant: the core's row, the record, a progress line. */
static void
migrate_done(reg_run *run, const fo_tenant *t, fo_outcome *out)
{
	tn_rows rows;
	char   *row[8];
	char	line[TN_MESSAGE_MAX + 200];

	/* the core names the status and renders the error */
	tn_rows_init(&rows, tn_def_migrate_all.ncols);
	if ((run->mode == FO_ROLLBACK
			 ? tn_rollback_all_row(&rows, t->name, out->rc, &out->res, &out->err, out->duration_ms)
			 : tn_fanout_row(&rows, t->name, out->rc, &out->res, &out->err, out->duration_ms)) != TN_OK)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	/* in the fan-out's turn context: gone when the next turn starts */
	for (int c = 0; c < 8; c++)
	{
		const char *v = tn_rows_get(&rows, 0, c);

		row[c] = v ? pstrdup(v) : NULL;
	}
	tn_rows_free(&rows);
	tn_pg_srf_put(&run->srf, row);

	if (out->rc == TN_OK && run->ok_names != NULL)
		appendStringInfo(run->ok_names, "%s%s", run->ok_names->len ? "\n" : "", t->name);
	if (out->rc == TN_OK)
		run->applied += out->res.applied;
	else if (strcmp(row[1], TN_FANOUT_UNREACHABLE) == 0)
		run->unreachable++;
	else
		run->failed++;
	/* a mere check waits for its slice; anything applied or failed is written at once */
	if (run->control && !reg_record_tenant_later(run, t->name, row, out))
		reg_record_tenant(run, t->name, row, out);
	run->done_count++;
	tn_fanout_progress(line, sizeof(line), run->done_count, run->total,
					   t->name, row[1], out->res.applied, out->duration_ms,
					   out->rc != TN_OK ? out->err.message : NULL);
	ereport(NOTICE, (errmsg_internal("%s", line)));
}

static void
run_done(void *arg, int index pg_attribute_unused(), const fo_tenant *t, fo_outcome *out)
{
	reg_run *run = arg;

	if (run->mode == FO_QUERY)
		query_done(run, t, out);
	else if (run->mode == FO_VERIFY)
		verify_done(run, t, out);
	else
		migrate_done(run, t, out);
}

/* ------------------------------------------------------------------ */
/* The steps of one call                                               */
/* ------------------------------------------------------------------ */

/* tenants text[] at argument n: NULL (or not passed) = every tenant */
static ArrayType *
arg_subset(FunctionCallInfo fcinfo, int n)
{
	return PG_NARGS() > n && !PG_ARGISNULL(n) ? PG_GETARG_ARRAYTYPE_P(n) : NULL;
}

/* The result and the arguments, by mode. */
static void
begin_call(FunctionCallInfo fcinfo, fo_mode mode, fanout_call *fc)
{
	memset(fc, 0, sizeof(*fc));
	fc->run.mode = mode;
	fc->job.mode = mode;
	tn_pg_srf_begin(fcinfo,
					mode == FO_VERIFY ? &tn_def_verify_all : mode == FO_QUERY ? NULL
																			  : &tn_def_migrate_all,
					&fc->run.srf);

	if (mode == FO_QUERY)
	{
		char  *q = tn_pg_arg_required(fcinfo, 0, "sql");
		size_t len = strlen(q);

		/* none, several or a writing statement: refused for the whole call, as on SQLite */
		reg_check_query(q);
		while (len > 0 && (q[len - 1] == ';' || q[len - 1] == ' ' || q[len - 1] == '\n'))
			q[--len] = '\0';
		/* one statement (extended protocol), in a read-only session */
		fc->sql = psprintf("SELECT pg_catalog.to_jsonb(q)::text FROM (%s\n) AS q", q); /* \n: a closing -- comment */
		fc->job.concurrency = tn_pg_arg_concurrency(fcinfo, 1);
		fc->subset = arg_subset(fcinfo, 2);
	}
	else if (mode == FO_VERIFY)
	{
		fc->job.concurrency = tn_pg_arg_concurrency(fcinfo, 0);
		fc->subset = arg_subset(fcinfo, 1);
	}
	else if (mode != FO_ROLLBACK)
	{
		fc->target = tn_pg_arg_text(fcinfo, 0);
		fc->job.concurrency = tn_pg_arg_concurrency(fcinfo, 1);
		if (mode == FO_MIGRATE)
		{
			fc->job.max_failures = tn_pg_arg_max_failures(fcinfo, 2);
			fc->subset = arg_subset(fcinfo, 3);
		}
		else
			fc->subset = arg_subset(fcinfo, 2);
	}
	if (mode == FO_ROLLBACK)
	{
		fc->target = tn_pg_arg_required(fcinfo, 0, "checkpoint_or_version");
		fc->job.concurrency = tn_pg_arg_concurrency(fcinfo, 1);
		fc->subset = arg_subset(fcinfo, 2);
		fc->job.max_failures = tn_pg_arg_max_failures(fcinfo, 3);
	}
}

/*
 * tenants text[]: the core picks the tenants to run and their order
 * (tn_tenant_subset: every name a registered tenant, none twice, canary
 * first); fc->ts then holds exactly those.
 */
static void
pick_subset(fanout_call *fc)
{
	Datum	  *elems;
	bool	  *nulls;
	int		   nwanted;
	tn_rows	   all, wanted;
	size_t	  *order = palloc0(sizeof(size_t) * (fc->n + 1));
	size_t	   n = 0;
	fo_tenant *picked;
	tn_error   err;
	int		   rc = TN_OK;

	deconstruct_array(fc->subset, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nwanted);
	tn_error_clear(&err);
	tn_rows_init(&all, 1);
	tn_rows_init(&wanted, 1);
	for (int i = 0; rc == TN_OK && i < fc->n; i++)
	{
		const char *row[1] = { fc->ts[i].name };

		rc = tn_rows_add(&all, row);
	}
	for (int i = 0; rc == TN_OK && i < nwanted; i++)
	{
		const char *row[1] = { nulls[i] ? NULL : TextDatumGetCString(elems[i]) };

		rc = tn_rows_add(&wanted, row);
	}
	if (rc != TN_OK)
		tn_error_set(&err, TN_ERR_NO_MEMORY, "out of memory");
	else
		rc = tn_tenant_subset(&all, &wanted, order, &n, &err);
	tn_rows_free(&all);
	tn_rows_free(&wanted);
	if (rc != TN_OK)
	{
		tn_migration_set_free(&fc->set);
		tn_raise(&err);
	}
	picked = palloc0(sizeof(fo_tenant) * (n + 1));
	for (size_t k = 0; k < n; k++)
		picked[k] = fc->ts[order[k]];
	fc->ts = picked;
	fc->n = (int) n;
}

/*
 * Inside SPI: the run lock and recovery (migrate), the set and the target
 * (all but query), and the tenants to run (every one).
 */
static void
load_call(fanout_call *fc)
{
	fo_mode mode = fc->run.mode;
	char   *key = NULL;

	if (mode == FO_MIGRATE || mode == FO_ROLLBACK)
	{
		/* one migrating run at a time: a second caller waits here */
		reg_lock_runs();
		/* an atomic run whose caller died between its two phases ends first */
		reg_recover_atomic_runs();
	}
	if (mode == FO_ROLLBACK)
	{
		const char *version, *checkpoint;
		tn_error	err;

		/* the core reads the argument against the set; a refusal changes nothing */
		reg_load_set(&fc->set);
		tn_error_clear(&err);
		if (tn_rollback_all_arg(&fc->set, fc->target, &version, &checkpoint, &err) != TN_OK)
		{
			tn_migration_set_free(&fc->set);
			tn_raise(&err);
		}
		tn_rollback_all_run_target(fc->run_target, sizeof(fc->run_target), version, checkpoint);
		fc->target = pstrdup(version ? version : checkpoint);
		fc->text = reg_encode_set(&fc->set);
	}
	else if (mode != FO_QUERY)
	{
		fc->target = reg_run_target(fc->target);
		reg_load_set(&fc->set);
		fc->text = reg_encode_set(&fc->set);
		key = reg_version_key(fc->target ? fc->target : tn_set_newest(&fc->set));
	}
	/*
	 * Every tenant, always: the registry's cached version can be stale (a
	 * tenant_rollback() run inside a tenant), so a cache never decides who
	 * is skipped.  An up-to-date tenant costs one round trip, and its
	 * last_run says when it was last checked (issue 9, registry truth).
	 */
	fc->ts = reg_load_tenants(false, key ? key : "", &fc->n);
	if (fc->subset != NULL)
		pick_subset(fc);
	fc->run.total = fc->n;
}

/* Tenants never started after max_failures are reported as skipped. */
static void
report_skipped(fanout_call *fc)
{
	for (int i = fc->job.finished; i < fc->n; i++)
		reg_put_skipped(&fc->run.srf, fc->ts[i].name, NULL);
}

/* The run's final status, written durably; the control connection goes. */
static void
close_run(fanout_call *fc)
{
	reg_run	 *run = &fc->run;
	PGresult *res;
	tn_error  err;

	/* the checked tenants' last rows, before the status that ends the run */
	reg_flush_tenants(run);
	tn_error_clear(&err);
	res = tn_lpq_exec(run->control, "SET synchronous_commit = on", 0, NULL, &err);
	if (res)
		PQclear(res);
	reg_run_status(run, tn_fanout_run_status(run->failed, run->unreachable, fc->job.stopped_early, 0), true, false);
	tn_lpq_finish(run->control);
	run->control = NULL;
}

/*
 * Cancelled or failed: the run is marked without waiting (the server runs
 * the statement before it reads the close), then the connection goes.
 */
static void
cancel_run(reg_run *run)
{
	if (run->control == NULL)
		return;
	/* the waiting rows of checked tenants go unwritten: they claim no work */
	reg_forget_tenants(run);
	reg_run_status_nowait(run, "cancelled", true);
	tn_lpq_finish(run->control);
}

/* Open the record (migrate), run every tenant, report, close the record. */
static void
run_call(fanout_call *fc)
{
	fo_mode mode = fc->run.mode;

	if (mode == FO_MIGRATE || mode == FO_ROLLBACK)
	{
		/* runs of killed callers are closed first */
		reg_close_killed_runs();
		reg_open_run(&fc->run, mode == FO_ROLLBACK ? fc->run_target : fc->target, fc->n, "running", true);
	}
	fc->job.tenants = fc->ts;
	fc->job.ntenants = fc->n;
	fc->job.target = fc->target;
	fc->job.set = &fc->set;
	fc->job.set_text = fc->text;
	fc->job.sql = fc->sql;
	fc->job.options = mode == FO_QUERY
						  ? psprintf("%s -c default_transaction_read_only=on", fo_timeout_options())
						  : fo_timeout_options();
	fc->job.done = run_done;
	fc->job.row = query_row;
	fc->job.arg = &fc->run;
	/* a run to the newest version applies every new or changed repeatable (issue 9) */
	fc->run.ok_names = mode == FO_MIGRATE && fc->target == NULL ? makeStringInfo() : NULL;
	fo_run(&fc->job);
	if (mode == FO_VERIFY)
		reg_verify_flush(&fc->run);
	if (fc->run.ok_names != NULL && fc->run.ok_names->len > 0)
		reg_record_set_repeatables(fc->run.ok_names->data, &fc->set);

	if ((mode == FO_MIGRATE || mode == FO_ROLLBACK) && fc->job.stopped_early)
		report_skipped(fc);
	if (fc->run.control)
		close_run(fc);
}

static Datum
fanout_entry(FunctionCallInfo fcinfo, fo_mode mode)
{
	fanout_call fc;

	begin_call(fcinfo, mode, &fc);
	reg_spi_connect();
	fc.run.has_last_checked = reg_has_last_checked();
	load_call(&fc);
	PG_TRY();
	{
		run_call(&fc);
	}
	PG_CATCH();
	{
		cancel_run(&fc.run);
		tn_migration_set_free(&fc.set);
		PG_RE_THROW();
	}
	PG_END_TRY();
	tn_migration_set_free(&fc.set);
	SPI_finish();
	return (Datum) 0;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

/* tenant_migrate_all(target DEFAULT NULL, concurrency DEFAULT NULL, max_failures DEFAULT NULL, tenants DEFAULT NULL) */
Datum
tenant_migrate_all(PG_FUNCTION_ARGS)
{
	return fanout_entry(fcinfo, FO_MIGRATE);
}

/* tenant_dry_run_all(target DEFAULT NULL, concurrency DEFAULT NULL, tenants DEFAULT NULL) */
Datum
tenant_dry_run_all(PG_FUNCTION_ARGS)
{
	return fanout_entry(fcinfo, FO_DRY_RUN);
}

/* tenant_query_all(sql, concurrency DEFAULT NULL, tenants DEFAULT NULL) -> (tenant, row jsonb) */
Datum
tenant_query_all(PG_FUNCTION_ARGS)
{
	return fanout_entry(fcinfo, FO_QUERY);
}

/* tenant_verify_all(concurrency DEFAULT NULL, tenants DEFAULT NULL) -> rows of tn_def_verify_all */
Datum
tenant_verify_all(PG_FUNCTION_ARGS)
{
	return fanout_entry(fcinfo, FO_VERIFY);
}

/* tenant_rollback_all(checkpoint_or_version, concurrency DEFAULT NULL, tenants DEFAULT NULL, max_failures DEFAULT NULL) */
Datum
tenant_rollback_all(PG_FUNCTION_ARGS)
{
	return fanout_entry(fcinfo, FO_ROLLBACK);
}
