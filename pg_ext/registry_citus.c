/*
 * registry_citus.c -- the registry's entry points for schema tenants on
 * Citus: tenant_distribute (make a schema tenant a distributed schema, or
 * repair a half-distributed one), tenant_move (citus_schema_move through
 * tenancy) and tenant_placements (where each schema tenant lives, read
 * from Citus's catalogs every time, so a move never leaves it stale).
 *
 * Each runs the tenant side (tenancy.citus_distribute / citus_move /
 * citus_where, citus.c) in the tenant's database: over SPI when the
 * tenant is in this database, else over libpq.
 *
 * Must not: keep a copy of a tenant's placement, or store a password.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

#include "citus.h"
#include "registry_internal.h"
#include "tn_raise.h"

PG_FUNCTION_INFO_V1(tenant_distribute);
PG_FUNCTION_INFO_V1(tenant_move);
PG_FUNCTION_INFO_V1(tenant_placements);

/* A schema tenant of the registry (inside SPI), or an error. */
typedef struct schema_tenant
{
	char *name;
	char *location;
	char *dbname;
	char *schema;
} schema_tenant;

static void
find_schema_tenant(const char *name, schema_tenant *t)
{
	const char *v[1] = { name };

	reg_spi_run("SELECT kind, location, dbname, schema_name FROM tenancy.tenants WHERE name = $1", 1, v);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("tenant \"%s\" does not exist", name)));
	if (strcmp(reg_spi_value(0, 1), "schema") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("tenant \"%s\" is not a schema tenant", name),
				 errdetail("Citus places schemas; a database tenant lives in its own database.")));
	t->name = pstrdup(name);
	t->location = reg_spi_value(0, 2);
	t->dbname = reg_spi_value(0, 3);
	t->schema = reg_spi_value(0, 4);
}

/*
 * Run sql (one row, one column expected, or none) in the tenant's
 * database; returns the value (palloc'd) or NULL.  Raises.
 */
static char *
in_tenant(const schema_tenant *t, const char *sql, int n, const char *const *v)
{
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res;
	char	   *out = NULL;

	if (t->location == NULL)
	{
		reg_spi_run(sql, n, v);
		return SPI_processed > 0 ? reg_spi_value(0, 1) : NULL;
	}
	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = t->location;
	o.dbname = t->dbname;
	conn = tn_lpq_connect(&o, &err);
	if (conn == NULL)
		tn_raise_failure(&err);
	res = tn_lpq_exec(conn, sql, n, v, &err);
	tn_lpq_finish(conn);
	if (res == NULL)
		tn_raise_failure(&err);
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		out = pstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

/*
 * One Citus step on a schema tenant, inside its database: lock, find the
 * tenant, run sql ($1 schema, $2 arg), audit the step as action, and return
 * where the schema lives now ("host:port"), or NULL.
 */
static Datum
citus_step(FunctionCallInfo fcinfo, const char *name, const char *arg, void (*lock)(void),
		   const char *sql, const char *action)
{
	const char	 *v[2];
	schema_tenant t;
	char		 *node;
	MemoryContext outer = CurrentMemoryContext;

	v[1] = arg;
	reg_spi_connect();
	lock();
	find_schema_tenant(name, &t);
	v[0] = t.schema;
	node = in_tenant(&t, sql, 2, v);
	reg_audit(action, name, node);
	if (node != NULL)
		node = MemoryContextStrdup(outer, node);
	SPI_finish();
	if (node == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(node));
}

/* tenant_distribute(name, placement DEFAULT NULL) -> where it lives ("host:port") */
Datum
tenant_distribute(PG_FUNCTION_ARGS)
{
	char *name = tn_pg_arg_required(fcinfo, 0, "name");

	return citus_step(fcinfo, name, tn_pg_arg_text(fcinfo, 1), reg_lock_set,
					  "SELECT tenancy.citus_distribute($1, $2)", "distribute");
}

/* tenant_move(name, node 'host:port') -> where it lives now */
Datum
tenant_move(PG_FUNCTION_ARGS)
{
	char *name = tn_pg_arg_required(fcinfo, 0, "name");

	return citus_step(fcinfo, name, tn_pg_arg_required(fcinfo, 1, "node"), reg_lock_runs,
					  "SELECT tenancy.citus_move($1, $2)", "move");
}

/*
 * tenant_placements() -> (name, schema_name, state, node): every schema
 * tenant, with what Citus holds of it now (state 'local' without Citus).
 */
Datum
tenant_placements(PG_FUNCTION_ARGS)
{
	tn_pg_srf	   srf;
	MemoryContext  outer = CurrentMemoryContext;
	uint64		   n;
	schema_tenant *ts;

	tn_pg_srf_begin(fcinfo, NULL, &srf);
	reg_spi_connect();
	reg_spi_run("SELECT name, location, dbname, schema_name FROM tenancy.tenants WHERE kind = 'schema' ORDER BY name", 0, NULL);
	n = SPI_processed;
	ts = palloc(sizeof(schema_tenant) * (n + 1));
	for (uint64 i = 0; i < n; i++)
	{
		ts[i].name = reg_spi_value(i, 1);
		ts[i].location = reg_spi_value(i, 2);
		ts[i].dbname = reg_spi_value(i, 3);
		ts[i].schema = reg_spi_value(i, 4);
	}
	for (uint64 i = 0; i < n; i++)
	{
		const char *v[1] = { ts[i].schema };
		char	   *row[4];
		char	   *both = in_tenant(&ts[i], "SELECT state || ',' || coalesce(node, '') FROM tenancy.citus_where($1)", 1, v);
		char	   *comma = both ? strchr(both, ',') : NULL;

		row[0] = MemoryContextStrdup(outer, ts[i].name);
		row[1] = MemoryContextStrdup(outer, ts[i].schema);
		row[2] = comma ? MemoryContextStrdup(outer, pnstrdup(both, comma - both)) : NULL;
		row[3] = comma && comma[1] ? MemoryContextStrdup(outer, comma + 1) : NULL;
		tn_pg_srf_put(&srf, row);
	}
	SPI_finish();
	return (Datum) 0;
}
