/*
 * tn_set.c -- a migration set ("the tenant set" of a registry): freeing
 * it, finding a version in it, counting what is newer than a tenant's
 * version, checking a target against it, reading it from a catalog table
 * through the adapter, and the one-text-value transport that carries it
 * to a tenant in the same round trip as the migrate call.
 *
 * Must not: write to a database, include a host header, or keep memory
 * after returning (a set is caller-owned, freed with
 * tn_migration_set_free).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

#define SET_MAGIC "tnset1\n"

void
tn_migration_set_free(tn_migration_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->count; i++)
		tn_migration_clear(&set->items[i]);
	free(set->items);
	set->items = NULL;
	set->count = 0;
	set->cap = 0;
}

static int
put_field(tn_buf *b, const char *s)
{
	if (s == NULL)
		return tn_buf_append(b, "-1:", 3);
	if (tn_buf_printf(b, "%zu:", strlen(s)) != TN_OK)
		return TN_ERR_NO_MEMORY;
	return tn_buf_append(b, s, strlen(s));
}

int
tn_set_encode(const tn_migration_set *set, tn_buf *out, tn_error *err)
{
	size_t i;
	int	   rc;

	memset(out, 0, sizeof(*out));
	rc = tn_buf_append(out, SET_MAGIC, strlen(SET_MAGIC));
	for (i = 0; rc == TN_OK && i < set->count; i++)
	{
		const tn_migration *m = &set->items[i];
		char				flags[32];

		snprintf(flags, sizeof(flags), "%llu", m->flags);
		rc = put_field(out, m->version);
		if (rc == TN_OK)
			rc = put_field(out, m->name);
		if (rc == TN_OK)
			rc = put_field(out, m->up_sql);
		if (rc == TN_OK)
			rc = put_field(out, m->down_sql);
		if (rc == TN_OK)
			rc = put_field(out, m->checksum);
		if (rc == TN_OK)
			rc = put_field(out, flags);
		if (rc == TN_OK)
			rc = put_field(out, m->source);
	}
	if (rc != TN_OK)
	{
		tn_buf_free(out);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	if (out->data == NULL)
		return tn_buf_append(out, "", 0) == TN_OK ? TN_OK : tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	return TN_OK;
}

/* Read one "<len>:<bytes>" field; *field is malloc'd or NULL for -1. */
static int
get_field(const char **p, const char *end, char **field, int *is_null)
{
	char	 *stop;
	long long len;

	*field = NULL;
	*is_null = 0;
	if (*p >= end)
		return -1;
	len = strtoll(*p, &stop, 10);
	if (stop == *p || stop >= end || *stop != ':')
		return -1;
	*p = stop + 1;
	if (len == -1)
	{
		*is_null = 1;
		return 0;
	}
	if (len < 0 || len > (long long) (end - *p))
		return -1;
	*field = malloc((size_t) len + 1);
	if (*field == NULL)
		return -2;
	memcpy(*field, *p, (size_t) len);
	(*field)[len] = '\0';
	if (strlen(*field) != (size_t) len)
	{
		free(*field);
		*field = NULL;
		return -1; /* embedded NUL */
	}
	*p += len;
	return 0;
}

