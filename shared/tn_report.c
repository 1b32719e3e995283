/*
 * tn_report.c -- what one database's state shows (tenant_status,
 * tenant_verify, its newest applied version) and the two small
 * bookkeeping writes that act on what they show (tenant_repair,
 * tenant_baseline).
 *
 * Must not: run a migration body, or write anything but the applied and
 * history rows of a repair or baseline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

static int
oom(tn_rows *out, tn_db_state *st, tn_error *err)
{
	tn_rows_free(out);
	if (st)
		tn_state_free(st);
	return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
}

int
tn_status(const tn_adapter *a, tn_rows *out, tn_error *err)
{
	tn_db_state st;
	size_t		i;
	int			rc;

	tn_rows_init(out, tn_def_status.ncols);
	if ((rc = tn_state_load(a, &st, err)) != TN_OK)
		return rc;
	for (i = 0; i < st.count; i++)
	{
		const tn_entry *e = &st.entries[i];
		char			ms[32], batch[32];
		const char	   *row[7];

		snprintf(ms, sizeof(ms), "%lld", e->duration_ms);
		snprintf(batch, sizeof(batch), "%lld", e->batch);
		row[0] = e->version;
		row[1] = e->name;
		row[2] = tn_state_name(e->state);
		row[3] = e->checksum ? e->checksum : e->applied_checksum;
		row[4] = e->applied_at;
		row[5] = e->is_applied ? ms : NULL;
		row[6] = e->is_applied ? batch : NULL;
		if (tn_rows_add(out, row) != TN_OK)
			return oom(out, &st, err);
	}
	tn_state_free(&st);
	return TN_OK;
}

int
tn_verify(const tn_adapter *a, tn_rows *out, tn_error *err)
{
	tn_db_state st;
	int			rc;

	tn_rows_init(out, tn_def_verify.ncols);
	if ((rc = tn_state_load(a, &st, err)) != TN_OK)
		return rc;
	rc = tn_verify_state(&st, out, err);
	tn_state_free(&st);
	return rc;
}

int
tn_verify_state(const tn_db_state *st, tn_rows *out, tn_error *err)
{
	size_t i;

	tn_rows_init(out, tn_def_verify.ncols);
	for (i = 0; i < st->count; i++)
	{
		const tn_entry *e = &st->entries[i];
		char			detail[512];
		const char	   *row[4];

		switch (e->state)
		{
			case TN_STATE_DRIFTED:
				snprintf(detail, sizeof(detail), "Applied with %s; the catalog now has %s.",
						 e->applied_checksum, e->checksum);
				break;
			case TN_STATE_MISSING:
				snprintf(detail, sizeof(detail), "Applied in batch %lld but no longer in the catalog.",
						 e->batch);
				break;
			case TN_STATE_OUT_OF_ORDER:
				snprintf(detail, sizeof(detail), "Pending but older than the newest applied version %s.",
						 st->newest_applied);
				break;
			default:
				continue;
		}
		row[0] = e->version;
		row[1] = e->name;
		row[2] = tn_state_name(e->state);
		row[3] = detail;
		if (tn_rows_add(out, row) != TN_OK)
			return oom(out, NULL, err);
	}
	return TN_OK;
}

/* Look a version up in the state; NOT_FOUND error when absent. */
static tn_entry *
find_version(tn_db_state *st, const char *version, tn_error *err)
{
	tn_entry *e = tn_state_find(st, version);

	if (e == NULL)
	{
		tn_error_set(err, TN_ERR_NOT_FOUND, "migration \"%s\" does not exist", version);
		tn_error_hint(err, "See SELECT * FROM tenant_status() for the known versions.");
	}
	return e;
}

