/*
 * sqlite_vtab.h -- one generic eponymous virtual table module that turns
 * a core call returning tn_rows into a table-valued function, so that
 * SELECT * FROM tenant_status() reads the same on SQLite and PostgreSQL.
 */
#ifndef TENANCY_SQLITE_VTAB_H
#define TENANCY_SQLITE_VTAB_H

#include "sqlite_adapter.h"

#define TN_VTAB_MAX_ARGS 4

/* Produce the rows for one scan.  args[i] NULL = not given or SQL NULL. */
typedef int (*tn_vtab_fill_fn)(sqlite3 *db, int nargs,
							   sqlite3_value **args, tn_rows *out,
							   tn_error *err);

typedef struct tn_vtab_spec
{
	const tn_result_def *def;	/* name and columns */
	int					 nargs; /* hidden argument columns */
	const char			*argnames[TN_VTAB_MAX_ARGS];
	tn_vtab_fill_fn		 fill;
} tn_vtab_spec;

/* Register spec->def->function as an eponymous table-valued function. */
int tn_vtab_register(sqlite3 *db, const tn_vtab_spec *spec);

#endif
