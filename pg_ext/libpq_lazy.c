/*
 * libpq_lazy.c -- libpq, loaded when tenancy first opens a connection
 * rather than with the module.
 *
 * Most calls of a session never connect anywhere (tenant_migrate() of one
 * database, tenant_status(), ...), yet a module linked with -lpq maps
 * libpq and relocates it in every backend that loads tenancy: about 0.4 ms,
 * a tenth of what tracking adds to a five-migration tenant_migrate() in a
 * new session.  So the module is not linked with libpq: each libpq
 * function the glue calls is defined here (local to the module, see
 * exports.map) and forwards to libpq's own, found with dlopen/dlsym on its
 * first use, the library loaded as the dynamic linker would have loaded it
 * (its soname, RTLD_NOW | RTLD_GLOBAL, as PostgreSQL loads modules).
 *
 * If libpq cannot be loaded, a WARNING says why and each function returns
 * its failure value (no connection, no parsed options), which the callers
 * already report; nothing here raises an ERROR, since a core call may be
 * on the stack.
 *
 * Must not: change what any libpq function does, or keep anything but the
 * library handle and the function addresses.
 */
#include "postgres.h"

#include <dlfcn.h>

#include "libpq-fe.h"

#define LIBPQ_SONAME "libpq.so.5"

static void *libpq_handle = NULL;
static bool	 libpq_failed = false;

/* The address of libpq's fn, or NULL (after one WARNING) if libpq cannot be loaded. */
static void *
libpq_symbol(const char *fn)
{
	void *p;

	if (libpq_handle == NULL && !libpq_failed)
	{
		libpq_handle = dlopen(LIBPQ_SONAME, RTLD_NOW | RTLD_GLOBAL);
		if (libpq_handle == NULL)
		{
			libpq_failed = true;
			ereport(WARNING,
					(errmsg("could not load library \"%s\": %s", LIBPQ_SONAME, dlerror()),
					 errhint("tenancy needs libpq to connect to tenants.")));
		}
	}
	if (libpq_handle == NULL)
		return NULL;
	p = dlsym(libpq_handle, fn);
	if (p == NULL)
		ereport(WARNING,
				(errmsg("could not find function \"%s\" in library \"%s\"", fn, LIBPQ_SONAME)));
	return p;
}

/*
 * One forwarder: resolve once, then call.  FAIL is what the function
 * returns when libpq is missing (a NULL connection or result, an error
 * status).
 */
#define FORWARD(ret, name, params, args, fail)                                     \
	ret name params                                                                \
	{                                                                              \
		static __typeof__(name) *fn = NULL;                                        \
                                                                                   \
		if (fn == NULL && (fn = (__typeof__(name) *) libpq_symbol(#name)) == NULL) \
			return fail;                                                           \
		return fn args;                                                            \
	}

#define FORWARD_VOID(name, params, args)                                           \
	void name params                                                               \
	{                                                                              \
		static __typeof__(name) *fn = NULL;                                        \
                                                                                   \
		if (fn == NULL && (fn = (__typeof__(name) *) libpq_symbol(#name)) == NULL) \
			return;                                                                \
		fn args;                                                                   \
	}

/* connections */
FORWARD(PGconn *, PQconnectStartParams,
		(const char *const *keywords, const char *const *values, int expand_dbname),
		(keywords, values, expand_dbname), NULL)
FORWARD(PostgresPollingStatusType, PQconnectPoll, (PGconn * conn), (conn), PGRES_POLLING_FAILED)
FORWARD(ConnStatusType, PQstatus, (const PGconn *conn), (conn), CONNECTION_BAD)
FORWARD(PGTransactionStatusType, PQtransactionStatus, (const PGconn *conn), (conn), PQTRANS_UNKNOWN)
FORWARD(int, PQconnectionUsedPassword, (const PGconn *conn), (conn), 0)
FORWARD(char *, PQerrorMessage, (const PGconn *conn), (conn), (char *) "libpq is not loaded\n")
FORWARD(int, PQsocket, (const PGconn *conn), (conn), -1)
FORWARD(int, PQsetnonblocking, (PGconn * conn, int arg), (conn, arg), -1)
FORWARD(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn * conn, PQnoticeProcessor proc, void *arg),
		(conn, proc, arg), NULL)
FORWARD_VOID(PQfinish, (PGconn * conn), (conn))

/* connection strings */
FORWARD(PQconninfoOption *, PQconninfoParse, (const char *conninfo, char **errmsg),
		(conninfo, errmsg), NULL)
FORWARD_VOID(PQconninfoFree, (PQconninfoOption * connOptions), (connOptions))
FORWARD_VOID(PQfreemem, (void *ptr), (ptr))

/* sending and receiving */
FORWARD(int, PQsendQuery, (PGconn * conn, const char *query), (conn, query), 0)
FORWARD(int, PQsendQueryParams,
		(PGconn * conn, const char *command, int nParams, const Oid *paramTypes,
		 const char *const *paramValues, const int *paramLengths, const int *paramFormats,
		 int resultFormat),
		(conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat), 0)
FORWARD(int, PQsetSingleRowMode, (PGconn * conn), (conn), 0)
FORWARD(int, PQflush, (PGconn * conn), (conn), -1)
FORWARD(int, PQconsumeInput, (PGconn * conn), (conn), 0)
FORWARD(int, PQisBusy, (PGconn * conn), (conn), 0)
FORWARD(PGresult *, PQgetResult, (PGconn * conn), (conn), NULL)
FORWARD(int, PQgetCopyData, (PGconn * conn, char **buffer, int async), (conn, buffer, async), -2)

/* results */
FORWARD(ExecStatusType, PQresultStatus, (const PGresult *res), (res), PGRES_FATAL_ERROR)
FORWARD(char *, PQresultErrorField, (const PGresult *res, int fieldcode), (res, fieldcode), NULL)
FORWARD(int, PQntuples, (const PGresult *res), (res), 0)
FORWARD(int, PQnfields, (const PGresult *res), (res), 0)
FORWARD(char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num),
		(res, tup_num, field_num), NULL)
FORWARD(int, PQgetisnull, (const PGresult *res, int tup_num, int field_num),
		(res, tup_num, field_num), 1)
FORWARD(int, PQgetlength, (const PGresult *res, int tup_num, int field_num),
		(res, tup_num, field_num), 0)
FORWARD_VOID(PQclear, (PGresult * res), (res))
