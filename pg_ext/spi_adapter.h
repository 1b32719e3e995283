/*
 * spi_adapter.h -- tn_adapter over SPI, for one call of a SQL function.
 *
 * Usage (inside a C function, after SPI_connect):
 *     tn_pg_adapter_init(&adapter, &ctx, caller_search_path);
 *     rc = tn_migrate(&adapter, ...);
 *     rc = tn_pg_adapter_finish(&ctx, rc, &err);
 *     SPI_finish();
 * The adapter never lets a PostgreSQL error longjmp through the core: every
 * call runs in an internal subtransaction and comes back as a tn_error.
 *
 * Must not: be used outside SPI, or outlive the SQL function call it was
 * made for.
 */
#ifndef SPI_ADAPTER_H
#define SPI_ADAPTER_H

#include "postgres.h"
#include "utils/resowner.h"

#include "tenancy.h"

#define TN_PG_MAX_NESTING 64

typedef struct tn_pg_adapter_ctx
{
	MemoryContext mcxt;		   /* context of the caller (SPI procedure) */
	MemoryContext query_cxt;   /* scratch, reset after each call */
	int			  query_depth; /* nested query() calls (a row callback) */
	int			  depth;	   /* open units: begin + savepoints */
	MemoryContext saved_cxt[TN_PG_MAX_NESTING];
	ResourceOwner saved_owner[TN_PG_MAX_NESTING];
	bool		  locked;			  /* advisory lock held: read latest snapshot */
	const char	 *caller_search_path; /* search_path for migration bodies */
	bool		  has_lock_key;		  /* schema tenant: its own advisory key */
	int64		  lock_key;
	Oid			  body_user;		  /* bodies run as this role (InvalidOid: the caller) */
	bool		  check_body_path;	  /* refuse untrusted schemas in their search_path */
	int			  tracking_nestlevel; /* schema tenant, 1.4: GUC level to end (0: none) */
	const char	 *tracking_schema;	  /* ... and the schema it names */
	const char	 *citus_schema;		  /* a distributed schema on Citus: its new tables
										   * join its group after each statement (citus.c) */
} tn_pg_adapter_ctx;

/*
 * Fill a with the SPI implementation; ctx lives as long as a.
 * caller_search_path is used while migration bodies run (NULL: keep the
 * current one).
 */
extern void tn_pg_adapter_init(tn_adapter *a, tn_pg_adapter_ctx *ctx,
							   const char *caller_search_path);

/*
 * Point an initialised adapter at a schema tenant: its tracking rows (from
 * 1.4 the rows of tenancy.schema_* keyed by the schema, through the views
 * tenancy.tenant_*; before, <quoted schema>.tenancy_*), an advisory lock of its own (database oid and
 * a hash of the schema name, so schemas of one database migrate
 * concurrently but one schema never twice), and migration bodies run with
 * search_path = <schema>, pg_catalog, pg_temp.  Strings are palloc'd in
 * the current context.
 */
/*
 * (tn_tracking_guard.c) Raise 42501 unless every existing
 * <schema>.tenancy_* tracking relation is an ordinary table owned by a
 * superuser or the current user.  Called by tn_pg_adapter_use_schema.
 */
extern void tn_pg_check_tracking_tables(const char *schema);

/*
 * (tn_body_guard.c) A fan-out's bodies in a tenant run as the tenant's
 * owner (schema owner, else database owner) unless that is a superuser or
 * the caller, and only with a search_path of trusted schemas
 * (tn_pg_check_body_path raises 42501 otherwise; do_script calls it).
 */
extern void tn_pg_adapter_bodies_as_owner(tn_pg_adapter_ctx *ctx, const char *schema);
extern void tn_pg_check_body_path(const tn_pg_adapter_ctx *ctx);

/*
 * (tn_schema_tracking.c) Schema tenants' tracking rows.  _shared: true when
 * this database's extension has the 1.4 shared tables (the views
 * tenancy.tenant_*).  _begin: the table prefix for schema's rows; with the
 * shared tables it sets TN_PG_SCHEMA_SETTING to schema in a GUC nest level
 * of its own (ctx->tracking_nestlevel), else it checks the schema's own
 * tables (tn_pg_check_tracking_tables; raises 42501).  _end: restores the
 * setting; called by tn_pg_adapter_finish after every level is closed.
 * _reassert: after a migration body, the setting is schema's again
 * (a superuser's body can change it; nothing when _begin did not set it).
 */
#define TN_PG_SCHEMA_SETTING "tenancy.tenant_schema"
extern bool		   tn_pg_schema_tracking_shared(void);
extern const char *tn_pg_schema_tracking_begin(tn_pg_adapter_ctx *ctx, const char *schema);
extern void		   tn_pg_schema_tracking_reassert(tn_pg_adapter_ctx *ctx);
extern void		   tn_pg_schema_tracking_end(tn_pg_adapter_ctx *ctx);

/*
 * (tn_body_guard.c) Before no-transaction statements are sent to this
 * tenant (migrate_synced mode 'raw'; ctx set up by bodies_as_owner):
 * raises 42501 unless the tenant's owner is a superuser or the current
 * role, and unless every schema of the path they will run with
 * (ctx->caller_search_path) is trusted.  Changes nothing.
 */
extern void tn_pg_guard_raw_session(const tn_pg_adapter_ctx *ctx);

extern void tn_pg_adapter_use_schema(tn_adapter *a, tn_pg_adapter_ctx *ctx,
									 const char *schema);

/*
 * Close the adapter after a core call that returned rc: any unit of work
 * the core left open is rolled back, and that is reported as an internal
 * error when rc was TN_OK.  Returns the final code (err filled when not
 * TN_OK).
 */
extern int tn_pg_adapter_finish(tn_pg_adapter_ctx *ctx, int rc, tn_error *err);

/*
 * The search_path in effect where the current SQL function was called,
 * i.e. before the function's own SET search_path = pg_catalog, pg_temp.
 * palloc'd in the current context.
 */
extern char *tn_pg_caller_search_path(void);

#endif /* SPI_ADAPTER_H */
