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
 * Non-superusers connect out with their own credentials only (issue 7,
 * finding 1; postgres_fdw's check_conn_params and dblink's
 * dblink_security_check): the password comes from the caller's user
 * mapping on server "tenancy" (wrapper tenancy_fdw) and must be used, and
 * nothing that makes libpq read the server's files is accepted.
 *
 * Must not: store, log or print a password; call the core; hold
 * interrupts while waiting on a tenant.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "common/string.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/postmaster.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include <poll.h>

#include "libpq_conn.h"

#define DEFAULT_CONNECT_TIMEOUT 5

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
/* Connection strings                                                  */
/* ------------------------------------------------------------------ */

/*
 * Connection parameters that make libpq read files or credentials of the
 * server's OS user (postgres_fdw and dblink refuse the same for
 * non-superusers: the passfile and service file would hand out the
 * administrator's passwords, the key files and Kerberos settings the
 * server's own identity).
 */
static const char *const server_credential_keywords[] = {
	"passfile", "service", "servicefile", "sslcert", "sslkey", "sslpassword",
	"sslrootcert", "sslcrl", "sslcrldir", "krbsrvname", "gsslib", NULL
};

/* The first keyword of opts a non-superuser may not set, or NULL. */
static const char *
refused_keyword(const char *const *keys, const char *const *vals, int n)
{
	for (int i = 0; i < n; i++)
	{
		if (vals[i] == NULL || vals[i][0] == '\0')
			continue;
		for (const char *const *k = server_credential_keywords; *k; k++)
			if (strcmp(keys[i], *k) == 0)
				return *k;
		if (strcmp(keys[i], "gssencmode") == 0 && strcmp(vals[i], "disable") != 0)
			return "gssencmode";
	}
	return NULL;
}

void
tn_lpq_check_location(const char *location, const char *what)
{
	PQconninfoOption *opts;
	PQconninfoOption *o;
	char			 *parse_err = NULL;
	bool			  has_password = false;
	const char		 *keys[128] = { 0 };
	const char		 *vals[128] = { 0 };
	int				  n = 0;
	const char		 *refused;

	if (location == NULL)
		return;
	opts = PQconninfoParse(location, &parse_err);
	if (opts == NULL)
	{
		/*
		 * libpq's message may quote the string around the fault (a URI's
		 * password included): never pass it on (issue 7, finding 10).
		 */
		if (parse_err)
			PQfreemem(parse_err);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid connection string in %s", what),
				 errdetail("The string is not a valid libpq connection string or URI; it is not shown, since it may hold a password."),
				 errhint("Check its quoting, keywords and percent-escapes with psql \"dbname=...\".")));
	}
	for (o = opts; o->keyword != NULL; o++)
	{
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0')
			has_password = true;
		if (o->val != NULL && o->val[0] != '\0' && n < (int) lengthof(keys))
		{
			keys[n] = o->keyword;
			vals[n] = o->val;
			n++;
		}
	}
	refused = superuser() ? NULL : refused_keyword(keys, vals, n);
	refused = refused ? pstrdup(refused) : NULL;
	PQconninfoFree(opts);
	if (has_password)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not contain a password", what),
				 errdetail("Tenant locations are stored in the registry and shown by tenants(); a password there would be readable."),
				 errhint("Superusers: use a password file or service file of the server. Other roles: CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (user '...', password '...').",
						 TN_LPQ_CREDENTIAL_SERVER)));
	if (refused)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superusers may use the connection option \"%s\"", refused),
				 errdetail("The option makes the server read its own files or credentials, which are not the caller's."),
				 errhint("Give your own password in a user mapping: CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (user '...', password '...').",
						 TN_LPQ_CREDENTIAL_SERVER)));
}

/*
 * The caller's own credentials for outgoing connections: the options user
 * and password of its user mapping (or the PUBLIC one) on the foreign
 * server TN_LPQ_CREDENTIAL_SERVER of wrapper tenancy_fdw, as postgres_fdw
 * takes them.  Only superusers can create servers of tenancy_fdw, so the
 * mapping is the administrator's or the role's own.  Fills *user and
 * *password (palloc'd, NULL when absent); returns TN_OK or
 * TN_ERR_PERMISSION with err filled.
 */
