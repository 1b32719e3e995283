/*
 * tn_database.h -- one family of the public header tenancy.h: one database:
 * the adapter and the tracking tables (implemented by hosts), the catalog
 * (tn_catalog.c), migrate and plan (tn_migrate.c), checkpoints and rollback
 * (tn_checkpoint.c), status / verify / repair / baseline (tn_report.c) and
 * history (tn_history.c).
 *
 * Hosts include tenancy.h, never this file.  The sections keep tenancy.h's
 * order; each family header includes the one before it.
 */
#ifndef TN_DATABASE_H
#define TN_DATABASE_H

#include "tn_migrations.h"

/* ------------------------------------------------------------------ */
/* The adapter: how the core reaches one database (hosts implement it) */
/* ------------------------------------------------------------------ */

typedef enum tn_type
{
	TN_T_NULL,
	TN_T_TEXT,
	TN_T_INT8,
	TN_T_BOOL
} tn_type;

/* A statement parameter ($1..$n in the SQL text on both engines). */
typedef struct tn_value
{
	tn_type		type;
	const char *text; /* TN_T_TEXT */
	long long	i;	  /* TN_T_INT8, TN_T_BOOL (0/1) */
} tn_value;

/*
 * Called once per result row.  values[i] is NULL for SQL NULL; booleans
 * arrive as "t"/"f" (PostgreSQL) or "1"/"0" (SQLite): use tn_text_bool.
 * Pointers are valid only during the call.  Return TN_OK to go on, or an
 * error code (with err filled) to stop the query.
 */
typedef int (*tn_row_fn)(void *arg, int ncols, const char *const *values,
						 tn_error *err);

struct tn_adapter
{
	void	   *ctx;
	const char *engine; /* "sqlite" or "postgres" */
	tn_dialect	dialect;

	/*
	 * Prefix of tracking tables in SQL the core writes: "tenancy_" on SQLite
	 * (main.tenancy_catalog), "tenancy." on PostgreSQL (tenancy.catalog).
	 * The tables are created by the host (extension script / SQLite init).
	 */
	const char *table_prefix;

	/*
	 * Run one statement with parameters $1..$n; call fn for each row (fn may
	 * be NULL).  On engine failure: TN_ERR_ENGINE with the engine's message
	 * and sqlstate; the host's state must be as if the statement never ran
	 * (the PG adapter wraps it in a subtransaction).
	 */
	int (*query)(void *ctx, const char *sql, int nparams,
				 const tn_value *params, tn_row_fn fn, void *arg,
				 tn_error *err);

	/*
	 * Run a migration script (one or more statements, the engine's own
	 * syntax).  On failure returns TN_ERR_ENGINE with the engine's message
	 * and sqlstate, and sets *failed_offset to the byte offset in script
	 * where the failing statement starts (-1 if unknown).  Partial effects
	 * are undone by the caller's rollback_to.
	 */
	int (*exec_script)(void *ctx, const char *script,
					   long *failed_offset, tn_error *err);

	/*
	 * Start the locked unit of work on this database: at most one runner
	 * at a time per database (SQLite: BEGIN IMMEDIATE with busy timeout, or
	 * a SAVEPOINT inside a caller's transaction; PostgreSQL: an advisory
	 * xact lock, then reads that see everything committed before the lock).
	 * Failure to get the lock in time: TN_ERR_BUSY.
	 */
	int (*begin)(void *ctx, tn_error *err);
	int (*commit)(void *ctx, tn_error *err);
	/* Undo everything since begin.  Must not fail silently. */
	int (*rollback)(void *ctx, tn_error *err);

	/* Strictly nested savepoints inside begin..commit. */
	int (*savepoint)(void *ctx, tn_error *err);
	int (*release)(void *ctx, tn_error *err);
	int (*rollback_to)(void *ctx, tn_error *err); /* and release */

