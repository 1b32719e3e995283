/*
 * tn_args.c -- the word arguments of the SQL functions: scope, checkpoint
 * mode, tenant kind, drop mode, the target version, and the numbers of the
 * fan-outs (concurrency, max_failures).  Each argument is read
 * here once, so both engines accept the words the README lists and refuse
 * the others with the core's message; where the engines differ (the kinds
 * of tenant, what 'keep' keeps) the engine is an argument.
 *
 * Must not: reach a database, include a host header, or allocate.
 */
#include <string.h>

#include "tn_internal.h"

int
tn_parse_scope(const char *scope, int *tenants, tn_error *err)
{
	*tenants = 0;
	if (scope == NULL || strcmp(scope, "database") == 0)
		return TN_OK;
	if (strcmp(scope, "tenants") == 0)
	{
		*tenants = 1;
		return TN_OK;
	}
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid scope \"%s\"", scope);
	tn_error_hint(err, "Use 'database' (this database's own migrations, the default) or 'tenants' "
					   "(the set the registry pushes to its tenants).");
	return TN_ERR_INVALID_ARGUMENT;
}

int
tn_parse_checkpoint_mode(const char *mode, int *snapshot, tn_error *err)
{
	*snapshot = 0;
	if (mode == NULL || strcmp(mode, "marker") == 0)
		return TN_OK;
	if (strcmp(mode, "snapshot") == 0)
	{
		*snapshot = 1;
		return TN_OK;
	}
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid checkpoint mode \"%s\"", mode);
	tn_error_hint(err, "Use 'marker' (the default) or 'snapshot'.");
	return TN_ERR_INVALID_ARGUMENT;
}

int
tn_parse_tenant_kind(const char *kind, tn_dialect engine, tn_tenant_kind *out,
					 tn_error *err)
{
	if (engine == TN_DIALECT_SQLITE)
	{
		*out = TN_KIND_FILE;
		if (kind == NULL || strcmp(kind, "file") == 0)
			return TN_OK;
		tn_error_set(err, TN_ERR_NOT_SUPPORTED, "tenant kind \"%s\" is not supported on SQLite", kind);
		tn_error_detail(err, "A SQLite tenant is a database file beside the registry: its kind is 'file'. "
							 "The kinds 'database' and 'schema' exist on PostgreSQL only.");
		tn_error_hint(err, "Pass 'file' or NULL as the kind.");
		return TN_ERR_NOT_SUPPORTED;
	}
	*out = TN_KIND_DATABASE;
	if (kind == NULL || strcmp(kind, "database") == 0)
		return TN_OK;
	if (strcmp(kind, "schema") == 0)
	{
		*out = TN_KIND_SCHEMA;
		return TN_OK;
	}
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid tenant kind \"%s\"", kind);
	tn_error_hint(err, "Use 'database' (the default) or 'schema'.");
	return TN_ERR_INVALID_ARGUMENT;
}

const char *
tn_tenant_kind_name(tn_tenant_kind kind)
{
	switch (kind)
	{
		case TN_KIND_DATABASE:
			return "database";
		case TN_KIND_SCHEMA:
			return "schema";
		case TN_KIND_FILE:
			return "file";
	}
	TN_ASSERT(!"unknown tenant kind");
	return "unknown";
}

int
tn_parse_drop_mode(const char *mode, tn_dialect engine, int *delete_data,
				   tn_error *err)
{
	*delete_data = 0;
	if (mode == NULL || strcmp(mode, "keep") == 0)
		return TN_OK;
	if (strcmp(mode, "delete") == 0)
	{
		*delete_data = 1;
		return TN_OK;
	}
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid drop mode \"%s\"", mode);
	/* what "keep" keeps is the engine's: a database (or schema), or a file */
	tn_error_hint(err, "Use 'keep' (the default: unregister, keep the %s) or 'delete'.",
				  engine == TN_DIALECT_SQLITE ? "file" : "database");
	return TN_ERR_INVALID_ARGUMENT;
}

int
tn_parse_target(const char *target, const char **out, tn_error *err)
{
	*out = tn_version_strip(target);
	if (*out == NULL)
		return TN_OK;
	return tn_version_validate(*out, err);
}

int
tn_check_concurrency(long long concurrency, tn_error *err)
{
	if (concurrency >= 1 && concurrency <= TN_FANOUT_MAX_CONCURRENCY)
		return TN_OK;
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "concurrency must be between 1 and %d",
				 TN_FANOUT_MAX_CONCURRENCY);
	tn_error_detail(err, "%lld was given.", concurrency);
	tn_error_hint(err, "Pass NULL for the default.");
	return TN_ERR_INVALID_ARGUMENT;
}

int
tn_check_batch_size(long long batch_size, tn_error *err)
{
	if (batch_size >= 1)
		return TN_OK;
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "batch_size must be a whole number of 1 or more");
	tn_error_detail(err, "%lld was given.", batch_size);
	tn_error_hint(err, "Each batch of that many migrations commits on its own; 500 suits most servers.");
	return TN_ERR_INVALID_ARGUMENT;
}

int
tn_error_batches_need_commit(tn_error *err)
{
	tn_error_set(err, TN_ERR_NO_TRANSACTION, "tenant_migrate_in_batches() must commit between batches");
	tn_error_detail(err, "It was called inside a transaction block, where it cannot commit.");
	tn_error_hint(err, "Call it on its own, outside BEGIN ... COMMIT.");
	return TN_ERR_NO_TRANSACTION;
}

int
tn_check_max_failures(long long max_failures, tn_error *err)
{
	if (max_failures >= 0)
		return TN_OK;
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "max_failures must be a whole number of 0 or more");
	tn_error_detail(err, "%lld was given.", max_failures);
	tn_error_hint(err, "Pass NULL or 0 for no limit.");
	return TN_ERR_INVALID_ARGUMENT;
}
