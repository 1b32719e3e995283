/*
 * registry_schema.c -- schema tenants (kind 'schema'): tenant_create and
 * tenant_register of one, and dropping its schema.
 *
 * A schema tenant is a schema named like the tenant, in this database or
 * in the one a location names.  Its tracking rows are in that database's
 * tenancy.schema_* tables, keyed by the schema (extension 1.4; an older
 * extension there still gives it tracking tables <schema>.tenancy_* of its
 * own, tenancy.create_tracking_tables).  Its tenant side is
 * tenancy.migrate_synced(set, target, mode, schema), whose adapter uses
 * that table prefix, a per-schema advisory lock and search_path =
 * <schema>, pg_catalog, pg_temp for migration bodies.  In this database
 * everything runs in the caller's transaction; elsewhere in one
 * transaction there, and a created schema is dropped again if the
 * caller's transaction aborts (registry_created.c).
 *
 * Must not: make a schema of PostgreSQL's (pg_*, information_schema) or
 * the extension's own schema a tenant.
 */
#include "postgres.h"

#include <stdlib.h>

#include "executor/spi.h"
#include "utils/builtins.h"

#include "registry_internal.h"
#include "spi_adapter.h"
#include "tn_raise.h"

/* One tenant_create / tenant_register of a schema tenant. */
typedef struct schema_call
{
	const char		*name;	   /* the tenant, and its schema */
	const char		*location; /* NULL: this database */
	bool			 adopt;	   /* tenant_register: the schema exists */
	tn_migration_set set;
	char			*text; /* the set's transport */
	/* create: the first step of tn_fanout_plan */
	const char *mode;
	const char *target;
	bool		more_steps;
	PGconn *volatile conn; /* location's database, else NULL (set
								 * inside PG_TRY) */
	char *dbname;
	/* the tenant's database as found (FACTS_SQL, one statement) */
	char *state;	   /* NULL: no such schema, "exists", "extension" */
	char *citus_facts; /* "<citus there>,<schema-based sharding>" */
	bool  can_create;  /* CREATE on that database */
	bool  shared_rows; /* extension 1.4 there: tracking rows in tenancy.schema_* */
	char *version;	   /* where the schema stands */
	/* Citus (citus.c): the placement argument, and the core's decision */
	const char *placement;
	bool		citus;		/* the citus extension is in the tenant's database */
	bool		distribute; /* the schema becomes a distributed schema */
	char	   *node;		/* where it lives then ("host:port") */
} schema_call;

/*
 * A statement in the schema tenant's database: over SPI in the caller's
 * transaction when conn is NULL (this database), else over libpq.  Returns
 * the first column of the first row (palloc'd) or NULL.  Raises.
 */
static char *
tenant_side(PGconn *conn, const char *sql, int n, const char *const *v)
{
	PGresult *res;
	char	 *out = NULL;

	if (conn == NULL)
	{
		reg_spi_run(sql, n, v);
		if (SPI_processed > 0 && SPI_tuptable != NULL)
			out = reg_spi_value(0, 1);
		return out;
	}
	res = tn_lpq_exec_or_raise(conn, sql, n, v);
	if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0))
		out = pstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

/*
 * The facts the steps decide by, read in one statement (one round trip
 * elsewhere): the database's name, what schema $1 is, Citus, the right to
 * create a schema, and where tracking rows go.
 */
#define FACTS_SQL                                                                                        \
	"SELECT pg_catalog.current_database(),"                                                              \
	" (SELECT CASE WHEN e.extnamespace OPERATOR(pg_catalog.=) n.oid THEN 'extension' ELSE 'exists' END"  \
	"  FROM pg_catalog.pg_namespace n, pg_catalog.pg_extension e"                                        \
	"  WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND e.extname OPERATOR(pg_catalog.=) 'tenancy'),"       \
	" EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'citus')::text" \
	"  OPERATOR(pg_catalog.||) ',' OPERATOR(pg_catalog.||)"                                              \
	"  coalesce(pg_catalog.current_setting('citus.enable_schema_based_sharding', true), 'off'),"         \
	" pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'),"                       \
	" pg_catalog.to_regclass('tenancy.tenant_applied') IS NOT NULL"

