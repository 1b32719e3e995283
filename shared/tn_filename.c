/*
 * tn_filename.c -- the grammar of migration file names.
 *
 * tn_parse_filename reads one file name (Flyway "V1__x.sql"/"U1__x.sql",
 * golang-migrate "1_x.up.sql"/"1_x.down.sql", dbmate "2024..._x.sql",
 * plain "0004-x.sql", with optional ".pg"/".sqlite"/".all" dialect tags,
 * pop's ".sqlite3"/".mysql"/".cockroach"/... and ".autocommit") into
 * version, description, dialect, direction and flags.  The ".sql" suffix
 * and the dialect words are shared with folder reading (tn_folder.c).
 *
 * Must not: touch the file system or a database (it reads a name, never
 * a file), or accept a name whose parts it cannot give back exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

int
tn_has_sql_suffix(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && tn_ascii_ieq(name + n - 4, 4, ".sql");
}

int
tn_dialect_of(const char *s, size_t n)
{
	if (tn_ascii_ieq(s, n, "postgres") || tn_ascii_ieq(s, n, "postgresql") ||
		tn_ascii_ieq(s, n, "pg"))
		return TN_DIALECT_POSTGRES;
	if (tn_ascii_ieq(s, n, "sqlite") || tn_ascii_ieq(s, n, "sqlite3"))
		return TN_DIALECT_SQLITE;
	if (tn_ascii_ieq(s, n, "all"))
		return TN_DIALECT_ALL;
	/* engines tenancy does not serve, as pop and other tools tag them */
	if (tn_ascii_ieq(s, n, "mysql") || tn_ascii_ieq(s, n, "mariadb") ||
		tn_ascii_ieq(s, n, "cockroach") || tn_ascii_ieq(s, n, "cockroachdb") ||
		tn_ascii_ieq(s, n, "crdb") || tn_ascii_ieq(s, n, "sqlserver") ||
		tn_ascii_ieq(s, n, "mssql") || tn_ascii_ieq(s, n, "oracle") ||
		tn_ascii_ieq(s, n, "clickhouse") || tn_ascii_ieq(s, n, "tidb") ||
		tn_ascii_ieq(s, n, "spanner") || tn_ascii_ieq(s, n, "snowflake") ||
		tn_ascii_ieq(s, n, "redshift") || tn_ascii_ieq(s, n, "duckdb"))
		return TN_DIALECT_OTHER;
	return -1;
}

static int
bad_filename(tn_error *err, const char *base, const char *detail)
{
	char s[TN_SHOWN_BUF];

	tn_shown(base, s, sizeof(s));
	tn_error_set(err, TN_ERR_FORMAT, "invalid migration file name \"%s\"", s);
	tn_error_detail(err, "%s", detail);
	tn_error_hint(err, "Name migration files like \"V1__create_users.sql\", \"1_create_users.up.sql\" or \"0001-create_users.pg.sql\".");
	return TN_ERR_FORMAT;
}

/* A file name as tn_parse_filename reads it, in offsets into base. */
typedef struct name_parts
{
	const char *base;	/* the file name without its folder */
	size_t		end;	/* end of the stem: ".sql" and tags stripped */
	size_t		vstart; /* the version is [vstart, vend) */
	size_t		vend;
	size_t		dstart;		/* the description is [dstart, end) */
	int			suffix_dir; /* ".up" +1, ".down" -1, else 0 */
	int			prefix_dir; /* "V" +1, "U" -1, else 0 */
	int			dial;		/* dialect tag, -1 when none */
	int			autocommit; /* pop's ".autocommit" tag */
} name_parts;

/* Step 1: valid UTF-8, no control character, ends in ".sql". */
static int
check_name_bytes(const char *base, tn_error *err)
{
	long bad = tn_utf8_error_offset(base, strlen(base));

	if (bad >= 0)
	{
		char s[TN_SHOWN_BUF];

		tn_shown(base, s, sizeof(s));
		tn_error_set(err, TN_ERR_FORMAT, "invalid migration file name \"%s\"", s);
		tn_error_detail(err, "The file name is not valid UTF-8 (byte offset %ld).", bad);
		tn_error_hint(err, "Rename the file using UTF-8.");
		return TN_ERR_FORMAT;
	}
	for (size_t i = 0; base[i]; i++)
		if ((unsigned char) base[i] < 0x20 || base[i] == 0x7f)
			return bad_filename(err, base, "The file name contains a control character.");
	if (!tn_has_sql_suffix(base))
		return bad_filename(err, base, "Migration files end in \".sql\".");
	return TN_OK;
}

