/*
 * tn_fallback_all.c -- the decisions of the registry-level fallback
 * (tenant_fallback_pull_all / _push_all / _status_all): how a tenant of a
 * PostgreSQL registry is reached from the registry's connection string,
 * the status word of each tenant's row, and the shapes of the rows.
 *
 * Must not: talk to a database or include a host header.
 */
#include <string.h>

#include "tenancy.h"
#include "tn_internal.h"

#define COUNT_OF(a) ((int) (sizeof(a) / sizeof((a)[0])))

static const tn_column pull_all_cols[] = {
	{ "tenant", TN_COL_TEXT },
	{ "status", TN_COL_TEXT },
	{ "created", TN_COL_BOOL },
	{ "tables", TN_COL_INT8 },
	{ "rows", TN_COL_INT8 },
	{ "duration_ms", TN_COL_INT8 },
	{ "error", TN_COL_TEXT },
};
const tn_result_def tn_def_fallback_pull_all = { "tenant_fallback_pull_all", COUNT_OF(pull_all_cols),
												 pull_all_cols };

static const tn_column push_all_cols[] = {
	{ "tenant", TN_COL_TEXT },
	{ "status", TN_COL_TEXT },
	{ "changes", TN_COL_INT8 },
	{ "conflicts", TN_COL_INT8 },
	{ "duration_ms", TN_COL_INT8 },
	{ "error", TN_COL_TEXT },
};
const tn_result_def tn_def_fallback_push_all = { "tenant_fallback_push_all", COUNT_OF(push_all_cols),
												 push_all_cols };

static const tn_column status_all_cols[] = { { "tenant", TN_COL_TEXT }, TN_FB_STATUS_COLUMNS };
const tn_result_def	   tn_def_fallback_status_all = { "tenant_fallback_status_all", COUNT_OF(status_all_cols),
													  status_all_cols };

const char *
tn_fb_all_status(const char *done, int rc, long long conflicts)
{
	if (rc == TN_ERR_UNREACHABLE)
		return TN_FANOUT_UNREACHABLE;
	if (rc != TN_OK)
		return TN_FANOUT_FAILED;
	return conflicts > 0 ? TN_FB_CONFLICT : done;
}

const char *
tn_fb_push_all_status(int rc, int contacted, long long conflicts)
{
	if (rc == TN_OK && !contacted)
		return TN_FANOUT_UNCHANGED;
	return tn_fb_all_status(TN_FB_PUSHED, rc, conflicts);
}

/* Append value as a conninfo value: single-quoted, \ and ' escaped. */
static int
conninfo_value(const char *value, tn_buf *out)
{
	const char *p;
	int			rc = tn_buf_append(out, "'", 1);

	for (p = value; rc == TN_OK && *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			rc = tn_buf_append(out, "\\", 1);
		if (rc == TN_OK)
			rc = tn_buf_append(out, p, 1);
	}
	return rc == TN_OK ? tn_buf_append(out, "'", 1) : rc;
}

int
tn_fb_tenant_conninfo(const char *registry, const char *location, const char *dbname,
					  const char *schema, tn_buf *out, tn_error *err)
{
	const char *base = location != NULL && location[0] != '\0' ? location : registry;
	tn_buf		opt = { 0 };
	int			rc;

	if (base == NULL || dbname == NULL)
		return tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant has no database to reach");
	if (strncmp(base, "postgres://", 11) == 0 || strncmp(base, "postgresql://", 13) == 0)
	{
		tn_error_set(err, TN_ERR_NOT_SUPPORTED, "a connection URI cannot name the tenant's database");
		tn_error_detail(err, "The tenant's database and schema are added to the connection string as key=value pairs.");
		tn_error_hint(err, "Give the registry (and the tenant's location) as key=value connection strings.");
		return err->code;
	}
	/* later keywords win: the tenant's database, then its schema first on the search path */
	rc = tn_buf_printf(out, "%s dbname=", base);
	if (rc == TN_OK)
		rc = conninfo_value(dbname, out);
	if (rc == TN_OK && schema != NULL && schema[0] != '\0')
	{
		/* -c search_path="<schema>": in options, a space or a backslash is escaped by a backslash */
		const char *p;

		rc = tn_buf_printf(&opt, "-csearch_path=");
		if (rc == TN_OK)
			rc = tn_fb_quote_ident(schema, &opt);
		for (p = opt.data; rc == TN_OK && p && *p; p++)
			if (*p == ' ' || *p == '\\')
			{
				tn_buf esc = { 0 };
				size_t at = (size_t) (p - opt.data);

				rc = tn_buf_append(&esc, opt.data, at);
				if (rc == TN_OK)
					rc = tn_buf_printf(&esc, "\\%s", p);
				tn_buf_free(&opt);
				opt = esc;
				p = opt.data + at + 1;
			}
		if (rc == TN_OK)
			rc = tn_buf_printf(out, " options=");
		if (rc == TN_OK)
			rc = conninfo_value(opt.data, out);
	}
	tn_buf_free(&opt);
	return rc == TN_OK ? TN_OK : tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
}
