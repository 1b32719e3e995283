/*
 * registry_tenant_side.c -- what a fan-out calls in each tenant, in one
 * round trip: tenancy.migrate_synced(set, target, mode, schema) and
 * tenancy.verify_synced(set, schema).
 *
 * Both receive the registry's tenant set as transport text
 * (tn_set_encode), decode it, and make one core call over the SPI adapter
 * in the tenant (a schema tenant's adapter uses its schema's tracking
 * tables, lock and search_path).
 *
 * Must not: read or write the registry (it is in another database), or
 * judge the tenant's state itself (tn_migrate, tn_status and
 * tn_verify_all_row do).
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"

#include "citus.h"
#include "registry_internal.h"
#include "spi_adapter.h"
#include "tn_raise.h"

PG_FUNCTION_INFO_V1(tenancy_migrate_synced);
PG_FUNCTION_INFO_V1(tenancy_verify_synced);

/* The one row migrate_synced returns. */
typedef struct synced_row
{
	char	  from[TN_MAX_VERSION_LEN + 1];
	char	  to[TN_MAX_VERSION_LEN + 1];
	long long applied;
	char	 *failure; /* dry run, report: palloc'd, else NULL */
} synced_row;

/*
 * Modes 'migrate', 'report' and 'dry_run': tn_migrate with the set synced
 * into the catalog first.  A dry run reports what it would reach and its
 * first failure (then nothing counts as applied).  'report' is 'migrate'
 * whose failed migration (the core rolled the batch back and recorded
 * "fail" in history, as on SQLite) comes back as a row: from_version, the
 * version it stays at, and the core's rendered error (tn_error_render),
 * so the fan-out's row has the same values on both engines.  A failure
 * with a transient cause (tn_error_transient: deadlock, lock timeout,
 * serialization failure, "tuple concurrently updated") is retried as the
 * core's tn_retry_delay_ms says, and the error says how often it was tried.
 */
