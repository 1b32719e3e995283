/*
 * tn_fleet.h -- one family of the public header tenancy.h: many tenants:
 * registry rules (tn_registry.c), fan-out (tn_fanout.c), tenant_verify_all
 * rows (tn_verify_all.c) and atomic runs (tn_atomic.c).
 *
 * Hosts include tenancy.h, never this file.  The sections keep tenancy.h's
 * order; each family header includes the one before it.
 */
#ifndef TN_FLEET_H
#define TN_FLEET_H

#include "tn_database.h"

/* ------------------------------------------------------------------ */
/* Registry rules (tn_registry.c)                                      */
/* ------------------------------------------------------------------ */

/*
 * A tenant file path given to tenant_create/tenant_register: relative to
 * the registry folder, no ".." component, no NUL, and (resolving symlinks
 * of whatever exists) inside the registry folder.  *resolved receives the
 * absolute path (malloc'd).  must_exist: 1 the file must exist, 0 it must
 * not, -1 either.
 */
int tn_validate_tenant_path(const char *registry_dir, const char *path,
							int must_exist, char **resolved,
							tn_error *err);

/*
 * SQLite's tenant_create makes a file, which no transaction can take back:
 * called inside the caller's transaction (in_transaction != 0) it is
 * refused before anything is made, TN_ERR_NO_TRANSACTION (25001), so a
 * ROLLBACK never leaves a file behind.  TN_OK otherwise.
 */
int tn_registry_check_create_outside(int in_transaction, tn_error *err);

/*
 * tenant_register of a database where the tenancy extension could not be
 * created (not installed on its server, another version only, a schema
 * "tenancy" of someone else's, no right to create it): err holds the
 * server's error; it becomes ours, TN_ERR_NOT_SUPPORTED (0A000) "tenant
 * ... cannot be registered: ...", the server's text in the detail, what to
 * do (version: the extension version needed) in the hint.  Returns the code.
 */
int tn_registry_register_untracked(const char *name, const char *version, tn_error *err);

/*
 * tenant_drop(name, 'delete') whose database its server would not drop (a
 * database tenancy did not create, owned by another role): err holds the
 * server's error; it becomes "database ... of tenant ... cannot be
 * deleted", 42501 for a permission error (else the server's SQLSTATE), the
 * server's text in the detail, and the hint SQLite gives for a file it
 * will not delete ('keep' unregisters it).  Returns the code.
 */
int tn_registry_delete_refused(const char *name, const char *database, tn_error *err);

/*
 * The warning of tenant_migration_add / tenant_migrations_load (function)
 * called with the default scope in a registry that has ntenants tenants:
 * the migrations go into the registry's own catalog, which is seldom what
 * is meant there.  Fills warn (code TN_OK: a warning, not an error) and
 * returns 1 when ntenants > 0; else 0.  An explicit 'database' scope does
 * not warn (the host does not call this then).
 */
int tn_registry_scope_warning(const char *function, long long ntenants,
							  tn_error *warn);

/* The state words of tenants(). */
#define TN_TENANT_UP_TO_DATE  "up_to_date"
#define TN_TENANT_BEHIND	  "behind"
#define TN_TENANT_FAILED	  "failed"
#define TN_TENANT_UNREACHABLE "unreachable"
#define TN_TENANT_PROBLEMS	  "problems"

/*
 * The state tenants() shows for a tenant, from what the registry recorded
 * when it last reached (or tried to reach) the tenant:
 *   last_status  the status word of the tenant's last fan-out or verify row
 *                (tenant_migrate_all, _atomic or tenant_verify_all), NULL
 *                when none was recorded;
 *   last_error   the error (or verify detail) recorded with it, NULL when
 *                that check went well;
 *   pending      versions of the tenant set newer than the tenant's
 *                (tn_set_count_newer).
 * With an error: "unreachable" (the tenant could not be opened or
 * connected to), "problems" (tenant_verify_all found drift, a missing or
 * an out-of-order version) or "failed" (its migration failed).  Without:
 * "behind" when pending > 0, else "up_to_date".  Returns a static word.
 */
