/*
 * sqlite_fallback.h -- the SQLite host of a fallback for a PostgreSQL
 * tenant: one libpq connection to the primary, the fallback's own tables
 * (tenancy_fallback_*), the primary's table list, and the entry points of
 * tenant_fallback_pull / _push / _status, tenant_backup / tenant_backups.
 * The decisions (types, order, conflicts, versions) are the core's
 * (shared/tn_fallback.h).
 *
 * Must not: be included by the core, or declare anything another host
 * file needs besides tn_fallback_register.
 */
#ifndef TENANCY_SQLITE_FALLBACK_H
#define TENANCY_SQLITE_FALLBACK_H

#include "libpq-fe.h"
#include "sqlite_adapter.h"

/* One column of a primary's table. */
typedef struct tnfb_col
{
	char	  *name;
	char	  *type; /* format_type with typmod */
	tn_fb_kind kind;
	int		   generated; /* stored generated column: pulled, never pushed */
	int		   pkpos;	  /* 1-based position in the primary key, 0 = not */
} tnfb_col;

typedef struct tnfb_table
{
	char		*name;
	int			 ncols;
	tnfb_col	*cols;
	int			 npk;
	const char **pk; /* npk names, pointing into cols */
} tnfb_table;

typedef struct tnfb_tables
{
	size_t		n;
	tnfb_table *t; /* in foreign-key order, parents first */
	int			cyclic;
} tnfb_tables;

void tnfb_tables_free(tnfb_tables *ts);

/*
 * Connect to a primary: the conninfo must parse and must not carry a
 * password (refused, never echoed; passfile/service/PGPASSFILE work), 5 s
 * connect_timeout unless given, then tn_fb_session_sql.  TN_ERR_UNREACHABLE
 * when the server cannot be reached.
 */
int tnfb_connect(const char *conninfo, PGconn **out, tn_error *err);

/* Fill err from a failed result or the connection (TN_ERR_ENGINE/UNREACHABLE). */
int tnfb_pq_error(PGconn *pg, const PGresult *res, const char *what, tn_error *err);

/* Run one statement with text parameters; *res (may be NULL) keeps the result. */
int tnfb_pq_exec(PGconn *pg, const char *sql, int nparams,
				 const char *const *values, PGresult **res,
				 const char *what, tn_error *err);

/*
 * The application tables of the primary's current schema (not
 * tenancy_*), with columns, primary keys and foreign-key order.  only: a
 * comma-separated list of names or NULL for all; a name not found is
 * TN_ERR_NOT_FOUND.
 */
int tnfb_read_tables(PGconn *pg, const char *only, tnfb_tables *out,
					 tn_error *err);

/* The same description as recorded at the last pull (tenancy_fallback_tables). */
int tnfb_load_tables(sqlite3 *db, tnfb_tables *out, tn_error *err);

/* Create the fallback's own tables if missing. */
int tnfb_ensure_local(sqlite3 *db, tn_error *err);

/* Run sql on db (sqlite3_exec) mapping errors; what names the step in the message. */
int tnfb_sqlite_exec(sqlite3 *db, const char *sql, tn_error *err);

/* One integer / text of a one-row query (no parameters); dflt when no row. */
long long tnfb_sqlite_int(sqlite3 *db, const char *sql, long long dflt);

/* Our own transaction on the caller's connection: BEGIN IMMEDIATE or a savepoint. */
int	 tnfb_begin(sqlite3 *db, int *savepoint, tn_error *err);
int	 tnfb_commit(sqlite3 *db, int savepoint, tn_error *err);
void tnfb_rollback(sqlite3 *db, int savepoint);

/*
 * Where the primary keeps its applied versions: "tenancy_applied" (a
 * schema tenant's, found through its search_path), "tenancy.applied" (the
 * extension's), or NULL: the primary has no tenancy.
 */
int tnfb_primary_applied(PGconn *pg, const char **rel, tn_error *err);

