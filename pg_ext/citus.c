/*
 * citus.c -- schema tenants on Citus (schema-based sharding): the Citus
 * catalog queries and calls, in a tenant's database and in the registry.
 *
 * Citus makes a CREATE TABLE in a distributed schema a schema table only
 * when the statement arrives at top level; tenancy runs migration bodies
 * over SPI, so left alone every table it creates would stay a local table
 * on the coordinator ("half-distributed").  Tenancy therefore converts:
 *   - tenant_create / tenant_register: the schema is created with
 *     citus.enable_schema_based_sharding off (so Citus does not register
 *     an empty schema), migrated, then distributed with
 *     citus_schema_distribute (tenancy.citus_distribute), which puts its
 *     tracking tables and every table in one colocation group on one
 *     worker;
 *   - later migrations: after each statement of a body, a table of the
 *     schema that Citus does not know joins the group
 *     (create_distributed_table(t, NULL, colocate_with => a table of the
 *     group)), inside the body's savepoint, so a failing migration undoes
 *     it on the workers too;
 *   - a half-distributed schema (found by tenant_verify_all) is repaired by
 *     tenant_distribute: its tables move to a holding schema, the empty
 *     schema is undistributed, the tables come back and the schema is
 *     distributed again.
 * Where a tenant lives is read from Citus's catalogs each time
 * (tenant_placements), so citus_schema_move / tenant_move never leave a
 * stale copy.
 *
 * Must not: decide (the core's tn_citus.c does), name a Citus object
 * before tn_pg_citus_present() said the extension is there, or leave
 * pg_dist_node changed after a placed distribution.
 */
#include "postgres.h"

#include <stdlib.h>

#include "executor/spi.h"
#include "commands/dbcommands.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "citus.h"
#include "registry_internal.h"
#include "tn_raise.h"

PG_FUNCTION_INFO_V1(tenancy_citus_create_schema);
PG_FUNCTION_INFO_V1(tenancy_citus_distribute);
PG_FUNCTION_INFO_V1(tenancy_citus_move);
PG_FUNCTION_INFO_V1(tenancy_citus_where);

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

bool
tn_pg_citus_present(void)
{
	reg_spi_run("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus'", 0, NULL);
	return SPI_processed > 0;
}

static void
require_citus(void)
{
	if (!tn_pg_citus_present())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the citus extension is not installed in database \"%s\"", get_database_name(MyDatabaseId)),
				 errhint("CREATE EXTENSION citus on a coordinator (shared_preload_libraries = 'citus') first.")));
}

