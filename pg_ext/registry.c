/*
 * registry.c -- the tenant registry of the PostgreSQL extension (1.2).
 *
 * SQL entry points: the tenant set (scope 'tenants' of
 * tenant_migration_add / tenant_migrations_load), tenant_create,
 * tenant_register, tenant_drop, tenants(), tenant_runs(),
 * tenant_migrate_all(), tenant_dry_run_all(), tenant_query_all(), and the
 * tenant-side tenancy.migrate_synced() that a fan-out calls in each tenant.
 *
 * Mechanics only, as sqlite_registry.c: where things are, connections,
 * registry rows.  Names, versions, the set's transport, each tenant's
 * status and the run's status are the core's decisions.
 *
 * The tenant set lives in the control database (tenancy.set_catalog,
 * written by the core through the SPI adapter with table prefix
 * "tenancy.set_").  Each server that holds database tenants has a template
 * database tenancy_template_<control db> kept at the newest version of the
 * set; tenant_create clones it (CREATE DATABASE .. TEMPLATE over a libpq
 * connection: it cannot run in a transaction).
 *
 * Schema tenants (kind 'schema'): a schema named like the tenant, in this
 * database or in the one a location names, with its own tracking tables
 * <schema>.tenancy_* (tenancy.create_tracking_tables); the tenant side
 * is tenancy.migrate_synced(set, target, mode, schema), whose adapter uses
 * that table prefix, a per-schema advisory lock and search_path =
 * <schema>, pg_catalog, pg_temp for migration bodies.
 *
 * Must not: store or print a password; leave a database (or a remote
 * schema) created by a tenant_create whose transaction did not commit
 * (see created_dbs).
 */
#include "postgres.h"

#include <stdlib.h>

#include "access/twophase.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/postmaster.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "fanout.h"
#include "libpq_conn.h"
#include "spi_adapter.h"
#include "tn_raise.h"

/* Advisory lock keys in the control database: ("tena", 2) serializes runs. */
#define TN_LOCK_KEY 1952804449	/* "tena" */
#define TN_LOCK_RUNS 2
#define TN_LOCK_SET 3
#define SET_PREFIX "tenancy.set_"

PG_FUNCTION_INFO_V1(tenant_migration_add_scoped);
PG_FUNCTION_INFO_V1(tenant_migrations_load_scoped);
PG_FUNCTION_INFO_V1(tenant_create);
PG_FUNCTION_INFO_V1(tenant_register);
PG_FUNCTION_INFO_V1(tenant_drop);
PG_FUNCTION_INFO_V1(tenants);
PG_FUNCTION_INFO_V1(tenant_runs);
PG_FUNCTION_INFO_V1(tenant_migrate_all);
PG_FUNCTION_INFO_V1(tenant_dry_run_all);
PG_FUNCTION_INFO_V1(tenant_query_all);
PG_FUNCTION_INFO_V1(tenancy_migrate_synced);
PG_FUNCTION_INFO_V1(tenant_verify_all);
PG_FUNCTION_INFO_V1(tenancy_verify_synced);
PG_FUNCTION_INFO_V1(tenant_migrate_all_atomic);

static void recover_atomic_runs(void);

/* the 1.0 entry points, for the 'database' scope */
extern Datum tenant_migration_add(PG_FUNCTION_ARGS);
extern Datum tenant_migrations_load(PG_FUNCTION_ARGS);

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static void raise_core(tn_error *err) pg_attribute_noreturn();

static void
raise_core(tn_error *err)
{
	if (err->code == TN_OK)
		err->code = TN_ERR_ENGINE;
	tn_raise(err);
}

