/*
 * tn_names.c -- rules for tenant names and checkpoint names.
 *
 * A tenant name becomes a schema name on PostgreSQL and a database/schema
 * name on SQLite, and it is written unquoted in messages and generated
 * SQL, so the rules are strict: ^[a-z][a-z0-9_]{0,62}$ (63 = PostgreSQL's
 * NAMEDATALEN - 1), not a reserved key word of either engine, and not a
 * name either engine or tenancy keeps for itself.  Every refusal says
 * which rule failed.
 *
 * Must not: quote or build SQL (hosts quote with their engine's
 * own function even for valid names), or allocate.
 */
#include <string.h>

#include "tenancy.h"

#define TENANT_NAME_MAX		63
#define CHECKPOINT_NAME_MAX 100
#define SHOWN_MAX			80 /* bytes of a bad name echoed in a message */

#define KW_PG	  1
#define KW_SQLITE 2

typedef struct keyword
{
	const char *word;
	int			engines;
} keyword;

/*
 * PostgreSQL 15 reserved key words (kwlist.h RESERVED_KEYWORD and
 * TYPE_FUNC_NAME_KEYWORD, the "reserved" and "reserved (can be function
 * or type)" columns of the SQL Key Words appendix), and the 147 keywords
 * of SQLite 3.40 (sqlite3_keyword_name).  Sorted for bsearch-style lookup.
 */
