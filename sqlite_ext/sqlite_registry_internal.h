/*
 * sqlite_registry_internal.h -- what the files of the SQLite registry
 * host share: sqlite_registry.c (files, template, create/register/drop,
 * tenants()), sqlite_tenant_set.c (changing the tenant set), sqlite_fanout.c (worker threads, tenant_migrate_all,
 * dry_run_all, verify_all, query_all, run records), sqlite_query.c (the
 * statement of tenant_query_all in one tenant) and sqlite_atomic.c
 * (tenant_migrate_all_atomic and settling interrupted atomic runs).
 * Not a public contract: only these files include it.
 */
#ifndef TENANCY_SQLITE_REGISTRY_INTERNAL_H
#define TENANCY_SQLITE_REGISTRY_INTERNAL_H

#include <pthread.h>

#include "sqlite_adapter.h"

#define DEFAULT_CONCURRENCY 4
#define RUN_FLUSH_EVERY		200

/* fanout_job.recorded[i] */
#define RECORD_NOT_YET 0 /* running, or not started */
#define RECORD_WAITING 1 /* finished; its row waits for record_now's next write or the slice's end */
#define RECORD_DONE	   2 /* its row is in the registry */
#define RECORD_WRITING 3 /* the caller's thread is writing its row (job->lock let go meanwhile) */

/* How tnsq_open_tenant_file opens a file. */
#define OPEN_RW		   0
#define OPEN_CREATE	   1 /* may create it */
#define OPEN_READONLY  2 /* SQLITE_OPEN_READONLY: verify and query never write */
#define OPEN_NO_SCHEMA 4 /* flag: leave the tracking tables for tnsq_tenant_schema_ready */

/* ---- where things are ---- */

typedef struct registry_paths
{
	char file[4096]; /* the registry database */
	char dir[4096];	 /* its folder: tenant paths are relative to it */
	char template_file[4200];
} registry_paths;

/* ---- the fan-out: worker threads over the tenant list ---- */

typedef enum job_mode
{
	JOB_MIGRATE, /* tenant_migrate_all */
	JOB_DRY_RUN, /* tenant_dry_run_all */
	JOB_VERIFY,	 /* tenant_verify_all */
	JOB_QUERY,	 /* tenant_query_all */
	JOB_PREPARE, /* tenant_migrate_all_atomic, first phase */
	JOB_ROLLBACK /* tenant_rollback_all */
} job_mode;

