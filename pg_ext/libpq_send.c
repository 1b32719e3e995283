/*
 * libpq_send.c -- the fan-out driver's send steps: what a slot sends next
 * (a database tenant's no-op probe, libpq_probe.c; the extension check,
 * the guards of what is sent raw, then the statements
 * of its mode: FO_QUERY, FO_VERIFY, FO_PREPARE / FO_FINISH, or the core's
 * migrate plan), each as one non-blocking PQsend*.
 *
 * Must not: read results, wait, or decide a tenant's status
 * (libpq_fanout.c reads and waits; tn_fanout_row decides).
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "libpq_fanout_internal.h"

#define SYNCED_SQL "SELECT from_version, to_version, applied, error FROM tenancy.migrate_synced($1, $2, $3, $4)"
#define VERIFY_SQL "SELECT status, version, pending, problems, detail FROM tenancy.verify_synced($1, $2)"
/*
 * A schema tenant's session before no-transaction statements: its schema
 * first, so that what they create unqualified lands there (pg_catalog
 * first would make it the creation schema).  Safe because RAW_GUARD_SQL
 * ran first: the schema's owner is a superuser or the connected role, and
 * nobody else may create in it, so nothing there shadows pg_catalog for
 * anyone else.
 */
#define RAW_PATH_SQL "SELECT pg_catalog.set_config('search_path', pg_catalog.quote_ident($1) || ', pg_catalog, pg_temp', false)"
/*
 * Before the first no-transaction statement: the tenant side refuses to
 * take raw statements when they would run with the connected role's
 * rights among code someone else controls (issue 7, finding 4; see
 * tn_pg_guard_raw_session).
 */
#define RAW_GUARD_SQL "SELECT 1 FROM tenancy.migrate_synced($1, NULL, 'raw', $2)"

/*
 * Before tenancy.migrate_synced / verify_synced is called in a tenant: are
 * they, and the schema "tenancy", members of an extension "tenancy" that
 * a superuser installed?  Whoever owns a tenant database can create a
 * schema "tenancy" with functions of those names; calling them would run
 * the owner's code with the caller's rights (issue 7, finding 2).  The
 * session's search_path is the tenant's to set (ALTER DATABASE ... SET),
 * so every name and operator here is qualified.
 */
#define EXT_CHECK_SQL                                                                                                                   \
	"SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) 3"                                                                               \
	"  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid"                           \
	"  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) e.extowner AND r.rolsuper"                                            \
	" WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass"                                         \
	"   AND d.deptype OPERATOR(pg_catalog.=) 'e' AND e.extname OPERATOR(pg_catalog.=) 'tenancy'"                                        \
	"   AND ((d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass"                                               \
	"         AND d.objid OPERATOR(pg_catalog.=) ANY (ARRAY["                                                                           \
	"           pg_catalog.to_regprocedure('tenancy.migrate_synced(pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text)')," \
	"           pg_catalog.to_regprocedure('tenancy.verify_synced(pg_catalog.text,pg_catalog.text)')]::pg_catalog.oid[]))"              \
	"     OR (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass"                                          \
	"         AND d.objid OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace('tenancy')::pg_catalog.oid))"

/*
 * Is the next thing send_migrate_step would send (FO_MIGRATE) a statement
 * of a no-transaction step, sent raw?  Mirrors its loop.
 */
static bool
slot_next_is_raw(fo_state *st, fo_slot *slot)
{
	for (size_t i = (size_t) slot->step; i < st->nsteps; i++)
	{
		tn_fanout_step *s = &st->steps[i];

		if (s->kind != TN_STEP_NO_TRANSACTION)
			return false;
		if (i == (size_t) slot->step && slot->stmt > 0)
			return slot->stmt < st->stmts[i].n;
		if (tn_fanout_step_needed(s, slot->cur))
			return true;
	}
	return false;
}

/*
 * The send_* steps return what PQsend* returned (1 sent, 0 failed), or
 * NOTHING_TO_SEND when the slot's plan is done.
 */
#define NOTHING_TO_SEND (-1)

/* A schema tenant's session search_path, before no-transaction statements. */
static int
send_search_path(fo_slot *slot, const char *schema)
{
	const char *params[1] = { schema };

	slot->path_set = true;
	slot->sent_stmt = SENT_PLAIN;
	return PQsendQueryParams(slot->conn, RAW_PATH_SQL, 1, NULL, params, NULL, NULL, 0);
}

/* The tenant side's consent to no-transaction statements (RAW_GUARD_SQL). */
static int
send_raw_guard(fo_job *job, fo_slot *slot, const char *schema)
{
	const char *params[2] = { job->set_text, schema };

	slot->raw_guarded = true;
	slot->sent_stmt = SENT_RAW_GUARD;
	return PQsendQueryParams(slot->conn, RAW_GUARD_SQL, 2, NULL, params, NULL, NULL, 0);
}

