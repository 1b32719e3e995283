/*
 * tn_fanout.c -- decisions of a registry fan-out that do not depend on the
 * host: how a tenant set travels to a tenant (one text value), the
 * sortable key of a version (so "who is behind" is one index scan), the
 * steps a tenant's run takes around no-transaction migrations, the
 * progress line, the status of a whole run and the default concurrency.
 *
 * Must not: reach a database, include a host header, or keep memory after
 * returning (every output is caller-owned and freed with the matching
 * *_free or free()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

#define SET_MAGIC "tnset1\n"

/* ------------------------------------------------------------------ */
/* Tenant set transport                                                */
/* ------------------------------------------------------------------ */

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
	size_t		i;
	int			rc;

	memset(out, 0, sizeof(*out));
	rc = tn_buf_append(out, SET_MAGIC, strlen(SET_MAGIC));
	for (i = 0; rc == TN_OK && i < set->count; i++)
	{
		const tn_migration *m = &set->items[i];
		char		flags[32];

		snprintf(flags, sizeof(flags), "%u", m->flags);
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
		return tn_buf_append(out, "", 0) == TN_OK ? TN_OK :
			tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	return TN_OK;
}

/* Read one "<len>:<bytes>" field; *field is malloc'd or NULL for -1. */
static int
get_field(const char **p, const char *end, char **field, int *is_null)
{
	char	   *stop;
	long long	len;

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
		return -1;				/* embedded NUL */
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
		char	   *f[7];
		int			nul[7];
		int			k, bad = 0;
		tn_migration *m;
		char		sum[TN_CHECKSUM_LEN];

		for (k = 0; k < 7; k++)
		{
			int			r = bad ? -1 : get_field(&p, end, &f[k], &nul[k]);

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
			size_t		cap = out->cap ? out->cap * 2 : 16;
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
		m->flags = (unsigned) strtoul(f[5], NULL, 10);
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

/* ------------------------------------------------------------------ */
/* Version keys                                                        */
/* ------------------------------------------------------------------ */

int
tn_version_key(const char *version, char *out, size_t size)
{
	const char *p = version;
	size_t		n = 0;

	if (version == NULL || size == 0)
		return TN_ERR_INVALID_ARGUMENT;
	if (p[0] == 'V' || p[0] == 'v')
		p++;
	if (tn_version_validate(p, NULL) != TN_OK)
		return TN_ERR_INVALID_ARGUMENT;
	while (*p)
	{
		const char *start;
		size_t		len;

		while (*p == '0' && p[1] >= '0' && p[1] <= '9')
			p++;				/* "0002" == "2"; "0" stays "0" */
		start = p;
		while (*p >= '0' && *p <= '9')
			p++;
		len = (size_t) (p - start);
		if (n + len + 2 > size)
			return TN_ERR_TOO_LARGE;
		out[n++] = (char) ('!' + len);	/* longer number sorts after */
		memcpy(out + n, start, len);
		n += len;
		if (*p == '.' || *p == '_')
			p++;
	}
	out[n] = '\0';
	return TN_OK;
}

/* ------------------------------------------------------------------ */
/* Steps of one tenant's run                                           */
/* ------------------------------------------------------------------ */

int
tn_fanout_plan(const tn_migration_set *set, const char *target,
			   tn_fanout_step **steps, size_t *nsteps, tn_error *err)
{
	size_t		i, n = 0;
	tn_fanout_step *s;
	const char *prev = NULL;

	*steps = NULL;
	*nsteps = 0;
	if (target && (target[0] == 'V' || target[0] == 'v'))
		target++;
	if (target != NULL)
	{
		for (i = 0; i < set->count && tn_version_compare(set->items[i].version, target) != 0; i++)
			;
		if (i == set->count)
		{
			tn_error_set(err, TN_ERR_NOT_FOUND, "target version \"%s\" is not in the tenant set", target);
			tn_error_hint(err, "Load it with tenant_migrations_load(path, 'tenants'), or pass NULL.");
			return TN_ERR_NOT_FOUND;
		}
	}
	/* at most two steps per no-transaction migration, plus the last */
	s = calloc(set->count * 2 + 1, sizeof(*s));
	if (s == NULL)
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	for (i = 0; i < set->count; i++)
	{
		const tn_migration *m = &set->items[i];

		if (target != NULL && tn_version_compare(m->version, target) > 0)
			break;
		if (m->flags & TN_MIG_NO_TRANSACTION)
		{
			/* everything before it in one transaction (or just the sync) */
			s[n].kind = prev ? TN_STEP_MIGRATE : TN_STEP_SYNC;
			s[n].version = prev;
			n++;
			s[n].kind = TN_STEP_NO_TRANSACTION;
			s[n].version = m->version;
			s[n].migration = m;
			n++;
		}
		prev = m->version;
	}
	s[n].kind = TN_STEP_MIGRATE;
	s[n].version = target;		/* NULL = newest */
	n++;
	*steps = s;
	*nsteps = n;
	return TN_OK;
}

int
tn_fanout_step_needed(const tn_fanout_step *step, const char *tenant_version)
{
	if (step->kind != TN_STEP_NO_TRANSACTION)
		return 1;
	return tenant_version == NULL || tenant_version[0] == '\0' ||
		tn_version_compare(tenant_version, step->version) < 0;
}

/* ------------------------------------------------------------------ */
/* Words and lines                                                     */
/* ------------------------------------------------------------------ */

void
tn_fanout_progress(char *buf, size_t size, long long done, long long total,
				   const char *tenant, const char *status, long long applied,
				   long long ms, const char *error)
{
	if (strcmp(status, TN_FANOUT_APPLIED) == 0)
		snprintf(buf, size, "[%lld/%lld] %s: applied %lld in %lld ms", done, total, tenant, applied, ms);
	else if (strcmp(status, TN_FANOUT_UP_TO_DATE) == 0)
		snprintf(buf, size, "[%lld/%lld] %s: up to date (%lld ms)", done, total, tenant, ms);
	else
		snprintf(buf, size, "[%lld/%lld] %s: %s in %lld ms%s%s", done, total, tenant, status, ms,
				 error ? ": " : "", error ? error : "");
}

const char *
tn_fanout_run_status(long long failed, long long unreachable, int stopped_early,
					 int cancelled)
{
	if (cancelled)
		return "cancelled";
	if (stopped_early)
		return "stopped";
	if (failed > 0 || unreachable > 0)
		return "failed";
	return "done";
}

int
tn_fanout_default_concurrency(int max_connections)
{
	int			c = max_connections / 4;

	if (c < 1)
		c = 1;
	return c > 8 ? 8 : c;
}

int
tn_fanout_status_counts_as_failure(const char *status)
{
	return strcmp(status, TN_FANOUT_FAILED) == 0 || strcmp(status, TN_FANOUT_UNREACHABLE) == 0;
}

int
tn_fanout_sqlstate_unreachable(const char *sqlstate)
{
	/* connection exceptions, and the server shutting down or restarting */
	if (sqlstate == NULL || sqlstate[0] == '\0')
		return 0;
	return strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
		strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0;
}

/* ------------------------------------------------------------------ */
/* tenant_migrate_all_atomic                                           */
/* ------------------------------------------------------------------ */

#define GID_PREFIX "tenancy_"

int
tn_atomic_gid(char *buf, size_t size, long long run_id, const char *tenant)
{
	int			n = snprintf(buf, size, GID_PREFIX "%lld_%s", run_id, tenant);

	return n < 0 || (size_t) n >= size || (size_t) n >= TN_GID_MAX ? TN_ERR_TOO_LARGE : TN_OK;
}

long long
tn_atomic_gid_run(const char *gid)
{
	const char *p;
	long long	run = 0;

	if (gid == NULL || strncmp(gid, GID_PREFIX, strlen(GID_PREFIX)) != 0)
		return 0;
	p = gid + strlen(GID_PREFIX);
	if (*p < '1' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
	{
		if (run > (long long) 1e17)
			return 0;
		run = run * 10 + (*p++ - '0');
	}
	return *p == '_' && p[1] != '\0' ? run : 0;
}

int
tn_atomic_should_commit(const char *run_status)
{
	return run_status != NULL &&
		(strcmp(run_status, TN_RUN_COMMITTING) == 0 || strcmp(run_status, "done") == 0);
}

int
tn_atomic_row(tn_rows *out, const char *tenant, int rc,
			  const tn_migrate_result *res, const tn_error *err,
			  long long duration_ms, int committed, const char *failed_tenant)
{
	char		ms[32];
	char		why[TN_MESSAGE_MAX];
	const char *row[8];

	if (rc != TN_OK || committed)
		return tn_fanout_row(out, tenant, rc, res, err, duration_ms);
	snprintf(ms, sizeof(ms), "%lld", duration_ms);
	if (failed_tenant)
		snprintf(why, sizeof(why), "rolled back: tenant \"%s\" failed, so no tenant was migrated", failed_tenant);
	else
		snprintf(why, sizeof(why), "rolled back: the run did not commit, so no tenant was migrated");
	row[0] = tenant;
	row[1] = TN_FANOUT_ROLLED_BACK;
	row[2] = res && res->from_version[0] ? res->from_version : NULL;
	row[3] = row[2];			/* it stays where it was */
	row[4] = "0";
	row[5] = ms;
	row[6] = NULL;
	row[7] = why;
	return tn_rows_add(out, row);
}
