/*
 * tn_base.h -- one family of the public header tenancy.h: the values every
 * family of the core uses: errors (tn_error.c), owned strings (tn_buf.c),
 * text (tn_text.c), clocks (tn_clock.c), result tables (tn_results.c),
 * versions (tn_version.c), names (tn_names.c) and checksums (tn_checksum.c).
 *
 * Hosts include tenancy.h, never this file.  The sections keep tenancy.h's
 * order; each family header includes the one before it.
 */
#ifndef TN_BASE_H
#define TN_BASE_H

#include <stddef.h>

/* The adapter is defined in tn_database.h (after the types it uses); sets read through it. */
typedef struct tn_adapter tn_adapter;

/* ------------------------------------------------------------------ */
/* Errors (tn_error.c)                                                 */
/* ------------------------------------------------------------------ */

typedef enum tn_code
{
	TN_OK = 0,
	TN_ERR_NULL_ARGUMENT,	 /* a required argument was NULL           22004 */
	TN_ERR_INVALID_ARGUMENT, /* bad value (empty, malformed, unknown)  22023 */
	TN_ERR_INVALID_NAME,	 /* tenant/checkpoint name breaks a rule   42602 */
	TN_ERR_IO,				 /* file or folder cannot be read/written  58030 */
	TN_ERR_FORMAT,			 /* migration file/folder is malformed     TN005 */
	TN_ERR_DUPLICATE,		 /* version given twice                    42710 */
	TN_ERR_EXISTS,			 /* object already exists                  42710 */
	TN_ERR_NOT_FOUND,		 /* version/checkpoint/tenant unknown      42704 */
	TN_ERR_DRIFT,			 /* applied checksum differs from catalog  TN001 */
	TN_ERR_MIGRATION_FAILED, /* a migration body raised an error       TN002 */
	TN_ERR_OUT_OF_ORDER,	 /* pending version older than newest      TN003 */
	TN_ERR_MISSING_DOWN,	 /* rollback needs downs that do not exist TN004 */
	TN_ERR_NO_TRANSACTION,	 /* migration must run outside a txn       25001 */
	TN_ERR_NOT_SUPPORTED,	 /* feature not available on this engine   0A000 */
	TN_ERR_PERMISSION,		 /* caller lacks a privilege               42501 */
	TN_ERR_BUSY,			 /* lock not obtained within the timeout   55P03 */
	TN_ERR_TOO_LARGE,		 /* input exceeds a documented limit       54000 */
	TN_ERR_NO_MEMORY,		 /* malloc failed                          53200 */
	TN_ERR_INTERRUPTED,		 /* host asked us to stop                  57014 */
	TN_ERR_ENGINE,			 /* database error (sqlstate filled in)    XX000 */
	TN_ERR_UNREACHABLE,		 /* tenant database cannot be opened       08006 */
	TN_ERR_DISK_FULL,		 /* no space left where the database lives 53100 */
	TN_ERR_READ_ONLY,		 /* the database cannot be written         25006 */
	TN_ERR_WRONG_OBJECT,	 /* a folder where a database file belongs 42809 */
	TN_CODE_COUNT
} tn_code;

#define TN_MESSAGE_MAX 512
#define TN_DETAIL_MAX  2048
#define TN_HINT_MAX	   512

typedef struct tn_error
{
	tn_code code;
	char	sqlstate[6];			 /* engine's own SQLSTATE for TN_ERR_ENGINE and
								 * TN_ERR_MIGRATION_FAILED, else "" */
	char	message[TN_MESSAGE_MAX]; /* lowercase, no final period */
	char	detail[TN_DETAIL_MAX];	 /* full sentences, may be "" */
	char	hint[TN_HINT_MAX];		 /* full sentences, may be "" */
} tn_error;

/* Reset to TN_OK with empty strings. */
void tn_error_clear(tn_error *err);

/*
 * Set code and message (printf-style); detail, hint and sqlstate are cleared.
 * Always returns code, so "return tn_error_set(err, ...)" reads naturally.
 */
int	 tn_error_set(tn_error *err, tn_code code, const char *fmt, ...);
void tn_error_detail(tn_error *err, const char *fmt, ...);
void tn_error_hint(tn_error *err, const char *fmt, ...);
/* Append a sentence to the detail (separated by a space). */
void tn_error_detail_append(tn_error *err, const char *fmt, ...);

/* The one wording of a NULL required argument: argument "x" must not be null */
int tn_error_null_argument(tn_error *err, const char *argname);

