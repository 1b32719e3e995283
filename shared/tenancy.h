/*
 * tenancy.h -- the one public header of the tenancy core.
 *
 * The core is plain C99 + libc + libcrypto. It decides everything about
 * migrations: file-name rules, ordering, checksums, planning (applied /
 * pending / drifted / missing / out_of_order), batches, checkpoints,
 * rollback, tenant-name validation, the words every SQL function accepts,
 * the state of a tenant, and the text of every error.
 *
 * It must never include a host header (PostgreSQL, SQLite or libpq),
 * never longjmp, and never keep memory alive across a return to the host:
 * every call either fills a caller-owned structure (freed by the matching
 * *_free function, which uses free()) or nothing.  Errors come back as a
 * tn_error value; each host raises it in exactly one place.
 *
 * The core reaches a database only through tn_adapter (below).  SQLite,
 * PostgreSQL SPI and libpq each implement it once; the helpers that run
 * SQL through an adapter are in tn_sql.h.
 *
 * One section per core file, in the order a reader meets them:
 *   errors (tn_error.c), owned strings (tn_buf.c), text (tn_text.c),
 *   clocks (tn_clock.c), result tables (tn_results.c), versions
 *   (tn_version.c), names (tn_names.c), checksums (tn_checksum.c), bodies
 *   (tn_body.c), migrations (tn_migration.c), migration sets (tn_set.c),
 *   file names (tn_filename.c), folders (tn_folder.c), word arguments
 *   (tn_args.c), the adapter and tracking tables (implemented by hosts;
 *   tn_sql.h runs SQL through an adapter),
 *   catalog (tn_catalog.c), migrate and plan (tn_migrate.c), checkpoints
 *   and rollback (tn_checkpoint.c), status / verify / repair / baseline
 *   (tn_report.c), history (tn_history.c), registry rules (tn_registry.c),
 *   fan-out (tn_fanout.c), tenant_verify_all rows (tn_verify_all.c),
 *   atomic runs (tn_atomic.c).
 */
#ifndef TENANCY_H
#define TENANCY_H

#include <stddef.h>

#define TN_VERSION_STRING "1.0"

/* The adapter is defined below (after the types it uses); sets read through it. */
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
 * with code; sqlstate is left empty.  Fields longer than err's are cut.
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
extern const tn_result_def tn_def_verify_all;		  /* tenant_verify_all([concurrency]) */
extern const tn_result_def tn_def_query_all;		  /* tenant_query_all(sql [, concurrency]) */

/*
 * A table of text cells, row-major.  NULL cell = SQL NULL.  All cells are
 * malloc'd copies owned by the table.
 */
typedef struct tn_rows
{
	int	   ncols;
	size_t nrows;
	size_t cap;
	char **cells;
} tn_rows;

void tn_rows_init(tn_rows *r, int ncols);
/* Append one row of ncols values (copied); returns TN_OK or TN_ERR_NO_MEMORY. */
int tn_rows_add(tn_rows *r, const char *const *values);
/* The cell at (row, col), NULL for SQL NULL or out of range. */
const char *tn_rows_get(const tn_rows *r, size_t row, int col);
void		tn_rows_free(tn_rows *r);

/* ------------------------------------------------------------------ */
/* Versions (tn_version.c)                                             */
/* ------------------------------------------------------------------ */

#define TN_MAX_VERSION_LEN 64

/* Validate a version token: digits with '.'/'_' separators. */
int tn_version_validate(const char *version, tn_error *err);

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
/* Bodies (tn_body.c)                                                  */
/* ------------------------------------------------------------------ */

#define TN_MAX_BODY_BYTES (16 * 1024 * 1024) /* larger bodies: TN_ERR_TOO_LARGE */

/* Migration flags */
#define TN_MIG_NO_TRANSACTION 0x01 /* must run outside a transaction */

/*
 * Check a migration body: not NULL, not empty/blank, valid UTF-8, at most
 * TN_MAX_BODY_BYTES.  what names it in the message ("up body of 3").
 */
int tn_body_validate(const char *body, size_t len, const char *what,
					 tn_error *err);

/*
 * The checks of tn_body_validate but the blank one: a body loaded from a
 * file may be empty or comment-only (a no-op version, as golang-migrate,
 * pop and goose run it).
 */
int tn_body_check_text(const char *body, size_t len, const char *what,
					   tn_error *err);

/*
 * Byte offset of the first statement of body that controls the
 * transaction itself (BEGIN, START TRANSACTION, COMMIT, ROLLBACK without
 * TO, END TRANSACTION), or -1.  Comments, literals and dollar-quoted
 * bodies are skipped; a bare END (SQLite trigger, BEGIN ATOMIC) is not one.
 */
long tn_body_transaction_control(const char *body);

/*
 * A body wrapped in its own transaction (Prisma's enum changes, Sqitch's
 * template): when its transaction control is only BEGIN ... COMMIT pairs,
 * each closed, no ROLLBACK, those statements are overwritten with spaces
 * in place (newlines kept, so line numbers stay) and 1 is returned: the
 * statements then run in tenancy's transaction, all or nothing as the
 * file meant.  0 when there is no transaction control, -1 (body
 * unchanged) for anything else.
 */
int tn_body_strip_transaction(char *body);

/* Is the body only whitespace, comments and semicolons (nothing to run)? */
int tn_body_is_blank(const char *body, size_t len);