const char *tn_tenant_state(const char *last_status, const char *last_error,
							long long pending);

/* ------------------------------------------------------------------ */
/* Fan-out (tn_fanout.c)                                               */
/* ------------------------------------------------------------------ */

/*
 * A second recorded fan-out on a registry that cannot run two at once
 * (SQLite): TN_ERR_BUSY (55P03) "another recorded fan-out is running on
 * this registry"; the detail names function (the refused call).
 */
int tn_error_fanout_busy(tn_error *err, const char *function);

/* Status words of a fan-out row. */
#define TN_FANOUT_APPLIED	  "applied"
#define TN_FANOUT_UP_TO_DATE  "up_to_date"
#define TN_FANOUT_FAILED	  "failed"
#define TN_FANOUT_UNREACHABLE "unreachable"
#define TN_FANOUT_SKIPPED	  "skipped"
/* Status of a tenant whose finished batch was undone by tenant_migrate_all_atomic. */
#define TN_FANOUT_ROLLED_BACK "rolled_back"

/*
 * The steps of one tenant's run up to target (NULL = newest).  Without a
 * no-transaction migration in range this is a single TN_STEP_MIGRATE: one
 * round trip.  Each no-transaction migration N adds, before it, a step
 * that migrates (in one transaction) up to the version just before N (or
 * only syncs the catalog when N is the first), then TN_STEP_NO_TRANSACTION
 * for N (the host runs N's statements outside a transaction and records
 * it).  *steps is calloc'd (free()); step pointers point into set.
 * Unknown target: TN_ERR_NOT_FOUND (tn_set_check_target).
 */
typedef enum tn_step_kind
{
	TN_STEP_SYNC,		   /* bring the set into the catalog only */
	TN_STEP_MIGRATE,	   /* sync + migrate to version (NULL newest) */
	TN_STEP_NO_TRANSACTION /* run migration outside a transaction */
} tn_step_kind;

typedef struct tn_fanout_step
{
	tn_step_kind		kind;
	const char		   *version;
	const tn_migration *migration; /* TN_STEP_NO_TRANSACTION only */
} tn_fanout_step;

int tn_fanout_plan(const tn_migration_set *set, const char *target,
				   tn_fanout_step **steps, size_t *nsteps, tn_error *err);

/* Does the tenant, now at tenant_version ("" or NULL: none), need step? */
int tn_fanout_step_needed(const tn_fanout_step *step,
						  const char		   *tenant_version);

/*
 * One tenant's outcome of a migrate call, as a row of tn_def_migrate_all
 * appended to out.  rc/err: what tn_migrate returned.  Picks the status
 * word: applied / up_to_date / failed / unreachable (TN_ERR_UNREACHABLE or
 * TN_ERR_IO), the sqlstate (tn_fanout_sqlstate) and the error text
 * (tn_error_render).  from_version / to_version: what res holds; a failed
 * tenant whose to_version is unknown reports its from_version there (the
 * batch was rolled back, the tenant stays where it was).  Returns TN_OK or
 * TN_ERR_NO_MEMORY.
 */
/*
 * The sqlstate column of a tenant that did not succeed, the same on both
 * engines: a failed migration (rc TN_ERR_MIGRATION_FAILED) as
 * tn_error_sqlstate decides (TN002; the body's own SQLSTATE is named in
 * the error's detail), else the engine's
 * SQLSTATE when err has one (08006 of a server that went away), else the
 * code's (tn_code_sqlstate).
 */
const char *tn_fanout_sqlstate(int rc, const tn_error *err);

/*
 * The SQLSTATE a host reports for err, decided once for both engines: the
 * code's documented one (tn_code_sqlstate); TN_ERR_ENGINE: the engine's
 * own (err->sqlstate, else XX000); TN_ERR_MIGRATION_FAILED: TN002, with
 * the body's SQLSTATE named in the detail, except a class 57 SQLSTATE
 * (query cancelled, statement timeout, shutdown), which stays.
 */
