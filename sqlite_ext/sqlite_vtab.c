/*
 * sqlite_vtab.c -- generic eponymous virtual table for table-valued
 * functions (modelled on SQLite's ext/misc/series.c): result columns come
 * from a tn_result_def, arguments are HIDDEN columns, and one fill
 * callback runs the core call in xFilter.  No migration logic here.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_vtab.h"

SQLITE_EXTENSION_INIT3

typedef struct tn_vtab
{
	sqlite3_vtab		base;
	sqlite3			   *db;
	const tn_vtab_spec *spec;
} tn_vtab;

typedef struct tn_cursor
{
	sqlite3_vtab_cursor base;
	tn_rows				rows;
	size_t				row;
	sqlite3_value	   *args[TN_VTAB_MAX_ARGS];
} tn_cursor;

static const char *
sql_type(tn_coltype t)
{
	switch (t)
	{
		case TN_COL_INT8:
			return "INTEGER";
		case TN_COL_BOOL:
			return "INTEGER";
		default:
			return "TEXT";
	}
}

static int
vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		   sqlite3_vtab **out, char **errmsg)
{
	const tn_vtab_spec *spec = aux;
	sqlite3_str		   *ddl = sqlite3_str_new(db);
	tn_vtab			   *vt;
	char			   *sql;
	int					i;
	int					rc;

	(void) argc;
	(void) argv;
	(void) errmsg;
	sqlite3_str_appendall(ddl, "CREATE TABLE x(");
	for (i = 0; i < spec->def->ncols; i++)
		sqlite3_str_appendf(ddl, "%s\"%w\" %s", i ? ", " : "", spec->def->cols[i].name,
							sql_type(spec->def->cols[i].type));
	for (i = 0; i < spec->nargs; i++)
		sqlite3_str_appendf(ddl, ", \"%w\" HIDDEN", spec->argnames[i]);
	sqlite3_str_appendall(ddl, ")");
	sql = sqlite3_str_finish(ddl);
	if (sql == NULL)
		return SQLITE_NOMEM;
	rc = sqlite3_declare_vtab(db, sql);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return rc;
	vt = sqlite3_malloc(sizeof(*vt));
	if (vt == NULL)
		return SQLITE_NOMEM;
	memset(vt, 0, sizeof(*vt));
	vt->db = db;
	vt->spec = spec;
	sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
	*out = &vt->base;
	return SQLITE_OK;
}

static int
vt_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

/*
 * Arguments are equality constraints on the hidden columns; idxNum is a
 * bitmask of which ones were given, in argv order.
 */
static int
vt_best_index(sqlite3_vtab *base, sqlite3_index_info *info)
{
	tn_vtab *vt = (tn_vtab *) base;
	int		 ncols = vt->spec->def->ncols;
	int		 slot[TN_VTAB_MAX_ARGS];
	int		 mask = 0;
	int		 i;
	int		 next = 1;

	for (i = 0; i < TN_VTAB_MAX_ARGS; i++)
		slot[i] = -1;
	for (i = 0; i < info->nConstraint; i++)
	{
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		int									   arg = c->iColumn - ncols;

		if (arg < 0 || arg >= vt->spec->nargs)
			continue;
		if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			return SQLITE_CONSTRAINT; /* argument not yet available: ask for another plan */
		slot[arg] = i;
	}
	for (i = 0; i < vt->spec->nargs; i++)
		if (slot[i] >= 0)
		{
			info->aConstraintUsage[slot[i]].argvIndex = next++;
			info->aConstraintUsage[slot[i]].omit = 1;
			mask |= 1 << i;
		}
	info->idxNum = mask;
	info->estimatedCost = 10.0;
	info->estimatedRows = 100;
	return SQLITE_OK;
}

static int
vt_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out)
{
	tn_cursor *cur = sqlite3_malloc(sizeof(*cur));

	(void) base;
	if (cur == NULL)
		return SQLITE_NOMEM;
	memset(cur, 0, sizeof(*cur));
	tn_rows_init(&cur->rows, 0);
	*out = &cur->base;
	return SQLITE_OK;
}

static int
vt_close(sqlite3_vtab_cursor *base)
{
	tn_cursor *cur = (tn_cursor *) base;

	tn_rows_free(&cur->rows);
	sqlite3_free(cur);
	return SQLITE_OK;
}

static int
vt_filter(sqlite3_vtab_cursor *base, int idxNum, const char *idxStr,
		  int argc, sqlite3_value **argv)
{
	tn_cursor	  *cur = (tn_cursor *) base;
	tn_vtab		  *vt = (tn_vtab *) base->pVtab;
	sqlite3_value *args[TN_VTAB_MAX_ARGS] = { 0 };
	tn_error	   err;
	int			   i;
	int			   used = 0;

	(void) idxStr;
	(void) argc;
	for (i = 0; i < vt->spec->nargs; i++)
		if (idxNum & (1 << i))
			args[i] = argv[used++];
	memcpy(cur->args, args, sizeof(args));
	tn_rows_free(&cur->rows);
	cur->row = 0;
	tn_error_clear(&err);
	if (vt->spec->fill(vt->db, vt->spec->nargs, args, &cur->rows, &err) != TN_OK)
	{
		char *text = tn_error_render(&err);

		tn_sqlite_note_error(&err);
		sqlite3_free(vt->base.zErrMsg);
		vt->base.zErrMsg = sqlite3_mprintf("%s", text ? text : err.message);
		free(text);
		tn_rows_init(&cur->rows, 0);
		return SQLITE_ERROR; /* SQLITE_BUSY would replace our message with SQLite's own */
	}
	return SQLITE_OK;
}

static int
vt_next(sqlite3_vtab_cursor *base)
{
	((tn_cursor *) base)->row++;
	return SQLITE_OK;
}

static int
vt_eof(sqlite3_vtab_cursor *base)
{
	tn_cursor *cur = (tn_cursor *) base;

	return cur->row >= cur->rows.nrows;
}

static int
vt_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col)
{
	tn_cursor  *cur = (tn_cursor *) base;
	tn_vtab	   *vt = (tn_vtab *) base->pVtab;
	int			ncols = vt->spec->def->ncols;
	const char *v;

	if (col >= ncols)
	{
		sqlite3_value *arg = cur->args[col - ncols];

		if (arg)
			sqlite3_result_value(ctx, arg);
		return SQLITE_OK;
	}
	v = tn_rows_get(&cur->rows, cur->row, col);
	if (v == NULL)
		return SQLITE_OK;
	if (vt->spec->def->cols[col].type == TN_COL_INT8 || vt->spec->def->cols[col].type == TN_COL_BOOL)
		sqlite3_result_int64(ctx, strtoll(v, NULL, 10));
	else
		sqlite3_result_text(ctx, v, -1, SQLITE_TRANSIENT);
	return SQLITE_OK;
}

static int
vt_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64) ((tn_cursor *) base)->row + 1;
	return SQLITE_OK;
}

static const sqlite3_module tn_module = {
	.iVersion = 0,
	.xCreate = NULL, /* eponymous only */
	.xConnect = vt_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xDestroy = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = vt_filter,
	.xNext = vt_next,
	.xEof = vt_eof,
	.xColumn = vt_column,
	.xRowid = vt_rowid,
};

int
tn_vtab_register(sqlite3 *db, const tn_vtab_spec *spec)
{
	return sqlite3_create_module_v2(db, spec->def->function, &tn_module, (void *) spec, NULL);
}
