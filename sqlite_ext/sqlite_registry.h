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
int			tn_registry_register(sqlite3 *db, tn_sqlite_conn *conn);

/* scope 'tenants': add to / load into the template, which is then migrated. */
int			tn_registry_catalog_add(tn_sqlite_conn *registry, const tn_migration *m,
									int *added, tn_error *err);
int			tn_registry_catalog_load(tn_sqlite_conn *registry, const char *path,
									 long long *count, tn_error *err);

#endif
