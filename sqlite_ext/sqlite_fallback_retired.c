/*
 * sqlite_fallback_retired.c -- tenant_fallback_drop_retired([tenant]):
 * drop what the fallback keeps for tables the application dropped or
 * renamed (their shadow tables, capture triggers, recorded row hashes,
 * conflicts, and their row in tenancy_fallback_tables), and the shadow
 * tables a pull set aside when a table's key changed.  Refused, dropping
 * nothing, while a retired table has changes waiting to be pushed.  With
 * a tenant name: that tenant's file, found in this registry.  Returns the
 * number of tables whose leftovers were dropped.
 *
 * Which object belongs to which table and the refusal's words are the
 * core's (tn_fb_bookkeeping_owner, tn_fb_retired_waiting).  Must not: drop
 * an application table, a table that still exists's shadow table or
 * triggers, or anything at all when it refuses (one transaction).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "sqlite_fallback.h"
#include "sqlite_registry_internal.h"
#include "tn_fleet.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3

typedef struct retired_table
{
	char *name;
	int	  exists;	 /* the application's table is there: only set-aside shadows go */
	int	  set_aside; /* it has tenancy_fb_retired_<t>_<n> tables */
} retired_table;

typedef struct retired_list
{
	retired_table *t;
	size_t		   n;
	size_t		   cap;
} retired_list;

static void
list_free(retired_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->t[i].name);
	free(l->t);
}

/* Add table name (taken over) to the list once; set_aside is or-ed in. */
static int
list_add(retired_list *l, char *name, int set_aside)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->t[i].name, name) == 0)
		{
			l->t[i].set_aside |= set_aside;
			free(name);
			return TN_OK;
		}
	if (l->n == l->cap)
	{
		size_t		   cap = l->cap ? 2 * l->cap : 16;
		retired_table *grown = realloc(l->t, cap * sizeof(retired_table));

		if (grown == NULL)
		{
			free(name);
			return TN_ERR_NO_MEMORY;
		}
		l->t = grown;
		l->cap = cap;
	}
	l->t[l->n].name = name;
	l->t[l->n].exists = 0;
	l->t[l->n].set_aside = set_aside;
	l->n++;
	return TN_OK;
}

