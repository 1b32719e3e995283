/*
 * libpq_fanout.c -- the fan-out engine: many tenants at once over
 * non-blocking libpq from the calling backend.
 *
 * One WaitEventSet per turn holds the latch and every tenant socket; after
 * each wait the latch is reset and CHECK_FOR_INTERRUPTS runs, so a cancel
 * of the caller is served at once: the PG_CATCH below sends PQcancel to
 * every tenant with a statement in flight and closes every connection
 * before the error goes on (libpq_conn.c's transaction callbacks close
 * anything else).  Connect timeouts are enforced here, since PQconnectPoll
 * leaves that to its caller.
 *
 * What a tenant runs is the core's decision (tn_fanout_plan): normally one
 * statement, tenancy.migrate_synced(set, target, mode), which syncs the
 * tenant's catalog and migrates it in one transaction over SPI there.  A
 * no-transaction migration's statements are sent one by one (each its own
 * implicit transaction) over the same connection, then recorded in the
 * tenant (mode 'record').
 *
 * Must not: decide a tenant's status (tn_fanout_row does), write the
 * registry (the callback does), or block in libpq.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "utils/builtins.h"

#include "libpq_fanout.h"
#include "libpq_conn.h"

#include "libpq_fanout_internal.h"

char *
fo_timeout_options(void)
{
	/*
	 * Integer settings since 1.3 (tn_settings.c): GetConfigOption formats
	 * them into one static buffer, so each value is copied before the next
	 * is read (else statement_timeout silently took lock_timeout's value).
	 */
	const char *v = GetConfigOption("tenancy.statement_timeout", true, false);
	const char *st = v ? pstrdup(v) : NULL;
	const char *lt;

	v = GetConfigOption("tenancy.lock_timeout", true, false);
	lt = v ? pstrdup(v) : NULL;

	/* 0 = none; defaults keep one stuck tenant from holding the run forever */
	return psprintf("-c statement_timeout=%s -c lock_timeout=%s -c idle_in_transaction_session_timeout=0",
					st && st[0] ? st : "0", lt && lt[0] ? lt : "30000");
}