static char *
arg_text(FunctionCallInfo fcinfo, int i)
{
	if (PG_NARGS() <= i || PG_ARGISNULL(i))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

static char *
required(FunctionCallInfo fcinfo, int i, const char *name)
{
	char	   *v = arg_text(fcinfo, i);

	if (v == NULL)
	{
		tn_error	err;

		tn_error_clear(&err);
		tn_error_null_argument(&err, name);
		tn_raise(&err);
	}
	return v;
}

static void
validate_name(const char *name)
{
	tn_error	err;

	tn_error_clear(&err);
	if (tn_validate_tenant_name(name, &err) != TN_OK)
		tn_raise(&err);
}

static char *
template_name(void)
{
	char	   *db = get_database_name(MyDatabaseId);
	char	   *name = psprintf("tenancy_template_%s", db);

	if (strlen(name) >= NAMEDATALEN)
		name[NAMEDATALEN - 1] = '\0';
	return name;
}

static char *
version_key(const char *version)
{
	char		key[TN_VERSION_KEY_MAX];

	if (version == NULL || version[0] == '\0' ||
		tn_version_key(version, key, sizeof(key)) != TN_OK)
		return NULL;
	return pstrdup(key);
}

/* Run SQL over SPI with text parameters (NULL = SQL NULL). */
static int
spi_run(const char *sql, int nargs, const char *const *values)
{
	Oid			types[16] = {0};
	Datum		datums[16] = {0};
	char		nulls[17] = {0};
	int			rc;

	Assert(nargs <= 16);
	for (int i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		datums[i] = values[i] ? CStringGetTextDatum(values[i]) : (Datum) 0;
		nulls[i] = values[i] ? ' ' : 'n';
	}
	rc = SPI_execute_with_args(sql, nargs, types, datums, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	return rc;
}

static char *
spi_value(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

static void
audit(const char *action, const char *tenant, const char *detail)
{
	const char *v[3] = {action, tenant, detail};

	spi_run("INSERT INTO tenancy.audit (action, tenant, detail) VALUES ($1, $2, $3)", 3, v);
}

static char *
extension_version(void)
{
	spi_run("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'tenancy'", 0, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "extension \"tenancy\" is not installed in this database");
	return spi_value(0, 1);
}

/* ------------------------------------------------------------------ */
/* The tenant set                                                      */
/* ------------------------------------------------------------------ */

static int
migration_cmp(const void *x, const void *y)
{
	return tn_version_compare(((const tn_migration *) x)->version,
							  ((const tn_migration *) y)->version);
}

static char *
malloc_copy(const char *s)
{
	char	   *c;

	if (s == NULL)
		return NULL;
	c = strdup(s);
	if (c == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return c;
}

/*
 * Read the set (inside SPI).  The set's strings are malloc'd (the core
 * frees them); a palloc failure in between would leak them, which is
 * acceptable for out-of-memory only.
 */
static void
load_set(tn_migration_set *set)
{
	memset(set, 0, sizeof(*set));
	spi_run("SELECT version, name, up_sql, down_sql, checksum, flags, source FROM tenancy.set_catalog", 0, NULL);
	if (SPI_processed == 0)
		return;
	set->items = calloc(SPI_processed, sizeof(tn_migration));
	if (set->items == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	set->cap = SPI_processed;
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		tn_migration *m = &set->items[set->count++];
		char	   *flags = spi_value(r, 6);

		m->version = malloc_copy(spi_value(r, 1));
		m->name = malloc_copy(spi_value(r, 2));
		m->up_sql = malloc_copy(spi_value(r, 3));
		m->down_sql = malloc_copy(spi_value(r, 4));
		snprintf(m->checksum, sizeof(m->checksum), "%s", spi_value(r, 5));
		m->flags = flags ? (unsigned) strtoul(flags, NULL, 10) : 0;
		m->source = malloc_copy(spi_value(r, 7));
		m->dialect = TN_DIALECT_POSTGRES;
	}
	qsort(set->items, set->count, sizeof(tn_migration), migration_cmp);
}

/* The set as transport text, palloc'd. */
static char *
encode_set(tn_migration_set *set)
{
	tn_buf		b;
	tn_error	err;
	char	   *out;

	tn_error_clear(&err);
	if (tn_set_encode(set, &b, &err) != TN_OK)
	{
		tn_migration_set_free(set);
		tn_raise(&err);
	}
	out = pstrdup(b.data ? b.data : "");
	tn_buf_free(&b);
	return out;
}

static const char *
newest_version(const tn_migration_set *set)
{
	return set->count ? set->items[set->count - 1].version : NULL;
}

/* ------------------------------------------------------------------ */
/* Templates                                                           */
/* ------------------------------------------------------------------ */

typedef struct one_outcome
{
	int			rc;
	tn_error	err;
	char		to_version[TN_MAX_VERSION_LEN + 1];
} one_outcome;

static void
one_done(void *arg, int index, const fo_tenant *t, fo_outcome *out)
{
	one_outcome *o = arg;

	o->rc = out->rc;
	o->err = out->err;
	snprintf(o->to_version, sizeof(o->to_version), "%s", out->res.to_version);
}

/*
 * The template this backend last brought to a set (ensure_template), so
 * that tenant_create need not check it again for every tenant: the check
 * costs three connections, and its connection to the template makes the
 * CREATE DATABASE that follows wait (PostgreSQL polls every 100 ms until
 * no other session is connected to the template).  The entry holds only
 * while everything it was made from is unchanged: the location, the
 * template's database OID (a drop and re-create changes it), the
 * extension's version and the exact transport text of the set (any added
 * or edited migration changes it).  TopMemoryContext; one entry.
 */
typedef struct known_template
{
	bool		valid;
	char	   *location;		/* NULL: this server */
	char	   *tmpl;
	Oid			oid;
	char	   *extversion;
	char	   *set_text;
	char	   *version;		/* where ensure_template left it */
} known_template;

static known_template template_cache;

static void
template_forget(void)
{
	known_template *k = &template_cache;

	if (k->location)
		pfree(k->location);
	if (k->tmpl)
		pfree(k->tmpl);
	if (k->extversion)
		pfree(k->extversion);
	if (k->set_text)
		pfree(k->set_text);
	if (k->version)
		pfree(k->version);
	memset(k, 0, sizeof(*k));
}

static void
template_remember(const char *location, const char *tmpl, Oid oid,
				  const char *extversion, const char *set_text, const char *version)
{
	known_template *k = &template_cache;

	template_forget();
	if (oid == InvalidOid)
		return;
	k->location = location ? MemoryContextStrdup(TopMemoryContext, location) : NULL;
	k->tmpl = MemoryContextStrdup(TopMemoryContext, tmpl);
	k->oid = oid;
	k->extversion = MemoryContextStrdup(TopMemoryContext, extversion);
	k->set_text = MemoryContextStrdup(TopMemoryContext, set_text);
	k->version = MemoryContextStrdup(TopMemoryContext, version);
	k->valid = true;
}

/* The template's version when it is known current, else NULL. */
static const char *
template_known(const char *location, const char *tmpl, Oid oid,
			   const char *extversion, const char *set_text)
{
	known_template *k = &template_cache;

	if (!k->valid || oid == InvalidOid || k->oid != oid ||
		(k->location == NULL) != (location == NULL) ||
		(location != NULL && strcmp(k->location, location) != 0) ||
		strcmp(k->tmpl, tmpl) != 0 || strcmp(k->extversion, extversion) != 0 ||
		strcmp(k->set_text, set_text) != 0)
		return NULL;
	return k->version;
}

/* OID of database dbname on conn's server, InvalidOid when there is none. */
static Oid
database_oid(PGconn *conn, const char *dbname)
{
	const char *p[1] = {dbname};
	PGresult   *res = tn_lpq_exec_or_raise(conn, "SELECT oid FROM pg_catalog.pg_database WHERE datname = $1", 1, p);
	Oid			oid = InvalidOid;

	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		oid = (Oid) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return oid;
}

/*
 * Make sure the template database exists on the server of location (NULL:
 * this server), has the extension, and is at the newest version of the
 * set.  Returns the template's version (palloc'd, "" when the set is
 * empty) and remembers it (template_cache).  Runs inside SPI.
 */
static char *
ensure_template(const char *location, tn_migration_set *set, const char *set_text)
{
	char	   *tmpl = template_name();
	char	   *extversion = extension_version();
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res = NULL;
	Oid			oid;
	fo_tenant	t;
	fo_job		job;
	one_outcome out;

	template_forget();
	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = location;
	o.dbname = "postgres";
	conn = tn_lpq_connect(&o, &err);
	if (conn == NULL)
		raise_core(&err);
	oid = database_oid(conn, tmpl);
	if (oid == InvalidOid)
	{
		char	   *sql = psprintf("CREATE DATABASE %s", quote_identifier(tmpl));

		res = tn_lpq_exec(conn, sql, 0, NULL, &err);
		/* a concurrent tenant_create may have made it: fine */
		if (res == NULL && strcmp(err.sqlstate, "42P04") != 0)
		{
			tn_lpq_finish(conn);
			raise_core(&err);
		}
		if (res)
			PQclear(res);
		oid = database_oid(conn, tmpl);
	}
	tn_lpq_finish(conn);

	o.dbname = tmpl;
	conn = tn_lpq_connect(&o, &err);
	if (conn == NULL)
		raise_core(&err);
	{
		char	   *sql = psprintf("CREATE EXTENSION IF NOT EXISTS tenancy VERSION %s",
								   quote_literal_cstr(extversion));

		res = tn_lpq_exec(conn, sql, 0, NULL, &err);
		if (res == NULL && strcmp(err.sqlstate, "23505") != 0 && strcmp(err.sqlstate, "42710") != 0)
		{
			tn_lpq_finish(conn);
			raise_core(&err);
		}
		if (res)
			PQclear(res);
	}
	tn_lpq_finish(conn);

	/* bring it to the newest version, as any tenant */
	memset(&t, 0, sizeof(t));
	t.name = tmpl;
	t.location = location;
	t.dbname = tmpl;
	memset(&job, 0, sizeof(job));
	memset(&out, 0, sizeof(out));
	job.mode = FO_SYNC_TEMPLATE;
	job.tenants = &t;
	job.ntenants = 1;
	job.concurrency = 1;
	job.set = set;
	job.set_text = set_text;
	job.options = fo_timeout_options();
	job.done = one_done;
	job.arg = &out;
	fo_run(&job);
	if (out.rc != TN_OK)
	{
		tn_error_detail_append(&out.err, "This happened in the template database \"%s\", so the change was not accepted.", tmpl);
		raise_core(&out.err);
	}
	template_remember(location, tmpl, oid, extversion, set_text, out.to_version);
	return pstrdup(out.to_version);
}

/* Change the set with a core call over SPI on the tenancy.set_* tables. */
typedef int (*set_change_fn) (const tn_adapter *a, void *arg, long long *count, tn_error *err);

static int
change_add(const tn_adapter *a, void *arg, long long *count, tn_error *err)
{
	int			added = 0;
	int			rc = tn_catalog_add(a, arg, &added, err);

	*count = added;
	return rc;
}

static int
change_load(const tn_adapter *a, void *arg, long long *count, tn_error *err)
{
	return tn_catalog_load_folder(a, arg, count, err);
}

static long long
change_tenant_set(set_change_fn change, void *arg, const char *action)
{
	tn_adapter	adapter;
	tn_pg_adapter_ctx ctx;
	tn_error	err;
	long long	count = 0;
	int			rc;
	tn_migration_set set;
	char	   *text;

	tn_error_clear(&err);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	spi_run("SELECT pg_catalog.pg_advisory_xact_lock(" CppAsString2(TN_LOCK_KEY) ", " CppAsString2(TN_LOCK_SET) ")", 0, NULL);
	tn_pg_adapter_init(&adapter, &ctx, NULL);
	adapter.table_prefix = SET_PREFIX;
	rc = change(&adapter, arg, &count, &err);
	rc = tn_pg_adapter_finish(&ctx, rc, &err);
	if (rc != TN_OK)
	{
		SPI_finish();
		raise_core(&err);
	}
	/* the local template follows the set now; its failure undoes the change */
	load_set(&set);
	text = encode_set(&set);
	PG_TRY();
	{
		ensure_template(NULL, &set, text);
	}
	PG_FINALLY();
	{
		tn_migration_set_free(&set);
	}
	PG_END_TRY();
	if (count > 0)
		audit(action, NULL, psprintf("%lld migrations", count));
	SPI_finish();
	return count;
}

typedef struct sent_files
{
	size_t		n;
	const char *const *names;
	const char *const *bodies;
	const size_t *lens;
} sent_files;

static int
change_load_files(const tn_adapter *a, void *arg, long long *count, tn_error *err)
{
	const sent_files *f = arg;

	return tn_catalog_load_files(a, f->n, f->names, f->bodies, f->lens, count, err);
}

/* tenant_migrations_load_files(..., 'tenants') (entry point in tenancy_pg.c) */
long long	reg_set_load_files(size_t n, const char *const *names,
							   const char *const *bodies, const size_t *lens);

long long
reg_set_load_files(size_t n, const char *const *names, const char *const *bodies,
				   const size_t *lens)
{
	sent_files	f = {n, names, bodies, lens};

	return change_tenant_set(change_load_files, &f, "set_load");
}

static bool
scope_is_tenants(const char *scope)
{
	tn_error	err;
	int			tenants = 0;

	tn_error_clear(&err);
	if (tn_parse_scope(scope, &tenants, &err) != TN_OK)
		tn_raise(&err);
	return tenants != 0;
}

/* tenant_migration_add(version, name, up_sql, down_sql, scope) */
Datum
tenant_migration_add_scoped(PG_FUNCTION_ARGS)
{
	char	   *scope = arg_text(fcinfo, 4);
	tn_migration m;
	tn_error	err;
	long long	added;

	if (!scope_is_tenants(scope))
	{
		LOCAL_FCINFO(inner, 4);

		InitFunctionCallInfoData(*inner, fcinfo->flinfo, 4, fcinfo->fncollation, NULL, NULL);
		for (int i = 0; i < 4; i++)
			inner->args[i] = fcinfo->args[i];
		return tenant_migration_add(inner);
	}
	tn_error_clear(&err);
	if (tn_migration_from_args(arg_text(fcinfo, 0), arg_text(fcinfo, 1), arg_text(fcinfo, 2),
							   arg_text(fcinfo, 3), TN_DIALECT_POSTGRES, &m, &err) != TN_OK)
		tn_raise(&err);
	PG_TRY();
	{
		added = change_tenant_set(change_add, &m, "set_add");
	}
	PG_FINALLY();
	{
		tn_migration_clear(&m);
	}
	PG_END_TRY();
	PG_RETURN_INT64(added);
}

/* tenant_migrations_load(path, scope) */
Datum
tenant_migrations_load_scoped(PG_FUNCTION_ARGS)
{
	char	   *scope = arg_text(fcinfo, 1);
	char	   *path;

	if (!scope_is_tenants(scope))
	{
		LOCAL_FCINFO(inner, 1);

		InitFunctionCallInfoData(*inner, fcinfo->flinfo, 1, fcinfo->fncollation, NULL, NULL);
		inner->args[0] = fcinfo->args[0];
		return tenant_migrations_load(inner);
	}
	path = required(fcinfo, 0, "path");
	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to load migrations from the server's file system"),
				 errdetail("Only roles with privileges of the \"pg_read_server_files\" role may read server files."),
				 errhint("Use tenant_migration_add(..., 'tenants') to add migrations from SQL instead.")));
	PG_RETURN_INT64(change_tenant_set(change_load, path, "set_load"));
}

/* ------------------------------------------------------------------ */
/* Databases created by tenant_create in this transaction              */
/* ------------------------------------------------------------------ */

/*
 * CREATE DATABASE runs over its own connection and commits at once; if
 * the transaction that registers the tenant then aborts, the database
 * would stay, unclaimed.  The abort callback drops it.
 */
typedef struct created_db
{
	char	   *dbname;
	char	   *location;
	char	   *schema;			/* schema tenant: drop this schema in location */
	struct created_db *next;
} created_db;

static created_db *created_dbs = NULL;
static bool created_cb_registered = false;

static void
drop_database(const char *location, const char *dbname, bool raise)
{
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res;
	char	   *sql = psprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", quote_identifier(dbname));

	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = location;
	o.dbname = "postgres";
	conn = tn_lpq_connect(&o, &err);
	if (conn == NULL)
	{
		if (raise)
			raise_core(&err);
		return;
	}
	res = tn_lpq_exec(conn, sql, 0, NULL, &err);
	tn_lpq_finish(conn);
	if (res)
		PQclear(res);
	else if (raise)
		raise_core(&err);
}

static void
created_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT && created_dbs != NULL)
	{
		created_db *c = created_dbs;

		created_dbs = NULL;
		/* plain libpq here: the transaction is gone; connect with a short timeout */
		for (; c; c = c->next)
		{
			char	   *self = NULL;
			PGconn	   *conn;
			char		sql[256];

			PG_TRY();
			{
				self = tn_lpq_self_conninfo();
			}
			PG_CATCH();
			{
				FlushErrorState();
			}
			PG_END_TRY();
			if (c->location == NULL && self == NULL)
				continue;
			if (c->schema != NULL)
			{
				/* a remote schema tenant: its database, named by location */
				const char *keys[] = {"dbname", "connect_timeout", NULL};
				const char *vals[] = {c->location, "5", NULL};

				conn = PQconnectdbParams(keys, vals, 1);
				if (conn && PQstatus(conn) == CONNECTION_OK)
				{
					char	   *q = (char *) quote_identifier(c->schema);

					snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", q);
					PQclear(PQexec(conn, sql));
				}
				if (conn)
					PQfinish(conn);
				continue;
			}
			{
				const char *keys[] = {"dbname", "dbname", "connect_timeout", NULL};
				const char *vals[] = {c->location ? c->location : self, "postgres", "5", NULL};

				/* expand the first, override its dbname */
				conn = PQconnectdbParams(keys, vals, 1);
			}
			if (conn && PQstatus(conn) == CONNECTION_OK)
			{
				char	   *q = (char *) quote_identifier(c->dbname);

				/*
				 * Send and close without waiting: DROP DATABASE waits for
				 * every backend (this one too) to absorb a barrier, which
				 * this backend does only once its abort is over.  The
				 * server runs a query it has read before the close.
				 */
				snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", q);
				if (PQsendQuery(conn, sql))
					(void) PQflush(conn);
			}
			if (conn)
				PQfinish(conn);
		}
	}
	else if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE)
		created_dbs = NULL;
}

