/*
 * tn_history.c -- the history table of one database: appending a row
 * (every operation records what it did) and tenant_history().
 *
 * Must not: decide what happened (the callers do), or open a unit of work
 * of its own (rows are written in the caller's).
 */
#include "tn_internal.h"

int
tn_history_add(const tn_adapter *a, const char *action, const char *version,
			   long long batch, const char *detail, tn_error *err)
{
	tn_value p[4];

	p[0] = tn_text(action);
	p[1] = tn_text(version);
	p[2] = batch > 0 ? tn_int8(batch) : tn_null();
	p[3] = tn_text(detail);
	return tn_exec(a, "INSERT INTO {T}history (action, version, batch, detail) VALUES ($1, $2, $3, $4)",
				   4, p, err);
}

int
tn_history(const tn_adapter *a, tn_rows *out, tn_error *err)
{
	return tn_query_rows(a, "SELECT id, at, action, version, batch, detail FROM {T}history ORDER BY id",
						 0, NULL, tn_def_history.ncols, out, err);
}