/* GUCs set for the calls below and put back after (a nest level of their own). */
static int
quiet_begin(bool sharding_off)
{
	int level = NewGUCNestLevel();

	(void) set_config_option("client_min_messages", "warning", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (sharding_off)
		(void) set_config_option("citus.enable_schema_based_sharding", "off", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return level;
}

static void
quiet_end(int level)
{
	AtEOXact_GUC(true, level);
}

/* What Citus holds of schema: registered?, tables, missing (not in pg_dist_partition), the first missing. */
typedef struct schema_facts
{
	bool  registered;
	long  tables;
	long  missing;
	char *first_missing;
	char *missing_names; /* comma separated */
	char *anchor;		 /* a table of its colocation group, or NULL */
} schema_facts;

static void
read_facts(const char *schema, schema_facts *f)
{
	const char *v[1] = { schema };

	memset(f, 0, sizeof(*f));
	reg_spi_run("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_schema s JOIN pg_catalog.pg_namespace n"
				"   ON n.oid = s.schemaid WHERE n.nspname = $1),"
				" (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
				"   WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition),"
				" (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
				"   WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
				"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid)),"
				" (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c.relname), ', ' ORDER BY c.oid)"
				"   FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
				"   WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
				"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid)),"
				" (SELECT p.logicalrelid::pg_catalog.regclass::pg_catalog.text FROM pg_catalog.pg_dist_partition p"
				"   JOIN pg_catalog.pg_dist_schema s ON s.colocationid = p.colocationid"
				"   JOIN pg_catalog.pg_namespace n ON n.oid = s.schemaid"
				"   WHERE n.nspname = $1 ORDER BY p.logicalrelid LIMIT 1)",
				1, v);
	f->registered = strcmp(reg_spi_value(0, 1), "t") == 0;
	f->tables = atol(reg_spi_value(0, 2));
	f->missing = atol(reg_spi_value(0, 3));
	f->missing_names = reg_spi_value(0, 4);
	f->anchor = reg_spi_value(0, 5);
	if (f->missing_names != NULL)
	{
		char *comma = strchr(f->missing_names, ',');

		f->first_missing = comma ? pnstrdup(f->missing_names, comma - f->missing_names) : f->missing_names;
	}
}

static tn_citus_state
facts_state(const schema_facts *f)
{
	return tn_citus_schema_state(f->registered, f->tables, f->tables - f->missing);
}

/* The node ("host:port") holding the schema's shards, or NULL (none yet). */
static char *
schema_node(const char *schema)
{
	const char *v[1] = { schema };

	reg_spi_run("SELECT pg_catalog.string_agg(DISTINCT sh.nodename || ':' || sh.nodeport, ', ')"
				" FROM pg_catalog.citus_shards sh JOIN pg_catalog.pg_class c ON c.oid = sh.table_name"
				" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
				1, v);
	return SPI_processed > 0 ? reg_spi_value(0, 1) : NULL;
}

/* ------------------------------------------------------------------ */
/* Converting tables                                                   */
/* ------------------------------------------------------------------ */

/*
 * Tables of schema unknown to Citus join the group of anchor, referenced
 * tables first; a foreign-key cycle among them is an error.
 */
static void
adopt_missing(const char *schema, const char *anchor)
{
	const char *v[1] = { schema };

	for (;;)
	{
		char	   *table;
		const char *cv[2];

		reg_spi_run("SELECT c.oid::pg_catalog.regclass::pg_catalog.text FROM pg_catalog.pg_class c"
					" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
					" WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
					" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid)"
					" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid"
					"   AND k.contype = 'f' AND k.confrelid <> c.oid"
					"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p2 WHERE p2.logicalrelid = k.confrelid))"
					" ORDER BY c.oid LIMIT 1",
					1, v);
		if (SPI_processed == 0)
			break;
		table = reg_spi_value(0, 1);
		cv[0] = table;
		cv[1] = anchor;
		reg_spi_run("SELECT pg_catalog.create_distributed_table($1::pg_catalog.regclass, NULL,"
					" colocate_with => $2)",
					2, cv);
	}
}

/*
 * A half-distributed schema without any table in its group (Citus
 * registered it at CREATE SCHEMA, every table stayed local): the tables
 * wait in a holding schema while the empty schema is undistributed, then
 * come back; the caller distributes it again.
 */
static void
undistribute_through_holding(const char *schema)
{
	const char *v[1] = { schema };
	char	   *hold;
	uint64		n;
	char	  **tables;

	reg_spi_run("SELECT 'tenancy_hold_' || n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = $1", 1, v);
	hold = reg_spi_value(0, 1);
	reg_spi_run(psprintf("CREATE SCHEMA %s", quote_identifier(hold)), 0, NULL);
	reg_spi_run("SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
				" WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.oid",
				1, v);
	n = SPI_processed;
	tables = palloc(sizeof(char *) * (n + 1));
	for (uint64 i = 0; i < n; i++)
		tables[i] = reg_spi_value(i, 1);
	for (uint64 i = 0; i < n; i++)
		reg_spi_run(psprintf("ALTER TABLE %s.%s SET SCHEMA %s", quote_identifier(schema),
							 quote_identifier(tables[i]), quote_identifier(hold)),
					0, NULL);
	reg_spi_run("SELECT pg_catalog.citus_schema_undistribute($1::pg_catalog.regnamespace)", 1, v);
	for (uint64 i = 0; i < n; i++)
		reg_spi_run(psprintf("ALTER TABLE %s.%s SET SCHEMA %s", quote_identifier(hold),
							 quote_identifier(tables[i]), quote_identifier(schema)),
					0, NULL);
	reg_spi_run(psprintf("DROP SCHEMA %s", quote_identifier(hold)), 0, NULL);
}

/*
 * citus_schema_distribute, on the worker placement names when it names
 * one: the other workers take no new shards for the length of the call
 * (pg_dist_node changes inside this transaction only, and are put back
 * before it returns; Citus places a new group on the nodes that may hold
 * shards).
 */
static void
distribute_on(const char *schema, const tn_placement *p)
{
	const char *v[3] = { schema, NULL, NULL };
	char		port[16];
	uint64		npaused;
	char	  **paused;

	if (p->kind != TN_PLACE_NODE)
	{
		reg_spi_run("SELECT pg_catalog.citus_schema_distribute($1::pg_catalog.regnamespace)", 1, v);
		return;
	}
	snprintf(port, sizeof(port), "%d", p->port);
	v[1] = p->host;
	v[2] = port;
	reg_spi_run("SELECT 1 FROM pg_catalog.pg_dist_node WHERE nodename = $2 AND nodeport = $3::int"
				" AND noderole = 'primary' AND isactive",
				3, v);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s:%s\" is not an active Citus node", p->host, port),
				 errhint("The nodes are listed by SELECT nodename, nodeport FROM pg_dist_node.")));
	/* the other nodes that may take shards now (node ids), paused for the call */
	reg_spi_run("SELECT nodeid FROM pg_catalog.pg_dist_node WHERE shouldhaveshards AND noderole = 'primary'"
				" AND NOT (nodename = $2 AND nodeport = $3::int) ORDER BY nodeid",
				3, v);
	npaused = SPI_processed;
	paused = palloc(sizeof(char *) * (npaused + 1));
	for (uint64 i = 0; i < npaused; i++)
		paused[i] = reg_spi_value(i, 1);
	for (uint64 i = 0; i < npaused; i++)
		reg_spi_run("SELECT pg_catalog.citus_set_node_property(nodename, nodeport, 'shouldhaveshards', false)"
					" FROM pg_catalog.pg_dist_node WHERE nodeid = $1::int",
					1, (const char *const *) &paused[i]);
	reg_spi_run("SELECT pg_catalog.citus_set_node_property(nodename, nodeport, 'shouldhaveshards', true)"
				" FROM pg_catalog.pg_dist_node WHERE nodename = $2 AND nodeport = $3::int AND NOT shouldhaveshards",
				3, v);
	reg_spi_run("SELECT pg_catalog.citus_schema_distribute($1::pg_catalog.regnamespace)", 1, v);
	for (uint64 i = 0; i < npaused; i++)
		reg_spi_run("SELECT pg_catalog.citus_set_node_property(nodename, nodeport, 'shouldhaveshards', true)"
					" FROM pg_catalog.pg_dist_node WHERE nodeid = $1::int",
					1, (const char *const *) &paused[i]);
}