const char *tn_error_sqlstate(const tn_error *err);

/*
 * The core code of a SQLSTATE another tenancy raised (a tenant's error
 * read over libpq): the code whose documented SQLSTATE it is (TN001 ->
 * TN_ERR_DRIFT, TN002 -> TN_ERR_MIGRATION_FAILED, 22023 ->
 * TN_ERR_INVALID_ARGUMENT, ...), TN_ERR_ENGINE for any other.
 */
tn_code tn_code_of_sqlstate(const char *sqlstate);

int tn_fanout_row(tn_rows *out, const char *tenant, int rc,
				  const tn_migrate_result *res, const tn_error *err,
				  long long duration_ms);

/*
 * The row of a tenant a fan-out never started, appended to out (a table
 * of tn_def_migrate_all): status "skipped", applied 0, and why -- "not
 * started: max_failures reached" when failed_tenant is NULL, else "not
 * started: tenant "x" failed, so no tenant was migrated" (an atomic run
 * stopped by x).  Returns TN_OK or TN_ERR_NO_MEMORY.
 */
int tn_fanout_skipped_row(tn_rows *out, const char *tenant,
						  const char *failed_tenant);

/*
 * A tenant's dry run (tn_migrate with opts.dry_run) as a fan-out outcome:
 * rc is what tn_migrate returned (returned unchanged unless TN_OK).  Sets
 * res->to_version to the newest version the report shows "ok" and
 * res->applied to how many would apply; when the report shows a failure,
 * returns TN_ERR_MIGRATION_FAILED with the message
 * "migration \"V\" would fail: <engine message>" (applied 0), which
 * tn_fanout_row reports as "failed".
 */
int tn_dry_run_outcome(int rc, tn_migrate_result *res, tn_error *err);

/* The NOTICE line of one finished tenant: "[120/1000] acme: applied 3 in 14 ms". */
void tn_fanout_progress(char *buf, size_t size, long long done,
						long long total, const char *tenant,
						const char *status, long long applied,
						long long ms, const char *error);

/* Status word of a whole run: done / failed / stopped (max_failures) / cancelled. */
const char *tn_fanout_run_status(long long failed, long long unreachable,
								 int stopped_early, int cancelled);

/*
 * May a finished tenant's run record row wait to be written with others of
 * its slice (1), or must it be written before the fan-out goes on (0)?
 * "Runs never lie": a row saying something was applied, undone or failed
 * is written at once; a row saying the tenant was only checked
 * (up_to_date, unchanged, nothing applied) may wait, since losing it in a
 * crash loses a check, never claims work that did not happen.
 */
int tn_fanout_record_may_wait(const char *status, int rc, long long applied);

/*
 * The same question where each tenant keeps its own tracking tables in a
 * file the run committed before its row is due (a SQLite tenant file):
 * there a row saying a tenant applied or rolled back may wait too, for at
 * most TN_FANOUT_RECORD_EVERY_MS, to be written with the rows finished
 * meanwhile in one registry transaction.  A crash of the caller can lose
 * such a row, never the fact: the tenant's tracking rows (committed first)
 * say what was applied, the next run reads them and closes the lost run as
 * aborted, tenant_verify_all() refreshes the registry's copy.  A failed,
 * unreachable or skipped row is written at once: its error is only in the
 * registry.
 */
int tn_fanout_record_may_wait_self_tracked(const char *status, int rc, long long applied);

/* How long a row that may wait waits at most before its batch is written (ms). */
#define TN_FANOUT_RECORD_EVERY_MS 500

/* Default concurrency for a server: min(8, max(1, max_connections / 4)). */
int tn_fanout_default_concurrency(int max_connections);

/*
 * 1 when a tenant's error means its server is gone, not that its
 * migration failed: SQLSTATE class 08, or 57P01/57P02/57P03 (shutdown,
 * crash, not yet accepting connections).  The host then reports
 * TN_ERR_UNREACHABLE.
 */
