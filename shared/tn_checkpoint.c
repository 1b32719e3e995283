/*
 * tn_checkpoint.c -- checkpoints: tenant_checkpoint, the checkpoint row a
 * batch records, tenant_checkpoints() and tenant_rollback.
 *
 * A checkpoint records the highest applied batch at the time it was taken;
 * rolling back to it undoes every applied version of a later batch, newest
 * first, with the down bodies, in one unit of work.  If a down is missing
 * the rollback is refused before anything changes, unless the checkpoint
 * kept a snapshot, which the adapter then restores.
 *
 * Must not: undo anything partially (a rollback is one unit of work), or
 * take a snapshot itself (the adapter does, when it can).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

int
tn_checkpoint(const tn_adapter *a, const char *name, int snapshot,
			  char *name_out, size_t name_out_size, tn_error *err)
{
	tn_db_state st;
	char		generated[64];
	int			rc;

	if (name == NULL)
	{
		char stamp[40];

		tn_utc_stamp(stamp, sizeof(stamp));
		snprintf(generated, sizeof(generated), "checkpoint_%s", stamp);
		name = generated;
	}
	else if ((rc = tn_validate_checkpoint_name(name, err)) != TN_OK)
		return rc;
	if (snapshot && a->snapshot_save == NULL)
	{
		tn_error_set(err, TN_ERR_NOT_SUPPORTED, "snapshot checkpoints are not supported on %s", a->engine);
		tn_error_detail(err, "A full copy of the database cannot be taken inside a transaction on this engine.");
		tn_error_hint(err, "Use a marker checkpoint (the default) and give every migration a down body, "
						   "or take a backup with pg_dump before migrating.");
		return TN_ERR_NOT_SUPPORTED;
	}

	if ((rc = a->begin(a->ctx, err)) != TN_OK)
		return rc;
	if ((rc = tn_state_load(a, &st, err)) != TN_OK)
	{
		tn_abort(a, err);
		return rc;
	}
	rc = tn_checkpoint_insert(a, &st, name, "manual", snapshot ? "snapshot" : "marker", err);
	if (rc == TN_OK)
		rc = tn_history_add(a, "checkpoint", st.newest_applied, 0, name, err);
	tn_state_free(&st);
	if (rc != TN_OK)
	{
		tn_abort(a, err);
		return rc;
	}
	if ((rc = tn_finish(a, err)) != TN_OK)
		return rc;
	/*
	 * The copy is taken once the row is committed (the backup API cannot
	 * read a database its own connection is writing); if it fails, the
	 * checkpoint row goes again.
	 */
	if (snapshot && (rc = a->snapshot_save(a->ctx, name, err)) != TN_OK)
	{
		tn_error ignored;
		tn_value p = tn_text(name);

		tn_error_clear(&ignored);
		if (a->begin(a->ctx, &ignored) == TN_OK)
		{
			/* the checkpoint never came to be: its rows go, a failure row says why */
			if (tn_exec(a, "DELETE FROM {T}checkpoints WHERE name = $1", 1, &p, &ignored) == TN_OK &&
				tn_exec(a, "DELETE FROM {T}history WHERE id = (SELECT max(id) FROM {T}history"
						   " WHERE action = 'checkpoint' AND detail = $1)",
						1, &p, &ignored) == TN_OK &&
				tn_history_add(a, "fail", NULL, 0, err->message, &ignored) == TN_OK)
				tn_finish(a, &ignored);
			else
				a->rollback(a->ctx, &ignored);
		}
		return rc;
	}
	if (name_out != NULL && name_out_size > 0)
		snprintf(name_out, name_out_size, "%s", name);
	return TN_OK;
}

typedef struct checkpoint_row
{
	char	 *name;
	long long batch;
	int		  snapshot;
} checkpoint_row;