static void
remember_created(const char *location, const char *dbname, const char *schema)
{
	created_db *c = MemoryContextAllocZero(TopTransactionContext, sizeof(created_db));

	if (!created_cb_registered)
	{
		RegisterXactCallback(created_xact_callback, NULL);
		created_cb_registered = true;
	}
	c->dbname = MemoryContextStrdup(TopTransactionContext, dbname);
	c->location = location ? MemoryContextStrdup(TopTransactionContext, location) : NULL;
	c->schema = schema ? MemoryContextStrdup(TopTransactionContext, schema) : NULL;
	c->next = created_dbs;
	created_dbs = c;
}

/* ------------------------------------------------------------------ */
/* tenant_create / tenant_register / tenant_drop                       */
/* ------------------------------------------------------------------ */

/* true for 'schema', false for 'database' (NULL); raises for anything else */
static bool
check_kind(const char *kind)
{
	if (kind == NULL || strcmp(kind, "database") == 0)
		return false;
	if (strcmp(kind, "schema") == 0)
		return true;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid tenant kind \"%s\"", kind),
			 errhint("Use 'database' (the default) or 'schema'.")));
}

static void
refuse_existing(const char *name)
{
	const char *v[1] = {name};

	spi_run("SELECT 1 FROM tenancy.tenants WHERE name = $1", 1, v);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("tenant \"%s\" already exists", name),
				 errhint("Choose another name, or drop the tenant first with tenant_drop('%s').", name)));
}

static void
insert_tenant(const char *name, const char *location, const char *dbname,
			  const char *version, long long pending, const char *action,
			  const char *schema)
{
	char		pbuf[32];
	const char *v[7];

	if (schema != NULL)
	{
		snprintf(pbuf, sizeof(pbuf), "%lld", pending);
		v[0] = name;
		v[1] = location;
		v[2] = dbname;
		v[3] = version && version[0] ? version : NULL;
		v[4] = version_key(version);
		v[5] = pbuf;
		v[6] = schema;
		spi_run("INSERT INTO tenancy.tenants (name, kind, location, dbname, version, version_key, pending, schema_name)"
				" VALUES ($1, 'schema', $2, $3, $4, $5, $6::int8, $7)", 7, v);
		audit(action, name, location ? psprintf("schema \"%s\" in database \"%s\" at %s", schema, dbname, location)
			  : psprintf("schema \"%s\" in database \"%s\" on this server", schema, dbname));
		return;
	}

	snprintf(pbuf, sizeof(pbuf), "%lld", pending);
	v[0] = name;
	v[1] = location;
	v[2] = dbname;
	v[3] = version && version[0] ? version : NULL;
	v[4] = version_key(version);
	v[5] = pbuf;
	spi_run("INSERT INTO tenancy.tenants (name, kind, location, dbname, version, version_key, pending)"
			" VALUES ($1, 'database', $2, $3, $4, $5, $6::int8)", 6, v);
	audit(action, name, location ? psprintf("database \"%s\" at %s", dbname, location)
		  : psprintf("database \"%s\" on this server", dbname));
}

/* ------------------------------------------------------------------ */
/* Schema tenants                                                      */
/* ------------------------------------------------------------------ */

/*
 * A statement in the schema tenant's database: over SPI in the caller's
 * transaction when conn is NULL (this database), else over libpq.  Returns
 * the first column of the first row (palloc'd) or NULL.  Raises.
 */
static char *
tenant_side(PGconn *conn, const char *sql, int n, const char *const *v)
{
	PGresult   *res;
	char	   *out = NULL;

	if (conn == NULL)
	{
		spi_run(sql, n, v);
		if (SPI_processed > 0 && SPI_tuptable != NULL)
			out = spi_value(0, 1);
		return out;
	}
	res = tn_lpq_exec_or_raise(conn, sql, n, v);
	if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0))
		out = pstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

/*
 * tenant_create(name, location, 'schema') (adopt = false) and
 * tenant_register(name, location, 'schema') (adopt = true).  The schema
 * is the tenant's name, in this database (location NULL, everything in
 * the caller's transaction) or in the database location names (one
 * transaction there; a created schema is dropped again if the caller's
 * transaction aborts).  Create: CREATE SCHEMA, its tracking tables
 * (tenancy.create_tracking_tables), then tenancy.migrate_synced(set, ..,
 * schema) brings it to the newest version of the set (up to the first
 * no-transaction migration: tenant_migrate_all() runs that).  Register:
 * the schema must exist; its tracking tables are created if missing.
 */
static void
schema_tenant(const char *name, const char *location, bool adopt)
{
	PGconn	   *volatile conn = NULL;
	tn_migration_set set;
	char	   *text;
	char	   *dbname;
	char	   *version = NULL;
	char	   *state;
	const char *mode = "migrate";
	const char *target = NULL;
	bool		more_steps = false;
	const char *v[4];

	if (strncmp(name, "pg_", 3) == 0 || strcmp(name, "information_schema") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("\"%s\" cannot be a schema tenant", name),
				 errdetail("Schema names starting with \"pg_\" and information_schema belong to PostgreSQL.")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	refuse_existing(name);
	load_set(&set);
	text = encode_set(&set);
	if (!adopt)
	{
		tn_fanout_step *steps;
		size_t		nsteps;
		tn_error	err;

		tn_error_clear(&err);
		if (tn_fanout_plan(&set, NULL, &steps, &nsteps, &err) != TN_OK)
		{
			tn_migration_set_free(&set);
			raise_core(&err);
		}
		if (nsteps > 0)
		{
			mode = steps[0].kind == TN_STEP_SYNC ? "sync" : "migrate";
			target = steps[0].version ? pstrdup(steps[0].version) : NULL;
			more_steps = nsteps > 1;
		}
		free(steps);
	}

	PG_TRY();
	{
		if (location != NULL)
		{
			tn_lpq_opts o;
			tn_error	err;

			tn_error_clear(&err);
			memset(&o, 0, sizeof(o));
			o.location = location;
			conn = tn_lpq_connect(&o, &err);
			if (conn == NULL)
				raise_core(&err);
			v[0] = extension_version();
			PQclear(tn_lpq_exec_or_raise(conn, psprintf("CREATE EXTENSION IF NOT EXISTS tenancy VERSION %s",
														quote_literal_cstr(v[0])), 0, NULL));
			PQclear(tn_lpq_exec_or_raise(conn, "BEGIN", 0, NULL));
		}
		dbname = tenant_side(conn, "SELECT pg_catalog.current_database()", 0, NULL);

		v[0] = name;
		state = tenant_side(conn, "SELECT CASE WHEN e.extnamespace = n.oid THEN 'extension' ELSE 'exists' END"
							" FROM pg_catalog.pg_namespace n, pg_catalog.pg_extension e"
							" WHERE n.nspname = $1 AND e.extname = 'tenancy'", 1, v);
		if (state != NULL && strcmp(state, "extension") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("schema \"%s\" holds the tenancy extension", name),
					 errdetail("A schema tenant gets tracking tables and migrations of its own; the extension's schema cannot be one.")));
		if (!adopt && state != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_SCHEMA),
					 errmsg("schema \"%s\" already exists", name),
					 errdetail("tenant_create makes a new schema."),
					 errhint("Adopt the existing schema with tenant_register('%s', %s, 'schema'), or choose another name.",
							 name, location ? "location" : "NULL")));
		if (adopt && state == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("schema \"%s\" does not exist", name),
					 errhint("Create a schema tenant with tenant_create('%s', %s, 'schema').",
							 name, location ? "location" : "NULL")));
		if (!adopt)
			tenant_side(conn, psprintf("CREATE SCHEMA %s", quote_identifier(name)), 0, NULL);
		tenant_side(conn, "SELECT tenancy.create_tracking_tables($1::pg_catalog.name)", 1, v);
		if (adopt)
		{
			/* where it stands, by its own catalog (reads only) */
			version = tenant_side(conn, "SELECT version FROM tenancy.verify_synced(NULL, $1)", 1, v);
		}
		else
		{
			v[0] = text;
			v[1] = target;
			v[2] = mode;
			v[3] = name;
			version = tenant_side(conn, "SELECT to_version FROM tenancy.migrate_synced($1, $2, $3, $4)", 4, v);
		}
		if (conn != NULL)
		{
			PQclear(tn_lpq_exec_or_raise(conn, "COMMIT", 0, NULL));
			tn_lpq_finish(conn);
			conn = NULL;
			if (!adopt)
				remember_created(location, dbname, name);
		}
		if (more_steps)
			ereport(NOTICE,
					(errmsg("schema tenant \"%s\" is at version %s", name, version ? version : "(none)"),
					 errdetail("A migration after it must run outside a transaction."),
					 errhint("Run tenant_migrate_all() to bring it to the newest version.")));
		insert_tenant(name, location, dbname, version, tn_set_count_newer(&set, version),
					  adopt ? "register" : "create", name);
	}
	PG_FINALLY();
	{
		/* a remote failure: closing the connection rolls its transaction back */
		if (conn != NULL)
			tn_lpq_finish(conn);
		tn_migration_set_free(&set);
	}
	PG_END_TRY();
	SPI_finish();
}

