/*
 * registry_internal.h -- what the files of the PostgreSQL tenant registry
 * share (the counterpart of sqlite_ext/sqlite_registry_internal.h):
 *
 *   registry_spi.c          the registry's own statements over SPI: locks,
 *                           audit, tenant rows
 *   registry_set.c          the tenant set (scope 'tenants')
 *   registry_template.c     the template database tenant_create clones
 *   registry_created.c      what tenant_create made, dropped again on abort
 *   registry_tenants.c      tenant_create, tenant_register, tenant_drop
 *   registry_schema.c       schema tenants (kind 'schema')
 *   registry_list.c         tenants() and tenant_runs()
 *   registry_runs.c         a run's record and the tenants it takes
 *   registry_fanout.c       tenant_migrate_all, tenant_dry_run_all,
 *                           tenant_query_all, tenant_verify_all
 *   registry_query_check.c  tenant_query_all's statement refused up front
 *   registry_tenant_side.c  tenancy.migrate_synced / verify_synced, in a tenant
 *   registry_atomic.c       tenant_migrate_all_atomic (two-phase commit)
 *   registry_recover.c      atomic runs whose caller died between phases
 *
 * The registry lives in the control database (tenancy.tenants, runs,
 * run_tenants, audit, and the tenant set in tenancy.set_*).  Names,
 * versions, the set's transport, each tenant's status and the run's
 * status are the core's decisions; these files hold the mechanics.
 *
 * Not a public contract: only the registry_*.c files include it.
 * Must not: store or print a password.
 */
#ifndef REGISTRY_INTERNAL_H
#define REGISTRY_INTERNAL_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "libpq_admin.h"

#include "libpq_conn.h"
#include "libpq_fanout.h"
#include "pg_args.h"
#include "tenancy.h"

/* ---- registry_spi.c: the registry's own statements over SPI ---- */

/* SPI_connect, raising when it fails. */
extern void reg_spi_connect(void);

/*
 * Run sql over SPI with text parameters $1..$nargs (values[i] NULL = SQL
 * NULL; at most 16).  Raises on error; returns the SPI result code.
 */
extern int reg_spi_run(const char *sql, int nargs, const char *const *values);

/*
 * reg_spi_run as the extension's owner, for the registry's own writes
 * (tenancy.tenants, audit, runs): call it only with tenancy's fixed
 * statements, from an entry point whose EXECUTE is the capability check.
 */
extern int reg_spi_write(const char *sql, int nargs, const char *const *values);

/*
 * call(arg) as the extension's owner (SECURITY_RESTRICTED_OPERATION), for
 * the core's writes of the tenant set (tenancy.set_*); returns its result.
 * Only from an entry point whose EXECUTE is the admin capability.
 */
typedef int (*reg_owner_call)(void *arg);
extern int reg_as_extension_owner(reg_owner_call call, void *arg);

/* Column col (1-based) of row of the last result, palloc'd text or NULL. */
extern char *reg_spi_value(uint64 row, int col);

/* Wait for the run lock: one migrating run at a time per control database. */
extern void reg_lock_runs(void);

/* Wait for the set lock: one change of the tenant set at a time. */
extern void reg_lock_set(void);

/* One row of tenancy.audit. */
extern void reg_audit(const char *action, const char *tenant, const char *detail);

/* The installed version of the extension in this database (palloc'd). */
extern char *reg_extension_version(void);

/* The sort key of a version (tn_version_key), palloc'd; NULL if none. */
extern char *reg_version_key(const char *version);

/* Raise 42710 when a tenant of that name is registered (inside SPI). */
extern void reg_refuse_existing(const char *name);

/*
 * Register a tenant (inside SPI): a database tenant, or a schema tenant
 * when schema is not NULL; pending is its count of newer set versions;
 * action names the audit row ("create", "register").
 */
extern void reg_insert_tenant(const char *name, const char *location,
							  const char *dbname, const char *version,
							  long long pending, const char *action,
							  const char *schema);

/* ---- registry_set.c: the tenant set ---- */

/*
 * tenant_migrations_load_files(..., 'tenants'): the files a client sent into
 * the tenant set, the template following (as tenant_migrations_load).
 * Returns how many migrations were added or changed; raises on failure.
 */
extern long long reg_set_load_files(size_t n, const char *const *names,
									const char *const *bodies, const size_t *lens);

/* Read the set (inside SPI), sorted by version; free with tn_migration_set_free. */
extern void reg_load_set(tn_migration_set *set);

/* The set as transport text (tn_set_encode), palloc'd; frees set and raises on failure. */
extern char *reg_encode_set(tn_migration_set *set);

/* The newest version of the set, or NULL when it is empty. */


/* ---- registry_template.c: the template database ---- */

