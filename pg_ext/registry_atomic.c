/*
 * registry_atomic.c -- tenant_migrate_all_atomic: every behind tenant
 * migrated, or none, by two-phase commit.
 *
 * Phase 1 runs each behind tenant's batch in a transaction and PREPAREs
 * it as tenancy_<run_id>_<tenant> (tn_atomic_gid); the first failure stops
 * starting new tenants.  The decision (committing / aborting) is written
 * to tenancy.runs over the autocommit control connection before phase 2
 * sends COMMIT or ROLLBACK PREPARED to every prepared tenant.  A caller
 * that dies in between leaves the record: reg_recover_atomic_runs()
 * (registry_recover.c), run by the next tenant_migrate_all or
 * tenant_migrate_all_atomic under the run lock, commits what the record
 * says committing and rolls back the rest.
 *
 * Must not: change anything before the preflight has passed, send phase 2
 * before the decision is durable, or decide a row's words (tn_atomic_row).
 */
#include "postgres.h"

#include <stdlib.h>

#include "access/twophase.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/guc.h"

#include "citus.h"
#include "registry_internal.h"
#include "tn_raise.h"

PG_FUNCTION_INFO_V1(tenant_migrate_all_atomic);

/* One tenant of the run, as phases 1 and 2 left it. */
typedef struct atomic_tenant
{
	bool	  finished;
	int		  rc;
	tn_error  err;
	char	  from_version[TN_MAX_VERSION_LEN + 1];
	char	  to_version[TN_MAX_VERSION_LEN + 1];
	long long applied;
	long long ms;
	bool	  finish_failed; /* phase 2 did not reach it */
	tn_error  finish_err;
} atomic_tenant;

/* One call of tenant_migrate_all_atomic. */
typedef struct atomic_call
{
	reg_run			 run;
	tn_migration_set set;
	char			*target; /* NULL = newest */
	char			*text;	 /* the set's transport */
	int				 concurrency;
	fo_tenant		*ts; /* the behind tenants */
	int				 n;
	atomic_tenant	*at;			/* per tenant of ts */
	int				 done;			/* tenants through phase 1 */
	const char		*failed_tenant; /* the first that failed in phase 1 */
	bool			 commit;		/* the decision */
	fo_tenant		*prepared;		/* phase 2's tenants */
	int				*map;			/* phase 2 index -> tenant index */
	int				 nprepared;
} atomic_call;

/* ------------------------------------------------------------------ */
/* Before any change                                                   */
/* ------------------------------------------------------------------ */

/* No no-transaction migration may be in range of a behind tenant. */
static void
refuse_no_transaction(const tn_migration_set *set, const char *target)
{
	for (size_t i = 0; i < set->count; i++)
	{
		const tn_migration *m = &set->items[i];
		const char		   *v[1];

		if (target && tn_version_compare(m->version, target) > 0)
			break;
		if (!(m->flags & TN_MIG_NO_TRANSACTION))
			continue;
		v[0] = reg_version_key(m->version);
		reg_spi_run("SELECT name FROM tenancy.tenants WHERE version_key IS NULL OR version_key < $1 ORDER BY name LIMIT 1", 1, v);
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("migration \"%s\" cannot run atomically", m->version),
					 errdetail("It must run outside a transaction, so it cannot be part of a prepared transaction; tenant \"%s\" has not applied it yet.",
							   reg_spi_value(0, 1)),
					 errhint("Run tenant_migrate_all('%s') first, then tenant_migrate_all_atomic() for the rest.",
							 m->version)));
	}
}

/* max_prepared_transactions of a tenant's server (location NULL: this one). */
static int
server_max_prepared(const char *location, const char *dbname)
{
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res;
	int			max_prepared;

	if (location == NULL)
		return max_prepared_xacts;
	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = location;
	o.dbname = dbname;
	conn = tn_lpq_connect(&o, &err);
	if (conn == NULL)
	{
		tn_error_detail_append(&err, "An atomic run needs every tenant; nothing was changed.");
		tn_raise_failure(&err);
	}
	res = tn_lpq_exec(conn, "SELECT pg_catalog.current_setting('max_prepared_transactions')::int", 0, NULL, &err);
	if (res == NULL)
	{
		tn_lpq_finish(conn);
		tn_raise_failure(&err);
	}
	max_prepared = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	tn_lpq_finish(conn);
	return max_prepared;
}

