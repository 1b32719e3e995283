/*
 * tn_internal.h -- helpers shared by the core's own files only, one
 * section per file that implements them.
 *
 * Not part of the public contract: hosts include tenancy.h (and tn_sql.h)
 * alone.  Must not: be included by any file outside shared/.
 */
#ifndef TN_INTERNAL_H
#define TN_INTERNAL_H

#include "tenancy.h"
#include "tn_sql.h"

/* ---- owned strings (tn_buf.c) ---- */

/* A NUL-terminated malloc'd copy of s[0..n), or NULL on out of memory. */
char *tn_memdup(const char *s, size_t n);

/* ---- text (tn_text.c) ---- */

/* a (alen bytes) equals the lowercase ASCII word lower, ignoring case. */
int tn_ascii_ieq(const char *a, size_t alen, const char *lower);

/*
 * Printable copy of s for messages into out: bytes that are not printable
 * ASCII or part of a valid 2-byte UTF-8 sequence become \xNN, so a message
 * never carries invalid UTF-8 or control characters into the host's error
 * report; a long s keeps its end (the file name of a path) after "...".
 */
#define TN_SHOWN_MAX 256 /* bytes of s echoed */
#define TN_SHOWN_BUF (TN_SHOWN_MAX * 4 + 8)
void tn_shown(const char *s, char *out, size_t outsize);

/* ---- file names (tn_filename.c), shared with folder reading ---- */

/* The name ends in ".sql" (any case). */
int tn_has_sql_suffix(const char *name);

/*
 * The columns of tenant_fallback_status, which tenant_fallback_status_all
 * repeats after its tenant column (tn_fallback_sync.c, tn_fallback_all.c).
 */
#define TN_FB_STATUS_COLUMNS                                                       \
	{ "primary_reachable", TN_COL_BOOL }, { "round_trip_ms", TN_COL_INT8 },        \
		{ "primary_version", TN_COL_TEXT }, { "fallback_version", TN_COL_TEXT },   \
		{ "changes_waiting", TN_COL_INT8 }, { "last_pull", TN_COL_TIMESTAMPTZ },   \
		{ "last_push", TN_COL_TIMESTAMPTZ }, { "conflicts_waiting", TN_COL_INT8 }, \
	{                                                                              \
		"error", TN_COL_TEXT                                                       \
	}

/* Value of a hexadecimal digit (either case), -1 for anything else (tn_fallback_types.c). */
int tn_hex_value(int c);

/*
 * Dialect named by a file-name tag or a folder name (pg, postgres,
 * postgresql, sqlite, sqlite3, all; TN_DIALECT_OTHER for mysql, mariadb,
 * cockroach, sqlserver, oracle, ...), or -1.
 */
int tn_dialect_of(const char *s, size_t n);

/* tn_parse_filename, also giving the flags the name implies (pop's ".autocommit": TN_MIG_NO_TRANSACTION). */
int tn_parse_filename_flags(const char *filename, char **version, char **name,
							tn_dialect *dialect, int *direction,
							unsigned *flags, tn_error *err);

/* ---- in-file annotations (tn_annotations.c) ---- */

#define TN_TOOL_NONE		0
#define TN_TOOL_GOOSE		1
#define TN_TOOL_SQL_MIGRATE 2

/*
 * The sections of an annotated file, as byte offsets into its body: a
 * section's text is [start, end), its annotation line starts at marker and
 * is line number line (1-based); -1 when the section is absent.
 */
typedef struct tn_sections
{
	int		 tool; /* TN_TOOL_*; TN_TOOL_NONE: no annotations */
	long	 up_marker;
	long	 up_start;
	long	 up_end;
	int		 up_line;
	long	 down_marker;
	long	 down_start;
	long	 down_end;
	int		 down_line;
	unsigned flags; /* TN_MIG_NO_TRANSACTION from NO TRANSACTION / notransaction */
} tn_sections;

/*
 * Read the goose or sql-migrate annotations of body (len bytes, UTF-8
 * already checked).  TN_OK with out->tool = TN_TOOL_NONE for a file with
 * none; TN_ERR_FORMAT "invalid <what>" with the line in the detail for
 * misplaced or unknown annotations, a missing Up section, statements
 * before the first section, or markers of a tool tenancy does not read.
 */
int tn_annotations_read(const char *body, size_t len, const char *what,
						tn_sections *out, tn_error *err);

/* ---- migration sets (tn_set.c) ---- */

/* Strictly ascending by tn_version_compare (for TN_ASSERT: no two equal versions). */
int tn_set_is_sorted(const tn_migration_set *set);

/* ---- the file system (tn_fs.c) ---- */

/*
 * Is resolved (a realpath) inside root (a realpath)?  "/a/bc" is not
 * inside "/a/b"; everything absolute is inside "/".
 */
int tn_path_inside(const char *resolved, const char *root);

/* TN_ERR_IO "could not <what> "<path>"" with strerror(errnum) as detail. */
int tn_io_error(tn_error *err, const char *what, const char *path, int errnum);

/*
 * TN_ERR_INVALID_ARGUMENT for a symbolic link that leaves the folder
 * being loaded (not TN_ERR_PERMISSION: no privilege makes it acceptable).
 */
int tn_link_outside(tn_error *err, const char *path);

/*
 * Read a whole regular file into a malloc'd NUL-terminated *body (*len
 * bytes).  A symbolic link is followed only when it resolves inside root;
 * anything but a regular file, or one over TN_MAX_BODY_BYTES, is refused.
 */
