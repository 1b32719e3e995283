/*
 * libpq_fanout_internal.h -- what the fan-out driver's two files share:
 * the per-tenant slot and run state, the sent_stmt markers, and the two
 * functions that cross between them (libpq_fanout.c runs the loop and reads
 * results; libpq_send.c sends a slot's next statement).
 *
 * Must not: be included outside libpq_fanout.c and libpq_send.c.
 */
#ifndef LIBPQ_FANOUT_INTERNAL_H
#define LIBPQ_FANOUT_INTERNAL_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/timestamp.h"

#include "libpq_fanout.h"
#include "libpq_conn.h"

/* sent_stmt values besides a no-transaction statement's index */
#define SENT_SYNCED	   (-1) /* migrate_synced: one row to read */
#define SENT_PLAIN	   (-2) /* BEGIN / PREPARE / COMMIT PREPARED: nothing to read */
#define SENT_VERIFY	   (-3) /* verify_synced: one row to read */
#define SENT_EXT_CHECK (-4) /* EXT_CHECK_SQL: one boolean to read */
#define SENT_RAW_GUARD (-5) /* RAW_GUARD_SQL: nothing to read, an error fails the tenant */
#define SENT_PROBE	   (-7) /* libpq_probe.c: guard + tracking rows; an error is not the tenant's */

typedef enum slot_state
{
	SLOT_FREE,
	SLOT_CONNECTING,
	SLOT_BUSY
} slot_state;

typedef struct fo_stmts
{
	int	   n;
	char **sql;
} fo_stmts;

typedef struct fo_slot
{
	slot_state				  state;
	int						  index;
	PGconn					 *conn;
	PostgresPollingStatusType poll;
	TimestampTz				  deadline;
	TimestampTz				  started;
	bool					  flush_pending;
	int						  step;		 /* next step to send */
	int						  stmt;		 /* next statement of a no-transaction step */
	int						  sent_step; /* step of the statement in flight */
	int						  sent_stmt; /* -1: migrate_synced, else statement index */
	bool					  have_from;
	bool					  path_set;		 /* schema tenant: search_path sent */
	bool					  raw_guarded;	 /* RAW_GUARD_SQL sent */
	bool					  ext_checked;	 /* EXT_CHECK_SQL sent */
	bool					  probe_sent;	 /* libpq_probe.c: its statements sent */
	int						  probe_results; /* its results read so far (SET, schemas, catalog, applied) */
	bool					  probe_trusted; /* that owner is trusted: the tables' rows may be judged */
	bool					  probe_done;	 /* the core answered from the rows: nothing more */
	int						  probe_copying; /* the result index whose COPY lines are coming, else 0 */
	bool					  probe_bad;	 /* a line the core could not read: the full path decides */
	tn_rows					  probe_rows[3]; /* pg_namespace's, the catalog's, the applied rows (malloc'd) */
	int						  conn_served;	 /* tenants this connection served before */
	char					  cur[TN_MAX_VERSION_LEN + 1];
	PGresult				 *failed;
	fo_outcome				  out;
} fo_slot;

typedef struct fo_state
{
	fo_job		   *job;
	tn_fanout_step *steps;
	size_t			nsteps;
	fo_stmts	   *stmts; /* per step (no-transaction steps only) */
	fo_slot		   *slots;
	int				nslots;
	int				next;
	int				active;
	int				connect_timeout_s;
	long long		query_bytes; /* FO_QUERY: result bytes held so far */
	long long		query_max;	 /* tenancy.query_max_bytes */
} fo_state;

/* libpq_fanout.c: the slot failed with rc; finish it (the callback runs) */
void fanout_slot_fail(fo_state *st, fo_slot *slot, int rc);

/* libpq_send.c: send the slot's next statement; false when nothing is left */
bool fanout_slot_send_next(fo_state *st, fo_slot *slot);

/*
 * libpq_probe.c: a database tenant's no-op read with plain SQL.  applies:
 * does the slot probe first?  send: its next statement (PQsend* result),
 * -1 when nothing of it is left.  result: one PGresult of it (the guard's
 * rows, or a COPY's end).  copy: a COPY OUT of it started or goes on: read
 * the lines there are (1: the copy ended, read on; 0: more to come, wait
 * for the socket; -1: the connection broke).  clear frees its rows.
 */
bool fanout_probe_applies(fo_state *st, fo_slot *slot);
int	 fanout_probe_send(fo_state *st, fo_slot *slot);
void fanout_probe_result(fo_state *st, fo_slot *slot, PGresult *res);
int	 fanout_probe_copy(fo_slot *slot);
void fanout_probe_clear(fo_slot *slot);

#endif /* LIBPQ_FANOUT_INTERNAL_H */
