/*
 * libpq_admin.h -- the one server connection a backend keeps between
 * tenant_create calls (libpq_admin.c states the rules: same role, same
 * security context, same credentials, idle and healthy, dropped on any
 * abort).
 *
 * Must not: be used for anything but the registry's own fixed statements
 * on a server's "postgres" database (CREATE/DROP DATABASE and catalog
 * reads); never for SQL a tenant or a caller wrote.
 */
#ifndef LIBPQ_ADMIN_H
#define LIBPQ_ADMIN_H

#include "libpq_conn.h"

/*
 * The kept connection when it was opened for exactly o by the current role
 * in the current security context and is idle and healthy, else a new one
 * (tn_lpq_connect; NULL with err filled on failure).  Either way it is
 * tracked (closed if the current subtransaction aborts) until
 * tn_lpq_admin_done.
 */
extern PGconn *tn_lpq_admin_connect(const tn_lpq_opts *o, tn_error *err);

/*
 * A call is done with conn, with no error on it: keep it for the next
 * call (o as given to tn_lpq_admin_connect), or close it when
 * tenancy.keep_admin_connection is off, one is kept already, or it is not
 * idle.  After an error, close it with tn_lpq_finish instead.
 */
extern void tn_lpq_admin_done(PGconn *conn, const tn_lpq_opts *o);

#endif /* LIBPQ_ADMIN_H */
