/*
 * registry_recover.c -- atomic runs whose caller died between its two
 * phases: their prepared transactions are finished as the run's record
 * decided.
 *
 * Runs still preparing / committing / aborting are left by a dead caller
 * only (the run lock is held, so no live run is in those states).  Every
 * server of the registry is asked for its tenancy_<run>_* prepared
 * transactions; the record decides (tn_atomic_should_commit).  A server
 * that cannot be reached leaves its runs for the next call.
 *
 * Must not: run outside the run lock, or touch a prepared transaction
 * that is not tenancy's or whose run is not in the list.
 */
#include "postgres.h"

#include <stdlib.h>

#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "registry_internal.h"

/* The interrupted runs and what their records decided. */
typedef struct pending_runs
{
	int		   n;
	long long *ids;
	bool	  *commit;
} pending_runs;

/* The servers to ask: one tenant database of each, and always this server. */
typedef struct tenant_servers
{
	int	   n;
	char **locations; /* NULL: this server */
	char **dbnames;
} tenant_servers;

static void
load_pending_runs(pending_runs *runs)
{
	reg_spi_run("SELECT run_id, status FROM tenancy.runs WHERE status IN ('" TN_RUN_PREPARING "', '" TN_RUN_COMMITTING "', '" TN_RUN_ABORTING "') ORDER BY run_id", 0, NULL);
	runs->n = (int) SPI_processed;
	if (runs->n == 0)
		return;
	runs->ids = palloc(sizeof(long long) * runs->n);
	runs->commit = palloc(sizeof(bool) * runs->n);
	for (int r = 0; r < runs->n; r++)
	{
		runs->ids[r] = strtoll(reg_spi_value(r, 1), NULL, 10);
		runs->commit[r] = tn_atomic_should_commit(reg_spi_value(r, 2));
	}
}

static void
load_servers(tenant_servers *servers)
{
	char *self_db = get_database_name(MyDatabaseId);
	int	  n;

	reg_spi_run("SELECT DISTINCT ON (coalesce(location, '')) location, dbname FROM tenancy.tenants"
				" ORDER BY coalesce(location, ''), name",
				0, NULL);
	n = (int) SPI_processed;
	servers->locations = palloc(sizeof(char *) * (n + 1));
	servers->dbnames = palloc(sizeof(char *) * (n + 1));
	for (int s = 0; s < n; s++)
	{
		servers->locations[s] = reg_spi_value(s, 1);
		servers->dbnames[s] = servers->locations[s] ? reg_spi_value(s, 2) : self_db;
	}
	if (n == 0 || servers->locations[0] != NULL)
	{
		/* this server always (atomic tenants may have been dropped since) */
		servers->locations[n] = NULL;
		servers->dbnames[n] = self_db;
		n++;
	}
	servers->n = n;
}

/*
 * COMMIT or ROLLBACK PREPARED gid in its database; true when done (or
 * already gone).
 */
static bool
finish_prepared(tn_lpq_opts *o, const char *gid, long long run, bool commit)
{
	tn_error  err;
	PGconn	 *conn;
	PGresult *res;
	bool	  done = true;

	tn_error_clear(&err);
	conn = tn_lpq_connect(o, &err);
	res = conn ? tn_lpq_exec(conn, psprintf("%s PREPARED %s", commit ? "COMMIT" : "ROLLBACK", quote_literal_cstr(gid)), 0, NULL, &err) : NULL;
	if (res == NULL && strcmp(err.sqlstate, "42704") != 0)
	{
		done = false;
		ereport(WARNING,
				(errmsg("could not finish prepared transaction \"%s\": %s", gid, err.message)));
	}
	else
		ereport(NOTICE,
				(errmsg("interrupted atomic run %lld: %s prepared transaction \"%s\"", run,
						commit ? "committed" : "rolled back", gid)));
	if (res)
		PQclear(res);
	tn_lpq_finish(conn);
	return done;
}

/*
 * Finish the prepared transactions of the pending runs on one server;
 * false when any could not be finished (or the server not be asked).
 */
static bool
finish_on_server(const pending_runs *runs, const char *location, const char *dbname)
{
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res;
	bool		all = true;

	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = location;
	o.dbname = dbname;
	conn = tn_lpq_connect(&o, &err);
	res = conn ? tn_lpq_exec(conn, "SELECT gid, database FROM pg_catalog.pg_prepared_xacts"
								   " WHERE gid LIKE 'tenancy\\_%' ORDER BY gid",
							 0, NULL, &err)
			   : NULL;
	if (res == NULL)
	{
		ereport(WARNING,
				(errmsg("could not finish interrupted atomic runs on a tenant server: %s", err.message)));
		tn_lpq_finish(conn);
		return false;
	}
	for (int g = 0; g < PQntuples(res); g++)
	{
		const char *gid = PQgetvalue(res, g, 0);
		long long	run = tn_atomic_gid_run(gid);
		int			r;

		for (r = 0; r < runs->n && runs->ids[r] != run; r++)
			;
		if (r == runs->n)
			continue;
		o.dbname = PQgetvalue(res, g, 1);
		if (!finish_prepared(&o, gid, run, runs->commit[r]))
			all = false;
	}
	PQclear(res);
	tn_lpq_finish(conn);
	return all;
}

void
reg_recover_atomic_runs(void)
{
	pending_runs   runs;
	tenant_servers servers;
	bool		   all = true;

	memset(&runs, 0, sizeof(runs));
	load_pending_runs(&runs);
	if (runs.n == 0)
		return;
	load_servers(&servers);
	for (int s = 0; s < servers.n; s++)
		if (!finish_on_server(&runs, servers.locations[s], servers.dbnames[s]))
			all = false;
	if (!all)
		return;
	for (int r = 0; r < runs.n; r++)
	{
		const char *v[2];

		v[0] = psprintf("%lld", runs.ids[r]);
		v[1] = runs.commit[r] ? "done" : TN_RUN_ROLLED_BACK;
		reg_spi_write("UPDATE tenancy.runs SET status = $2, finished_at = coalesce(finished_at, pg_catalog.clock_timestamp())"
					  " WHERE run_id = $1::int8",
					  2, v);
	}
}