int
tn_set_decode(const char *text, tn_migration_set *out, tn_error *err)
{
	const char *p = text;
	const char *end;
	int			rc = TN_OK;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return tn_error_null_argument(err, "tenant_set");
	end = text + strlen(text);
	if (strncmp(p, SET_MAGIC, strlen(SET_MAGIC)) != 0)
	{
		tn_error_set(err, TN_ERR_FORMAT, "tenant set is not in tenancy's transport format");
		tn_error_detail(err, "The value must start with \"tnset1\" as written by tenant_migrate_all().");
		return TN_ERR_FORMAT;
	}
	p += strlen(SET_MAGIC);
	while (p < end && rc == TN_OK)
	{
		char		 *f[7];
		int			  nul[7];
		int			  k, bad = 0;
		tn_migration *m;
		char		  sum[TN_CHECKSUM_LEN];

		for (k = 0; k < 7; k++)
		{
			int r = bad ? -1 : get_field(&p, end, &f[k], &nul[k]);

			if (bad)
				f[k] = NULL;
			if (r == -2)
				rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
			if (r != 0)
				bad = 1;
		}
		if (!bad && (f[0] == NULL || f[1] == NULL || f[2] == NULL || f[4] == NULL || f[5] == NULL))
			bad = 1;
		if (!bad && out->count == out->cap)
		{
			size_t		  cap = out->cap ? out->cap * 2 : 16;
			tn_migration *items = realloc(out->items, cap * sizeof(*items));

			if (items == NULL)
			{
				rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
				bad = 1;
			}
			else
			{
				out->items = items;
				out->cap = cap;
			}
		}
		if (!bad && (tn_version_validate(f[0], err) != TN_OK ||
					 tn_checksum(f[2], strlen(f[2]), sum, err) != TN_OK ||
					 strcmp(sum, f[4]) != 0))
		{
			rc = tn_error_set(err, TN_ERR_FORMAT, "tenant set entry \"%s\" is damaged", f[0]);
			tn_error_detail(err, "Its version is invalid or its body does not match its checksum.");
			bad = 1;
		}
		if (bad)
		{
			for (k = 0; k < 7; k++)
				free(f[k]);
			if (rc == TN_OK)
				rc = tn_error_set(err, TN_ERR_FORMAT, "tenant set is truncated or malformed");
			break;
		}
		m = &out->items[out->count++];
		memset(m, 0, sizeof(*m));
		m->version = f[0];
		m->name = f[1];
		m->up_sql = f[2];
		m->down_sql = f[3];
		snprintf(m->checksum, sizeof(m->checksum), "%s", f[4]);
		m->flags = strtoull(f[5], NULL, 10);
		free(f[5]);
		m->source = f[6];
		m->dialect = TN_DIALECT_POSTGRES;
		if (out->count > 1 && tn_version_compare(out->items[out->count - 2].version, m->version) >= 0)
		{
			rc = tn_error_set(err, TN_ERR_FORMAT, "tenant set is not sorted by version at \"%s\"", m->version);
			break;
		}
	}
	if (rc != TN_OK)
		tn_migration_set_free(out);
	return rc;
}

long long
tn_set_count_newer(const tn_migration_set *set, const char *version)
{
	long long n = 0;
	size_t	  i;

	for (i = 0; i < set->count; i++)
		if (!tn_version_is_repeatable(set->items[i].version) &&
			(version == NULL || version[0] == '\0' ||
			 tn_version_compare(set->items[i].version, version) > 0))
			n++;
	return n;
}

int
tn_set_repeatables_record(const tn_migration_set *set, tn_buf *out, tn_error *err)
{
	memset(out, 0, sizeof(*out));
	if (tn_buf_append(out, "", 0) != TN_OK)
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < set->count; i++)
		if (tn_repeatables_record_add(out, set->items[i].version, set->items[i].checksum) != TN_OK)
		{
			tn_buf_free(out);
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		}
	return TN_OK;
}

int
tn_repeatables_record_add(tn_buf *out, const char *version, const char *checksum)
{
	if (!tn_version_is_repeatable(version) || checksum == NULL)
		return TN_OK;
	return tn_buf_printf(out, "%s %s\n", version, checksum);
}

/* Is the line "<version> <checksum>" in record? */
static int
record_has(const char *record, const char *version, const char *checksum)
{
	size_t vlen = strlen(version), clen = strlen(checksum);

	for (const char *line = record; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, version, vlen) == 0 && line[vlen] == ' ' &&
			strncmp(line + vlen + 1, checksum, clen) == 0 &&
			(line[vlen + 1 + clen] == '\n' || line[vlen + 1 + clen] == '\0'))
			return 1;
	return 0;
}

long long
tn_set_count_pending(const tn_migration_set *set, const char *version, const char *repeatables)
{
	long long n = tn_set_count_newer(set, version);

	for (size_t i = 0; i < set->count; i++)
		if (tn_version_is_repeatable(set->items[i].version) &&
			(repeatables == NULL ||
			 !record_has(repeatables, set->items[i].version, set->items[i].checksum)))
			n++;
	return n;
}

