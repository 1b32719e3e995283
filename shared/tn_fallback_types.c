/*
 * tn_fallback_types.c -- the type mapping of a SQLite fallback: which kind
 * a PostgreSQL column is, how it is declared in SQLite, the PostgreSQL
 * expression that reads it in its SQLite form (pull), and the SQLite and
 * PostgreSQL expressions that carry it back (push, through
 * json_populate_record on the primary).
 *
 * Must not: talk to a database or include a host header; the hosts only
 * paste these expressions into their statements.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenancy.h"
#include "tn_internal.h"

const char *const tn_fb_session_sql =
	"SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';"
	" SET extra_float_digits = 1; SET bytea_output = 'hex'";

static const struct
{
	const char *type;
	tn_fb_kind	kind;
} named_types[] = {
	{ "boolean", TN_FB_BOOL },
	{ "smallint", TN_FB_INT },
	{ "integer", TN_FB_INT },
	{ "bigint", TN_FB_INT },
	{ "oid", TN_FB_INT },
	{ "real", TN_FB_REAL },
	{ "double precision", TN_FB_REAL },
	{ "numeric", TN_FB_NUMERIC },
	{ "text", TN_FB_TEXT },
	{ "character varying", TN_FB_TEXT },
	{ "character", TN_FB_TEXT },
	{ "\"char\"", TN_FB_TEXT },
	{ "name", TN_FB_TEXT },
	{ "citext", TN_FB_TEXT },
	{ "json", TN_FB_JSON },
	{ "jsonb", TN_FB_JSON },
	{ "timestamp with time zone", TN_FB_TIMESTAMPTZ },
	{ "timestamp without time zone", TN_FB_DATETIME },
	{ "date", TN_FB_DATETIME },
	{ "time without time zone", TN_FB_DATETIME },
	{ "time with time zone", TN_FB_DATETIME },
	{ "uuid", TN_FB_UUID },
	{ "bytea", TN_FB_BYTEA },
};

tn_fb_kind
tn_fb_type_kind(const char *base_type, char typtype, char typcategory)
{
	size_t i;

	if (typcategory == 'A')
		return TN_FB_STRUCTURED;
	if (typtype == 'c')
		return TN_FB_STRUCTURED;
	if (typtype == 'e')
		return TN_FB_TEXT;
	if (base_type == NULL)
		return TN_FB_OTHER;
	for (i = 0; i < sizeof(named_types) / sizeof(named_types[0]); i++)
		if (strcmp(base_type, named_types[i].type) == 0)
			return named_types[i].kind;
	return TN_FB_OTHER;
}

const char *
tn_fb_kind_name(tn_fb_kind kind)
{
	switch (kind)
	{
		case TN_FB_BOOL:
			return "bool";
		case TN_FB_INT:
			return "int";
		case TN_FB_REAL:
			return "real";
		case TN_FB_NUMERIC:
			return "numeric";
		case TN_FB_TEXT:
			return "text";
		case TN_FB_JSON:
			return "json";
		case TN_FB_TIMESTAMPTZ:
			return "timestamptz";
		case TN_FB_DATETIME:
			return "datetime";
		case TN_FB_UUID:
			return "uuid";
		case TN_FB_BYTEA:
			return "bytea";
		case TN_FB_STRUCTURED:
			return "structured";
		case TN_FB_OTHER:
			break;
	}
	return "other";
}

const char *
tn_fb_sqlite_decl(tn_fb_kind kind)
{
	switch (kind)
	{
		case TN_FB_BOOL:
		case TN_FB_INT:
			return "INTEGER";
		case TN_FB_REAL:
			return "REAL";
		case TN_FB_BYTEA:
			return "BLOB";
		default:
			return "TEXT";
	}
}

tn_fb_bind
tn_fb_kind_bind(tn_fb_kind kind)
{
	switch (kind)
	{
		case TN_FB_BOOL:
		case TN_FB_INT:
			return TN_FB_BIND_INT;
		case TN_FB_REAL:
			return TN_FB_BIND_REAL;
		case TN_FB_BYTEA:
			return TN_FB_BIND_BLOB_HEX;
		case TN_FB_TIMESTAMPTZ:
			return TN_FB_BIND_TIMESTAMPTZ;
		default:
			return TN_FB_BIND_TEXT;
	}
}

int
tn_fb_pull_expr(tn_fb_kind kind, const char *c, tn_buf *out)
{
	switch (kind)
	{
		case TN_FB_BOOL:
			return tn_buf_printf(out, "(%s)::int4", c);
		case TN_FB_STRUCTURED:
			return tn_buf_printf(out, "pg_catalog.to_json(%s)::text", c);
		case TN_FB_INT:
		case TN_FB_REAL:
		case TN_FB_BYTEA:
			return tn_buf_printf(out, "%s", c);
		default:
			return tn_buf_printf(out, "(%s)::text", c);
	}
}

int
tn_fb_push_expr(tn_fb_kind kind, const char *c, tn_buf *out)
{
	switch (kind)
	{
		case TN_FB_REAL:

			/*
			 * 17 significant digits by the C library (SQLite's own printf
			 * is not exact near DBL_MAX): the primary reads the same double.
			 */
			return tn_buf_printf(out, "tenancy_fb_real(%s)", c);
		case TN_FB_STRUCTURED:
			return tn_buf_printf(out, "CASE WHEN json_valid(%s) THEN json(%s) ELSE %s END",
								 c, c, c);
		case TN_FB_BYTEA:
			return tn_buf_printf(out,
								 "CASE WHEN %s IS NULL THEN NULL ELSE '\\x' || hex(%s) END", c, c);
		default:
			return tn_buf_printf(out, "%s", c);
	}
}