int tn_read_regular_file(const char *path, const char *root, char **body,
						 size_t *len, tn_error *err);

/* ---- the state of one database: catalog joined with applied rows (tn_state.c) ---- */

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
	char	 *version;
	char	 *name;				/* catalog name, else applied name */
	char	 *checksum;			/* catalog checksum, NULL when missing */
	char	 *applied_checksum; /* NULL when not applied */
	char	 *applied_at;
	long long duration_ms;
	long long batch;
	long long flags;
	int		  in_catalog;
	int		  is_applied;
	int		  has_down;
	tn_state  state;
} tn_entry;

typedef struct tn_db_state
{
	tn_entry   *entries; /* sorted by tn_version_compare */
	size_t		count;
	const char *newest_applied; /* points into entries, NULL if none */
	long long	max_applied_batch;
	size_t		n_drifted;
	size_t		n_missing;
	size_t		n_pending; /* includes out of order */
	size_t		n_out_of_order;
} tn_db_state;

/* One query: catalog FULL JOIN applied, classified. */
int tn_state_load(const tn_adapter *a, tn_db_state *st, tn_error *err);
/*
 * The same from STATE_SQL's rows (TN_STATE_NCOLS columns) read already.
 * Rows with neither version: TN_ERR_ENGINE.  *st is tn_state_free'd by
 * the caller on TN_OK.
 */
#define TN_STATE_NCOLS 11
int tn_state_from_rows(const tn_rows *rows, tn_db_state *st, tn_error *err);
/*
 * The same from a fan-out's probe (tn_fanout_probe_sql): the catalog's
 * and the applied table's rows, joined here as STATE_SQL joins them.
 */
int tn_state_from_probe(const tn_rows *catalog, const tn_rows *applied, tn_db_state *st, tn_error *err);
/* tn_verify's rows (drifted / missing / out_of_order entries) from a loaded state. */
int		  tn_verify_state(const tn_db_state *st, tn_rows *out, tn_error *err);
void	  tn_state_free(tn_db_state *st);
tn_entry *tn_state_find(tn_db_state *st, const char *version);

/*
 * The checks tenant_migrate makes before changing anything: drift,
 * out-of-order (unless allowed), unknown target.
 */
int tn_state_check_runnable(const tn_db_state *st, const char *target,
							int allow_out_of_order, tn_error *err);

/* Is entry e selected by tenant_migrate(target, allow_out_of_order)? */
int tn_entry_selected(const tn_entry *e, const char *target,
					  int allow_out_of_order);

/* Next batch id: larger than any batch ever recorded. */
int tn_next_batch(const tn_adapter *a, long long *batch, tn_error *err);

/* ---- migrations (tn_migration.c); after the state, whose entries name a failure ---- */

/* Line number (1-based) of the first token at or after offset in script (0 if unknown). */
int tn_line_of_offset(const char *script, long offset);

/*
 * Turn the engine error in err, raised by a migration body (or a down),
 * into TN_ERR_MIGRATION_FAILED: "<what> "<version>" failed", with the
 * line, the engine's SQLSTATE and message in the detail, then aftermath.
 * The line counts in the body's file: e->flags says how many lines of the
 * file come before the up (direction +1) or down (-1) body.
 * Returns TN_ERR_MIGRATION_FAILED.
 */
int tn_migration_failed(tn_error *err, const tn_entry *e, int direction, const char *what,
						const char *script, long offset, const char *aftermath);

/* ---- history (tn_history.c) ---- */

/* Append a history row (within the caller's unit of work). */
int tn_history_add(const tn_adapter *a, const char *action,
				   const char *version, long long batch,
				   const char *detail, tn_error *err);

/* ---- checkpoints (tn_checkpoint.c) ---- */

/* Insert a checkpoint row (within the caller's unit of work). */
int tn_checkpoint_insert(const tn_adapter *a, const tn_db_state *st,
						 const char *name, const char *kind,
						 const char *mode, tn_error *err);

/* ---- catalog (tn_catalog.c) ---- */

/* Bring a migration set into the catalog (inside an open unit of work). */
int tn_catalog_sync_locked(const tn_adapter *a, const tn_migration_set *set,
						   tn_error *err);

/* Does the catalog already hold the set exactly?  Read only. */
int tn_catalog_in_sync(const tn_adapter *a, const tn_migration_set *set,
					   int *in_sync, tn_error *err);

/*
 * The statement splitter (tn_body.c): fn gets each statement's first words
 * (w[i], wl[i] bytes; "" for a literal or symbol), their count and the
 * statement's offset in body; a non-zero return stops the walk.
 */
typedef int (*tn_statement_fn)(void *arg, const char *const *w, const size_t *wl,
							   int n, long offset);
int tn_body_statements(const char *body, tn_statement_fn fn, void *arg);

/* ---- tn_guard.c: what a migrate run checks before a body runs ---- */

/*
 * body (just read from the catalog) must hash to e->checksum.  TN_OK, or
 * TN_ERR_DRIFT with err naming both checksums.
 */
int tn_guard_body(const tn_entry *e, const char *body, tn_error *err);

/*
 * A fan-out runs only the tenant set's migrations: every entry of st that
 * the run would apply (tn_entry_selected) must be in set with the same
 * checksum.  TN_OK, or TN_ERR_PERMISSION naming the first that is not.
 */
int tn_guard_sync_pending(const tn_db_state *st, const tn_migration_set *set,
						  const char *target, int allow_out_of_order,
						  tn_error *err);

#endif /* TN_INTERNAL_H */