/* The distributed copy is the truth now: drop the coordinator's hidden local rows. */
static void
truncate_local_data(const char *schema)
{
	const char *v[1] = { schema };

	reg_spi_run("SELECT pg_catalog.truncate_local_data_after_distributing_table(p.logicalrelid)"
				" FROM pg_catalog.pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid"
				" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1"
				" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.confrelid = c.oid)",
				1, v);
}

/*
 * Make schema a fully distributed schema (inside SPI, Citus present):
 * distribute a local one, repair a half-distributed one, leave a
 * distributed one; placement p where a new group is made.  Returns where
 * it lives ("host:port", NULL for a schema without tables).
 */
static char *
complete_distribution(const char *schema, const tn_placement *p)
{
	schema_facts f;
	int			 level = quiet_begin(true);
	char		*node;

	read_facts(schema, &f);
	switch (facts_state(&f))
	{
		case TN_CITUS_LOCAL:
			distribute_on(schema, p);
			truncate_local_data(schema);
			break;
		case TN_CITUS_HALF:
			if (f.anchor != NULL)
				adopt_missing(schema, f.anchor);
			else
			{
				undistribute_through_holding(schema);
				distribute_on(schema, p);
				truncate_local_data(schema);
			}
			break;
		case TN_CITUS_DISTRIBUTED:
			break;
	}
	quiet_end(level);
	node = schema_node(schema);
	if (p->kind == TN_PLACE_NODE && node != NULL &&
		strcmp(node, psprintf("%s:%d", p->host, p->port)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema \"%s\" lives on %s, not on %s:%d", schema, node, p->host, p->port),
				 errdetail("A distributed schema that already has a colocation group keeps its worker."),
				 errhint("Move it with tenant_move('%s', '%s:%d').", schema, p->host, p->port)));
	return node;
}

/* ------------------------------------------------------------------ */
/* Migrations, errors and verify in a tenant                           */
/* ------------------------------------------------------------------ */

