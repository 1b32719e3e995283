/*
 * tn_migrate.c -- tenant_migrate, tenant_dry_run and tenant_plan.
 *
 * One batch = one unit of work under the database's migration lock: an
 * automatic checkpoint, then every selected pending version in its own
 * savepoint, each recorded with checksum, duration and batch id.  A failure
 * rolls the whole batch back and is recorded in history.  Migrations that
 * cannot run in a transaction split the batch: what came before them is
 * committed, they run alone outside a transaction, and the rest follows.
 *
 * Must not: change anything before the checks (drift, out of order,
 * target) have passed, leave a unit of work open when it returns, or keep
 * any of a failed batch applied.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

void
tn_migrate_result_free(tn_migrate_result *r)
{
	tn_rows_free(&r->report);
}

static int
interrupted(const tn_adapter *a)
{
	return a->interrupted != NULL && a->interrupted(a->ctx);
}

static int
fetch_body(const tn_adapter *a, const char *version, const char *column,
		   char **body, tn_error *err)
{
	tn_value p = tn_text(version);
	tn_rows	 rows;
	char	 tmpl[128];
	int		 rc;

	snprintf(tmpl, sizeof(tmpl), "SELECT %s FROM {T}catalog WHERE version = $1", column);
	rc = tn_query_rows(a, tmpl, 1, &p, 1, &rows, err);
	if (rc != TN_OK)
		return rc;
	*body = NULL;
	if (rows.nrows == 1 && tn_rows_get(&rows, 0, 0) != NULL)
	{
		*body = tn_strdup(tn_rows_get(&rows, 0, 0), err);
		if (*body == NULL)
		{
			tn_rows_free(&rows);
			return TN_ERR_NO_MEMORY;
		}
	}
	tn_rows_free(&rows);
	if (*body == NULL)
		return tn_error_set(err, TN_ERR_NOT_FOUND, "migration \"%s\" has no %s", version, column);
	return TN_OK;
}

static int
record_applied(const tn_adapter *a, const tn_entry *e, long long ms,
			   long long batch, tn_error *err)
{
	tn_value p[5];
	int		 rc;

	p[0] = tn_text(e->version);
	p[1] = tn_text(e->name);
	p[2] = tn_text(e->checksum);
	p[3] = tn_int8(ms);
	p[4] = tn_int8(batch);
	/* a repeatable applied again replaces its row */
	if (e->is_applied && tn_version_is_repeatable(e->version) &&
		(rc = tn_exec(a, "DELETE FROM {T}applied WHERE version = $1", 1, p, err)) != TN_OK)
		return rc;
	rc = tn_exec(a, "INSERT INTO {T}applied (version, name, checksum, duration_ms, batch)"
					" VALUES ($1, $2, $3, $4, $5)",
				 5, p, err);
	if (rc == TN_OK)
		rc = tn_history_add(a, "apply", e->version, batch, e->checksum, err);
	return rc;
}

static int
report_row(tn_migrate_result *res, const tn_entry *e, const char *outcome,
		   long long ms, const char *error, tn_error *err)
{
	char		msbuf[32];
	const char *row[5];

	snprintf(msbuf, sizeof(msbuf), "%lld", ms);
	row[0] = e->version;
	row[1] = e->name;
	row[2] = outcome;
	row[3] = ms >= 0 ? msbuf : NULL;
	row[4] = error;
	if (tn_rows_add(&res->report, row) != TN_OK)
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	return TN_OK;
}

/*
 * Run one no-transaction migration alone: nothing of ours is open around
 * it.  Its applied row is written in a unit of work of its own afterwards.
 */
