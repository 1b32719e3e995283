/*
 * libpq_conn.c -- libpq inside a backend, never blocking, never leaking.
 *
 * The pattern of dblink / postgres_fdw (PG 16's libpqsrv_* helpers, which
 * PG 15 lacks, so the loops are written here): PQconnectStartParams +
 * PQconnectPoll and PQsendQueryParams + PQconsumeInput/PQisBusy, each wait
 * a WaitLatchOrSocket on MyLatch and the socket, followed by
 * CHECK_FOR_INTERRUPTS, so a cancel or terminate of this backend is served
 * at once.  Each connection is remembered with the subtransaction that
 * opened it: if that subtransaction (or the whole transaction) aborts, the
 * connection is cancelled and closed by the callbacks below, so an error
 * anywhere leaks no connection and no descriptor.
 *
 * What a connection is opened with, and the rules for non-superusers'
 * credentials (issue 7, finding 1), are libpq_conninfo.c's; this file
 * applies the last of them after connecting (dblink_security_check: a
 * non-superuser's connection must have used its password).
 *
 * Must not: store, log or print a password; call the core; hold
 * interrupts while waiting on a tenant.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include <poll.h>

#include "libpq_conn.h"
#include "libpq_conninfo.h"

typedef struct tracked_conn
{
	PGconn			*conn;
	SubTransactionId subid;
	bool			 fd_acquired;
} tracked_conn;

static tracked_conn *tracked = NULL;
static int			 ntracked = 0;
static int			 maxtracked = 0;
static bool			 callbacks_registered = false;

/* ------------------------------------------------------------------ */
/* Tracking and cleanup                                                */
/* ------------------------------------------------------------------ */

/*
 * Close a tracked connection.  No cancel request: PQcancel blocks until
 * the tenant's server closes the cancel socket, which a hostile server
 * never does, and this runs in abort callbacks where interrupts cannot be
 * served.  Closing the socket is enough: every tenancy session runs with
 * client_connection_check_interval, so its statement stops within a
 * second of the close.  (PQfinish on a non-blocking connection sends the
 * Terminate message without waiting.)
 */
static void
close_tracked(int i)
{
	PGconn *conn = tracked[i].conn;

	if (conn != NULL)
	{
		PQsetnonblocking(conn, 1);
		PQfinish(conn);
	}
	if (tracked[i].fd_acquired)
		ReleaseExternalFD();
	tracked[i] = tracked[--ntracked];
}

static void
xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
	{
		/* nothing outlives its transaction */
		while (ntracked > 0)
			close_tracked(ntracked - 1);
	}
}

static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg pg_attribute_unused())
{
	int i;

	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		for (i = ntracked - 1; i >= 0; i--)
			if (tracked[i].subid == mySubid)
				close_tracked(i);
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (i = 0; i < ntracked; i++)
			if (tracked[i].subid == mySubid)
				tracked[i].subid = parentSubid;
	}
}

void
tn_lpq_init(void)
{
	if (callbacks_registered)
		return;
	RegisterXactCallback(xact_callback, NULL);
	RegisterSubXactCallback(subxact_callback, NULL);
	callbacks_registered = true;
}

static void
track(PGconn *conn, bool fd_acquired)
{
	if (ntracked == maxtracked)
	{
		int newmax = maxtracked ? maxtracked * 2 : 16;

		if (tracked == NULL)
			tracked = MemoryContextAlloc(TopMemoryContext, newmax * sizeof(tracked_conn));
		else
			tracked = repalloc(tracked, newmax * sizeof(tracked_conn));
		maxtracked = newmax;
	}
	tracked[ntracked].conn = conn;
	tracked[ntracked].subid = GetCurrentSubTransactionId();
	tracked[ntracked].fd_acquired = fd_acquired;
	ntracked++;
}

void
tn_lpq_finish(PGconn *conn)
{
	int i;

	if (conn == NULL)
		return;
	for (i = 0; i < ntracked; i++)
		if (tracked[i].conn == conn)
		{
			close_tracked(i);
			return;
		}
	PQfinish(conn);
}

bool
tn_lpq_untrack(PGconn *conn, bool *fd_acquired)
{
	for (int i = 0; i < ntracked; i++)
		if (tracked[i].conn == conn)
		{
			*fd_acquired = tracked[i].fd_acquired;
			tracked[i] = tracked[--ntracked];
			return true;
		}
	return false;
}

void
tn_lpq_adopt(PGconn *conn, bool fd_acquired)
{
	tn_lpq_init();
	track(conn, fd_acquired);
}

int
tn_lpq_open_count(void)
{
	return ntracked;
}