	/*
	 * Run a body that cannot run in a transaction (no begin active).  NULL
	 * when the host cannot do it (PG inside a function): the core then
	 * refuses with TN_ERR_NO_TRANSACTION.
	 */
	int (*exec_outside_transaction)(void *ctx, const char *script,
									long	 *failed_offset,
									tn_error *err);

	/*
	 * Full-copy snapshots for checkpoints (SQLite backup API).  NULL when
	 * the engine has none: the core reports TN_ERR_NOT_SUPPORTED.
	 * restore must keep the tracking tables catalog, history and
	 * checkpoints as they are now (only user data and applied rows go back).
	 */
	int (*snapshot_save)(void *ctx, const char *checkpoint,
						 tn_error *err);
	int (*snapshot_restore)(void *ctx, const char *checkpoint,
							tn_error *err);
	int (*snapshot_drop)(void *ctx, const char *checkpoint,
						 tn_error *err);

	/* Nonzero when the host wants the core to stop (PG: cancel). May be NULL. */
	int (*interrupted)(void *ctx);
};

/* ------------------------------------------------------------------ */
/* Tracking tables (created by the host, read and written by the core) */
/* ------------------------------------------------------------------ */
/*
 * SQLite: main.tenancy_<t>; PostgreSQL: tenancy.<t> (extension schema,
 * registered with pg_extension_config_dump).  Types: "ts" is timestamptz
 * on PostgreSQL, ISO text on SQLite; "int8" is bigint / INTEGER.
 * Timestamps are filled by column defaults (PG clock_timestamp(), SQLite
 * strftime('%Y-%m-%d %H:%M:%f+00','now')); the core never passes times.
 *
 * catalog(version text PRIMARY KEY, name text NOT NULL, up_sql text NOT NULL,
 *         down_sql text, checksum text NOT NULL, flags int8 NOT NULL DEFAULT 0,
 *         source text, added_at ts NOT NULL DEFAULT now)
 * applied(version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
 *         applied_at ts NOT NULL DEFAULT now, duration_ms int8 NOT NULL DEFAULT 0,
 *         batch int8 NOT NULL)
 * history(id int8 PRIMARY KEY autoincrement/identity, at ts NOT NULL DEFAULT now,
 *         action text NOT NULL, version text, batch int8, detail text)
 * checkpoints(name text PRIMARY KEY, created_at ts NOT NULL DEFAULT now,
 *         batch int8 NOT NULL, version text, kind text NOT NULL, mode text NOT NULL)
 *
 * history.action is one of: add, apply, fail, rollback, restore,
 * checkpoint, repair, baseline, dry_run, remove.
 * checkpoints.batch is the highest applied batch when it was taken: a
 * rollback undoes applied rows with a larger batch.  kind: automatic |
 * manual; mode: marker | snapshot.
 */

#define TN_SQLITE_TABLE_PREFIX	 "tenancy_"
#define TN_POSTGRES_TABLE_PREFIX "tenancy."

/*
 * Every single-database function below (one call per SQL function): on
 * error returns the code with err filled and the database unchanged (the
 * core rolls back what it began).
 */

/* ------------------------------------------------------------------ */
/* Catalog (tn_catalog.c)                                              */
/* ------------------------------------------------------------------ */

/*
 * tenant_migration_add: add one migration to the catalog.  Identical
 * re-add: no-op, *added = 0.  Same version with another body: if applied,
 * TN_ERR_DRIFT (detail names both checksums); if not applied, replaced.
 */
int tn_catalog_add(const tn_adapter *a, const tn_migration *m,
				   int *added, tn_error *err);

/* tenant_migrations_load: tn_load_folder + tn_catalog_add for each, in one unit of work. */
int tn_catalog_load_folder(const tn_adapter *a, const char *path,
						   long long *count, tn_error *err);

/* tenant_migrations_load_files: tn_load_files + tn_catalog_add for each, in one unit of work. */
int tn_catalog_load_files(const tn_adapter *a, size_t n,
						  const char *const *names,
						  const char *const *bodies, const size_t *lens,
						  long long *count, tn_error *err);