/* tenancy_template_<this database>, cut to NAMEDATALEN - 1 (palloc'd). */
extern char *reg_template_name(void);
/*
 * Does this control database's template database exist on location's
 * server (NULL: this server)?  A server that cannot be reached raises.
 */
extern bool reg_template_exists_at(const char *location);

/*
 * The server's admin connection (its "postgres" database, as for CREATE
 * DATABASE) at location, with the caller's credentials; raises when it
 * cannot be had.  The one this backend kept when the same role with the
 * same credentials used it last (libpq_admin.c), else a new one.
 */
extern PGconn *reg_server_admin_conn(const char *location);

/*
 * Done with an admin connection with no error on it: kept for the next
 * call (libpq_admin.c) or closed.  After an error use tn_lpq_finish.
 */
extern void reg_server_admin_done(PGconn *conn, const char *location);

/*
 * Make sure the template exists on the server of location (NULL: this
 * server), has the extension, and is at the newest version of set.
 * Returns the template's version (palloc'd, "" for an empty set).  Inside
 * SPI; raises (the change that called it is then undone).
 */
extern char *reg_ensure_template(const char *location, tn_migration_set *set,
								 const char *set_text);

/*
 * After a change of the set (inside SPI): this server's template follows
 * it (reg_ensure_template), except a template that does not exist when
 * the caller is not a superuser (it cannot make one: tenant_create says how).
 */
extern void reg_template_follow_set(tn_migration_set *set, const char *set_text);
/* The same for the tenant set as the registry holds it now (read, encoded, freed here). */
extern void reg_template_follow_current_set(void);

/*
 * Raise 42501, with a hint, unless the role conn is connected as may
 * create databases there (CREATEDB or superuser); name is the tenant's.
 */
extern void reg_check_createdb(PGconn *conn, const char *name);

/*
 * The template's version for tenant_create when this backend already
 * brought it to this set and nothing it was made from has changed, else
 * NULL (then reg_ensure_template).  admin is a connection to location's
 * server.
 */
extern char *reg_template_known_version(PGconn *admin, const char *location,
										const char *set_text);

/* Forget what this backend knows of the template (it was dropped). */
extern void reg_template_forget(void);

/* ---- registry_created.c: what tenant_create made in this transaction ---- */

/*
 * Drop database dbname (schema NULL) or schema in database location
 * (schema tenant) again if the current transaction aborts.
 */
extern void reg_remember_created(const char *location, const char *dbname,
								 const char *schema);

/* ---- registry_schema.c: schema tenants ---- */

/*
 * tenant_create (adopt false) or tenant_register (adopt true) of a schema
 * tenant named name, in this database (location NULL) or in the database
 * location names.  placement (NULL, 'local', 'distributed', 'host:port'):
 * where Citus keeps it, when the database has Citus (citus.c).
 */
extern void reg_schema_tenant(const char *name, const char *location, bool adopt,
							  const char *placement);

/* tenant_drop(name, 'delete') of a schema tenant: DROP SCHEMA .. CASCADE. */
extern void reg_drop_schema(const char *location, const char *dbname,
							const char *schema);

/* ---- registry_runs.c: a run's record and its tenants ---- */

/* One call of a fan-out or atomic entry point: its rows and its record. */
typedef struct reg_run
{
	fo_mode	  mode;
	tn_pg_srf srf;			  /* the function's result */
	PGconn *volatile control; /* autocommit connection to this
										 * database (set inside PG_TRY) */
	long long				 run_id;
	bool					 writer;	   /* written through tenancy.run_* (1.4); false: a 1.3 control database, directly */
	bool					 set_writer;   /* tenancy.run_record_tenants (1.5) may be called: slices in one call */
	bool					 none_version; /* '' may say "at no version" (1.6, or the direct writes) */
	int						 total;		   /* tenants of the run */
	long long				 applied;
	long long				 failed;
	long long				 unreachable;
	long long				 done_count;	   /* tenants finished so far */
	bool					 has_last_checked; /* tenancy.tenants has last_checked (1.4) */
	struct reg_run_batch	*batch;			   /* registry_run_batch.c: checked tenants' rows waiting */
	struct reg_verify_batch *verify_batch;	   /* registry_verify_batch.c: verify refreshes waiting */
	StringInfo				 ok_names;		   /* run to the newest version: tenants that
											 * finished it, newline-separated (their
											 * repeatables are the set's); else NULL */
} reg_run;

/* ---- registry_run_batch.c: the rows of checked tenants, a slice at a time ---- */

/*
 * A finished tenant's row when it may wait (tn_fanout_record_may_wait, a
 * 1.4 run record): kept, written with its slice; returns true.  false:
 * nothing kept, the caller writes it at once (reg_record_tenant).
 */
extern bool reg_record_tenant_later(reg_run *run, const char *tenant, char **row,
									const fo_outcome *out);

