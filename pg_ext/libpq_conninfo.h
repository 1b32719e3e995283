/*
 * libpq_conninfo.h -- the keyword/value arrays of one outgoing connection,
 * built by libpq_conninfo.c for libpq_conn.c (the public calls about
 * connection strings, tn_lpq_check_location, tn_lpq_self_conninfo and
 * tn_lpq_params_make, are declared in libpq_conn.h).
 */
#ifndef LIBPQ_CONNINFO_H
#define LIBPQ_CONNINFO_H

#include "libpq_conn.h"

#define TN_LPQ_MAX_PARAMS 128

/*
 * keys/vals (NULL-terminated, n of them) point into the parsed option
 * lists kept here and into palloc'd memory: free with tn_lpq_conninfo_free.
 */
typedef struct tn_lpq_conninfo
{
	const char		 *keys[TN_LPQ_MAX_PARAMS];
	const char		 *vals[TN_LPQ_MAX_PARAMS];
	int				  n;
	char			 *self;
	PQconninfoOption *self_opts;
	PQconninfoOption *loc_opts;
} tn_lpq_conninfo;

/*
 * Every parameter of a connection for o (see libpq_conninfo.c for the
 * order and the rules).  check_interval: ask the session to notice a
 * vanished client.  TN_OK (free ci after use), or an error in err with
 * nothing to free.
 */
extern int	tn_lpq_conninfo_build(const tn_lpq_opts *o, bool check_interval,
								  tn_lpq_conninfo *ci, tn_error *err);
extern void tn_lpq_conninfo_free(tn_lpq_conninfo *ci);

/* Seconds to wait for a connection: o's, else tenancy.connect_timeout (default 5). */
extern int tn_lpq_connect_timeout(const tn_lpq_opts *o);

#endif /* LIBPQ_CONNINFO_H */