/*
 * The files a client sent to tenant_migrations_load_files, as one value a
 * host hands through its own callbacks (the 'tenants' scope changes the
 * set in a unit of work of its own): n names, their bodies and the bodies'
 * byte lengths, all the caller's.  tn_catalog_load_sent is
 * tn_catalog_load_files on them.
 */
typedef struct tn_sent_files
{
	size_t			   n;
	const char *const *names;
	const char *const *bodies;
	const size_t	  *lens;
} tn_sent_files;

int tn_catalog_load_sent(const tn_adapter *a, const tn_sent_files *files, long long *count, tn_error *err);
/*
 * The same for a registry's tenant set (scope 'tenants'), where a version
 * that failed somewhere can be fixed forward: a new body for a version
 * that is applied is accepted (not TN_ERR_DRIFT); the applied row takes
 * the new checksum and history records "repair" "old -> new".  Tenants get
 * it when the set is synced into them (tn_migrate's opts.sync): one that
 * applied the old body is recorded as repaired the same way, one that did
 * not applies the new body.
 */
int tn_catalog_add_to_set(const tn_adapter *a, const tn_migration *m,
						  int *added, tn_error *err);
int tn_catalog_load_folder_to_set(const tn_adapter *a, const char *path,
								  long long *count, tn_error *err);

/* ------------------------------------------------------------------ */
/* Migrate and plan (tn_migrate.c)                                     */
/* ------------------------------------------------------------------ */

typedef struct tn_migrate_opts
{
	const char *target; /* NULL = newest */
	int			allow_out_of_order;
	int			dry_run; /* apply, report, roll back */

	/*
	 * Fan-out: the tenant set to bring into this database's catalog first,
	 * in the same unit of work (rows that differ are written; a changed
	 * body of an applied version then shows up as drift).  NULL = none.
	 */
	const tn_migration_set *sync;

	/*
	 * The caller's connection is itself running a statement (SQLite's
	 * SELECT tenant_migrate()): no-transaction bodies are checked with
	 * tn_check_runs_in_call before anything of the batch runs.  With
	 * TN_IN_STATEMENT_AND_TRANSACTION (the caller's BEGIN is open) every
	 * no-transaction body is refused up front (25001).
	 */
	int in_statement;

	/*
	 * Apply at most this many of the selected migrations (0 = all): the rest
	 * stay pending for the next call.  A long batch applied in chunks this
	 * way is one batch (and one automatic checkpoint) per chunk, each its own
	 * transaction in the host (tenant_migrate_in_batches).
	 */
	long long max_migrations;
} tn_migrate_opts;

#define TN_IN_STATEMENT					1
#define TN_IN_STATEMENT_AND_TRANSACTION 2

typedef struct tn_migrate_result
{
	long long applied;								/* number applied (0 when up to date) */
	long long batch;								/* batch id, 0 when nothing ran */
	char	  from_version[TN_MAX_VERSION_LEN + 1]; /* "" when none */
	char	  to_version[TN_MAX_VERSION_LEN + 1];
	char	  checkpoint[128]; /* automatic checkpoint name, "" if none */
	tn_rows	  report;		   /* dry run: rows of tn_def_dry_run */
} tn_migrate_result;

void tn_migrate_result_free(tn_migrate_result *r);

/*
 * tenant_migrate / tenant_dry_run.  Under the lock: verify checksums
 * (drift stops everything), refuse out-of-order unless allowed, record the
 * automatic checkpoint pre_migration_<UTC timestamp>, apply each pending
 * version up to target (in its own savepoint on PostgreSQL and in a dry
 * run; on SQLite a real run's migrations share the batch's), record it.  Any failure:
 * roll back the whole batch, record the failure in history, return
 * TN_ERR_MIGRATION_FAILED naming version, statement position and the
 * engine's message (sqlstate = engine's).  *res is always initialised
 * (free it with tn_migrate_result_free, also after an error).
 */
int tn_migrate(const tn_adapter *a, const tn_migrate_opts *opts,
			   tn_migrate_result *res, tn_error *err);