static int
caller_credentials(char **user, char **password, tn_error *err)
{
	ForeignServer	   *server = GetForeignServerByName(TN_LPQ_CREDENTIAL_SERVER, true);
	ForeignDataWrapper *fdw;
	HeapTuple			tp;
	UserMapping		   *um;
	ListCell		   *lc;

	*user = NULL;
	*password = NULL;
	if (server != NULL)
	{
		fdw = GetForeignDataWrapper(server->fdwid);
		if (strcmp(fdw->fdwname, "tenancy_fdw") != 0)
			server = NULL;
	}
	if (server != NULL)
	{
		tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(GetUserId()),
							 ObjectIdGetDatum(server->serverid));
		if (!HeapTupleIsValid(tp))
			tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
								 ObjectIdGetDatum(server->serverid));
		if (!HeapTupleIsValid(tp))
			server = NULL;
		else
			ReleaseSysCache(tp);
	}
	if (server != NULL)
	{
		um = GetUserMapping(GetUserId(), server->serverid);
		foreach (lc, um->options)
		{
			DefElem *d = (DefElem *) lfirst(lc);

			if (strcmp(d->defname, "user") == 0)
				*user = pstrdup(defGetString(d));
			else if (strcmp(d->defname, "password") == 0)
				*password = pstrdup(defGetString(d));
		}
	}
	if (*password != NULL && (*password)[0] != '\0')
		return TN_OK;
	tn_error_set(err, TN_ERR_PERMISSION, "password is required");
	tn_error_detail(err, "Non-superusers must give the password of tenancy's outgoing connections themselves, in a user mapping; the server's password files and trust authentication are not theirs to use.");
	tn_error_hint(err, "CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (user '...', password '...'); the administrator creates the server once (see SECURITY.md).",
				  TN_LPQ_CREDENTIAL_SERVER);
	return TN_ERR_PERMISSION;
}

char *
tn_lpq_self_conninfo(void)
{
	const char	  *setting = GetConfigOption("tenancy.self_conninfo", true, false);
	char		  *dirs;
	char		  *comma;
	char		  *dbname;
	char		  *user;
	StringInfoData s;

	if (setting != NULL && setting[0] != '\0')
		return pstrdup(setting);
	initStringInfo(&s);
	dirs = pstrdup(Unix_socket_directories ? Unix_socket_directories : "");
	comma = strchr(dirs, ',');
	if (comma)
		*comma = '\0';
	while (*dirs == ' ')
		dirs++;
	dbname = get_database_name(MyDatabaseId);
	user = GetUserNameFromId(GetUserId(), false);
	appendStringInfo(&s, "host='%s' port=%d", dirs[0] ? dirs : "localhost", PostPortNumber);
	appendStringInfoString(&s, " dbname='");
	for (const char *p = dbname; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			appendStringInfoChar(&s, '\\');
		appendStringInfoChar(&s, *p);
	}
	appendStringInfoString(&s, "' user='");
	for (const char *p = user; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			appendStringInfoChar(&s, '\\');
		appendStringInfoChar(&s, *p);
	}
	appendStringInfoChar(&s, '\'');
	return s.data;
}

/* ------------------------------------------------------------------ */
/* Connecting                                                          */
/* ------------------------------------------------------------------ */

static int
connect_timeout_setting(void)
{
	const char *v = GetConfigOption("tenancy.connect_timeout", true, false);
	int			t = v && v[0] ? atoi(v) : DEFAULT_CONNECT_TIMEOUT;

	return t > 0 ? t : DEFAULT_CONNECT_TIMEOUT;
}

static void
ignore_notice(void *arg pg_attribute_unused(), const char *message pg_attribute_unused())
{
}

/* Set key to val in the arrays (replace or append). */
static void
put_param(const char **keys, const char **vals, int *n, const char *key,
		  const char *val)
{
	int i;

	for (i = 0; i < *n; i++)
		if (strcmp(keys[i], key) == 0)
		{
			vals[i] = val;
			return;
		}
	keys[*n] = key;
	vals[*n] = val;
	(*n)++;
}

/* Put every non-empty option of a conninfo; returns the parsed list to free. */
static PQconninfoOption *
put_conninfo(const char **keys, const char **vals, int *n, const char *conninfo,
			 tn_error *err)
{
	char			 *parse_err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &parse_err);
	PQconninfoOption *o;

	if (opts == NULL)
	{
		/* libpq's text may quote a password: never pass it on */
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid connection string");
		tn_error_detail(err, "The string is not a valid libpq connection string or URI; it is not shown, since it may hold a password.");
		if (parse_err)
			PQfreemem(parse_err);
		return NULL;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (o->val != NULL && o->val[0] != '\0')
			put_param(keys, vals, n, o->keyword, o->val);
	return opts;
}

/*
 * Every parameter of a connection for o, in order: the server's own
 * connection (host, port, user, database), then the location, which
 * overrides whatever it names, then what this call insists on, then, for
 * a non-superuser, its own credentials (postgres_fdw's check_conn_params:
 * nothing of the server's own files or Kerberos, a password the caller
 * gave, which tn_lpq_password_check then requires to have been used).
 * (libpq expands only the first dbname of an array, so the merge is done
 * here.)  keys/vals point into *parsed (free with free_parsed) and into
 * palloc'd memory.  check_interval: ask the session to notice a vanished
 * client.  TN_OK, or an error in err.
 */