typedef struct fanout_job
{
	job_mode				mode;
	const registry_paths   *rp;
	const tn_migration_set *set;
	const char			   *target;
	const char			   *sql;					 /* JOB_QUERY */
	const char			   *backup_dir;				 /* JOB_PREPARE */
	const char			   *rb_version;				 /* JOB_ROLLBACK: undo it and later (points into set) */
	const char			   *rb_checkpoint;			 /* JOB_ROLLBACK: or roll back to this checkpoint */
	tn_rows					tenants;				 /* name, location, probe_stamp (the registry's) */
	char					set_fp[TN_CHECKSUM_LEN]; /* JOB_MIGRATE: the set's fingerprint (stamps) */
	size_t					next;					 /* next tenant to start */
	size_t					end;					 /* workers start none at or after this */
	long long				max_failures;			 /* JOB_MIGRATE, JOB_ROLLBACK; 0 = no limit */
	long long				failures;
	int						stopped;   /* max_failures reached: nothing new starts */
	int						cancelled; /* the observer's stop flag was set */
	long long				finished;  /* tenants done, for the observer */
	int						busy_ms;   /* each tenant connection's busy timeout: the caller's */
	pthread_mutex_t			lock;
	int						lock_ready; /* lock and progress initialised (tnsq_job_free destroys them) */
	long long				total;		/* a sliced run: every tenant of the run; 0 = tenants.nrows */
	/*
	 * A recorded run (migrate, rollback): tenants' rows are written to
	 * the registry while the run goes on by the caller's thread
	 * (sqlite_fanout_runs.c: at once for a tenant that failed, in batches
	 * every TN_FANOUT_RECORD_EVERY_MS for the rest), if the registry can
	 * be written at once, so another connection's tenant_runs() and
	 * tenancy_run_tenants show the run's progress; recorded[i] is
	 * RECORD_WAITING once tenant i finished and RECORD_DONE once its row
	 * is in the registry.  tnsq_record_results writes the others.  NULL:
	 * not recorded.
	 */
	tn_sqlite_conn *record_conn;
	long long		record_run_id;
	double			record_last_ms; /* when record_now last wrote (tn_monotonic_ms) */
	pthread_t		record_thread;	/* the caller's thread: the only one that may use record_conn
									* while the caller's statement holds its connection's mutex */
	/* per tenant, filled by the workers */
	int				  *rc;
	tn_error		  *errs;
	tn_migrate_result *res;
	long long		  *ms;
	tn_rows			  *rows;	 /* the tenant's output rows */
	char			  *recorded; /* record_conn: its row is in the registry already */
	/*
	 * A recorded run: the workers never use the registry connection (its
	 * mutex may be held by the caller's statement: the CLI, Python), the
	 * caller's thread records the tenants they finish (done[i] 1; 2 once
	 * seen), woken by progress (CLOCK_MONOTONIC) or by the interval.
	 */
	char		   *done;
	pthread_cond_t	progress;
	long long		workers_running;
	tn_sqlite_conn *held;	/* JOB_PREPARE: kept open inside BEGIN EXCLUSIVE */
	char		  **stamps; /* JOB_MIGRATE: the stamp to keep for tenant i (malloc'd; NULL: none) */
} fanout_job;

/* sqlite_registry.c */
int tnsq_registry_ready(tn_sqlite_conn *conn, registry_paths *rp, tn_error *err);
int tnsq_open_tenant_file(const char *path, int how, tn_sqlite_conn *out, tn_error *err);
/* The same, waiting at most busy_ms for a lock (one wait: the schema check does not wait again). */
int tnsq_open_tenant_file_waiting(const char *path, int how, int busy_ms, tn_sqlite_conn *out,
								  tn_error *err);
/*
 * sqlite_probe.c: open tenant i's file (path) for tenant_migrate_all and
 * ask it whether it has anything to do: its generation stamp, and unless
 * that proves it, its tracking rows in one statement.  *current = 1:
 * nothing to do (the core's judgement), job->res[i] has from/to,
 * job->stamps[i] the stamp to keep (or NULL), the file is closed.
 * *current = 0: tenant is open with its tracking tables ready, for
 * tn_migrate.  Errors: the file could not be opened or was busy past the
 * busy timeout (closed).
 */
int tnsq_open_probed(fanout_job *job, size_t i, const char *path, tn_sqlite_conn *tenant, int *current,
					 tn_error *err);
/*
 * sqlite_probe.c: after tenant i was migrated on tenant (committed), its
 * stamp if the file can promise one and it reads as up to date at the
 * version the run reached (job->stamps[i]); never waits for a lock, never
 * fails the tenant.
 */
void tnsq_stamp_after_migrate(fanout_job *job, size_t i, const char *path, tn_sqlite_conn *tenant);
/* After OPEN_NO_SCHEMA: the tracking tables made ready; on failure conn is closed. */
int	 tnsq_tenant_schema_ready(tn_sqlite_conn *conn, const char *path, tn_error *err);
void tnsq_close_tenant(tn_sqlite_conn *conn);
/* sqlite_registry.c: bring the template to its catalog's newest version
 * (in_transaction: our BEGIN is open on it); one optional text argument. */
int			tnsq_template_migrate_in(tn_sqlite_conn *tmpl, int in_transaction, tn_error *err);
int			tnsq_template_migrate(tn_sqlite_conn *tmpl, tn_error *err);
const char *tnsq_arg_text(int argc, sqlite3_value **argv, int i);

