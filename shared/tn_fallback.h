/*
 * tn_fallback.h -- the core's decisions for a SQLite fallback of a
 * PostgreSQL tenant (tenant_fallback_pull / _push / _status): how each
 * PostgreSQL type is carried in SQLite and back, in which order tables are
 * written, what a recorded change means when it is pushed, which change
 * is a conflict and what each on_conflict policy does with it, and when a
 * primary's applied versions allow a pull.  Included by tenancy.h.
 *
 * Must not: include a host header, talk to a database, or keep memory
 * alive across a return (the SQL texts it builds go into caller-owned
 * tn_buf values).
 */
#ifndef TN_FALLBACK_H
#define TN_FALLBACK_H

/* ---- type mapping (tn_fallback_types.c) ---- */

/* How one PostgreSQL column travels; README "Type mapping" is this table. */
typedef enum tn_fb_kind
{
	TN_FB_BOOL,		   /* boolean -> INTEGER 0/1 */
	TN_FB_INT,		   /* smallint/integer/bigint/oid -> INTEGER */
	TN_FB_REAL,		   /* real/double precision -> REAL ('NaN' as text) */
	TN_FB_NUMERIC,	   /* numeric -> TEXT, exact */
	TN_FB_TEXT,		   /* text/varchar/char/name/enum -> TEXT */
	TN_FB_JSON,		   /* json/jsonb -> TEXT, the server's text */
	TN_FB_TIMESTAMPTZ, /* timestamptz -> ISO 8601 UTC text ...Z */
	TN_FB_DATETIME,	   /* timestamp/date/time/timetz -> ISO text */
	TN_FB_UUID,		   /* uuid -> TEXT */
	TN_FB_BYTEA,	   /* bytea -> BLOB */
	TN_FB_STRUCTURED,  /* arrays, composites -> JSON text */
	TN_FB_OTHER		   /* anything else -> output-function text */
} tn_fb_kind;

/*
 * The kind of a column from its base type (domains resolved by the host):
 * base_type is format_type(base oid, NULL), typtype and typcategory are
 * pg_type's of the base type.
 */
tn_fb_kind tn_fb_type_kind(const char *base_type, char typtype, char typcategory);

/* "bool", "int", ... (for tests and messages). */
const char *tn_fb_kind_name(tn_fb_kind kind);

/* Declared type of the column when tenancy creates the SQLite table. */
const char *tn_fb_sqlite_decl(tn_fb_kind kind);

/* How the host binds the pulled text of a column into SQLite. */
typedef enum tn_fb_bind
{
	TN_FB_BIND_INT,	 /* strtoll */
	TN_FB_BIND_REAL, /* strtod; a non-number (NaN) as text */
	TN_FB_BIND_TEXT,
	TN_FB_BIND_BLOB_HEX,   /* "\x<hex>" decoded by tn_fb_hex_decode */
	TN_FB_BIND_TIMESTAMPTZ /* text through tn_fb_timestamptz_iso */
} tn_fb_bind;

tn_fb_bind tn_fb_kind_bind(tn_fb_kind kind);

/*
 * PostgreSQL select expression giving the SQLite form of column qcol (an
 * already quoted identifier, maybe qualified) as text.  The session must
 * run with TimeZone UTC, DateStyle ISO, extra_float_digits 1,
 * bytea_output hex (tn_fb_session_sql).  Appends to out.
 */
int tn_fb_pull_expr(tn_fb_kind kind, const char *qcol, tn_buf *out);

/*
 * SQLite expression giving the JSON value of column qcol for
 * json_populate_record on the primary (inside json_object(...)).  A REAL
 * goes through the host's SQL function tenancy_fb_real(x): a double as
 * "%.17g" text, anything else unchanged.
 */
int tn_fb_push_expr(tn_fb_kind kind, const char *qcol, tn_buf *out);

/*
 * PostgreSQL expression for the pushed value of a column, given the
 * populated record tenancy_r and the element tenancy_e (aliases no
 * application column is expected to use): tenancy_r.<qcol>, except JSON
 * kinds, taken as text from tenancy_e->'r' and cast to qtype (their exact
 * text survives).
 * colname is the raw column name; qtype the column's format_type.
 */
int tn_fb_pg_value_expr(tn_fb_kind kind, const char *colname,
						const char *qcol, const char *qtype, tn_buf *out);

/*
 * The same for another record and element key: rec.<qcol>, or for JSON
 * kinds the text of tenancy_e->'<jkey>' (the push's pre-check reads the
 * row a change kept, element key 'o', record tenancy_o).
 */
int tn_fb_pg_value_expr_in(tn_fb_kind kind, const char *colname, const char *qcol,
						   const char *qtype, const char *rec, const char *jkey,
						   tn_buf *out);

/* The settings every connection to a primary runs first (one statement). */
extern const char *const tn_fb_session_sql;

/*
 * timestamptz as the server prints it in UTC with DateStyle ISO
 * ("2024-02-29 23:59:59.5+00") -> ISO 8601 "2024-02-29T23:59:59.5Z" in out.
 * Anything else (infinity, BC, years past 9999) is copied unchanged: the
 * primary reads it back the same.  Returns 1 when converted.
 */