/*
 * Flags implied by a body: TN_MIG_NO_TRANSACTION when it carries the
 * marker line "-- tenancy:no-transaction" or contains a statement that
 * PostgreSQL refuses in a transaction block (CREATE INDEX CONCURRENTLY,
 * DROP INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY, VACUUM, CREATE
 * DATABASE, ALTER SYSTEM, ALTER TYPE ... ADD VALUE is fine since PG 12).
 */
unsigned tn_detect_flags(const char *body);

/* ------------------------------------------------------------------ */
/* Migrations (tn_migration.c)                                         */
/* ------------------------------------------------------------------ */

typedef enum tn_dialect
{
	TN_DIALECT_ALL = 0,
	TN_DIALECT_POSTGRES,
	TN_DIALECT_SQLITE,
	TN_DIALECT_OTHER /* a file tag or folder for another engine
								 * (mysql, cockroach, ...): never loaded */
} tn_dialect;

#define TN_MAX_NAME_LEN 200

typedef struct tn_migration
{
	char	  *version;	 /* as written, without a leading V/v */
	char	  *name;	 /* description, never NULL or empty */
	char	  *up_sql;	 /* never NULL */
	char	  *down_sql; /* NULL when there is no down */
	char	  *source;	 /* file it came from, NULL when added by SQL */
	tn_dialect dialect;
	unsigned   flags;					  /* TN_MIG_* */
	char	   checksum[TN_CHECKSUM_LEN]; /* of up_sql */
} tn_migration;

/*
 * Build a migration from SQL arguments (tenant_migration_add): version
 * (tn_version_validate, a leading V/v is dropped), name (non-empty, at most
 * TN_MAX_NAME_LEN), up (tn_body_validate), down (validated unless NULL),
 * checksum and flags computed.  Strings are copied into *out; free with
 * tn_migration_clear.  A NULL required argument gives TN_ERR_NULL_ARGUMENT
 * via tn_error_null_argument.
 */
int tn_migration_from_args(const char *version, const char *name,
						   const char *up_sql, const char *down_sql,
						   tn_dialect dialect, tn_migration *out,
						   tn_error *err);

/* Free the strings of one migration and zero it. */
void tn_migration_clear(tn_migration *m);

/* ------------------------------------------------------------------ */
/* Migration sets (tn_set.c)                                           */
/* ------------------------------------------------------------------ */

typedef struct tn_migration_set
{
	tn_migration *items; /* sorted by version after a load */
	size_t		  count;
	size_t		  cap;
} tn_migration_set;

void tn_migration_set_free(tn_migration_set *set);

/* The migration of version in set (V/v and leading zeros ignored), or NULL. */
const tn_migration *tn_set_find(const tn_migration_set *set, const char *version);

/* The newest version of a sorted set, or NULL when it is empty. */
const char *tn_set_newest(const tn_migration_set *set);

/*
 * How many versions of a tenant set are newer than version (NULL or "":
 * all of them) -- the "pending" a registry shows for a tenant.
 */
long long tn_set_count_newer(const tn_migration_set *set, const char *version);

/*
 * A fan-out's target (NULL: newest, nothing to check) must be a version of
 * the tenant set; else TN_ERR_NOT_FOUND "target version "x" is not in the
 * tenant set", with the hint to load it.  A leading V/v is ignored.
 */
int tn_set_check_target(const tn_migration_set *set, const char *target,
						tn_error *err);

/*
 * Read a migration set from a catalog-shaped tracking table through the
 * adapter's query: table is the name after the adapter's table_prefix
 * ("catalog": a SQLite template's own catalog, tenancy_catalog, or the
 * PostgreSQL registry's tenant set through an adapter with the prefix
 * "tenancy.set_"), with the columns version, name, up_sql, down_sql,
 * checksum, flags, source.  *out is sorted by version;
 * dialect is the adapter's.  On error *out is empty.  Free with
 * tn_migration_set_free.
 */
int tn_set_read(const tn_adapter *a, const char *table,
				tn_migration_set *out, tn_error *err);

/*
 * The tenant set as one text value, so a fan-out sends it to a tenant in
 * the same round trip as the migrate call: "tnset1\n" then, per migration,
 * seven "<byte length>:<bytes>" fields (version, name, up, down, checksum,
 * flags, source; length -1 = NULL).  encode: *out is caller-owned (free
 * with tn_buf_free).  decode: the set is sorted, every version valid and
 * every checksum recomputed; anything else is TN_ERR_FORMAT and *out is
 * left empty.  Free with tn_migration_set_free.
 */
int tn_set_encode(const tn_migration_set *set, tn_buf *out, tn_error *err);
int tn_set_decode(const char *text, tn_migration_set *out, tn_error *err);

/* ------------------------------------------------------------------ */
/* File names (tn_filename.c)                                          */
/* ------------------------------------------------------------------ */

/*
 * Parse one file name.  Fills version (without V), name, dialect, and
 * direction (+1 up, -1 down, 0 unspecified = up or dbmate file).  The
 * out strings are malloc'd; free them.  Non-migration names give
 * TN_ERR_FORMAT.
 */
int tn_parse_filename(const char *filename, char **version,
					  char **name, tn_dialect *dialect,
					  int *direction, tn_error *err);

/* ------------------------------------------------------------------ */
/* Folders (tn_folder.c)                                               */
/* ------------------------------------------------------------------ */