/*
 * sqlite_one_tenant.c: tenant_status(tenant) and its kin: the named
 * tenant's file opened read-only, kind read there (out initialised by the
 * caller); errors as the core words them (unknown 42704, unreachable 08006).
 */
/* The named tenant's file, opened (how: OPEN_*); unknown or unreadable: the core's one-tenant error. */
int tnsq_open_named_tenant(sqlite3 *db, const char *name, int how, tn_sqlite_conn *tenant, tn_error *err);
int tnsq_one_tenant_fill(sqlite3 *db, tn_one_tenant_kind kind, const char *name, tn_rows *out, tn_error *err);

/* sqlite_tenant_set.c: tenant_migration_remove(version [, scope]) */
void tnsq_fn_migration_remove(sqlite3_context *ctx, int argc, sqlite3_value **argv);

int tnsq_audit(tn_sqlite_conn *conn, const char *action, const char *tenant,
			   const char *detail, tn_error *err);
int tnsq_load_tenant_set(const registry_paths *rp, tn_migration_set *set, tn_error *err);

/* sqlite_tenant_files.c */

/*
 * May path (resolved: its absolute path, from tn_validate_tenant_path) be
 * the file of tenant name?  Not if it is a symbolic link, one of the
 * registry's own files (registry, template, journals, snapshots, atomic
 * copies: "<registry file>" + '.' or '-'), or the file (or a companion
 * file, or a hard link) of another registered tenant.  TN_OK, or
 * TN_ERR_INVALID_ARGUMENT / TN_ERR_EXISTS / TN_ERR_IO with err filled.
 */
int tnsq_guard_tenant_file(tn_sqlite_conn *conn, const registry_paths *rp,
						   const char *name, const char *path,
						   const char *resolved, tn_error *err);

/*
 * The same question for a file about to become tenant name's (tenant_create,
 * tenant_register), answered from the identities the registry keeps
 * (tenancy_tenants.file_path / file_dev / file_ino, indexed): a few indexed
 * lookups whatever the number of tenants; a row without an identity is
 * compared live as above.  Same errors.
 */
int tnsq_guard_new_tenant_file(tn_sqlite_conn *conn, const registry_paths *rp,
							   const char *name, const char *path,
							   const char *resolved, tn_error *err);

/*
 * The identity to store for a tenant's file: out[0] its resolved path
 * relative to the resolved registry folder, out[1], out[2] device and
 * inode; all three NULL if it cannot be stat()ed (then it is compared
 * live).  out[0] points into resolved.
 */
void tnsq_tenant_file_identity(const registry_paths *rp, const char *resolved, tn_value out[3]);

/*
 * Fill the identity of every row that has none and whose file resolves
 * (a registry from before the columns, upgraded in place).
 */
int tnsq_tenant_files_fill(tn_sqlite_conn *conn, const registry_paths *rp, tn_error *err);

/* sqlite_fanout.c */
int tnsq_parse_concurrency(sqlite3_value *v, long long *out, tn_error *err);
/* max_failures: NULL or 0 = no limit; a negative number or a non-integer is refused (22023) */
int tnsq_parse_max_failures(sqlite3_value *v, long long *out, tn_error *err);
int tnsq_parse_target(sqlite3_value *v, const char **target, tn_error *err);
int tnsq_job_start(fanout_job *job, job_mode mode, tn_sqlite_conn *conn, registry_paths *rp,
				   tn_migration_set *set, const char *target, tn_error *err);