int tn_fb_timestamptz_iso(const char *pgtext, char *out, size_t size);

/*
 * Hash of one row in its pulled form (the texts of the pull expressions,
 * NULL = SQL NULL): 64-bit FNV-1a over length-prefixed cells, as 16 hex
 * digits + NUL.  Pull records it; push compares it with the primary's row
 * read the same way, so a changed row on the primary is a conflict.
 */
#define TN_FB_HASH_LEN 17
void tn_fb_row_hash(int ncols, const char *const *values, char out[TN_FB_HASH_LEN]);

/* Decode "\x<hex>" (bytea hex output).  *out malloc'd; TN_ERR_FORMAT if malformed. */
int tn_fb_hex_decode(const char *text, unsigned char **out, size_t *len,
					 tn_error *err);

/* ---- COPY text format (tn_fallback_copy.c) ---- */

/*
 * Split one line of COPY ... TO STDOUT (text format; len bytes, the final
 * newline optional) into nfields fields, in place: fields[i] points into
 * line, NUL-terminated, escapes undone; isnull[i] = 1 for \N.
 * TN_ERR_FORMAT when the line has another number of fields.
 */
int tn_fb_copy_split(char *line, size_t len, int nfields, char **fields,
					 int *isnull, tn_error *err);

/* Append value (len bytes; NULL = SQL NULL, \N) escaped for COPY FROM STDIN text. */
int tn_fb_copy_append(const char *value, size_t len, tn_buf *out);

/* Append ident quoted with double quotes (embedded quotes doubled). */
int tn_fb_quote_ident(const char *ident, tn_buf *out);

/* Append s as a single-quoted SQL literal. */
int tn_fb_quote_literal(const char *s, tn_buf *out);

/* ---- order, changes, conflicts, versions (tn_fallback_sync.c) ---- */

/*
 * Foreign-key order of n tables (names sorted by the caller): order[]
 * receives table indexes, every parent before its children.  Edge i says
 * child[i] references parent[i]; self references are ignored.  Tables of
 * a cycle are placed in index order when nothing else can go (push then
 * relies on deferrable constraints).  *cyclic set to 1 in that case.
 */
int tn_fb_fk_order(size_t n, size_t nedges, const int *child,
				   const int *parent, int *order, int *cyclic,
				   tn_error *err);

/* What a recorded key means at push time. */
typedef enum tn_fb_op
{
	TN_FB_OP_NONE, /* inserted and deleted again: nothing to push */
	TN_FB_OP_INSERT,
	TN_FB_OP_UPDATE,
	TN_FB_OP_DELETE
} tn_fb_op;

/*
 * The net change of a key: existed_at_sync = the primary had the row when
 * it was last pulled or pushed (a row hash is recorded); exists_now = the
 * fallback has it now.
 */
tn_fb_op	tn_fb_net_op(int existed_at_sync, int exists_now);
const char *tn_fb_op_name(tn_fb_op op);

/*
 * Conflict: the primary's row changed since the sync (its hash differs
 * from synced_hash, or it is gone), or an insert whose key now exists on
 * the primary.  Hashes: NULL = no row.
 */
int tn_fb_is_conflict(tn_fb_op op, const char *synced_hash,
					  const char *primary_hash);

typedef enum tn_fb_policy
{
	TN_FB_ABORT,
	TN_FB_PRIMARY_WINS,
	TN_FB_FALLBACK_WINS
} tn_fb_policy;

/* on_conflict: NULL or 'abort', 'primary_wins', 'fallback_wins'. */
int tn_fb_parse_policy(const char *text, tn_fb_policy *policy,
					   tn_error *err);

/*
 * What to do on the primary for one key, and the outcome word of its
 * push row: pushed | conflict | primary_kept | fallback_applied | skipped.
 * *action: the statement to run (TN_FB_OP_NONE: none).  *refresh: 1 when
 * the fallback's row must be replaced by the primary's (primary_wins).
 */
#define TN_FB_PUSHED		   "pushed"
#define TN_FB_CONFLICT		   "conflict"
#define TN_FB_PRIMARY_KEPT	   "primary_kept"
#define TN_FB_FALLBACK_APPLIED "fallback_applied"
#define TN_FB_SKIPPED		   "skipped"
void tn_fb_resolve(tn_fb_op op, int conflict, const char *primary_hash,
				   tn_fb_policy policy, tn_fb_op *action, int *refresh,
				   const char **outcome);

/*
 * Versions: may a fallback with applied versions fb[] (any order) follow a
 * primary with applied versions pr[]?  Refused (TN_ERR_INVALID_ARGUMENT,
 * the detail names the versions) when the fallback has a version the
 * primary has not applied: "primary is behind the fallback" when it is
 * newer than the primary's newest, else "applied versions differ".  On
 * TN_OK *target is the primary's newest version (NULL: none), pointing
 * into pr.  After migrating to it, call with exact = 1: the lists must
 * then be equal.
 */