/* Find the checkpoint to return to (name NULL: the newest automatic one). */
static int
resolve_checkpoint(const tn_adapter *a, const char *name, checkpoint_row *cp,
				   tn_error *err)
{
	tn_value p = tn_text(name);
	tn_rows	 rows;
	int		 rc;

	memset(cp, 0, sizeof(*cp));
	if (name != NULL)
		rc = tn_query_rows(a, "SELECT name, batch, mode FROM {T}checkpoints WHERE name = $1",
						   1, &p, 3, &rows, err);
	else
		rc = tn_query_rows(a, "SELECT name, batch, mode FROM {T}checkpoints WHERE kind = 'automatic'"
							  " ORDER BY created_at DESC, name DESC LIMIT 1",
						   0, NULL, 3, &rows, err);
	if (rc != TN_OK)
		return rc;
	if (rows.nrows == 0)
	{
		tn_rows_free(&rows);
		if (name != NULL)
		{
			tn_error_set(err, TN_ERR_NOT_FOUND, "checkpoint \"%s\" does not exist", name);
			tn_error_hint(err, "See SELECT * FROM tenant_checkpoints().");
		}
		else
		{
			tn_error_set(err, TN_ERR_NOT_FOUND, "there is no automatic checkpoint to roll back to");
			tn_error_detail(err, "tenant_migrate() records one before every batch it applies.");
			tn_error_hint(err, "Name a checkpoint: tenant_rollback('name').");
		}
		return TN_ERR_NOT_FOUND;
	}
	cp->name = tn_strdup(tn_rows_get(&rows, 0, 0), err);
	cp->batch = tn_cell_int(tn_rows_get(&rows, 0, 1), 0);
	cp->snapshot = strcmp(tn_rows_get(&rows, 0, 2), "snapshot") == 0;
	tn_rows_free(&rows);
	return cp->name ? TN_OK : TN_ERR_NO_MEMORY;
}

/* Forget checkpoints that describe states the rollback has just undone. */
static int
drop_later_checkpoints(const tn_adapter *a, const checkpoint_row *cp,
					   tn_rows *dropped_snapshots, tn_error *err)
{
	tn_value p = tn_int8(cp->batch);
	int		 rc;

	rc = tn_query_rows(a, "SELECT name FROM {T}checkpoints WHERE batch > $1 AND mode = 'snapshot'",
					   1, &p, 1, dropped_snapshots, err);
	if (rc != TN_OK)
		return rc;
	return tn_exec(a, "DELETE FROM {T}checkpoints WHERE batch > $1", 1, &p, err);
}

static void
drop_snapshots(const tn_adapter *a, tn_rows *names)
{
	size_t	 i;
	tn_error ignored;

	for (i = 0; a->snapshot_drop != NULL && i < names->nrows; i++)
		a->snapshot_drop(a->ctx, tn_rows_get(names, i, 0), &ignored);
	tn_rows_free(names);
}

static int
restore_snapshot(const tn_adapter *a, const checkpoint_row *cp,
				 long long undone, long long *count, tn_error *err)
{
	tn_rows dropped;
	char	detail[256];
	int		rc;

	/* the adapter restores with nothing of ours open */
	if ((rc = a->rollback(a->ctx, err)) != TN_OK)
		return rc;
	if ((rc = a->snapshot_restore(a->ctx, cp->name, err)) != TN_OK)
		return rc;
	if ((rc = a->begin(a->ctx, err)) != TN_OK)
		return rc;
	snprintf(detail, sizeof(detail), "restored snapshot \"%s\"; %lld migrations undone", cp->name, undone);
	rc = tn_history_add(a, "restore", NULL, 0, detail, err);
	if (rc == TN_OK)
		rc = drop_later_checkpoints(a, cp, &dropped, err);
	if (rc != TN_OK)
	{
		tn_abort(a, err);
		return rc;
	}
	if ((rc = tn_finish(a, err)) != TN_OK)
	{
		tn_rows_free(&dropped);
		return rc;
	}
	drop_snapshots(a, &dropped);
	*count = undone;
	return TN_OK;
}

/*
 * The applied rows a rollback to cp undoes (version, name, batch, has a
 * down), repeatables left out, newest first: by batch, then by the core's version order within
 * a batch (batches never interleave).
 */