/*
 * The statement that opens a tenant_query_all transaction: READ ONLY, and
 * pg_catalog first in its search_path (local to it).  The query runs with
 * the caller's rights, so neither a schema tenant's owner (objects in its
 * schema) nor a tenant database's owner (ALTER DATABASE ... SET
 * search_path = evil, pg_catalog) may shadow a pg_catalog function or
 * operator it calls (issue 7, finding 4).
 */
static char *
query_begin_sql(const char *schema)
{
	const char *path;

	if (schema != NULL)
		path = quote_literal_cstr(psprintf("pg_catalog, %s, pg_temp", quote_identifier(schema)));
	else
		path = "'pg_catalog, ' OPERATOR(pg_catalog.||) pg_catalog.current_setting('search_path')";
	return psprintf("BEGIN TRANSACTION READ ONLY; SELECT pg_catalog.set_config('search_path', %s, true)", path);
}

/*
 * FO_QUERY: the one statement, in a READ ONLY transaction of its own that
 * is always rolled back.  The session default (default_transaction_read_only)
 * is the caller's statement to change: schema tenants of one database share
 * the session, and set_config('default_transaction_read_only', 'off',
 * false) made the next tenants writable (issue 7, finding 8).  The
 * explicit READ ONLY holds whatever the default says, and the rollback
 * takes back every setting the statement made.
 */
static int
send_query(fo_job *job, fo_slot *slot)
{
	slot->sent_stmt = SENT_PLAIN;
	switch (slot->step++)
	{
		case 0:
			return PQsendQuery(slot->conn, query_begin_sql(job->tenants[slot->index].schema));
		case 1:
		{
			/* extended protocol: exactly one statement; rows one at a time */
			int ok = PQsendQueryParams(slot->conn, job->sql, 0, NULL, NULL, NULL, NULL, 0);

			slot->sent_stmt = -1;
			if (ok)
				(void) PQsetSingleRowMode(slot->conn);
			return ok;
		}
		case 2:
			return PQsendQuery(slot->conn, "ROLLBACK");
		default:
			return NOTHING_TO_SEND;
	}
}

/* FO_VERIFY: verify_synced(set, schema). */
static int
send_verify(fo_job *job, fo_slot *slot, const char *schema)
{
	const char *params[2] = { job->set_text, schema };

	if (slot->step > 0)
		return NOTHING_TO_SEND;
	slot->step = 1;
	slot->sent_stmt = SENT_VERIFY;
	return PQsendQueryParams(slot->conn, VERIFY_SQL, 2, NULL, params, NULL, NULL, 0);
}

/*
 * FO_PREPARE: BEGIN; migrate_synced(set, target, 'migrate'); PREPARE
 * TRANSACTION.  FO_FINISH: COMMIT or ROLLBACK PREPARED.
 */
static int
send_atomic(fo_job *job, fo_slot *slot, const char *schema)
{
	char		gid[TN_GID_MAX + 1];
	const char *name = job->tenants[slot->index].name;

	if (tn_atomic_gid(gid, sizeof(gid), job->run_id, name) != TN_OK)
		elog(ERROR, "tenant name \"%s\" too long for a prepared transaction id", name);
	if (job->mode == FO_FINISH)
	{
		if (slot->step > 0)
			return NOTHING_TO_SEND;
		slot->step = 1;
		slot->sent_stmt = SENT_PLAIN;
		return PQsendQuery(slot->conn, psprintf("%s PREPARED %s", job->commit ? "COMMIT" : "ROLLBACK",
												quote_literal_cstr(gid)));
	}
	if (slot->step == 0)
	{
		slot->step = 1;
		slot->sent_stmt = SENT_PLAIN;
		return PQsendQuery(slot->conn, "BEGIN");
	}
	if (slot->step == 1)
	{
		const char *params[4] = { job->set_text, job->target, "migrate", schema };

		slot->step = 2;
		slot->sent_stmt = SENT_SYNCED;
		return PQsendQueryParams(slot->conn, SYNCED_SQL, 4, NULL, params, NULL, NULL, 0);
	}
	if (slot->step == 2)
	{
		slot->step = 3;
		slot->sent_stmt = SENT_PLAIN;
		return PQsendQuery(slot->conn, psprintf("PREPARE TRANSACTION %s", quote_literal_cstr(gid)));
	}
	return NOTHING_TO_SEND;
}