static const keyword keywords[] = {
	{ "abort", KW_SQLITE },
	{ "action", KW_SQLITE },
	{ "add", KW_SQLITE },
	{ "after", KW_SQLITE },
	{ "all", KW_PG | KW_SQLITE },
	{ "alter", KW_SQLITE },
	{ "always", KW_SQLITE },
	{ "analyse", KW_PG },
	{ "analyze", KW_PG | KW_SQLITE },
	{ "and", KW_PG | KW_SQLITE },
	{ "any", KW_PG },
	{ "array", KW_PG },
	{ "as", KW_PG | KW_SQLITE },
	{ "asc", KW_PG | KW_SQLITE },
	{ "asymmetric", KW_PG },
	{ "attach", KW_SQLITE },
	{ "authorization", KW_PG },
	{ "autoincrement", KW_SQLITE },
	{ "before", KW_SQLITE },
	{ "begin", KW_SQLITE },
	{ "between", KW_SQLITE },
	{ "binary", KW_PG },
	{ "both", KW_PG },
	{ "by", KW_SQLITE },
	{ "cascade", KW_SQLITE },
	{ "case", KW_PG | KW_SQLITE },
	{ "cast", KW_PG | KW_SQLITE },
	{ "check", KW_PG | KW_SQLITE },
	{ "collate", KW_PG | KW_SQLITE },
	{ "collation", KW_PG },
	{ "column", KW_PG | KW_SQLITE },
	{ "commit", KW_SQLITE },
	{ "concurrently", KW_PG },
	{ "conflict", KW_SQLITE },
	{ "constraint", KW_PG | KW_SQLITE },
	{ "create", KW_PG | KW_SQLITE },
	{ "cross", KW_PG | KW_SQLITE },
	{ "current", KW_SQLITE },
	{ "current_catalog", KW_PG },
	{ "current_date", KW_PG | KW_SQLITE },
	{ "current_role", KW_PG },
	{ "current_schema", KW_PG },
	{ "current_time", KW_PG | KW_SQLITE },
	{ "current_timestamp", KW_PG | KW_SQLITE },
	{ "current_user", KW_PG },
	{ "database", KW_SQLITE },
	{ "default", KW_PG | KW_SQLITE },
	{ "deferrable", KW_PG | KW_SQLITE },
	{ "deferred", KW_SQLITE },
	{ "delete", KW_SQLITE },
	{ "desc", KW_PG | KW_SQLITE },
	{ "detach", KW_SQLITE },
	{ "distinct", KW_PG | KW_SQLITE },
	{ "do", KW_PG | KW_SQLITE },
	{ "drop", KW_SQLITE },
	{ "each", KW_SQLITE },
	{ "else", KW_PG | KW_SQLITE },
	{ "end", KW_PG | KW_SQLITE },
	{ "escape", KW_SQLITE },
	{ "except", KW_PG | KW_SQLITE },
	{ "exclude", KW_SQLITE },
	{ "exclusive", KW_SQLITE },
	{ "exists", KW_SQLITE },
	{ "explain", KW_SQLITE },
	{ "fail", KW_SQLITE },
	{ "false", KW_PG },
	{ "fetch", KW_PG },
	{ "filter", KW_SQLITE },
	{ "first", KW_SQLITE },
	{ "following", KW_SQLITE },
	{ "for", KW_PG | KW_SQLITE },
	{ "foreign", KW_PG | KW_SQLITE },
	{ "freeze", KW_PG },
	{ "from", KW_PG | KW_SQLITE },
	{ "full", KW_PG | KW_SQLITE },
	{ "generated", KW_SQLITE },
	{ "glob", KW_SQLITE },
	{ "grant", KW_PG },
	{ "group", KW_PG | KW_SQLITE },
	{ "groups", KW_SQLITE },
	{ "having", KW_PG | KW_SQLITE },
	{ "if", KW_SQLITE },
	{ "ignore", KW_SQLITE },
	{ "ilike", KW_PG },
	{ "immediate", KW_SQLITE },
	{ "in", KW_PG | KW_SQLITE },
	{ "index", KW_SQLITE },
	{ "indexed", KW_SQLITE },
	{ "initially", KW_PG | KW_SQLITE },
	{ "inner", KW_PG | KW_SQLITE },
	{ "insert", KW_SQLITE },
	{ "instead", KW_SQLITE },
	{ "intersect", KW_PG | KW_SQLITE },
	{ "into", KW_PG | KW_SQLITE },
	{ "is", KW_PG | KW_SQLITE },
	{ "isnull", KW_PG | KW_SQLITE },
	{ "join", KW_PG | KW_SQLITE },
	{ "key", KW_SQLITE },
	{ "last", KW_SQLITE },
	{ "lateral", KW_PG },
	{ "leading", KW_PG },
	{ "left", KW_PG | KW_SQLITE },
	{ "like", KW_PG | KW_SQLITE },
	{ "limit", KW_PG | KW_SQLITE },
	{ "localtime", KW_PG },
	{ "localtimestamp", KW_PG },
	{ "match", KW_SQLITE },
	{ "materialized", KW_SQLITE },
	{ "natural", KW_PG | KW_SQLITE },
	{ "no", KW_SQLITE },
	{ "not", KW_PG | KW_SQLITE },
	{ "nothing", KW_SQLITE },
	{ "notnull", KW_PG | KW_SQLITE },
	{ "null", KW_PG | KW_SQLITE },
	{ "nulls", KW_SQLITE },
	{ "of", KW_SQLITE },
	{ "offset", KW_PG | KW_SQLITE },
	{ "on", KW_PG | KW_SQLITE },
	{ "only", KW_PG },
	{ "or", KW_PG | KW_SQLITE },
	{ "order", KW_PG | KW_SQLITE },
	{ "others", KW_SQLITE },
	{ "outer", KW_PG | KW_SQLITE },
	{ "over", KW_SQLITE },
	{ "overlaps", KW_PG },
	{ "partition", KW_SQLITE },
	{ "placing", KW_PG },
	{ "plan", KW_SQLITE },
	{ "pragma", KW_SQLITE },
	{ "preceding", KW_SQLITE },
	{ "primary", KW_PG | KW_SQLITE },
	{ "query", KW_SQLITE },
	{ "raise", KW_SQLITE },
	{ "range", KW_SQLITE },
	{ "recursive", KW_SQLITE },
	{ "references", KW_PG | KW_SQLITE },
	{ "regexp", KW_SQLITE },
	{ "reindex", KW_SQLITE },
	{ "release", KW_SQLITE },
	{ "rename", KW_SQLITE },
	{ "replace", KW_SQLITE },
	{ "restrict", KW_SQLITE },
	{ "returning", KW_PG | KW_SQLITE },
	{ "right", KW_PG | KW_SQLITE },
	{ "rollback", KW_SQLITE },
	{ "row", KW_SQLITE },
	{ "rows", KW_SQLITE },
	{ "savepoint", KW_SQLITE },
	{ "select", KW_PG | KW_SQLITE },
	{ "session_user", KW_PG },
	{ "set", KW_SQLITE },
	{ "similar", KW_PG },
	{ "some", KW_PG },
	{ "symmetric", KW_PG },
	{ "table", KW_PG | KW_SQLITE },
	{ "tablesample", KW_PG },
	{ "temp", KW_SQLITE },
	{ "temporary", KW_SQLITE },
	{ "then", KW_PG | KW_SQLITE },
	{ "ties", KW_SQLITE },
	{ "to", KW_PG | KW_SQLITE },
	{ "trailing", KW_PG },
	{ "transaction", KW_SQLITE },
	{ "trigger", KW_SQLITE },
	{ "true", KW_PG },
	{ "unbounded", KW_SQLITE },
	{ "union", KW_PG | KW_SQLITE },
	{ "unique", KW_PG | KW_SQLITE },
	{ "update", KW_SQLITE },
	{ "user", KW_PG },
	{ "using", KW_PG | KW_SQLITE },
	{ "vacuum", KW_SQLITE },
	{ "values", KW_SQLITE },
	{ "variadic", KW_PG },
	{ "verbose", KW_PG },
	{ "view", KW_SQLITE },
	{ "virtual", KW_SQLITE },
	{ "when", KW_PG | KW_SQLITE },
	{ "where", KW_PG | KW_SQLITE },
	{ "window", KW_PG | KW_SQLITE },
	{ "with", KW_PG | KW_SQLITE },
	{ "without", KW_SQLITE },
};

