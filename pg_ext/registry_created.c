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
 * wait there for the drop or past DROP_TIMEOUT_MS, or connect there with
 * anything but the forward path's parameters (see created_xact_callback).
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "registry_internal.h"

typedef struct created_db
{
	char			  *sql;	   /* DROP DATABASE / DROP SCHEMA to send */
	tn_lpq_params	  *params; /* the forward path's connection, made then */
	struct created_db *next;
} created_db;

static created_db *created_dbs = NULL;
static bool		   created_cb_registered = false;

/*
 * Each drop is sent over a connection with exactly the parameters the
 * forward path had (same location merge, same credentials, same rules for
 * a non-superuser), made when the object was created: a setting changed
 * since (tenancy.self_conninfo) cannot redirect it (issue 7, finding 6),
 * and a location that names only part of a connection (port=...) reaches
 * the same server as the forward path did.  Send and close without
 * waiting: DROP DATABASE waits for every backend (this one too) to absorb
 * a barrier, which this backend does only once its abort is over; the
 * server runs a query it has read before the close.  Each drop gets at
 * most DROP_TIMEOUT_MS, so a hung server cannot hold the abort.
 */
#define DROP_TIMEOUT_MS 800

static void
created_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	if (event == XACT_EVENT_ABORT && created_dbs != NULL)
	{
		created_db *c = created_dbs;

		created_dbs = NULL;
		for (; c; c = c->next)
			if (c->params != NULL)
				tn_lpq_fire_and_forget(c->params, c->sql, DROP_TIMEOUT_MS);
	}
	else if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE)
		created_dbs = NULL;
}

void
reg_remember_created(const char *location, const char *dbname, const char *schema)
{
	created_db *c = MemoryContextAllocZero(TopTransactionContext, sizeof(created_db));
	tn_lpq_opts o;
	tn_error	err;

	if (!created_cb_registered)
	{
		RegisterXactCallback(created_xact_callback, NULL);
		created_cb_registered = true;
	}
	memset(&o, 0, sizeof(o));
	o.location = location;
	/* no NOTICE ("drop cascades to ..."): sending it to the closed socket would abort the drop */
	o.options = "-c client_min_messages=error";
	tn_error_clear(&err);
	if (schema != NULL)
	{
		/* a remote schema tenant: its database, as the forward path reached it */
		o.dbname = dbname;
		c->sql = MemoryContextStrdup(TopTransactionContext,
									 psprintf("DROP SCHEMA IF EXISTS %s CASCADE", quote_identifier(schema)));
	}
	else
	{
		/* the server's admin connection, as for CREATE DATABASE */
		o.dbname = "postgres";
		c->sql = MemoryContextStrdup(TopTransactionContext,
									 psprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", quote_identifier(dbname)));
	}
	/* the forward path just connected with these: they cannot fail now */
	c->params = tn_lpq_params_make(&o, TopTransactionContext, &err);
	c->next = created_dbs;
	created_dbs = c;
}