static int
apply_outside_transaction(const tn_adapter *a, const tn_entry *e,
						  long long batch, tn_error *err)
{
	char  *body = NULL;
	long   offset = -1;
	double t0;
	int	   rc;

	/* read the body first, under the lock the caller still holds */
	if ((rc = fetch_body(a, e->version, "up_sql", &body, err)) != TN_OK)
		return rc;
	if ((rc = tn_guard_body(e, body, err)) != TN_OK)
	{
		free(body);
		tn_abort(a, err);
		return rc;
	}
	if ((rc = tn_finish(a, err)) != TN_OK)
	{
		free(body);
		return rc;
	}
	t0 = tn_monotonic_ms();
	rc = a->exec_outside_transaction(a->ctx, body, &offset, err);
	if (rc != TN_OK)
	{
		tn_error saved = *err;
		tn_error ignored;

		tn_migration_failed(err, e, 1, "migration", body, offset,
							"It ran outside a transaction, so what it did before the failing statement stays done; "
							"migrations before it in this run stay applied.");
		free(body);
		memcpy(saved.message, err->message, sizeof(saved.message));
		/* record the failure; the original error is what the caller sees */
		tn_error_clear(&ignored);
		if (a->begin(a->ctx, &ignored) == TN_OK)
		{
			if (tn_history_add(a, "fail", e->version, batch, err->detail, &ignored) == TN_OK)
				tn_finish(a, &ignored);
			else
				a->rollback(a->ctx, &ignored);
		}
		return TN_ERR_MIGRATION_FAILED;
	}
	free(body);
	if ((rc = a->begin(a->ctx, err)) != TN_OK)
		return rc;
	rc = record_applied(a, e, (long long) (tn_monotonic_ms() - t0 + 0.5), batch, err);
	if (rc != TN_OK)
	{
		tn_abort(a, err);
		return rc;
	}
	if ((rc = tn_finish(a, err)) != TN_OK)
		return rc;
	return a->begin(a->ctx, err);
}

static int
refuse_no_transaction(const tn_entry *e, tn_error *err)
{
	tn_error_set(err, TN_ERR_NO_TRANSACTION, "migration \"%s\" cannot run inside a transaction", e->version);
	tn_error_detail(err, "Migration \"%s\" (%s) contains a statement such as CREATE INDEX CONCURRENTLY or VACUUM, "
						 "or is marked \"-- tenancy:no-transaction\". Nothing was applied.",
					e->version, e->name);
	tn_error_hint(err, "Run it with SELECT * FROM tenant_migrate_all(), which applies it over its own connection "
					   "outside a transaction, or run it by hand and then record it with tenant_baseline('%s').",
				  e->version);
	return TN_ERR_NO_TRANSACTION;
}

/*
 * Read the state without the lock.  What it sees is committed, so if the
 * catalog holds the set, nothing is drifted and nothing selected is
 * pending, a locked run would do nothing either: *done = 1.  Anything else
 * (including errors to report) is left to the locked path, which reads again.
 */
static int
nothing_to_do(const tn_adapter *a, const tn_migrate_opts *opts,
			  const char *target, int allow, tn_migrate_result *res,
			  int *done, tn_error *err)
{
	tn_db_state st;
	size_t		i;
	int			rc;

	*done = 0;
	if (opts && opts->sync)
	{
		int in_sync = 0;

		if ((rc = tn_catalog_in_sync(a, opts->sync, &in_sync, err)) != TN_OK)
			return rc;
		if (!in_sync)
			return TN_OK;
	}
	if ((rc = tn_state_load(a, &st, err)) != TN_OK)
		return rc;
	if (tn_state_check_runnable(&st, target, allow, err) != TN_OK)
	{
		tn_error_clear(err);
		tn_state_free(&st);
		return TN_OK;
	}
	for (i = 0; i < st.count; i++)
		if (tn_entry_selected(&st.entries[i], target, allow))
			break;
	if (i == st.count)
	{
		*done = 1;
		if (st.newest_applied)
		{
			snprintf(res->from_version, sizeof(res->from_version), "%s", st.newest_applied);
			snprintf(res->to_version, sizeof(res->to_version), "%s", st.newest_applied);
		}
	}
	tn_state_free(&st);
	return TN_OK;
}

/*
 * One batch of tn_migrate: what it runs and what it has done so far.  The
 * steps below (open_batch, start_batch, run_entry, close_batch) each do one
 * part of it; a step that fails either leaves the unit of work open for
 * the caller's abort (*closed = 0) or has already ended it (*closed = 1).
 */
