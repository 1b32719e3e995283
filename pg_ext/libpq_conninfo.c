/*
 * libpq_conninfo.c -- the parameters of tenancy's outgoing connections, and
 * the rules on them.
 *
 * What a connection is opened with: this server's own connection (socket
 * directory, port, current user and database, or tenancy.self_conninfo),
 * then the tenant's location, then what tenancy insists on (timeouts,
 * application_name, client_connection_check_interval).  For a caller who
 * is not a superuser, the rules of postgres_fdw and dblink (issue 7,
 * finding 1): the password comes from the caller's user mapping on server
 * "tenancy" (wrapper tenancy_fdw) and nothing that makes libpq read the
 * server's files is accepted.  A location is checked when it is stored
 * (tn_lpq_check_location) and again when it is used.
 *
 * Connecting, waiting and tracking the connection are libpq_conn.c's job.
 *
 * Must not: store, log or print a password (libpq's parse errors may quote
 * one: they are never passed on); call the core.
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "libpq_conn.h"
#include "libpq_conninfo.h"

#define DEFAULT_CONNECT_TIMEOUT 5

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
	const char		 *keys[TN_LPQ_MAX_PARAMS] = { 0 };
	const char		 *vals[TN_LPQ_MAX_PARAMS] = { 0 };
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
/* The parameters of one connection                                    */
/* ------------------------------------------------------------------ */

int
tn_lpq_connect_timeout(const tn_lpq_opts *o)
{
	const char *v;
	int			t;

	if (o->connect_timeout_s > 0)
		return o->connect_timeout_s;
	v = GetConfigOption("tenancy.connect_timeout", true, false);
	t = v && v[0] ? atoi(v) : DEFAULT_CONNECT_TIMEOUT;
	return t > 0 ? t : DEFAULT_CONNECT_TIMEOUT;
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
 * here.)  keys/vals point into *ci (free with tn_lpq_conninfo_free) and into
 * palloc'd memory.  check_interval: ask the session to notice a vanished
 * client.  TN_OK, or an error in err.
 */
void
tn_lpq_conninfo_free(tn_lpq_conninfo *ci)
{
	if (ci->self_opts)
		PQconninfoFree(ci->self_opts);
	if (ci->loc_opts)
		PQconninfoFree(ci->loc_opts);
	if (ci->self)
		pfree(ci->self);
	memset(ci, 0, sizeof(*ci));
}

int
tn_lpq_conninfo_build(const tn_lpq_opts *o, bool check_interval, tn_lpq_conninfo *ci,
					  tn_error *err)
{
	const char **keys = ci->keys;
	const char **vals = ci->vals;
	int			*n = &ci->n;

	memset(ci, 0, sizeof(*ci));
	ci->self = tn_lpq_self_conninfo();
	ci->self_opts = put_conninfo(keys, vals, n, ci->self, err);
	if (ci->self_opts == NULL)
		return err->code;
	if (o->location && o->location[0])
	{
		ci->loc_opts = put_conninfo(keys, vals, n, o->location, err);
		if (ci->loc_opts == NULL)
		{
			tn_lpq_conninfo_free(ci);
			return err->code;
		}
	}
	if (o->dbname)
		put_param(keys, vals, n, "dbname", o->dbname);
	put_param(keys, vals, n, "connect_timeout",
			  psprintf("%d", tn_lpq_connect_timeout(o)));
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
			tn_lpq_conninfo_free(ci);
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

tn_lpq_params *
tn_lpq_params_make(const tn_lpq_opts *o, MemoryContext cxt, tn_error *err)
{
	tn_lpq_conninfo ci;
	tn_lpq_params  *p;

	if (tn_lpq_conninfo_build(o, false, &ci, err) != TN_OK)
		return NULL;
	p = MemoryContextAllocZero(cxt, sizeof(tn_lpq_params));
	p->keys = MemoryContextAllocZero(cxt, sizeof(char *) * (ci.n + 1));
	p->vals = MemoryContextAllocZero(cxt, sizeof(char *) * (ci.n + 1));
	for (int i = 0; i < ci.n; i++)
	{
		p->keys[i] = MemoryContextStrdup(cxt, ci.keys[i]);
		p->vals[i] = MemoryContextStrdup(cxt, ci.vals[i]);
	}
	p->password_required = !superuser();
	tn_lpq_conninfo_free(&ci);
	return p;
}
