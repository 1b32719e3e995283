/*
 * registry_list.c -- the registry's listings: tenants() (every tenant with
 * its state, version and pending count against the tenant set) and
 * tenant_runs() (every fan-out run with its outcome counts).
 *
 * Must not: connect to a tenant (the listings show what the registry
 * last recorded), or change anything.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/guc.h"

#include "registry_internal.h"
#include "tn_raise.h"

PG_FUNCTION_INFO_V1(tenants);
PG_FUNCTION_INFO_V1(tenant_runs);
PG_FUNCTION_INFO_V1(tenant_settings);

/* tenant_settings() -> the core's list (tn_settings_rows), with each tenancy.* setting's value in this session */
Datum
tenant_settings(PG_FUNCTION_ARGS)
{
	tn_pg_srf srf;
	tn_rows	  rows;
	tn_error  err;

	tn_pg_srf_begin(fcinfo, &tn_def_settings, &srf);
	tn_error_clear(&err);
	tn_rows_init(&rows, tn_def_settings.ncols);
	if (tn_settings_rows(&rows, &err) != TN_OK)
	{
		tn_rows_free(&rows);
		tn_raise(&err);
	}
	for (size_t r = 0; r < rows.nrows; r++)
	{
		char	   *row[6];
		const char *name = tn_rows_get(&rows, r, 0);
		const char *current = NULL;

		if (strcmp(tn_rows_get(&rows, r, 1), "postgresql") == 0)
			current = GetConfigOption(name, true, false);
		for (int c = 0; c < 6; c++)
			row[c] = tn_rows_get(&rows, r, c) ? pstrdup(tn_rows_get(&rows, r, c)) : NULL;
		row[4] = current ? pstrdup(current) : NULL;
		tn_pg_srf_put(&srf, row);
	}
	tn_rows_free(&rows);
	return (Datum) 0;
}

/* tenants() -> rows of tn_def_tenants */
Datum
tenants(PG_FUNCTION_ARGS)
{
	tn_pg_srf		 srf;
	tn_migration_set set;

	/* before ALTER EXTENSION UPDATE to 1.4, tenants() declares 8 columns (no last_checked) */
	tn_pg_srf_begin_compat(fcinfo, &tn_def_tenants, 8, &srf);
	reg_spi_connect();
	reg_load_set(&set);
	PG_TRY();
	{
		/* 1.5 records each tenant's repeatables: a changed one is pending (before: versions only) */
		bool has_repeatables = reg_tenants_has_column("repeatables");

		reg_spi_run(psprintf("SELECT name, kind, location, state, version, last_run, last_error, %s, %s"
							 " FROM tenancy.tenants ORDER BY name",
							 srf.rsinfo->setDesc->natts > 8 ? "last_checked" : "NULL",
							 has_repeatables ? "repeatables" : "NULL"),
					0, NULL);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			char	 *row[9];
			char	 *version = reg_spi_value(r, 5);
			char	 *state = reg_spi_value(r, 4);
			char	 *last_error = reg_spi_value(r, 7);
			long long pending = has_repeatables ? tn_set_count_pending(&set, version, reg_spi_value(r, 9))
												: tn_set_count_newer(&set, version);

			row[0] = reg_spi_value(r, 1);
			row[1] = reg_spi_value(r, 2);
			row[2] = reg_spi_value(r, 3);
			row[3] = (char *) tn_tenant_state(state, last_error, pending);
			row[4] = version;
			row[5] = psprintf("%lld", pending);
			row[6] = reg_spi_value(r, 6);
			row[7] = last_error;
			row[8] = reg_spi_value(r, 8);
			tn_pg_srf_put(&srf, row);
		}
	}
	PG_FINALLY();
	{
		tn_migration_set_free(&set);
	}
	PG_END_TRY();
	SPI_finish();
	return (Datum) 0;
}

/* tenant_runs() -> rows of tn_def_runs; a run whose caller is gone (killed) shows as aborted */
Datum
tenant_runs(PG_FUNCTION_ARGS)
{
	tn_pg_srf srf;

	tn_pg_srf_begin(fcinfo, &tn_def_runs, &srf);
	reg_spi_connect();
	reg_spi_run("SELECT r.run_id, r.started_at, r.finished_at, r.target,"
				" CASE WHEN r.status = 'running' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a"
				"   WHERE a.pid = r.caller_pid AND a.backend_start <= r.started_at) THEN 'aborted' ELSE r.status END,"
				" r.tenants, r.applied, r.failed FROM tenancy.runs r ORDER BY r.run_id",
				0, NULL);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		char *row[8];

		for (int c = 0; c < 8; c++)
			row[c] = reg_spi_value(r, c + 1);
		tn_pg_srf_put(&srf, row);
	}
	SPI_finish();
	return (Datum) 0;
}
