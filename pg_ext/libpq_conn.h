/*
 * libpq_conn.h -- libpq inside a backend, the way dblink and postgres_fdw
 * do it: never block in libpq (connect with PQconnectPoll, query with
 * PQsendQuery* + PQconsumeInput, both waiting on the latch and the socket
 * with CHECK_FOR_INTERRUPTS), account for the descriptor with
 * AcquireExternalFD, and close every connection when the (sub)transaction
 * that opened it aborts, whatever raised the error.
 *
 * Must not: store or print a password, or leave a connection open past
 * the transaction that opened it (the one exception, the server
 * connection tenant_create keeps, is handed over to libpq_admin.c with
 * tn_lpq_untrack and follows that file's rules).
 */
#ifndef LIBPQ_CONN_H
#define LIBPQ_CONN_H

#include "postgres.h"

#include "libpq-fe.h"

#include "tenancy.h"

/*
 * Non-superusers connect out only with their own credentials: the user
 * mapping (options user, password) of the caller, or PUBLIC, on this
 * foreign server of wrapper tenancy_fdw (SECURITY.md).
 */
#define TN_LPQ_CREDENTIAL_SERVER "tenancy"

/* What a connection is opened for (picks the extra options). */
typedef struct tn_lpq_opts
{
	const char *location;		   /* libpq conninfo without password, or NULL */
	const char *dbname;			   /* overrides the location's dbname, or NULL */
	int			connect_timeout_s; /* 0: tenancy.connect_timeout (default 5) */
	const char *options;		   /* "-c statement_timeout=..." etc., or NULL */
	const char *application_name;  /* NULL: "tenancy" */
} tn_lpq_opts;

/*
 * Refuse a location that carries a password or does not parse, and, for a
 * non-superuser, one that names the server's own files or credentials
 * (passfile, service, ssl key files, Kerberos: 42501).  what names the
 * argument ("location").  Raises; never echoes the string or libpq's text
 * about it.
 */
extern void tn_lpq_check_location(const char *location, const char *what);

/*
 * The conninfo this backend uses to reach its own server (Unix socket dir,
 * port, current user, current database), or the setting
 * tenancy.self_conninfo when set.  palloc'd.
 */
extern char *tn_lpq_self_conninfo(void);

/*
 * Start a connection without blocking.  Returns NULL with err filled
 * (TN_ERR_UNREACHABLE) when libpq refuses at once, or TN_ERR_PERMISSION
 * when a non-superuser's connection would use anything but its own user
 * mapping's password (postgres_fdw's rule).  The connection is
 * tracked: closed automatically if the current subtransaction aborts.
 */
extern PGconn *tn_lpq_start(const tn_lpq_opts *o, tn_error *err);

/*
 * Connect and wait (latch + socket, interruptible).  On failure returns
 * NULL with err filled (TN_ERR_UNREACHABLE).  Applies the dblink rule for
 * non-superusers (tn_lpq_password_check).
 */
extern PGconn *tn_lpq_connect(const tn_lpq_opts *o, tn_error *err);

/*
 * dblink's rule: a non-superuser's connection must have used a password,
 * so the server's own trust/peer authentication cannot be borrowed.
 * Returns TN_OK or TN_ERR_PERMISSION with err filled.
 */
extern int tn_lpq_password_check(PGconn *conn, tn_error *err);

/*
 * Run one statement ($1..$n text parameters, NULL = SQL NULL) and wait for
 * its result, interruptibly.  Returns the PGresult of a successful command
 * (caller PQclear's it), or NULL with err filled from the server's error
 * fields (TN_ERR_ENGINE + sqlstate) or the connection's state.
 */
extern PGresult *tn_lpq_exec(PGconn *conn, const char *sql, int nparams,
							 const char *const *values, tn_error *err);

/* Same, raising on error (for administrative statements). */
extern PGresult *tn_lpq_exec_or_raise(PGconn *conn, const char *sql,
									  int nparams, const char *const *values);

/* Fill err from a failed result (or from the connection when res is NULL). */
extern void tn_lpq_error(PGconn *conn, const PGresult *res, tn_error *err);

/* Send a cancel request for the statement in flight (best effort). */
extern void tn_lpq_cancel(PGconn *conn);

/*
 * The exact parameters tn_lpq_start would connect with for o, credentials
 * of a non-superuser caller included, copied into cxt, for a connection
 * made later when the rules can no longer be applied (an abort callback).
 * NULL with err filled when tn_lpq_start would refuse.
 */
typedef struct tn_lpq_params
{
	char **keys; /* NULL-terminated */
	char **vals;
	bool   password_required; /* the caller was not a superuser */
} tn_lpq_params;

extern tn_lpq_params *tn_lpq_params_make(const tn_lpq_opts *o, MemoryContext cxt,
										 tn_error *err);

/*
 * Connect with p, send sql, flush and close, all within timeout_ms (plain
 * poll: usable in an abort callback, never waits past the deadline, never
 * raises, never waits for the result).  Honours p->password_required.
 */
extern void tn_lpq_fire_and_forget(const tn_lpq_params *p, const char *sql,
								   int timeout_ms);

/* Close and forget a tracked connection (NULL is fine). */
extern void tn_lpq_finish(PGconn *conn);

/*
 * Hand a tracked connection over to another owner (libpq_admin.c keeps one
 * between transactions): it is no longer closed by the (sub)transaction
 * callbacks.  *fd_acquired says whether it holds an external descriptor.
 * false when conn was not tracked.  tn_lpq_adopt tracks it again, under
 * the current subtransaction.
 */
extern bool tn_lpq_untrack(PGconn *conn, bool *fd_acquired);
extern void tn_lpq_adopt(PGconn *conn, bool fd_acquired);

/* Number of tracked connections still open (tests, leak checks). */
extern int tn_lpq_open_count(void);

/* Register the transaction callbacks (idempotent). */
extern void tn_lpq_init(void);

#endif /* LIBPQ_CONN_H */
