/*
 * tn_file_parts.c -- reading one migration file into its up and down
 * parts: the name (tn_parse_filename), the dialect, the bytes (through
 * tn_fs.c), then a plain body or the sections of a dbmate, goose or
 * sql-migrate file (tn_annotations.c reads goose's and sql-migrate's),
 * with the file's flags.  tn_folder.c walks the folder and calls tn_parts_load_file
 * for each file; tn_parts.c pairs the parts into a set.
 *
 * Must not: touch a database, walk folders, or leave anything allocated
 * when it fails.
 */
#define _XOPEN_SOURCE 700 /* realpath, lstat, O_NOFOLLOW */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_parts.h"

char *
tn_join_path(const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	size_t nl = strlen(name);
	char  *p = malloc(dl + nl + 2);

	if (p == NULL)
		return NULL;
	memcpy(p, dir, dl);
	if (dl > 0 && dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

/*
 * Find a dbmate marker line "-- migrate:<what>[ options]" (leading blanks
 * and blanks after "--" allowed).  Returns the offset of the line start or
 * -1; *after receives the offset just past the line, *opts and *optlen the
 * options text.  *count receives how many such lines there are.
 */
static long
find_dbmate_marker(const char *s, size_t len, const char *what,
				   size_t *after, const char **opts, size_t *optlen,
				   int *count)
{
	size_t line = 0;
	long   found = -1;
	size_t wl = strlen(what);

	*count = 0;
	while (line < len)
	{
		size_t eol = line;
		size_t p = line;

		while (eol < len && s[eol] != '\n')
			eol++;
		while (p < eol && (s[p] == ' ' || s[p] == '\t'))
			p++;
		if (p + 2 <= eol && s[p] == '-' && s[p + 1] == '-')
		{
			p += 2;
			while (p < eol && (s[p] == ' ' || s[p] == '\t'))
				p++;
			if (eol - p >= 8 + wl && memcmp(s + p, "migrate:", 8) == 0 &&
				memcmp(s + p + 8, what, wl) == 0 &&
				(p + 8 + wl == eol || s[p + 8 + wl] == ' ' ||
				 s[p + 8 + wl] == '\t' || s[p + 8 + wl] == '\r'))
			{
				(*count)++;
				if (found < 0)
				{
					found = (long) line;
					*after = eol < len ? eol + 1 : len;
					*opts = s + p + 8 + wl;
					*optlen = eol - (p + 8 + wl);
				}
			}
		}
		line = eol + 1;
	}
	return found;
}

static int
bad_file(tn_error *err, const char *path, const char *detail)
{
	char s[TN_SHOWN_BUF];

	tn_shown(path, s, sizeof(s));
	tn_error_set(err, TN_ERR_FORMAT, "invalid migration file \"%s\"", s);
	tn_error_detail(err, "%s", detail);
	return TN_ERR_FORMAT;
}

static int
contains_word(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word);
	size_t i;

	for (i = 0; i + wl <= len; i++)
		if (memcmp(s + i, word, wl) == 0)
			return 1;
	return 0;
}

/* Free the strings of a part and zero it. */
static void
part_clear(file_part *fp)
{
	free(fp->path);
	free(fp->version);
	free(fp->name);
	free(fp->body);
	memset(fp, 0, sizeof(*fp));
}

/*
 * Step 1 of a file: its name (or as_name, the name a folder-per-migration
 * file stands for) read into fp (path, version, name, dialect tag,
 * direction; no body yet).  A name that breaks the grammar is
 * reported with its folder, keeping the rule that failed.
 */
static int
part_from_name(const char *dirpath, const char *fname, const char *as_name,
			   file_part *fp, tn_error *err)
{
	int rc;

	memset(fp, 0, sizeof(*fp));
	fp->path = tn_join_path(dirpath, fname);
	if (fp->path == NULL)
		return tn_parts_no_memory(err);
	rc = tn_parse_filename_flags(as_name ? as_name : fname, &fp->version, &fp->name, &fp->dialect, &fp->direction,
								 &fp->extra_flags, err);
	fp->tagged = rc == TN_OK && fp->dialect != TN_DIALECT_ALL;
	if (rc == TN_ERR_FORMAT)
	{
		char detail[TN_DETAIL_MAX];
		char hint[TN_HINT_MAX];
		char s[TN_SHOWN_BUF];

		memcpy(detail, err->detail, sizeof(detail));
		memcpy(hint, err->hint, sizeof(hint));
		tn_shown(fp->path, s, sizeof(s));
		tn_error_set(err, rc, "invalid migration file name \"%s\"", s);
		tn_error_detail(err, "%s", detail);
		tn_error_hint(err, "%s", hint);
	}
	if (rc != TN_OK)
		part_clear(fp);
	return rc;
}

/*
 * Step 2: the dialect the file serves.  A dialect subfolder decides it (a
 * tag that disagrees is an error); *skip = 1 for another dialect's file.
 */
static int
part_dialect(file_part *fp, tn_dialect folder_dialect, tn_dialect want,
			 int *skip, tn_error *err)
{
	*skip = 0;
	if (fp->dialect == TN_DIALECT_OTHER)
	{
		*skip = 1; /* "1_a.mysql.up.sql": another engine's file */
		return TN_OK;
	}
	if (folder_dialect != TN_DIALECT_ALL && fp->dialect != TN_DIALECT_ALL &&
		fp->dialect != folder_dialect)
		return bad_file(err, fp->path, "The file's dialect tag does not match the dialect subfolder it is in.");
	if (folder_dialect != TN_DIALECT_ALL)
		fp->dialect = folder_dialect;
	*skip = !(fp->dialect == TN_DIALECT_ALL || (want != TN_DIALECT_ALL && fp->dialect == want));
	return TN_OK;
}

/* Where the dbmate marker lines of a body are (offsets of line starts, -1 when absent). */
typedef struct dbmate_markers
{
	long		up_at;
	long		down_at;
	size_t		after_up; /* just past the "-- migrate:up" line */
	size_t		after_down;
	const char *up_opts; /* options on the up line ("transaction:false") */
	size_t		up_optlen;
	int			nup; /* how many up / down lines there are */
	int			ndown;
} dbmate_markers;

static void
find_dbmate_markers(const char *body, size_t len, dbmate_markers *mk)
{
	const char *down_opts;
	size_t		down_optlen;

	memset(mk, 0, sizeof(*mk));
	mk->up_at = find_dbmate_marker(body, len, "up", &mk->after_up, &mk->up_opts,
								   &mk->up_optlen, &mk->nup);
	mk->down_at = find_dbmate_marker(body, len, "down", &mk->after_down, &down_opts,
									 &down_optlen, &mk->ndown);
}

/* The rules of a dbmate file, checked before its sections are cut out. */
static int
check_dbmate_file(const file_part *fp, const char *body, const dbmate_markers *mk,
				  tn_error *err)
{
	size_t first;

	if (fp->direction < 0)
		return bad_file(err, fp->path, "A down migration file must not contain \"-- migrate:up\" or \"-- migrate:down\" sections.");
	if (mk->up_at < 0)
		return bad_file(err, fp->path, "The file has a \"-- migrate:down\" section but no \"-- migrate:up\" section.");
	if (mk->nup > 1 || mk->ndown > 1)
		return bad_file(err, fp->path, "The file has more than one \"-- migrate:up\" or \"-- migrate:down\" line.");
	first = (size_t) (mk->down_at >= 0 && mk->down_at < mk->up_at ? mk->down_at : mk->up_at);
	if (!tn_body_is_blank(body, first))
		return bad_file(err, fp->path, "The file has statements before its first \"-- migrate:\" line.");
	return TN_OK;
}

/* The dbmate markers as sections (the rules are checked: at most one of each, up present). */
static void
dbmate_sections(const dbmate_markers *mk, size_t len, tn_sections *sec)
{
	memset(sec, 0, sizeof(*sec));
	sec->up_marker = mk->up_at;
	sec->up_start = (long) mk->after_up;
	sec->up_end = (mk->down_at > mk->up_at) ? mk->down_at : (long) len;
	sec->down_marker = mk->down_at;
	sec->down_start = mk->down_at >= 0 ? (long) mk->after_down : -1;
	sec->down_end = mk->down_at < 0 ? -1 : (mk->up_at > mk->down_at) ? mk->up_at
																	 : (long) len;
	sec->flags = contains_word(mk->up_opts, mk->up_optlen, "transaction:false") ? TN_MIG_NO_TRANSACTION : 0;
}

/*
 * The body of one section, cut so that its lines keep their numbers in
 * the file: the file's header (the comments before the first section
 * marker) as written, a newline for every line of the other sections
 * before this one, then the section's own marker line and text.  An error
 * on line N of the section is reported on line N of the file.
 */
static char *
section_body_file_lines(const char *body, long first_marker, long marker, long end)
{
	size_t n = 0;
	long   i;
	char  *out;

	for (i = 0; i < marker; i++)
		if (i < first_marker || body[i] == '\n')
			n++;
	out = malloc(n + (size_t) (end - marker) + 1);
	if (out == NULL)
		return NULL;
	n = 0;
	for (i = 0; i < marker; i++)
		if (i < first_marker || body[i] == '\n')
			out[n++] = i < first_marker ? body[i] : '\n';
	memcpy(out + n, body + marker, (size_t) (end - marker));
	out[n + (size_t) (end - marker)] = '\0';
	return out;
}

/*
 * The body of one section: its text from just after its marker line to the
 * next marker (or the end of the file), exactly as dbmate's sections were
 * always cut, so a checksum recorded by an earlier release still matches.
 * *lines_before receives how many lines of the file come before it, which
 * the migration's flags carry so that errors name the file's line.
 */
static char *
section_body(const char *body, long start, long end, long *lines_before)
{
	*lines_before = 0;
	for (long i = 0; i < start; i++)
		*lines_before += body[i] == '\n';
	return tn_memdup(body + start, (size_t) (end - start));
}

/*
 * Step 4 of a file with sections (dbmate, goose, sql-migrate): an up part
 * and, when the file has a down section, a down part (a blank one is a
 * no-op down).  Takes ownership of fp's strings and of body, also on
 * failure.
 */
static int
add_section_parts(part_list *parts, file_part *fp, char *body,
				  const tn_sections *sec, tn_error *err)
{
	long	  first = sec->down_marker >= 0 && sec->down_marker < sec->up_marker ? sec->down_marker : sec->up_marker;
	int		  has_down = sec->down_marker >= 0;
	file_part down;
	int		  rc;

	memset(&down, 0, sizeof(down));
	TN_ASSERT(sec->up_marker >= 0 && sec->up_start <= sec->up_end);
	fp->body = sec->tool == TN_TOOL_NONE ? section_body(body, sec->up_start, sec->up_end, &fp->lines_before) : section_body_file_lines(body, first, sec->up_marker, sec->up_end);
	if (fp->body == NULL)
	{
		rc = tn_parts_no_memory(err);
		goto fail;
	}
	fp->direction = 1;
	fp->extra_flags |= sec->flags;
	if (has_down)
	{
		down.body = sec->tool == TN_TOOL_NONE ? section_body(body, sec->down_start, sec->down_end, &down.lines_before) : section_body_file_lines(body, first, sec->down_marker, sec->down_end);
		down.path = tn_memdup(fp->path, strlen(fp->path));
		down.version = tn_memdup(fp->version, strlen(fp->version));
		down.name = tn_memdup(fp->name, strlen(fp->name));
		down.dialect = fp->dialect;
		down.direction = -1;
		if (!down.body || !down.path || !down.version || !down.name)
		{
			rc = tn_parts_no_memory(err);
			goto fail;
		}
	}
	free(body);
	if ((rc = tn_parts_add(parts, fp, err)) != TN_OK)
	{
		part_clear(&down);
		return rc;
	}
	return has_down ? tn_parts_add(parts, &down, err) : TN_OK;

fail:
	part_clear(&down);
	part_clear(fp);
	free(body);
	return rc;
}

/*
 * Read one migration file into parts (one up, one down, or a sectioned
 * file's two sections).  folder_dialect comes from a dialect subfolder.
 * Files for another dialect are skipped.  The steps: the name, the
 * dialect, the bytes, then a plain body or a sectioned file's sections.
 * A blank body (empty or only comments) is a no-op, as in golang-migrate,
 * pop and goose: a blank up is a version that runs nothing, a blank down
 * file a down that runs nothing (only a missing down file means no down).
 */
int
tn_parts_load_file(const char *dirpath, const char *fname, const char *as_name,
				   const char *root, const char *given, size_t given_len,
				   tn_dialect folder_dialect, tn_dialect want, part_list *parts,
				   tn_error *err)
{
	file_part	   fp;
	char		  *body = NULL;
	size_t		   len = 0;
	dbmate_markers mk;
	tn_sections	   sec;
	char		   s[TN_SHOWN_BUF];
	char		   what[TN_SHOWN_BUF + 64];
	int			   skip = 0;
	int			   rc;

	if ((rc = part_from_name(dirpath, fname, as_name, &fp, err)) != TN_OK)
		return rc;
	parts->seen++;
	if ((rc = part_dialect(&fp, folder_dialect, want, &skip, err)) != TN_OK || skip ||
		(root != NULL && (rc = tn_read_regular_file(fp.path, root, &body, &len, err)) != TN_OK))
	{
		part_clear(&fp);
		return rc; /* TN_OK for another dialect's file */
	}
	if (root == NULL)
	{
		/* a file sent by a client: its bytes are given (a NUL is caught by tn_body_check_text) */
		len = given_len;
		if ((body = malloc(len + 1)) == NULL)
		{
			part_clear(&fp);
			return tn_parts_no_memory(err);
		}
		memcpy(body, given, len);
		body[len] = '\0';
	}
	tn_shown(fp.path, s, sizeof(s));
	snprintf(what, sizeof(what), "migration file \"%s\"", s);
	if ((rc = tn_body_check_text(body, len, what, err)) != TN_OK ||
		(rc = tn_annotations_read(body, len, what, &sec, err)) != TN_OK)
	{
		free(body);
		part_clear(&fp);
		return rc;
	}
	find_dbmate_markers(body, len, &mk);
	if (sec.tool != TN_TOOL_NONE && (mk.up_at >= 0 || mk.down_at >= 0))
		rc = bad_file(err, fp.path, "The file mixes dbmate sections with goose or sql-migrate annotations.");
	else if (sec.tool != TN_TOOL_NONE && fp.direction < 0)
		rc = bad_file(err, fp.path, "A down migration file must not contain Up or Down annotations.");
	else if (sec.tool == TN_TOOL_NONE && (mk.up_at >= 0 || mk.down_at >= 0))
	{
		rc = check_dbmate_file(&fp, body, &mk, err);
		dbmate_sections(&mk, len, &sec);
	}
	if (rc != TN_OK)
	{
		free(body);
		part_clear(&fp);
		return rc;
	}
	if (sec.up_marker >= 0)
		return add_section_parts(parts, &fp, body, &sec, err);
	fp.body = body;
	fp.direction = fp.direction < 0 ? -1 : 1;
	return tn_parts_add(parts, &fp, err);
}
