/*
 * registry_remove.c -- tenant_migration_remove(version [, scope]) on
 * PostgreSQL (issue 9): take a version that no database has applied out of
 * a set, the day-two path for a migration that failed on some tenants and
 * was reverted with tenant_rollback_all.
 *
 * Scope 'tenants': every tenant is asked over the fan-out whether it has
 * the version applied (tenancy.migrate_synced(set, version, 'holds') in the
 * tenant: the registry's cache never decides), the core decides
 * (tn_migration_remove_check), this server's template database undoes the
 * version (it has no data), the set forgets it and the template is brought
 * to the set again.  Default scope: this database's own catalog.
 *
 * Must not: decide whether a version may go (the core does), or change the
 * set outside the set lock.
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"

#include "registry_internal.h"
#include "spi_adapter.h"
#include "tn_raise.h"

PG_FUNCTION_INFO_V1(tenant_migration_remove);

/* What the fan-out found: the tenants that have it, and the first that could not be asked. */
typedef struct holders_call
{
	tn_rows	 holders;
	bool	 failed;
	tn_error err;
	char	 tenant[NAMEDATALEN * 2];
} holders_call;

static void
holds_done(void *arg, int index pg_attribute_unused(), const fo_tenant *t, fo_outcome *out)
{
	holders_call *hc = arg;

	if (out->rc != TN_OK)
	{
		if (!hc->failed)
		{
			hc->failed = true;
			hc->err = out->err;
			snprintf(hc->tenant, sizeof(hc->tenant), "%s", t->name);
		}
		return;
	}
	if (out->res.applied > 0)
	{
		const char *row[1] = { t->name };

		if (tn_rows_add(&hc->holders, row) != TN_OK)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
}

/* Run mode (FO_HOLDS or FO_ROLLBACK) with target in tenants ts[0..n). */
static void
run_job(fo_mode mode, fo_tenant *ts, int n, tn_migration_set *set, const char *text,
		const char *version, fo_done_fn done, void *arg)
{
	fo_job job;

	memset(&job, 0, sizeof(job));
	job.mode = mode;
	job.tenants = ts;
	job.ntenants = n;
	job.concurrency = tn_fanout_default_concurrency(MaxConnections);
	job.set = set;
	job.set_text = text;
	job.target = version;
	job.options = fo_timeout_options();
	job.done = done;
	job.arg = arg;
	fo_run(&job);
}

/* The template's rollback: its outcome. */
static void
template_done(void *arg, int index pg_attribute_unused(), const fo_tenant *t pg_attribute_unused(),
			  fo_outcome *out)
{
	holders_call *hc = arg;

	if (out->rc != TN_OK && !hc->failed)
	{
		hc->failed = true;
		hc->err = out->err;
	}
}

/* The set forgets one version: the core's write, as the extension's owner. */
typedef struct set_forget
{
	const char *version;
	tn_error   *err;
} set_forget;

static int
set_forget_run(void *p)
{
	set_forget		 *f = p;
	tn_adapter		  adapter;
	tn_pg_adapter_ctx ctx;
	int				  rc;

	tn_pg_adapter_init(&adapter, &ctx, NULL);
	adapter.table_prefix = "tenancy.set_";
	rc = tn_catalog_forget(&adapter, f->version, f->err);
	return tn_pg_adapter_finish(&ctx, rc, f->err);
}

static void
remove_from_tenant_set(const char *version)
{
	tn_migration_set set;
	holders_call	 hc;
	fo_tenant		*ts;
	fo_tenant		 tmpl;
	char			*text;
	const char		*canonical;
	int				 n;
	set_forget		 fs;
	int				 rc;

	reg_spi_connect();
	reg_lock_set();
	reg_lock_runs(); /* no fan-out applies it while we look */
	reg_load_set(&set);
	text = reg_encode_set(&set);
	memset(&hc, 0, sizeof(hc));
	tn_rows_init(&hc.holders, 1);
	tn_error_clear(&hc.err);
	if (tn_set_find(&set, version) == NULL)
	{
		(void) tn_migration_remove_check(&set, version, &hc.holders, 1, &hc.err);
		tn_migration_set_free(&set);
		tn_raise(&hc.err);
	}
	canonical = pstrdup(tn_set_find(&set, version)->version);

	/* ask every tenant */
	ts = reg_load_tenants(false, "", &n);
	if (n > 0)
		run_job(FO_HOLDS, ts, n, &set, text, canonical, holds_done, &hc);
	if (hc.failed)
	{
		tn_error_detail_append(&hc.err, "Tenant \"%s\" could not be asked whether it has version \"%s\" applied; nothing was changed.",
							   hc.tenant, canonical);
		tn_rows_free(&hc.holders);
		tn_migration_set_free(&set);
		tn_raise_failure(&hc.err);
	}
	if (tn_migration_remove_check(&set, canonical, &hc.holders, 1, &hc.err) != TN_OK)
	{
		tn_rows_free(&hc.holders);
		tn_migration_set_free(&set);
		tn_raise(&hc.err);
	}
	tn_rows_free(&hc.holders);

	/* every tenant's catalog forgets it (never applied there), so no later run applies it */
	tn_rows_init(&hc.holders, 1);
	if (n > 0)
		run_job(FO_FORGET, ts, n, &set, text, canonical, holds_done, &hc);
	tn_rows_free(&hc.holders);
	if (hc.failed)
	{
		tn_migration_set_free(&set);
		tn_error_detail_append(&hc.err, "Tenant \"%s\" could not forget version \"%s\"; the version stays in the tenant set.",
							   hc.tenant, canonical);
		tn_raise_failure(&hc.err);
	}

	/*
	 * Every server's template undoes it (downs from the set): this
	 * server's and those of the servers that hold database tenants, so no
	 * later tenant_create clones a template that still has it (issue 9).
	 */
	for (int i = -1; i < n; i++)
	{
		const char *location = i < 0 ? NULL : ts[i].location;
		bool		seen = false;

		if (i >= 0 && (ts[i].schema != NULL || location == NULL))
			continue;
		for (int k = 0; k < i && !seen; k++)
			seen = ts[k].schema == NULL && ts[k].location != NULL && strcmp(ts[k].location, location) == 0;
		if (seen || !reg_template_exists_at(location))
			continue;
		memset(&tmpl, 0, sizeof(tmpl));
		tmpl.name = tmpl.dbname = reg_template_name();
		tmpl.location = location;
		run_job(FO_ROLLBACK, &tmpl, 1, &set, text, canonical, template_done, &hc);
		if (!hc.failed)
			run_job(FO_FORGET, &tmpl, 1, &set, text, canonical, template_done, &hc);
		if (hc.failed)
		{
			tn_migration_set_free(&set);
			tn_error_detail_append(&hc.err, "This happened in the template database \"%s\"%s%s; the version stays in the tenant set.",
								   tmpl.name, location ? " at " : "", location ? location : "");
			tn_raise_failure(&hc.err);
		}
	}
	tn_migration_set_free(&set);

	/* the set forgets it; the template follows the set again */
	tn_error_clear(&hc.err);
	fs.version = canonical;
	fs.err = &hc.err;
	rc = reg_as_extension_owner(set_forget_run, &fs);
	if (rc != TN_OK)
		tn_raise_failure(&hc.err);
	reg_template_follow_current_set();
	reg_audit("set_remove", NULL, psprintf("version %s", canonical));
	SPI_finish();
}

/* The database's own catalog: a version it never applied. */
static void
remove_from_own_catalog(const char *version)
{
	tn_adapter		  adapter;
	tn_pg_adapter_ctx ctx;
	tn_migration_set  set;
	tn_rows			  holders;
	tn_error		  err;
	int				  rc;

	tn_error_clear(&err);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	tn_pg_adapter_init(&adapter, &ctx, NULL);
	tn_rows_init(&holders, 1);
	memset(&set, 0, sizeof(set));
	rc = tn_set_read(&adapter, "catalog", &set, &err);
	if (rc == TN_OK)
	{
		int applied = 0;

		rc = tn_version_applied(&adapter, version, &applied, &err);
		if (rc == TN_OK && applied)
		{
			const char *row[1] = { "this database" };

			rc = tn_rows_add(&holders, row);
		}
	}
	if (rc == TN_OK)
		rc = tn_migration_remove_check(&set, version, &holders, 0, &err);
	if (rc == TN_OK)
		rc = tn_catalog_forget(&adapter, tn_set_find(&set, version)->version, &err);
	tn_rows_free(&holders);
	tn_migration_set_free(&set);
	rc = tn_pg_adapter_finish(&ctx, rc, &err);
	SPI_finish();
	if (rc != TN_OK)
		tn_raise(&err);
}

/* tenant_migration_remove(version, scope DEFAULT NULL) -> bigint (1) */
Datum
tenant_migration_remove(PG_FUNCTION_ARGS)
{
	char	*version = tn_pg_arg_required(fcinfo, 0, "version");
	char	*scope = tn_pg_arg_text(fcinfo, 1);
	int		 tenants = 0;
	tn_error err;

	tn_error_clear(&err);
	if (tn_parse_scope(scope, &tenants, &err) != TN_OK)
		tn_raise(&err);
	if (tenants)
		remove_from_tenant_set(version);
	else
		remove_from_own_catalog(version);
	PG_RETURN_INT64(1);
}
