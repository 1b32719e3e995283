/*
 * tn_citus.h -- the decisions tenancy makes about schema tenants on Citus
 * (schema-based sharding), the same whichever host asks: where a new
 * schema tenant goes (the placement word), whether it is distributed, what
 * state a schema is in (local, distributed, half-distributed), which runs
 * refuse it, and how a worker's shard names read in an error.
 *
 * The PostgreSQL adapter (pg_ext/citus.c) reads Citus's catalogs and calls
 * these; SQLite never has Citus, so it never calls them.
 *
 * Must not: include a host header, or query anything (the adapter does).
 */
#ifndef TN_CITUS_H
#define TN_CITUS_H

#include <stddef.h>

/* The placement argument of tenant_create(name, location, 'schema', placement). */
typedef enum tn_citus_place
{
	TN_PLACE_FOLLOW, /* NULL: distributed when citus.enable_schema_based_sharding is on */
	TN_PLACE_LOCAL,	 /* 'local': never distributed */
	TN_PLACE_ANY,	 /* 'distributed': distributed, Citus picks the worker */
	TN_PLACE_NODE	 /* 'host:port': distributed, on that worker */
} tn_citus_place;

#define TN_CITUS_HOST_MAX 256

typedef struct tn_placement
{
	tn_citus_place kind;
	char		   host[TN_CITUS_HOST_MAX]; /* TN_PLACE_NODE: node name as pg_dist_node has it */
	int			   port;					/* TN_PLACE_NODE */
} tn_placement;

/*
 * Read a placement word: NULL (follow the setting), 'local', 'distributed',
 * or 'host:port' (the host may itself hold ':' only before the last one; a
 * socket directory is a host).  TN_OK, or TN_ERR_INVALID_ARGUMENT naming
 * the accepted forms.
 */
int tn_citus_parse_placement(const char *text, tn_placement *out, tn_error *err);

/*
 * Is a new or registered schema tenant distributed?  citus_present: the
 * citus extension is in the tenant's database; sharding_on: its
 * citus.enable_schema_based_sharding.  *distribute is 1 or 0.  A placement
 * that asks for distribution without Citus is TN_ERR_NOT_SUPPORTED.
 */
int tn_citus_decide(const tn_placement *p, int citus_present, int sharding_on,
					int *distribute, tn_error *err);

/* What Citus holds of one schema. */
typedef enum tn_citus_state
{
	TN_CITUS_LOCAL,		  /* not in pg_dist_schema */
	TN_CITUS_DISTRIBUTED, /* in pg_dist_schema, every table in its colocation group */
	TN_CITUS_HALF		  /* in pg_dist_schema, some table not (local to the coordinator) */
} tn_citus_state;

/*
 * registered: the schema is in pg_dist_schema; tables: its ordinary and
 * partitioned tables (partitions not counted); in_group: how many of them
 * are in pg_dist_partition with the schema's colocation id.
 */
tn_citus_state tn_citus_schema_state(int registered, long tables, long in_group);

/* "local", "distributed", "half-distributed" */
const char *tn_citus_state_name(tn_citus_state s);

/*
 * A migration of a half-distributed schema tenant is refused (its new
 * tables would be local and their foreign keys point at shells): the
 * error, naming the first local table and how many there are.
 */
int tn_citus_refuse_half(const char *tenant, long missing, const char *first_local,
						 tn_error *err);

/*
 * tenant_verify_all's row of a half-distributed schema tenant: the row's
 * status becomes "problems", its problem count grows by one and its detail
 * names the local tables (names: comma separated) and the repair.  row is
 * the tn_def_verify_all row (tenant, status, version, pending, problems,
 * detail); the new values are written to the caller's buffers (status
 * static, problems/detail malloc'd: free them).
 */
int tn_citus_verify_note(const char *tenant, long missing, const char *names,
						 const char *old_problems, const char *old_detail,
						 const char **status, char **problems, char **detail,
						 tn_error *err);

/*
 * tenant_migrate_all_atomic refuses a run with a distributed schema
 * tenant before preparing anything: Citus turns a PREPARE over several
 * servers into its own two-phase commit, which PostgreSQL refuses inside
 * a transaction that is itself prepared (0A000).
 */
int tn_citus_refuse_atomic(const char *tenant, tn_error *err);

/*
 * A worker's error, as the user's names: every "<name>_<shardid>" whose
 * shard id is one of ids[0..n) (the schema's shards) loses its
 * "_<shardid>" (settings_102018 -> settings, settings_pkey_102018 ->
 * settings_pkey).  Returns a malloc'd string, or NULL on out of memory;
 * text NULL gives NULL.
 */
char *tn_citus_unshard(const char *text, const long long *ids, size_t n);

#endif /* TN_CITUS_H */