const char *
tn_pg_citus_migrating(const char *schema)
{
	schema_facts f;
	tn_error	 err;

	if (!tn_pg_citus_present())
		return NULL;
	read_facts(schema, &f);
	switch (facts_state(&f))
	{
		case TN_CITUS_LOCAL:
			return NULL;
		case TN_CITUS_DISTRIBUTED:
			return pstrdup(schema);
		case TN_CITUS_HALF:
			break;
	}
	tn_error_clear(&err);
	tn_citus_refuse_half(schema, f.missing, f.first_missing, &err);
	tn_raise(&err);
}

void
tn_pg_citus_adopt_new(const char *schema)
{
	schema_facts f;
	int			 level;

	read_facts(schema, &f);
	if (f.missing == 0)
		return;
	level = quiet_begin(true);
	if (f.anchor != NULL)
		adopt_missing(schema, f.anchor);
	else
	{
		tn_placement any = { TN_PLACE_ANY, "", 0 };

		quiet_end(level);
		(void) complete_distribution(schema, &any);
		return;
	}
	quiet_end(level);
}

char *
tn_pg_citus_unshard(const char *schema, const char *text)
{
	const char *v[1] = { schema };
	long long  *ids;
	char	   *plain, *out;

	if (text == NULL)
		return NULL;
	reg_spi_run("SELECT s.shardid FROM pg_catalog.pg_dist_shard s JOIN pg_catalog.pg_class c ON c.oid = s.logicalrelid"
				" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
				1, v);
	if (SPI_processed == 0)
		return pstrdup(text);
	ids = palloc(sizeof(long long) * SPI_processed);
	for (uint64 i = 0; i < SPI_processed; i++)
		ids[i] = atoll(reg_spi_value(i, 1));
	plain = tn_citus_unshard(text, ids, SPI_processed);
	if (plain == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	out = pstrdup(plain);
	free(plain);
	return out;
}

void
tn_pg_citus_verify(const char *schema, char **row, MemoryContext outer)
{
	schema_facts f;
	const char	*status;
	char		*problems, *detail;
	tn_error	 err;

	if (!tn_pg_citus_present())
		return;
	read_facts(schema, &f);
	if (facts_state(&f) != TN_CITUS_HALF)
		return;
	tn_error_clear(&err);
	if (tn_citus_verify_note(schema, f.missing, f.missing_names, row[3], row[4],
							 &status, &problems, &detail, &err) != TN_OK)
		tn_raise(&err);
	row[0] = MemoryContextStrdup(outer, status);
	row[3] = MemoryContextStrdup(outer, problems);
	row[4] = MemoryContextStrdup(outer, detail);
	free(problems);
	free(detail);
}

/* ------------------------------------------------------------------ */
/* Atomic runs                                                         */
/* ------------------------------------------------------------------ */

/* Is schema a distributed schema in the database of t?  (SPI here, libpq elsewhere.) */
static bool
tenant_distributed(const fo_tenant *t)
{
	const char *sql = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus')"
					  " AND pg_catalog.to_regclass('pg_catalog.pg_dist_schema') IS NOT NULL";
	const char *check = "SELECT 1 FROM pg_catalog.pg_dist_schema s JOIN pg_catalog.pg_namespace n"
						" ON n.oid = s.schemaid WHERE n.nspname = $1";
	const char *v[1] = { t->schema };
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res;
	bool		found = false;

	if (t->location == NULL)
	{
		if (!tn_pg_citus_present())
			return false;
		reg_spi_run(check, 1, v);
		return SPI_processed > 0;
	}
	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = t->location;
	o.dbname = t->dbname;
	conn = tn_lpq_connect(&o, &err);
	if (conn == NULL)
	{
		tn_error_detail_append(&err, "An atomic run needs every tenant; nothing was changed.");
		tn_raise_failure(&err);
	}
	res = tn_lpq_exec(conn, sql, 0, NULL, &err);
	if (res != NULL && strcmp(PQgetvalue(res, 0, 0), "t") == 0)
	{
		PQclear(res);
		res = tn_lpq_exec(conn, check, 1, v, &err);
		found = res != NULL && PQntuples(res) > 0;
	}
	if (res != NULL)
		PQclear(res);
	tn_lpq_finish(conn);
	if (res == NULL)
		tn_raise_failure(&err);
	return found;
}

void
tn_pg_citus_refuse_atomic(const fo_tenant *ts, int n)
{
	for (int i = 0; i < n; i++)
	{
		tn_error err;

		if (ts[i].schema == NULL || !tenant_distributed(&ts[i]))
			continue;
		tn_error_clear(&err);
		tn_citus_refuse_atomic(ts[i].name, &err);
		tn_raise(&err);
	}
}

/* ------------------------------------------------------------------ */
/* SQL functions in a tenant's database                                */
/* ------------------------------------------------------------------ */

/* tenancy.citus_create_schema(schema): CREATE SCHEMA, not registered by Citus (sharding off for it). */
Datum
tenancy_citus_create_schema(PG_FUNCTION_ARGS)
{
	char *schema = tn_pg_arg_required(fcinfo, 0, "schema");
	int	  level;

	reg_spi_connect();
	level = quiet_begin(tn_pg_citus_present());
	reg_spi_run(psprintf("CREATE SCHEMA %s", quote_identifier(schema)), 0, NULL);
	quiet_end(level);
	SPI_finish();
	PG_RETURN_VOID();
}

static void
parse_placement(const char *text, tn_placement *p)
{
	tn_error err;

	tn_error_clear(&err);
	if (tn_citus_parse_placement(text, p, &err) != TN_OK)
		tn_raise(&err);
}

/*
 * tenancy.citus_distribute(schema, placement DEFAULT NULL) -> where it
 * lives: the schema made a fully distributed schema (from local, from
 * half-distributed, or left as it is).
 */
Datum
tenancy_citus_distribute(PG_FUNCTION_ARGS)
{
	char		*schema = tn_pg_arg_required(fcinfo, 0, "schema");
	char		*placement = tn_pg_arg_text(fcinfo, 1);
	tn_placement p;
	char		*node;

	MemoryContext outer = CurrentMemoryContext;

	parse_placement(placement, &p);
	reg_spi_connect();
	require_citus();
	reg_spi_run("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", 1, (const char *const *) &schema);
	if (SPI_processed == 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_SCHEMA), errmsg("schema \"%s\" does not exist", schema)));
	node = complete_distribution(schema, &p);
	if (node != NULL)
		node = MemoryContextStrdup(outer, node);
	SPI_finish();
	if (node == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(node));
}

