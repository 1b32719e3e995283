/*
 * tn_one_tenant.c -- one named tenant asked from its registry (issue 9):
 * tenant_status(tenant), tenant_history(tenant), tenant_checkpoints(tenant)
 * and tenant_verify(tenant) read the tenant itself (its own tracking
 * tables, never the registry's cache).  The core decides what is asked
 * (tn_one_tenant_kind_parse, tn_one_tenant_read) and the errors of an
 * unknown tenant and of one that could not be read, so both engines say
 * the same words.
 *
 * Must not: open or connect to a tenant (the hosts do), or read the
 * registry.
 */
#include <string.h>

#include "tenancy.h"

static const struct
{
	tn_one_tenant_kind	 kind;
	const char			*word;
	const tn_result_def *def;
} kinds[] = {
	{ TN_ONE_STATUS, "status", &tn_def_status },
	{ TN_ONE_HISTORY, "history", &tn_def_history },
	{ TN_ONE_CHECKPOINTS, "checkpoints", &tn_def_checkpoints },
	{ TN_ONE_VERIFY, "verify", &tn_def_verify },
};

int
tn_one_tenant_kind_parse(const char *word, tn_one_tenant_kind *kind, tn_error *err)
{
	if (word == NULL)
		return tn_error_null_argument(err, "what");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(word, kinds[i].word) == 0)
		{
			*kind = kinds[i].kind;
			return TN_OK;
		}
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid tenant view \"%.64s\"", word);
	tn_error_hint(err, "Use 'status', 'history', 'checkpoints' or 'verify'.");
	return TN_ERR_INVALID_ARGUMENT;
}

const tn_result_def *
tn_one_tenant_def(tn_one_tenant_kind kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].def;
	return NULL;
}

int
tn_one_tenant_read(const tn_adapter *a, tn_one_tenant_kind kind, tn_rows *out, tn_error *err)
{
	switch (kind)
	{
		case TN_ONE_STATUS:
			return tn_status(a, out, err);
		case TN_ONE_HISTORY:
			return tn_history(a, out, err);
		case TN_ONE_CHECKPOINTS:
			return tn_checkpoints(a, out, err);
		case TN_ONE_VERIFY:
			return tn_verify(a, out, err);
	}
	return tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid tenant view");
}

int
tn_one_tenant_unknown(const char *name, tn_error *err)
{
	tn_error_set(err, TN_ERR_NOT_FOUND, "tenant \"%.128s\" does not exist", name ? name : "");
	tn_error_detail(err, "Nothing was read: the name must be a registered tenant.");
	tn_error_hint(err, "See SELECT name FROM tenants().");
	return TN_ERR_NOT_FOUND;
}

int
tn_one_tenant_failed(const char *name, int reached, tn_error *err)
{
	tn_error cause = *err;
	int		 unreachable = !reached || cause.code == TN_ERR_UNREACHABLE ||
					  (cause.code == TN_ERR_ENGINE && strncmp(cause.sqlstate, "08", 2) == 0);

	if (unreachable)
	{
		tn_error_set(err, TN_ERR_UNREACHABLE, "tenant \"%.128s\" is unreachable", name ? name : "");
		tn_error_detail(err, "%s.%s%s", cause.message, cause.detail[0] ? " " : "", cause.detail);
		tn_error_hint(err, "Nothing was read. Check that the tenant's database is there and its location is "
						   "right: SELECT name, location FROM tenants().");
		return TN_ERR_UNREACHABLE;
	}
	tn_error_set(err, cause.code == TN_OK ? TN_ERR_ENGINE : cause.code, "tenant \"%.128s\" could not be read",
				 name ? name : "");
	memcpy(err->sqlstate, cause.sqlstate, sizeof(err->sqlstate));
	tn_error_detail(err, "%s.%s%s", cause.message, cause.detail[0] ? " " : "", cause.detail);
	if (cause.hint[0])
		tn_error_hint(err, "%s", cause.hint);
	return err->code;
}

int
tn_one_tenant_error_row(const char *name, const char *message, const char *sqlstate, tn_error *err)
{
	tn_error_clear(err);
	if (message == NULL)
		return tn_one_tenant_unknown(name, err);
	/*
	 * An error row of tenant_query_all: the tenant's own SQLSTATE, whatever
	 * its class (an internal one too: "XX000 tuple concurrently updated" is
	 * the tenant's, and transient, tn_error_transient).  A value that is
	 * not an SQLSTATE never came from a tenant: the caller passed it, an
	 * argument error (22023), so no call of tenancy.one_tenant_error by
	 * hand ends in an internal error class (pg_ext/t/006_sweep.pl).
	 */
	if (sqlstate != NULL && strncmp(sqlstate, "08", 2) == 0)
		tn_error_set(err, TN_ERR_UNREACHABLE, "%s", message);
	else if (sqlstate != NULL && strlen(sqlstate) == 5 &&
			 strspn(sqlstate, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 5)
	{
		tn_error_set(err, TN_ERR_ENGINE, "%s", message);
		memcpy(err->sqlstate, sqlstate, 6);
	}
	else
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "%s", message);
	tn_one_tenant_failed(name, 1, err);
	if (tn_error_transient(err) && err->hint[0] == '\0')
		tn_error_hint(err, "%s", TN_TRANSIENT_READ_HINT);
	return err->code;
}
