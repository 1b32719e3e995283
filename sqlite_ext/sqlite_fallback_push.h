/*
 * sqlite_fallback_push.h -- what the push (sqlite_fallback_push.c) and its
 * statements (sqlite_fallback_apply.c) share: the recorded keys of one
 * table and the calls that read, check, write and record them.
 *
 * Must not: be included outside the fallback's push files.
 */
#ifndef TENANCY_SQLITE_FALLBACK_PUSH_H
#define TENANCY_SQLITE_FALLBACK_PUSH_H

#include "sqlite_fallback.h"

/* One recorded key of one table. */
typedef struct push_item
{
	char	   *key;		  /* json_array(<key>) as the triggers wrote it */
	char	   *elem;		  /* {"k": key, "r": {...}} for the primary */
	char	   *synced_hash;  /* the primary's row at the sync, hashed (from a kept row: by the check) */
	int			synced;		  /* the primary had the row at the sync (a hash or a kept row) */
	char	   *primary_hash; /* the primary's row now, NULL: none */
	tn_fb_op	op;			  /* net change */
	tn_fb_op	action;		  /* what runs on the primary */
	int			refresh;	  /* primary_wins: take the primary's row */
	const char *outcome;
} push_item;

typedef struct push_table
{
	tnfb_table *t;
	size_t		n;
	push_item  *items;
	int			copy;	   /* rows new since the sync go by COPY (no JSON for them) */
	tn_buf		copy_data; /* their COPY text */
	size_t		ncopy;	   /* lines in copy_data */
	PGconn	   *stream;	   /* a COPY is open there: copy_data is sent as it fills */
	int			sent;	   /* that COPY went through: the new rows are on the primary */
	int			mixed;	   /* streaming stopped at a change other than an insert */
} push_table;

void tnfb_push_free_tables(push_table *pt, size_t n);

/* Free the items (and COPY text) of one table, leaving it empty. */
void tnfb_push_free_items(push_table *pt);

/*
 * The keys recorded for pt->t with change id <= upto, net change and row
 * JSON each (sqlite_fallback_items.c).  copy: a row new since the sync
 * goes into pt->copy_data as COPY text instead (its item has no elem).
 */
int tnfb_push_read_items(sqlite3 *db, push_table *pt, long long upto, int copy, tn_error *err);

/*
 * COPY pt->copy_data into the primary's table in a savepoint.  A key there
 * already (unique violation): rolled back to the savepoint, *conflict = 1,
 * TN_OK; the caller reads the items again without copy and checks them.
 */
int tnfb_push_copy_inserts(PGconn *pg, push_table *pt, int *conflict, tn_error *err);

/*
 * The same in two steps around tnfb_push_read_items: begin opens the
 * savepoint and the COPY; with pt->stream = pg the reading sends each
 * 64 kB of rows as it goes; end sends the rest and finishes as above.
 * A read that met a change other than an insert stops (pt->mixed): end
 * then cancels the COPY, rolls back to the savepoint and sets *conflict;
 * the caller reads the table again without streaming.
 */
int tnfb_push_copy_begin(PGconn *pg, push_table *pt, tn_error *err);
int tnfb_push_copy_end(PGconn *pg, push_table *pt, int *conflict, tn_error *err);

/*
 * The primary's row of each item in [from, to), hashed as a pull would
 * (NULL: no row); lock: first lock the rows the primary had at the sync.
 */
int tnfb_push_primary_hashes(PGconn *pg, push_table *pt, size_t from, size_t to,
							 int lock, tn_error *err);

/* Run action on the primary for the items in [from, to) that have it. */
int tnfb_push_apply_batch(PGconn *pg, push_table *pt, size_t from, size_t to,
						  tn_fb_op action, tn_error *err);

/* Move serial / identity sequences of t past the largest key (never back). */
int tnfb_push_move_sequences(PGconn *pg, const tnfb_table *t, tn_error *err);

/*
 * After the primary committed (sqlite_fallback_synced.c): forget the kept
 * rows and hashes of the keys pushed (changes <= upto), keep the row as
 * pushed of a pushed key changed again (changes in (upto, last]), and
 * with read_back record each item's primary_hash (read after the push).
 */
int tnfb_push_store_synced(sqlite3 *db, const push_table *pt, long long upto, long long last,
						   int read_back, tn_error *err);

/*
 * Does the primary write t's rows otherwise than sent (a trigger or rule
 * of its own, on it or a partition, or a generated column)?  Then a push
 * reads its rows back.
 */
int tnfb_push_needs_read_back(PGconn *pg, const tnfb_table *t, int *needs, tn_error *err);

/* primary_wins: replace the fallback's rows marked refresh by the primary's. */
int tnfb_push_refresh_rows(sqlite3 *db, PGconn *pg, push_table *pt, tn_error *err);

#endif