/*
 * FO_MIGRATE, FO_DRY_RUN, FO_SYNC_TEMPLATE: the next step of the core's
 * plan.  A no-transaction step's statements go one by one (autocommit),
 * then it is recorded in the tenant; any other step is one
 * migrate_synced call.
 */
static int
send_migrate_step(fo_state *st, fo_slot *slot, const char *schema)
{
	fo_job *job = st->job;

	while ((size_t) slot->step < st->nsteps)
	{
		tn_fanout_step *s = &st->steps[slot->step];
		const char	   *params[4];

		if (s->kind == TN_STEP_NO_TRANSACTION)
		{
			fo_stmts *stm = &st->stmts[slot->step];

			if (slot->stmt == 0 && !tn_fanout_step_needed(s, slot->cur))
			{
				slot->step++;
				continue;
			}
			slot->sent_step = slot->step;
			if (slot->stmt < stm->n)
			{
				/* autocommit: one statement, its own implicit transaction */
				slot->sent_stmt = slot->stmt++;
				return PQsendQuery(slot->conn, stm->sql[slot->sent_stmt]);
			}
			/* all statements ran: record it in the tenant */
			slot->sent_stmt = -1;
			slot->stmt = 0;
			slot->step++;
			params[0] = job->set_text;
			params[1] = s->version;
			params[2] = "record";
			params[3] = schema;
			return PQsendQueryParams(slot->conn, SYNCED_SQL, 4, NULL, params, NULL, NULL, 0);
		}
		slot->sent_step = slot->step;
		slot->sent_stmt = -1;
		slot->step++;
		params[0] = job->set_text;
		params[1] = s->version;
		/* a fan-out's failed tenant comes back as a row ('report'): from/to and the core's error */
		params[2] = job->mode == FO_ROLLBACK ? "rollback" : job->mode == FO_HOLDS ? "holds"
														: job->mode == FO_FORGET  ? "forget"
														: s->kind == TN_STEP_SYNC ? "sync"
														: job->mode == FO_DRY_RUN ? "dry_run"
														: job->mode == FO_MIGRATE ? "report"
																				  : "migrate";
		params[3] = schema;
		return PQsendQueryParams(slot->conn, SYNCED_SQL, 4, NULL, params, NULL, NULL, 0);
	}
	return NOTHING_TO_SEND;
}

/* Send the next statement of the slot's plan; false when nothing is left. */
bool
fanout_slot_send_next(fo_state *st, fo_slot *slot)
{
	fo_job	   *job = st->job;
	const char *schema = job->tenants[slot->index].schema;
	int			ok;

	/*
	 * What is sent raw gets its guards first: tenant_query_all's query its
	 * search_path in its BEGIN (query_begin_sql), no-transaction
	 * statements the tenant side's consent (RAW_GUARD_SQL) and a schema
	 * tenant's path.  migrate_synced guards the bodies itself, so a migrate
	 * run without a no-transaction step saves these round trips.
	 */
	if (fanout_probe_applies(st, slot) && (ok = fanout_probe_send(st, slot)) != NOTHING_TO_SEND)
		; /* a database tenant's no-op first, with plain SQL (libpq_probe.c) */
	else if (slot->probe_done)
		return false; /* the core answered from the tenant's rows */
	else if (!slot->ext_checked && job->mode != FO_QUERY && job->mode != FO_FINISH)
	{
		/* first of all: is what we would call the extension's? */
		slot->ext_checked = true;
		slot->sent_stmt = SENT_EXT_CHECK;
		ok = PQsendQuery(slot->conn, EXT_CHECK_SQL);
	}
	else if (!slot->raw_guarded && job->mode == FO_MIGRATE && slot_next_is_raw(st, slot))
		ok = send_raw_guard(job, slot, schema);
	else if (schema != NULL && !slot->path_set && job->mode == FO_MIGRATE && slot_next_is_raw(st, slot))
		ok = send_search_path(slot, schema);
	else if (job->mode == FO_QUERY)
		ok = send_query(job, slot);
	else if (job->mode == FO_VERIFY)
		ok = send_verify(job, slot, schema);
	else if (job->mode == FO_FINISH || job->mode == FO_PREPARE)
		ok = send_atomic(job, slot, schema);
	else
		ok = send_migrate_step(st, slot, schema);
	if (ok == NOTHING_TO_SEND)
		return false;
	if (!ok)
	{
		tn_lpq_error(slot->conn, NULL, &slot->out.err);
		slot->out.err.code = TN_ERR_UNREACHABLE;
		fanout_slot_fail(st, slot, TN_ERR_UNREACHABLE);
		return true;
	}
	slot->state = SLOT_BUSY;
	slot->flush_pending = PQflush(slot->conn) == 1;
	return true;
}