/*
 * Read a migration folder for the given dialect (see README "Migration
 * folders" for the rules: name grammar, Flyway U-files, dbmate, goose and
 * sql-migrate sections, pop tags, dialect subfolders, a folder per
 * migration, blank files as no-ops, BEGIN ... COMMIT pairs taken out).
 * On success *out holds every migration for that dialect sorted by
 * version, checksums computed, flags detected.  On any error *out is left
 * empty and err names the file and the rule; a folder with entries of
 * which none is a migration is TN_ERR_FORMAT.
 */
int tn_load_folder(const char *path, tn_dialect dialect,
				   tn_migration_set *out, tn_error *err);

/*
 * The same rules on files a client sent instead of a folder on this machine
 * (tenant_migrations_load_files): n files, names[i] "FILE" or
 * "DIALECT/FILE" (DIALECT a dialect subfolder name: postgres, postgresql,
 * pg, sqlite, all), bodies[i] its lens[i] bytes.  Any other name (another
 * '/', "..", a leading '.', empty) is TN_ERR_FORMAT; a name given twice is
 * TN_ERR_DUPLICATE; NULL names or bodies TN_ERR_NULL_ARGUMENT.  Files that
 * are not .sql and another dialect's files are skipped, as in a folder.
 * Errors name the file as sent.  The folder reader and this function share
 * every step after reading the bytes.
 */
int tn_load_files(size_t n, const char *const *names,
				  const char *const *bodies, const size_t *lens,
				  tn_dialect dialect, tn_migration_set *out,
				  tn_error *err);

/* ------------------------------------------------------------------ */
/* Word arguments (tn_args.c)                                          */
/* ------------------------------------------------------------------ */

/*
 * Scope argument of tenant_migrations_load / tenant_migration_add:
 * NULL or "database" -> 0 (this database's own catalog, applied by
 * tenant_migrate()); "tenants" -> 1 (the registry's tenant set, pushed to
 * tenants, never applied to the registry itself).  Else TN_ERR_INVALID_ARGUMENT.
 */
int tn_parse_scope(const char *scope, int *tenants, tn_error *err);

/*
 * Mode argument of tenant_checkpoint: NULL or "marker" -> 0, "snapshot"
 * -> 1.  Else TN_ERR_INVALID_ARGUMENT "invalid checkpoint mode".
 */
int tn_parse_checkpoint_mode(const char *mode, int *snapshot, tn_error *err);

/* The kinds of tenant: PostgreSQL has databases and schemas, SQLite files. */
typedef enum tn_tenant_kind
{
	TN_KIND_DATABASE,
	TN_KIND_SCHEMA,
	TN_KIND_FILE
} tn_tenant_kind;

/*
 * Kind argument of tenant_create / tenant_register on engine (the
 * adapter's dialect).  PostgreSQL: NULL or "database" -> TN_KIND_DATABASE,
 * "schema" -> TN_KIND_SCHEMA, else TN_ERR_INVALID_ARGUMENT "invalid tenant
 * kind".  SQLite: NULL or "file" -> TN_KIND_FILE, anything else
 * TN_ERR_NOT_SUPPORTED "tenant kind "x" is not supported on SQLite".
 */
int tn_parse_tenant_kind(const char *kind, tn_dialect engine,
						 tn_tenant_kind *out, tn_error *err);

/* The word of a kind, as tenants() shows it: "database", "schema" or "file". */
const char *tn_tenant_kind_name(tn_tenant_kind kind);

/*
 * Mode argument of tenant_drop on engine: NULL or "keep" -> 0 (unregister,
 * keep the tenant's database or file), "delete" -> 1.  Else
 * TN_ERR_INVALID_ARGUMENT "invalid drop mode".
 */
int tn_parse_drop_mode(const char *mode, tn_dialect engine,
					   int *delete_data, tn_error *err);

/*
 * Target argument of tenant_migrate, tenant_plan and the fan-outs: NULL
 * stays NULL (the newest version); else the version without a leading V/v
 * (tn_version_strip), which must be valid (tn_version_validate).  *out
 * points into target.
 */
int tn_parse_target(const char *target, const char **out, tn_error *err);

/*
 * Numeric arguments of the fan-outs, judged the same on both engines (the
 * host only reads the SQL value).  concurrency: 1 to
 * TN_FANOUT_MAX_CONCURRENCY (each unit is a thread on SQLite, a connection
 * on PostgreSQL), else TN_ERR_INVALID_ARGUMENT "concurrency must be
 * between 1 and 64".  max_failures: 0 (no limit) or more, else
 * TN_ERR_INVALID_ARGUMENT "max_failures must be a whole number of 0 or
 * more".  The host passes NULL as the default it documents (it never calls
 * these for a NULL).
 */
#define TN_FANOUT_MAX_CONCURRENCY 64
int tn_check_concurrency(long long concurrency, tn_error *err);
int tn_check_max_failures(long long max_failures, tn_error *err);

/* ------------------------------------------------------------------ */
/* The adapter: how the core reaches one database (hosts implement it) */
/* ------------------------------------------------------------------ */

typedef enum tn_type
{
	TN_T_NULL,
	TN_T_TEXT,
	TN_T_INT8,
	TN_T_BOOL
} tn_type;

/* A statement parameter ($1..$n in the SQL text on both engines). */
typedef struct tn_value
{
	tn_type		type;
	const char *text; /* TN_T_TEXT */
	long long	i;	  /* TN_T_INT8, TN_T_BOOL (0/1) */
} tn_value;

/*
 * Called once per result row.  values[i] is NULL for SQL NULL; booleans
 * arrive as "t"/"f" (PostgreSQL) or "1"/"0" (SQLite): use tn_text_bool.
 * Pointers are valid only during the call.  Return TN_OK to go on, or an
 * error code (with err filled) to stop the query.
 */