static void
read_facts(schema_call *sc)
{
	const char *v[1] = { sc->name };
	char	   *cell[5] = { NULL };

	if (sc->conn == NULL)
	{
		reg_spi_run(FACTS_SQL, 1, v);
		for (int i = 0; i < 5; i++)
			cell[i] = reg_spi_value(0, i + 1);
	}
	else
	{
		PGresult *res = tn_lpq_exec_or_raise(sc->conn, FACTS_SQL, 1, v);

		for (int i = 0; i < 5 && PQntuples(res) > 0; i++)
			if (!PQgetisnull(res, 0, i))
				cell[i] = pstrdup(PQgetvalue(res, 0, i));
		PQclear(res);
	}
	sc->dbname = cell[0];
	sc->state = cell[1];
	sc->citus_facts = cell[2] ? cell[2] : "false,off";
	sc->can_create = cell[3] != NULL && strcmp(cell[3], "t") == 0;
	sc->shared_rows = cell[4] != NULL && strcmp(cell[4], "t") == 0;
}

static void
refuse_reserved(const char *name)
{
	if (strncmp(name, "pg_", 3) == 0 || strcmp(name, "information_schema") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("\"%s\" cannot be a schema tenant", name),
				 errdetail("Schema names starting with \"pg_\" and information_schema belong to PostgreSQL.")));
}

/*
 * Create: what the new schema runs first, by the core's plan (up to the
 * first no-transaction migration: tenant_migrate_all() runs that).
 */
static void
plan_first_step(schema_call *sc)
{
	tn_fanout_step *steps;
	size_t			nsteps;
	tn_error		err;

	sc->mode = "migrate";
	tn_error_clear(&err);
	if (tn_fanout_plan(&sc->set, NULL, &steps, &nsteps, &err) != TN_OK)
	{
		tn_migration_set_free(&sc->set);
		tn_raise_failure(&err);
	}
	if (nsteps > 0)
	{
		sc->mode = steps[0].kind == TN_STEP_SYNC ? "sync" : "migrate";
		sc->target = steps[0].version ? pstrdup(steps[0].version) : NULL;
		sc->more_steps = nsteps > 1;
	}
	free(steps);
}

/* Elsewhere: a connection to location's database, the extension, BEGIN. */
static void
open_remote(schema_call *sc)
{
	tn_lpq_opts o;
	tn_error	err;
	char	   *extversion;

	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = sc->location;
	sc->conn = tn_lpq_connect(&o, &err);
	if (sc->conn == NULL)
		tn_raise_failure(&err);
	extversion = reg_extension_version();
	PQclear(tn_lpq_exec_or_raise(sc->conn, psprintf("CREATE EXTENSION IF NOT EXISTS tenancy VERSION %s", quote_literal_cstr(extversion)), 0, NULL));
	PQclear(tn_lpq_exec_or_raise(sc->conn, "BEGIN", 0, NULL));
}

/* Create needs no schema of that name, register needs one. */
static void
check_schema(schema_call *sc)
{
	const char *state = sc->state;

	if (state != NULL && strcmp(state, "extension") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("schema \"%s\" holds the tenancy extension", sc->name),
				 errdetail("A schema tenant gets tracking tables and migrations of its own; the extension's schema cannot be one.")));
	if (!sc->adopt && state != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_SCHEMA),
				 errmsg("schema \"%s\" already exists", sc->name),
				 errdetail("tenant_create makes a new schema."),
				 errhint("Adopt the existing schema with tenant_register('%s', %s, 'schema'), or choose another name.",
						 sc->name, sc->location ? "location" : "NULL")));
	if (sc->adopt && state == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" does not exist", sc->name),
				 errhint("Create a schema tenant with tenant_create('%s', %s, 'schema').",
						 sc->name, sc->location ? "location" : "NULL")));
}

/*
 * The statement that forgets schema $1's rows in the shared tracking
 * tables (extension 1.4), or NULL when that database's extension is older.
 */