int
tn_fb_pg_value_expr_in(tn_fb_kind kind, const char *colname, const char *qcol,
					   const char *qtype, const char *rec, const char *jkey, tn_buf *out)
{
	int rc;

	if (kind != TN_FB_JSON)
		return tn_buf_printf(out, "%s.%s", rec, qcol);
	/* json keeps its exact text: read the pushed string, cast it */
	if ((rc = tn_buf_printf(out, "((tenancy_e->'%s')->>", jkey)) != TN_OK ||
		(rc = tn_fb_quote_literal(colname, out)) != TN_OK)
		return rc;
	return tn_buf_printf(out, ")::%s", qtype);
}

int
tn_fb_pg_value_expr(tn_fb_kind kind, const char *colname, const char *qcol,
					const char *qtype, tn_buf *out)
{
	return tn_fb_pg_value_expr_in(kind, colname, qcol, qtype, "tenancy_r", "r", out);
}

int
tn_fb_timestamptz_iso(const char *v, char *out, size_t size)
{
	size_t n = strlen(v);
	size_t i;

	/* YYYY-MM-DD HH:MM:SS[.f+]+00 and nothing else */
	if (n < 22 || n + 1 > size || strcmp(v + n - 3, "+00") != 0 || v[10] != ' ' ||
		v[4] != '-' || v[7] != '-' || v[13] != ':' || v[16] != ':')
	{
		snprintf(out, size, "%s", v);
		return 0;
	}
	for (i = 0; i < n - 3; i++)
		if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && i != 19 &&
			!(v[i] >= '0' && v[i] <= '9'))
		{
			snprintf(out, size, "%s", v);
			return 0;
		}
	if (n - 3 > 19 && v[19] != '.')
	{
		snprintf(out, size, "%s", v);
		return 0;
	}
	memcpy(out, v, n - 3);
	out[10] = 'T';
	out[n - 3] = 'Z';
	out[n - 2] = '\0';
	return 1;
}

void
tn_fb_row_hash(int ncols, const char *const *values, char out[TN_FB_HASH_LEN])
{
	unsigned long long h = 1469598103934665603ULL;
	int				   i;

	for (i = 0; i < ncols; i++)
	{
		const unsigned char *p = (const unsigned char *) values[i];
		char				 len[24];
		const unsigned char *q;

		/* "-" for NULL, else "<length>:" then the bytes */
		if (p == NULL)
			snprintf(len, sizeof(len), "-");
		else
			snprintf(len, sizeof(len), "%zu:", strlen(values[i]));
		for (q = (const unsigned char *) len; *q; q++)
			h = (h ^ *q) * 1099511628211ULL;
		for (; p && *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
	}
	snprintf(out, TN_FB_HASH_LEN, "%016llx", h);
}

int
tn_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
tn_fb_hex_decode(const char *text, unsigned char **out, size_t *len,
				 tn_error *err)
{
	size_t		   n;
	size_t		   i;
	unsigned char *b;

	*out = NULL;
	*len = 0;
	if (text == NULL || text[0] != '\\' || text[1] != 'x' || (strlen(text + 2) % 2) != 0)
		return tn_error_set(err, TN_ERR_FORMAT, "bytea value is not in hex format");
	n = strlen(text + 2) / 2;
	b = malloc(n ? n : 1);
	if (b == NULL)
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	for (i = 0; i < n; i++)
	{
		int hi = tn_hex_value((unsigned char) text[2 + 2 * i]);
		int lo = tn_hex_value((unsigned char) text[3 + 2 * i]);

		if (hi < 0 || lo < 0)
		{
			free(b);
			return tn_error_set(err, TN_ERR_FORMAT, "bytea value is not in hex format");
		}
		b[i] = (unsigned char) (hi * 16 + lo);
	}
	*out = b;
	*len = n;
	return TN_OK;
}

static int
quote_with(const char *s, char q, tn_buf *out)
{
	const char *p;
	int			rc;

	if ((rc = tn_buf_append(out, &q, 1)) != TN_OK)
		return rc;
	for (p = s; *p; p++)
	{
		if (*p == q && (rc = tn_buf_append(out, &q, 1)) != TN_OK)
			return rc;
		if ((rc = tn_buf_append(out, p, 1)) != TN_OK)
			return rc;
	}
	return tn_buf_append(out, &q, 1);
}

int
tn_fb_quote_ident(const char *ident, tn_buf *out)
{
	return quote_with(ident, '"', out);
}

int
tn_fb_quote_literal(const char *s, tn_buf *out)
{
	return quote_with(s, '\'', out);
}
