/*
 * tn_sql.h -- running SQL through an adapter: the helpers the core's
 * engine files and the hosts' registry code share (tn_sql.c).
 *
 * Public: hosts include it (with tenancy.h) when they run their own
 * statements through an adapter.  Must not: declare anything that is not
 * implemented in tn_sql.c, or anything about migrations (tenancy.h).
 */
#ifndef TN_SQL_H
#define TN_SQL_H

#include "tenancy.h"

#define TN_SQL_MAX 2048

/*
 * Expand "{T}" in a SQL template to the adapter's table prefix
 * ("tenancy_" / "tenancy.").  Returns buf (size TN_SQL_MAX); a template
 * that would expand past it is cut short (templates are the core's and
 * the hosts' own constants, far below it).
 */
const char *tn_sql(const tn_adapter *a, const char *tmpl, char *buf);

/* Run a statement (template with {T}) through a->query and ignore its rows. */
int tn_exec(const tn_adapter *a, const char *tmpl, int nparams,
			const tn_value *params, tn_error *err);

/*
 * Run a statement and copy every row into out (tn_rows_init'd here with
 * ncols; a row of another width is TN_ERR_ENGINE).  On error out is freed.
 */
int tn_query_rows(const tn_adapter *a, const char *tmpl, int nparams,
				  const tn_value *params, int ncols, tn_rows *out,
				  tn_error *err);

/* Parameter constructors: text (NULL s gives SQL NULL), int8, NULL. */
tn_value tn_text(const char *s);
tn_value tn_int8(long long v);
tn_value tn_null(void);

/* Strict integer parse of a cell (NULL or junk -> dflt). */
long long tn_cell_int(const char *cell, long long dflt);

/*
 * Commit the adapter's unit of work; if the commit fails (e.g.
 * SQLITE_BUSY), roll it back so nothing stays open, and return the
 * commit's error.
 */
int tn_finish(const tn_adapter *a, tn_error *err);

/* Roll back the adapter's unit of work, keeping the first error in err. */
void tn_abort(const tn_adapter *a, tn_error *err);

#endif /* TN_SQL_H */