/* tenant_drop(name, 'delete') of a schema tenant: DROP SCHEMA .. CASCADE */
static void
drop_schema(const char *location, const char *dbname, const char *schema)
{
	char	   *sql = psprintf("DROP SCHEMA IF EXISTS %s CASCADE", quote_identifier(schema));
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res;

	if (location == NULL)
	{
		/* this database: in the caller's transaction */
		spi_run(sql, 0, NULL);
		return;
	}
	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = location;
	o.dbname = dbname;
	conn = tn_lpq_connect(&o, &err);
	if (conn == NULL)
		raise_core(&err);
	res = tn_lpq_exec(conn, sql, 0, NULL, &err);
	tn_lpq_finish(conn);
	if (res == NULL)
		raise_core(&err);
	PQclear(res);
}

/*
 * tenant_create(name, location DEFAULT NULL, kind DEFAULT 'database'): the
 * argument order of tenant_register(name, location, kind) and of SQLite's
 * tenant_create(name [, path]).
 */
Datum
tenant_create(PG_FUNCTION_ARGS)
{
	char	   *name = required(fcinfo, 0, "name");
	char	   *location = arg_text(fcinfo, 1);
	char	   *kind = arg_text(fcinfo, 2);
	tn_migration_set set;
	char	   *text;
	char	   *version;
	char	   *extversion;
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *volatile conn = NULL;
	PGresult   *res;
	const char *tmpl = template_name();

	validate_name(name);
	tn_lpq_check_location(location, "location");
	if (location && location[0] == '\0')
		location = NULL;
	if (check_kind(kind))
	{
		schema_tenant(name, location, false);
		PG_RETURN_TEXT_P(cstring_to_text(name));
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	refuse_existing(name);
	load_set(&set);
	PG_TRY();
	{
		const char *known;

		text = encode_set(&set);
		extversion = extension_version();

		/* the server's admin connection, for CREATE DATABASE */
		tn_error_clear(&err);
		memset(&o, 0, sizeof(o));
		o.location = location;
		o.dbname = "postgres";
		conn = tn_lpq_connect(&o, &err);
		if (conn == NULL)
			raise_core(&err);

		/*
		 * The template is checked (and synced) only when this backend has
		 * not already brought it, as it is now, to this very set.
		 */
		known = template_known(location, tmpl,
							   location == NULL ? get_database_oid(tmpl, true) : database_oid(conn, tmpl),
							   extversion, text);
		version = known ? pstrdup(known) : ensure_template(location, &set, text);

		/* clone the template; nothing is registered until it exists */
		res = tn_lpq_exec(conn, psprintf("CREATE DATABASE %s TEMPLATE %s", quote_identifier(name),
										 quote_identifier(tmpl)), 0, NULL, &err);
		tn_lpq_finish(conn);
		conn = NULL;
		if (res == NULL)
		{
			/* a template dropped under us: forget it, the next call re-creates it */
			if (strcmp(err.sqlstate, "3D000") == 0)
				template_forget();
			if (strcmp(err.sqlstate, "42P04") == 0)
				tn_error_hint(&err, "Adopt the existing database with tenant_register('%s', location), or choose another name.", name);
			raise_core(&err);
		}
		PQclear(res);
		remember_created(location, name, NULL);
		insert_tenant(name, location, name, version, tn_set_count_newer(&set, version), "create", NULL);
	}
	PG_FINALLY();
	{
		/* conn, if still open, is closed by libpq_conn.c on abort */
		tn_migration_set_free(&set);
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(name));
}

/* tenant_register(name, location, kind DEFAULT 'database') */
Datum
tenant_register(PG_FUNCTION_ARGS)
{
	char	   *name = arg_text(fcinfo, 0);
	char	   *location = arg_text(fcinfo, 1);
	char	   *kind = arg_text(fcinfo, 2);
	char	   *dbname = NULL;
	char	   *version = NULL;
	char	   *extversion;
	tn_migration_set set;
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res;
	PQconninfoOption *opts;

	if (name == NULL)
		name = required(fcinfo, 0, "name");
	validate_name(name);
	if (check_kind(kind))
	{
		/* a schema: in this database when location is NULL */
		tn_lpq_check_location(location, "location");
		if (location && location[0] == '\0')
			location = NULL;
		schema_tenant(name, location, true);
		PG_RETURN_TEXT_P(cstring_to_text(name));
	}
	if (location == NULL)
		location = required(fcinfo, 1, "location");
	tn_lpq_check_location(location, "location");
	opts = PQconninfoParse(location, NULL);
	for (PQconninfoOption *p = opts; p && p->keyword; p++)
		if (strcmp(p->keyword, "dbname") == 0 && p->val && p->val[0])
			dbname = pstrdup(p->val);
	if (opts)
		PQconninfoFree(opts);
	if (dbname == NULL)
		dbname = name;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	refuse_existing(name);
	extversion = extension_version();

	/* it must be a database we can reach and track */
	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = location;
	o.dbname = dbname;
	conn = tn_lpq_connect(&o, &err);
	if (conn == NULL)
		raise_core(&err);
	res = tn_lpq_exec(conn, psprintf("CREATE EXTENSION IF NOT EXISTS tenancy VERSION %s",
									 quote_literal_cstr(extversion)), 0, NULL, &err);
	if (res)
	{
		PQclear(res);
		res = tn_lpq_exec(conn, "SELECT version FROM tenancy.applied", 0, NULL, &err);
	}
	if (res == NULL)
	{
		tn_lpq_finish(conn);
		raise_core(&err);
	}
	for (int r = 0; r < PQntuples(res); r++)
	{
		const char *v = PQgetvalue(res, r, 0);

		if (version == NULL || tn_version_compare(v, version) > 0)
			version = pstrdup(v);
	}
	PQclear(res);
	tn_lpq_finish(conn);

	load_set(&set);
	PG_TRY();
	{
		insert_tenant(name, location, dbname, version, tn_set_count_newer(&set, version), "register", NULL);
	}
	PG_FINALLY();
	{
		tn_migration_set_free(&set);
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(name));
}

/* tenant_drop(name, mode DEFAULT 'keep'): 'keep' unregisters, 'delete' also drops the database */
Datum
tenant_drop(PG_FUNCTION_ARGS)
{
	char	   *name = required(fcinfo, 0, "name");
	char	   *mode = arg_text(fcinfo, 1);
	bool		delete;
	const char *v[1] = {name};
	char	   *location = NULL;
	char	   *dbname;
	char	   *schema;

	if (mode != NULL && strcmp(mode, "keep") != 0 && strcmp(mode, "delete") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid drop mode \"%s\"", mode),
				 errhint("Use 'keep' (the default: unregister, keep the database) or 'delete'.")));
	delete = mode != NULL && strcmp(mode, "delete") == 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	spi_run("DELETE FROM tenancy.tenants WHERE name = $1 RETURNING location, dbname, schema_name", 1, v);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("tenant \"%s\" does not exist", name),
				 errhint("See SELECT * FROM tenants().")));
	location = spi_value(0, 1);
	dbname = spi_value(0, 2);
	schema = spi_value(0, 3);
	audit(delete ? "drop_delete" : "drop", name, NULL);
	/* last: if it fails, the registry row comes back with the error */
	if (delete && schema != NULL)
		drop_schema(location, dbname, schema);
	else if (delete)
		drop_database(location, dbname, true);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(name));
}

/* ------------------------------------------------------------------ */
/* tenants() and tenant_runs()                                         */
/* ------------------------------------------------------------------ */

static void
check_columns(ReturnSetInfo *rsinfo, const tn_result_def *def)
{
	TupleDesc	desc = rsinfo->setDesc;

	if (desc->natts != def->ncols)
		elog(ERROR, "%s() returns %d columns, the core defines %d", def->function, desc->natts, def->ncols);
	for (int i = 0; i < def->ncols; i++)
		if (strcmp(NameStr(TupleDescAttr(desc, i)->attname), def->cols[i].name) != 0)
			elog(ERROR, "%s() column %d is \"%s\", the core defines \"%s\"", def->function, i + 1,
				 NameStr(TupleDescAttr(desc, i)->attname), def->cols[i].name);
}

static void
put_row(ReturnSetInfo *rsinfo, AttInMetadata *meta, char **values)
{
	HeapTuple	tuple = BuildTupleFromCStrings(meta, values);

	tuplestore_puttuple(rsinfo->setResult, tuple);
	heap_freetuple(tuple);
}