typedef int (*tn_row_fn)(void *arg, int ncols, const char *const *values,
						 tn_error *err);

struct tn_adapter
{
	void	   *ctx;
	const char *engine; /* "sqlite" or "postgres" */
	tn_dialect	dialect;

	/*
	 * Prefix of tracking tables in SQL the core writes: "tenancy_" on SQLite
	 * (main.tenancy_catalog), "tenancy." on PostgreSQL (tenancy.catalog).
	 * The tables are created by the host (extension script / SQLite init).
	 */
	const char *table_prefix;

	/*
	 * Run one statement with parameters $1..$n; call fn for each row (fn may
	 * be NULL).  On engine failure: TN_ERR_ENGINE with the engine's message
	 * and sqlstate; the host's state must be as if the statement never ran
	 * (the PG adapter wraps it in a subtransaction).
	 */
	int (*query)(void *ctx, const char *sql, int nparams,
				 const tn_value *params, tn_row_fn fn, void *arg,
				 tn_error *err);

	/*
	 * Run a migration script (one or more statements, the engine's own
	 * syntax).  On failure returns TN_ERR_ENGINE with the engine's message
	 * and sqlstate, and sets *failed_offset to the byte offset in script
	 * where the failing statement starts (-1 if unknown).  Partial effects
	 * are undone by the caller's rollback_to.
	 */
	int (*exec_script)(void *ctx, const char *script,
					   long *failed_offset, tn_error *err);

	/*
	 * Start the locked unit of work on this database: at most one runner
	 * at a time per database (SQLite: BEGIN IMMEDIATE with busy timeout, or
	 * a SAVEPOINT inside a caller's transaction; PostgreSQL: an advisory
	 * xact lock, then reads that see everything committed before the lock).
	 * Failure to get the lock in time: TN_ERR_BUSY.
	 */
	int (*begin)(void *ctx, tn_error *err);
	int (*commit)(void *ctx, tn_error *err);
	/* Undo everything since begin.  Must not fail silently. */
	int (*rollback)(void *ctx, tn_error *err);

	/* Strictly nested savepoints inside begin..commit. */
	int (*savepoint)(void *ctx, tn_error *err);
	int (*release)(void *ctx, tn_error *err);
	int (*rollback_to)(void *ctx, tn_error *err); /* and release */

	/*
	 * Run a body that cannot run in a transaction (no begin active).  NULL
	 * when the host cannot do it (PG inside a function): the core then
	 * refuses with TN_ERR_NO_TRANSACTION.
	 */
	int (*exec_outside_transaction)(void *ctx, const char *script,
									long	 *failed_offset,
									tn_error *err);

	/*
	 * Full-copy snapshots for checkpoints (SQLite backup API).  NULL when
	 * the engine has none: the core reports TN_ERR_NOT_SUPPORTED.
	 * restore must keep the tracking tables catalog, history and
	 * checkpoints as they are now (only user data and applied rows go back).
	 */
	int (*snapshot_save)(void *ctx, const char *checkpoint,
						 tn_error *err);
	int (*snapshot_restore)(void *ctx, const char *checkpoint,
							tn_error *err);
	int (*snapshot_drop)(void *ctx, const char *checkpoint,
						 tn_error *err);

	/* Nonzero when the host wants the core to stop (PG: cancel). May be NULL. */
	int (*interrupted)(void *ctx);
};

/* ------------------------------------------------------------------ */
/* Tracking tables (created by the host, read and written by the core) */
/* ------------------------------------------------------------------ */
/*
 * SQLite: main.tenancy_<t>; PostgreSQL: tenancy.<t> (extension schema,
 * registered with pg_extension_config_dump).  Types: "ts" is timestamptz
 * on PostgreSQL, ISO text on SQLite; "int8" is bigint / INTEGER.
 * Timestamps are filled by column defaults (PG clock_timestamp(), SQLite
 * strftime('%Y-%m-%d %H:%M:%f+00','now')); the core never passes times.
 *
 * catalog(version text PRIMARY KEY, name text NOT NULL, up_sql text NOT NULL,
 *         down_sql text, checksum text NOT NULL, flags int8 NOT NULL DEFAULT 0,
 *         source text, added_at ts NOT NULL DEFAULT now)
 * applied(version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
 *         applied_at ts NOT NULL DEFAULT now, duration_ms int8 NOT NULL DEFAULT 0,
 *         batch int8 NOT NULL)
 * history(id int8 PRIMARY KEY autoincrement/identity, at ts NOT NULL DEFAULT now,
 *         action text NOT NULL, version text, batch int8, detail text)
 * checkpoints(name text PRIMARY KEY, created_at ts NOT NULL DEFAULT now,
 *         batch int8 NOT NULL, version text, kind text NOT NULL, mode text NOT NULL)
 *
 * history.action is one of: add, apply, fail, rollback, restore,
 * checkpoint, repair, baseline, dry_run.
 * checkpoints.batch is the highest applied batch when it was taken: a
 * rollback undoes applied rows with a larger batch.  kind: automatic |
 * manual; mode: marker | snapshot.
 */

#define TN_SQLITE_TABLE_PREFIX	 "tenancy_"
#define TN_POSTGRES_TABLE_PREFIX "tenancy."

/*
 * Every single-database function below (one call per SQL function): on
 * error returns the code with err filled and the database unchanged (the
 * core rolls back what it began).
 */

