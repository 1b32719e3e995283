/*
 * tn_sqlutil.c -- small helpers the engine files use to talk to the adapter:
 * SQL templates with the table prefix, row collection, parameters, clocks.
 *
 * Must not contain migration logic; that lives in the engine files.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tn_internal.h"

const char *
tn_sql(const tn_adapter *a, const char *tmpl, char *buf)
{
	size_t		out = 0;
	size_t		plen = strlen(a->table_prefix);
	const char *p;

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
	char		sql[TN_SQL_MAX];

	return a->query(a->ctx, tn_sql(a, tmpl, sql), nparams, params, NULL, NULL, err);
}

static int
collect_row(void *arg, int ncols, const char *const *values, tn_error *err)
{
	tn_rows    *rows = arg;

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
	char		sql[TN_SQL_MAX];
	int			rc;

	tn_rows_init(out, ncols);
	rc = a->query(a->ctx, tn_sql(a, tmpl, sql), nparams, params, collect_row, out, err);
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

tn_value
tn_text(const char *s)
{
	tn_value	v;

	v.type = s ? TN_T_TEXT : TN_T_NULL;
	v.text = s;
	v.i = 0;
	return v;
}

tn_value
tn_int8(long long i)
{
	tn_value	v;

	v.type = TN_T_INT8;
	v.text = NULL;
	v.i = i;
	return v;
}

tn_value
tn_null(void)
{
	tn_value	v;

	v.type = TN_T_NULL;
	v.text = NULL;
	v.i = 0;
	return v;
}

long long
tn_cell_int(const char *cell, long long dflt)
{
	char	   *end;
	long long	v;

	if (cell == NULL || *cell == '\0')
		return dflt;
	v = strtoll(cell, &end, 10);
	if (*end != '\0')
		return dflt;
	return v;
}

double
tn_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

void
tn_utc_stamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm	tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, size, "%04d%02d%02dT%02d%02d%02d.%06ldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

char *
tn_strdup(const char *s, tn_error *err)
{
	size_t		n;
	char	   *c;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	c = malloc(n);
	if (c == NULL)
	{
		tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		return NULL;
	}
	memcpy(c, s, n);
	return c;
}

void
tn_abort(const tn_adapter *a, tn_error *err)
{
	tn_error	ignored;

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
	int			rc = a->commit(a->ctx, err);

	if (rc != TN_OK)
		tn_abort(a, err);
	return rc;
}

/* Line number (1-based) of the first token at or after offset. */
int
tn_line_of_offset(const char *script, long offset)
{
	long		i;
	long		len = (long) strlen(script);
	int			line = 1;

	if (offset < 0 || offset > len)
		return 0;
	/* engines differ in where a statement starts: skip blanks and comments */
	for (;;)
	{
		while (offset < len && isspace((unsigned char) script[offset]))
			offset++;
		if (offset + 1 < len && script[offset] == '-' && script[offset + 1] == '-')
		{
			while (offset < len && script[offset] != '\n')
				offset++;
		}
		else if (offset + 1 < len && script[offset] == '/' && script[offset + 1] == '*')
		{
			const char *end = strstr(script + offset + 2, "*/");

			offset = end ? (long) (end - script) + 2 : len;
		}
		else
			break;
	}
	for (i = 0; i < offset; i++)
		if (script[i] == '\n')
			line++;
	return line;
}

/* Turn an engine error from a migration body into TN_ERR_MIGRATION_FAILED. */
int
tn_migration_failed(tn_error *err, const tn_entry *e, const char *what,
				 const char *script, long offset, const char *aftermath)
{
	tn_error	engine = *err;
	int			line = tn_line_of_offset(script, offset);
	char		where[64] = "";

	if (line > 0)
		snprintf(where, sizeof(where), " at line %d", line);
	tn_error_set(err, TN_ERR_MIGRATION_FAILED, "%s \"%s\" failed", what, e->version);
	memcpy(err->sqlstate, engine.sqlstate, sizeof(err->sqlstate));
	if (engine.sqlstate[0])
		tn_error_detail(err, "The statement%s of \"%s\" (%s) failed with SQLSTATE %s: %s.",
						where, e->version, e->name, engine.sqlstate, engine.message);
	else
		tn_error_detail(err, "The statement%s of \"%s\" (%s) failed: %s.",
						where, e->version, e->name, engine.message);
	if (engine.detail[0])
		tn_error_detail_append(err, "%s", engine.detail);
	tn_error_detail_append(err, "%s", aftermath);
	if (engine.hint[0])
		tn_error_hint(err, "%s", engine.hint);
	else
		tn_error_hint(err, "Fix the migration and run the migration again.");
	return TN_ERR_MIGRATION_FAILED;
}

