/*
 * sqlite_adapter.c -- tn_adapter over one sqlite3 connection.
 *
 * Translation only: run statements, bind $1..$n by name, report the byte
 * offset of a failing statement, map SQLite errors to tn_error values,
 * BEGIN IMMEDIATE / savepoints, and full-copy snapshots through the backup
 * API.  No migration logic lives here: the core decides.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_adapter.h"

SQLITE_EXTENSION_INIT3

#define DEFAULT_BUSY_TIMEOUT_MS TN_SQLITE_DEFAULT_BUSY_MS

/*
 * Tracking tables.  Text-keyed tables are WITHOUT ROWID and history has no
 * AUTOINCREMENT: a migration then dirties fewer pages (no separate primary
 * key index, no sqlite_sequence row), which is most of what tracking costs
 * on top of the migration itself in a DELETE-journal database.
 */
static const char *SCHEMA_SQL =
	"CREATE TABLE IF NOT EXISTS tenancy_catalog("
	"  version TEXT PRIMARY KEY, name TEXT NOT NULL, up_sql TEXT NOT NULL, down_sql TEXT,"
	"  checksum TEXT NOT NULL, flags INTEGER NOT NULL DEFAULT 0, source TEXT,"
	"  added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00','now'))) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS tenancy_applied("
	"  version TEXT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
	"  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00','now')),"
	"  duration_ms INTEGER NOT NULL DEFAULT 0, batch INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS tenancy_history("
	"  id INTEGER PRIMARY KEY,"
	"  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00','now')),"
	"  action TEXT NOT NULL, version TEXT, batch INTEGER, detail TEXT);"
	"CREATE TABLE IF NOT EXISTS tenancy_checkpoints("
	"  name TEXT PRIMARY KEY,"
	"  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00','now')),"
	"  batch INTEGER NOT NULL, version TEXT, kind TEXT NOT NULL, mode TEXT NOT NULL) WITHOUT ROWID;";

int
tn_sqlite_error(sqlite3 *db, int rc, tn_error *err)
{
	int primary = rc & 0xff;

	if (primary == SQLITE_LOCKED && sqlite3_extended_errcode(db) != SQLITE_LOCKED_SHAREDCACHE)
	{
		/*
		 * Not another connection: a statement of this same connection that
		 * has not finished (the caller's SELECT over a table, an open
		 * cursor) holds a table this call must change.  SQLite returns at
		 * once, without the busy handler, and waiting could never help.
		 * Same code (55P03) as a lock held elsewhere: the lock was not
		 * obtained.
		 */
		tn_error_set(err, TN_ERR_BUSY, "database table is locked by an unfinished statement of this connection");
		tn_error_detail(err, "A statement of the same connection that has not finished (a SELECT still returning rows, or an open cursor) uses a table this call must change. SQLite does not wait for its own connection.");
		tn_error_hint(err, "Finish or reset that statement (read all its rows or close the cursor) before the call, or make the call in a statement of its own.");
		return TN_ERR_BUSY;
	}
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
	{
		/* SQLITE_BUSY, or SQLITE_LOCKED_SHAREDCACHE: another connection holds it */
		const char *file = sqlite3_db_filename(db, "main");

		tn_error_set(err, TN_ERR_BUSY, "database is locked by another connection");
		tn_error_detail(err, "Waited for the lock on \"%s\" until the busy timeout ran out.",
						file && *file ? file : ":memory:");
		tn_error_hint(err, "Retry when the other connection is done, or raise PRAGMA busy_timeout.");
		return TN_ERR_BUSY;
	}
	if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
	{
		tn_error_set(err, TN_ERR_UNREACHABLE, "%s", sqlite3_errmsg(db));
		return TN_ERR_UNREACHABLE;
	}
	if (primary == SQLITE_NOMEM)
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	{
		/* storage faults: the core names the class and the hint */
		tn_storage_fault fault = tn_storage_fault_of_errno(sqlite3_system_errno(db));
		const char		*file = sqlite3_db_filename(db, "main");

		if (primary == SQLITE_FULL)
			fault = TN_FAULT_DISK_FULL;
		else if (primary == SQLITE_READONLY)
			fault = TN_FAULT_READ_ONLY;
		else if (primary == SQLITE_IOERR && fault == TN_FAULT_NONE)
			fault = TN_FAULT_IO;
		else if (primary != SQLITE_IOERR && primary != SQLITE_CANTOPEN)
			fault = TN_FAULT_NONE; /* a stale errno from an earlier call */
		if (fault != TN_FAULT_NONE)
			return tn_error_storage(err, fault, sqlite3_errmsg(db), file);
	}
	tn_error_set(err, TN_ERR_ENGINE, "%s", sqlite3_errmsg(db));
	if (err != NULL)
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", tn_sqlite_sqlstate(db, rc));
	return TN_ERR_ENGINE;
}