/* ------------------------------------------------------------------ */
/* Catalog (tn_catalog.c)                                              */
/* ------------------------------------------------------------------ */

/*
 * tenant_migration_add: add one migration to the catalog.  Identical
 * re-add: no-op, *added = 0.  Same version with another body: if applied,
 * TN_ERR_DRIFT (detail names both checksums); if not applied, replaced.
 */
int tn_catalog_add(const tn_adapter *a, const tn_migration *m,
				   int *added, tn_error *err);

/* tenant_migrations_load: tn_load_folder + tn_catalog_add for each, in one unit of work. */
int tn_catalog_load_folder(const tn_adapter *a, const char *path,
						   long long *count, tn_error *err);

/* tenant_migrations_load_files: tn_load_files + tn_catalog_add for each, in one unit of work. */
int tn_catalog_load_files(const tn_adapter *a, size_t n,
						  const char *const *names,
						  const char *const *bodies, const size_t *lens,
						  long long *count, tn_error *err);
/*
 * The same for a registry's tenant set (scope 'tenants'), where a version
 * that failed somewhere can be fixed forward: a new body for a version
 * that is applied is accepted (not TN_ERR_DRIFT); the applied row takes
 * the new checksum and history records "repair" "old -> new".  Tenants get
 * it when the set is synced into them (tn_migrate's opts.sync): one that
 * applied the old body is recorded as repaired the same way, one that did
 * not applies the new body.
 */
int tn_catalog_add_to_set(const tn_adapter *a, const tn_migration *m,
						  int *added, tn_error *err);
int tn_catalog_load_folder_to_set(const tn_adapter *a, const char *path,
								  long long *count, tn_error *err);

/* ------------------------------------------------------------------ */
/* Migrate and plan (tn_migrate.c)                                     */
/* ------------------------------------------------------------------ */

typedef struct tn_migrate_opts
{
	const char *target; /* NULL = newest */
	int			allow_out_of_order;
	int			dry_run; /* apply, report, roll back */

	/*
	 * Fan-out: the tenant set to bring into this database's catalog first,
	 * in the same unit of work (rows that differ are written; a changed
	 * body of an applied version then shows up as drift).  NULL = none.
	 */
	const tn_migration_set *sync;

	/*
	 * The caller's connection is itself running a statement (SQLite's
	 * SELECT tenant_migrate()): no-transaction bodies are checked with
	 * tn_check_runs_in_call before anything of the batch runs.  With
	 * TN_IN_STATEMENT_AND_TRANSACTION (the caller's BEGIN is open) every
	 * no-transaction body is refused up front (25001).
	 */
	int in_statement;
} tn_migrate_opts;

#define TN_IN_STATEMENT					1
#define TN_IN_STATEMENT_AND_TRANSACTION 2

typedef struct tn_migrate_result
{
	long long applied;								/* number applied (0 when up to date) */
	long long batch;								/* batch id, 0 when nothing ran */
	char	  from_version[TN_MAX_VERSION_LEN + 1]; /* "" when none */
	char	  to_version[TN_MAX_VERSION_LEN + 1];
	char	  checkpoint[128]; /* automatic checkpoint name, "" if none */
	tn_rows	  report;		   /* dry run: rows of tn_def_dry_run */
} tn_migrate_result;

void tn_migrate_result_free(tn_migrate_result *r);

/*
 * tenant_migrate / tenant_dry_run.  Under the lock: verify checksums
 * (drift stops everything), refuse out-of-order unless allowed, record the
 * automatic checkpoint pre_migration_<UTC timestamp>, apply each pending
 * version up to target in its own savepoint, record it.  Any failure:
 * roll back the whole batch, record the failure in history, return
 * TN_ERR_MIGRATION_FAILED naming version, statement position and the
 * engine's message (sqlstate = engine's).  *res is always initialised
 * (free it with tn_migrate_result_free, also after an error).
 */
int tn_migrate(const tn_adapter *a, const tn_migrate_opts *opts,
			   tn_migrate_result *res, tn_error *err);

/*
 * Statements an engine cannot run from inside a function call (tn_in_call.c).
 * SQLite refuses VACUUM (any form, VACUUM INTO too) while another statement
 * of the connection is in progress, and SELECT tenant_migrate() is one; the
 * other no-transaction statements (PRAGMA journal_mode, ATTACH, ...) run.
 * Returns TN_OK when every statement of body can run; otherwise
 * TN_ERR_NO_TRANSACTION naming the migration, the statement and its line,
 * with a hint.  PostgreSQL: always TN_OK (its tenant_migrate() refuses every
 * no-transaction migration before this is asked).
 */
int tn_check_runs_in_call(tn_dialect dialect, const char *version,
						  const char *name, const char *body,
						  tn_error *err);

/* tenant_plan: rows of tn_def_plan for what tenant_migrate(target) would run. */
int tn_plan(const tn_adapter *a, const char *target, tn_rows *out,
			tn_error *err);

/* ------------------------------------------------------------------ */
/* Checkpoints and rollback (tn_checkpoint.c)                          */
/* ------------------------------------------------------------------ */

/*
 * tenant_checkpoint: record a named checkpoint (name NULL: generated
 * "checkpoint_<UTC timestamp>").  snapshot: also keep a full copy.
 * name_out receives the name used.
 */
int tn_checkpoint(const tn_adapter *a, const char *name, int snapshot,
				  char *name_out, size_t name_out_size, tn_error *err);

/* tenant_checkpoints: rows of tn_def_checkpoints. */
int tn_checkpoints(const tn_adapter *a, tn_rows *out, tn_error *err);