/* tenancy.citus_move(schema, node 'host:port') -> where it lives now (citus_schema_move, block_writes). */
Datum
tenancy_citus_move(PG_FUNCTION_ARGS)
{
	char		 *schema = tn_pg_arg_required(fcinfo, 0, "schema");
	char		 *node = tn_pg_arg_required(fcinfo, 1, "node");
	tn_placement  p;
	const char	 *v[3];
	char		  port[16];
	char		 *where;
	int			  level;
	MemoryContext outer = CurrentMemoryContext;

	parse_placement(node, &p);
	if (p.kind != TN_PLACE_NODE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid node \"%s\"", node),
				 errdetail("A tenant moves to a Citus worker named as 'host:port'.")));
	reg_spi_connect();
	require_citus();
	snprintf(port, sizeof(port), "%d", p.port);
	v[0] = schema;
	v[1] = p.host;
	v[2] = port;
	level = quiet_begin(false);
	reg_spi_run("SELECT pg_catalog.citus_schema_move($1::pg_catalog.regnamespace, $2, $3::int, 'block_writes')", 3, v);
	quiet_end(level);
	where = schema_node(schema);
	if (where != NULL)
		where = MemoryContextStrdup(outer, where);
	SPI_finish();
	if (where == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(where));
}

/* tenancy.citus_where(schema) -> (state, node): what Citus holds of it now. */
Datum
tenancy_citus_where(PG_FUNCTION_ARGS)
{
	char		 *schema = tn_pg_arg_required(fcinfo, 0, "schema");
	tn_pg_srf	  srf;
	char		 *row[2] = { NULL, NULL };
	schema_facts  f;
	MemoryContext outer = CurrentMemoryContext;

	tn_pg_srf_begin(fcinfo, NULL, &srf);
	reg_spi_connect();
	if (tn_pg_citus_present())
	{
		read_facts(schema, &f);
		row[0] = MemoryContextStrdup(outer, tn_citus_state_name(facts_state(&f)));
		if (f.registered)
		{
			row[1] = schema_node(schema);
			if (row[1] != NULL)
				row[1] = MemoryContextStrdup(outer, row[1]);
		}
	}
	else
		row[0] = MemoryContextStrdup(outer, tn_citus_state_name(TN_CITUS_LOCAL));
	SPI_finish();
	tn_pg_srf_put(&srf, row);
	return (Datum) 0;
}
