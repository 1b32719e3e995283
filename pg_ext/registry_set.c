/*
 * registry_set.c -- the tenant set: the migrations every tenant of the
 * registry gets, kept in the control database (tenancy.set_catalog,
 * written by the core through the SPI adapter with table prefix
 * "tenancy.set_").  SQL entry points: the 'tenants' scope of
 * tenant_migration_add and tenant_migrations_load (the 'database' scope
 * is tenancy_pg.c's); and reading the set for the other registry files.
 *
 * A change of the set brings this server's template database along
 * (registry_template.c); if that fails, the change is undone with it.
 *
 * Must not: validate or compare migrations itself (the core does), or
 * change the set outside the set lock.
 */
#include "postgres.h"

#include <stdlib.h>

#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"

#include "registry_internal.h"
#include "spi_adapter.h"
#include "tn_raise.h"

#define SET_PREFIX "tenancy.set_"

PG_FUNCTION_INFO_V1(tenant_migration_add_scoped);
PG_FUNCTION_INFO_V1(tenant_migrations_load_scoped);

/* the 1.0 entry points (tenancy_pg.c), for the 'database' scope */
extern Datum tenant_migration_add(PG_FUNCTION_ARGS);
extern Datum tenant_migrations_load(PG_FUNCTION_ARGS);

/* ------------------------------------------------------------------ */
/* Reading the set                                                     */
/* ------------------------------------------------------------------ */

static int
migration_cmp(const void *x, const void *y)
{
	return tn_version_compare(((const tn_migration *) x)->version,
							  ((const tn_migration *) y)->version);
}