/*
 * tenant_rollback: undo every version applied after the checkpoint (NULL:
 * the newest automatic one) by running downs newest first in one unit of
 * work.  Missing downs: refuse before any change, listing them, unless the
 * checkpoint has a snapshot, which is then restored.
 */
int tn_rollback(const tn_adapter *a, const char *checkpoint,
				long long *count, tn_error *err);

/* ------------------------------------------------------------------ */
/* Status, verify, repair, baseline (tn_report.c)                      */
/* ------------------------------------------------------------------ */

/* tenant_status: rows of tn_def_status, every version, ordered by version. */
int tn_status(const tn_adapter *a, tn_rows *out, tn_error *err);

/* tenant_verify: rows of tn_def_verify, only problems. */
int tn_verify(const tn_adapter *a, tn_rows *out, tn_error *err);

/* tenant_repair: accept the catalog checksum of a drifted version. */
int tn_repair(const tn_adapter *a, const char *version, tn_error *err);

/* tenant_baseline: mark every catalog version <= version applied. */
int tn_baseline(const tn_adapter *a, const char *version,
				long long *count, tn_error *err);

/*
 * The newest applied version of the database into out ("" when none is
 * applied).  Reads only.
 */
int tn_newest_applied(const tn_adapter *a, char *out, size_t size,
					  tn_error *err);

/* ------------------------------------------------------------------ */
/* History (tn_history.c)                                              */
/* ------------------------------------------------------------------ */

/* tenant_history: rows of tn_def_history, oldest first. */
int tn_history(const tn_adapter *a, tn_rows *out, tn_error *err);

/* ------------------------------------------------------------------ */
/* Registry rules (tn_registry.c)                                      */
/* ------------------------------------------------------------------ */

/*
 * A tenant file path given to tenant_create/tenant_register: relative to
 * the registry folder, no ".." component, no NUL, and (resolving symlinks
 * of whatever exists) inside the registry folder.  *resolved receives the
 * absolute path (malloc'd).  must_exist: 1 the file must exist, 0 it must
 * not, -1 either.
 */
int tn_validate_tenant_path(const char *registry_dir, const char *path,
							int must_exist, char **resolved,
							tn_error *err);

/*
 * SQLite's tenant_create makes a file, which no transaction can take back:
 * called inside the caller's transaction (in_transaction != 0) it is
 * refused before anything is made, TN_ERR_NO_TRANSACTION (25001), so a
 * ROLLBACK never leaves a file behind.  TN_OK otherwise.
 */
int tn_registry_check_create_outside(int in_transaction, tn_error *err);

/*
 * The warning of tenant_migration_add / tenant_migrations_load (function)
 * called with the default scope in a registry that has ntenants tenants:
 * the migrations go into the registry's own catalog, which is seldom what
 * is meant there.  Fills warn (code TN_OK: a warning, not an error) and
 * returns 1 when ntenants > 0; else 0.  An explicit 'database' scope does
 * not warn (the host does not call this then).
 */
int tn_registry_scope_warning(const char *function, long long ntenants,
							  tn_error *warn);

/* The state words of tenants(). */
#define TN_TENANT_UP_TO_DATE  "up_to_date"
#define TN_TENANT_BEHIND	  "behind"
#define TN_TENANT_FAILED	  "failed"
#define TN_TENANT_UNREACHABLE "unreachable"
#define TN_TENANT_PROBLEMS	  "problems"

/*
 * The state tenants() shows for a tenant, from what the registry recorded
 * when it last reached (or tried to reach) the tenant:
 *   last_status  the status word of the tenant's last fan-out or verify row
 *                (tenant_migrate_all, _atomic or tenant_verify_all), NULL
 *                when none was recorded;
 *   last_error   the error (or verify detail) recorded with it, NULL when
 *                that check went well;
 *   pending      versions of the tenant set newer than the tenant's
 *                (tn_set_count_newer).
 * With an error: "unreachable" (the tenant could not be opened or
 * connected to), "problems" (tenant_verify_all found drift, a missing or
 * an out-of-order version) or "failed" (its migration failed).  Without:
 * "behind" when pending > 0, else "up_to_date".  Returns a static word.
 */
const char *tn_tenant_state(const char *last_status, const char *last_error,
							long long pending);

/* ------------------------------------------------------------------ */
/* Fan-out (tn_fanout.c)                                               */
/* ------------------------------------------------------------------ */

/* Status words of a fan-out row. */
#define TN_FANOUT_APPLIED	  "applied"
#define TN_FANOUT_UP_TO_DATE  "up_to_date"
#define TN_FANOUT_FAILED	  "failed"
#define TN_FANOUT_UNREACHABLE "unreachable"
#define TN_FANOUT_SKIPPED	  "skipped"
/* Status of a tenant whose finished batch was undone by tenant_migrate_all_atomic. */
#define TN_FANOUT_ROLLED_BACK "rolled_back"

/*
 * The steps of one tenant's run up to target (NULL = newest).  Without a
 * no-transaction migration in range this is a single TN_STEP_MIGRATE: one
 * round trip.  Each no-transaction migration N adds, before it, a step
 * that migrates (in one transaction) up to the version just before N (or
 * only syncs the catalog when N is the first), then TN_STEP_NO_TRANSACTION
 * for N (the host runs N's statements outside a transaction and records
 * it).  *steps is calloc'd (free()); step pointers point into set.
 * Unknown target: TN_ERR_NOT_FOUND (tn_set_check_target).
 */
