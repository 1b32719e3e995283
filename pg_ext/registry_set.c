/*
 * registry_set.c -- the tenant set: the migrations every tenant of the
 * registry gets, kept in the control database (tenancy.set_catalog,
 * written by the core through the SPI adapter with table prefix
 * "tenancy.set_", as the extension's owner: the admin capability's EXECUTE
 * is the check, the role has no write grant on those tables).  SQL entry points: the 'tenants' scope of
 * tenant_migration_add and tenant_migrations_load, and of
 * tenant_migrations_load_files through reg_set_load_files (the 'database'
 * scope is tenancy_pg.c's); and reading the set for the other registry files.
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

/* The set, read by the core (tn_set_read) through the SPI adapter on tenancy.set_catalog. */
void
reg_load_set(tn_migration_set *set)
{
	tn_adapter		  adapter;
	tn_pg_adapter_ctx ctx;
	tn_error		  err;
	int				  rc;

	tn_error_clear(&err);
	tn_pg_adapter_init(&adapter, &ctx, NULL);
	adapter.table_prefix = SET_PREFIX;
	rc = tn_set_read(&adapter, "catalog", set, &err);
	rc = tn_pg_adapter_finish(&ctx, rc, &err);
	if (rc != TN_OK)
	{
		tn_migration_set_free(set);
		tn_raise(&err);
	}
}

char *
reg_encode_set(tn_migration_set *set)
{
	tn_buf	 b;
	tn_error err;
	char	*out;

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

/* ------------------------------------------------------------------ */
/* Changing the set                                                    */
/* ------------------------------------------------------------------ */

/* Change the set with a core call over SPI on the tenancy.set_* tables. */
typedef int (*set_change_fn)(const tn_adapter *a, void *arg, long long *count, tn_error *err);

static int
change_add(const tn_adapter *a, void *arg, long long *count, tn_error *err)
{
	int added = 0;
	int rc = tn_catalog_add(a, arg, &added, err);

	*count = added;
	return rc;
}

static int
change_load(const tn_adapter *a, void *arg, long long *count, tn_error *err)
{
	return tn_catalog_load_folder(a, arg, count, err);
}

/* One change of the set: the core call and what it reports. */
typedef struct set_change
{
	set_change_fn change;
	void		 *arg;
	long long	  count;
	tn_error	  err;
} set_change;

/* The core's writes on tenancy.set_*, run as the extension's owner (reg_as_extension_owner). */
static int
set_change_run(void *p)
{
	set_change		 *c = p;
	tn_adapter		  adapter;
	tn_pg_adapter_ctx ctx;
	int				  rc;

	tn_pg_adapter_init(&adapter, &ctx, NULL);
	adapter.table_prefix = SET_PREFIX;
	rc = c->change(&adapter, c->arg, &c->count, &c->err);
	return tn_pg_adapter_finish(&ctx, rc, &c->err);
}

static long long
change_tenant_set(set_change_fn change, void *arg, const char *action)
{
	set_change c;
	long long  count;
	int		   rc;

	memset(&c, 0, sizeof(c));
	c.change = change;
	c.arg = arg;
	tn_error_clear(&c.err);
	reg_spi_connect();
	reg_lock_set();
	rc = reg_as_extension_owner(set_change_run, &c);
	count = c.count;
	if (rc != TN_OK)
	{
		SPI_finish();
		tn_raise_failure(&c.err);
	}
	/* the local template follows the set now; its failure undoes the change */
	reg_template_follow_current_set();
	if (count > 0)
		reg_audit(action, NULL, psprintf("%lld migrations", count));
	SPI_finish();
	return count;
}

static int
change_load_files(const tn_adapter *a, void *arg, long long *count, tn_error *err)
{
	return tn_catalog_load_sent(a, arg, count, err);
}

long long
reg_set_load_files(size_t n, const char *const *names, const char *const *bodies,
				   const size_t *lens)
{
	tn_sent_files f = { n, names, bodies, lens };

	return change_tenant_set(change_load_files, &f, "set_load");
}

static bool
scope_is_tenants(const char *scope)
{
	tn_error err;
	int		 tenants = 0;

	tn_error_clear(&err);
	if (tn_parse_scope(scope, &tenants, &err) != TN_OK)
		tn_raise(&err);
	return tenants != 0;
}

/* tenant_migration_add(version, name, up_sql, down_sql, scope) */
Datum
tenant_migration_add_scoped(PG_FUNCTION_ARGS)
{
	char			  *scope = tn_pg_arg_text(fcinfo, 4);
	tn_migration	   m;
	tn_error		   err;
	volatile long long added = 0;

	if (!scope_is_tenants(scope))
	{
		LOCAL_FCINFO(inner, 4);

		InitFunctionCallInfoData(*inner, fcinfo->flinfo, 4, fcinfo->fncollation, NULL, NULL);
		for (int i = 0; i < 4; i++)
			inner->args[i] = fcinfo->args[i];
		tn_pg_scope_given = scope != NULL;
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
	char *scope = tn_pg_arg_text(fcinfo, 1);
	char *path;

	if (!scope_is_tenants(scope))
	{
		LOCAL_FCINFO(inner, 1);

		InitFunctionCallInfoData(*inner, fcinfo->flinfo, 1, fcinfo->fncollation, NULL, NULL);
		inner->args[0] = fcinfo->args[0];
		tn_pg_scope_given = scope != NULL;
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