static int
load_undo(const tn_adapter *a, const checkpoint_row *cp, tn_rows *undo,
		  tn_error *err)
{
	tn_value p = tn_int8(cp->batch);
	size_t	 i;
	int		 rc;

	rc = tn_query_rows(a,
					   "SELECT a.version, a.name, a.batch, c.down_sql IS NOT NULL AND c.version IS NOT NULL"
					   " FROM {T}applied a LEFT JOIN {T}catalog c ON c.version = a.version"
					   " WHERE a.batch > $1",
					   1, &p, 4, undo, err);
	if (rc != TN_OK)
		return rc;
	/* repeatables (R__) have no down: a rollback passes over them and they stay applied */
	{
		size_t kept = 0;

		for (i = 0; i < undo->nrows; i++)
		{
			char **row = &undo->cells[i * 4];

			if (tn_version_is_repeatable(row[0]))
			{
				for (int k = 0; k < 4; k++)
					free(row[k]);
				continue;
			}
			memmove(&undo->cells[kept * 4], row, 4 * sizeof(char *));
			kept++;
		}
		undo->nrows = kept;
	}
	for (i = 1; i < undo->nrows; i++)
	{
		size_t j = i;

		while (j > 0)
		{
			char	**x = &undo->cells[(j - 1) * 4];
			char	**y = &undo->cells[j * 4];
			long long bx = tn_cell_int(x[2], 0);
			long long by = tn_cell_int(y[2], 0);

			if (bx > by || (bx == by && tn_version_compare(x[0], y[0]) > 0))
				break;
			for (int k = 0; k < 4; k++)
			{
				char *t = x[k];

				x[k] = y[k];
				y[k] = t;
			}
			j--;
		}
	}
	for (i = 1; i < undo->nrows; i++)
		TN_ASSERT(tn_cell_int(undo->cells[(i - 1) * 4 + 2], 0) >= tn_cell_int(undo->cells[i * 4 + 2], 0));
	return TN_OK;
}

/*
 * Every row to undo needs a down.  Without one: a snapshot checkpoint is
 * restored instead (*restored = 1, the unit of work ended by
 * restore_snapshot), anything else is refused before any change.
 */
static int
check_downs(const tn_adapter *a, const checkpoint_row *cp, const tn_rows *undo,
			int *restored, long long *count, tn_error *err)
{
	tn_buf missing = { 0 };
	int	   rc;

	*restored = 0;
	for (size_t i = 0; i < undo->nrows; i++)
		if (!tn_text_bool(tn_rows_get(undo, i, 3)))
			tn_buf_printf(&missing, "%s%s (%s)", missing.len ? ", " : "",
						  tn_rows_get(undo, i, 0), tn_rows_get(undo, i, 1));
	if (missing.len == 0)
		return TN_OK;
	if (cp->snapshot && a->snapshot_restore != NULL)
	{
		tn_buf_free(&missing);
		*restored = 1;
		return restore_snapshot(a, cp, (long long) undo->nrows, count, err);
	}
	tn_error_set(err, TN_ERR_MISSING_DOWN, "cannot roll back to checkpoint \"%s\"", cp->name);
	tn_error_detail(err, "These migrations have no down body: %s. Nothing was changed.", missing.data);
	tn_error_hint(err, "Add the down bodies with tenant_migration_add(version, name, up_sql, down_sql), "
					   "or roll back to a checkpoint taken with mode 'snapshot'.");
	rc = TN_ERR_MISSING_DOWN;
	tn_buf_free(&missing);
	return rc;
}