int tn_fanout_sqlstate_unreachable(const char *sqlstate);

/*
 * The row of tenant_query_all for a tenant that could not answer (not
 * reached, or the statement failed there), the same on both engines: a
 * JSON object {"error": "<message>", "sqlstate": "<SQLSTATE>"} appended to
 * out (the engine's SQLSTATE when err has one, else the code's), so an
 * aggregate over the rows can see failures (row->>'error' IS NOT NULL,
 * json_extract(row, '$.error') IS NOT NULL).  TN_OK or TN_ERR_NO_MEMORY.
 */
int tn_query_all_error_json(tn_buf *out, const tn_error *err);

/*
 * What makes tenant_query_all() refuse its statement for the whole call,
 * before any tenant answers: each engine reads the statement with its own
 * parser (SQLite: sqlite3_prepare and sqlite3_stmt_readonly; PostgreSQL:
 * raw_parser) and names the reason; the core words the error.
 */
typedef enum tn_query_refusal
{
	TN_QUERY_EMPTY,		/* no statement at all (blanks, comments, ";") */
	TN_QUERY_SEVERAL,	/* more than one statement */
	TN_QUERY_WRITES,	/* the statement would write */
	TN_QUERY_NOT_QUERY, /* reads, but returns no rows to wrap (PostgreSQL SHOW, EXPLAIN) */
	TN_QUERY_ATTACH		/* SQLite ATTACH / DETACH */
} tn_query_refusal;

/*
 * Fill err with tenant_query_all's refusal for why (TN_ERR_INVALID_ARGUMENT,
 * the same message, detail and hint on both engines); returns the code.
 */
int tn_query_all_refuse(tn_error *err, tn_query_refusal why);

/*
 * Transient errors: a serialization failure (40001), a deadlock (40P01), a
 * lock timeout (55P03) or "tuple concurrently updated" (XX000, two
 * sessions changing one catalog row: ALTER ROLE, GRANT ... ON DATABASE).
 * The batch was rolled back cleanly, so the same call can simply run
 * again.  tn_error_transient: 1 when err (the engine's error, or a failed
 * migration that kept the engine's SQLSTATE) is one.  A failed migration
 * with a transient cause gets TN_TRANSIENT_HINT instead of "Fix the
 * migration" (tn_migration_failed).
 *
 * tn_retry_delay_ms: after try number attempt (1-based) failed with err,
 * how long to wait before the next try (TN_RETRY_FIRST_DELAY_MS, doubled
 * each time), or 0: do not retry (not transient, or TN_RETRY_ATTEMPTS
 * tries made).  Hosts retry a fan-out tenant's migration with it; a run
 * that still fails says so (tn_error_retried appends "It was tried N
 * times ..." to the detail when attempts > 1).  SQLite's errors carry no
 * SQLSTATE, so there this applies to nothing: a locked SQLite tenant waits
 * for its busy timeout instead.
 */
#define TN_RETRY_ATTEMPTS		4
#define TN_RETRY_FIRST_DELAY_MS 250
#define TN_TRANSIENT_HINT		"The error is transient (a concurrent transaction, a deadlock or a lock timeout) and the batch was rolled back cleanly: run the migration again; nothing needs fixing."
int tn_error_transient(const tn_error *err);
/* The hint of a read of one tenant that failed for a transient cause (tn_one_tenant_error_row). */
#define TN_TRANSIENT_READ_HINT "The error is transient (a concurrent transaction, a deadlock or a lock timeout) and nothing was changed: read the tenant again."
int	 tn_retry_delay_ms(const tn_error *err, int attempt);
void tn_error_retried(tn_error *err, int attempts);

/* 1 for failed / unreachable (counted against max_failures), else 0. */
int tn_fanout_status_counts_as_failure(const char *status);
/* ------------------------------------------------------------------ */
/* Reverting a fleet, subsets, removing a version (tn_rollback_all.c)  */
/* ------------------------------------------------------------------ */