/*
 * Was: PQcancel, which blocks (no timeout) until the tenant's server
 * closes the cancel connection; the fan-out called it with interrupts
 * held, so a server that keeps that socket open made the caller
 * unkillable (issue 7, finding 7).  libpq 15 has no non-blocking cancel,
 * so "cancel" is closing the connection: the tenant session, started with
 * client_connection_check_interval, stops the statement within a second.
 * The caller closes the connection right after this.
 */
void
tn_lpq_cancel(PGconn *conn)
{
	if (conn != NULL)
		PQsetnonblocking(conn, 1);
}

/* ------------------------------------------------------------------ */
/* Connecting                                                          */
/* ------------------------------------------------------------------ */

static void
ignore_notice(void *arg pg_attribute_unused(), const char *message pg_attribute_unused())
{
}

PGconn *
tn_lpq_start(const tn_lpq_opts *o, tn_error *err)
{
	tn_lpq_conninfo ci;
	PGconn		   *conn;

	tn_lpq_init();
	if (tn_lpq_conninfo_build(o, true, &ci, err) != TN_OK)
		return NULL;

	/* Every descriptor counts against the backend's limit (like dblink). */
	if (!AcquireExternalFD())
	{
		tn_lpq_conninfo_free(&ci);
		tn_error_set(err, TN_ERR_UNREACHABLE, "could not open a connection: too many open files in this backend");
		tn_error_hint(err, "Lower the concurrency.");
		return NULL;
	}
	conn = PQconnectStartParams(ci.keys, ci.vals, 0);
	tn_lpq_conninfo_free(&ci);
	if (conn == NULL || PQstatus(conn) == CONNECTION_BAD)
	{
		tn_error_set(err, TN_ERR_UNREACHABLE, "could not connect to tenant");
		if (conn)
		{
			tn_error_detail(err, "%s", PQerrorMessage(conn));
			PQfinish(conn);
		}
		ReleaseExternalFD();
		return NULL;
	}
	PQsetnonblocking(conn, 1);
	/* the tenant's NOTICEs would go to this server's log: drop them */
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	track(conn, true);
	return conn;
}

/* Wait for the socket until deadline (plain poll: no latch, no interrupts). */
static bool
poll_until(PGconn *conn, bool for_write, TimestampTz deadline)
{
	struct pollfd pfd;
	long		  left = (long) ((deadline - GetCurrentTimestamp()) / 1000);

	if (left <= 0)
		return false;
	pfd.fd = PQsocket(conn);
	pfd.events = for_write ? POLLOUT : POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, (int) Min(left, 1000)) >= 0;
}

void
tn_lpq_fire_and_forget(const tn_lpq_params *p, const char *sql, int timeout_ms)
{
	TimestampTz				  deadline = GetCurrentTimestamp() + (TimestampTz) timeout_ms * 1000;
	PGconn					 *conn = PQconnectStartParams((const char *const *) p->keys,
														  (const char *const *) p->vals, 0);
	PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;

	if (conn == NULL)
		return;
	while (PQstatus(conn) != CONNECTION_BAD &&
		   poll_status != PGRES_POLLING_OK && poll_status != PGRES_POLLING_FAILED)
	{
		if (!poll_until(conn, poll_status == PGRES_POLLING_WRITING, deadline))
			break;
		poll_status = PQconnectPoll(conn);
	}
	/* the forward path's rules: a non-superuser's password must have been used */
	if (poll_status == PGRES_POLLING_OK &&
		(!p->password_required || PQconnectionUsedPassword(conn)))
	{
		PQsetnonblocking(conn, 1);
		if (PQsendQuery(conn, sql))
			while (PQflush(conn) == 1 && poll_until(conn, true, deadline))
				;
	}
	PQfinish(conn);
}

int
tn_lpq_password_check(PGconn *conn, tn_error *err)
{
	if (superuser() || PQconnectionUsedPassword(conn))
		return TN_OK;
	tn_error_set(err, TN_ERR_PERMISSION, "password is required");
	tn_error_detail(err, "Non-superusers cannot connect if the server does not request a password.");
	tn_error_hint(err, "The tenant's server must authenticate tenancy's connections with a password (scram-sha-256); a non-superuser gives it in a user mapping on server \"%s\".", TN_LPQ_CREDENTIAL_SERVER);
	return TN_ERR_PERMISSION;
}