typedef struct parsed_opts
{
	char			 *self;
	PQconninfoOption *self_opts;
	PQconninfoOption *loc_opts;
} parsed_opts;

static void
free_parsed(parsed_opts *parsed)
{
	if (parsed->self_opts)
		PQconninfoFree(parsed->self_opts);
	if (parsed->loc_opts)
		PQconninfoFree(parsed->loc_opts);
	if (parsed->self)
		pfree(parsed->self);
	memset(parsed, 0, sizeof(*parsed));
}

static int
build_params(const tn_lpq_opts *o, bool check_interval, const char **keys,
			 const char **vals, int *n, parsed_opts *parsed, tn_error *err)
{
	memset(parsed, 0, sizeof(*parsed));
	*n = 0;
	parsed->self = tn_lpq_self_conninfo();
	parsed->self_opts = put_conninfo(keys, vals, n, parsed->self, err);
	if (parsed->self_opts == NULL)
		return err->code;
	if (o->location && o->location[0])
	{
		parsed->loc_opts = put_conninfo(keys, vals, n, o->location, err);
		if (parsed->loc_opts == NULL)
		{
			free_parsed(parsed);
			return err->code;
		}
	}
	if (o->dbname)
		put_param(keys, vals, n, "dbname", o->dbname);
	put_param(keys, vals, n, "connect_timeout",
			  psprintf("%d", o->connect_timeout_s > 0 ? o->connect_timeout_s : connect_timeout_setting()));
	put_param(keys, vals, n, "application_name", o->application_name ? o->application_name : "tenancy");

	/*
	 * The tenant session notices within a second that this backend closed
	 * the connection and stops its statement: an abort here only closes
	 * sockets and never waits on a tenant (issue 7, finding 7).
	 */
	if (check_interval)
		put_param(keys, vals, n, "options",
				  psprintf("%s%s-c client_connection_check_interval=1000",
						   o->options ? o->options : "", o->options ? " " : ""));
	else if (o->options)
		put_param(keys, vals, n, "options", o->options);
	if (!superuser())
	{
		const char *refused = refused_keyword(keys, vals, *n);
		char	   *user;
		char	   *password;

		if (refused != NULL)
		{
			tn_error_set(err, TN_ERR_PERMISSION, "only superusers may use the connection option \"%s\"", refused);
			tn_error_detail(err, "The option makes the server read its own files or credentials, which are not the caller's.");
		}
		if (refused != NULL || caller_credentials(&user, &password, err) != TN_OK)
		{
			free_parsed(parsed);
			return err->code;
		}
		if (user != NULL)
			put_param(keys, vals, n, "user", user);
		put_param(keys, vals, n, "password", password);
		put_param(keys, vals, n, "gssencmode", "disable");
	}
	keys[*n] = NULL;
	vals[*n] = NULL;
	return TN_OK;
}

PGconn *
tn_lpq_start(const tn_lpq_opts *o, tn_error *err)
{
	const char *keys[128];
	const char *vals[128];
	int			n;
	PGconn	   *conn;
	parsed_opts parsed;

	tn_lpq_init();
	if (build_params(o, true, keys, vals, &n, &parsed, err) != TN_OK)
		return NULL;

	/* Every descriptor counts against the backend's limit (like dblink). */
	if (!AcquireExternalFD())
	{
		free_parsed(&parsed);
		tn_error_set(err, TN_ERR_UNREACHABLE, "could not open a connection: too many open files in this backend");
		tn_error_hint(err, "Lower the concurrency.");
		return NULL;
	}
	conn = PQconnectStartParams(keys, vals, 0);
	free_parsed(&parsed);
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

tn_lpq_params *
tn_lpq_params_make(const tn_lpq_opts *o, MemoryContext cxt, tn_error *err)
{
	const char	  *keys[128];
	const char	  *vals[128];
	int			   n;
	parsed_opts	   parsed;
	tn_lpq_params *p;

	if (build_params(o, false, keys, vals, &n, &parsed, err) != TN_OK)
		return NULL;
	p = MemoryContextAllocZero(cxt, sizeof(tn_lpq_params));
	p->keys = MemoryContextAllocZero(cxt, sizeof(char *) * (n + 1));
	p->vals = MemoryContextAllocZero(cxt, sizeof(char *) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		p->keys[i] = MemoryContextStrdup(cxt, keys[i]);
		p->vals[i] = MemoryContextStrdup(cxt, vals[i]);
	}
	p->password_required = !superuser();
	free_parsed(&parsed);
	return p;
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
	int						  secs = o->connect_timeout_s > 0 ? o->connect_timeout_s : connect_timeout_setting();
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