int
tn_sqlite_exec(sqlite3 *db, const char *sql, tn_error *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	return TN_OK;
}

static int
bind_params(sqlite3_stmt *stmt, int nparams, const tn_value *params)
{
	int i;

	for (i = 0; i < nparams; i++)
	{
		char name[16];
		int	 idx;
		int	 rc = SQLITE_OK;

		snprintf(name, sizeof(name), "$%d", i + 1);
		idx = sqlite3_bind_parameter_index(stmt, name);
		if (idx == 0)
			continue; /* the statement does not use it */
		switch (params[i].type)
		{
			case TN_T_NULL:
				rc = sqlite3_bind_null(stmt, idx);
				break;
			case TN_T_TEXT:
				rc = sqlite3_bind_text(stmt, idx, params[i].text, -1, SQLITE_STATIC);
				break;
			case TN_T_INT8:
			case TN_T_BOOL:
				rc = sqlite3_bind_int64(stmt, idx, params[i].i);
				break;
		}
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* A prepared statement for sql: from the cache when it is on, else fresh. */
static int
stmt_acquire(tn_sqlite_conn *conn, const char *sql, sqlite3_stmt **out, int *from_cache)
{
	int i;
	int rc;

	*from_cache = 0;
	if (conn->cache_on)
		for (i = 0; i < conn->ncached; i++)
			if (strcmp(conn->cached[i].sql, sql) == 0 && !sqlite3_stmt_busy(conn->cached[i].stmt))
			{
				*out = conn->cached[i].stmt;
				*from_cache = 1;
				return SQLITE_OK;
			}
	rc = sqlite3_prepare_v2(conn->db, sql, -1, out, NULL);
	if (rc == SQLITE_OK && *out != NULL && conn->cache_on && conn->ncached < TN_SQLITE_STMT_CACHE)
	{
		char *copy = sqlite3_mprintf("%s", sql);

		if (copy != NULL)
		{
			conn->cached[conn->ncached].sql = copy;
			conn->cached[conn->ncached].stmt = *out;
			conn->ncached++;
			*from_cache = 1;
		}
	}
	return rc;
}

static void
stmt_release(sqlite3_stmt *stmt, int from_cache)
{
	if (from_cache)
	{
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	else
		sqlite3_finalize(stmt);
}

void
tn_sqlite_conn_cache(tn_sqlite_conn *conn)
{
	conn->cache_on = 1;
}

void
tn_sqlite_conn_release(tn_sqlite_conn *conn)
{
	int i;

	for (i = 0; i < conn->ncached; i++)
	{
		sqlite3_finalize(conn->cached[i].stmt);
		sqlite3_free(conn->cached[i].sql);
	}
	conn->ncached = 0;
	conn->cache_on = 0;
}

/* One statement without rows (BEGIN, COMMIT, savepoints) through the cache. */
static int
conn_exec(tn_sqlite_conn *conn, const char *sql, tn_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int			  cached;
	int			  rc;

	if (!conn->cache_on || strchr(sql, ';') != NULL)
		return tn_sqlite_exec(conn->db, sql, err);
	rc = stmt_acquire(conn, sql, &stmt, &cached);
	if (rc != SQLITE_OK)
		return tn_sqlite_error(conn->db, rc, err);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
	{
		int code = tn_sqlite_error(conn->db, rc, err);

		stmt_release(stmt, cached);
		return code;
	}
	stmt_release(stmt, cached);
	return TN_OK;
}

static int
adapter_query(void *ctx, const char *sql, int nparams, const tn_value *params,
			  tn_row_fn fn, void *arg, tn_error *err)
{
	tn_sqlite_conn *conn = ctx;
	sqlite3_stmt   *stmt = NULL;
	const char	   *values[32];
	int				cached = 0;
	int				rc;

	rc = stmt_acquire(conn, sql, &stmt, &cached);
	if (rc != SQLITE_OK)
		return tn_sqlite_error(conn->db, rc, err);
	if ((rc = bind_params(stmt, nparams, params)) != SQLITE_OK)
	{
		int code = tn_sqlite_error(conn->db, rc, err);

		stmt_release(stmt, cached);
		return code;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
	{
		int n = sqlite3_column_count(stmt);
		int i;

		if (fn == NULL)
			continue;
		if (n > 32)
			n = 32;
		for (i = 0; i < n; i++)
			values[i] = (const char *) sqlite3_column_text(stmt, i);
		if (fn(arg, n, values, err) != TN_OK)
		{
			stmt_release(stmt, cached);
			return err->code;
		}
	}
	if (rc != SQLITE_DONE)
	{
		int code = tn_sqlite_error(conn->db, rc, err);

		stmt_release(stmt, cached);
		return code;
	}
	stmt_release(stmt, cached);
	return TN_OK;
}

static int
adapter_exec_script(void *ctx, const char *script, long *failed_offset,
					tn_error *err)
{
	tn_sqlite_conn *conn = ctx;
	const char	   *p = script;

	*failed_offset = -1;
	while (p && *p)
	{
		sqlite3_stmt *stmt = NULL;
		const char	 *tail = NULL;
		int			  rc;

		rc = sqlite3_prepare_v2(conn->db, p, -1, &stmt, &tail);
		if (rc != SQLITE_OK)
		{
			*failed_offset = (long) (p - script);
			return tn_sqlite_error(conn->db, rc, err);
		}
		if (stmt != NULL)
		{
			while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
				;
			if (rc != SQLITE_DONE)
			{
				int code = tn_sqlite_error(conn->db, rc, err);

				*failed_offset = (long) (p - script);
				sqlite3_finalize(stmt);
				return code;
			}
			sqlite3_finalize(stmt);
		}
		if (tail == p)
			break;
		p = tail;
	}
	return TN_OK;
}

int
tn_sqlite_busy_timeout_ms(sqlite3 *db)
{
	sqlite3_stmt *stmt;
	int			  current = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA busy_timeout", -1, &stmt, NULL) == SQLITE_OK)
	{
		if (sqlite3_step(stmt) == SQLITE_ROW)
			current = sqlite3_column_int(stmt, 0);
		sqlite3_finalize(stmt);
	}
	return current > 0 ? current : DEFAULT_BUSY_TIMEOUT_MS;
}

static int
ensure_busy_timeout(sqlite3 *db)
{
	sqlite3_stmt *stmt;
	int			  current = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA busy_timeout", -1, &stmt, NULL) == SQLITE_OK)
	{
		if (sqlite3_step(stmt) == SQLITE_ROW)
			current = sqlite3_column_int(stmt, 0);
		sqlite3_finalize(stmt);
	}
	if (current == 0)
		sqlite3_busy_timeout(db, DEFAULT_BUSY_TIMEOUT_MS);
	return SQLITE_OK;
}

static int
adapter_begin(void *ctx, tn_error *err)
{
	tn_sqlite_conn *conn = ctx;

	conn->depth = 0;
	if (!sqlite3_get_autocommit(conn->db))
	{
		/* inside the caller's transaction: our unit is a savepoint of it */
		conn->unit_is_savepoint = 1;
		return conn_exec(conn, "SAVEPOINT tenancy_unit", err);
	}
	conn->unit_is_savepoint = 0;
	if (!conn->busy_timeout_set)
		ensure_busy_timeout(conn->db);
	return conn_exec(conn, "BEGIN IMMEDIATE", err);
}

static int
adapter_commit(void *ctx, tn_error *err)
{
	tn_sqlite_conn *conn = ctx;

	return conn_exec(conn, conn->unit_is_savepoint ? "RELEASE tenancy_unit" : "COMMIT", err);
}

static int
adapter_rollback(void *ctx, tn_error *err)
{
	tn_sqlite_conn *conn = ctx;

	conn->depth = 0;
	if (conn->unit_is_savepoint)
		return tn_sqlite_exec(conn->db, "ROLLBACK TO tenancy_unit; RELEASE tenancy_unit", err);
	if (sqlite3_get_autocommit(conn->db))
		return TN_OK; /* SQLite already rolled back (e.g. after SQLITE_FULL) */
	return conn_exec(conn, "ROLLBACK", err);
}

static int
savepoint_sql(tn_sqlite_conn *conn, const char *fmt, tn_error *err)
{
	char sql[96];

	snprintf(sql, sizeof(sql), fmt, conn->depth, conn->depth);
	return conn_exec(conn, sql, err);
}

static int
adapter_savepoint(void *ctx, tn_error *err)
{
	tn_sqlite_conn *conn = ctx;

	conn->depth++;
	return savepoint_sql(conn, "SAVEPOINT tenancy_sp_%d", err);
}

static int
adapter_release(void *ctx, tn_error *err)
{
	tn_sqlite_conn *conn = ctx;
	int				rc = savepoint_sql(conn, "RELEASE tenancy_sp_%d", err);

	conn->depth--;
	return rc;
}

static int
adapter_rollback_to(void *ctx, tn_error *err)
{
	tn_sqlite_conn *conn = ctx;
	int				rc = savepoint_sql(conn, "ROLLBACK TO tenancy_sp_%d; RELEASE tenancy_sp_%d", err);

	conn->depth--;
	return rc;
}

static int
adapter_exec_outside(void *ctx, const char *script, long *failed_offset,
					 tn_error *err)
{
	tn_sqlite_conn *conn = ctx;

	if (!sqlite3_get_autocommit(conn->db))
	{
		*failed_offset = -1;
		tn_error_set(err, TN_ERR_NO_TRANSACTION, "cannot run a no-transaction migration inside a transaction");
		tn_error_hint(err, "Call tenant_migrate() outside BEGIN ... COMMIT.");
		return TN_ERR_NO_TRANSACTION;
	}
	return adapter_exec_script(ctx, script, failed_offset, err);
}

/* ---- snapshots: <db file>.snapshots/<checkpoint>.db ---- */

static int
snapshot_path(tn_sqlite_conn *conn, const char *checkpoint, char *path,
			  size_t size, int make_dir, tn_error *err)
{
	const char *file = sqlite3_db_filename(conn->db, "main");
	char		dir[4096];

	if (file == NULL || file[0] == '\0')
	{
		tn_error_set(err, TN_ERR_NOT_SUPPORTED, "snapshot checkpoints need a database file");
		tn_error_detail(err, "This database is in memory or temporary, so there is no place to keep a copy.");
		return TN_ERR_NOT_SUPPORTED;
	}
	snprintf(dir, sizeof(dir), "%s.snapshots", file);
	if (make_dir && mkdir(dir, 0700) != 0 && errno != EEXIST)
	{
		tn_error_set(err, TN_ERR_IO, "could not create snapshot folder \"%s\"", dir);
		tn_error_detail(err, "%s.", strerror(errno));
		return TN_ERR_IO;
	}
	snprintf(path, size, "%s/%s.db", dir, checkpoint);
	return TN_OK;
}

static int
copy_database(sqlite3 *from, const char *from_schema, sqlite3 *to,
			  tn_error *err)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, from_schema);
	int				rc;

	if (b == NULL)
		return tn_sqlite_error(to, sqlite3_errcode(to), err);
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
	{
		tn_error_set(err, TN_ERR_IO, "could not copy the database");
		tn_error_detail(err, "The backup API reported: %s.", sqlite3_errstr(rc));
		return TN_ERR_IO;
	}
	return TN_OK;
}

static int
adapter_snapshot_save(void *ctx, const char *checkpoint, tn_error *err)
{
	tn_sqlite_conn *conn = ctx;
	char			path[4200];
	sqlite3		   *copy = NULL;
	int				rc;

	if ((rc = snapshot_path(conn, checkpoint, path, sizeof(path), 1, err)) != TN_OK)
		return rc;
	if (sqlite3_open_v2(path, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
	{
		tn_error_set(err, TN_ERR_IO, "could not create snapshot \"%s\"", path);
		tn_error_detail(err, "%s.", copy ? sqlite3_errmsg(copy) : "out of memory");
		sqlite3_close(copy);
		return TN_ERR_IO;
	}
	rc = copy_database(conn->db, "main", copy, err);
	sqlite3_close(copy);
	if (rc != TN_OK)
		unlink(path);
	return rc;
}

/*
 * Restore user data and applied rows from the snapshot, but keep the
 * catalog, history and checkpoints as they are now: they are saved into
 * temp tables, the copy is restored, and they are written back.
 */
static int
adapter_snapshot_restore(void *ctx, const char *checkpoint, tn_error *err)
{
	static const char *KEEP =
		"DROP TABLE IF EXISTS temp.tenancy_keep_catalog; DROP TABLE IF EXISTS temp.tenancy_keep_history;"
		"DROP TABLE IF EXISTS temp.tenancy_keep_checkpoints;"
		"CREATE TEMP TABLE tenancy_keep_catalog AS SELECT * FROM main.tenancy_catalog;"
		"CREATE TEMP TABLE tenancy_keep_history AS SELECT * FROM main.tenancy_history;"
		"CREATE TEMP TABLE tenancy_keep_checkpoints AS SELECT * FROM main.tenancy_checkpoints;";
	static const char *PUT_BACK =
		"BEGIN IMMEDIATE;"
		"DELETE FROM main.tenancy_catalog; INSERT INTO main.tenancy_catalog SELECT * FROM temp.tenancy_keep_catalog;"
		"DELETE FROM main.tenancy_history; INSERT INTO main.tenancy_history SELECT * FROM temp.tenancy_keep_history;"
		"DELETE FROM main.tenancy_checkpoints;"
		"INSERT INTO main.tenancy_checkpoints SELECT * FROM temp.tenancy_keep_checkpoints;"
		"COMMIT;"
		"DROP TABLE temp.tenancy_keep_catalog; DROP TABLE temp.tenancy_keep_history;"
		"DROP TABLE temp.tenancy_keep_checkpoints;";
	tn_sqlite_conn *conn = ctx;
	char			path[4200];
	sqlite3		   *copy = NULL;
	struct stat		sb;
	int				rc;

	if ((rc = snapshot_path(conn, checkpoint, path, sizeof(path), 0, err)) != TN_OK)
		return rc;
	if (stat(path, &sb) != 0)
	{
		tn_error_set(err, TN_ERR_IO, "snapshot of checkpoint \"%s\" is missing", checkpoint);
		tn_error_detail(err, "Expected the file \"%s\": %s.", path, strerror(errno));
		return TN_ERR_IO;
	}
	if (!sqlite3_get_autocommit(conn->db))
	{
		tn_error_set(err, TN_ERR_NO_TRANSACTION, "cannot restore a snapshot inside a transaction");
		tn_error_hint(err, "Restore it outside BEGIN ... COMMIT.");
		return TN_ERR_NO_TRANSACTION;
	}
	if ((rc = tn_sqlite_exec(conn->db, KEEP, err)) != TN_OK)
		return rc;
	if (sqlite3_open_v2(path, &copy, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
	{
		tn_error_set(err, TN_ERR_IO, "could not open snapshot \"%s\"", path);
		sqlite3_close(copy);
		return TN_ERR_IO;
	}
	rc = copy_database(copy, "main", conn->db, err);
	sqlite3_close(copy);
	if (rc != TN_OK)
		return rc;
	conn->schema_ready = 0;
	rc = tn_sqlite_exec(conn->db, PUT_BACK, err);
	if (rc != TN_OK && !sqlite3_get_autocommit(conn->db))
		sqlite3_exec(conn->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int
adapter_snapshot_drop(void *ctx, const char *checkpoint, tn_error *err)
{
	tn_sqlite_conn *conn = ctx;
	char			path[4200];
	int				rc;

	if ((rc = snapshot_path(conn, checkpoint, path, sizeof(path), 0, err)) != TN_OK)
		return rc;
	unlink(path);
	return TN_OK;
}

void
tn_sqlite_conn_init(tn_sqlite_conn *conn, sqlite3 *db)
{
	memset(conn, 0, sizeof(*conn));
	conn->db = db;
	conn->adapter.ctx = conn;
	conn->adapter.engine = "sqlite";
	conn->adapter.dialect = TN_DIALECT_SQLITE;
	conn->adapter.table_prefix = TN_SQLITE_TABLE_PREFIX;
	conn->adapter.query = adapter_query;
	conn->adapter.exec_script = adapter_exec_script;
	conn->adapter.begin = adapter_begin;
	conn->adapter.commit = adapter_commit;
	conn->adapter.rollback = adapter_rollback;
	conn->adapter.savepoint = adapter_savepoint;
	conn->adapter.release = adapter_release;
	conn->adapter.rollback_to = adapter_rollback_to;
	conn->adapter.exec_outside_transaction = adapter_exec_outside;
	conn->adapter.snapshot_save = adapter_snapshot_save;
	conn->adapter.snapshot_restore = adapter_snapshot_restore;
	conn->adapter.snapshot_drop = adapter_snapshot_drop;
	conn->adapter.interrupted = NULL;
}

int
tn_sqlite_ensure_schema(tn_sqlite_conn *conn, tn_error *err)
{
	int rc;

	if (conn->schema_ready)
		return TN_OK;
	if (sqlite3_db_readonly(conn->db, "main") == 1)
	{
		conn->schema_ready = 1; /* reads work if the tables exist; writes report the engine error */
		return TN_OK;
	}
	ensure_busy_timeout(conn->db);
	/* the usual case: all four tables are there; a read costs less than the DDL */
	{
		sqlite3_stmt *st;
		int			  present = 0;

		int step = SQLITE_OK;

		if ((step = sqlite3_prepare_v2(conn->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
												 " ('tenancy_catalog', 'tenancy_applied', 'tenancy_history', 'tenancy_checkpoints')",
									   -1, &st, NULL)) == SQLITE_OK)
		{
			if ((step = sqlite3_step(st)) == SQLITE_ROW)
				present = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
		/*
		 * A lock that outlived the busy timeout already used the whole wait:
		 * report it now, not after waiting a second time for the DDL.
		 */
		if ((step & 0xff) == SQLITE_BUSY || (step & 0xff) == SQLITE_LOCKED)
			return tn_sqlite_error(conn->db, step, err);
		if (present == 4)
		{
			conn->schema_ready = 1;
			return TN_OK;
		}
	}
	rc = tn_sqlite_exec(conn->db, SCHEMA_SQL, err);
	if (rc == TN_OK)
		conn->schema_ready = 1;
	return rc;
}

/*
 * The SQLSTATE of the last error raised on this thread.  SQLite has no
 * SQLSTATE of its own; a program that links the extension in (the tenancy
 * command) reads it after a failed statement to report the same code the
 * PostgreSQL host would raise.
 */
static __thread char last_sqlstate[6];

void
tn_sqlite_note_error(const tn_error *err)
{
	const char *state = tn_error_sqlstate(err); /* the core's rule, as the PostgreSQL host raises it */

	memcpy(last_sqlstate, state, 5);
	last_sqlstate[5] = '\0';
}

const char *
tn_sqlite_last_sqlstate(void)
{
	return last_sqlstate;
}

void
tn_sqlite_clear_sqlstate(void)
{
	last_sqlstate[0] = '\0';
}

void
tn_sqlite_raise(sqlite3_context *ctx, const tn_error *err)
{
	char *text = tn_error_render(err);

	tn_sqlite_note_error(err);

	if (text == NULL)
	{
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_error(ctx, text, -1);
	if (err->code == TN_ERR_BUSY)
		sqlite3_result_error_code(ctx, SQLITE_BUSY);
	free(text);
}