/*
 * Statements an engine cannot run from inside a function call (tn_in_call.c).
 * SQLite refuses VACUUM (any form, VACUUM INTO too) while another statement
 * of the connection is in progress, and SELECT tenant_migrate() is one; the
 * other no-transaction statements (PRAGMA journal_mode, ATTACH, ...) run.
 * Returns TN_OK when every statement of body can run; otherwise
 * TN_ERR_NO_TRANSACTION naming the migration, the statement and its line,
 * with a hint.  PostgreSQL: always TN_OK (its tenant_migrate() refuses every
 * no-transaction migration before this is asked).
 */
int tn_check_runs_in_call(tn_dialect dialect, const char *version,
						  const char *name, const char *body,
						  tn_error *err);

/* tenant_plan: rows of tn_def_plan for what tenant_migrate(target) would run. */
int tn_plan(const tn_adapter *a, const char *target, tn_rows *out,
			tn_error *err);

/* ------------------------------------------------------------------ */
/* Checkpoints and rollback (tn_checkpoint.c)                          */
/* ------------------------------------------------------------------ */

/*
 * tenant_checkpoint: record a named checkpoint (name NULL: generated
 * "checkpoint_<UTC timestamp>").  snapshot: also keep a full copy.
 * name_out receives the name used.
 */
int tn_checkpoint(const tn_adapter *a, const char *name, int snapshot,
				  char *name_out, size_t name_out_size, tn_error *err);

/* tenant_checkpoints: rows of tn_def_checkpoints. */
int tn_checkpoints(const tn_adapter *a, tn_rows *out, tn_error *err);

/*
 * tenant_rollback: undo every version applied after the checkpoint (NULL:
 * the newest automatic one) by running downs newest first in one unit of
 * work.  Missing downs: refuse before any change, listing them, unless the
 * checkpoint has a snapshot, which is then restored.
 */
int tn_rollback(const tn_adapter *a, const char *checkpoint,
				long long *count, tn_error *err);

/*
 * tenant_restore: restore the copy a 'snapshot' checkpoint kept (user data
 * and applied rows; catalog, history and checkpoints up to it are kept),
 * downs or not.  A marker checkpoint is refused (22023) before any change.
 */
int tn_restore(const tn_adapter *a, const char *checkpoint, long long *count, tn_error *err);

/* ------------------------------------------------------------------ */
/* Status, verify, repair, baseline (tn_report.c)                      */
/* ------------------------------------------------------------------ */

/* tenant_status: rows of tn_def_status, every version, ordered by version. */
int tn_status(const tn_adapter *a, tn_rows *out, tn_error *err);

/* tenant_verify: rows of tn_def_verify, only problems. */
int tn_verify(const tn_adapter *a, tn_rows *out, tn_error *err);

/* tenant_repair: accept the catalog checksum of a drifted version. */
int tn_repair(const tn_adapter *a, const char *version, tn_error *err);

/* tenant_baseline: mark every catalog version <= version applied. */
int tn_baseline(const tn_adapter *a, const char *version,
				long long *count, tn_error *err);

/*
 * The newest applied version of the database into out ("" when none is
 * applied).  Reads only.
 */
int tn_newest_applied(const tn_adapter *a, char *out, size_t size,
					  tn_error *err);

/*
 * The repeatables (R__) applied in the database, as a registry records them
 * for the tenant (tn_set_repeatables_record's form: "<version> <checksum>"
 * lines, the checksum applied).  Reads only; *out caller-owned (tn_buf_free).
 */
int tn_applied_repeatables(const tn_adapter *a, tn_buf *out, tn_error *err);

/* ------------------------------------------------------------------ */
/* History (tn_history.c)                                              */
/* ------------------------------------------------------------------ */

/* tenant_history: rows of tn_def_history, oldest first. */
int tn_history(const tn_adapter *a, tn_rows *out, tn_error *err);

#endif /* TN_DATABASE_H */