#define NKEYWORDS ((int) (sizeof(keywords) / sizeof(keywords[0])))

/* Names reserved by an engine or by tenancy itself, with the reason. */
typedef struct reserved_name
{
	const char *name;
	int			prefix; /* 1: any name starting with it */
	const char *why;
} reserved_name;

static const reserved_name reserved_names[] = {
	{ "tenancy", 1, "Names starting with \"tenancy\" are used by tenancy itself." },
	{ "template", 1, "Names starting with \"template\" are kept for PostgreSQL's template databases." },
	{ "postgres", 1, "Names starting with \"postgres\" are kept for PostgreSQL's default database and role." },
	{ "pg_", 1, "Names starting with \"pg_\" are reserved for PostgreSQL system schemas." },
	{ "sqlite_", 1, "Names starting with \"sqlite_\" are reserved for SQLite's internal objects." },
	{ "public", 0, "\"public\" is PostgreSQL's default schema." },
	{ "information_schema", 0, "\"information_schema\" is a PostgreSQL system schema." },
	{ "main", 0, "\"main\" is the name of SQLite's main database." },
	{ "temp", 0, "\"temp\" is the name of SQLite's temporary database." },
};

/*
 * Copy at most SHOWN_MAX bytes of name for a message, writing bytes that
 * are not printable ASCII as \xNN, so a message never carries invalid
 * UTF-8 or control characters into the host's error report.
 */
