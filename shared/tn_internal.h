/*
 * tn_internal.h -- helpers shared by the core's engine files only.
 *
 * Not part of the public contract: hosts include tenancy.h alone.
 */
#ifndef TN_INTERNAL_H
#define TN_INTERNAL_H

#include "tenancy.h"

#define TN_SQL_MAX 2048

/*
 * Expand "{T}" in a SQL template to the adapter's table prefix.  Returns
 * the expanded text in buf (size TN_SQL_MAX).
 */
const char *tn_sql(const tn_adapter *a, const char *tmpl, char *buf);

/* Run a statement (template with {T}) and ignore its rows. */
int			tn_exec(const tn_adapter *a, const char *tmpl, int nparams,
					const tn_value *params, tn_error *err);

/* Run a statement and copy every row into out (tn_rows_init'd by the callee). */
int			tn_query_rows(const tn_adapter *a, const char *tmpl, int nparams,
						  const tn_value *params, int ncols, tn_rows *out,
						  tn_error *err);

/* Parameter constructors. */
tn_value	tn_text(const char *s);
tn_value	tn_int8(long long v);
tn_value	tn_null(void);

/* Strict integer parse of a cell (NULL or junk -> dflt). */
long long	tn_cell_int(const char *cell, long long dflt);

/* Milliseconds from a monotonic clock. */
double		tn_monotonic_ms(void);

/* UTC timestamp "20261125T232345.123456Z" into buf (at least 32 bytes). */
void		tn_utc_stamp(char *buf, size_t size);

/* Offset of the first byte that breaks strict UTF-8, or -1 if valid. */
long		tn_utf8_error_offset(const char *s, size_t len);

/* a (alen bytes) equals the lowercase ASCII word lower, ignoring case. */
int			tn_ascii_ieq(const char *a, size_t alen, const char *lower);

/* strdup that reports TN_ERR_NO_MEMORY through err (returns NULL then). */
char	   *tn_strdup(const char *s, tn_error *err);

/* ---- the state of one database: catalog joined with applied rows ---- */

typedef enum tn_state
{
	TN_STATE_APPLIED,
	TN_STATE_PENDING,
	TN_STATE_DRIFTED,
	TN_STATE_MISSING,
	TN_STATE_OUT_OF_ORDER
} tn_state;

const char *tn_state_name(tn_state s);

typedef struct tn_entry
{
	char	   *version;
	char	   *name;			/* catalog name, else applied name */
	char	   *checksum;		/* catalog checksum, NULL when missing */
	char	   *applied_checksum;	/* NULL when not applied */
	char	   *applied_at;
	long long	duration_ms;
	long long	batch;
	long long	flags;
	int			in_catalog;
	int			is_applied;
	int			has_down;
	tn_state	state;
} tn_entry;

typedef struct tn_db_state
{
	tn_entry   *entries;		/* sorted by tn_version_compare */
	size_t		count;
	const char *newest_applied; /* points into entries, NULL if none */
	long long	max_applied_batch;
	size_t		n_drifted;
	size_t		n_missing;
	size_t		n_pending;		/* includes out of order */
	size_t		n_out_of_order;
} tn_db_state;

/* One query: catalog FULL JOIN applied, classified. */
int			tn_state_load(const tn_adapter *a, tn_db_state *st, tn_error *err);
void		tn_state_free(tn_db_state *st);
tn_entry   *tn_state_find(tn_db_state *st, const char *version);

/*
 * The checks tenant_migrate makes before changing anything: drift,
 * out-of-order (unless allowed), unknown target.
 */
int			tn_state_check_runnable(const tn_db_state *st, const char *target,
									int allow_out_of_order, tn_error *err);

/* Is entry e selected by tenant_migrate(target, allow_out_of_order)? */
int			tn_entry_selected(const tn_entry *e, const char *target,
							  int allow_out_of_order);

/* Next batch id: larger than any batch ever recorded. */
int			tn_next_batch(const tn_adapter *a, long long *batch, tn_error *err);

/* Append a history row. */
int			tn_history_add(const tn_adapter *a, const char *action,
						   const char *version, long long batch,
						   const char *detail, tn_error *err);

/* Insert a checkpoint row (within the caller's unit of work). */
int			tn_checkpoint_insert(const tn_adapter *a, const tn_db_state *st,
								 const char *name, const char *kind,
								 const char *mode, tn_error *err);

/* Bring a migration set into the catalog (inside an open unit of work). */
int			tn_catalog_sync_locked(const tn_adapter *a, const tn_migration_set *set,
								   tn_error *err);

/* Does the catalog already hold the set exactly?  Read only. */
int			tn_catalog_in_sync(const tn_adapter *a, const tn_migration_set *set,
							   int *in_sync, tn_error *err);

/*
 * Commit the unit of work; if the commit fails (e.g. SQLITE_BUSY), roll it
 * back so nothing stays open, and return the commit's error.
 */
int			tn_finish(const tn_adapter *a, tn_error *err);

/* Line number (1-based) of the first token at or after offset in script (0 if unknown). */
int			tn_line_of_offset(const char *script, long offset);

/*
 * Turn the engine error in err, raised by a migration body, into
 * TN_ERR_MIGRATION_FAILED: "<what> "<version>" failed", with the line, the
 * engine's SQLSTATE and message in the detail, then aftermath.
 */
int			tn_migration_failed(tn_error *err, const tn_entry *e, const char *what,
								const char *script, long offset, const char *aftermath);

/* Roll back the adapter's unit of work, keeping the first error in err. */
void		tn_abort(const tn_adapter *a, tn_error *err);

/* ---- tn_guard.c: what a migrate run checks before a body runs ---- */

/*
 * body (just read from the catalog) must hash to e->checksum.  TN_OK, or
 * TN_ERR_DRIFT with err naming both checksums.
 */
int			tn_guard_body(const tn_entry *e, const char *body, tn_error *err);

/*
 * A fan-out runs only the tenant set's migrations: every entry of st that
 * the run would apply (tn_entry_selected) must be in set with the same
 * checksum.  TN_OK, or TN_ERR_PERMISSION naming the first that is not.
 */
int			tn_guard_sync_pending(const tn_db_state *st, const tn_migration_set *set,
								  const char *target, int allow_out_of_order,
								  tn_error *err);

#endif							/* TN_INTERNAL_H */