/*
 * tenant_settings(): one row of tn_def_settings per setting tenancy reads
 * (tn_settings_doc.c), current_value NULL (the host fills it in).
 */
int tn_settings_rows(tn_rows *out, tn_error *err);

/* Status of a tenant_rollback_all row whose tenant had nothing to undo. */
#define TN_FANOUT_UNCHANGED "unchanged"

/*
 * tenant_rollback_all's argument: a version of the tenant set (*version
 * points into set: undo it and every later version) or else a checkpoint
 * name (*checkpoint = arg: each tenant's tn_rollback to it).  Text written
 * like a version that the set lacks is TN_ERR_NOT_FOUND (never taken for
 * a checkpoint); NULL is TN_ERR_NULL_ARGUMENT; a bad checkpoint name
 * TN_ERR_INVALID_NAME.
 */
int tn_rollback_all_arg(const tn_migration_set *set, const char *arg,
						const char **version, const char **checkpoint,
						tn_error *err);

/*
 * Undo every applied version >= version, newest first, with downs, in one
 * unit of work.  The down of a version comes from set when set has it (a
 * down added to the tenant set later reaches every tenant), else from the
 * database's own catalog.  A missing down refuses before any change
 * (TN_ERR_MISSING_DOWN, naming them); a failing down undoes everything
 * (TN_ERR_MIGRATION_FAILED).  Marker checkpoints taken at an undone
 * version are forgotten.  res: from_version / to_version (newest applied
 * before / after), applied = versions undone.  set may be NULL.
 */
int tn_rollback_before(const tn_adapter *a, const tn_migration_set *set,
					   const char *version, tn_migrate_result *res,
					   tn_error *err);

/*
 * One tenant of tenant_rollback_all: tn_rollback_before(version) or
 * tn_rollback(checkpoint) (exactly one is non-NULL, tn_rollback_all_arg),
 * with res filled as tn_rollback_before does.
 */
int tn_rollback_all_one(const tn_adapter *a, const tn_migration_set *set,
						const char *version, const char *checkpoint,
						tn_migrate_result *res, tn_error *err);

/*
 * One tenant's row of tenant_rollback_all (tn_def_rollback_all, the
 * columns of tenant_migrate_all): as tn_fanout_row, but success is
 * "rolled_back" (applied = versions undone) or "unchanged" (nothing to
 * undo), and a failed tenant (nothing undone) has NULL versions.
 */
int tn_rollback_all_row(tn_rows *out, const char *tenant, int rc,
						const tn_migrate_result *res, const tn_error *err,
						long long duration_ms);

/* The target column of a tenant_rollback_all run in tenant_runs(): "rollback to before V" / "rollback to checkpoint C". */
void tn_rollback_all_run_target(char *buf, size_t size, const char *version,
								const char *checkpoint);

/*
 * A tenant list given as text (SQLite: 'canary,acme'): names separated by
 * commas, blanks around each ignored, into names (one column; NULL text:
 * no rows).  An empty or over-long name: TN_ERR_INVALID_ARGUMENT.
 */
int tn_tenant_list_parse(const char *text, tn_rows *names, tn_error *err);

/*
 * Which tenants a *_all call runs, in what order: wanted NULL means every
 * tenant of all (column 0: name) in all's order; else exactly the wanted
 * names in the order given (canary first), each a tenant of all, none
 * twice.  order (all->nrows entries) receives indexes into all, *n their
 * count.  Errors: empty list / unknown name (TN_ERR_NOT_FOUND) / a name
 * twice (TN_ERR_DUPLICATE): nothing runs.
 */
int tn_tenant_subset(const tn_rows *all, const tn_rows *wanted, size_t *order,
					 size_t *n, tn_error *err);

/*
 * Take version out of a catalog (a template's, a tenant's, or the
 * PostgreSQL registry's tenant set through its adapter): its catalog row
 * goes and history records "remove".  The caller has made sure it is not
 * applied there (tn_migration_remove_check, tn_rollback_before).
 */
