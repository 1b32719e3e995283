/*
 * tn_fanout.c -- decisions of a registry fan-out that do not depend on the
 * host: the steps a tenant's run takes around no-transaction migrations,
 * whether a tenant has nothing to do (judged from its tracking rows),
 * the row and status word of one tenant's outcome (and of its dry run),
 * the progress line, the status of a whole run, the default concurrency,
 * which errors mean "unreachable" or are transient (and how often and how
 * late they are retried), and tenant_query_all's error row.
 *
 * Must not: reach a database, include a host header, or keep memory after
 * returning (every output is caller-owned and freed with the matching
 * *_free or free()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

/* ------------------------------------------------------------------ */
/* Steps of one tenant's run                                           */
/* ------------------------------------------------------------------ */

int
tn_fanout_plan(const tn_migration_set *set, const char *target,
			   tn_fanout_step **steps, size_t *nsteps, tn_error *err)
{
	size_t			i, n = 0;
	tn_fanout_step *s;
	const char	   *prev = NULL;

	*steps = NULL;
	*nsteps = 0;
	TN_ASSERT(tn_set_is_sorted(set)); /* "the version just before N" needs the order */
	target = tn_version_strip(target);
	if (tn_set_check_target(set, target, err) != TN_OK)
		return TN_ERR_NOT_FOUND;
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
	TN_ASSERT(n <= set->count * 2);
	s[n].kind = TN_STEP_MIGRATE;
	s[n].version = target; /* NULL = newest */
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
/* A tenant with nothing to do, judged from its rows                   */
/* ------------------------------------------------------------------ */

static int
same_cell(const char *a, const char *b)
{
	return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

/* Would syncing set into this catalog change nothing (tn_catalog_add's "identical")? */
static int
catalog_matches(const tn_migration_set *set, const tn_rows *catalog)
{
	if (catalog->nrows != set->count)
		return 0;
	for (size_t i = 0; i < set->count; i++)
	{
		const tn_migration *m = &set->items[i];
		size_t				r;

		for (r = 0; r < catalog->nrows; r++)
			if (same_cell(tn_rows_get(catalog, r, 0), m->version))
				break;
		if (r == catalog->nrows || !same_cell(tn_rows_get(catalog, r, 1), m->name) ||
			!same_cell(tn_rows_get(catalog, r, 2), m->checksum) ||
			!same_cell(tn_rows_get(catalog, r, 3), m->down_sql) ||
			tn_cell_int(tn_rows_get(catalog, r, 4), 0) != (long long) m->flags)
			return 0; /* what tn_catalog_in_sync compares: a sync would write this row */
	}
	return 1;
}

int
tn_fanout_state_current(const tn_migration_set *set, const char *target,
						const tn_rows *catalog_rows, const tn_rows *applied_rows,
						int *current, char *version, size_t size, tn_error *err)
{
	tn_db_state st;
	int			rc;

	*current = 0;
	if (size > 0)
		version[0] = '\0';
	if ((rc = tn_state_from_probe(catalog_rows, applied_rows, &st, err)) != TN_OK)
		return rc;
	target = tn_version_strip(target);
	if (catalog_matches(set, catalog_rows) && st.n_pending == 0 && st.n_drifted == 0 &&
		st.n_missing == 0 &&
		(target == NULL || (st.newest_applied != NULL && tn_version_compare(target, st.newest_applied) == 0)))
	{
		*current = 1;
		snprintf(version, size, "%s", st.newest_applied ? st.newest_applied : "");
	}
	tn_state_free(&st);
	return TN_OK;
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
	return TN_RUN_DONE;
}

int
tn_fanout_record_may_wait(const char *status, int rc, long long applied)
{
	if (status == NULL || rc != TN_OK || applied != 0)
		return 0;
	return strcmp(status, TN_FANOUT_UP_TO_DATE) == 0 || strcmp(status, TN_FANOUT_UNCHANGED) == 0;
}

int
tn_fanout_record_may_wait_self_tracked(const char *status, int rc, long long applied)
{
	if (tn_fanout_record_may_wait(status, rc, applied))
		return 1;
	return status != NULL && rc == TN_OK &&
		   (strcmp(status, TN_FANOUT_APPLIED) == 0 || strcmp(status, TN_FANOUT_ROLLED_BACK) == 0);
}

int
tn_error_fanout_busy(tn_error *err, const char *function)
{
	tn_error_set(err, TN_ERR_BUSY, "another recorded fan-out is running on this registry");
	tn_error_detail(err, "%s was refused at once and did nothing. tenant_migrate_all(), tenant_migrate_all_atomic()"
						 " and tenant_verify_all() run one at a time per registry: each holds the registry's read"
						 " lock while it waits to write its results, so two would block each other.",
					function);
	tn_error_hint(err, "Wait for the running call to finish (tenant_runs() shows it), then call again.");
	return TN_ERR_BUSY;
}

int
tn_fanout_default_concurrency(int max_connections)
{
	int c = max_connections / 4;

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


const char *
tn_fanout_sqlstate(int rc, const tn_error *err)
{
	/* a failed migration is TN002; the body's SQLSTATE is in the detail */
	if (rc == TN_ERR_MIGRATION_FAILED)
		return (int) err->code == rc ? tn_error_sqlstate(err) : tn_code_sqlstate(TN_ERR_MIGRATION_FAILED);
	if (err->sqlstate[0])
		return err->sqlstate;
	return tn_code_sqlstate((tn_code) rc);
}

int
tn_fanout_row(tn_rows *out, const char *tenant, int rc,
			  const tn_migrate_result *res, const tn_error *err,
			  long long duration_ms)
{
	char		applied[32], ms[32];
	const char *row[8];
	char	   *message = NULL;

	TN_ASSERT(out->ncols == tn_def_migrate_all.ncols);
	TN_ASSERT(rc == TN_OK ? res != NULL : err != NULL);
	snprintf(applied, sizeof(applied), "%lld", rc == TN_OK ? res->applied : 0LL);
	snprintf(ms, sizeof(ms), "%lld", duration_ms);
	row[0] = tenant;
	if (rc == TN_OK)
		row[1] = res->applied > 0 ? TN_FANOUT_APPLIED : TN_FANOUT_UP_TO_DATE;
	else if (rc == TN_ERR_UNREACHABLE || rc == TN_ERR_IO)
		row[1] = TN_FANOUT_UNREACHABLE;
	else
		row[1] = TN_FANOUT_FAILED;
	row[2] = res && res->from_version[0] ? res->from_version : NULL;
	row[3] = res && res->to_version[0] ? res->to_version : NULL;
	if (rc != TN_OK && row[3] == NULL)
		row[3] = row[2]; /* rolled back: it stays where it was */
	row[4] = applied;
	row[5] = ms;
	row[6] = rc != TN_OK ? tn_fanout_sqlstate(rc, err) : NULL;
	if (rc != TN_OK)
	{
		message = tn_error_render(err);
		if (message == NULL)
			return TN_ERR_NO_MEMORY;
	}
	row[7] = message;
	rc = tn_rows_add(out, row);
	free(message);
	return rc;
}

int
tn_fanout_skipped_row(tn_rows *out, const char *tenant, const char *failed_tenant)
{
	char		why[TN_MESSAGE_MAX];
	const char *row[8];

	TN_ASSERT(out->ncols == tn_def_migrate_all.ncols);
	if (failed_tenant != NULL)
		snprintf(why, sizeof(why), "not started: tenant \"%s\" failed, so no tenant was migrated", failed_tenant);
	else
		snprintf(why, sizeof(why), "not started: max_failures reached");
	row[0] = tenant;
	row[1] = TN_FANOUT_SKIPPED;
	row[2] = NULL;
	row[3] = NULL;
	row[4] = "0";
	row[5] = "0";
	row[6] = NULL;
	row[7] = why;
	return tn_rows_add(out, row);
}

int
tn_dry_run_outcome(int rc, tn_migrate_result *res, tn_error *err)
{
	char	  failure[TN_MESSAGE_MAX];
	long long would_apply = 0;

	if (rc != TN_OK)
		return rc;
	failure[0] = '\0';
	for (size_t r = 0; r < res->report.nrows; r++)
	{
		const char *outcome = tn_rows_get(&res->report, r, 2);
		const char *error = tn_rows_get(&res->report, r, 4);

		if (strcmp(outcome, "ok") == 0)
		{
			if (!tn_version_is_repeatable(tn_rows_get(&res->report, r, 0)))
				snprintf(res->to_version, sizeof(res->to_version), "%s", tn_rows_get(&res->report, r, 0));
			would_apply++;
		}
		else if (strcmp(outcome, "failed") == 0 && failure[0] == '\0')
			snprintf(failure, sizeof(failure), "migration \"%s\" would fail: %s",
					 tn_rows_get(&res->report, r, 0), error ? error : "");
	}
	res->applied = failure[0] ? 0 : would_apply;
	if (failure[0])
		return tn_error_set(err, TN_ERR_MIGRATION_FAILED, "%s", failure);
	return TN_OK;
}

int
tn_query_all_error_json(tn_buf *out, const tn_error *err)
{
	const char *state = err->sqlstate[0] ? err->sqlstate : tn_code_sqlstate(err->code);
	const char *message = err->message[0] ? err->message : tn_strerror(err->code);

	if (state == NULL)
		state = "XX000";
	if (tn_buf_append(out, "{\"error\":", 9) != TN_OK ||
		tn_json_string(out, message, strlen(message)) != TN_OK ||
		tn_buf_append(out, ",\"sqlstate\":", 12) != TN_OK ||
		tn_json_string(out, state, strlen(state)) != TN_OK ||
		tn_buf_append(out, "}", 1) != TN_OK)
		return TN_ERR_NO_MEMORY;
	return TN_OK;
}

int
tn_query_all_refuse(tn_error *err, tn_query_refusal why)
{
	static const char *const detail[] = {
		[TN_QUERY_EMPTY] = "The statement is empty.",
		[TN_QUERY_SEVERAL] = "More than one statement was given.",
		[TN_QUERY_WRITES] = "The statement would write.",
		[TN_QUERY_NOT_QUERY] = "The statement returns no rows to read (only a query does: SELECT, VALUES, TABLE, WITH ... SELECT).",
		[TN_QUERY_ATTACH] = "ATTACH and DETACH are not allowed.",
	};

	TN_ASSERT((int) why >= 0 && (size_t) why < sizeof(detail) / sizeof(detail[0]));
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant_query_all() runs exactly one read-only statement");
	tn_error_detail(err, "%s", detail[why]);
	tn_error_hint(err, "Pass one SELECT (or another statement that only reads); change tenants with tenant_migrate_all().");
	return TN_ERR_INVALID_ARGUMENT;
}

int
tn_error_transient(const tn_error *err)
{
	const char *s = err->sqlstate;

	if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0)
		return 1;
	/* two sessions updating one catalog row (ALTER ROLE, GRANT ... ON DATABASE) */
	return strcmp(s, "XX000") == 0 &&
		   (strstr(err->message, "tuple concurrently updated") != NULL ||
			strstr(err->detail, "tuple concurrently updated") != NULL);
}

int
tn_retry_delay_ms(const tn_error *err, int attempt)
{
	if (attempt >= TN_RETRY_ATTEMPTS || !tn_error_transient(err))
		return 0;
	return TN_RETRY_FIRST_DELAY_MS << (attempt - 1);
}

void
tn_error_retried(tn_error *err, int attempts)
{
	if (attempts <= 1)
		return;
	tn_error_detail_append(err, "It was tried %d times, with a pause between tries; every try was rolled back.",
						   attempts);
}