/* Run fn(arg) on up to workers threads, joined before it returns (sqlite_fanout.c). */
void tnsq_run_threads(void *(*fn)(void *), void *arg, long long workers);
void tnsq_run_workers(fanout_job *job, long long concurrency);
/* sqlite_fanout_slots.c: the job's lock and the slots of its n tenants; tnsq_job_free frees both and the tenant list */
int	 tnsq_job_alloc(fanout_job *job, size_t n, tn_error *err);
void tnsq_job_free(fanout_job *job);
/* sqlite_fanout.c: a worker thread's loop (pthread start routine; arg is the job). */
void *tnsq_fanout_worker(void *arg);
/*
 * sqlite_fanout_runs.c: tenant i finished (under job->lock): its row waits
 * to be recorded; on the caller's thread (no worker thread could start) the
 * waiting rows are written if due.
 */
void tnsq_record_now(fanout_job *job, size_t i);
/* sqlite_fanout_runs.c: worker threads whose finished tenants the caller's thread records. */
void tnsq_run_workers_recording(fanout_job *job, long long workers);

/*
 * A run in slices (tenant_migrate_all, tenant_rollback_all) holds one
 * slice's per-tenant state at a time, so memory stays flat whatever the
 * number of tenants (issue 14): tnsq_job_take_all moves the job's tenant
 * list (name, location, probe_stamp) into all (the caller frees it) and frees the
 * per-tenant slots; tnsq_job_slice makes rows [from, to) of all the job's
 * tenants, with fresh slots, next = 0 and end = their count.  The job's
 * counters (failures, stopped, finished) go on across slices.
 */
void tnsq_job_take_all(fanout_job *job, tn_rows *all);
int	 tnsq_job_slice(fanout_job *job, const tn_rows *all, size_t from, size_t to, tn_error *err);
int	 tnsq_start_run(tn_sqlite_conn *conn, const char *target, size_t n, const char *status,
					long long *run_id, tn_error *err);
int	 tnsq_insert_run_tenant(tn_sqlite_conn *conn, long long run_id, const tn_rows *rows,
							size_t r, tn_error *err);
int	 tnsq_update_tenant_cache(tn_sqlite_conn *conn, long long run_id, fanout_job *job,
							  size_t i, const tn_rows *out, size_t r, tn_error *err);
int	 tnsq_finish_run(tn_sqlite_conn *conn, long long run_id, const tn_rows *out, int stopped,
					 const char *status_word, tn_error *err);
int	 tnsq_fill_migrate_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err);
int	 tnsq_fill_dry_run_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err);
int	 tnsq_fill_verify_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err);
int	 tnsq_fill_query_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err);
int	 tnsq_job_subset(fanout_job *job, sqlite3_value *tenants, tn_error *err);
int	 tnsq_copy_rows(tn_rows *out, const tn_rows *from, tn_error *err); /* a tenant's rows into the call's */
int	 tnsq_record_results(tn_sqlite_conn *conn, long long run_id, fanout_job *job, tn_rows *out,
						 size_t from, size_t to, tn_error *err);

/* sqlite_rollback_all.c */
int tnsq_rollback_one(fanout_job *job, size_t i, const char *path);
int tnsq_fill_rollback_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err);
int tnsq_forget_in_tenants(tn_sqlite_conn *conn, const registry_paths *rp, const char *version,
						   tn_error *err);
int tnsq_version_holders(tn_sqlite_conn *conn, const registry_paths *rp, const char *version,
						 tn_rows *holders, tn_error *err);

/* sqlite_run_lock.c: one recorded fan-out per registry at a time (refused at once: 55P03) */
int	 tnsq_run_lock(const registry_paths *rp, const char *function, int *fd, tn_error *err);
void tnsq_run_unlock(int fd);
/* Under the run lock: a run still 'running' lost its caller; it becomes 'aborted'. */
int tnsq_close_abandoned_runs(tn_sqlite_conn *conn, tn_error *err);

/* sqlite_query.c */
int tnsq_query_one(fanout_job *job, size_t i, const char *path);

/* sqlite_atomic.c */
int tnsq_recover_if_idle(tn_sqlite_conn *conn, const registry_paths *rp, tn_error *err);
int tnsq_fill_migrate_all_atomic(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out,
								 tn_error *err);

#endif