int tn_catalog_forget(const tn_adapter *a, const char *version, tn_error *err);

/*
 * tenant_migration_remove, in each tenant once the core allowed it: the
 * tenant's catalog forgets version when it has it and never applied it
 * (*forgot 1), in a unit of work of its own; else nothing (a tenant-local
 * pending version is never dropped by a sync: the fan-out refuses it).
 */
int tn_catalog_forget_unapplied(const tn_adapter *a, const char *version, int *forgot,
								tn_error *err);

/* Is version applied in this database (its tracking tables)?  *applied 1 / 0; reads only. */
int tn_version_applied(const tn_adapter *a, const char *version, int *applied,
					   tn_error *err);

/*
 * May version leave the tenant set?  holders: the tenants (column 0) that
 * have it applied, asked of each tenant, never of a cache.  Not in the
 * set: TN_ERR_NOT_FOUND; applied somewhere: TN_ERR_INVALID_ARGUMENT
 * naming up to five of them (by name), with the tenant_rollback_all hint.  fleet 0:
 * the set is one database's own catalog (holders: that database), and the
 * words say so.
 */
int tn_migration_remove_check(const tn_migration_set *set, const char *version,
							  const tn_rows *holders, int fleet, tn_error *err);


/* ------------------------------------------------------------------ */
/* tenant_verify_all rows (tn_verify_all.c)                            */
/* ------------------------------------------------------------------ */

/* Status words of a tenant_verify_all row. */
#define TN_VERIFY_OK		  "ok"
#define TN_VERIFY_PROBLEMS	  "problems"
#define TN_VERIFY_UNREACHABLE "unreachable"

/*
 * One row of tn_def_verify_all for one tenant, appended to out (initialised
 * by the caller with tn_def_verify_all.ncols).  Reads only: tn_verify and
 * the tenant's state, nothing is synced or written.
 *   a: the tenant's adapter, or NULL when it could not be reached; the
 *      row is then "unreachable" with reach_err rendered in detail and
 *      version/pending/problems NULL.
 *   set: the registry's tenant set, or NULL.  With a set, pending counts
 *      the set's versions the tenant has not applied, and an applied
 *      version whose checksum differs from the set's (or that the set no
 *      longer has) is a problem too.  Without one, pending and problems
 *      come from the tenant's own catalog.
 * status: ok | problems; detail names the first five problems
 * ("version 3 drifted; version 4 drifted from the tenant set") and counts
 * the rest.
 * Errors (reading the tenant failed, out of memory): nothing appended; the
 * host may then call again with a = NULL and that error.
 */
int tn_verify_all_row(const tn_adapter *a, const char *tenant,
					  const tn_migration_set *set,
					  const tn_error *reach_err, tn_rows *out,
					  tn_error *err);

/*
 * What a fan-out may read in a tenant itself, with plain SQL and no
 * tenancy function called there (issue 14): two PostgreSQL COPY ... TO
 * STDOUT statements for table_prefix ("tenancy."), with no operator or
 * function in them (so any search_path reads them alike), malloc'd
 * (free()), NULL when out of memory.  The first copies the catalog
 * (TN_CATALOG_NCOLS columns: version, name, checksum, down_sql, flags),
 * the second the applied rows (TN_APPLIED_NCOLS: version, name, checksum,
 * applied_at, duration_ms, batch); each line becomes a row of
 * catalog_rows / applied_rows below through tn_rows_add_copy_text.  The
 * host runs them only where it has checked that these tables are its own
 * to read.
 */
#define TN_CATALOG_NCOLS 5
#define TN_APPLIED_NCOLS 6
char *tn_fanout_probe_sql(const char *table_prefix);

/*
 * tn_verify_all_row from the rows of tn_fanout_probe_sql (read by the caller
 * over its own connection) instead of an adapter: the same row, judged
 * the same way.  Malformed rows: TN_ERR_ENGINE, nothing appended.
 */
