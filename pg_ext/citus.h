/*
 * citus.h -- schema tenants on Citus, the PostgreSQL side (citus.c): the
 * Citus catalog queries and calls tenancy makes in a tenant's database and
 * in the registry.  The decisions are the core's (shared/tn_citus.h).
 *
 * Every function here works without Citus: when the citus extension is
 * not in the database, nothing is queried beyond pg_extension and
 * tenancy behaves as it always did.
 *
 * Must not: be called outside an SPI connection (each says so), or name a
 * Citus object without checking that the extension is there.
 */
#ifndef TN_PG_CITUS_H
#define TN_PG_CITUS_H

#include "postgres.h"

#include "libpq_fanout.h"

/* Inside SPI: is the citus extension in this database? */
extern bool tn_pg_citus_present(void);

/*
 * Inside SPI, before a schema tenant's migration (tenancy.migrate_synced):
 * the schema when it is a distributed schema (new tables must join its
 * group), NULL when it is local or there is no Citus.  A half-distributed
 * schema is refused (the core's error, raised).
 */
extern const char *tn_pg_citus_migrating(const char *schema);

/*
 * Inside SPI, after each statement of a migration body in a distributed
 * schema: every table of the schema Citus does not know yet becomes a
 * schema table of its colocation group (referenced tables first).  Raises
 * on failure (the body's savepoint then undoes it).
 */
extern void tn_pg_citus_adopt_new(const char *schema);

/*
 * Inside SPI: text (an error from a worker) with the schema's shard names
 * read as the user's table names (tn_citus_unshard); palloc'd, or text
 * itself when there is nothing to change.
 */
extern char *tn_pg_citus_unshard(const char *schema, const char *text);

/*
 * Inside SPI, in tenancy.verify_synced: when the schema is half-distributed,
 * row (status, version, pending, problems, detail) reports it
 * (tn_citus_verify_note).  Replaced strings are allocated in outer.
 */
extern void tn_pg_citus_verify(const char *schema, char **row, MemoryContext outer);

/*
 * Inside SPI in the registry: raise the core's refusal when any of the n
 * tenants is a distributed schema (tenant_migrate_all_atomic, before
 * anything is prepared).
 */
extern void tn_pg_citus_refuse_atomic(const fo_tenant *ts, int n);

#endif /* TN_PG_CITUS_H */