static int
one_row(sqlite3 *db, const char *sql, const char *arg, long long *value)
{
	sqlite3_stmt *st;
	int			  rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	*value = 0;
	if (rc != SQLITE_OK)
		return rc;
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Every table the bookkeeping names: tenancy_fallback_tables and the objects' owners. */
static int
collect(sqlite3 *db, retired_list *l, tn_error *err)
{
	sqlite3_stmt *st;
	long long	  has_tables;
	int			  rc = one_row(db, "SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name = 'tenancy_fallback_tables'",
							   NULL, &has_tables);

	if (rc != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	rc = sqlite3_prepare_v2(db, has_tables ? "SELECT 'listed', name FROM main.tenancy_fallback_tables"
											 " UNION ALL SELECT type, name FROM main.sqlite_master"
											 " WHERE type IN ('table', 'trigger') AND name LIKE 'tenancy\\_fb\\_%' ESCAPE '\\'"
										   : "SELECT type, name FROM main.sqlite_master"
											 " WHERE type IN ('table', 'trigger') AND name LIKE 'tenancy\\_fb\\_%' ESCAPE '\\'",
							-1, &st, NULL);
	if (rc != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		const char *type = (const char *) sqlite3_column_text(st, 0);
		const char *name = (const char *) sqlite3_column_text(st, 1);
		char	   *table = NULL;
		int			set_aside = 0;
		int			owned;

		if (strcmp(type, "listed") == 0)
			owned = (table = tnfb_strdup(name)) != NULL ? 1 : -1;
		else
			owned = tn_fb_bookkeeping_owner(type, name, &table, &set_aside);
		if (owned < 0 || (owned > 0 && list_add(l, table, set_aside) != TN_OK))
		{
			sqlite3_finalize(st);
			return tnfb_oom(err);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return tn_sqlite_error(db, rc, err);
	return TN_OK;
}

/* DROP the set-aside shadow tables tenancy_fb_retired_<t>_<n> of t. */
static int
drop_set_aside(sqlite3 *db, const char *table, tn_buf *sql, tn_error *err)
{
	sqlite3_stmt *st;
	int			  rc = sqlite3_prepare_v2(db, "SELECT name FROM main.sqlite_master WHERE type = 'table'"
														" AND name LIKE 'tenancy\\_fb\\_retired\\_%' ESCAPE '\\'",
										  -1, &st, NULL);

	if (rc != SQLITE_OK)
		return tn_sqlite_error(db, rc, err);
	rc = TN_OK;
	while (rc == TN_OK && sqlite3_step(st) == SQLITE_ROW)
	{
		const char *name = (const char *) sqlite3_column_text(st, 0);
		char	   *owner = NULL;
		int			set_aside = 0;

		if (tn_fb_bookkeeping_owner("table", name, &owner, &set_aside) < 0)
			rc = TN_ERR_NO_MEMORY;
		else if (owner != NULL && strcmp(owner, table) == 0)
		{
			rc = tn_buf_printf(sql, "DROP TABLE main.");
			if (rc == TN_OK)
				rc = tn_fb_quote_ident(name, sql);
			if (rc == TN_OK)
				rc = tn_buf_printf(sql, ";\n");
		}
		free(owner);
	}
	sqlite3_finalize(st);
	return rc == TN_OK ? TN_OK : tnfb_oom(err);
}

/* The statements that drop t's bookkeeping (all of it when t is gone). */
static int
drop_sql(sqlite3 *db, const retired_table *t, tn_buf *sql, tn_error *err)
{
	int rc = TN_OK;

	if (t->set_aside && (rc = drop_set_aside(db, t->name, sql, err)) != TN_OK)
		return rc;
	if (t->exists)
		return TN_OK;
	rc = tn_fb_drop_trigger_sql(t->name, sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(sql, "DROP TABLE IF EXISTS main.");
	if (rc == TN_OK)
		rc = tn_fb_shadow_name(t->name, sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(sql, ";\nDELETE FROM main.tenancy_fallback_tables WHERE name = ");
	if (rc == TN_OK)
		rc = tn_fb_quote_literal(t->name, sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(sql, ";\nDELETE FROM main.tenancy_fallback_rows WHERE tbl = ");
	if (rc == TN_OK)
		rc = tn_fb_quote_literal(t->name, sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(sql, ";\nDELETE FROM main.tenancy_fallback_conflicts WHERE tbl = ");
	if (rc == TN_OK)
		rc = tn_fb_quote_literal(t->name, sql);
	if (rc == TN_OK)
		rc = tn_buf_printf(sql, ";\n");
	return rc == TN_OK ? TN_OK : tnfb_oom(err);
}

static int
drop_retired(sqlite3 *db, long long *dropped, tn_error *err)
{
	retired_list l = { 0 };
	tn_buf		 sql = { 0 };
	const char **waiting_names = NULL;
	long long	*waiting = NULL;
	size_t		 nwaiting = 0;
	size_t		 i;
	int			 savepoint = 0;
	int			 rc;

	*dropped = 0;
	if ((rc = tnfb_ensure_local(db, err)) != TN_OK || (rc = tnfb_begin(db, &savepoint, err)) != TN_OK)
		return rc;
	if ((rc = collect(db, &l, err)) != TN_OK)
		goto out;
	if ((waiting_names = calloc(l.n + 1, sizeof(char *))) == NULL ||
		(waiting = calloc(l.n + 1, sizeof(long long))) == NULL)
	{
		rc = tnfb_oom(err);
		goto out;
	}
	for (i = 0; i < l.n; i++)
	{
		long long n = 0;
		int		  src = one_row(db, "SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
								l.t[i].name, &n);

		l.t[i].exists = n > 0;
		if (src == SQLITE_OK && !l.t[i].exists)
			src = one_row(db, "SELECT count(*) FROM main.tenancy_fallback_changes WHERE tbl = ?1", l.t[i].name, &n);
		if (src != SQLITE_OK)
		{
			rc = tn_sqlite_error(db, src, err);
			goto out;
		}
		if (!l.t[i].exists && n > 0)
		{
			waiting_names[nwaiting] = l.t[i].name;
			waiting[nwaiting++] = n;
		}
	}
	if ((rc = tn_fb_retired_waiting(waiting_names, waiting, nwaiting, err)) != TN_OK)
		goto out;
	for (i = 0; i < l.n; i++)
	{
		if (l.t[i].exists && !l.t[i].set_aside)
			continue;
		if ((rc = drop_sql(db, &l.t[i], &sql, err)) != TN_OK)
			goto out;
		(*dropped)++;
	}
	if (sql.len > 0 && (rc = tn_sqlite_exec(db, sql.data, err)) != TN_OK)
	{
		if ((sqlite3_extended_errcode(db) & 0xff) == SQLITE_LOCKED)
		{
			/* SQLite drops no table while another statement of this connection reads */
			tn_error_clear(err);
			tn_error_set(err, TN_ERR_BUSY, "cannot drop the fallback's bookkeeping while another statement of this connection is reading");
			tn_error_detail(err, "SQLite drops no table while a statement of the same connection reads one. Nothing was dropped.");
			tn_error_hint(err, "Call it on its own: SELECT tenant_fallback_drop_retired();");
			rc = err->code;
		}
		goto out;
	}
	rc = tnfb_commit(db, savepoint, err);
out:
	if (rc != TN_OK)
	{
		tnfb_rollback(db, savepoint);
		*dropped = 0;
	}
	tn_buf_free(&sql);
	free(waiting_names);
	free(waiting);
	list_free(&l);
	return rc;
}

/* The named tenant's file in this registry, opened for writing. */
static int
drop_retired_in(sqlite3 *db, const char *name, long long *dropped, tn_error *err)
{
	tn_sqlite_conn tenant;
	int			   rc;

	if ((rc = tnsq_open_named_tenant(db, name, OPEN_RW | OPEN_NO_SCHEMA, &tenant, err)) != TN_OK)
		return rc;
	rc = drop_retired(tenant.db, dropped, err);
	tnsq_close_tenant(&tenant);
	return rc;
}

void
tnfb_fn_drop_retired(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3	 *db = sqlite3_context_db_handle(ctx);
	tn_error  err;
	long long dropped = 0;
	int		  rc;

	tn_error_clear(&err);
	if (argc > 0 && sqlite3_value_type(argv[0]) != SQLITE_NULL)
		rc = drop_retired_in(db, (const char *) sqlite3_value_text(argv[0]), &dropped, &err);
	else
		rc = drop_retired(db, &dropped, &err);
	if (rc != TN_OK)
		tn_sqlite_raise(ctx, &err);
	else
		sqlite3_result_int64(ctx, dropped);
}