static void
shown_name(const char *name, char *out, size_t outsize)
{
	static const char hex[] = "0123456789abcdef";
	size_t			  o = 0;
	size_t			  i;

	for (i = 0; name[i] != '\0' && i < SHOWN_MAX; i++)
	{
		unsigned char c = (unsigned char) name[i];

		if (o + 5 >= outsize)
			break;
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char) c;
		else
		{
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0x0f];
		}
	}
	if (name[i] != '\0' && o + 4 < outsize)
	{
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int
find_keyword(const char *name)
{
	int lo = 0;
	int hi = NKEYWORDS - 1;

	while (lo <= hi)
	{
		int mid = (lo + hi) / 2;
		int c = strcmp(name, keywords[mid].word);

		if (c == 0)
			return keywords[mid].engines;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return 0;
}

static int
bad_tenant(tn_error *err, const char *name)
{
	char shown[SHOWN_MAX * 4 + 8];

	shown_name(name, shown, sizeof(shown));
	return tn_error_set(err, TN_ERR_INVALID_NAME,
						"invalid tenant name \"%s\"", shown);
}

int
tn_validate_tenant_name(const char *name, tn_error *err)
{
	tn_error scratch;
	size_t	 len;
	size_t	 i;
	int		 engines;

	if (err == NULL)
		err = &scratch;
	if (name == NULL)
		return tn_error_null_argument(err, "name");

	len = strlen(name);
	if (len == 0)
	{
		tn_error_set(err, TN_ERR_INVALID_NAME, "tenant name must not be empty");
		tn_error_detail(err, "Tenant names must start with a lowercase letter a-z.");
		return TN_ERR_INVALID_NAME;
	}
	if (len > TENANT_NAME_MAX)
	{
		bad_tenant(err, name);
		tn_error_detail(err, "Tenant names must be at most %d bytes long; this one is %zu bytes.",
						TENANT_NAME_MAX, len);
		return TN_ERR_INVALID_NAME;
	}
	if (!(name[0] >= 'a' && name[0] <= 'z'))
	{
		bad_tenant(err, name);
		tn_error_detail(err, "Tenant names must start with a lowercase letter a-z.");
		return TN_ERR_INVALID_NAME;
	}
	for (i = 1; i < len; i++)
	{
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
			continue;
		bad_tenant(err, name);
		if (c >= 'A' && c <= 'Z')
			tn_error_detail(err, "Tenant names may contain only lowercase letters a-z, digits 0-9 and underscores; \"%c\" at byte %zu is uppercase.",
							c, i);
		else if ((unsigned char) c >= 0x20 && (unsigned char) c < 0x7f)
			tn_error_detail(err, "Tenant names may contain only lowercase letters a-z, digits 0-9 and underscores; \"%c\" at byte %zu is not allowed.",
							c, i);
		else
			tn_error_detail(err, "Tenant names may contain only lowercase letters a-z, digits 0-9 and underscores; byte 0x%02x at byte %zu is not allowed.",
							(unsigned) (unsigned char) c, i);
		return TN_ERR_INVALID_NAME;
	}

	engines = find_keyword(name);
	if (engines != 0)
	{
		bad_tenant(err, name);
		tn_error_detail(err, "Tenant names must not be a reserved key word; \"%s\" is reserved in %s.",
						name,
						engines == (KW_PG | KW_SQLITE) ? "PostgreSQL and SQLite" : engines == KW_PG ? "PostgreSQL"
																									: "SQLite");
		tn_error_hint(err, "Add a prefix or a suffix, for example \"%s_tenant\".", name);
		return TN_ERR_INVALID_NAME;
	}

	for (i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++)
	{
		const reserved_name *r = &reserved_names[i];
		int					 hit;

		if (r->prefix)
			hit = strncmp(name, r->name, strlen(r->name)) == 0;
		else
			hit = strcmp(name, r->name) == 0;
		if (hit)
		{
			bad_tenant(err, name);
			tn_error_detail(err, "Tenant names must not be a name tenancy or an engine keeps for itself. %s",
							r->why);
			return TN_ERR_INVALID_NAME;
		}
	}
	return TN_OK;
}

int
tn_validate_checkpoint_name(const char *name, tn_error *err)
{
	tn_error scratch;
	char	 shown[SHOWN_MAX * 4 + 8];
	size_t	 len;
	size_t	 i;

	if (err == NULL)
		err = &scratch;
	if (name == NULL)
		return tn_error_null_argument(err, "name");
	len = strlen(name);
	if (len == 0)
	{
		tn_error_set(err, TN_ERR_INVALID_NAME, "checkpoint name must not be empty");
		tn_error_detail(err, "Checkpoint names are 1 to %d characters long.",
						CHECKPOINT_NAME_MAX);
		return TN_ERR_INVALID_NAME;
	}
	shown_name(name, shown, sizeof(shown));
	if (len > CHECKPOINT_NAME_MAX)
	{
		tn_error_set(err, TN_ERR_INVALID_NAME, "invalid checkpoint name \"%s\"", shown);
		tn_error_detail(err, "Checkpoint names must be at most %d bytes long; this one is %zu bytes.",
						CHECKPOINT_NAME_MAX, len);
		return TN_ERR_INVALID_NAME;
	}
	for (i = 0; i < len; i++)
	{
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '-')
			continue;
		tn_error_set(err, TN_ERR_INVALID_NAME, "invalid checkpoint name \"%s\"", shown);
		tn_error_detail(err, "Checkpoint names may contain only letters, digits, \"_\", \".\", \":\" and \"-\"; byte %zu is not allowed.",
						i);
		return TN_ERR_INVALID_NAME;
	}
	return TN_OK;
}