Datum
tenants(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	AttInMetadata *meta;
	tn_migration_set set;
	MemoryContext outer = CurrentMemoryContext;

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	check_columns(rsinfo, &tn_def_tenants);
	meta = TupleDescGetAttInMetadata(rsinfo->setDesc);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	load_set(&set);
	PG_TRY();
	{
		spi_run("SELECT name, kind, location, state, version, last_run, last_error"
				" FROM tenancy.tenants ORDER BY name", 0, NULL);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			char	   *row[8];
			char	   *version = spi_value(r, 5);
			char	   *state = spi_value(r, 4);
			char	   *last_error = spi_value(r, 7);
			long long	pending = tn_set_count_newer(&set, version);
			MemoryContext old;

			row[0] = spi_value(r, 1);
			row[1] = spi_value(r, 2);
			row[2] = spi_value(r, 3);
			if (last_error)
				row[3] = strcmp(state, TN_FANOUT_UNREACHABLE) == 0 ||
					strcmp(state, TN_VERIFY_PROBLEMS) == 0 ? state : (char *) TN_FANOUT_FAILED;
			else
				row[3] = pending > 0 ? "behind" : "up_to_date";
			row[4] = version;
			row[5] = psprintf("%lld", pending);
			row[6] = spi_value(r, 6);
			row[7] = last_error;
			old = MemoryContextSwitchTo(outer);
			put_row(rsinfo, meta, row);
			MemoryContextSwitchTo(old);
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

Datum
tenant_runs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	AttInMetadata *meta;
	MemoryContext outer = CurrentMemoryContext;

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	check_columns(rsinfo, &tn_def_runs);
	meta = TupleDescGetAttInMetadata(rsinfo->setDesc);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* a run whose caller is gone (killed) shows as aborted */
	spi_run("SELECT r.run_id, r.started_at, r.finished_at, r.target,"
			" CASE WHEN r.status = 'running' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a"
			"   WHERE a.pid = r.caller_pid AND a.backend_start <= r.started_at) THEN 'aborted' ELSE r.status END,"
			" r.tenants, r.applied, r.failed FROM tenancy.runs r ORDER BY r.run_id", 0, NULL);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		char	   *row[8];
		MemoryContext old;

		for (int c = 0; c < 8; c++)
			row[c] = spi_value(r, c + 1);
		old = MemoryContextSwitchTo(outer);
		put_row(rsinfo, meta, row);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return (Datum) 0;
}

/* ------------------------------------------------------------------ */
/* Fan-out entry points                                                */
/* ------------------------------------------------------------------ */

typedef struct run_ctx
{
	fo_mode		mode;
	ReturnSetInfo *rsinfo;
	AttInMetadata *meta;
	MemoryContext outer;
	PGconn	   *control;		/* autocommit connection to this database */
	long long	run_id;
	int			total;
	const tn_migration_set *set;
	long long	applied;
	long long	failed;
	long long	unreachable;
	long long	done_count;		/* tenants finished so far */
} run_ctx;

/* Write one finished tenant through the control connection (autocommit). */
static void
record_tenant(run_ctx *rc, const char *tenant, char **row, const fo_outcome *out)
{
	const char *p[12];
	char		run[32], fails[32];
	const char *status = row[1];
	bool		ok = out->rc == TN_OK;
	tn_error	err;
	PGresult   *res;
	const char *version = out->res.to_version[0] ? out->res.to_version : NULL;
	char		pending[32];

	snprintf(run, sizeof(run), "%lld", rc->run_id);
	snprintf(fails, sizeof(fails), "%d", ok ? 0 : 1);
	snprintf(pending, sizeof(pending), "%lld", tn_set_count_newer(rc->set, version));
	p[0] = run;
	p[1] = tenant;
	p[2] = status;
	p[3] = row[2];
	p[4] = row[3];
	p[5] = row[4];
	p[6] = row[5];
	p[7] = row[6];
	p[8] = row[7];
	p[9] = version;
	p[10] = version ? version_key(version) : NULL;
	p[11] = fails;
	tn_error_clear(&err);
	res = tn_lpq_exec(rc->control,
					  "WITH t AS (INSERT INTO tenancy.run_tenants (run_id, tenant, status, from_version, to_version,"
					  "   applied, duration_ms, sqlstate, error)"
					  "   VALUES ($1::int8, $2, $3, $4, $5, $6::int8, $7::int8, $8, $9)),"
					  " u AS (UPDATE tenancy.tenants SET version = coalesce($10, version),"
					  "   version_key = coalesce($11, version_key), state = $3,"
					  "   last_error = CASE WHEN $12 = '0' THEN NULL ELSE $9 END, last_run = pg_catalog.clock_timestamp()"
					  "   WHERE name = $2),"
					  " a AS (INSERT INTO tenancy.audit (action, tenant, detail)"
					  "   SELECT 'migrate', $2, 'run ' || $1 || ': ' || coalesce($9, $3) WHERE $3 <> 'up_to_date')"
					  " UPDATE tenancy.runs SET applied = applied + $6::int8, failed = failed + $12::int8"
					  " WHERE run_id = $1::int8", 12, p, &err);
	if (res)
		PQclear(res);
	else
		ereport(WARNING,
				(errmsg("could not record tenant \"%s\" of run %lld: %s", tenant, rc->run_id, err.message)));
}

/*
 * A tenant's verify row: built in the tenant by the core (verify_synced),
 * or here by the core for a tenant that could not be reached.  The
 * registry's cached state follows (in the caller's transaction).
 */
static void
verify_done(run_ctx *rc, const fo_tenant *t, fo_outcome *out)
{
	char	   *row[6];
	const char *v[6];
	MemoryContext old;

	row[0] = (char *) t->name;
	if (out->rc == TN_OK)
	{
		for (int c = 0; c < 5; c++)
			row[c + 1] = out->cells[c];
	}
	else
	{
		tn_rows		rows;
		tn_error	err;

		tn_error_clear(&err);
		tn_rows_init(&rows, tn_def_verify_all.ncols);
		if (tn_verify_all_row(NULL, t->name, NULL, &out->err, &rows, &err) != TN_OK)
			raise_core(&err);
		for (int c = 1; c < 6; c++)
		{
			const char *x = tn_rows_get(&rows, 0, c);

			row[c] = x ? pstrdup(x) : NULL;
		}
		tn_rows_free(&rows);
	}
	old = MemoryContextSwitchTo(rc->outer);
	put_row(rc->rsinfo, rc->meta, row);
	MemoryContextSwitchTo(old);

	/* refresh the cache: version (when known), pending, state, last_error */
	v[0] = t->name;
	v[1] = row[1];
	v[2] = row[2];
	v[3] = row[2] ? version_key(row[2]) : NULL;
	v[4] = row[3];
	v[5] = strcmp(row[1], TN_VERIFY_OK) == 0 ? NULL : row[5];
	spi_run("UPDATE tenancy.tenants SET state = $2,"
			" version = CASE WHEN $2 = 'unreachable' THEN version ELSE $3 END,"
			" version_key = CASE WHEN $2 = 'unreachable' THEN version_key ELSE $4 END,"
			" pending = coalesce($5::int8, pending), last_error = $6"
			" WHERE name = $1", 6, v);
	rc->done_count++;
}

static void
run_done(void *arg, int index, const fo_tenant *t, fo_outcome *out)
{
	run_ctx    *rc = arg;
	MemoryContext old;
	tn_rows		rows;
	char	   *row[8];
	char		line[TN_MESSAGE_MAX + 200];

	if (rc->mode == FO_QUERY)
	{
		ListCell   *lc;

		old = MemoryContextSwitchTo(rc->outer);
		if (out->rc != TN_OK)
			ereport(NOTICE, (errmsg("tenant \"%s\": %s", t->name, out->err.message)));
		foreach(lc, out->rows)
		{
			char	   *vals[2] = {(char *) t->name, lfirst(lc)};

			put_row(rc->rsinfo, rc->meta, vals);
		}
		MemoryContextSwitchTo(old);
		if (out->rc != TN_OK)
			rc->failed++;
		return;
	}

	if (rc->mode == FO_VERIFY)
	{
		verify_done(rc, t, out);
		return;
	}

	/* the core names the status and renders the error */
	tn_rows_init(&rows, tn_def_migrate_all.ncols);
	if (tn_fanout_row(&rows, t->name, out->rc, &out->res, &out->err, out->duration_ms) != TN_OK)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	old = MemoryContextSwitchTo(rc->outer);
	for (int c = 0; c < 8; c++)
	{
		const char *v = tn_rows_get(&rows, 0, c);

		row[c] = v ? pstrdup(v) : NULL;
	}
	tn_rows_free(&rows);
	put_row(rc->rsinfo, rc->meta, row);
	MemoryContextSwitchTo(old);

	if (out->rc == TN_OK)
		rc->applied += out->res.applied;
	else if (strcmp(row[1], TN_FANOUT_UNREACHABLE) == 0)
		rc->unreachable++;
	else
		rc->failed++;
	if (rc->control)
		record_tenant(rc, t->name, row, out);
	rc->done_count++;
	tn_fanout_progress(line, sizeof(line), rc->done_count, rc->total,
					   t->name, row[1], out->res.applied, out->duration_ms,
					   out->rc != TN_OK ? out->err.message : NULL);
	ereport(NOTICE, (errmsg_internal("%s", line)));
}

/* Load the tenants to run into fo_tenant structs (inside SPI). */
static fo_tenant *
load_tenants(bool only_behind, const char *key, int *n)
{
	fo_tenant  *ts;
	const char *v[1] = {key};

	/*
	 * Database tenants by name, then schema tenants grouped by database, so
	 * that fo_run can hand one connection from schema to schema.
	 */
#define TENANTS_ORDER " ORDER BY CASE WHEN kind = 'schema' THEN coalesce(location, '') || ' ' || dbname END NULLS FIRST, name"
	if (only_behind)
		spi_run("SELECT name, location, dbname, schema_name FROM tenancy.tenants"
				" WHERE version_key IS NULL OR version_key < $1 OR last_error IS NOT NULL" TENANTS_ORDER, 1, v);
	else
		spi_run("SELECT name, location, dbname, schema_name FROM tenancy.tenants" TENANTS_ORDER, 0, NULL);
	*n = (int) SPI_processed;
	ts = palloc0(sizeof(fo_tenant) * (*n + 1));
	for (int r = 0; r < *n; r++)
	{
		ts[r].name = spi_value(r, 1);
		ts[r].location = spi_value(r, 2);
		ts[r].dbname = spi_value(r, 3);
		ts[r].schema = spi_value(r, 4);
	}
	return ts;
}

static int
concurrency_arg(FunctionCallInfo fcinfo, int i)
{
	int			c;

	if (PG_NARGS() <= i || PG_ARGISNULL(i))
		return tn_fanout_default_concurrency(MaxConnections);
	c = PG_GETARG_INT32(i);
	if (c < 1 || c > 256)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("concurrency must be between 1 and 256"),
				 errdetail("%d was given.", c)));
	return c;
}