/* ---- SQL pieces (sqlite_fallback_sql.c) ---- */

/* "out of memory" into err; returns its code. */
int tnfb_oom(tn_error *err);

/* malloc'd copy of s, NULL for NULL (or out of memory). */
char *tnfb_strdup(const char *s);

/* Append "c1", "c2", ...: the columns a push sends (every one but the generated). */
int tnfb_sent_cols(const tnfb_table *t, tn_buf *out);

/* Append alias."col" (alias NULL: "col"). */
int tnfb_qcol(tn_buf *b, const char *alias, const char *col);

/* Append a."k1" = b."k1" AND ... over the primary key. */
int tnfb_pk_match(const tnfb_table *t, const char *a, const char *b, tn_buf *out);

/* Append INSERT INTO "t" ("c1", ...) VALUES (?1, ...): every column, in order. */
int tnfb_insert_sql(const tnfb_table *t, tn_buf *out);

/*
 * (Re)make t's capture triggers and its shadow table (emptied, columns it
 * lacks added; keyed otherwise than t: set aside as
 * tenancy_fb_retired_<t>_<n> and made again); a table without a primary
 * key gets triggers keyed by rowid.
 */
int tnfb_make_capture(sqlite3 *db, const tnfb_table *t, tn_error *err);

/* The pull expression of each column of alias, comma-separated. */
int tnfb_pull_exprs(const tnfb_table *t, const char *alias, tn_buf *out);

/* SELECT true, <pull expression of each column> FROM "t" AS tenancy_t */
int tnfb_pull_select(const tnfb_table *t, tn_buf *out);

/* tn_fb_row_hash of ncols cells of a result row from column first. */
void tnfb_result_hash(const PGresult *r, int row, int first, int ncols,
					  char out[TN_FB_HASH_LEN]);

/* Bind a pulled cell (text of the pull expression) as the column's SQLite value. */
int tnfb_bind_pulled(sqlite3_stmt *st, int idx, const tnfb_col *c,
					 const char *v, int isnull, tn_error *err);

/* The work of each function, callable for one tenant file by the *_all functions. */
int tnfb_pull(sqlite3 *db, const char *primary, const char *only, tn_rows *out, tn_error *err);
/* tnfb_push: *contacted (may be NULL) is 1 once it connected to the primary (0: nothing was recorded). */
int tnfb_push(sqlite3 *db, const char *primary, const char *policy_text, tn_rows *out, int *contacted,
			  tn_error *err);
int tnfb_status(sqlite3 *db, const char *primary, tn_rows *out, tn_error *err);

/* The entry points. */
int	 tnfb_fill_pull(sqlite3 *db, int nargs, sqlite3_value **args,
					tn_rows *out, tn_error *err);
int	 tnfb_fill_push(sqlite3 *db, int nargs, sqlite3_value **args,
					tn_rows *out, tn_error *err);
int	 tnfb_fill_status(sqlite3 *db, int nargs, sqlite3_value **args,
					  tn_rows *out, tn_error *err);
int	 tnfb_fill_pull_all(sqlite3 *db, int nargs, sqlite3_value **args,
						tn_rows *out, tn_error *err);
int	 tnfb_fill_push_all(sqlite3 *db, int nargs, sqlite3_value **args,
						tn_rows *out, tn_error *err);
int	 tnfb_fill_status_all(sqlite3 *db, int nargs, sqlite3_value **args,
						  tn_rows *out, tn_error *err);
void tnfb_fn_backup(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* tenant_fallback_drop_retired([tenant]) (sqlite_fallback_retired.c) */
void tnfb_fn_drop_retired(sqlite3_context *ctx, int argc, sqlite3_value **argv);
int	 tnfb_fill_backups(sqlite3 *db, int nargs, sqlite3_value **args,
					   tn_rows *out, tn_error *err);

/* Register the fallback functions and table-valued functions. */
int tn_fallback_register(sqlite3 *db, tn_sqlite_conn *conn);

#endif