const tn_migration *
tn_set_find(const tn_migration_set *set, const char *version)
{
	for (size_t i = 0; set && version && i < set->count; i++)
		if (tn_version_compare(set->items[i].version, version) == 0)
			return &set->items[i];
	return NULL;
}

const char *
tn_set_newest(const tn_migration_set *set)
{
	size_t n = set->count;

	while (n > 0 && tn_version_is_repeatable(set->items[n - 1].version))
		n--; /* repeatables sort last and are never a version of the set */
	return n ? set->items[n - 1].version : NULL;
}

int
tn_set_check_target(const tn_migration_set *set, const char *target,
					tn_error *err)
{
	if (target == NULL || tn_set_find(set, target) != NULL)
		return TN_OK;
	tn_error_set(err, TN_ERR_NOT_FOUND, "target version \"%s\" is not in the tenant set",
				 tn_version_strip(target));
	tn_error_hint(err, "Load it with tenant_migrations_load(path, 'tenants'), or pass NULL.");
	return TN_ERR_NOT_FOUND;
}

/* ---- reading a set from a catalog-shaped table ---- */

static int
migration_cmp(const void *x, const void *y)
{
	return tn_version_compare(((const tn_migration *) x)->version,
							  ((const tn_migration *) y)->version);
}

typedef struct set_reader
{
	tn_migration_set *set;
	tn_dialect		  dialect;
} set_reader;

/* One catalog row into the set: version, name, up, down, checksum, flags, source. */
static int
read_migration(void *arg, int ncols, const char *const *v, tn_error *err)
{
	set_reader		 *rd = arg;
	tn_migration_set *set = rd->set;
	tn_migration	 *m;

	if (ncols != 7)
		return tn_error_set(err, TN_ERR_ENGINE, "internal query returned %d columns, expected 7", ncols);
	if (v[0] == NULL || v[1] == NULL || v[2] == NULL || v[4] == NULL)
		return tn_error_set(err, TN_ERR_ENGINE, "the tenant set has a row with a NULL version, name, body or checksum");
	if (set->count == set->cap)
	{
		size_t		  cap = set->cap ? set->cap * 2 : 16;
		tn_migration *items = realloc(set->items, cap * sizeof(*items));

		if (items == NULL)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		set->items = items;
		set->cap = cap;
	}
	m = &set->items[set->count];
	memset(m, 0, sizeof(*m));
	set->count++; /* counted now, so tn_migration_set_free frees a half-made one */
	m->version = tn_strdup(v[0], err);
	m->name = tn_strdup(v[1], err);
	m->up_sql = tn_strdup(v[2], err);
	m->down_sql = tn_strdup(v[3], err);
	m->source = tn_strdup(v[6], err);
	snprintf(m->checksum, sizeof(m->checksum), "%s", v[4]);
	m->flags = (unsigned long long) tn_cell_int(v[5], 0);
	m->dialect = rd->dialect;
	if (!m->version || !m->name || !m->up_sql || (v[3] && !m->down_sql) || (v[6] && !m->source))
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	return TN_OK;
}

int
tn_set_read(const tn_adapter *a, const char *table, tn_migration_set *out,
			tn_error *err)
{
	char	   tmpl[128];
	char	   sql[TN_SQL_MAX];
	set_reader rd;
	int		   rc;

	TN_ASSERT(a != NULL && table != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	snprintf(tmpl, sizeof(tmpl),
			 "SELECT version, name, up_sql, down_sql, checksum, flags, source FROM {T}%s", table);
	rd.set = out;
	rd.dialect = a->dialect;
	rc = a->query(a->ctx, tn_sql(a, tmpl, sql), 0, NULL, read_migration, &rd, err);
	if (rc != TN_OK)
	{
		tn_migration_set_free(out);
		return rc;
	}
	if (out->count > 1)
		qsort(out->items, out->count, sizeof(tn_migration), migration_cmp);
	for (size_t i = 1; i < out->count; i++)
		TN_ASSERT(tn_version_compare(out->items[i - 1].version, out->items[i].version) <= 0);
	return TN_OK;
}

int
tn_set_is_sorted(const tn_migration_set *set)
{
	for (size_t i = 1; i < set->count; i++)
		if (tn_version_compare(set->items[i - 1].version, set->items[i].version) >= 0)
			return 0;
	return 1;
}