int tn_fb_check_versions(const char *const *pr, size_t npr,
						 const char *const *fb, size_t nfb, int exact,
						 const char **target, tn_error *err);

/*
 * The change-capture triggers of one table (SQLite dialect): AFTER
 * INSERT/UPDATE/DELETE, each writing (table, key, op) into
 * tenancy_fallback_changes, key = json_array(<primary key columns>) of the
 * row (an update that changes the key records old and new key).  Plain
 * SQL: every connection's writes are seen, with or without the extension.
 * cols (ncols columns, NULL for a table without a primary key, whose key
 * is its rowid): the first change of a key since the sync also keeps the
 * row as it was into the shadow table (tn_fb_shadow_sql), from OLD, or for
 * an insert that replaces a row (INSERT OR REPLACE, upsert) from a BEFORE
 * INSERT trigger.  A push compares the primary's row with that one, so a
 * pull records nothing per row.
 */
int tn_fb_trigger_sql(const char *table, const char *const *pk_cols,
					  size_t npk, const char *const *cols, size_t ncols,
					  tn_buf *out);

/* The shadow table of table, quoted: "tenancy_fb_old_<table>". */
int tn_fb_shadow_name(const char *table, tn_buf *out);

/*
 * CREATE TABLE IF NOT EXISTS of the shadow table: the columns without
 * declared types (values kept as stored), primary key pk_cols.  (Not a
 * DROP: SQLite refuses one while the calling SELECT runs; the host adds
 * columns an existing one lacks.)
 */
int tn_fb_shadow_sql(const char *table, const char *const *cols, size_t ncols,
					 const char *const *pk_cols, size_t npk, tn_buf *out);

/* DROP TRIGGER IF EXISTS for the four triggers of table. */
int tn_fb_drop_trigger_sql(const char *table, tn_buf *out);

/* ---- tenant_fallback_drop_retired (tn_fallback_retired.c) ---- */

/*
 * Is the schema object (type "table" or "trigger", name) part of the
 * fallback's bookkeeping of one table: its shadow table tenancy_fb_old_<t>,
 * a shadow table set aside when the table's key changed
 * tenancy_fb_retired_<t>_<n> (*set_aside = 1), or a capture trigger
 * tenancy_fb_{bin,ins,upd,del}_<t>?  1: yes, *table = <t> (malloc'd, the
 * caller frees); 0: no (*table NULL); -1: out of memory.
 */
int tn_fb_bookkeeping_owner(const char *type, const char *name, char **table, int *set_aside);

/*
 * The refusal of tenant_fallback_drop_retired when retired tables (n of
 * them, tables[i] with waiting[i] changes recorded and not pushed) still
 * have changes: TN_ERR_NOT_SUPPORTED naming each with its count, nothing
 * dropped.  n == 0: TN_OK.
 */
int tn_fb_retired_waiting(const char *const *tables, const long long *waiting, size_t n, tn_error *err);

/* Result shapes. */
extern const tn_result_def tn_def_fallback_pull;   /* tenant_fallback_pull(primary [, tables]) */
extern const tn_result_def tn_def_fallback_push;   /* tenant_fallback_push(primary [, on_conflict]) */
extern const tn_result_def tn_def_fallback_status; /* tenant_fallback_status(primary) */
extern const tn_result_def tn_def_backups;		   /* tenant_backups() */

/* ---- the registry level (tn_fallback_all.c) ---- */

extern const tn_result_def tn_def_fallback_pull_all;   /* tenant_fallback_pull_all(primary_registry [, concurrency]) */
extern const tn_result_def tn_def_fallback_push_all;   /* tenant_fallback_push_all(primary_registry [, on_conflict [, concurrency]]) */
extern const tn_result_def tn_def_fallback_status_all; /* tenant_fallback_status_all(primary_registry [, concurrency]) */

#define TN_FB_PULLED "pulled"

/*
 * Status word of one tenant's row: rc TN_ERR_UNREACHABLE "unreachable",
 * another error "failed", else "conflict" when conflicts > 0 (a push that
 * aborted on them), else done ("pulled", "pushed").
 */
const char *tn_fb_all_status(const char *done, int rc, long long conflicts);

/*
 * Status word of one tenant's row of tenant_fallback_push_all: as
 * tn_fb_all_status with "pushed", except that a push that found nothing
 * recorded (contacted 0: it never connects to the primary) is "unchanged",
 * whether or not the primary is reachable (tenant_fallback_status_all says).
 */
const char *tn_fb_push_all_status(int rc, int contacted, long long conflicts);

/*
 * The connection string of one tenant of a PostgreSQL registry: its
 * location (a key=value connection string without password; NULL or '':
 * the registry's own, registry), then dbname='<dbname>', and for a schema
 * tenant options='-csearch_path="<schema>"' (later keywords win).  A URI
 * cannot be extended that way: TN_ERR_NOT_SUPPORTED.
 */
int tn_fb_tenant_conninfo(const char *registry, const char *location, const char *dbname,
						  const char *schema, tn_buf *out, tn_error *err);

#endif /* TN_FALLBACK_H */