/* Static name of a code, e.g. "drift". */
const char *tn_strerror(tn_code code);

/* The SQLSTATE the PostgreSQL host raises for a code (5 chars, static). */
const char *tn_code_sqlstate(tn_code code);

/*
 * Render err the way the SQLite host reports it (message, then
 * "\nDETAIL:  ..." and "\nHINT:  ..." lines like psql prints).  Returns a
 * malloc'd string the caller frees, or NULL on out of memory.
 */
char *tn_error_render(const tn_error *err);

/*
 * The inverse of tn_error_render: text "message[\nDETAIL:  d][\nHINT:  h]"
 * (an error rendered by another tenancy, e.g. read over libpq) into err
 * with code.  A failed migration's detail names the body's SQLSTATE in the
 * words tn_migration_failed writes ("failed with SQLSTATE XXXXX:"): that
 * one becomes err's sqlstate, so tn_error_sqlstate answers as it did where
 * the migration ran (53100 for a full disk, TN002 for a body's own error);
 * otherwise sqlstate is left empty.  Fields longer than err's are cut.
 */
void tn_error_parse_rendered(tn_error *err, tn_code code, const char *text);

/*
 * TN_ASSERT(cond): an invariant of the core (an index in range, a pointer
 * a contract says is not NULL, a sorted set, a legal state transition).
 * Compiled with -DTN_ASSERT_CHECKING it prints "file:line: assertion
 * failed: cond" to stderr and aborts; otherwise it compiles to nothing and
 * cond is not evaluated, so cond must have no side effects.  Never a
 * substitute for an error value: input a caller can get wrong is an error.
 */