/* Write the waiting rows now (one statement); a failure is a WARNING, as for one row. */
extern void	 reg_flush_tenants(reg_run *run);
extern char *reg_text_array_literal(char *const *vals, int n);

/* Drop the waiting rows (the run is being cancelled: they claim no work). */
extern void reg_forget_tenants(reg_run *run);

/* ---- registry_verify_batch.c: tenant_verify_all's refresh of tenancy.tenants, a slice at a time ---- */

/* a refresh: name, state, version, version_key, pending, last_error (last_error NULL when ok) */
#define REG_VERIFY_COLS 6
/* Keep one tenant's refresh; written with its slice (in the caller's transaction). */
extern void reg_verify_later(reg_run *run, const char *const *v);
/* Write the waiting refreshes now (one UPDATE); an error is the caller's, as for one row. */
extern void reg_verify_flush(reg_run *run);

/*
 * Does tenancy.tenants have last_checked (1.4)?  A registry whose extension
 * script is older than the library (before ALTER EXTENSION UPDATE) has not:
 * its runs then leave it out.  Inside SPI.
 */
extern bool reg_has_last_checked(void);

/* Does tenancy.tenants have column (a newer script's)?  Inside SPI. */
extern bool reg_tenants_has_column(const char *column);

/*
 * Record the repeatables (tn_set_repeatables_record / tn_applied_repeatables)
 * the tenants names (newline-separated; tenant names hold no newline) have
 * applied, as the extension's owner in the caller's transaction; nothing
 * before 1.5 (no column).  Inside SPI.
 */
extern void reg_record_repeatables(const char *names, const char *record);

/* The same with the set's own record (tn_set_repeatables_record): names have every repeatable of set. */
extern void reg_record_set_repeatables(const char *names, const tn_migration_set *set);

/*
 * The target argument as the core reads it (tn_parse_target): without a
 * leading V/v, a valid version (raises otherwise); NULL stays NULL.  Call
 * it before loading the set, so a refusal leaves nothing to free.
 */
extern char *reg_run_target(char *target);

/* The core's row of a tenant a fan-out never started (tn_fanout_skipped_row), put into srf. */
extern void reg_put_skipped(tn_pg_srf *srf, const char *tenant, const char *failed_tenant);

/*
 * The tenants to run into fo_tenant structs (inside SPI), palloc'd: all,
 * or only_behind those whose version_key is below key or that failed
 * last.  Database tenants by name, then schema tenants grouped by
 * database.
 */
extern fo_tenant *reg_load_tenants(bool only_behind, const char *key, int *n);

/* Close the records of runs whose caller is gone (killed). */
extern void reg_close_killed_runs(void);

/*
 * Open the run's record: the control connection (lock_timeout 10s;
 * synchronous_commit off when async_progress) and a tenancy.runs row with
 * status, target and the number of tenants; sets run->control and
 * run->run_id.  Raises.
 */
extern void reg_open_run(reg_run *run, const char *target, int ntenants,
						 const char *status, bool async_progress);

/*
 * Write one finished tenant through the control connection (autocommit):
 * its run_tenants row, its registry row, an audit row and the run's
 * counters.  row is the core's result row (tn_fanout_row layout); a
 * failure to write is a WARNING.
 */
/*
 * The registry version a finished tenant's row carries: its to_version; ''
 * for a tenant that ended at no version (nothing applied: rolled back before
 * its first version) where the record can say so (none_version); NULL for
 * "keep what the registry has" (a failed tenant stays where it was).  Its
 * key likewise ('' for '').
 */
extern const char *reg_run_version(const reg_run *run, const fo_outcome *out);
extern const char *reg_run_version_key(const char *version);
extern void		   reg_record_tenant(reg_run *run, const char *tenant, char **row,
									 const fo_outcome *out);

/*
 * Set the run's status through the control connection, and its
 * finished_at when finished (a finished run takes no more writes).
 * raise: an error raises, else it is a WARNING.
 */
extern void reg_run_status(reg_run *run, const char *status, bool finished, bool raise);

/*
 * The same, sent without waiting for the answer (a cancelled or failed
 * call: the server runs it before it reads the close); never raises.
 */
extern void reg_run_status_nowait(reg_run *run, const char *status, bool finished);

/* ---- registry_query_check.c: tenant_query_all's statement, read once ---- */

/*
 * Raise the core's refusal (tn_query_all_refuse) when sql is no statement,
 * several, or one that writes, as PostgreSQL's parser reads it; return
 * when it may run in every tenant (a syntax error too: each tenant reports it).
 */
void reg_check_query(const char *sql);

/* ---- registry_recover.c: atomic runs whose caller died ---- */

/*
 * Finish the prepared transactions of atomic runs whose caller is gone, as
 * their record decided.  Under the run lock, inside SPI.
 */
extern void reg_recover_atomic_runs(void);

#endif /* REGISTRY_INTERNAL_H */
