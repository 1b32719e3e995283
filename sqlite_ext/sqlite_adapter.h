/*
 * sqlite_adapter.h -- the tn_adapter for one sqlite3 connection, the
 * tracking-table schema for SQLite, and the one place that raises a
 * tn_error as an SQLite function error.
 */
#ifndef TENANCY_SQLITE_ADAPTER_H
#define TENANCY_SQLITE_ADAPTER_H

#include "sqlite3ext.h"
#include "tenancy.h"

#define TN_SQLITE_STMT_CACHE 48

typedef struct tn_sqlite_cached_stmt
{
	char		 *sql; /* sqlite3_malloc'd copy */
	sqlite3_stmt *stmt;
} tn_sqlite_cached_stmt;

typedef struct tn_sqlite_conn
{
	sqlite3				 *db;
	int					  owns_db;			 /* close db on free (tenant files we opened) */
	int					  unit_is_savepoint; /* begin ran inside a caller's transaction */
	int					  depth;			 /* savepoint nesting */
	int					  schema_ready;
	int					  busy_timeout_set; /* the opener set one: no need to ask */
	int					  cache_on;			/* keep prepared statements (tn_sqlite_conn_cache) */
	int					  ncached;
	tn_sqlite_cached_stmt cached[TN_SQLITE_STMT_CACHE];
	tn_adapter			  adapter;
} tn_sqlite_conn;

/* Fill conn->adapter for db.  Does not touch the database. */
void tn_sqlite_conn_init(tn_sqlite_conn *conn, sqlite3 *db);

/*
 * Keep the core's prepared statements on this connection until
 * tn_sqlite_conn_release: a tenant migration repeats the same dozen
 * statements, and preparing them each time was most of what tracking cost.
 * Only for connections whose every use ends in tn_sqlite_conn_release
 * before the connection is closed or handed back to SQLite.
 */
void tn_sqlite_conn_cache(tn_sqlite_conn *conn);

/* Finalize the cached statements (always safe to call). */
void tn_sqlite_conn_release(tn_sqlite_conn *conn);

/* Create the tracking tables if they are missing (once per connection). */
int tn_sqlite_ensure_schema(tn_sqlite_conn *conn, tn_error *err);

/* Raise err as the SQL function's error (message + DETAIL/HINT lines). */
void tn_sqlite_raise(sqlite3_context *ctx, const tn_error *err);

/*
 * The SQLSTATE (tn_code_sqlstate, or the engine's for TN_ERR_ENGINE) of the
 * last error tn_sqlite_raise or a table-valued function raised on this
 * thread; "" after tn_sqlite_clear_sqlstate.  For programs that link the
 * extension in: clear, run a statement, read it when the statement failed.
 */
void		tn_sqlite_note_error(const tn_error *err);
const char *tn_sqlite_last_sqlstate(void);
void		tn_sqlite_clear_sqlstate(void);

/* Run a script with sqlite3_exec semantics, mapping the error. */
int tn_sqlite_exec(sqlite3 *db, const char *sql, tn_error *err);

/*
 * Map the connection's current error to a tn_error: SQLITE_BUSY (and a
 * shared-cache SQLITE_LOCKED) -> TN_ERR_BUSY "database is locked by another
 * connection"; SQLITE_LOCKED from an unfinished statement of this same
 * connection -> TN_ERR_BUSY saying so (no wait happened, none would help);
 * a TN_ERR_ENGINE error gets tn_sqlite_sqlstate's SQLSTATE, when it has one.
 */
int tn_sqlite_error(sqlite3 *db, int rc, tn_error *err);

/*
 * The SQLSTATE PostgreSQL gives for the error SQLite reported as rc on db
 * (sqlite_sqlstate.c: extended result code, or the start of an SQLITE_ERROR
 * message); "" when there is none to give.  db may be NULL (rc alone).
 */
const char *tn_sqlite_sqlstate(sqlite3 *db, int rc);

/* The busy timeout when the caller set none (documented: 5 s). */
#define TN_SQLITE_DEFAULT_BUSY_MS 5000

/* db's busy timeout in ms (PRAGMA busy_timeout), TN_SQLITE_DEFAULT_BUSY_MS if it has none. */
int tn_sqlite_busy_timeout_ms(sqlite3 *db);

#endif