int
tn_repair(const tn_adapter *a, const char *version, tn_error *err)
{
	tn_db_state st;
	tn_entry   *e;
	tn_value	p[2];
	char		detail[200];
	int			rc;

	if (version == NULL)
		return tn_error_null_argument(err, "version");
	if ((rc = tn_version_validate(version, err)) != TN_OK)
		return rc;
	if ((rc = a->begin(a->ctx, err)) != TN_OK)
		return rc;
	if ((rc = tn_state_load(a, &st, err)) != TN_OK)
	{
		tn_abort(a, err);
		return rc;
	}
	if ((e = find_version(&st, version, err)) == NULL)
	{
		rc = TN_ERR_NOT_FOUND;
		goto fail;
	}
	if (e->state != TN_STATE_DRIFTED)
	{
		rc = tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "migration \"%s\" has not drifted", e->version);
		tn_error_detail(err, "Its state is %s; only a drifted migration can be repaired.",
						tn_state_name(e->state));
		goto fail;
	}
	p[0] = tn_text(e->checksum);
	p[1] = tn_text(e->version);
	if ((rc = tn_exec(a, "UPDATE {T}applied SET checksum = $1 WHERE version = $2", 2, p, err)) != TN_OK)
		goto fail;
	snprintf(detail, sizeof(detail), "%s -> %s", e->applied_checksum, e->checksum);
	if ((rc = tn_history_add(a, "repair", e->version, 0, detail, err)) != TN_OK)
		goto fail;
	tn_state_free(&st);
	return tn_finish(a, err);

fail:
	tn_state_free(&st);
	tn_abort(a, err);
	return rc;
}

int
tn_baseline(const tn_adapter *a, const char *version, long long *count,
			tn_error *err)
{
	tn_db_state st;
	tn_entry   *target;
	long long	batch = 0;
	size_t		i;
	int			rc;

	*count = 0;
	if (version == NULL)
		return tn_error_null_argument(err, "version");
	if ((rc = tn_version_validate(version, err)) != TN_OK)
		return rc;
	if ((rc = a->begin(a->ctx, err)) != TN_OK)
		return rc;
	if ((rc = tn_state_load(a, &st, err)) != TN_OK)
	{
		tn_abort(a, err);
		return rc;
	}
	if ((target = find_version(&st, version, err)) == NULL || !target->in_catalog)
	{
		if (target != NULL)
			tn_error_set(err, TN_ERR_NOT_FOUND, "migration \"%s\" is not in the catalog", version);
		rc = TN_ERR_NOT_FOUND;
		goto fail;
	}
	if ((rc = tn_next_batch(a, &batch, err)) != TN_OK)
		goto fail;
	for (i = 0; i < st.count; i++)
	{
		tn_entry *e = &st.entries[i];
		tn_value  p[4];

		if (e->is_applied || !e->in_catalog ||
			tn_version_compare(e->version, target->version) > 0)
			continue;
		p[0] = tn_text(e->version);
		p[1] = tn_text(e->name);
		p[2] = tn_text(e->checksum);
		p[3] = tn_int8(batch);
		rc = tn_exec(a, "INSERT INTO {T}applied (version, name, checksum, duration_ms, batch)"
						" VALUES ($1, $2, $3, 0, $4)",
					 4, p, err);
		if (rc == TN_OK)
			rc = tn_history_add(a, "baseline", e->version, batch, e->checksum, err);
		if (rc != TN_OK)
			goto fail;
		(*count)++;
	}
	tn_state_free(&st);
	return tn_finish(a, err);

fail:
	tn_state_free(&st);
	tn_abort(a, err);
	*count = 0;
	return rc;
}

int
tn_newest_applied(const tn_adapter *a, char *out, size_t size, tn_error *err)
{
	tn_db_state st;
	int			rc = tn_state_load(a, &st, err);

	TN_ASSERT(out != NULL && size > 0);
	if (rc != TN_OK)
		return rc;
	snprintf(out, size, "%s", st.newest_applied ? st.newest_applied : "");
	tn_state_free(&st);
	return TN_OK;
}

int
tn_applied_repeatables(const tn_adapter *a, tn_buf *out, tn_error *err)
{
	tn_db_state st;
	int			rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tn_state_load(a, &st, err)) != TN_OK)
		return rc;
	rc = tn_buf_append(out, "", 0);
	for (size_t i = 0; rc == TN_OK && i < st.count; i++)
		if (st.entries[i].is_applied)
			rc = tn_repeatables_record_add(out, st.entries[i].version, st.entries[i].applied_checksum);
	tn_state_free(&st);
	if (rc != TN_OK)
	{
		tn_buf_free(out);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	return TN_OK;
}
