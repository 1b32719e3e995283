/*
 * libpq_fanout.h -- run one thing in many tenants at once over libpq,
 * from the calling backend: bounded concurrency, every socket and the latch
 * in one WaitEventSet, CHECK_FOR_INTERRUPTS between waits, a cancel of the
 * caller sends PQcancel to every tenant in flight and closes every
 * connection.  (The SQL entry points of the *_all functions are in
 * registry_fanout.c; this is the driver they use.)
 *
 * The per-tenant work is decided by the core (tn_fanout_plan: usually one
 * round trip, tenancy.migrate_synced(set, target, mode) in the tenant,
 * which runs tn_migrate with opts.sync over SPI there).  This file only
 * moves bytes and reports outcomes through a callback.
 *
 * Must not: decide a tenant's status or write the registry.
 */
#ifndef LIBPQ_FANOUT_H
#define LIBPQ_FANOUT_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "tenancy.h"

typedef enum fo_mode
{
	FO_MIGRATE,		  /* tenant_migrate_all */
	FO_DRY_RUN,		  /* tenant_dry_run_all */
	FO_QUERY,		  /* tenant_query_all: rows as jsonb text */
	FO_SYNC_TEMPLATE, /* bring a template database to the newest version */
	FO_VERIFY,		  /* tenant_verify_all: tenancy.verify_synced(set) */
	FO_PREPARE,		  /* atomic phase 1: BEGIN, migrate, PREPARE TRANSACTION */
	FO_FINISH,		  /* atomic phase 2: COMMIT / ROLLBACK PREPARED */
	FO_ROLLBACK,	  /* tenant_rollback_all: migrate_synced(set, arg, 'rollback') */
	FO_HOLDS,		  /* tenant_migration_remove: migrate_synced(set, version, 'holds') */
	FO_FORGET		  /* tenant_migration_remove: migrate_synced(set, version, 'forget') */
} fo_mode;

typedef struct fo_tenant
{
	const char *name;
	const char *location; /* conninfo, NULL: this server */
	const char *dbname;	  /* database kind without location: its name */
	const char *schema;	  /* schema tenant: its schema in dbname, else NULL */
} fo_tenant;

/* The outcome of one tenant, handed to the callback when it finishes. */
typedef struct fo_outcome
{
	int				  rc; /* TN_OK or the error code */
	tn_error		  err;
	tn_migrate_result res; /* from / to / applied */
	long long		  duration_ms;
	char			 *cells[5];		/* FO_VERIFY: status, version, pending, problems, detail */
	bool			  keep_version; /* the registry keeps its version (an atomic run rolled back) */
} fo_outcome;

typedef void (*fo_done_fn)(void *arg, int index, const fo_tenant *t,
						   fo_outcome *out);

/*
 * FO_QUERY: one row of tenant t as jsonb text, handed over as it arrives
 * (single-row mode), so no tenant's result is held in the caller; the text
 * lives until the callback returns.
 */
typedef void (*fo_row_fn)(void *arg, const fo_tenant *t, const char *json);

typedef struct fo_job
{
	fo_mode					mode;
	const fo_tenant		   *tenants;
	int						ntenants;
	int						concurrency;
	int						max_failures; /* 0 = no limit */
	const char			   *target;		  /* NULL = newest */
	const tn_migration_set *set;		  /* FO_MIGRATE / FO_DRY_RUN / FO_SYNC_TEMPLATE */
	const char			   *set_text;	  /* tn_set_encode of set */
	const char			   *sql;		  /* FO_QUERY */
	const char			   *options;	  /* libpq options (timeouts) */
	long long				run_id;		  /* FO_PREPARE / FO_FINISH: gid tenancy_<run>_<tenant> */
	bool					commit;		  /* FO_FINISH: COMMIT (true) or ROLLBACK PREPARED */
	fo_done_fn				done;
	fo_row_fn				row; /* FO_QUERY */
	void				   *arg;

	/* filled by fo_run */
	int	 finished;
	int	 failures;
	bool stopped_early; /* max_failures reached */
} fo_job;

/*
 * Schema tenants of one database that follow each other in tenants[]
 * share a connection: a slot that finished one (cleanly) starts the next
 * on the same connection, up to a number of schemas per connection.
 *
 * Memory: what the driver and the callbacks allocate in CurrentMemoryContext
 * while the loop runs lives for one turn of the loop (a context reset every
 * turn), so the caller's memory does not grow with the number of tenants.
 * A callback keeps what it needs past its return by copying it by value or
 * into a context of its own.
 *
 * Run the job.  Raises only for interrupts (after cancelling and closing
 * every tenant connection) and for invalid jobs; each tenant's failure is
 * an outcome.
 */
extern void fo_run(fo_job *job);

/* libpq "options" for per-tenant timeouts (settings tenancy.*_timeout). */
extern char *fo_timeout_options(void);

#endif /* LIBPQ_FANOUT_H */
