/*
 * tn_probe_one.c -- a fan-out's probe of one tenant in ONE statement, for
 * an engine whose columns take any type (SQLite): the two reads of
 * tn_fanout_probe_sql (the catalog, the applied rows) as one UNION ALL
 * whose first column says which table a row comes from, and the judgement
 * of its rows (tn_fanout_state_current).  One statement means one prepare
 * and one read lock of the tenant file.
 *
 * And the generation stamp of a tenant that was found up to date (issue 9,
 * "staleness detected without asking": a stamp the tenant changes on every
 * migrate, rollback and manual change, read in the same round trip): the
 * tenant set's fingerprint, the host's file facts (which change whenever
 * the file does) and the version found, kept by the registry; the next run
 * whose set and file facts are the same has nothing to do at that version
 * without reading the tracking tables.  The host gives no facts when it
 * cannot promise they change on every write (a SQLite file in WAL mode):
 * such a tenant is read every time.
 *
 * Must not: reach a database, or keep memory after returning.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

/*
 * The two tables as they are (no join, no function): 'c' rows carry the
 * catalog's five columns and a NULL, 'a' rows the applied row's six.
 */
static const char *PROBE_ONE_SQL = "SELECT 'c', version, name, checksum, down_sql, flags, NULL FROM {T}catalog"
								   " UNION ALL"
								   " SELECT 'a', version, name, checksum, applied_at, duration_ms, batch FROM {T}applied";

char *
tn_fanout_probe_one_sql(const char *table_prefix)
{
	tn_adapter a;
	char	   buf[TN_SQL_MAX];

	memset(&a, 0, sizeof(a));
	a.table_prefix = table_prefix;
	return strdup(tn_sql(&a, PROBE_ONE_SQL, buf));
}

int
tn_fanout_state_current_one(const tn_migration_set *set, const char *target, const tn_rows *rows,
							int *current, char *version, size_t size, tn_error *err)
{
	tn_rows catalog, applied;
	int		rc = TN_OK;

	*current = 0;
	if (size > 0)
		version[0] = '\0';
	if (rows->ncols != TN_PROBE_ONE_NCOLS)
		return tn_error_set(err, TN_ERR_ENGINE, "probe rows have %d columns, expected %d", rows->ncols,
							TN_PROBE_ONE_NCOLS);
	tn_rows_init(&catalog, TN_CATALOG_NCOLS);
	tn_rows_init(&applied, TN_APPLIED_NCOLS);
	for (size_t r = 0; rc == TN_OK && r < rows->nrows; r++)
	{
		const char *tag = tn_rows_get(rows, r, 0);
		const char *cells[TN_APPLIED_NCOLS];

		for (int c = 0; c < TN_APPLIED_NCOLS; c++)
			cells[c] = tn_rows_get(rows, r, c + 1);
		if (tag != NULL && strcmp(tag, "c") == 0)
			rc = tn_rows_add(&catalog, cells) == TN_OK ? TN_OK : tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		else if (tag != NULL && strcmp(tag, "a") == 0)
			rc = tn_rows_add(&applied, cells) == TN_OK ? TN_OK : tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		else
			rc = tn_error_set(err, TN_ERR_ENGINE, "probe row %zu names no table", r + 1);
	}
	if (rc == TN_OK)
		rc = tn_fanout_state_current(set, target, &catalog, &applied, current, version, size, err);
	tn_rows_free(&catalog);
	tn_rows_free(&applied);
	return rc;
}

/* ---- the tenant set's fingerprint ---- */

/* a field as "<length>:<bytes>", with '\\' and CR escaped (tn_checksum turns CR into LF) */
static int
fp_field(tn_buf *b, const char *text)
{
	char len[32];

	if (text == NULL)
		return tn_buf_append(b, "-;", 2);
	snprintf(len, sizeof(len), "%zu:", strlen(text));
	if (tn_buf_append(b, len, strlen(len)) != TN_OK)
		return TN_ERR_NO_MEMORY;
	for (const char *p = text; *p;)
	{
		size_t plain = strcspn(p, "\\\r");

		if (plain > 0 && tn_buf_append(b, p, plain) != TN_OK)
			return TN_ERR_NO_MEMORY;
		p += plain;
		if (*p != '\0' && tn_buf_append(b, *p == '\\' ? "\\\\" : "\\r", 2) != TN_OK)
			return TN_ERR_NO_MEMORY;
		if (*p != '\0')
			p++;
	}
	return tn_buf_append(b, ";", 1);
}

int
tn_set_fingerprint(const tn_migration_set *set, char out[TN_CHECKSUM_LEN], tn_error *err)
{
	tn_buf b = { 0 };
	int	   rc = TN_OK;

	out[0] = '\0';
	for (size_t i = 0; rc == TN_OK && i < set->count; i++)
	{
		const tn_migration *m = &set->items[i];
		char				flags[32];

		snprintf(flags, sizeof(flags), "%lld", (long long) m->flags);
		if (fp_field(&b, m->version) != TN_OK || fp_field(&b, m->name) != TN_OK ||
			fp_field(&b, m->checksum) != TN_OK || fp_field(&b, m->down_sql) != TN_OK || fp_field(&b, flags) != TN_OK)
			rc = tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	if (rc == TN_OK)
		rc = tn_checksum(b.data ? b.data : "", b.len, out, err);
	tn_buf_free(&b);
	return rc;
}

/* ---- the stamp: "<set fingerprint>|<file facts>|<version>" ---- */

int
tn_fanout_stamp_make(char *buf, size_t size, const char *set_fp, const char *facts, const char *version)
{
	int n;

	if (size > 0)
		buf[0] = '\0';
	if (set_fp == NULL || facts == NULL || facts[0] == '\0' || strchr(set_fp, '|') || strchr(facts, '|'))
		return 0;
	n = snprintf(buf, size, "%s|%s|%s", set_fp, facts, version ? version : "");
	if (n < 0 || (size_t) n >= size)
	{
		if (size > 0)
			buf[0] = '\0';
		return 0;
	}
	return 1;
}

int
tn_fanout_stamp_current(const char *stored, const char *set_fp, const char *facts, const char *target,
						char *version, size_t size)
{
	size_t		fp_len, facts_len;
	const char *v;

	if (size > 0)
		version[0] = '\0';
	if (stored == NULL || set_fp == NULL || facts == NULL || facts[0] == '\0')
		return 0;
	fp_len = strlen(set_fp);
	facts_len = strlen(facts);
	if (strncmp(stored, set_fp, fp_len) != 0 || stored[fp_len] != '|' ||
		strncmp(stored + fp_len + 1, facts, facts_len) != 0 || stored[fp_len + 1 + facts_len] != '|')
		return 0;
	v = stored + fp_len + 1 + facts_len + 1;
	if (strchr(v, '|') != NULL)
		return 0;
	/* a target other than the version found takes the full path, as tn_fanout_state_current */
	target = tn_version_strip(target);
	if (target != NULL && (v[0] == '\0' || tn_version_compare(target, v) != 0))
		return 0;
	snprintf(version, size, "%s", v);
	return 1;
}