/*
 * Step 2: trailing ".<dialect>", pop's ".autocommit" and ".up"/".down", in
 * any order, off the stem ("1_a.cockroach.autocommit.up.sql").
 */
static void
strip_tags(name_parts *np)
{
	const char *base = np->base;

	np->end = strlen(base) - 4;
	for (int i = 0; i < 3; i++)
	{
		size_t dot = np->end;
		size_t end = np->end;
		int	   d;

		while (dot > 0 && base[dot - 1] != '.')
			dot--;
		if (dot == 0)
			break;
		if (np->suffix_dir == 0 && tn_ascii_ieq(base + dot, end - dot, "up"))
			np->suffix_dir = 1;
		else if (np->suffix_dir == 0 && tn_ascii_ieq(base + dot, end - dot, "down"))
			np->suffix_dir = -1;
		else if (np->dial < 0 && (d = tn_dialect_of(base + dot, end - dot)) >= 0)
			np->dial = d;
		else if (!np->autocommit && tn_ascii_ieq(base + dot, end - dot, "autocommit"))
			np->autocommit = 1;
		else
			break;
		np->end = dot - 1;
	}
}

/* Step 3: the Flyway "V"/"U" prefix ("R__" is read before, by read_repeatable); *p is where the version starts. */
static int
read_prefix(name_parts *np, size_t *p, tn_error *err)
{
	const char *base = np->base;

	*p = 0;
	if ((base[0] == 'V' || base[0] == 'v') && IS_DIGIT(base[1]))
	{
		np->prefix_dir = 1;
		*p = 1;
	}
	else if ((base[0] == 'U' || base[0] == 'u') && IS_DIGIT(base[1]))
	{
		np->prefix_dir = -1;
		*p = 1;
	}
	if (*p >= np->end || !IS_DIGIT(base[*p]))
		return bad_filename(err, base, "A migration file name starts with a version: digits with optional \".\" or \"_\" separators, optionally after \"V\".");
	return TN_OK;
}

/*
 * Flyway's repeatable "R__<description>.sql" (any dialect tag): version
 * "R__<description>", name the description, always an up.  *is = 0 when
 * the name is not one.
 */
static int
read_repeatable(name_parts *np, int *is, tn_error *err)
{
	const char *base = np->base;

	*is = base[0] == 'R' && base[1] == '_' && base[2] == '_';
	if (!*is)
		return TN_OK;
	if (np->end <= 3)
		return bad_filename(err, base, "A Flyway repeatable migration has a description after \"R__\".");
	if (np->suffix_dir != 0)
		return bad_filename(err, base, "A Flyway repeatable migration (R__) has no \".up\"/\".down\" suffix: it is applied again whenever it changes and has no down.");
	if (np->end > TN_MAX_VERSION_LEN)
	{
		bad_filename(err, base, "The description of a repeatable migration is too long.");
		tn_error_detail(err, "\"R__\" and the description are %zu bytes long; the limit is %d bytes.", np->end,
						TN_MAX_VERSION_LEN);
		return TN_ERR_FORMAT;
	}
	np->vstart = 0;
	np->vend = np->end; /* the version is "R__<description>" */
	np->dstart = 3;
	return TN_OK;
}

/*
 * Step 4: the version from p: digit groups joined by '.' or '_'.  A
 * separator followed by digits continues the version only if that group
 * ends at a separator or at the end; otherwise ("1_2fa_x") the separator
 * starts the description.  "__" always ends the version (Flyway).
 */
static int
read_version(name_parts *np, size_t p, tn_error *err)
{
	const char *base = np->base;
	size_t		end = np->end;

	np->vstart = p;
	while (p < end && IS_DIGIT(base[p]))
		p++;
	while (p + 1 < end && (base[p] == '.' || base[p] == '_') && IS_DIGIT(base[p + 1]))
	{
		size_t q = p + 1;

		while (q < end && IS_DIGIT(base[q]))
			q++;
		if (q < end && base[q] != '.' && base[q] != '_' && base[q] != '-')
			break;
		p = q;
	}
	np->vend = p;
	if (np->vend - np->vstart > TN_MAX_VERSION_LEN)
	{
		bad_filename(err, base, "The version is too long.");
		tn_error_detail(err, "The version is %zu bytes long; the limit is %d bytes.",
						np->vend - np->vstart, TN_MAX_VERSION_LEN);
		return TN_ERR_FORMAT;
	}
	return TN_OK;
}