typedef struct batch
{
	const tn_adapter	   *a;
	tn_db_state				st;		/* loaded under the lock */
	const char			   *target; /* NULL = newest; already validated */
	int						allow;	/* allow out of order */
	int						dry_run;
	long long				id;		/* the batch id */
	int						failed; /* dry run: one failed, the rest are skipped */
	tn_migrate_result	   *res;
	const tn_migration_set *sync; /* fan-out: the tenant set the catalog was just synced to (bodies read there) */
	/* migrations run but not yet recorded (record_later): their entries and durations */
	const tn_entry **ran;
	long long		*ran_ms;
	size_t			 nran;
} batch;

static void
batch_free(batch *b)
{
	tn_state_free(&b->st);
	free(b->ran);
	free(b->ran_ms);
	b->ran = NULL;
	b->ran_ms = NULL;
	b->nran = 0;
}

/*
 * The applied and history rows of the migrations run so far, written now
 * (before a commit: close_batch, or a no-transaction migration's).
 */
static int
record_ran(batch *b, tn_error *err)
{
	int rc = TN_OK;

	for (size_t k = 0; rc == TN_OK && k < b->nran; k++)
		rc = record_applied(b->a, b->ran[k], b->ran_ms[k], b->id, err);
	b->nran = 0;
	return rc;
}

/*
 * Can the no-transaction migration e run in this call?  Refused when the
 * adapter has no way to run outside a transaction, when the caller's own
 * transaction is open around a call made from inside a statement, or when
 * a statement of its body cannot run from inside a function call
 * (tn_check_runs_in_call).  Checked for every selected entry before any
 * of the batch runs.
 */
static int
check_no_transaction_entry(const tn_adapter *a, const tn_migrate_opts *opts,
						   const tn_entry *e, tn_error *err)
{
	char *body = NULL;
	int	  rc;

	if (a->exec_outside_transaction == NULL)
		return refuse_no_transaction(e, err);
	if (!opts || !opts->in_statement)
		return TN_OK;
	if (opts->in_statement == TN_IN_STATEMENT_AND_TRANSACTION)
	{
		/* the caller's BEGIN is open: no body can run outside a transaction */
		rc = refuse_no_transaction(e, err);
		tn_error_hint(err, "Call tenant_migrate() outside BEGIN ... COMMIT.");
		return rc;
	}
	if ((rc = fetch_body(a, e->version, "up_sql", &body, err)) == TN_OK)
		rc = tn_check_runs_in_call(a->dialect, e->version, e->name, body, err);
	free(body);
	return rc;
}

/* Is anything selected by the run's target? */
static int
anything_selected(const batch *b)
{
	for (size_t i = 0; i < b->st.count; i++)
		if (tn_entry_selected(&b->st.entries[i], b->target, b->allow))
			return 1;
	return 0;
}

/*
 * Under the lock: sync the tenant set (fan-out), load the state, and make
 * the checks that come before any change.  *empty = 1 when nothing is
 * selected (the state is loaded; the caller ends the unit of work).
 */
static int
open_batch(batch *b, const tn_migrate_opts *opts, int *empty, tn_error *err)
{
	const tn_adapter  *a = b->a;
	tn_migrate_result *res = b->res;
	int				   rc;

	*empty = 0;
	if (opts && opts->sync && (rc = tn_catalog_sync_locked(a, opts->sync, err)) != TN_OK)
		return rc;
	if ((rc = tn_state_load(a, &b->st, err)) != TN_OK)
		return rc;
	if (b->st.newest_applied)
		snprintf(res->from_version, sizeof(res->from_version), "%s", b->st.newest_applied);
	snprintf(res->to_version, sizeof(res->to_version), "%s", res->from_version);

	if ((rc = tn_state_check_runnable(&b->st, b->target, b->allow, err)) != TN_OK)
		return rc;
	/* a fan-out runs the set's migrations only, never the tenant's own */
	if (opts && opts->sync &&
		(rc = tn_guard_sync_pending(&b->st, opts->sync, b->target, b->allow, err)) != TN_OK)
		return rc;
	if (!anything_selected(b))
	{
		*empty = 1;
		return TN_OK;
	}
	if (b->dry_run)
		return TN_OK;
	for (size_t i = 0; i < b->st.count; i++)
		if (tn_entry_selected(&b->st.entries[i], b->target, b->allow) &&
			(b->st.entries[i].flags & TN_MIG_NO_TRANSACTION) &&
			(rc = check_no_transaction_entry(a, opts, &b->st.entries[i], err)) != TN_OK)
			return rc;
	return TN_OK;
}