static Datum
fanout_entry(FunctionCallInfo fcinfo, fo_mode mode)
{
	run_ctx		rc;
	fo_job		job;
	tn_migration_set set;
	char	   *target = NULL;
	char	   *sql = NULL;
	char	   *text = NULL;
	char	   *key = NULL;
	fo_tenant  *ts;
	int			n;
	MemoryContext spi_outer;

	memset(&rc, 0, sizeof(rc));
	memset(&job, 0, sizeof(job));
	memset(&set, 0, sizeof(set));
	rc.mode = mode;
	rc.outer = CurrentMemoryContext;
	InitMaterializedSRF(fcinfo, 0);
	rc.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (mode == FO_VERIFY)
		check_columns(rc.rsinfo, &tn_def_verify_all);
	else if (mode != FO_QUERY)
		check_columns(rc.rsinfo, &tn_def_migrate_all);
	rc.meta = TupleDescGetAttInMetadata(rc.rsinfo->setDesc);

	job.mode = mode;
	if (mode == FO_QUERY)
	{
		char	   *q = required(fcinfo, 0, "sql");
		size_t		len = strlen(q);

		while (len > 0 && (q[len - 1] == ';' || q[len - 1] == ' ' || q[len - 1] == '\n'))
			q[--len] = '\0';
		/* one statement (extended protocol), in a read-only session */
		sql = psprintf("SELECT pg_catalog.to_jsonb(q)::text FROM (%s) AS q", q);
		job.concurrency = concurrency_arg(fcinfo, 1);
	}
	else if (mode == FO_VERIFY)
		job.concurrency = concurrency_arg(fcinfo, 0);
	else
	{
		target = arg_text(fcinfo, 0);
		job.concurrency = concurrency_arg(fcinfo, 1);
		if (mode == FO_MIGRATE && PG_NARGS() > 2 && !PG_ARGISNULL(2))
			job.max_failures = PG_GETARG_INT32(2);
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	spi_outer = CurrentMemoryContext;
	(void) spi_outer;
	if (mode == FO_MIGRATE)
	{
		/* one migrating run at a time: a second caller waits here */
		spi_run("SELECT pg_catalog.pg_advisory_xact_lock(" CppAsString2(TN_LOCK_KEY) ", " CppAsString2(TN_LOCK_RUNS) ")", 0, NULL);
		/* an atomic run whose caller died between its two phases ends first */
		recover_atomic_runs();
	}
	if (mode != FO_QUERY)
	{
		load_set(&set);
		text = encode_set(&set);
		if (target && (target[0] == 'V' || target[0] == 'v'))
			target++;
		key = version_key(target ? target : newest_version(&set));
	}
	ts = load_tenants(mode == FO_MIGRATE, key ? key : "", &n);
	rc.total = n;
	rc.set = &set;

	PG_TRY();
	{
		if (mode == FO_MIGRATE)
		{
			tn_lpq_opts o;
			tn_error	err;
			PGresult   *res;
			char		cnt[32];
			char		pid[32];
			const char *p[3];

			/* runs of killed callers are closed first */
			spi_run("UPDATE tenancy.runs r SET status = 'aborted', finished_at = pg_catalog.clock_timestamp()"
					" WHERE r.status = 'running' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a"
					"   WHERE a.pid = r.caller_pid AND a.backend_start <= r.started_at)", 0, NULL);
			tn_error_clear(&err);
			memset(&o, 0, sizeof(o));
			rc.control = tn_lpq_connect(&o, &err);
			if (rc.control == NULL)
				raise_core(&err);
			res = tn_lpq_exec_or_raise(rc.control, "SET lock_timeout = '10s'", 0, NULL);
			PQclear(res);

			/*
			 * Progress rows are visible at once but need not each wait for a
			 * WAL flush: a server crash can lose the last few hundred ms of
			 * them, and each tenant's own tracking rows stay the truth a
			 * rerun reads.  The run's final status is written durably.
			 */
			res = tn_lpq_exec_or_raise(rc.control, "SET synchronous_commit = off", 0, NULL);
			PQclear(res);
			snprintf(cnt, sizeof(cnt), "%d", n);
			snprintf(pid, sizeof(pid), "%d", MyProcPid);
			p[0] = target;
			p[1] = cnt;
			p[2] = pid;
			res = tn_lpq_exec_or_raise(rc.control,
									   "INSERT INTO tenancy.runs (target, status, tenants, caller_pid)"
									   " VALUES ($1, 'running', $2::int8, $3::int4) RETURNING run_id", 3, p);
			rc.run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			PQclear(res);
		}
		job.tenants = ts;
		job.ntenants = n;
		job.target = target;
		job.set = &set;
		job.set_text = text;
		job.sql = sql;
		job.options = mode == FO_QUERY
			? psprintf("%s -c default_transaction_read_only=on", fo_timeout_options())
			: fo_timeout_options();
		job.done = run_done;
		job.arg = &rc;
		fo_run(&job);

		/* tenants never started after max_failures are reported as skipped */
		if (mode == FO_MIGRATE && job.stopped_early)
		{
			for (int i = job.finished; i < n; i++)
			{
				char	   *row[8] = {(char *) ts[i].name, TN_FANOUT_SKIPPED, NULL, NULL, "0", "0", NULL,
				"not started: max_failures reached"};
				MemoryContext old = MemoryContextSwitchTo(rc.outer);

				put_row(rc.rsinfo, rc.meta, row);
				MemoryContextSwitchTo(old);
			}
		}
		if (rc.control)
		{
			char		run[32];
			const char *p[2];
			PGresult   *res;
			tn_error	err;

			snprintf(run, sizeof(run), "%lld", rc.run_id);
			p[0] = run;
			p[1] = tn_fanout_run_status(rc.failed, rc.unreachable, job.stopped_early, 0);
			tn_error_clear(&err);
			res = tn_lpq_exec(rc.control, "SET synchronous_commit = on", 0, NULL, &err);
			if (res)
				PQclear(res);
			res = tn_lpq_exec(rc.control, "UPDATE tenancy.runs SET status = $2, finished_at = pg_catalog.clock_timestamp()"
							  " WHERE run_id = $1::int8", 2, p, &err);
			if (res)
				PQclear(res);
			tn_lpq_finish(rc.control);
			rc.control = NULL;
		}
	}
	PG_CATCH();
	{
		/*
		 * Cancelled or failed: the run is marked without waiting (the
		 * server runs the statement before it reads the close), then the
		 * connection goes.
		 */
		if (rc.control)
		{
			char		sql2[160];

			snprintf(sql2, sizeof(sql2),
					 "UPDATE tenancy.runs SET status = 'cancelled', finished_at = pg_catalog.clock_timestamp()"
					 " WHERE run_id = %lld", rc.run_id);
			(void) PQsendQuery(rc.control, sql2);
			(void) PQflush(rc.control);
			tn_lpq_finish(rc.control);
		}
		tn_migration_set_free(&set);
		PG_RE_THROW();
	}
	PG_END_TRY();
	tn_migration_set_free(&set);
	SPI_finish();
	return (Datum) 0;
}

/* tenant_migrate_all(target DEFAULT NULL, concurrency DEFAULT NULL, max_failures DEFAULT NULL) */
Datum
tenant_migrate_all(PG_FUNCTION_ARGS)
{
	return fanout_entry(fcinfo, FO_MIGRATE);
}

/* tenant_dry_run_all(target DEFAULT NULL, concurrency DEFAULT NULL) */
Datum
tenant_dry_run_all(PG_FUNCTION_ARGS)
{
	return fanout_entry(fcinfo, FO_DRY_RUN);
}

/* tenant_query_all(sql, concurrency DEFAULT NULL) -> (tenant, row jsonb) */
Datum
tenant_query_all(PG_FUNCTION_ARGS)
{
	return fanout_entry(fcinfo, FO_QUERY);
}

/* ------------------------------------------------------------------ */
/* Tenant side: tenancy.migrate_synced(set, target, mode)              */
/* ------------------------------------------------------------------ */

/*
 * Runs in each tenant, called by a fan-out in one round trip.  mode:
 * 'migrate' (tn_migrate with opts.sync = set), 'dry_run' (the same, rolled
 * back; the first failure comes back in "error"), 'sync' (bring the set
 * into the catalog only), 'record' (a no-transaction migration target ran
 * outside: mark it applied, tn_baseline).  Returns one row (from_version,
 * to_version, applied, error); raises the core's error otherwise.
 */
Datum
tenancy_migrate_synced(PG_FUNCTION_ARGS)
{
	char	   *text = required(fcinfo, 0, "tenant_set");
	char	   *target = arg_text(fcinfo, 1);
	char	   *mode = arg_text(fcinfo, 2);
	char	   *schema = arg_text(fcinfo, 3);
	tn_migration_set set;
	tn_adapter	adapter;
	tn_pg_adapter_ctx ctx;
	tn_migrate_opts opts;
	tn_migrate_result res;
	tn_error	err;
	int			rc;
	char		from[TN_MAX_VERSION_LEN + 1] = "";
	char		to[TN_MAX_VERSION_LEN + 1] = "";
	char		failure[TN_MESSAGE_MAX + TN_MAX_VERSION_LEN + 16] = "";
	long long	applied = 0;
	ReturnSetInfo *rsinfo;
	AttInMetadata *meta;
	char	   *row[4];
	char	   *path = tn_pg_caller_search_path();

	if (mode == NULL)
		mode = "migrate";
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	meta = TupleDescGetAttInMetadata(rsinfo->setDesc);

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
	memset(&opts, 0, sizeof(opts));
	memset(&res, 0, sizeof(res));
	tn_rows_init(&res.report, 0);
	if (strcmp(mode, "migrate") == 0 || strcmp(mode, "dry_run") == 0)
	{
		opts.target = target;
		opts.sync = &set;
		opts.dry_run = strcmp(mode, "dry_run") == 0;
		rc = tn_migrate(&adapter, &opts, &res, &err);
		snprintf(from, sizeof(from), "%s", res.from_version);
		snprintf(to, sizeof(to), "%s", res.to_version);
		applied = res.applied;
		if (rc == TN_OK && opts.dry_run)
		{
			/* what would it reach, and what would fail */
			for (size_t r = 0; r < res.report.nrows; r++)
			{
				const char *outcome = tn_rows_get(&res.report, r, 2);

				if (strcmp(outcome, "ok") == 0)
					snprintf(to, sizeof(to), "%s", tn_rows_get(&res.report, r, 0));
				else if (strcmp(outcome, "failed") == 0 && failure[0] == '\0')
					snprintf(failure, sizeof(failure), "migration \"%s\" would fail: %s",
							 tn_rows_get(&res.report, r, 0),
							 tn_rows_get(&res.report, r, 4) ? tn_rows_get(&res.report, r, 4) : "");
			}
			if (failure[0])
				applied = 0;
		}
	}
	else if (strcmp(mode, "sync") == 0 || strcmp(mode, "record") == 0)
	{
		int			added = 0;
		long long	count = 0;

		rc = TN_OK;
		for (size_t i = 0; i < set.count && rc == TN_OK; i++)
			rc = tn_catalog_add(&adapter, &set.items[i], &added, &err);
		if (rc == TN_OK && strcmp(mode, "record") == 0)
		{
			if (target == NULL)
				rc = tn_error_null_argument(&err, "target");
			else
				rc = tn_baseline(&adapter, target, &count, &err);
			applied = count > 0 ? 1 : 0;
			snprintf(to, sizeof(to), "%s", target ? target : "");
		}
		else if (rc == TN_OK)
		{
			/* where it stands */
			tn_rows		st;

			tn_rows_init(&st, tn_def_status.ncols);
			rc = tn_status(&adapter, &st, &err);
			for (size_t r = 0; rc == TN_OK && r < st.nrows; r++)
				if (strcmp(tn_rows_get(&st, r, 2), "applied") == 0)
					snprintf(to, sizeof(to), "%s", tn_rows_get(&st, r, 0));
			tn_rows_free(&st);
		}
		snprintf(from, sizeof(from), "%s", to);
	}
	else
	{
		rc = tn_error_set(&err, TN_ERR_INVALID_ARGUMENT, "invalid mode \"%s\"", mode);
		tn_error_hint(&err, "Use 'migrate', 'dry_run', 'sync' or 'record'.");
	}
	tn_migrate_result_free(&res);
	tn_migration_set_free(&set);
	rc = tn_pg_adapter_finish(&ctx, rc, &err);
	SPI_finish();
	if (rc != TN_OK)
		raise_core(&err);
	row[0] = from[0] ? from : NULL;
	row[1] = to[0] ? to : NULL;
	row[2] = psprintf("%lld", applied);
	row[3] = failure[0] ? failure : NULL;
	put_row(rsinfo, meta, row);
	return (Datum) 0;
}

/* ------------------------------------------------------------------ */
/* tenant_verify_all and its tenant side                               */
/* ------------------------------------------------------------------ */

/* tenant_verify_all(concurrency DEFAULT NULL) -> rows of tn_def_verify_all */
Datum
tenant_verify_all(PG_FUNCTION_ARGS)
{
	return fanout_entry(fcinfo, FO_VERIFY);
}

/*
 * tenancy.verify_synced(tenant_set): in a tenant, the core's verify row
 * judged against the registry's set (tn_verify_all_row: reads only).
 * Returns (status, version, pending, problems, detail).
 */
Datum
tenancy_verify_synced(PG_FUNCTION_ARGS)
{
	char	   *text = arg_text(fcinfo, 0);
	char	   *schema = arg_text(fcinfo, 1);
	tn_migration_set set;
	tn_adapter	adapter;
	tn_pg_adapter_ctx ctx;
	tn_error	err;
	tn_rows		rows;
	int			rc;
	ReturnSetInfo *rsinfo;
	AttInMetadata *meta;
	char	   *row[5];
	char	   *path = tn_pg_caller_search_path();

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	meta = TupleDescGetAttInMetadata(rsinfo->setDesc);
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
	SPI_finish();
	if (rc != TN_OK)
	{
		tn_rows_free(&rows);
		raise_core(&err);
	}
	for (int c = 0; c < 5; c++)
	{
		const char *v = tn_rows_get(&rows, 0, c + 1);

		row[c] = v ? pstrdup(v) : NULL;
	}
	tn_rows_free(&rows);
	put_row(rsinfo, meta, row);
	return (Datum) 0;
}

/* ------------------------------------------------------------------ */
/* tenant_migrate_all_atomic: two-phase commit over every tenant        */
/* ------------------------------------------------------------------ */

/*
 * Phase 1 runs each behind tenant's batch in a transaction and PREPAREs
 * it as tenancy_<run_id>_<tenant> (tn_atomic_gid); the first failure stops
 * starting new tenants.  The decision (committing / aborting) is written
 * to tenancy.runs over the autocommit control connection before phase 2
 * sends COMMIT or ROLLBACK PREPARED to every prepared tenant.  A caller
 * that dies in between leaves the record: recover_atomic_runs(), run by
 * the next tenant_migrate_all or tenant_migrate_all_atomic under the runs
 * lock, commits what the record says committing and rolls back the rest.
 */

typedef struct atomic_tenant
{
	bool		finished;
	int			rc;
	tn_error	err;
	char		from_version[TN_MAX_VERSION_LEN + 1];
	char		to_version[TN_MAX_VERSION_LEN + 1];
	long long	applied;
	long long	ms;
	bool		finish_failed;	/* phase 2 did not reach it */
	tn_error	finish_err;
} atomic_tenant;

typedef struct atomic_ctx
{
	atomic_tenant *ts;
	int		   *map;			/* phase 2 index -> tenant index */
	int			total;
	int			done;
	const char *failed_tenant;
} atomic_ctx;

static void
atomic_prepare_done(void *arg, int index, const fo_tenant *t, fo_outcome *out)
{
	atomic_ctx *ac = arg;
	atomic_tenant *a = &ac->ts[index];
	char		line[TN_MESSAGE_MAX + 200];

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
	tn_fanout_progress(line, sizeof(line), ac->done, ac->total, t->name,
					   out->rc == TN_OK ? "prepared" : TN_FANOUT_FAILED, out->res.applied,
					   out->duration_ms, out->rc != TN_OK ? out->err.message : NULL);
	ereport(NOTICE, (errmsg_internal("%s", line)));
}

static void
atomic_finish_done(void *arg, int index, const fo_tenant *t, fo_outcome *out)
{
	atomic_ctx *ac = arg;
	atomic_tenant *a = &ac->ts[ac->map[index]];

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

static void
control_exec(PGconn *control, const char *sql, long long run_id, const char *status)
{
	char		run[32];
	const char *p[2];

	snprintf(run, sizeof(run), "%lld", run_id);
	p[0] = run;
	p[1] = status;
	PQclear(tn_lpq_exec_or_raise(control, sql, 2, p));
}

/*
 * Refuse before any change: no-transaction migrations in range of a
 * behind tenant, and servers without (enough) prepared transactions.
 */
static void
atomic_preflight(const tn_migration_set *set, const char *target,
				 const fo_tenant *ts, int n)
{
	typedef struct server
	{
		const char *location;
		const char *dbname;
		const char *first;
		int			count;
	} server;
	server	   *servers = palloc0(sizeof(server) * n);
	int			nservers = 0;

	for (size_t i = 0; i < set->count; i++)
	{
		const tn_migration *m = &set->items[i];
		const char *v[1];

		if (target && tn_version_compare(m->version, target) > 0)
			break;
		if (!(m->flags & TN_MIG_NO_TRANSACTION))
			continue;
		v[0] = version_key(m->version);
		spi_run("SELECT name FROM tenancy.tenants WHERE version_key IS NULL OR version_key < $1 ORDER BY name LIMIT 1", 1, v);
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("migration \"%s\" cannot run atomically", m->version),
					 errdetail("It must run outside a transaction, so it cannot be part of a prepared transaction; tenant \"%s\" has not applied it yet.",
							   spi_value(0, 1)),
					 errhint("Run tenant_migrate_all('%s') first, then tenant_migrate_all_atomic() for the rest.",
							 m->version)));
	}

	for (int i = 0; i < n; i++)
	{
		int			s;

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
		int			max_prepared;

		if (servers[s].location == NULL)
			max_prepared = max_prepared_xacts;
		else
		{
			tn_lpq_opts o;
			tn_error	err;
			PGconn	   *conn;
			PGresult   *res;

			tn_error_clear(&err);
			memset(&o, 0, sizeof(o));
			o.location = servers[s].location;
			o.dbname = servers[s].dbname;
			conn = tn_lpq_connect(&o, &err);
			if (conn == NULL)
			{
				tn_error_detail_append(&err, "An atomic run needs every tenant; nothing was changed.");
				raise_core(&err);
			}
			res = tn_lpq_exec(conn, "SELECT pg_catalog.current_setting('max_prepared_transactions')::int", 0, NULL, &err);
			if (res == NULL)
			{
				tn_lpq_finish(conn);
				raise_core(&err);
			}
			max_prepared = atoi(PQgetvalue(res, 0, 0));
			PQclear(res);
			tn_lpq_finish(conn);
		}
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

/* tenant_migrate_all_atomic(target DEFAULT NULL, concurrency DEFAULT NULL) */
Datum
tenant_migrate_all_atomic(PG_FUNCTION_ARGS)
{
	char	   *target = arg_text(fcinfo, 0);
	int			concurrency = concurrency_arg(fcinfo, 1);
	run_ctx		rc;
	atomic_ctx	ac;
	fo_job		job;
	tn_migration_set set;
	char	   *text;
	char	   *key;
	fo_tenant  *ts;
	int			n;
	bool		commit;
	bool		clean = true;
	volatile bool decided = false;

	memset(&rc, 0, sizeof(rc));
	memset(&ac, 0, sizeof(ac));
	rc.mode = FO_MIGRATE;
	rc.outer = CurrentMemoryContext;
	InitMaterializedSRF(fcinfo, 0);
	rc.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	check_columns(rc.rsinfo, &tn_def_migrate_all_atomic);
	rc.meta = TupleDescGetAttInMetadata(rc.rsinfo->setDesc);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	spi_run("SELECT pg_catalog.pg_advisory_xact_lock(" CppAsString2(TN_LOCK_KEY) ", " CppAsString2(TN_LOCK_RUNS) ")", 0, NULL);
	recover_atomic_runs();
	load_set(&set);
	text = encode_set(&set);
	if (target && (target[0] == 'V' || target[0] == 'v'))
		target++;
	PG_TRY();
	{
		tn_fanout_step *steps;
		size_t		nsteps;
		tn_error	err;

		tn_error_clear(&err);
		if (tn_fanout_plan(&set, target, &steps, &nsteps, &err) != TN_OK)
			raise_core(&err);
		free(steps);
		key = version_key(target ? target : newest_version(&set));
		ts = load_tenants(true, key ? key : "", &n);
		if (n > 0)
			atomic_preflight(&set, target, ts, n);
	}
	PG_CATCH();
	{
		tn_migration_set_free(&set);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (n == 0)
	{
		tn_migration_set_free(&set);
		SPI_finish();
		return (Datum) 0;
	}
	rc.total = n;
	rc.set = &set;
	ac.ts = palloc0(sizeof(atomic_tenant) * n);
	ac.total = n;

	PG_TRY();
	{
		tn_lpq_opts o;
		tn_error	err;
		PGresult   *res;
		char		cnt[32], pid[32];
		const char *p[3];
		fo_tenant  *prepared;
		int			nprepared = 0;

		/* the durable record first: the run exists before anything is prepared */
		tn_error_clear(&err);
		memset(&o, 0, sizeof(o));
		rc.control = tn_lpq_connect(&o, &err);
		if (rc.control == NULL)
			raise_core(&err);
		PQclear(tn_lpq_exec_or_raise(rc.control, "SET lock_timeout = '10s'", 0, NULL));
		snprintf(cnt, sizeof(cnt), "%d", n);
		snprintf(pid, sizeof(pid), "%d", MyProcPid);
		p[0] = target;
		p[1] = cnt;
		p[2] = pid;
		res = tn_lpq_exec_or_raise(rc.control,
								   "INSERT INTO tenancy.runs (target, status, tenants, caller_pid)"
								   " VALUES ($1, '" TN_RUN_PREPARING "', $2::int8, $3::int4) RETURNING run_id", 3, p);
		rc.run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);

		/* phase 1: prepare everywhere, stop starting tenants at the first failure */
		memset(&job, 0, sizeof(job));
		job.mode = FO_PREPARE;
		job.tenants = ts;
		job.ntenants = n;
		job.concurrency = concurrency;
		job.max_failures = 1;
		job.target = target;
		job.set = &set;
		job.set_text = text;
		job.options = fo_timeout_options();
		job.run_id = rc.run_id;
		job.done = atomic_prepare_done;
		job.arg = &ac;
		fo_run(&job);

		commit = ac.failed_tenant == NULL && job.finished == n;
		prepared = palloc0(sizeof(fo_tenant) * n);
		ac.map = palloc0(sizeof(int) * n);
		for (int i = 0; i < n; i++)
			if (ac.ts[i].finished && ac.ts[i].rc == TN_OK)
			{
				ac.map[nprepared] = i;
				prepared[nprepared++] = ts[i];
			}

		/* the decision, durable before phase 2 */
		atomic_test_pause("prepared");
		control_exec(rc.control, "UPDATE tenancy.runs SET status = $2 WHERE run_id = $1::int8", rc.run_id,
					 commit ? TN_RUN_COMMITTING : TN_RUN_ABORTING);
		decided = true;
		ereport(NOTICE,
				(errmsg_internal("%s %d prepared tenants", commit ? "committing" : "rolling back", nprepared)));
		atomic_test_pause("committing");

		/* phase 2 */
		if (nprepared > 0)
		{
			memset(&job, 0, sizeof(job));
			job.mode = FO_FINISH;
			job.tenants = prepared;
			job.ntenants = nprepared;
			job.concurrency = concurrency;
			job.options = fo_timeout_options();
			job.run_id = rc.run_id;
			job.commit = commit;
			job.done = atomic_finish_done;
			job.arg = &ac;
			fo_run(&job);
		}

		/* rows, the registry, the run */
		for (int i = 0; i < n; i++)
		{
			atomic_tenant *a = &ac.ts[i];
			tn_rows		rows;
			char	   *row[8];
			fo_outcome	out;
			MemoryContext old;

			if (!a->finished)
			{
				char	   *why = psprintf("not started: tenant \"%s\" failed, so no tenant was migrated",
										   ac.failed_tenant ? ac.failed_tenant : "?");
				char	   *skip[8] = {(char *) ts[i].name, TN_FANOUT_SKIPPED, NULL, NULL, "0", "0", NULL, why};

				old = MemoryContextSwitchTo(rc.outer);
				put_row(rc.rsinfo, rc.meta, skip);
				MemoryContextSwitchTo(old);
				continue;
			}
			memset(&out, 0, sizeof(out));
			out.rc = a->rc;
			out.err = a->err;
			snprintf(out.res.from_version, sizeof(out.res.from_version), "%s", a->from_version);
			snprintf(out.res.to_version, sizeof(out.res.to_version), "%s",
					 a->rc == TN_OK && !commit ? a->from_version : a->to_version);
			out.res.applied = a->applied;
			if (a->rc == TN_OK && a->finish_failed)
			{
				clean = false;
				out.rc = TN_ERR_UNREACHABLE;
				out.err = a->finish_err;
				tn_error_detail_append(&out.err, "The run decided to %s; the next tenant_migrate_all() or tenant_migrate_all_atomic() call finishes this tenant's prepared transaction.",
									   commit ? "commit" : "roll back");
			}
			tn_rows_init(&rows, tn_def_migrate_all_atomic.ncols);
			if (tn_atomic_row(&rows, ts[i].name, out.rc, &out.res, &out.err, a->ms, commit,
							  ac.failed_tenant) != TN_OK)
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
			old = MemoryContextSwitchTo(rc.outer);
			for (int c = 0; c < 8; c++)
			{
				const char *v = tn_rows_get(&rows, 0, c);

				row[c] = v ? pstrdup(v) : NULL;
			}
			put_row(rc.rsinfo, rc.meta, row);
			MemoryContextSwitchTo(old);
			tn_rows_free(&rows);
			if (!commit && out.rc == TN_OK)
				out.res.to_version[0] = '\0';	/* keep the cached version */
			record_tenant(&rc, ts[i].name, row, &out);
		}
		control_exec(rc.control, "UPDATE tenancy.runs SET status = $2, finished_at = pg_catalog.clock_timestamp()"
					 " WHERE run_id = $1::int8", rc.run_id,
					 !clean ? (commit ? TN_RUN_COMMITTING : TN_RUN_ABORTING)
					 : commit ? "done" : TN_RUN_ROLLED_BACK);
		tn_lpq_finish(rc.control);
		rc.control = NULL;
	}
	PG_CATCH();
	{
		/*
		 * Cancelled or failed mid-run: in-flight tenants are cancelled and
		 * their connections closed (fo_run), so only PREPAREd tenants
		 * remain.  Before the decision the record says preparing, after it
		 * committing or aborting; the next call resolves them either way.
		 */
		if (rc.control)
		{
			if (!decided)
			{
				char		sql[160];

				snprintf(sql, sizeof(sql), "UPDATE tenancy.runs SET status = '" TN_RUN_ABORTING "'"
						 " WHERE run_id = %lld", rc.run_id);
				(void) PQsendQuery(rc.control, sql);
				(void) PQflush(rc.control);
			}
			tn_lpq_finish(rc.control);
		}
		tn_migration_set_free(&set);
		PG_RE_THROW();
	}
	PG_END_TRY();
	tn_migration_set_free(&set);
	SPI_finish();
	return (Datum) 0;
}

/*
 * Finish the prepared transactions of atomic runs whose caller is gone
 * (runs still preparing / committing / aborting: under the runs lock no
 * live run can be in those states).  Every server of the registry is asked
 * for its tenancy_<run>_* prepared transactions; the record decides.  A
 * server that cannot be reached leaves its runs for the next call.
 */
static void
recover_atomic_runs(void)
{
	int			nruns;
	long long  *run_ids;
	bool	   *run_commit;
	int			nservers;
	char	  **locs;
	char	  **dbs;
	bool		all = true;
	char	   *self_db = get_database_name(MyDatabaseId);

	spi_run("SELECT run_id, status FROM tenancy.runs WHERE status IN ('" TN_RUN_PREPARING "', '"
			TN_RUN_COMMITTING "', '" TN_RUN_ABORTING "') ORDER BY run_id", 0, NULL);
	nruns = (int) SPI_processed;
	if (nruns == 0)
		return;
	run_ids = palloc(sizeof(long long) * nruns);
	run_commit = palloc(sizeof(bool) * nruns);
	for (int r = 0; r < nruns; r++)
	{
		run_ids[r] = strtoll(spi_value(r, 1), NULL, 10);
		run_commit[r] = tn_atomic_should_commit(spi_value(r, 2));
	}
	spi_run("SELECT DISTINCT ON (coalesce(location, '')) location, dbname FROM tenancy.tenants"
			" ORDER BY coalesce(location, ''), name", 0, NULL);
	nservers = (int) SPI_processed;
	locs = palloc(sizeof(char *) * (nservers + 1));
	dbs = palloc(sizeof(char *) * (nservers + 1));
	for (int s = 0; s < nservers; s++)
	{
		locs[s] = spi_value(s, 1);
		dbs[s] = locs[s] ? spi_value(s, 2) : self_db;
	}
	if (nservers == 0 || locs[0] != NULL)
	{
		/* this server always (atomic tenants may have been dropped since) */
		locs[nservers] = NULL;
		dbs[nservers] = self_db;
		nservers++;
	}
	for (int s = 0; s < nservers; s++)
	{
		tn_lpq_opts o;
		tn_error	err;
		PGconn	   *conn;
		PGresult   *res;

		tn_error_clear(&err);
		memset(&o, 0, sizeof(o));
		o.location = locs[s];
		o.dbname = dbs[s];
		conn = tn_lpq_connect(&o, &err);
		res = conn ? tn_lpq_exec(conn, "SELECT gid, database FROM pg_catalog.pg_prepared_xacts"
								 " WHERE gid LIKE 'tenancy\\_%' ORDER BY gid", 0, NULL, &err) : NULL;
		if (res == NULL)
		{
			all = false;
			ereport(WARNING,
					(errmsg("could not finish interrupted atomic runs on a tenant server: %s", err.message)));
			tn_lpq_finish(conn);
			continue;
		}
		for (int g = 0; g < PQntuples(res); g++)
		{
			const char *gid = PQgetvalue(res, g, 0);
			long long	run = tn_atomic_gid_run(gid);
			int			r;
			PGconn	   *c2;
			PGresult   *r2;

			for (r = 0; r < nruns && run_ids[r] != run; r++)
				;
			if (r == nruns)
				continue;
			o.dbname = PQgetvalue(res, g, 1);
			c2 = tn_lpq_connect(&o, &err);
			r2 = c2 ? tn_lpq_exec(c2, psprintf("%s PREPARED %s", run_commit[r] ? "COMMIT" : "ROLLBACK",
											   quote_literal_cstr(gid)), 0, NULL, &err) : NULL;
			if (r2 == NULL && strcmp(err.sqlstate, "42704") != 0)
			{
				all = false;
				ereport(WARNING,
						(errmsg("could not finish prepared transaction \"%s\": %s", gid, err.message)));
			}
			else
				ereport(NOTICE,
						(errmsg("interrupted atomic run %lld: %s prepared transaction \"%s\"", run,
								run_commit[r] ? "committed" : "rolled back", gid)));
			if (r2)
				PQclear(r2);
			tn_lpq_finish(c2);
		}
		PQclear(res);
		tn_lpq_finish(conn);
	}
	if (!all)
		return;
	for (int r = 0; r < nruns; r++)
	{
		const char *v[2];

		v[0] = psprintf("%lld", run_ids[r]);
		v[1] = run_commit[r] ? "done" : TN_RUN_ROLLED_BACK;
		spi_run("UPDATE tenancy.runs SET status = $2, finished_at = coalesce(finished_at, pg_catalog.clock_timestamp())"
				" WHERE run_id = $1::int8", 2, v);
	}
}