#ifdef TN_ASSERT_CHECKING
#define TN_ASSERT(cond) \
	((cond) ? (void) 0 : tn_assert_failed(#cond, __FILE__, __LINE__))
#else
#define TN_ASSERT(cond) ((void) 0)
#endif
void tn_assert_failed(const char *cond, const char *file, int line);

/* ------------------------------------------------------------------ */
/* Owned strings (tn_buf.c)                                            */
/* ------------------------------------------------------------------ */

typedef struct tn_buf
{
	char  *data; /* NUL-terminated, malloc'd, may be NULL */
	size_t len;
	size_t cap;
} tn_buf;

/* Append n bytes / printf-style text; TN_OK or TN_ERR_NO_MEMORY (b stays valid). */
int tn_buf_append(tn_buf *b, const char *s, size_t n);
int tn_buf_printf(tn_buf *b, const char *fmt, ...);

/*
 * Append s[0..n) to b as a JSON string: quoted, '"' '\\' and control
 * characters escaped, a byte that breaks UTF-8 written as U+FFFD.
 * TN_OK or TN_ERR_NO_MEMORY.
 */
int	 tn_json_string(tn_buf *b, const char *s, size_t n);
void tn_buf_free(tn_buf *b);

/* strdup that reports TN_ERR_NO_MEMORY through err (returns NULL then; NULL s gives NULL). */
char *tn_strdup(const char *s, tn_error *err);

/* ------------------------------------------------------------------ */
/* Text (tn_text.c)                                                    */
/* ------------------------------------------------------------------ */

/*
 * Interpret a boolean cell from either engine: true when it starts with
 * t, T, y, Y or 1 ("t" from PostgreSQL, "1" from SQLite); NULL and
 * anything else is false.
 */
int tn_text_bool(const char *v);

/* Offset of the first byte that breaks strict UTF-8 in s[0..len), or -1 if valid. */
long tn_utf8_error_offset(const char *s, size_t len);

/* ------------------------------------------------------------------ */
/* Clocks (tn_clock.c)                                                 */
/* ------------------------------------------------------------------ */

/* Milliseconds from a monotonic clock (for durations only). */
double tn_monotonic_ms(void);

/* UTC timestamp "20261125T232345.123456Z" into buf (at least 32 bytes). */
void tn_utc_stamp(char *buf, size_t size);

/* The same stamp of a given POSIX time (seconds, nanoseconds). */
void tn_utc_stamp_at(long long sec, long nsec, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* Result tables (tn_results.c)                                        */
/* ------------------------------------------------------------------ */

/* Column types of result tables; hosts map them to their own types. */
typedef enum tn_coltype
{
	TN_COL_TEXT,
	TN_COL_INT8,
	TN_COL_TIMESTAMPTZ, /* text in ISO form on both engines */
	TN_COL_BOOL
} tn_coltype;

typedef struct tn_column
{
	const char *name;
	tn_coltype	type;
} tn_column;

/* The shape of one table-valued SQL function, identical on both engines. */
typedef struct tn_result_def
{
	const char		*function; /* SQL name, e.g. "tenant_status" */
	int				 ncols;
	const tn_column *cols;
} tn_result_def;

extern const tn_result_def tn_def_status;			  /* tenant_status() */
extern const tn_result_def tn_def_verify;			  /* tenant_verify() */
extern const tn_result_def tn_def_plan;				  /* tenant_plan([target]) */
extern const tn_result_def tn_def_dry_run;			  /* tenant_dry_run([target]) */
extern const tn_result_def tn_def_history;			  /* tenant_history() */
extern const tn_result_def tn_def_checkpoints;		  /* tenant_checkpoints() */
extern const tn_result_def tn_def_tenants;			  /* tenants() */
extern const tn_result_def tn_def_migrate_all;		  /* tenant_migrate_all([target [, concurrency]]) */
extern const tn_result_def tn_def_runs;				  /* tenant_runs() */
extern const tn_result_def tn_def_dry_run_all;		  /* tenant_dry_run_all([target [, concurrency]]) */
extern const tn_result_def tn_def_migrate_all_atomic; /* tenant_migrate_all_atomic([target [, concurrency]]) */
extern const tn_result_def tn_def_settings;			  /* tenant_settings() */
extern const tn_result_def tn_def_rollback_all;		  /* tenant_rollback_all(checkpoint_or_version [, concurrency [, tenants]]) */
extern const tn_result_def tn_def_verify_all;		  /* tenant_verify_all([concurrency]) */
extern const tn_result_def tn_def_query_all;		  /* tenant_query_all(sql [, concurrency]) */

/*
 * A table of text cells, row-major.  NULL cell = SQL NULL.  All cells are
 * copies owned by the table: each its own malloc, or, for a table made by
 * tn_rows_init_pooled, carved from blocks the table frees as a whole (its
 * cells must then never be freed or replaced one by one).
 */
typedef struct tn_rows
{
	int	   ncols;
	size_t nrows;
	size_t cap;
	char **cells;
	int	   pooled; /* cells live in pool (tn_rows_init_pooled) */
	void  *pool;   /* the blocks, newest first */
} tn_rows;

void tn_rows_init(tn_rows *r, int ncols);
/* The same for a table of many small rows: one malloc per 64 kB of cells, not one per cell. */
void tn_rows_init_pooled(tn_rows *r, int ncols);
/* Append one row of ncols values (copied); returns TN_OK or TN_ERR_NO_MEMORY. */
int tn_rows_add(tn_rows *r, const char *const *values);
/* The cell at (row, col), NULL for SQL NULL or out of range. */
const char *tn_rows_get(const tn_rows *r, size_t row, int col);
void		tn_rows_free(tn_rows *r);
/*
 * Append one row given as a line of PostgreSQL's COPY text format (what
 * COPY ... TO STDOUT sends; the trailing newline optional): TN_OK,
 * TN_ERR_NO_MEMORY, or TN_ERR_ENGINE for a malformed line or one whose
 * cell count is not r's (nothing appended then).  tn_copy_text.c.
 */
int tn_rows_add_copy_text(tn_rows *r, const char *line, size_t len);

/* ------------------------------------------------------------------ */
/* Versions (tn_version.c)                                             */
/* ------------------------------------------------------------------ */

#define TN_MAX_VERSION_LEN 64

/* Validate a version token: digits with '.'/'_' separators. */
int tn_version_validate(const char *version, tn_error *err);

/*
 * A Flyway repeatable migration ("R__views.sql") has the version
 * "R__<description>": it orders after every versioned migration, and
 * repeatables among themselves by description (bytewise), as Flyway
 * applies them.  It is applied again whenever its checksum changes (that
 * is not drift), never counts as a database's version, needs no down (a
 * rollback passes over it) and is selected only when migrating to the
 * newest version.  1 when version is one, else 0.
 */
#define TN_REPEATABLE_PREFIX "R__"
int tn_version_is_repeatable(const char *version);

/*
 * The version without a leading V/v, as a file name or a target argument
 * may write it ("V3" -> "3"); NULL stays NULL.  Points into version.
 */
const char *tn_version_strip(const char *version);

/*
 * Order two version tokens numerically by component ("1.2" < "1.10",
 * "0002" == "2", "1" < "1.0.1").  A leading V/v is ignored.  Returns <0, 0, >0.
 */
int tn_version_compare(const char *a, const char *b);

/*
 * A key that sorts (bytewise, COLLATE "C") exactly as tn_version_compare
 * orders versions: per component, one length byte ('!' + digits) and the
 * digits without leading zeros.  A leading V/v is dropped.  Returns TN_OK,
 * TN_ERR_INVALID_ARGUMENT (not a version) or TN_ERR_TOO_LARGE (size).
 * 2 * TN_MAX_VERSION_LEN + 2 bytes always suffice.
 */
#define TN_VERSION_KEY_MAX (2 * TN_MAX_VERSION_LEN + 2)
int tn_version_key(const char *version, char *out, size_t size);

/* ------------------------------------------------------------------ */
/* Names (tn_names.c)                                                  */
/* ------------------------------------------------------------------ */

/*
 * Tenant names: ^[a-z][a-z0-9_]{0,62}$, not a reserved word of PostgreSQL
 * or SQLite, not a name tenancy uses itself (tenancy*, template names).
 * The message says which rule failed.
 */
int tn_validate_tenant_name(const char *name, tn_error *err);

/* Checkpoint names: ^[A-Za-z0-9_.:-]{1,100}$ */
int tn_validate_checkpoint_name(const char *name, tn_error *err);

/* ------------------------------------------------------------------ */
/* Checksums (tn_checksum.c)                                           */
/* ------------------------------------------------------------------ */

#define TN_CHECKSUM_LEN 72 /* "sha256:" + 64 hex + NUL */

/*
 * Checksum of a body: SHA-256 (libcrypto) of the text with a leading UTF-8
 * BOM removed and CRLF / CR turned into LF, as "sha256:<64 hex>".
 */
int tn_checksum(const char *body, size_t len,
				char out[TN_CHECKSUM_LEN], tn_error *err);

/* ------------------------------------------------------------------ */
/* Storage faults (tn_storage_error.c)                                 */
/* ------------------------------------------------------------------ */

/*
 * What a host's file layer reported, as a class: the host translates its
 * own error (SQLite's result code, errno) into one of these and the core
 * decides the code, SQLSTATE and hint, so both engines say the same.
 */
typedef enum tn_storage_fault
{
	TN_FAULT_NONE = 0,	  /* not a storage fault */
	TN_FAULT_DISK_FULL,	  /* ENOSPC, EDQUOT, SQLITE_FULL          -> 53100 */
	TN_FAULT_READ_ONLY,	  /* EROFS, SQLITE_READONLY               -> 25006 */
	TN_FAULT_IO,		  /* EIO and other I/O failures           -> 58030 */
	TN_FAULT_IS_DIRECTORY /* EISDIR: a folder where a file belongs -> 42809 */
} tn_storage_fault;

/* The class of an errno value (TN_FAULT_NONE for one that is not a storage fault). */
tn_storage_fault tn_storage_fault_of_errno(int sys_errno);

/*
 * Sets err to the fault's code (TN_ERR_DISK_FULL, TN_ERR_READ_ONLY,
 * TN_ERR_IO, TN_ERR_WRONG_OBJECT) with message (as given: the engine's
 * or the caller's text), a detail naming file (may be NULL) and the core's
 * hint naming the real cause; err->sqlstate holds the code's SQLSTATE so a
 * failed migration wrapping it keeps it.  Returns the code.  fault must not
 * be TN_FAULT_NONE.
 */
int tn_error_storage(tn_error *err, tn_storage_fault fault, const char *message, const char *file);

/*
 * 1 when sqlstate names a cause outside the migration (insufficient
 * resources 53, operator intervention 57, system error 58, read-only
 * transaction 25006): a migration failing with it keeps that SQLSTATE
 * instead of TN002, and its hint is tn_environment_hint's.
 */
int tn_sqlstate_is_environment(const char *sqlstate);

/*
 * The core's hint for an engine error of such a class (disk full, read
 * only, I/O, out of lock slots naming max_locks_per_transaction and
 * batch_size), or NULL when the core has none for it.
 */
const char *tn_environment_hint(const tn_error *engine);

/*
 * An engine error a host just captured (code, message, hint, sqlstate
 * filled): when its SQLSTATE is a storage or resource cause the core has a
 * hint for, that hint replaces the engine's, so both engines say the same.
 */
void tn_error_engine_cause(tn_error *err);

#endif /* TN_BASE_H */
