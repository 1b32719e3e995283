/*
 * tn_schema_tracking.c -- where a schema tenant's tracking rows are
 * (issue 14).
 *
 * From extension version 1.4 the rows of every schema tenant of a database
 * live in tables tenancy owns, keyed by schema (tenancy.schema_catalog,
 * schema_applied, schema_history, schema_checkpoints).  The core reads and
 * writes them through the views tenancy.tenant_* (the adapter's table
 * prefix "tenancy.tenant_"), which show, and insert with, the schema named
 * by the setting tenancy.tenant_schema.  This file sets that setting for
 * the life of one adapter and restores it when the adapter is finished, so
 * the core's SQL is the same for every schema (one cached plan each, no
 * relation per tenant).  The setting is superuser-only: a migration body
 * running as the schema's (non-superuser) owner cannot point the views at
 * another schema.
 *
 * An extension not yet updated to 1.4 (the .so is new, the SQL objects are
 * older) has no such views: its schema tenants keep <schema>.tenancy_*,
 * checked by tn_tracking_guard.c, exactly as before.
 *
 * Must not: read or write tracking rows itself (the core does, through the
 * adapter), or leave the setting changed after the adapter is finished.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "spi_adapter.h"

bool
tn_pg_schema_tracking_shared(void)
{
	Oid nsp = get_namespace_oid("tenancy", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid("tenant_applied", nsp));
}

const char *
tn_pg_schema_tracking_begin(tn_pg_adapter_ctx *ctx, const char *schema)
{
	if (!tn_pg_schema_tracking_shared())
	{
		/* before 1.4: its own tables, which must be tenancy's (finding 3) */
		tn_pg_check_tracking_tables(schema);
		return psprintf("%s.tenancy_", quote_identifier(schema));
	}
	/* a nest level of our own: ended (and the value restored) by _end */
	ctx->tracking_nestlevel = NewGUCNestLevel();
	ctx->tracking_schema = pstrdup(schema);
	(void) set_config_option(TN_PG_SCHEMA_SETTING, schema, PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return "tenancy.tenant_";
}

void
tn_pg_schema_tracking_reassert(tn_pg_adapter_ctx *ctx)
{
	const char *now;

	if (ctx->tracking_nestlevel <= 0)
		return;
	now = GetConfigOption(TN_PG_SCHEMA_SETTING, true, false);
	if (now != NULL && strcmp(now, ctx->tracking_schema) == 0)
		return;
	/* SET, not SAVE: it must outlast the body's subtransaction; _end restores */
	(void) set_config_option(TN_PG_SCHEMA_SETTING, ctx->tracking_schema, PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SET, true, 0, false);
}

void
tn_pg_schema_tracking_end(tn_pg_adapter_ctx *ctx)
{
	if (ctx->tracking_nestlevel > 0)
		AtEOXact_GUC(true, ctx->tracking_nestlevel);
	ctx->tracking_nestlevel = 0;
	ctx->tracking_schema = NULL;
}