typedef enum tn_step_kind
{
	TN_STEP_SYNC,		   /* bring the set into the catalog only */
	TN_STEP_MIGRATE,	   /* sync + migrate to version (NULL newest) */
	TN_STEP_NO_TRANSACTION /* run migration outside a transaction */
} tn_step_kind;

typedef struct tn_fanout_step
{
	tn_step_kind		kind;
	const char		   *version;
	const tn_migration *migration; /* TN_STEP_NO_TRANSACTION only */
} tn_fanout_step;

int tn_fanout_plan(const tn_migration_set *set, const char *target,
				   tn_fanout_step **steps, size_t *nsteps, tn_error *err);

/* Does the tenant, now at tenant_version ("" or NULL: none), need step? */
int tn_fanout_step_needed(const tn_fanout_step *step,
						  const char		   *tenant_version);

/*
 * One tenant's outcome of a migrate call, as a row of tn_def_migrate_all
 * appended to out.  rc/err: what tn_migrate returned.  Picks the status
 * word: applied / up_to_date / failed / unreachable (TN_ERR_UNREACHABLE or
 * TN_ERR_IO), the sqlstate (tn_fanout_sqlstate) and the error text
 * (tn_error_render).  from_version / to_version: what res holds; a failed
 * tenant whose to_version is unknown reports its from_version there (the
 * batch was rolled back, the tenant stays where it was).  Returns TN_OK or
 * TN_ERR_NO_MEMORY.
 */
/*
 * The sqlstate column of a tenant that did not succeed, the same on both
 * engines: a failed migration (rc TN_ERR_MIGRATION_FAILED) as
 * tn_error_sqlstate decides (TN002; the body's own SQLSTATE is named in
 * the error's detail), else the engine's
 * SQLSTATE when err has one (08006 of a server that went away), else the
 * code's (tn_code_sqlstate).
 */
const char *tn_fanout_sqlstate(int rc, const tn_error *err);

/*
 * The SQLSTATE a host reports for err, decided once for both engines: the
 * code's documented one (tn_code_sqlstate); TN_ERR_ENGINE: the engine's
 * own (err->sqlstate, else XX000); TN_ERR_MIGRATION_FAILED: TN002, with
 * the body's SQLSTATE named in the detail, except a class 57 SQLSTATE
 * (query cancelled, statement timeout, shutdown), which stays.
 */
const char *tn_error_sqlstate(const tn_error *err);

/*
 * The core code of a SQLSTATE another tenancy raised (a tenant's error
 * read over libpq): the code whose documented SQLSTATE it is (TN001 ->
 * TN_ERR_DRIFT, TN002 -> TN_ERR_MIGRATION_FAILED, 22023 ->
 * TN_ERR_INVALID_ARGUMENT, ...), TN_ERR_ENGINE for any other.
 */
tn_code tn_code_of_sqlstate(const char *sqlstate);

int tn_fanout_row(tn_rows *out, const char *tenant, int rc,
				  const tn_migrate_result *res, const tn_error *err,
				  long long duration_ms);

/*
 * The row of a tenant a fan-out never started, appended to out (a table
 * of tn_def_migrate_all): status "skipped", applied 0, and why -- "not
 * started: max_failures reached" when failed_tenant is NULL, else "not
 * started: tenant "x" failed, so no tenant was migrated" (an atomic run
 * stopped by x).  Returns TN_OK or TN_ERR_NO_MEMORY.
 */
int tn_fanout_skipped_row(tn_rows *out, const char *tenant,
						  const char *failed_tenant);

/*
 * A tenant's dry run (tn_migrate with opts.dry_run) as a fan-out outcome:
 * rc is what tn_migrate returned (returned unchanged unless TN_OK).  Sets
 * res->to_version to the newest version the report shows "ok" and
 * res->applied to how many would apply; when the report shows a failure,
 * returns TN_ERR_MIGRATION_FAILED with the message
 * "migration \"V\" would fail: <engine message>" (applied 0), which
 * tn_fanout_row reports as "failed".
 */
int tn_dry_run_outcome(int rc, tn_migrate_result *res, tn_error *err);

/* The NOTICE line of one finished tenant: "[120/1000] acme: applied 3 in 14 ms". */
void tn_fanout_progress(char *buf, size_t size, long long done,
						long long total, const char *tenant,
						const char *status, long long applied,
						long long ms, const char *error);

/* Status word of a whole run: done / failed / stopped (max_failures) / cancelled. */
const char *tn_fanout_run_status(long long failed, long long unreachable,
								 int stopped_early, int cancelled);

/* Default concurrency for a server: min(8, max(1, max_connections / 4)). */
int tn_fanout_default_concurrency(int max_connections);

/*
 * 1 when a tenant's error means its server is gone, not that its
 * migration failed: SQLSTATE class 08, or 57P01/57P02/57P03 (shutdown,
 * crash, not yet accepting connections).  The host then reports
 * TN_ERR_UNREACHABLE.
 */
int tn_fanout_sqlstate_unreachable(const char *sqlstate);

/*
 * The row of tenant_query_all for a tenant that could not answer (not
 * reached, or the statement failed there), the same on both engines: a
 * JSON object {"error": "<message>", "sqlstate": "<SQLSTATE>"} appended to
 * out (the engine's SQLSTATE when err has one, else the code's), so an
 * aggregate over the rows can see failures (row->>'error' IS NOT NULL,
 * json_extract(row, '$.error') IS NOT NULL).  TN_OK or TN_ERR_NO_MEMORY.
 */