int tn_verify_all_row_from_rows(const char *tenant, const tn_migration_set *set,
								const tn_rows *catalog_rows, const tn_rows *applied_rows,
								tn_rows *out, tn_error *err);

/*
 * Has a tenant nothing to do for tenant_migrate_all(target) with set?
 * catalog_rows and applied_rows: what tn_fanout_probe_sql's statements
 * returned.  *current
 * = 1 when syncing the set into the tenant's catalog would change nothing
 * (the same versions, names, checksums and downs) and every version is
 * applied as the set has it (nothing pending, drifted, missing or out of
 * order) and target is NULL or the newest applied version; version then
 * gets the newest applied version.  Else *current = 0: the tenant takes
 * the full path (migrate_synced), which decides and reports as before.
 * Errors: malformed rows (TN_ERR_ENGINE), out of memory.
 */
int tn_fanout_state_current(const tn_migration_set *set, const char *target,
							const tn_rows *catalog_rows, const tn_rows *applied_rows,
							int *current, char *version, size_t size, tn_error *err);

/*
 * The same probe as ONE statement (tn_probe_one.c), for an engine whose
 * columns take any type (SQLite; PostgreSQL would refuse the UNION of a
 * text and a timestamp column): TN_PROBE_ONE_NCOLS columns, the first 'c'
 * (a catalog row: the next TN_CATALOG_NCOLS columns, then NULL) or 'a' (an
 * applied row: the next TN_APPLIED_NCOLS).  malloc'd (free()), NULL when
 * out of memory.  The host runs it only where the tables are its own to
 * read, as the two-statement probe.
 */
#define TN_PROBE_ONE_NCOLS 7
char *tn_fanout_probe_one_sql(const char *table_prefix);

/*
 * tn_fanout_state_current judged from the rows of tn_fanout_probe_one_sql
 * (same outputs).  Errors: rows not of that shape (TN_ERR_ENGINE), out of
 * memory; *current is then 0.
 */
int tn_fanout_state_current_one(const tn_migration_set *set, const char *target, const tn_rows *rows,
								int *current, char *version, size_t size, tn_error *err);

/*
 * Generation stamps (tn_probe_one.c).  The fingerprint of a tenant set:
 * "sha256:..." of every version, name, checksum, down body and flags (what
 * a tenant's catalog is compared with), into out.  Errors: out of memory.
 */
int tn_set_fingerprint(const tn_migration_set *set, char out[TN_CHECKSUM_LEN], tn_error *err);

/*
 * The stamp a registry keeps for a tenant found up to date at version
 * (NULL or "": none applied) with the set of fingerprint set_fp, the file
 * being as facts says.  facts: the host's description of the tenant's
 * storage, which must change whenever anything in it changes (every
 * migrate, rollback or change by its owner); NULL or "" when the host
 * cannot promise that, and then no stamp is made.  Returns 1 with the
 * stamp in buf, or 0 and "" (no facts, a '|' in them, buf too small).
 */
#define TN_STAMP_MAX 512
int tn_fanout_stamp_make(char *buf, size_t size, const char *set_fp, const char *facts, const char *version);

/*
 * Does the kept stamp (stored; NULL: none) prove that the tenant has
 * nothing to do for tenant_migrate_all(target) with the set of
 * fingerprint set_fp, its storage now being as facts says?  1 when the
 * set and the facts are those of the stamp and target is NULL or the
 * version it was found at (copied into version), else 0: the tenant's
 * tracking rows must be read.
 */
int tn_fanout_stamp_current(const char *stored, const char *set_fp, const char *facts, const char *target,
							char *version, size_t size);

/* ------------------------------------------------------------------ */
/* Atomic runs: tenant_migrate_all_atomic (tn_atomic.c)                */
/* ------------------------------------------------------------------ */