/* Undo row i of undo: its down in a savepoint, its applied row gone, a history row. */
static int
undo_one(const tn_adapter *a, const checkpoint_row *cp, const tn_rows *undo,
		 size_t i, tn_error *err)
{
	tn_entry e;
	tn_value q;
	tn_rows	 body;
	long	 offset = -1;
	char	 detail[200];
	int		 rc;

	TN_ASSERT(i < undo->nrows);
	memset(&e, 0, sizeof(e));
	e.version = undo->cells[i * 4];
	e.name = undo->cells[i * 4 + 1];
	q = tn_text(e.version);
	if (a->interrupted != NULL && a->interrupted(a->ctx))
	{
		rc = tn_error_set(err, TN_ERR_INTERRUPTED, "rollback interrupted before \"%s\"", e.version);
		tn_error_detail(err, "Nothing was changed.");
		return rc;
	}
	rc = tn_query_rows(a, "SELECT down_sql, flags FROM {T}catalog WHERE version = $1", 1, &q, 2, &body, err);
	if (rc != TN_OK)
		return rc;
	e.flags = body.nrows > 0 ? tn_cell_int(tn_rows_get(&body, 0, 1), 0) : 0; /* where the down starts in its file */
	if ((rc = a->savepoint(a->ctx, err)) != TN_OK)
	{
		tn_rows_free(&body);
		return rc;
	}
	rc = a->exec_script(a->ctx, tn_rows_get(&body, 0, 0), &offset, err);
	if (rc != TN_OK)
	{
		tn_error ignored;
		char	 after[200];

		a->rollback_to(a->ctx, &ignored);
		snprintf(after, sizeof(after), "The rollback to checkpoint \"%s\" was undone; nothing was changed.",
				 cp->name);
		tn_migration_failed(err, &e, -1, "down of migration", tn_rows_get(&body, 0, 0), offset, after);
		tn_error_hint(err, "Fix the down body with tenant_migration_add and roll back again.");
		tn_rows_free(&body);
		return TN_ERR_MIGRATION_FAILED;
	}
	tn_rows_free(&body);
	rc = tn_exec(a, "DELETE FROM {T}applied WHERE version = $1", 1, &q, err);
	snprintf(detail, sizeof(detail), "rolled back to checkpoint %s", cp->name);
	if (rc == TN_OK)
		rc = tn_history_add(a, "rollback", e.version, tn_cell_int(undo->cells[i * 4 + 2], 0), detail, err);
	if (rc == TN_OK)
		rc = a->release(a->ctx, err);
	return rc;
}

int
tn_rollback(const tn_adapter *a, const char *checkpoint, long long *count,
			tn_error *err)
{
	checkpoint_row cp;
	tn_rows		   undo;
	tn_rows		   dropped;
	size_t		   i;
	int			   restored = 0;
	int			   rc;

	*count = 0;
	if (checkpoint != NULL && (rc = tn_validate_checkpoint_name(checkpoint, err)) != TN_OK)
		return rc;
	if ((rc = a->begin(a->ctx, err)) != TN_OK)
		return rc;
	if ((rc = resolve_checkpoint(a, checkpoint, &cp, err)) != TN_OK)
	{
		tn_abort(a, err);
		return rc;
	}
	if ((rc = load_undo(a, &cp, &undo, err)) != TN_OK)
		goto fail;
	rc = check_downs(a, &cp, &undo, &restored, count, err);
	if (restored)
	{
		tn_rows_free(&undo);
		free(cp.name);
		return rc; /* restore_snapshot ended the unit of work */
	}
	for (i = 0; rc == TN_OK && i < undo.nrows; i++)
	{
		if ((rc = undo_one(a, &cp, &undo, i, err)) == TN_OK)
			(*count)++;
	}
	tn_rows_free(&undo);
	if (rc != TN_OK)
		goto fail;
	if ((rc = drop_later_checkpoints(a, &cp, &dropped, err)) != TN_OK)
		goto fail;
	free(cp.name);
	if ((rc = tn_finish(a, err)) != TN_OK)
	{
		tn_rows_free(&dropped);
		*count = 0;
		return rc;
	}
	drop_snapshots(a, &dropped);
	return TN_OK;

fail:
	free(cp.name);
	tn_abort(a, err);
	*count = 0;
	return rc;
}