int tn_query_all_error_json(tn_buf *out, const tn_error *err);

/*
 * Transient errors: a serialization failure (40001), a deadlock (40P01), a
 * lock timeout (55P03) or "tuple concurrently updated" (XX000, two
 * sessions changing one catalog row: ALTER ROLE, GRANT ... ON DATABASE).
 * The batch was rolled back cleanly, so the same call can simply run
 * again.  tn_error_transient: 1 when err (the engine's error, or a failed
 * migration that kept the engine's SQLSTATE) is one.  A failed migration
 * with a transient cause gets TN_TRANSIENT_HINT instead of "Fix the
 * migration" (tn_migration_failed).
 *
 * tn_retry_delay_ms: after try number attempt (1-based) failed with err,
 * how long to wait before the next try (TN_RETRY_FIRST_DELAY_MS, doubled
 * each time), or 0: do not retry (not transient, or TN_RETRY_ATTEMPTS
 * tries made).  Hosts retry a fan-out tenant's migration with it; a run
 * that still fails says so (tn_error_retried appends "It was tried N
 * times ..." to the detail when attempts > 1).  SQLite's errors carry no
 * SQLSTATE, so there this applies to nothing: a locked SQLite tenant waits
 * for its busy timeout instead.
 */
#define TN_RETRY_ATTEMPTS		4
#define TN_RETRY_FIRST_DELAY_MS 250
#define TN_TRANSIENT_HINT		"The error is transient (a concurrent transaction, a deadlock or a lock timeout) and the batch was rolled back cleanly: run the migration again; nothing needs fixing."
int	 tn_error_transient(const tn_error *err);
int	 tn_retry_delay_ms(const tn_error *err, int attempt);
void tn_error_retried(tn_error *err, int attempts);

/* 1 for failed / unreachable (counted against max_failures), else 0. */
int tn_fanout_status_counts_as_failure(const char *status);

/* ------------------------------------------------------------------ */
/* tenant_verify_all rows (tn_verify_all.c)                            */
/* ------------------------------------------------------------------ */

/* Status words of a tenant_verify_all row. */
#define TN_VERIFY_OK		  "ok"
#define TN_VERIFY_PROBLEMS	  "problems"
#define TN_VERIFY_UNREACHABLE "unreachable"

/*
 * One row of tn_def_verify_all for one tenant, appended to out (initialised
 * by the caller with tn_def_verify_all.ncols).  Reads only: tn_verify and
 * the tenant's state, nothing is synced or written.
 *   a: the tenant's adapter, or NULL when it could not be reached; the
 *      row is then "unreachable" with reach_err rendered in detail and
 *      version/pending/problems NULL.
 *   set: the registry's tenant set, or NULL.  With a set, pending counts
 *      the set's versions the tenant has not applied, and an applied
 *      version whose checksum differs from the set's (or that the set no
 *      longer has) is a problem too.  Without one, pending and problems
 *      come from the tenant's own catalog.
 * status: ok | problems; detail names the first five problems
 * ("version 3 drifted; version 4 drifted from the tenant set") and counts
 * the rest.
 * Errors (reading the tenant failed, out of memory): nothing appended; the
 * host may then call again with a = NULL and that error.
 */
int tn_verify_all_row(const tn_adapter *a, const char *tenant,
					  const tn_migration_set *set,
					  const tn_error *reach_err, tn_rows *out,
					  tn_error *err);

/* ------------------------------------------------------------------ */
/* Atomic runs: tenant_migrate_all_atomic (tn_atomic.c)                */
/* ------------------------------------------------------------------ */

/*
 * The prepared-transaction id of a tenant in an atomic run:
 * "tenancy_<run_id>_<tenant>" (tenant names are validated, so it is a
 * plain literal).  Returns TN_OK or TN_ERR_TOO_LARGE.
 */
#define TN_GID_MAX 200
int tn_atomic_gid(char *buf, size_t size, long long run_id, const char *tenant);

/* The run id of a tenancy gid, or 0 when gid is not one of ours. */
long long tn_atomic_gid_run(const char *gid);

/*
 * Run states of the durable decision record (tenancy.runs.status):
 * preparing -> committing -> done, or preparing -> aborting -> rolled_back.
 * What to do with a prepared transaction of a run whose caller is gone:
 * 1 = COMMIT PREPARED (the record says committing or done), 0 = ROLLBACK
 * PREPARED (anything else: the decision to commit was never made).
 */
#define TN_RUN_PREPARING   "preparing"
#define TN_RUN_COMMITTING  "committing"
#define TN_RUN_ABORTING	   "aborting"
#define TN_RUN_ROLLED_BACK "rolled_back"
#define TN_RUN_DONE		   "done"
int tn_atomic_should_commit(const char *run_status);

/*
 * One row of tn_def_migrate_all_atomic.  rc/res/err: the tenant's prepare
 * outcome; committed: whether the run committed.  A tenant that prepared
 * but whose run was rolled back reads "rolled_back" with the failing
 * tenant named (failed_tenant, may be NULL).
 */
int tn_atomic_row(tn_rows *out, const char *tenant, int rc,
				  const tn_migrate_result *res, const tn_error *err,
				  long long duration_ms, int committed,
				  const char *failed_tenant);

/* ================================================================== */

/* SQLite fallback of a PostgreSQL tenant: type mapping, order, conflicts. */
#include "tn_fallback.h"

/* Schema tenants on Citus: placement, distribution state, refusals. */
#include "tn_citus.h"

#endif /* TENANCY_H */