static int
synced_migrate(const tn_adapter *adapter, tn_migration_set *set, const char *target,
			   bool dry_run, bool report, synced_row *out, tn_error *err)
{
	tn_migrate_opts	  opts;
	tn_migrate_result res;
	int				  rc;

	memset(&opts, 0, sizeof(opts));
	opts.target = target;
	opts.sync = set;
	opts.dry_run = dry_run;
	for (int attempt = 1;; attempt++)
	{
		int delay;

		memset(&res, 0, sizeof(res));
		tn_rows_init(&res.report, 0);
		rc = tn_migrate(adapter, &opts, &res, err);
		if (rc != TN_ERR_MIGRATION_FAILED || dry_run)
			break;
		/* a transient error: the batch was rolled back cleanly, try again (the core says when) */
		delay = tn_retry_delay_ms(err, attempt);
		if (delay == 0)
		{
			tn_error_retried(err, attempt);
			break;
		}
		tn_migrate_result_free(&res);
		tn_error_clear(err);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, delay, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	snprintf(out->from, sizeof(out->from), "%s", res.from_version);
	snprintf(out->to, sizeof(out->to), "%s", res.to_version);
	out->applied = res.applied;
	if (rc == TN_ERR_MIGRATION_FAILED && report)
	{
		char *text = tn_error_render(err);

		out->failure = pstrdup(text ? text : err->message);
		free(text);
		tn_error_clear(err);
		rc = TN_OK;
	}
	else if (rc == TN_OK && dry_run)
	{
		/* what would it reach, and what would fail */
		for (size_t r = 0; r < res.report.nrows; r++)
		{
			const char *outcome = tn_rows_get(&res.report, r, 2);

			if (strcmp(outcome, "ok") == 0)
				snprintf(out->to, sizeof(out->to), "%s", tn_rows_get(&res.report, r, 0));
			else if (strcmp(outcome, "failed") == 0 && out->failure == NULL)
				out->failure = psprintf("migration \"%s\" would fail: %s",
										tn_rows_get(&res.report, r, 0),
										tn_rows_get(&res.report, r, 4) ? tn_rows_get(&res.report, r, 4) : "");
		}
		if (out->failure)
			out->applied = 0;
	}
	tn_migrate_result_free(&res);
	return rc;
}

/*
 * Modes 'sync' (bring the set into the catalog only; report the newest
 * applied version) and 'record' (a no-transaction migration target ran
 * outside a transaction: mark it applied, tn_baseline).
 */
static int
synced_catalog(const tn_adapter *adapter, tn_migration_set *set, const char *target,
			   bool record, synced_row *out, tn_error *err)
{
	int		  added = 0;
	long long count = 0;
	int		  rc = TN_OK;

	for (size_t i = 0; i < set->count && rc == TN_OK; i++)
		rc = tn_catalog_add(adapter, &set->items[i], &added, err);
	if (rc == TN_OK && record)
	{
		if (target == NULL)
			rc = tn_error_null_argument(err, "target");
		else
			rc = tn_baseline(adapter, target, &count, err);
		out->applied = count > 0 ? 1 : 0;
		snprintf(out->to, sizeof(out->to), "%s", target ? target : "");
	}
	else if (rc == TN_OK)
	{
		/* where it stands */
		tn_rows st;

		tn_rows_init(&st, tn_def_status.ncols);
		rc = tn_status(adapter, &st, err);
		for (size_t r = 0; rc == TN_OK && r < st.nrows; r++)
			if (strcmp(tn_rows_get(&st, r, 2), "applied") == 0)
				snprintf(out->to, sizeof(out->to), "%s", tn_rows_get(&st, r, 0));
		tn_rows_free(&st);
	}
	snprintf(out->from, sizeof(out->from), "%s", out->to);
	return rc;
}

/*
 * Mode 'rollback' (tenant_rollback_all): target is a version of the set
 * (undo it and every later one, downs from the set) or a checkpoint name,
 * as the core reads it (tn_rollback_all_arg); the core undoes it in one
 * unit of work.  A failure is raised, so the fan-out gets its SQLSTATE.
 */
static int
synced_rollback(const tn_adapter *adapter, tn_migration_set *set, const char *target,
				synced_row *out, tn_error *err)
{
	const char		 *version, *checkpoint;
	tn_migrate_result res;
	int				  rc;

	if ((rc = tn_rollback_all_arg(set, target, &version, &checkpoint, err)) != TN_OK)
		return rc;
	rc = tn_rollback_all_one(adapter, set, version, checkpoint, &res, err);
	snprintf(out->from, sizeof(out->from), "%s", res.from_version);
	snprintf(out->to, sizeof(out->to), "%s", res.to_version);
	out->applied = res.applied;
	tn_migrate_result_free(&res);
	return rc;
}

/*
 * Mode 'holds' (tenant_migration_remove): does the tenant have version
 * applied?  applied = 1 or 0; reads only, in the tenant itself (never a
 * registry's cache).
 */
static int
synced_holds(const tn_adapter *adapter, const char *version, synced_row *out, tn_error *err)
{
	int applied = 0;
	int rc = tn_version_applied(adapter, version, &applied, err);

	out->applied = applied;
	return rc == TN_OK ? tn_newest_applied(adapter, out->to, sizeof(out->to), err) : rc;
}

/*
 * tenancy.migrate_synced(tenant_set, target, mode DEFAULT 'migrate',
 * schema DEFAULT NULL).  mode: 'migrate' (tn_migrate with opts.sync =
 * set), 'rollback' (tenant_rollback_all: target a version or a checkpoint),
 * 'holds' (is target applied: applied 1 / 0), 'report' (the same; a failed migration comes back in "error"
 * instead of an ERROR), 'dry_run' (the same, rolled back; the first
 * failure comes back in "error"), 'sync' (bring the set into the catalog only), 'record' (a
 * no-transaction migration target ran outside: mark it applied), 'raw'
 * (no-transaction statements are about to be sent on this session:
 * tn_pg_guard_raw_session's consent; changes nothing).  Returns
 * one row (from_version, to_version, applied, error); raises the core's
 * error otherwise.
 */
Datum
tenancy_migrate_synced(PG_FUNCTION_ARGS)
{
	char			 *text = tn_pg_arg_required(fcinfo, 0, "tenant_set");
	char			 *target = tn_pg_arg_text(fcinfo, 1);
	char			 *mode = tn_pg_arg_text(fcinfo, 2);
	char			 *schema = tn_pg_arg_text(fcinfo, 3);
	tn_migration_set  set;
	tn_adapter		  adapter;
	tn_pg_adapter_ctx ctx;
	tn_error		  err;
	int				  rc;
	synced_row		  out;
	tn_pg_srf		  srf;
	char			 *row[4];
	char			 *path = tn_pg_caller_search_path();
	MemoryContext	  outer = CurrentMemoryContext;

	if (mode == NULL)
		mode = "migrate";
	tn_pg_srf_begin(fcinfo, NULL, &srf);

	tn_error_clear(&err);
	if (tn_set_decode(text, &set, &err) != TN_OK)
		tn_raise(&err);
	if (SPI_connect() != SPI_OK_CONNECT)
	{
		tn_migration_set_free(&set);
		elog(ERROR, "SPI_connect failed");
	}
	tn_pg_adapter_init(&adapter, &ctx, path);
	if (schema != NULL)
		tn_pg_adapter_use_schema(&adapter, &ctx, schema);
	/* a distributed schema on Citus: its new tables join its group (citus.c) */
	if (schema != NULL)
	{
		PG_TRY();
		{
			ctx.citus_schema = tn_pg_citus_migrating(schema);
		}
		PG_CATCH();
		{
			tn_migration_set_free(&set);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	/* bodies run with the tenant owner's rights, in trusted schemas only */
	tn_pg_adapter_bodies_as_owner(&ctx, schema);
	memset(&out, 0, sizeof(out));
	if (strcmp(mode, "migrate") == 0 || strcmp(mode, "report") == 0 || strcmp(mode, "dry_run") == 0)
		rc = synced_migrate(&adapter, &set, target, strcmp(mode, "dry_run") == 0,
							strcmp(mode, "report") == 0, &out, &err);
	else if (strcmp(mode, "rollback") == 0)
		rc = synced_rollback(&adapter, &set, target, &out, &err);
	else if (strcmp(mode, "holds") == 0)
		rc = synced_holds(&adapter, target, &out, &err);
	else if (strcmp(mode, "forget") == 0)
	{
		/* tenant_migration_remove, after every tenant was asked: the catalog forgets it */
		int forgot = 0;

		rc = tn_catalog_forget_unapplied(&adapter, target, &forgot, &err);
		out.applied = forgot;
	}
	else if (strcmp(mode, "sync") == 0 || strcmp(mode, "record") == 0)
		rc = synced_catalog(&adapter, &set, target, strcmp(mode, "record") == 0, &out, &err);
	else if (strcmp(mode, "raw") == 0)
	{
		/* no-transaction statements come next on this session: may they? */
		tn_pg_guard_raw_session(&ctx);
		rc = TN_OK;
	}
	else
	{
		rc = tn_error_set(&err, TN_ERR_INVALID_ARGUMENT, "invalid mode \"%s\"", mode);
		tn_error_hint(&err, "Use 'migrate', 'report', 'dry_run', 'sync', 'record', 'raw', 'rollback', 'holds' or 'forget'.");
	}
	tn_migration_set_free(&set);
	rc = tn_pg_adapter_finish(&ctx, rc, &err);
	if (ctx.citus_schema != NULL)
	{
		/* a worker's error names shards: give the user's table names back */
		if (rc != TN_OK)
		{
			strlcpy(err.message, tn_pg_citus_unshard(schema, err.message), sizeof(err.message));
			strlcpy(err.detail, tn_pg_citus_unshard(schema, err.detail), sizeof(err.detail));
		}
		if (out.failure != NULL)
			out.failure = MemoryContextStrdup(outer, tn_pg_citus_unshard(schema, out.failure));
	}
	SPI_finish();
	if (rc != TN_OK)
		tn_raise_failure(&err);
	row[0] = out.from[0] ? out.from : NULL;
	row[1] = out.to[0] ? out.to : NULL;
	row[2] = psprintf("%lld", out.applied);
	row[3] = out.failure;
	tn_pg_srf_put(&srf, row);
	return (Datum) 0;
}

/*
 * tenancy.verify_synced(tenant_set, schema DEFAULT NULL): in a tenant, the
 * core's verify row judged against the registry's set (tn_verify_all_row:
 * reads only).  Returns (status, version, pending, problems, detail).
 */
Datum
tenancy_verify_synced(PG_FUNCTION_ARGS)
{
	char			 *text = tn_pg_arg_text(fcinfo, 0);
	char			 *schema = tn_pg_arg_text(fcinfo, 1);
	tn_migration_set  set;
	tn_adapter		  adapter;
	tn_pg_adapter_ctx ctx;
	tn_error		  err;
	tn_rows			  rows;
	int				  rc;
	tn_pg_srf		  srf;
	char			 *row[5];
	char			 *path = tn_pg_caller_search_path();
	MemoryContext	  outer = CurrentMemoryContext;

	tn_pg_srf_begin(fcinfo, NULL, &srf);
	tn_error_clear(&err);
	memset(&set, 0, sizeof(set));
	if (text != NULL && tn_set_decode(text, &set, &err) != TN_OK)
		tn_raise(&err);
	if (SPI_connect() != SPI_OK_CONNECT)
	{
		tn_migration_set_free(&set);
		elog(ERROR, "SPI_connect failed");
	}
	tn_pg_adapter_init(&adapter, &ctx, path);
	if (schema != NULL)
		tn_pg_adapter_use_schema(&adapter, &ctx, schema);
	tn_rows_init(&rows, tn_def_verify_all.ncols);
	rc = tn_verify_all_row(&adapter, "", text ? &set : NULL, NULL, &rows, &err);
	tn_migration_set_free(&set);
	rc = tn_pg_adapter_finish(&ctx, rc, &err);
	if (rc == TN_OK)
	{
		for (int c = 0; c < 5; c++)
		{
			const char *v = tn_rows_get(&rows, 0, c + 1);

			row[c] = v ? MemoryContextStrdup(outer, v) : NULL;
		}
		/* a half-distributed schema on Citus is a problem of its own (citus.c) */
		if (schema != NULL)
			tn_pg_citus_verify(schema, row, outer);
	}
	SPI_finish();
	tn_rows_free(&rows);
	if (rc != TN_OK)
		tn_raise_failure(&err);
	tn_pg_srf_put(&srf, row);
	return (Datum) 0;
}