/*
 * tenant_restore: bring back the data a snapshot checkpoint copied, whatever
 * downs exist (tenant_rollback prefers downs and restores a snapshot only
 * when one is missing).  A marker checkpoint has nothing to restore.
 */
int
tn_restore(const tn_adapter *a, const char *checkpoint, long long *count, tn_error *err)
{
	checkpoint_row cp;
	tn_rows		   undo;
	long long	   undone;
	int			   rc;

	*count = 0;
	if (checkpoint == NULL)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "a checkpoint name is required");
		tn_error_hint(err, "See SELECT * FROM tenant_checkpoints(); only those with mode 'snapshot' can be restored.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	if ((rc = tn_validate_checkpoint_name(checkpoint, err)) != TN_OK)
		return rc;
	if (a->snapshot_restore == NULL)
	{
		tn_error_set(err, TN_ERR_NOT_SUPPORTED, "snapshot checkpoints are not supported on %s", a->engine);
		tn_error_detail(err, "A full copy of the database cannot be taken inside a transaction on this engine.");
		tn_error_hint(err, "Roll back with down bodies: tenant_rollback('%s').", checkpoint);
		return TN_ERR_NOT_SUPPORTED;
	}
	if ((rc = a->begin(a->ctx, err)) != TN_OK)
		return rc;
	if ((rc = resolve_checkpoint(a, checkpoint, &cp, err)) != TN_OK)
	{
		tn_abort(a, err);
		return rc;
	}
	if (!cp.snapshot)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "checkpoint \"%s\" has no snapshot", cp.name);
		tn_error_detail(err, "It was taken with mode 'marker', which keeps no copy of the data. Nothing was changed.");
		tn_error_hint(err, "Roll back with down bodies: tenant_rollback('%s').", cp.name);
		free(cp.name);
		tn_abort(a, err);
		return TN_ERR_INVALID_ARGUMENT;
	}
	if ((rc = load_undo(a, &cp, &undo, err)) != TN_OK)
	{
		free(cp.name);
		tn_abort(a, err);
		return rc;
	}
	undone = (long long) undo.nrows;
	tn_rows_free(&undo);
	rc = restore_snapshot(a, &cp, undone, count, err); /* ends the unit of work */
	free(cp.name);
	return rc;
}

int
tn_checkpoint_insert(const tn_adapter *a, const tn_db_state *st,
					 const char *name, const char *kind, const char *mode,
					 tn_error *err)
{
	tn_value p[5];
	tn_rows	 rows;
	int		 rc;

	TN_ASSERT(strcmp(kind, "automatic") == 0 || strcmp(kind, "manual") == 0);
	TN_ASSERT(strcmp(mode, "marker") == 0 || strcmp(mode, "snapshot") == 0);
	p[0] = tn_text(name);
	rc = tn_query_rows(a, "SELECT 1 FROM {T}checkpoints WHERE name = $1", 1, p, 1, &rows, err);
	if (rc != TN_OK)
		return rc;
	if (rows.nrows > 0)
	{
		tn_rows_free(&rows);
		tn_error_set(err, TN_ERR_EXISTS, "checkpoint \"%s\" already exists", name);
		tn_error_hint(err, "Choose another name, or see SELECT * FROM tenant_checkpoints().");
		return TN_ERR_EXISTS;
	}
	tn_rows_free(&rows);
	p[1] = tn_int8(st->max_applied_batch);
	p[2] = tn_text(st->newest_applied);
	p[3] = tn_text(kind);
	p[4] = tn_text(mode);
	return tn_exec(a, "INSERT INTO {T}checkpoints (name, batch, version, kind, mode) VALUES ($1, $2, $3, $4, $5)",
				   5, p, err);
}

int
tn_checkpoints(const tn_adapter *a, tn_rows *out, tn_error *err)
{
	return tn_query_rows(a, "SELECT name, created_at, batch, version, kind, mode FROM {T}checkpoints"
							" ORDER BY created_at, name",
						 0, NULL, tn_def_checkpoints.ncols, out, err);
}