#define FORGET_SCHEMA_ROWS                                                                        \
	"WITH c AS (DELETE FROM tenancy.schema_catalog WHERE schema_name OPERATOR(pg_catalog.=) $1)," \
	" a AS (DELETE FROM tenancy.schema_applied WHERE schema_name OPERATOR(pg_catalog.=) $1),"     \
	" h AS (DELETE FROM tenancy.schema_history WHERE schema_name OPERATOR(pg_catalog.=) $1)"      \
	" DELETE FROM tenancy.schema_checkpoints WHERE schema_name OPERATOR(pg_catalog.=) $1"

/*
 * Create: CREATE SCHEMA, rows of an earlier schema of that name forgotten
 * (a schema dropped by hand leaves its rows behind), then migrate_synced
 * brings it to the first step's target.  Register: where it stands by its
 * tracking rows (reads only; rows kept by tenant_drop 'keep' count).
 * Before 1.4 there: its own tracking tables, created if missing.
 */
static void
make_schema(schema_call *sc)
{
	const char *v[4];

	v[0] = sc->name;
	/* with Citus: not registered by Citus before it has its tables (citus.c) */
	if (!sc->adopt && sc->citus)
		tenant_side(sc->conn, "SELECT tenancy.citus_create_schema($1)", 1, v);
	else if (!sc->adopt)
	{
		/* made with the caller's rights: say what is missing, not CREATE SCHEMA's bare 42501 */
		if (!sc->can_create)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to create schema \"%s\" in database \"%s\"", sc->name, sc->dbname),
					 errdetail("tenant_create makes a schema tenant with the rights of the role it runs as, which has no CREATE privilege on that database."),
					 errhint("A superuser or the database's owner gives it with GRANT CREATE ON DATABASE %s TO ..., or creates the schema, which you then adopt with tenant_register('%s', %s, 'schema').",
							 quote_identifier(sc->dbname), sc->name, sc->location ? "location" : "NULL")));
		tenant_side(sc->conn, psprintf("CREATE SCHEMA %s", quote_identifier(sc->name)), 0, NULL);
	}
	if (!sc->shared_rows)
		tenant_side(sc->conn, "SELECT tenancy.create_tracking_tables($1::pg_catalog.name)", 1, v);
	else if (!sc->adopt && sc->conn == NULL)
		reg_spi_write(FORGET_SCHEMA_ROWS, 1, v); /* tenancy's own tables: as the extension's owner */
	else if (!sc->adopt)
		tenant_side(sc->conn, FORGET_SCHEMA_ROWS, 1, v);
	if (sc->adopt)
	{
		sc->version = tenant_side(sc->conn, "SELECT version FROM tenancy.verify_synced(NULL, $1)", 1, v);
		return;
	}
	v[0] = sc->text;
	v[1] = sc->target;
	v[2] = sc->mode;
	v[3] = sc->name;
	sc->version = tenant_side(sc->conn, "SELECT to_version FROM tenancy.migrate_synced($1, $2, $3, $4)", 4, v);
}

/*
 * Citus in the tenant's database: is it there, is schema-based sharding on,
 * and does the core distribute this tenant (tn_citus_decide)?
 */
static void
plan_citus(schema_call *sc)
{
	tn_placement p;
	tn_error	 err;
	const char	*facts = sc->citus_facts;
	int			 distribute = 0;

	tn_error_clear(&err);
	if (tn_citus_parse_placement(sc->placement, &p, &err) != TN_OK)
		tn_raise(&err);
	sc->citus = strncmp(facts, "true,", 5) == 0;
	if (tn_citus_decide(&p, sc->citus, sc->citus && strcmp(facts + 5, "on") == 0, &distribute, &err) != TN_OK)
		tn_raise(&err);
	sc->distribute = distribute != 0;
	/* an adopted schema Citus already registered is completed, whatever the setting */
	if (sc->adopt && sc->citus && !sc->distribute)
		sc->distribute = tenant_side(sc->conn, "SELECT 1 FROM pg_catalog.pg_dist_schema s JOIN pg_catalog.pg_namespace n"
											   " ON n.oid = s.schemaid WHERE n.nspname = $1",
									 1, &sc->name) != NULL;
}

