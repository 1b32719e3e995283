/*
 * sqlite_registry.h -- the tenant registry on SQLite: a registry database
 * holds tenancy_tenants, each tenant is its own SQLite file beside it, and
 * the tenant migration set lives in the template tenant, kept at the
 * newest version, that every new tenant is copied from.
 */
#ifndef TENANCY_SQLITE_REGISTRY_H
#define TENANCY_SQLITE_REGISTRY_H

#include "sqlite_adapter.h"

/* Register tenant_create, tenant_register, tenant_drop, tenants(), tenant_migrate_all(), tenant_runs(). */
int tn_registry_register(sqlite3 *db, tn_sqlite_conn *conn);

/* scope 'tenants': add to / load into the template, which is then migrated. */
int tn_registry_catalog_add(tn_sqlite_conn *registry, const tn_migration *m,
							int *added, tn_error *err);
int tn_registry_catalog_load(tn_sqlite_conn *registry, const char *path,
							 long long *count, tn_error *err);
int tn_registry_catalog_load_files(tn_sqlite_conn *registry, size_t n,
								   const char *const *names,
								   const char *const *bodies,
								   const size_t *lens, long long *count,
								   tn_error *err);

/*
 * For a program that links the extension in (the tenancy command): watch the
 * fan-out calls (tenant_migrate_all, tenant_dry_run_all, tenant_verify_all,
 * tenant_query_all) of this process.  tenant_done is called once per
 * finished tenant from the worker thread, one call at a time, with the
 * tenant's status word (migrate and dry run: the row's status; verify: ok /
 * problems / unreachable; query: ok / failed).  When stop is not NULL and
 * *stop becomes non-zero (a signal handler may set it), no further tenant
 * starts: tenants already started finish and are recorded, the rest are
 * reported "skipped" and the run is "stopped".  NULL: no observer (the
 * loadable extension never sets one).  Not thread-safe to change while a
 * fan-out runs.
 */
typedef struct tn_sqlite_fanout_observer
{
	void (*tenant_done)(void *arg, long long done, long long total,
						const char *tenant, const char *status);
	volatile const int *stop;
	void			   *arg;
} tn_sqlite_fanout_observer;

void tn_sqlite_fanout_observe(const tn_sqlite_fanout_observer *observer);

#endif
