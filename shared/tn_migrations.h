/*
 * tn_migrations.h -- one family of the public header tenancy.h: migrations
 * and where they come from: bodies (tn_body.c), migrations (tn_migration.c),
 * migration sets (tn_set.c), file names (tn_filename.c), folders
 * (tn_folder.c) and word arguments (tn_args.c).
 *
 * Hosts include tenancy.h, never this file.  The sections keep tenancy.h's
 * order; each family header includes the one before it.
 */
#ifndef TN_MIGRATIONS_H
#define TN_MIGRATIONS_H

#include "tn_base.h"

/* ------------------------------------------------------------------ */
/* Bodies (tn_body.c)                                                  */
/* ------------------------------------------------------------------ */

#define TN_MAX_BODY_BYTES (16 * 1024 * 1024) /* larger bodies: TN_ERR_TOO_LARGE */

/* Migration flags */
#define TN_MIG_NO_TRANSACTION 0x01 /* must run outside a transaction */

/*
 * Where a body starts in its file, kept in the flags so that it travels
 * with the migration through every catalog, tenant set and fan-out without
 * changing a stored body (a dbmate section's body is cut from just after
 * its "-- migrate:up" line, and its checksum is what users applied): bits
 * 8..31 hold how many lines of the file come before the up body, bits
 * 32..55 the same for the down body.  0 for a whole-file body, and for a
 * body starting more than TN_MIG_LINE_MAX lines down (its lines are then
 * counted from the section).  tn_migration_failed adds them to the line of
 * a failing statement.
 */
#define TN_MIG_UP_LINE_SHIFT   8
#define TN_MIG_DOWN_LINE_SHIFT 32
#define TN_MIG_LINE_MAX		   0xffffffULL

/* flags with the lines of the file before the up and the down body set (tn_migration.c) */
unsigned long long tn_flags_with_lines(unsigned long long flags, long up_lines_before,
									   long down_lines_before);

/* How many lines of its file come before the up (direction +1) or down (-1) body. */
long tn_flags_lines_before(long long flags, int direction);

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

/*
 * The same for a Sqitch verify script, whose template is BEGIN; ...
 * ROLLBACK;: only BEGIN ... ROLLBACK pairs, each closed, are taken out (1);
 * 0 when there is no transaction control, -1 (unchanged) for anything else.
 */
int tn_body_strip_verify_transaction(char *body);

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
	char			  *version;	 /* as written, without a leading V/v */
	char			  *name;	 /* description, never NULL or empty */
	char			  *up_sql;	 /* never NULL */
	char			  *down_sql; /* NULL when there is no down */
	char			  *source;	 /* file it came from, NULL when added by SQL */
	tn_dialect		   dialect;
	unsigned long long flags;					  /* TN_MIG_* bits and body lines */
	char			   checksum[TN_CHECKSUM_LEN]; /* of up_sql */
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

/* The newest version of a sorted set (repeatables are not versions), or NULL when it has none. */
const char *tn_set_newest(const tn_migration_set *set);

/*
 * How many versions of a tenant set (repeatables not counted) are newer than version (NULL or "":
 * all of them) -- the "pending" a registry shows for a tenant.
 */
long long tn_set_count_newer(const tn_migration_set *set, const char *version);

/*
 * The registry's record of a tenant's repeatables (R__) after a run to the
 * newest version, which applies every new or changed one: a line
 * "<version> <checksum>" per repeatable of set; "" when it has none.
 * *out is caller-owned (tn_buf_free), also when empty.  TN_ERR_NO_MEMORY.
 */
int tn_set_repeatables_record(const tn_migration_set *set, tn_buf *out, tn_error *err);

/* One line of such a record into out when version is a repeatable (else nothing); TN_ERR_NO_MEMORY. */
int tn_repeatables_record_add(tn_buf *out, const char *version, const char *checksum);

/*
 * The "pending" a registry shows for a tenant at version whose repeatables
 * record is repeatables (tn_set_repeatables_record; NULL: none was made,
 * so no repeatable is known to be applied): the versions newer than version
 * (tn_set_count_newer) plus every repeatable of set that is not in the record
 * with its current checksum (new, or its body changed, since the tenant last
 * ran to the newest version).  tenants() derives the state from it.
 */
long long tn_set_count_pending(const tn_migration_set *set, const char *version, const char *repeatables);

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
/* batch_size of tenant_migrate_in_batches: 1 or more, else 22023 naming it. */
int tn_check_batch_size(long long batch_size, tn_error *err);
/* tenant_migrate_in_batches called where it cannot commit: 25001, the same text on both engines. */
int tn_error_batches_need_commit(tn_error *err);

#endif /* TN_MIGRATIONS_H */