/* The steps, in order; the caller closes sc->conn and frees the set. */
static void
schema_tenant_steps(schema_call *sc)
{
	const char *v[2];

	if (sc->location != NULL)
		open_remote(sc);
	read_facts(sc);
	check_schema(sc);
	plan_citus(sc);
	make_schema(sc);
	/* tables and tracking data into one colocation group on one worker (citus.c) */
	if (sc->distribute)
	{
		v[0] = sc->name;
		v[1] = sc->placement;
		sc->node = tenant_side(sc->conn, "SELECT tenancy.citus_distribute($1, $2)", 2, v);
	}
	if (sc->conn != NULL)
	{
		PQclear(tn_lpq_exec_or_raise(sc->conn, "COMMIT", 0, NULL));
		tn_lpq_finish(sc->conn);
		sc->conn = NULL;
		if (!sc->adopt)
			reg_remember_created(sc->location, sc->dbname, sc->name);
	}
	if (sc->more_steps)
		ereport(NOTICE,
				(errmsg("schema tenant \"%s\" is at version %s", sc->name, sc->version ? sc->version : "(none)"),
				 errdetail("A migration after it must run outside a transaction."),
				 errhint("Run tenant_migrate_all() to bring it to the newest version.")));
	reg_insert_tenant(sc->name, sc->location, sc->dbname, sc->version,
					  tn_set_count_newer(&sc->set, sc->version),
					  sc->adopt ? "register" : "create", sc->name);
	/* made and migrated to the newest version here: it has the set's repeatables */
	if (!sc->adopt && !sc->more_steps)
		reg_record_set_repeatables(sc->name, &sc->set);
}

void
reg_schema_tenant(const char *name, const char *location, bool adopt,
				  const char *placement)
{
	schema_call sc;

	refuse_reserved(name);
	memset(&sc, 0, sizeof(sc));
	sc.name = name;
	sc.location = location;
	sc.adopt = adopt;
	sc.placement = placement;
	sc.mode = "migrate";

	reg_spi_connect();
	reg_refuse_existing(name);
	reg_load_set(&sc.set);
	sc.text = reg_encode_set(&sc.set);
	if (!adopt)
		plan_first_step(&sc);
	PG_TRY();
	{
		schema_tenant_steps(&sc);
	}
	PG_FINALLY();
	{
		/* a remote failure: closing the connection rolls its transaction back */
		if (sc.conn != NULL)
			tn_lpq_finish(sc.conn);
		tn_migration_set_free(&sc.set);
	}
	PG_END_TRY();
	SPI_finish();
}

/* The schema and (1.4) its tracking rows go; one transaction there. */
void
reg_drop_schema(const char *location, const char *dbname, const char *schema)
{
	char	   *sql = psprintf("DROP SCHEMA IF EXISTS %s CASCADE", quote_identifier(schema));
	const char *v[1] = { schema };
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res;

	if (location == NULL)
	{
		/* this database: in the caller's transaction */
		reg_spi_run(sql, 0, NULL);
		if (tn_pg_schema_tracking_shared())
			reg_spi_write(FORGET_SCHEMA_ROWS, 1, v); /* tenancy's tables: as the extension's owner */
		return;
	}
	sql = psprintf("DO $tn$ BEGIN %s; IF pg_catalog.to_regclass('tenancy.tenant_applied') IS NOT NULL THEN"
				   " DELETE FROM tenancy.schema_catalog WHERE schema_name OPERATOR(pg_catalog.=) %s;"
				   " DELETE FROM tenancy.schema_applied WHERE schema_name OPERATOR(pg_catalog.=) %s;"
				   " DELETE FROM tenancy.schema_history WHERE schema_name OPERATOR(pg_catalog.=) %s;"
				   " DELETE FROM tenancy.schema_checkpoints WHERE schema_name OPERATOR(pg_catalog.=) %s; END IF; END $tn$",
				   sql, quote_literal_cstr(schema), quote_literal_cstr(schema),
				   quote_literal_cstr(schema), quote_literal_cstr(schema));
	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = location;
	o.dbname = dbname;
	conn = tn_lpq_connect(&o, &err);
	if (conn == NULL)
		tn_raise_failure(&err);
	res = tn_lpq_exec(conn, sql, 0, NULL, &err);
	tn_lpq_finish(conn);
	if (res == NULL)
		tn_raise_failure(&err);
	PQclear(res);
}