/* Every server must allow as many prepared transactions as it has tenants here. */
static void
refuse_too_few_prepared(const fo_tenant *ts, int n)
{
	typedef struct server
	{
		const char *location;
		const char *dbname;
		const char *first;
		int			count;
	} server;
	server *servers = palloc0(sizeof(server) * n);
	int		nservers = 0;

	for (int i = 0; i < n; i++)
	{
		int s;

		for (s = 0; s < nservers; s++)
			if ((servers[s].location == NULL) == (ts[i].location == NULL) &&
				(ts[i].location == NULL || strcmp(servers[s].location, ts[i].location) == 0))
				break;
		if (s == nservers)
		{
			servers[s].location = ts[i].location;
			servers[s].dbname = ts[i].dbname;
			servers[s].first = ts[i].name;
			nservers++;
		}
		servers[s].count++;
	}
	for (int s = 0; s < nservers; s++)
	{
		int max_prepared = server_max_prepared(servers[s].location, servers[s].dbname);

		if (max_prepared == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("prepared transactions are disabled on the server of tenant \"%s\"", servers[s].first),
					 errdetail("tenant_migrate_all_atomic() prepares one transaction per tenant; max_prepared_transactions is 0 there. Nothing was changed."),
					 errhint("SET max_prepared_transactions in that server's postgresql.conf (at least %d) and restart it.",
							 servers[s].count)));
		if (max_prepared < servers[s].count)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("too few prepared transactions on the server of tenant \"%s\"", servers[s].first),
					 errdetail("%d tenants there are behind, but max_prepared_transactions is %d. Nothing was changed.",
							   servers[s].count, max_prepared),
					 errhint("Raise max_prepared_transactions in that server's postgresql.conf to at least %d and restart it.",
							 servers[s].count)));
	}
}

/*
 * The core's plan must accept the target; then the behind tenants, and
 * the preflight over them.  Inside SPI; raises before any change.
 */
static void
plan_call(atomic_call *ac)
{
	tn_fanout_step *steps;
	size_t			nsteps;
	tn_error		err;
	char		   *key;

	tn_error_clear(&err);
	if (tn_fanout_plan(&ac->set, ac->target, &steps, &nsteps, &err) != TN_OK)
		tn_raise_failure(&err);
	free(steps);
	key = reg_version_key(ac->target ? ac->target : tn_set_newest(&ac->set));
	ac->ts = reg_load_tenants(false, key ? key : "", &ac->n);
	if (ac->n > 0)
	{
		refuse_no_transaction(&ac->set, ac->target);
		/* a distributed schema on Citus cannot be prepared (citus.c) */
		tn_pg_citus_refuse_atomic(ac->ts, ac->n);
		refuse_too_few_prepared(ac->ts, ac->n);
	}
}

/* ------------------------------------------------------------------ */
/* The two phases                                                      */
/* ------------------------------------------------------------------ */

static void
prepare_done(void *arg, int index, const fo_tenant *t, fo_outcome *out)
{
	atomic_call	  *ac = arg;
	atomic_tenant *a = &ac->at[index];
	char		   line[TN_MESSAGE_MAX + 200];

	a->finished = true;
	a->rc = out->rc;
	a->err = out->err;
	snprintf(a->from_version, sizeof(a->from_version), "%s", out->res.from_version);
	snprintf(a->to_version, sizeof(a->to_version), "%s", out->res.to_version);
	a->applied = out->res.applied;
	a->ms = out->duration_ms;
	if (out->rc != TN_OK && ac->failed_tenant == NULL)
		ac->failed_tenant = t->name;
	ac->done++;
	tn_fanout_progress(line, sizeof(line), ac->done, ac->n, t->name,
					   out->rc == TN_OK ? "prepared" : TN_FANOUT_FAILED, out->res.applied,
					   out->duration_ms, out->rc != TN_OK ? out->err.message : NULL);
	ereport(NOTICE, (errmsg_internal("%s", line)));
}

