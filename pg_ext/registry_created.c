/*
 * registry_created.c -- what tenant_create made in the current
 * transaction, dropped again if that transaction aborts.
 *
 * CREATE DATABASE runs over its own connection and commits at once, and a
 * remote schema tenant's CREATE SCHEMA commits in its own database; if the
 * transaction that registers the tenant then aborts, the database (or the
 * schema) would stay, unclaimed.  The abort callback drops it.
 *
 * Must not: raise from the callback (the transaction is already gone),
 * or wait there for the drop (see created_xact_callback).
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "registry_internal.h"

typedef struct created_db
{
	char	   *dbname;
	char	   *location;
	char	   *schema;			/* schema tenant: drop this schema in location */
	struct created_db *next;
} created_db;

static created_db *created_dbs = NULL;
static bool created_cb_registered = false;

/* This backend's own conninfo, or NULL when it cannot be made. */
static char *
self_conninfo_or_null(void)
{
	char	   *volatile self = NULL;

	PG_TRY();
	{
		self = tn_lpq_self_conninfo();
	}
	PG_CATCH();
	{
		FlushErrorState();
	}
	PG_END_TRY();
	return self;
}

/* A remote schema tenant: its database is the one location names. */
static void
drop_created_schema(const created_db *c)
{
	const char *keys[] = {"dbname", "connect_timeout", NULL};
	const char *vals[] = {c->location, "5", NULL};
	PGconn	   *conn = PQconnectdbParams(keys, vals, 1);
	char		sql[256];

	if (conn && PQstatus(conn) == CONNECTION_OK)
	{
		char	   *q = (char *) quote_identifier(c->schema);

		snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", q);
		PQclear(PQexec(conn, sql));
	}
	if (conn)
		PQfinish(conn);
}

static void
drop_created_database(const created_db *c, const char *self)
{
	const char *keys[] = {"dbname", "dbname", "connect_timeout", NULL};
	const char *vals[] = {c->location ? c->location : self, "postgres", "5", NULL};

	/* expand the first, override its dbname */
	PGconn	   *conn = PQconnectdbParams(keys, vals, 1);
	char		sql[256];

	if (conn && PQstatus(conn) == CONNECTION_OK)
	{
		char	   *q = (char *) quote_identifier(c->dbname);

		/*
		 * Send and close without waiting: DROP DATABASE waits for every
		 * backend (this one too) to absorb a barrier, which this backend
		 * does only once its abort is over.  The server runs a query it has
		 * read before the close.
		 */
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", q);
		if (PQsendQuery(conn, sql))
			(void) PQflush(conn);
	}
	if (conn)
		PQfinish(conn);
}

static void
created_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	if (event == XACT_EVENT_ABORT && created_dbs != NULL)
	{
		created_db *c = created_dbs;

		created_dbs = NULL;
		/* plain libpq here: the transaction is gone; connect with a short timeout */
		for (; c; c = c->next)
		{
			char	   *self = self_conninfo_or_null();

			if (c->location == NULL && self == NULL)
				continue;
			if (c->schema != NULL)
				drop_created_schema(c);
			else
				drop_created_database(c, self);
		}
	}
	else if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE)
		created_dbs = NULL;
}

void
reg_remember_created(const char *location, const char *dbname, const char *schema)
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
