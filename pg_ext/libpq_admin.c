/*
 * libpq_admin.c -- the one server connection a backend keeps between
 * tenant_create calls (issue 14: provisioning at the floor).
 *
 * CREATE DATABASE cannot run in a transaction, so tenant_create runs it
 * over a libpq connection to the server's "postgres" database; connecting
 * anew for every tenant cost a backend start and an authentication per
 * call.  As postgres_fdw keeps its connections for the session, this file
 * keeps that one connection (application_name 'tenancy admin') after a
 * call that used it without error, and hands it to the next call only when
 * everything it was opened for is unchanged:
 *   - the same current role and security context (GetUserIdAndSecContext):
 *     a SET ROLE, RESET ROLE, SET SESSION AUTHORIZATION or a SECURITY
 *     DEFINER function of another owner gets a connection of its own;
 *   - the same superuser status;
 *   - the same connection parameters, credentials included (the location,
 *     the server's own conninfo, the caller's user mapping and password):
 *     compared as a SHA-256 digest, so no password is kept here;
 *   - the connection is idle and healthy, and the server has not spoken
 *     since (a terminated session sends its FATAL, then closes).
 * It is closed at once when a (sub)transaction of the backend aborts (an
 * error, a cancel), when a call fails on it, when the role or credentials
 * change, when tenancy.keep_admin_connection is off, and with the backend.
 * While a call uses it, it is tracked by libpq_conn.c like any other
 * connection, so a cancel or an error closes it then too.
 *
 * Must not: keep more than one connection, keep a password, hand a
 * connection to a role or credentials other than those it was opened
 * with, or run anything on it but the registry's fixed statements.
 */
#include "postgres.h"

#include <poll.h>

#include "access/xact.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "libpq_admin.h"

typedef struct kept_admin
{
	PGconn *conn; /* NULL: nothing kept */
	bool	fd_acquired;
	Oid		userid;
	int		sec_context;
	bool	superuser;
	uint8	digest[PG_SHA256_DIGEST_LENGTH];
} kept_admin;

static kept_admin kept;
static bool		  callbacks_registered = false;

static bool
keep_enabled(void)
{
	const char *v = GetConfigOption("tenancy.keep_admin_connection", true, false);

	return v == NULL || strcmp(v, "on") == 0;
}

static void
kept_close(void)
{
	if (kept.conn != NULL)
	{
		PQsetnonblocking(kept.conn, 1);
		PQfinish(kept.conn);
		if (kept.fd_acquired)
			ReleaseExternalFD();
	}
	memset(&kept, 0, sizeof(kept));
}

/* an error anywhere in this backend: nothing stays to be reused */
static void
admin_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		kept_close();
}

static void
admin_subxact_callback(SubXactEvent event, SubTransactionId mySubid pg_attribute_unused(),
					   SubTransactionId parentSubid pg_attribute_unused(),
					   void *arg					pg_attribute_unused())
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		kept_close();
}

/*
 * SHA-256 of every parameter the connection would be opened with for o
 * (credentials of a non-superuser included).  false with err filled when
 * the caller may not connect at all.
 */
static bool
params_digest(const tn_lpq_opts *o, uint8 *digest, tn_error *err)
{
	MemoryContext	   cxt = AllocSetContextCreate(CurrentMemoryContext, "tenancy admin key", ALLOCSET_SMALL_SIZES);
	tn_lpq_params	  *p = tn_lpq_params_make(o, cxt, err);
	pg_cryptohash_ctx *h;
	bool			   ok = false;

	if (p != NULL && (h = pg_cryptohash_create(PG_SHA256)) != NULL)
	{
		ok = pg_cryptohash_init(h) == 0;
		for (int i = 0; ok && p->keys[i] != NULL; i++)
			ok = pg_cryptohash_update(h, (const uint8 *) p->keys[i], strlen(p->keys[i]) + 1) == 0 &&
				 pg_cryptohash_update(h, (const uint8 *) p->vals[i], strlen(p->vals[i]) + 1) == 0;
		ok = ok && pg_cryptohash_final(h, digest, PG_SHA256_DIGEST_LENGTH) == 0;
		pg_cryptohash_free(h);
		if (!ok)
			tn_error_set(err, TN_ERR_NO_MEMORY, "could not compute a connection key");
	}
	MemoryContextDelete(cxt);
	return ok;
}

/*
 * Idle, healthy, and nothing to read: an idle session that has something
 * to say (a FATAL before it closes) or has closed is not reused.
 */
static bool
idle_and_quiet(PGconn *conn)
{
	struct pollfd pfd;

	if (PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != PQTRANS_IDLE ||
		PQisBusy(conn) || PQsocket(conn) < 0)
		return false;
	pfd.fd = PQsocket(conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 0;
}

/* Is the kept connection the one the current caller would open for o? */
static bool
kept_matches(const uint8 *digest)
{
	Oid userid;
	int sec_context;

	GetUserIdAndSecContext(&userid, &sec_context);
	return kept.conn != NULL && kept.userid == userid && kept.sec_context == sec_context &&
		   kept.superuser == superuser() &&
		   memcmp(kept.digest, digest, PG_SHA256_DIGEST_LENGTH) == 0;
}

PGconn *
tn_lpq_admin_connect(const tn_lpq_opts *o, tn_error *err)
{
	uint8 digest[PG_SHA256_DIGEST_LENGTH];

	if (!callbacks_registered)
	{
		RegisterXactCallback(admin_xact_callback, NULL);
		RegisterSubXactCallback(admin_subxact_callback, NULL);
		callbacks_registered = true;
	}
	if (kept.conn != NULL)
	{
		tn_error ignored;

		tn_error_clear(&ignored);
		if (keep_enabled() && params_digest(o, digest, &ignored) && kept_matches(digest) &&
			idle_and_quiet(kept.conn))
		{
			PGconn *conn = kept.conn;
			bool	fd = kept.fd_acquired;

			/* in use: closed by libpq_conn.c if this (sub)transaction aborts */
			memset(&kept, 0, sizeof(kept));
			tn_lpq_adopt(conn, fd);
			return conn;
		}
		kept_close();
	}
	return tn_lpq_connect(o, err);
}

void
tn_lpq_admin_done(PGconn *conn, const tn_lpq_opts *o)
{
	uint8	 digest[PG_SHA256_DIGEST_LENGTH];
	tn_error ignored;
	bool	 fd;

	if (conn == NULL)
		return;
	tn_error_clear(&ignored);
	if (kept.conn != NULL || !keep_enabled() || !idle_and_quiet(conn) ||
		!params_digest(o, digest, &ignored) || !tn_lpq_untrack(conn, &fd))
	{
		tn_lpq_finish(conn);
		return;
	}
	kept.conn = conn;
	kept.fd_acquired = fd;
	GetUserIdAndSecContext(&kept.userid, &kept.sec_context);
	kept.superuser = superuser();
	memcpy(kept.digest, digest, PG_SHA256_DIGEST_LENGTH);
}