/*
 * The prepared-transaction id of a tenant in an atomic run:
 * "tenancy_<run_id>_<tenant>" (tenant names are validated, so it is a
 * plain literal).  Returns TN_OK or TN_ERR_TOO_LARGE.
 */
#define TN_GID_MAX 200
int tn_atomic_gid(char *buf, size_t size, long long run_id, const char *tenant);

/* The run id of a tenancy gid, or 0 when gid is not one of ours. */
long long tn_atomic_gid_run(const char *gid);

/*
 * Run states of the durable decision record (tenancy.runs.status):
 * preparing -> committing -> done, or preparing -> aborting -> rolled_back.
 * What to do with a prepared transaction of a run whose caller is gone:
 * 1 = COMMIT PREPARED (the record says committing or done), 0 = ROLLBACK
 * PREPARED (anything else: the decision to commit was never made).
 */
#define TN_RUN_PREPARING   "preparing"
#define TN_RUN_COMMITTING  "committing"
#define TN_RUN_ABORTING	   "aborting"
#define TN_RUN_ROLLED_BACK "rolled_back"
#define TN_RUN_DONE		   "done"
/* A recorded fan-out in progress, and one whose caller died before it ended. */
#define TN_RUN_RUNNING "running"
#define TN_RUN_ABORTED "aborted"
int tn_atomic_should_commit(const char *run_status);

/*
 * One row of tn_def_migrate_all_atomic.  rc/res/err: the tenant's prepare
 * outcome; committed: whether the run committed.  A tenant that prepared
 * but whose run was rolled back reads "rolled_back" with the failing
 * tenant named (failed_tenant, may be NULL).
 */
int tn_atomic_row(tn_rows *out, const char *tenant, int rc,
				  const tn_migrate_result *res, const tn_error *err,
				  long long duration_ms, int committed,
				  const char *failed_tenant);

/* ---- One named tenant, asked from its registry (tn_one_tenant.c) ---- */

/*
 * tenant_status(tenant), tenant_history(tenant), tenant_checkpoints(tenant)
 * and tenant_verify(tenant): the host opens (SQLite) or connects to
 * (PostgreSQL) the named tenant and reads its own tracking tables.
 */
typedef enum tn_one_tenant_kind
{
	TN_ONE_STATUS,
	TN_ONE_HISTORY,
	TN_ONE_CHECKPOINTS,
	TN_ONE_VERIFY
} tn_one_tenant_kind;

/* 'status', 'history', 'checkpoints', 'verify'; else 22023 (NULL: 22004). */
int tn_one_tenant_kind_parse(const char *word, tn_one_tenant_kind *kind, tn_error *err);
/* The result definition of a kind (the function without its tenant argument). */
const tn_result_def *tn_one_tenant_def(tn_one_tenant_kind kind);
/* Read one kind from a tenant's adapter into out (initialised with its def's ncols). */
int tn_one_tenant_read(const tn_adapter *a, tn_one_tenant_kind kind, tn_rows *out, tn_error *err);
/* A name that is no registered tenant: 42704, nothing read.  Returns the code. */
int tn_one_tenant_unknown(const char *name, tn_error *err);
/*
 * err holds why the tenant could not be opened or read; it becomes the
 * error of the call: 08006 "tenant ... is unreachable" when it could not be
 * reached (reached 0: opening or connecting failed; or the cause is a
 * connection's), else "tenant ... could not be read" with the cause's code
 * and SQLSTATE; the cause's text goes into the detail.  Returns the code.
 */
int tn_one_tenant_failed(const char *name, int reached, tn_error *err);
/*
 * The same from a tenant_query_all error row (PostgreSQL reaches the
 * tenant through it): message NULL = the tenant is unknown; sqlstate class
 * 08 = unreachable; any other SQLSTATE is kept, an internal one (XX) too;
 * a value that is not an SQLSTATE is the caller's, 22023.  Returns the code.
 */
int tn_one_tenant_error_row(const char *name, const char *message, const char *sqlstate, tn_error *err);

#endif /* TN_FLEET_H */