/* Step 5: the separator after the version, then a description of at most TN_MAX_NAME_LEN. */
static int
read_description(name_parts *np, tn_error *err)
{
	const char *base = np->base;
	size_t		end = np->end;
	size_t		p = np->vend;

	if (p == end)
		return bad_filename(err, base, "The version must be followed by a separator and a description, for example \"1__create_users.sql\".");
	if (base[p] == '_' && p + 1 < end && base[p + 1] == '_')
		p += 2;
	else if (base[p] == '_' || base[p] == '.' || base[p] == '-')
		p++;
	else
		return bad_filename(err, base, "The version must be followed by \"__\", \"_\", \".\" or \"-\" and a description.");
	if (p >= end)
		return bad_filename(err, base, "The migration has no description after its version.");
	if (end - p > TN_MAX_NAME_LEN)
	{
		bad_filename(err, base, "The description is too long.");
		tn_error_detail(err, "The description is %zu bytes long; the limit is %d bytes.",
						end - p, TN_MAX_NAME_LEN);
		return TN_ERR_FORMAT;
	}
	np->dstart = p;
	return TN_OK;
}

int
tn_parse_filename(const char *filename, char **version, char **name,
				  tn_dialect *dialect, int *direction, tn_error *err)
{
	unsigned flags;

	return tn_parse_filename_flags(filename, version, name, dialect, direction,
								   &flags, err);
}

int
tn_parse_filename_flags(const char *filename, char **version, char **name,
						tn_dialect *dialect, int *direction,
						unsigned *flags, tn_error *err)
{
	tn_error	scratch;
	const char *slash;
	name_parts	np;
	size_t		p = 0;
	int			rc;
	int			repeatable;
	char	   *v;
	char	   *nm;

	if (err == NULL)
		err = &scratch;
	if (version)
		*version = NULL;
	if (name)
		*name = NULL;
	if (filename == NULL)
		return tn_error_null_argument(err, "filename");
	if (version == NULL || name == NULL || dialect == NULL || direction == NULL || flags == NULL)
		return tn_error_null_argument(err, version == NULL ? "version" : name == NULL	 ? "name"
																	 : dialect == NULL	 ? "dialect"
																	 : direction == NULL ? "direction"
																						 : "flags");
	*flags = 0;

	memset(&np, 0, sizeof(np));
	slash = strrchr(filename, '/');
	np.base = slash ? slash + 1 : filename;
	np.dial = -1;
	if ((rc = check_name_bytes(np.base, err)) != TN_OK)
		return rc;
	strip_tags(&np);
	if ((rc = read_repeatable(&np, &repeatable, err)) != TN_OK)
		return rc;
	if (repeatable)
		goto parsed;
	if ((rc = read_prefix(&np, &p, err)) != TN_OK ||
		(rc = read_version(&np, p, err)) != TN_OK ||
		(rc = read_description(&np, err)) != TN_OK)
		return rc;
	TN_ASSERT(np.vstart < np.vend && np.vend < np.dstart && np.dstart < np.end);
	/* "V0001.x.down.sql" (golang-migrate): the suffix gives the direction, "V" is part of the version token */
	if (np.prefix_dir > 0 && np.suffix_dir != 0)
		np.prefix_dir = 0;
	if (np.prefix_dir != 0 && np.suffix_dir != 0 && np.prefix_dir != np.suffix_dir)
		return bad_filename(err, np.base, "The \"V\"/\"U\" prefix and the \".up\"/\".down\" suffix disagree.");

parsed:
	v = tn_memdup(np.base + np.vstart, np.vend - np.vstart);
	nm = tn_memdup(np.base + np.dstart, np.end - np.dstart);
	if (v == NULL || nm == NULL)
	{
		free(v);
		free(nm);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	*version = v;
	*name = nm;
	*dialect = np.dial < 0 ? TN_DIALECT_ALL : (tn_dialect) np.dial;
	*direction = np.suffix_dir != 0 ? np.suffix_dir : np.prefix_dir;
	*flags = np.autocommit ? TN_MIG_NO_TRANSACTION : 0;
	return TN_OK;
}