static int
wait_socket(PGconn *conn, uint32 io, long timeout_ms)
{
	int rc;

	rc = WaitLatchOrSocket(MyLatch,
						   WL_EXIT_ON_PM_DEATH | WL_LATCH_SET | io |
							   (timeout_ms >= 0 ? WL_TIMEOUT : 0),
						   PQsocket(conn), timeout_ms, PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
	{
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	return rc;
}

PGconn *
tn_lpq_connect(const tn_lpq_opts *o, tn_error *err)
{
	PGconn					 *conn = tn_lpq_start(o, err);
	PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
	int						  secs = tn_lpq_connect_timeout(o);
	TimestampTz				  deadline = GetCurrentTimestamp() + (TimestampTz) secs * 1000000;

	if (conn == NULL)
		return NULL;
	while (poll != PGRES_POLLING_OK && poll != PGRES_POLLING_FAILED)
	{
		long left = (long) ((deadline - GetCurrentTimestamp()) / 1000);

		if (left <= 0)
		{
			tn_lpq_finish(conn);
			tn_error_set(err, TN_ERR_UNREACHABLE, "could not connect to tenant");
			tn_error_detail(err, "The connection timed out after %d s.", secs);
			return NULL;
		}
		wait_socket(conn, poll == PGRES_POLLING_READING ? WL_SOCKET_READABLE : WL_SOCKET_WRITEABLE,
					left);
		poll = PQconnectPoll(conn);
	}
	if (poll == PGRES_POLLING_FAILED)
	{
		tn_error_set(err, TN_ERR_UNREACHABLE, "could not connect to tenant");
		tn_error_detail(err, "%s", PQerrorMessage(conn));
		tn_lpq_finish(conn);
		return NULL;
	}
	if (tn_lpq_password_check(conn, err) != TN_OK)
	{
		tn_lpq_finish(conn);
		return NULL;
	}
	return conn;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

void
tn_lpq_error(PGconn *conn, const PGresult *res, tn_error *err)
{
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (msg == NULL)
	{
		const char *m = conn ? PQerrorMessage(conn) : "";
		char		buf[TN_MESSAGE_MAX];
		size_t		len;

		snprintf(buf, sizeof(buf), "%s", m && m[0] ? m : "connection lost");
		len = strlen(buf);
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '.'))
			buf[--len] = '\0';
		tn_error_set(err, conn && PQstatus(conn) == CONNECTION_BAD ? TN_ERR_UNREACHABLE : TN_ERR_ENGINE,
					 "%s", buf);
		return;
	}
	tn_error_set(err, TN_ERR_ENGINE, "%s", msg);
	if (PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL))
		tn_error_detail(err, "%s", PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
	if (PQresultErrorField(res, PG_DIAG_MESSAGE_HINT))
		tn_error_hint(err, "%s", PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
	if (state)
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
	tn_error_engine_cause(err); /* disk full, read only, lock slots: the core's hint */
}

PGresult *
tn_lpq_exec(PGconn *conn, const char *sql, int nparams,
			const char *const *values, tn_error *err)
{
	PGresult *last = NULL;
	PGresult *failed = NULL;
	PGresult *res;
	int		  f;

	if (!PQsendQueryParams(conn, sql, nparams, NULL, values, NULL, NULL, 0))
	{
		tn_lpq_error(conn, NULL, err);
		return NULL;
	}
	while ((f = PQflush(conn)) == 1)
		wait_socket(conn, WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE, -1);
	if (f < 0)
	{
		tn_lpq_error(conn, NULL, err);
		return NULL;
	}
	for (;;)
	{
		while (PQisBusy(conn))
		{
			wait_socket(conn, WL_SOCKET_READABLE, -1);
			if (!PQconsumeInput(conn))
			{
				if (last)
					PQclear(last);
				if (failed)
					PQclear(failed);
				tn_lpq_error(conn, NULL, err);
				return NULL;
			}
		}
		res = PQgetResult(conn);
		if (res == NULL)
			break;
		if (PQresultStatus(res) == PGRES_FATAL_ERROR && failed == NULL)
			failed = res;
		else
		{
			if (last)
				PQclear(last);
			last = res;
		}
	}
	if (failed)
	{
		tn_lpq_error(conn, failed, err);
		PQclear(failed);
		if (last)
			PQclear(last);
		return NULL;
	}
	if (last == NULL)
		tn_lpq_error(conn, NULL, err);
	return last;
}

PGresult *
tn_lpq_exec_or_raise(PGconn *conn, const char *sql, int nparams,
					 const char *const *values)
{
	tn_error  err;
	PGresult *res;

	tn_error_clear(&err);
	res = tn_lpq_exec(conn, sql, nparams, values, &err);
	if (res == NULL)
	{
		int code = err.sqlstate[0] ? MAKE_SQLSTATE(err.sqlstate[0], err.sqlstate[1], err.sqlstate[2], err.sqlstate[3], err.sqlstate[4]) : ERRCODE_CONNECTION_FAILURE;

		ereport(ERROR,
				(errcode(code),
				 errmsg("%s", err.message),
				 err.detail[0] ? errdetail("%s", err.detail) : 0,
				 err.hint[0] ? errhint("%s", err.hint) : 0));
	}
	return res;
}