static char *
malloc_copy(const char *s)
{
	char	   *c;

	if (s == NULL)
		return NULL;
	c = strdup(s);
	if (c == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return c;
}

/*
 * The set's strings are malloc'd (the core frees them); a palloc failure
 * in between would leak them, which is acceptable for out-of-memory only.
 */
void
reg_load_set(tn_migration_set *set)
{
	memset(set, 0, sizeof(*set));
	reg_spi_run("SELECT version, name, up_sql, down_sql, checksum, flags, source FROM tenancy.set_catalog", 0, NULL);
	if (SPI_processed == 0)
		return;
	set->items = calloc(SPI_processed, sizeof(tn_migration));
	if (set->items == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	set->cap = SPI_processed;
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		tn_migration *m = &set->items[set->count++];
		char	   *flags = reg_spi_value(r, 6);

		m->version = malloc_copy(reg_spi_value(r, 1));
		m->name = malloc_copy(reg_spi_value(r, 2));
		m->up_sql = malloc_copy(reg_spi_value(r, 3));
		m->down_sql = malloc_copy(reg_spi_value(r, 4));
		snprintf(m->checksum, sizeof(m->checksum), "%s", reg_spi_value(r, 5));
		m->flags = flags ? (unsigned) strtoul(flags, NULL, 10) : 0;
		m->source = malloc_copy(reg_spi_value(r, 7));
		m->dialect = TN_DIALECT_POSTGRES;
	}
	qsort(set->items, set->count, sizeof(tn_migration), migration_cmp);
}

char *
reg_encode_set(tn_migration_set *set)
{
	tn_buf		b;
	tn_error	err;
	char	   *out;

	tn_error_clear(&err);
	if (tn_set_encode(set, &b, &err) != TN_OK)
	{
		tn_migration_set_free(set);
		tn_raise(&err);
	}
	out = pstrdup(b.data ? b.data : "");
	tn_buf_free(&b);
	return out;
}

const char *
reg_newest_version(const tn_migration_set *set)
{
	return set->count ? set->items[set->count - 1].version : NULL;
}

/* ------------------------------------------------------------------ */
/* Changing the set                                                    */
/* ------------------------------------------------------------------ */

/* Change the set with a core call over SPI on the tenancy.set_* tables. */
typedef int (*set_change_fn) (const tn_adapter *a, void *arg, long long *count, tn_error *err);

static int
change_add(const tn_adapter *a, void *arg, long long *count, tn_error *err)
{
	int			added = 0;
	int			rc = tn_catalog_add(a, arg, &added, err);

	*count = added;
	return rc;
}

static int
change_load(const tn_adapter *a, void *arg, long long *count, tn_error *err)
{
	return tn_catalog_load_folder(a, arg, count, err);
}

static long long
change_tenant_set(set_change_fn change, void *arg, const char *action)
{
	tn_adapter	adapter;
	tn_pg_adapter_ctx ctx;
	tn_error	err;
	long long	count = 0;
	int			rc;
	tn_migration_set set;
	char	   *text;

	tn_error_clear(&err);
	reg_spi_connect();
	reg_lock_set();
	tn_pg_adapter_init(&adapter, &ctx, NULL);
	adapter.table_prefix = SET_PREFIX;
	rc = change(&adapter, arg, &count, &err);
	rc = tn_pg_adapter_finish(&ctx, rc, &err);
	if (rc != TN_OK)
	{
		SPI_finish();
		tn_raise_failure(&err);
	}
	/* the local template follows the set now; its failure undoes the change */
	reg_load_set(&set);
	text = reg_encode_set(&set);
	PG_TRY();
	{
		reg_ensure_template(NULL, &set, text);
	}
	PG_FINALLY();
	{
		tn_migration_set_free(&set);
	}
	PG_END_TRY();
	if (count > 0)
		reg_audit(action, NULL, psprintf("%lld migrations", count));
	SPI_finish();
	return count;
}

static bool
scope_is_tenants(const char *scope)
{
	tn_error	err;
	int			tenants = 0;

	tn_error_clear(&err);
	if (tn_parse_scope(scope, &tenants, &err) != TN_OK)
		tn_raise(&err);
	return tenants != 0;
}

/* tenant_migration_add(version, name, up_sql, down_sql, scope) */
Datum
tenant_migration_add_scoped(PG_FUNCTION_ARGS)
{
	char	   *scope = tn_pg_arg_text(fcinfo, 4);
	tn_migration m;
	tn_error	err;
	volatile long long added = 0;

	if (!scope_is_tenants(scope))
	{
		LOCAL_FCINFO(inner, 4);

		InitFunctionCallInfoData(*inner, fcinfo->flinfo, 4, fcinfo->fncollation, NULL, NULL);
		for (int i = 0; i < 4; i++)
			inner->args[i] = fcinfo->args[i];
		return tenant_migration_add(inner);
	}
	tn_error_clear(&err);
	if (tn_migration_from_args(tn_pg_arg_text(fcinfo, 0), tn_pg_arg_text(fcinfo, 1),
							   tn_pg_arg_text(fcinfo, 2), tn_pg_arg_text(fcinfo, 3),
							   TN_DIALECT_POSTGRES, &m, &err) != TN_OK)
		tn_raise(&err);
	PG_TRY();
	{
		added = change_tenant_set(change_add, &m, "set_add");
	}
	PG_FINALLY();
	{
		tn_migration_clear(&m);
	}
	PG_END_TRY();
	PG_RETURN_INT64(added);
}

/* tenant_migrations_load(path, scope) */
Datum
tenant_migrations_load_scoped(PG_FUNCTION_ARGS)
{
	char	   *scope = tn_pg_arg_text(fcinfo, 1);
	char	   *path;

	if (!scope_is_tenants(scope))
	{
		LOCAL_FCINFO(inner, 1);

		InitFunctionCallInfoData(*inner, fcinfo->flinfo, 1, fcinfo->fncollation, NULL, NULL);
		inner->args[0] = fcinfo->args[0];
		return tenant_migrations_load(inner);
	}
	path = tn_pg_arg_required(fcinfo, 0, "path");
	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to load migrations from the server's file system"),
				 errdetail("Only roles with privileges of the \"pg_read_server_files\" role may read server files."),
				 errhint("Use tenant_migration_add(..., 'tenants') to add migrations from SQL instead.")));
	PG_RETURN_INT64(change_tenant_set(change_load, path, "set_load"));
}