static void
finish_done(void *arg, int index, const fo_tenant *t pg_attribute_unused(), fo_outcome *out)
{
	atomic_call	  *ac = arg;
	atomic_tenant *a = &ac->at[ac->map[index]];

	if (out->rc != TN_OK)
	{
		a->finish_failed = true;
		a->finish_err = out->err;
	}
}

/* Test hook: tenancy.test_atomic_pause = 'prepared' | 'committing' waits 60 s there. */
static void
atomic_test_pause(const char *where)
{
	const char *v = GetConfigOption("tenancy.test_atomic_pause", true, false);

	if (v == NULL || strcmp(v, where) != 0)
		return;
	ereport(NOTICE, (errmsg_internal("tenancy test pause: %s", where)));
	for (int i = 0; i < 600; i++)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Phase 1: prepare everywhere, stop starting tenants at the first
 * failure.  Decides commit, and which tenants phase 2 finishes.
 */
static void
prepare_all(atomic_call *ac)
{
	fo_job job;

	memset(&job, 0, sizeof(job));
	job.mode = FO_PREPARE;
	job.tenants = ac->ts;
	job.ntenants = ac->n;
	job.concurrency = ac->concurrency;
	job.max_failures = 1;
	job.target = ac->target;
	job.set = &ac->set;
	job.set_text = ac->text;
	job.options = fo_timeout_options();
	job.run_id = ac->run.run_id;
	job.done = prepare_done;
	job.arg = ac;
	fo_run(&job);

	ac->commit = ac->failed_tenant == NULL && job.finished == ac->n;
	ac->prepared = palloc0(sizeof(fo_tenant) * ac->n);
	ac->map = palloc0(sizeof(int) * ac->n);
	for (int i = 0; i < ac->n; i++)
		if (ac->at[i].finished && ac->at[i].rc == TN_OK)
		{
			ac->map[ac->nprepared] = i;
			ac->prepared[ac->nprepared++] = ac->ts[i];
		}
}

/* The decision, durable before phase 2. */
static void
record_decision(atomic_call *ac)
{
	atomic_test_pause("prepared");
	reg_run_status(&ac->run, ac->commit ? TN_RUN_COMMITTING : TN_RUN_ABORTING, false, true);
}

/* Phase 2: COMMIT or ROLLBACK PREPARED in every prepared tenant. */
static void
finish_all(atomic_call *ac)
{
	fo_job job;

	ereport(NOTICE,
			(errmsg_internal("%s %d prepared tenants", ac->commit ? "committing" : "rolling back",
							 ac->nprepared)));
	atomic_test_pause("committing");
	if (ac->nprepared == 0)
		return;
	memset(&job, 0, sizeof(job));
	job.mode = FO_FINISH;
	job.tenants = ac->prepared;
	job.ntenants = ac->nprepared;
	job.concurrency = ac->concurrency;
	job.options = fo_timeout_options();
	job.run_id = ac->run.run_id;
	job.commit = ac->commit;
	job.done = finish_done;
	job.arg = ac;
	fo_run(&job);
}

/* ------------------------------------------------------------------ */
/* Rows, the registry, the run                                         */
/* ------------------------------------------------------------------ */

/* A tenant phase 1 never started. */
static void
report_skipped(atomic_call *ac, int i)
{
	reg_put_skipped(&ac->run.srf, ac->ts[i].name, ac->failed_tenant ? ac->failed_tenant : "?");
}

/*
 * A tenant's row (the core's tn_atomic_row) and its record.  Returns false
 * when phase 2 did not reach a prepared tenant.
 */
static bool
report_tenant(atomic_call *ac, int i)
{
	atomic_tenant *a = &ac->at[i];
	bool		   reached = true;
	tn_rows		   rows;
	char		  *row[8];
	fo_outcome	   out;
	MemoryContext  old;

	memset(&out, 0, sizeof(out));
	out.rc = a->rc;
	out.err = a->err;
	snprintf(out.res.from_version, sizeof(out.res.from_version), "%s", a->from_version);
	snprintf(out.res.to_version, sizeof(out.res.to_version), "%s",
			 a->rc == TN_OK && !ac->commit ? a->from_version : a->to_version);
	out.res.applied = a->applied;
	if (a->rc == TN_OK && a->finish_failed)
	{
		reached = false;
		out.rc = TN_ERR_UNREACHABLE;
		out.err = a->finish_err;
		tn_error_detail_append(&out.err, "The run decided to %s; the next tenant_migrate_all() or tenant_migrate_all_atomic() call finishes this tenant's prepared transaction.",
							   ac->commit ? "commit" : "roll back");
	}
	tn_rows_init(&rows, tn_def_migrate_all_atomic.ncols);
	if (tn_atomic_row(&rows, ac->ts[i].name, out.rc, &out.res, &out.err, a->ms, ac->commit,
					  ac->failed_tenant) != TN_OK)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	old = MemoryContextSwitchTo(ac->run.srf.outer);
	for (int c = 0; c < 8; c++)
	{
		const char *v = tn_rows_get(&rows, 0, c);

		row[c] = v ? pstrdup(v) : NULL;
	}
	tn_pg_srf_put(&ac->run.srf, row);
	MemoryContextSwitchTo(old);
	tn_rows_free(&rows);
	if (!ac->commit && out.rc == TN_OK)
		out.keep_version = true; /* nothing of it stays: the cached version does */
	reg_record_tenant(&ac->run, ac->ts[i].name, row, &out);
	return reached;
}

/* Every tenant's row and record, then the run's final status. */
static void
report_all(atomic_call *ac)
{
	bool clean = true;

	for (int i = 0; i < ac->n; i++)
	{
		if (!ac->at[i].finished)
			report_skipped(ac, i);
		else if (!report_tenant(ac, i))
			clean = false;
	}
	reg_run_status(&ac->run,
				   !clean		? (ac->commit ? TN_RUN_COMMITTING : TN_RUN_ABORTING)
				   : ac->commit ? "done"
								: TN_RUN_ROLLED_BACK,
				   true, true);
	tn_lpq_finish(ac->run.control);
	ac->run.control = NULL;
}

/*
 * Cancelled or failed mid-run: in-flight tenants are cancelled and their
 * connections closed (fo_run), so only PREPAREd tenants remain.  Before
 * the decision the record says preparing, after it committing or
 * aborting; the next call resolves them either way.
 */
static void
abandon_run(reg_run *run, bool decided)
{
	if (run->control == NULL)
		return;
	if (!decided)
		reg_run_status_nowait(run, TN_RUN_ABORTING, false);
	tn_lpq_finish(run->control);
}

/* tenant_migrate_all_atomic(target DEFAULT NULL, concurrency DEFAULT NULL) */
Datum
tenant_migrate_all_atomic(PG_FUNCTION_ARGS)
{
	atomic_call	  ac;
	volatile bool decided = false;

	memset(&ac, 0, sizeof(ac));
	ac.target = tn_pg_arg_text(fcinfo, 0);
	ac.concurrency = tn_pg_arg_concurrency(fcinfo, 1);
	ac.run.mode = FO_MIGRATE;
	tn_pg_srf_begin(fcinfo, &tn_def_migrate_all_atomic, &ac.run.srf);

	reg_spi_connect();
	reg_lock_runs();
	reg_recover_atomic_runs();
	ac.target = reg_run_target(ac.target);
	reg_load_set(&ac.set);
	ac.text = reg_encode_set(&ac.set);
	PG_TRY();
	{
		plan_call(&ac);
	}
	PG_CATCH();
	{
		tn_migration_set_free(&ac.set);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (ac.n == 0)
	{
		tn_migration_set_free(&ac.set);
		SPI_finish();
		return (Datum) 0;
	}
	ac.run.total = ac.n;
	ac.at = palloc0(sizeof(atomic_tenant) * ac.n);

	PG_TRY();
	{
		/* the durable record first: the run exists before anything is prepared */
		reg_open_run(&ac.run, ac.target, ac.n, TN_RUN_PREPARING, false);
		prepare_all(&ac);
		record_decision(&ac);
		decided = true;
		finish_all(&ac);
		report_all(&ac);
	}
	PG_CATCH();
	{
		abandon_run(&ac.run, decided);
		tn_migration_set_free(&ac.set);
		PG_RE_THROW();
	}
	PG_END_TRY();
	tn_migration_set_free(&ac.set);
	SPI_finish();
	return (Datum) 0;
}
