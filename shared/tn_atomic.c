/*
 * tn_atomic.c -- decisions of tenant_migrate_all_atomic that do not depend
 * on the host: the prepared-transaction id of a tenant and the run it
 * belongs to, whether a run's prepared transactions commit or roll back
 * when its caller is gone, and the row of one tenant's outcome.
 *
 * Must not: reach a database, include a host header, or allocate beyond
 * the rows it appends to a caller-owned tn_rows.
 */
#include <stdio.h>
#include <string.h>

#include "tn_internal.h"

#define GID_PREFIX "tenancy_"

int
tn_atomic_gid(char *buf, size_t size, long long run_id, const char *tenant)
{
	int n = snprintf(buf, size, GID_PREFIX "%lld_%s", run_id, tenant);

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
		   (strcmp(run_status, TN_RUN_COMMITTING) == 0 || strcmp(run_status, TN_RUN_DONE) == 0);
}

int
tn_atomic_row(tn_rows *out, const char *tenant, int rc,
			  const tn_migrate_result *res, const tn_error *err,
			  long long duration_ms, int committed, const char *failed_tenant)
{
	char		ms[32];
	char		why[TN_MESSAGE_MAX];
	const char *row[8];

	TN_ASSERT(!(committed && failed_tenant != NULL));
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
	row[3] = row[2]; /* it stays where it was */
	row[4] = "0";
	row[5] = ms;
	row[6] = NULL;
	row[7] = why;
	return tn_rows_add(out, row);
}