/* The batch id, the batch savepoint and (unless a dry run) the automatic checkpoint. */
static int
start_batch(batch *b, tn_error *err)
{
	const tn_adapter *a = b->a;
	char			  stamp[40];
	int				  rc;

	if ((rc = tn_next_batch(a, &b->id, err)) != TN_OK)
		return rc;
	if ((rc = a->savepoint(a->ctx, err)) != TN_OK)
		return rc;
	tn_utc_stamp(stamp, sizeof(stamp));
	snprintf(b->res->checkpoint, sizeof(b->res->checkpoint), "pre_migration_%s", stamp);
	if (b->dry_run)
		return TN_OK;
	rc = tn_checkpoint_insert(a, &b->st, b->res->checkpoint, "automatic", "marker", err);
	if (rc == TN_OK)
		rc = tn_history_add(a, "checkpoint", b->st.newest_applied, b->id, b->res->checkpoint, err);
	return rc;
}

/* A no-transaction migration: skipped by a dry run, else run alone (see apply_outside_transaction). */
static int
run_outside(batch *b, tn_entry *e, int *closed, tn_error *err)
{
	const tn_adapter *a = b->a;
	int				  rc;

	if (b->dry_run)
		return report_row(b->res, e, "skipped", -1, "cannot run inside a transaction", err);
	/* commit what came before, then run it alone */
	if ((rc = record_ran(b, err)) != TN_OK || (rc = a->release(a->ctx, err)) != TN_OK)
		return rc;
	if ((rc = apply_outside_transaction(a, e, b->id, err)) != TN_OK)
	{
		*closed = 1; /* nothing of ours is open any more */
		return rc;
	}
	b->res->applied++;
	if (!tn_version_is_repeatable(e->version))
		snprintf(b->res->to_version, sizeof(b->res->to_version), "%s", e->version);
	return a->savepoint(a->ctx, err);
}

/*
 * The body of e failed (its savepoint is rolled back).  A dry run reports
 * it and goes on; a real run rolls the batch back, records the failure in
 * history and ends the unit of work (*closed = 1).
 */
static int
body_failed(batch *b, tn_entry *e, const char *body, long offset,
			long long ms, int *closed, tn_error *err)
{
	const tn_adapter  *a = b->a;
	tn_migrate_result *res = b->res;
	tn_error		   ignored;
	char			   after[256];

	tn_error_clear(&ignored);
	if (b->dry_run)
	{
		char msg[TN_MESSAGE_MAX + 64];

		snprintf(msg, sizeof(msg), "%s", err->message);
		tn_error_clear(err);
		b->failed = 1;
		return report_row(res, e, "failed", ms, msg, err);
	}
	snprintf(after, sizeof(after),
			 "The batch was rolled back to checkpoint \"%s\"; no migration of it stays applied.",
			 res->checkpoint);
	tn_migration_failed(err, e, 1, "migration", body, offset, after);
	a->rollback_to(a->ctx, &ignored); /* the batch savepoint */
	/* record the failure, then end the unit of work */
	if (tn_history_add(a, "fail", e->version, b->id, err->detail, &ignored) == TN_OK)
		tn_finish(a, &ignored);
	else
		a->rollback(a->ctx, &ignored);
	snprintf(res->to_version, sizeof(res->to_version), "%s", res->from_version);
	res->applied = 0;
	*closed = 1;
	return TN_ERR_MIGRATION_FAILED;
}

/*
 * Does each migration of the batch get a savepoint of its own inside the
 * batch's?  A dry run needs one (it goes on past a failing body).  A real
 * run rolls the whole batch back on any failure, so there it is only kept
 * on PostgreSQL, where a failed statement aborts the transaction and Citus
 * converts new tables inside it.  On SQLite a failed statement is undone
 * by SQLite itself and the batch savepoint undoes the rest; a savepoint per
 * migration would only make SQLite journal the pages each migration
 * touches once more (a statement journal that goes to a temporary file
 * past 64 KiB).
 */
