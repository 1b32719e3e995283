/*
 * tn_sql.c -- running SQL through an adapter (declared in tn_sql.h, used
 * by the core and the hosts): SQL templates with the table prefix, row
 * collection, parameters, cells, and ending a unit of work.
 *
 * Must not: contain migration logic (that lives in the engine files), or
 * reach a database other than through the adapter it is given.
 */
#include <stdlib.h>
#include <string.h>

#include "tn_sql.h"

const char *
tn_sql(const tn_adapter *a, const char *tmpl, char *buf)
{
	size_t		out = 0;
	size_t		plen = strlen(a->table_prefix);
	const char *p;

	TN_ASSERT(a->table_prefix != NULL && tmpl != NULL);
	for (p = tmpl; *p && out + plen + 1 < TN_SQL_MAX; p++)
	{
		if (p[0] == '{' && p[1] == 'T' && p[2] == '}')
		{
			memcpy(buf + out, a->table_prefix, plen);
			out += plen;
			p += 2;
		}
		else
			buf[out++] = *p;
	}
	buf[out] = '\0';
	return buf;
}

int
tn_exec(const tn_adapter *a, const char *tmpl, int nparams,
		const tn_value *params, tn_error *err)
{
	char sql[TN_SQL_MAX];

	return a->query(a->ctx, tn_sql(a, tmpl, sql), nparams, params, NULL, NULL, err);
}

static int
collect_row(void *arg, int ncols, const char *const *values, tn_error *err)
{
	tn_rows *rows = arg;

	if (ncols != rows->ncols)
		return tn_error_set(err, TN_ERR_ENGINE,
							"internal query returned %d columns, expected %d",
							ncols, rows->ncols);
	if (tn_rows_add(rows, values) != TN_OK)
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	return TN_OK;
}

int
tn_query_rows(const tn_adapter *a, const char *tmpl, int nparams,
			  const tn_value *params, int ncols, tn_rows *out, tn_error *err)
{
	char sql[TN_SQL_MAX];
	int	 rc;

	tn_rows_init(out, ncols);
	rc = a->query(a->ctx, tn_sql(a, tmpl, sql), nparams, params, collect_row, out, err);
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

tn_value
tn_text(const char *s)
{
	tn_value v;

	v.type = s ? TN_T_TEXT : TN_T_NULL;
	v.text = s;
	v.i = 0;
	return v;
}

tn_value
tn_int8(long long i)
{
	tn_value v;

	v.type = TN_T_INT8;
	v.text = NULL;
	v.i = i;
	return v;
}

tn_value
tn_null(void)
{
	tn_value v;

	v.type = TN_T_NULL;
	v.text = NULL;
	v.i = 0;
	return v;
}

long long
tn_cell_int(const char *cell, long long dflt)
{
	char	 *end;
	long long v;

	if (cell == NULL || *cell == '\0')
		return dflt;
	v = strtoll(cell, &end, 10);
	if (*end != '\0')
		return dflt;
	return v;
}

void
tn_abort(const tn_adapter *a, tn_error *err)
{
	tn_error ignored;

	tn_error_clear(&ignored);
	/* the first error is what the caller reports; a failing rollback is worse */
	if (a->rollback(a->ctx, &ignored) != TN_OK && err != NULL)
	{
		tn_error_detail_append(err, "Rolling back also failed: %s.", ignored.message);
	}
}

int
tn_finish(const tn_adapter *a, tn_error *err)
{
	int rc = a->commit(a->ctx, err);

	if (rc != TN_OK)
		tn_abort(a, err);
	return rc;
}