/* Split a no-transaction body into statements (each runs on its own). */
static fo_stmts
split_statements(const char *body)
{
	fo_stmts	  s = { 0, NULL };
	MemoryContext cxt = CurrentMemoryContext;
	List *volatile parsed = NIL;
	volatile bool ok = true;

	PG_TRY();
	{
		parsed = raw_parser(body, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		/* let the tenant's server report the syntax error precisely */
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	if (!ok || parsed == NIL)
	{
		s.n = 1;
		s.sql = palloc(sizeof(char *));
		s.sql[0] = pstrdup(body);
		return s;
	}
	s.n = list_length(parsed);
	s.sql = palloc(sizeof(char *) * s.n);
	for (int i = 0; i < s.n; i++)
	{
		RawStmt *rs = list_nth_node(RawStmt, parsed, i);
		int		 len = rs->stmt_len > 0 ? rs->stmt_len : (int) strlen(body) - rs->stmt_location;

		s.sql[i] = pnstrdup(body + rs->stmt_location, len);
	}
	return s;
}

/* ------------------------------------------------------------------ */
/* One slot                                                            */
/* ------------------------------------------------------------------ */

static void slot_start_on(fo_state *st, fo_slot *slot, int index, PGconn *conn, int served);

static bool
same_text(const char *a, const char *b)
{
	return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

/*
 * How many schema tenants one connection serves before it is closed and a
 * fresh one opened.  The backend at the other end caches the catalog and
 * relation entries of every schema it touched and never gives them back
 * (measured: DISCARD ALL after 500 schemas freed none of the 11 MB they
 * added): each schema migrated added ~84 kB of private memory to it, 26 MB
 * for the 250 schemas one of 4 connections served (issue 14).  With a new
 * connection every K schemas that backend holds ~5 MB + K x 84 kB whatever
 * the number of tenants (K = 25: 7 MB, 100: 14 MB), for one reconnect (a
 * few ms) per K tenants (bench/scale.sh, bench/RESULTS.md).
 */
#define FO_SCHEMAS_PER_CONNECTION 100

static bool
slot_conn_worn_out(const fo_slot *slot)
{
	return slot->conn_served + 1 >= FO_SCHEMAS_PER_CONNECTION;
}

/*
 * May the slot's connection serve the next tenant?  Only between schema
 * tenants of one database, after a clean finish on an idle connection.
 */
static bool
slot_can_reuse(fo_state *st, fo_slot *slot)
{
	fo_job			*job = st->job;
	const fo_tenant *t = &job->tenants[slot->index];
	const fo_tenant *n;

	if (st->next >= job->ntenants || slot->out.rc != TN_OK || slot->failed != NULL ||
		t->schema == NULL || slot_conn_worn_out(slot) || PQstatus(slot->conn) != CONNECTION_OK ||
		PQtransactionStatus(slot->conn) != PQTRANS_IDLE)
		return false;
	n = &job->tenants[st->next];
	return n->schema != NULL && same_text(n->location, t->location) &&
		   same_text(n->dbname, t->dbname);
}

static void
slot_finish(fo_state *st, fo_slot *slot)
{
	fo_job			*job = st->job;
	const fo_tenant *t = &job->tenants[slot->index];

	slot->out.duration_ms = (long long) ((GetCurrentTimestamp() - slot->started) / 1000);
	if (slot->failed)
	{
		PQclear(slot->failed);
		slot->failed = NULL;
	}
	fanout_probe_clear(slot);
	if (slot->conn && !slot_can_reuse(st, slot))
	{
		tn_lpq_finish(slot->conn);
		slot->conn = NULL;
	}
	if (slot->out.rc == TN_OK)
	{
		snprintf(slot->out.res.to_version, sizeof(slot->out.res.to_version), "%s", slot->cur);
	}
	else
	{
		if (slot->out.err.code == TN_OK)
			slot->out.err.code = slot->out.rc;
		/* what the tenant reached before failing (a no-transaction step) */
		snprintf(slot->out.res.to_version, sizeof(slot->out.res.to_version), "%s", slot->cur);
		job->failures++;
	}
	slot->state = SLOT_FREE;
	st->active--;
	job->finished++;
	job->done(job->arg, slot->index, t, &slot->out);
	/* verify's cells outlive the turn they arrived in: freed here */
	for (int c = 0; c < 5; c++)
		if (slot->out.cells[c])
		{
			pfree(slot->out.cells[c]);
			slot->out.cells[c] = NULL;
		}
	if (slot->conn)
	{
		/* the next schema tenant of the same database, same connection */
		PGconn *conn = slot->conn;
		int		served = slot->conn_served + 1;

		slot->conn = NULL;
		if (st->next < job->ntenants &&
			!(job->max_failures > 0 && job->failures >= job->max_failures))
			slot_start_on(st, slot, st->next++, conn, served);
		else
			tn_lpq_finish(conn);
	}
}

void
fanout_slot_fail(fo_state *st, fo_slot *slot, int rc)
{
	slot->out.rc = rc;
	slot_finish(st, slot);
}

/* A statement finished without error. */
static void
slot_result(fo_state *st, fo_slot *slot, PGresult *res)
{
	fo_job *job = st->job;

	if (slot->sent_stmt == SENT_PROBE)
	{
		fanout_probe_result(st, slot, res);
		return;
	}
	if (slot->sent_stmt == SENT_EXT_CHECK)
	{
		if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		{
			tn_error_set(&slot->out.err, TN_ERR_PERMISSION,
						 "tenancy's functions in tenant \"%s\" do not belong to the tenancy extension",
						 job->tenants[slot->index].name);
			tn_error_detail(&slot->out.err, "Schema \"tenancy\" there, or tenancy.migrate_synced / verify_synced, was not created by CREATE EXTENSION tenancy run by a superuser; calling them would run someone else's code with your rights.");
			tn_error_hint(&slot->out.err, "Drop that schema in the tenant and run tenant_register again, or drop the tenant.");
			strlcpy(slot->out.err.sqlstate, "42501", sizeof(slot->out.err.sqlstate));
			slot->out.rc = TN_ERR_PERMISSION;
		}
		return;
	}
	if (slot->sent_stmt == SENT_PLAIN)
		return; /* BEGIN, PREPARE, set_config: nothing to read */
	if (job->mode == FO_QUERY)
	{
		/*
		 * A documented limit, checked row by row (issue 7, finding 11): the
		 * rows go on to the caller's result as they arrive (its tuplestore
		 * spills to disk past work_mem), the limit bounds that result.
		 */
		for (int r = 0; r < PQntuples(res); r++)
			st->query_bytes += PQgetlength(res, r, 0) + 16;
		if (st->query_bytes > st->query_max)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("tenant_query_all result exceeds tenancy.query_max_bytes (%lld kB)", st->query_max / 1024),
					 errdetail("Tenant \"%s\" was sending rows when the call's results reached the limit.",
							   job->tenants[slot->index].name),
					 errhint("Select less (LIMIT, fewer columns), or raise tenancy.query_max_bytes.")));
		for (int r = 0; r < PQntuples(res); r++)
			job->row(job->arg, &job->tenants[slot->index], PQgetisnull(res, r, 0) ? "null" : PQgetvalue(res, r, 0));
		return;
	}
	if (slot->sent_stmt == SENT_VERIFY)
	{
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

		if (PQntuples(res) != 1 || PQnfields(res) != 5)
		{
			MemoryContextSwitchTo(old);
			tn_error_set(&slot->out.err, TN_ERR_ENGINE, "unexpected answer from tenancy.verify_synced()");
			slot->out.rc = TN_ERR_ENGINE;
			return;
		}
		for (int c = 0; c < 5; c++)
			slot->out.cells[c] = PQgetisnull(res, 0, c) ? NULL : pstrdup(PQgetvalue(res, 0, c));
		MemoryContextSwitchTo(old);
		return;
	}
	if (slot->sent_stmt != SENT_SYNCED)
		return; /* a no-transaction or plain statement: nothing to read */
	if (PQntuples(res) != 1 || PQnfields(res) != 4)
	{
		tn_error_set(&slot->out.err, TN_ERR_ENGINE, "unexpected answer from tenancy.migrate_synced()");
		slot->out.rc = TN_ERR_ENGINE;
		return;
	}
	if (!slot->have_from)
	{
		snprintf(slot->out.res.from_version, sizeof(slot->out.res.from_version), "%s",
				 PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
		slot->have_from = true;
	}
	snprintf(slot->cur, sizeof(slot->cur), "%s", PQgetisnull(res, 0, 1) ? "" : PQgetvalue(res, 0, 1));
	slot->out.res.applied += strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	if (!PQgetisnull(res, 0, 3))
	{
		/* a dry run that found a failure, or a failed migration ('report') */
		if (job->mode == FO_DRY_RUN)
			tn_error_set(&slot->out.err, TN_ERR_MIGRATION_FAILED, "%s", PQgetvalue(res, 0, 3));
		else
			tn_error_parse_rendered(&slot->out.err, TN_ERR_MIGRATION_FAILED, PQgetvalue(res, 0, 3));
		slot->out.rc = TN_ERR_MIGRATION_FAILED;
	}
}

/* A statement failed: turn the server's error into the tenant's outcome. */
static void
slot_error(fo_state *st, fo_slot *slot, PGresult *res)
{
	tn_error *err = &slot->out.err;

	tn_lpq_error(slot->conn, res, err);
	if (PQstatus(slot->conn) == CONNECTION_BAD || tn_fanout_sqlstate_unreachable(err->sqlstate))
		err->code = TN_ERR_UNREACHABLE;
	else if (st->job->mode != FO_QUERY &&
			 (slot->sent_stmt == SENT_SYNCED || slot->sent_stmt == SENT_VERIFY || slot->sent_stmt == SENT_RAW_GUARD))
	{
		/* tenancy raised it there: its code, as the core named it (TN002, TN001, ...) */
		tn_code code = tn_code_of_sqlstate(err->sqlstate);

		err->code = code == TN_ERR_ENGINE ? TN_ERR_MIGRATION_FAILED : code;
	}
	else
		err->code = TN_ERR_MIGRATION_FAILED;
	slot->out.rc = err->code;
	if (slot->sent_stmt >= 0 && st->job->mode != FO_QUERY)
	{
		tn_fanout_step *s = &st->steps[slot->sent_step];
		tn_error		inner = *err;

		tn_error_set(err, TN_ERR_MIGRATION_FAILED,
					 "migration \"%s\" failed at statement %d of %d: %s", s->version,
					 slot->sent_stmt + 1, st->stmts[slot->sent_step].n, inner.message);
		tn_error_detail(err, "It runs outside a transaction, so its statements before that one stay done; "
							 "migrations before it stay applied.%s%s",
						inner.detail[0] ? " " : "", inner.detail);
		if (inner.hint[0])
			tn_error_hint(err, "%s", inner.hint);
		memcpy(err->sqlstate, inner.sqlstate, sizeof(err->sqlstate));
	}
}

/* Read what the socket has; finish or go on when a statement completed. */
static void
slot_read(fo_state *st, fo_slot *slot)
{
	int copied = 1;

	if (!PQconsumeInput(slot->conn) || (slot->probe_copying && (copied = fanout_probe_copy(slot)) < 0))
	{
		tn_lpq_error(slot->conn, NULL, &slot->out.err);
		slot->out.err.code = TN_ERR_UNREACHABLE;
		fanout_slot_fail(st, slot, TN_ERR_UNREACHABLE);
		return;
	}
	if (copied == 0)
		return; /* more of the probe's COPY to come */
	while (!PQisBusy(slot->conn))
	{
		PGresult *res = PQgetResult(slot->conn);

		if (res != NULL && PQresultStatus(res) == PGRES_COPY_OUT && slot->sent_stmt == SENT_PROBE)
		{
			/* the probe's tables, line by line (libpq_probe.c) */
			PQclear(res);
			slot->probe_copying = slot->probe_results; /* the index of this COPY among the probe's results */
			if ((copied = fanout_probe_copy(slot)) == 0)
				return;
			if (copied < 0)
			{
				tn_lpq_error(slot->conn, NULL, &slot->out.err);
				slot->out.err.code = TN_ERR_UNREACHABLE;
				fanout_slot_fail(st, slot, TN_ERR_UNREACHABLE);
				return;
			}
			continue;
		}
		if (res == NULL)
		{
			/* the statement is complete */
			if (slot->failed && slot->sent_stmt == SENT_PROBE &&
				PQstatus(slot->conn) == CONNECTION_OK)
			{
				/* the probe cannot tell: the full path decides and reports (libpq_probe.c) */
				PQclear(slot->failed);
				slot->failed = NULL;
				fanout_probe_clear(slot);
			}
			if (slot->failed)
			{
				slot_error(st, slot, slot->failed);
				slot_finish(st, slot);
				return;
			}
			if (slot->out.rc != TN_OK)
			{
				slot_finish(st, slot);
				return;
			}
			if (!fanout_slot_send_next(st, slot))
				slot_finish(st, slot);
			return;
		}
		if (PQresultStatus(res) == PGRES_FATAL_ERROR)
		{
			if (slot->failed == NULL)
				slot->failed = res;
			else
				PQclear(res);
		}
		else
		{
			if (slot->failed == NULL && slot->out.rc == TN_OK &&
				(PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_SINGLE_TUPLE ||
				 (PQresultStatus(res) == PGRES_COMMAND_OK && slot->sent_stmt == SENT_PROBE)))
			{
				PG_TRY();
				{
					slot_result(st, slot, res);
				}
				PG_CATCH();
				{
					PQclear(res);
					PG_RE_THROW();
				}
				PG_END_TRY();
			}
			PQclear(res);
		}
	}
}

static void
slot_connected(fo_state *st, fo_slot *slot)
{
	if (tn_lpq_password_check(slot->conn, &slot->out.err) != TN_OK)
	{
		fanout_slot_fail(st, slot, TN_ERR_PERMISSION);
		return;
	}
	PQsetnonblocking(slot->conn, 1);
	if (!fanout_slot_send_next(st, slot))
		slot_finish(st, slot);
}

/* Start tenant index on an open connection that served the previous one. */
static void
slot_start_on(fo_state *st, fo_slot *slot, int index, PGconn *conn, int served)
{
	bool ext_checked = slot->ext_checked;

	memset(slot, 0, sizeof(*slot));
	slot->index = index;
	slot->conn_served = served;
	/*
	 * The same database over the same session: what EXT_CHECK_SQL found
	 * there for the previous schema tenant holds (the extension and its
	 * schema are a superuser's), so the next one saves that round trip.
	 */
	slot->ext_checked = ext_checked;
	slot->started = GetCurrentTimestamp();
	slot->conn = conn;
	tn_error_clear(&slot->out.err);
	tn_rows_init(&slot->out.res.report, 0);
	st->active++;
	if (!fanout_slot_send_next(st, slot))
		slot_finish(st, slot);
}

static void
slot_start(fo_state *st, fo_slot *slot, int index)
{
	fo_job			*job = st->job;
	const fo_tenant *t = &job->tenants[index];
	tn_lpq_opts		 o;

	memset(slot, 0, sizeof(*slot));
	slot->index = index;
	slot->started = GetCurrentTimestamp();
	slot->state = SLOT_CONNECTING;
	slot->poll = PGRES_POLLING_WRITING;
	slot->deadline = slot->started + (TimestampTz) st->connect_timeout_s * 1000000;
	tn_error_clear(&slot->out.err);
	tn_rows_init(&slot->out.res.report, 0);
	st->active++;
	memset(&o, 0, sizeof(o));
	o.location = t->location;
	o.dbname = t->dbname;
	o.connect_timeout_s = st->connect_timeout_s;
	o.options = job->options;
	slot->conn = tn_lpq_start(&o, &slot->out.err);
	if (slot->conn == NULL)
		fanout_slot_fail(st, slot, TN_ERR_UNREACHABLE);
}

static void
slot_connect_poll(fo_state *st, fo_slot *slot)
{
	slot->poll = PQconnectPoll(slot->conn);
	if (slot->poll == PGRES_POLLING_OK)
		slot_connected(st, slot);
	else if (slot->poll == PGRES_POLLING_FAILED)
	{
		char   msg[TN_DETAIL_MAX];
		size_t len;

		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(slot->conn));
		len = strlen(msg);
		while (len > 0 && msg[len - 1] == '\n')
			msg[--len] = '\0';
		tn_error_set(&slot->out.err, TN_ERR_UNREACHABLE, "could not connect to tenant \"%s\"",
					 st->job->tenants[slot->index].name);
		tn_error_detail(&slot->out.err, "%s", msg);
		fanout_slot_fail(st, slot, TN_ERR_UNREACHABLE);
	}
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */
/* ------------------------------------------------------------------ */

/*
 * Each turn of the loop runs in a context that is reset at the start of
 * the next: statements built for sending, error texts, the callbacks' rows
 * and record writes.  Nothing of a tenant outlives the turn it finished in
 * (issue 14: memory flat at 10,000 tenants).
 */
static void
fo_loop(fo_state *st)
{
	fo_job		 *job = st->job;
	WaitEvent	 *events = palloc(sizeof(WaitEvent) * (st->nslots + 2));
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext turn = AllocSetContextCreate(outer, "tenancy fan-out turn", ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		WaitEventSet *wes;
		TimestampTz	  now;
		long		  timeout = 1000;
		int			  nev;

		MemoryContextSwitchTo(outer);
		MemoryContextReset(turn);
		MemoryContextSwitchTo(turn);
		/* start tenants while there is room (and no early stop) */
		for (int i = 0; i < st->nslots && st->next < job->ntenants; i++)
		{
			if (job->max_failures > 0 && job->failures >= job->max_failures)
			{
				job->stopped_early = true;
				break;
			}
			if (st->slots[i].state == SLOT_FREE)
				slot_start(st, &st->slots[i], st->next++);
		}
		if (st->active == 0)
		{
			if (st->next >= job->ntenants || job->stopped_early)
				break;
			continue;
		}

		now = GetCurrentTimestamp();
		wes = CreateWaitEventSet(CurrentMemoryContext, st->nslots + 2);
		AddWaitEventToSet(wes, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(wes, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		for (int i = 0; i < st->nslots; i++)
		{
			fo_slot *s = &st->slots[i];
			uint32	 ev;

			if (s->state == SLOT_FREE)
				continue;
			if (s->state == SLOT_CONNECTING)
			{
				long left = (long) ((s->deadline - now) / 1000);

				if (left < timeout)
					timeout = left < 0 ? 0 : left;
				ev = s->poll == PGRES_POLLING_READING ? WL_SOCKET_READABLE : WL_SOCKET_WRITEABLE;
			}
			else
				ev = WL_SOCKET_READABLE | (s->flush_pending ? WL_SOCKET_WRITEABLE : 0);
			AddWaitEventToSet(wes, ev, PQsocket(s->conn), NULL, s);
		}
		nev = WaitEventSetWait(wes, timeout, events, st->nslots + 2, PG_WAIT_EXTENSION);
		FreeWaitEventSet(wes);

		for (int e = 0; e < nev; e++)
		{
			fo_slot *s = events[e].user_data;

			if (events[e].events & WL_LATCH_SET)
			{
				ResetLatch(MyLatch);
				CHECK_FOR_INTERRUPTS();
				continue;
			}
			if (s == NULL || s->state == SLOT_FREE)
				continue;
			if (s->state == SLOT_CONNECTING)
				slot_connect_poll(st, s);
			else
			{
				if (s->flush_pending && (events[e].events & WL_SOCKET_WRITEABLE))
					s->flush_pending = PQflush(s->conn) == 1;
				if (events[e].events & WL_SOCKET_READABLE)
					slot_read(st, s);
			}
		}
		CHECK_FOR_INTERRUPTS();

		/* connect timeouts: PQconnectPoll leaves them to us */
		now = GetCurrentTimestamp();
		for (int i = 0; i < st->nslots; i++)
		{
			fo_slot *s = &st->slots[i];

			if (s->state == SLOT_CONNECTING && now >= s->deadline)
			{
				tn_error_set(&s->out.err, TN_ERR_UNREACHABLE, "could not connect to tenant \"%s\"",
							 job->tenants[s->index].name);
				tn_error_detail(&s->out.err, "The connection timed out after %d s.", st->connect_timeout_s);
				fanout_slot_fail(st, s, TN_ERR_UNREACHABLE);
			}
		}
	}
	MemoryContextSwitchTo(outer);
	MemoryContextDelete(turn);
	pfree(events);
}

void
fo_run(fo_job *job)
{
	fo_state	  st;
	tn_error	  err;
	MemoryContext cxt = CurrentMemoryContext;
	const char	 *ct = GetConfigOption("tenancy.connect_timeout", true, false);

	memset(&st, 0, sizeof(st));
	st.job = job;
	st.connect_timeout_s = ct && atoi(ct) > 0 ? atoi(ct) : 5;
	{
		/* tenancy.query_max_bytes, in kB (an integer setting with a unit) */
		const char *qm = GetConfigOption("tenancy.query_max_bytes", true, false);

		st.query_max = (qm && atoll(qm) > 0 ? atoll(qm) : 65536) * 1024LL;
	}
	job->finished = 0;
	job->failures = 0;
	job->stopped_early = false;
	tn_error_clear(&err);

	if (job->mode != FO_QUERY && job->mode != FO_VERIFY && job->mode != FO_FINISH)
	{
		int rc;

		if (job->mode == FO_DRY_RUN || job->mode == FO_PREPARE || job->mode == FO_ROLLBACK || job->mode == FO_HOLDS ||
			job->mode == FO_FORGET)
		{
			/*
			 * the core's dry run reports no-transaction migrations itself;
			 * an atomic run refused them before it started
			 */
			st.steps = palloc0(sizeof(tn_fanout_step));
			st.steps[0].kind = TN_STEP_MIGRATE;
			st.steps[0].version = job->target;
			st.nsteps = 1;
		}
		else
		{
			tn_fanout_step *steps;

			rc = tn_fanout_plan(job->set, job->target, &steps, &st.nsteps, &err);
			if (rc != TN_OK)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("%s", err.message),
						 err.hint[0] ? errhint("%s", err.hint) : 0));
			st.steps = palloc(sizeof(tn_fanout_step) * st.nsteps);
			memcpy(st.steps, steps, sizeof(tn_fanout_step) * st.nsteps);
			free(steps);
		}
		st.stmts = palloc0(sizeof(fo_stmts) * st.nsteps);
		for (size_t i = 0; i < st.nsteps; i++)
			if (st.steps[i].kind == TN_STEP_NO_TRANSACTION)
				st.stmts[i] = split_statements(st.steps[i].migration->up_sql);
	}
	if (job->mode == FO_QUERY && job->row == NULL)
		elog(ERROR, "fan-out query job without a row callback");
	st.nslots = job->concurrency < job->ntenants ? job->concurrency : job->ntenants;
	if (st.nslots < 1)
		return;
	st.slots = palloc0(sizeof(fo_slot) * st.nslots);

	PG_TRY();
	{
		fo_loop(&st);
	}
	PG_CATCH();
	{
		/* cancel what is in flight, close everything, then go on failing */
		MemoryContextSwitchTo(cxt);
		HOLD_INTERRUPTS();
		for (int i = 0; i < st.nslots; i++)
		{
			fo_slot *s = &st.slots[i];

			if (s->state == SLOT_BUSY && s->conn)
				tn_lpq_cancel(s->conn);
			if (s->conn)
				tn_lpq_finish(s->conn);
			if (s->failed)
				PQclear(s->failed);
			fanout_probe_clear(s);
			s->conn = NULL;
			s->failed = NULL;
			s->state = SLOT_FREE;
		}
		RESUME_INTERRUPTS();
		PG_RE_THROW();
	}
	PG_END_TRY();
}