static int
savepoint_each(const batch *b)
{
	return b->dry_run || b->a->dialect != TN_DIALECT_SQLITE;
}

/*
 * Without a savepoint per migration its applied and history rows are
 * written after the batch's last body (record_ran), in the same unit of
 * work: the same rows, but each statement prepared once after the bodies
 * changed the schema instead of once per migration (SQLite prepares a
 * cached statement again after every schema change).  Only a body that
 * read tenancy's own tables could tell.
 */
static int
record_later(batch *b, const tn_entry *e, long long ms, tn_error *err)
{
	if (b->ran == NULL)
	{
		b->ran = calloc(b->st.count + 1, sizeof(*b->ran));
		b->ran_ms = calloc(b->st.count + 1, sizeof(*b->ran_ms));
		if (b->ran == NULL || b->ran_ms == NULL)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	TN_ASSERT(b->nran < b->st.count);
	b->ran[b->nran] = e;
	b->ran_ms[b->nran] = ms;
	b->nran++;
	return TN_OK;
}

/* One selected entry of the batch, in its own savepoint (savepoint_each) or the batch's. */
static int
run_entry(batch *b, tn_entry *e, int *closed, tn_error *err)
{
	const tn_adapter   *a = b->a;
	char			   *body = NULL;
	long				offset = -1;
	double				t0;
	long long			ms;
	int					rc;
	int					own = savepoint_each(b);
	const tn_migration *from_set;

	TN_ASSERT(e->state == TN_STATE_PENDING || e->state == TN_STATE_OUT_OF_ORDER);
	if (b->failed)
		return report_row(b->res, e, "skipped", -1, NULL, err);
	if (interrupted(a))
	{
		rc = tn_error_set(err, TN_ERR_INTERRUPTED, "migration run interrupted before \"%s\"", e->version);
		tn_error_detail(err, "The batch was rolled back; no migration of it stays applied.");
		return rc;
	}
	if (e->flags & TN_MIG_NO_TRANSACTION)
		return run_outside(b, e, closed, err);

	/*
	 * a SQLite fan-out just synced the tenant's catalog to the set: the body is the set's
	 * (the same checksum, guarded below), not read back; PostgreSQL reads it as before
	 */
	from_set = b->sync != NULL && a->dialect == TN_DIALECT_SQLITE ? tn_set_find(b->sync, e->version) : NULL;
	if (from_set != NULL && from_set->up_sql != NULL)
	{
		if ((body = tn_strdup(from_set->up_sql, err)) == NULL)
			return TN_ERR_NO_MEMORY;
	}
	else if ((rc = fetch_body(a, e->version, "up_sql", &body, err)) != TN_OK)
		return rc;
	/* re-hashed right before it runs: a body changed behind tenancy's back is refused */
	if ((rc = tn_guard_body(e, body, err)) != TN_OK)
	{
		free(body);
		return rc;
	}
	if (own && (rc = a->savepoint(a->ctx, err)) != TN_OK)
	{
		free(body);
		return rc;
	}
	t0 = tn_monotonic_ms();
	rc = a->exec_script(a->ctx, body, &offset, err);
	ms = (long long) (tn_monotonic_ms() - t0 + 0.5);
	if (rc != TN_OK)
	{
		tn_error ignored;

		tn_error_clear(&ignored);
		if (own)
			a->rollback_to(a->ctx, &ignored);
		rc = body_failed(b, e, body, offset, ms, closed, err);
		free(body);
		return rc;
	}
	free(body);
	if (b->dry_run)
		rc = report_row(b->res, e, "ok", ms, NULL, err);
	else if (!own)
		rc = record_later(b, e, ms, err);
	else
		rc = record_applied(a, e, ms, b->id, err);
	if (rc == TN_OK && own)
		rc = a->release(a->ctx, err);
	if (rc != TN_OK)
		return rc;
	b->res->applied++;
	if (!tn_version_is_repeatable(e->version))
		snprintf(b->res->to_version, sizeof(b->res->to_version), "%s", e->version);
	return TN_OK;
}

/* The end of a batch that ran: a dry run rolls everything back, a real run commits. */
static int
close_batch(batch *b, tn_error *err)
{
	const tn_adapter *a = b->a;
	int				  rc;

	if (b->dry_run)
	{
		/* a dry run leaves the database exactly as it was */
		b->res->batch = 0;
		snprintf(b->res->to_version, sizeof(b->res->to_version), "%s", b->res->from_version);
		return a->rollback(a->ctx, err);
	}
	if ((rc = record_ran(b, err)) != TN_OK || (rc = a->release(a->ctx, err)) != TN_OK)
	{
		tn_abort(a, err);
		return rc;
	}
	b->res->batch = b->id;
	return tn_finish(a, err);
}

int
tn_migrate(const tn_adapter *a, const tn_migrate_opts *opts,
		   tn_migrate_result *res, tn_error *err)
{
	batch b;
	int	  empty = 0;
	int	  closed = 0;
	int	  rc;

	TN_ASSERT(a != NULL && res != NULL);
	memset(res, 0, sizeof(*res));
	tn_rows_init(&res->report, tn_def_dry_run.ncols);
	memset(&b, 0, sizeof(b));
	b.a = a;
	b.res = res;
	b.allow = opts ? opts->allow_out_of_order : 0;
	b.dry_run = opts ? opts->dry_run : 0;
	b.sync = opts ? opts->sync : NULL;
	if ((rc = tn_parse_target(opts ? opts->target : NULL, &b.target, err)) != TN_OK)
		return rc;

	/* the common case, nothing to do, costs one read and no lock */
	if (!b.dry_run)
	{
		int done = 0;

		if ((rc = nothing_to_do(a, opts, b.target, b.allow, res, &done, err)) != TN_OK)
			return rc;
		if (done)
			return TN_OK;
	}

	if ((rc = a->begin(a->ctx, err)) != TN_OK)
		return rc;
	if ((rc = open_batch(&b, opts, &empty, err)) != TN_OK)
		goto fail;
	if (empty)
	{
		tn_state_free(&b.st);
		/* a dry run leaves even the synced catalog as it was */
		return b.dry_run ? a->rollback(a->ctx, err) : tn_finish(a, err);
	}
	if ((rc = start_batch(&b, err)) != TN_OK)
		goto fail;
	for (size_t i = 0, ran = 0; i < b.st.count; i++)
	{
		if (!tn_entry_selected(&b.st.entries[i], b.target, b.allow))
			continue;
		if (opts && opts->max_migrations > 0 && (long long) ran++ >= opts->max_migrations)
			break; /* the rest stay pending: the next chunk's */
		if ((rc = run_entry(&b, &b.st.entries[i], &closed, err)) != TN_OK)
		{
			if (closed)
			{
				batch_free(&b);
				return rc;
			}
			goto fail;
		}
	}
	rc = close_batch(&b, err); /* it may still record entries of b.st */
	batch_free(&b);
	return rc;

fail:
	batch_free(&b);
	tn_abort(a, err);
	res->applied = 0;
	return rc;
}

int
tn_plan(const tn_adapter *a, const char *target, tn_rows *out, tn_error *err)
{
	tn_db_state st;
	size_t		i;
	int			rc;

	tn_rows_init(out, tn_def_plan.ncols);
	if ((rc = tn_parse_target(target, &target, err)) != TN_OK)
		return rc;
	if ((rc = tn_state_load(a, &st, err)) != TN_OK)
		return rc;
	if ((rc = tn_state_check_runnable(&st, target, 0, err)) != TN_OK &&
		rc != TN_ERR_OUT_OF_ORDER)
	{
		tn_state_free(&st);
		return rc;
	}
	tn_error_clear(err);
	for (i = 0; i < st.count; i++)
	{
		const tn_entry *e = &st.entries[i];
		const char	   *row[4];

		if (!tn_entry_selected(e, target, 1))
			continue;
		row[0] = e->version;
		row[1] = e->name;
		row[2] = tn_state_name(e->state);
		row[3] = (e->flags & TN_MIG_NO_TRANSACTION) ? "no_transaction" : "transaction";
		if (tn_rows_add(out, row) != TN_OK)
		{
			tn_state_free(&st);
			tn_rows_free(out);
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		}
	}
	tn_state_free(&st);
	return TN_OK;
}
