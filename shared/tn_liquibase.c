/*
 * tn_liquibase.c -- reading Liquibase formatted SQL files into migration
 * parts.
 *
 * A file whose first line is "--liquibase formatted sql" holds changesets,
 * each starting at a "--changeset author:id [attribute:value ...]" line.
 * Changeset k of the folder's n-th such file (files in name order, as
 * Liquibase's includeAll reads them) becomes version "<n>.<k>" named
 * "author:id"; its "--rollback ..." lines (and a "/" "* liquibase rollback"
 * block) are its down, "--rollback not required" a down that runs nothing,
 * no rollback at all no down.  Bodies keep the file's line numbers (the
 * lines of other changesets become empty lines).  Attributes:
 * runInTransaction:false flags the migration no-transaction; dbms chooses
 * the engines (postgresql, sqlite, all, none, "!" excludes); ignore:true
 * skips the changeset.  What tenancy cannot honour is refused naming the
 * line: runOnChange:true, runAlways:true, failOnError:false, context(s),
 * labels, runWith, runOrder, an endDelimiter other than ";", preconditions,
 * ignoreLines, property.
 *
 * Must not: read files (tn_folder.c gives the bytes), touch a database, or
 * leave a changeset half added when it fails (the caller frees the list).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_parts.h"

#define MAX_ATTR 64

/* One line of the file: [start, end) without its newline. */
typedef struct line_span
{
	size_t start;
	size_t end;
} line_span;

/* The text after "--" and blanks, when the line is such a comment; else NULL. */
static const char *
comment_text(const char *s, const line_span *l, size_t *n)
{
	size_t p = l->start;

	while (p < l->end && (s[p] == ' ' || s[p] == '\t'))
		p++;
	if (p + 2 > l->end || s[p] != '-' || s[p + 1] != '-')
		return NULL;
	p += 2;
	while (p < l->end && (s[p] == ' ' || s[p] == '\t'))
		p++;
	*n = l->end - p;
	while (*n > 0 && (s[p + *n - 1] == '\r' || s[p + *n - 1] == ' ' || s[p + *n - 1] == '\t'))
		(*n)--;
	return s + p;
}

/* t (n bytes) starts with the lowercase word w, ignoring case, followed by end, blank or one of stops. */
static int
starts_word(const char *t, size_t n, const char *w, const char *stops)
{
	size_t wl = strlen(w);

	if (n < wl || !tn_ascii_ieq(t, wl, w))
		return 0;
	return n == wl || t[wl] == ' ' || t[wl] == '\t' || strchr(stops, t[wl]) != NULL;
}

int
tn_liquibase_is(const char *body, size_t len)
{
	line_span	l = { 0, 0 };
	const char *t;
	size_t		n;

	while (l.end < len && body[l.end] != '\n')
		l.end++;
	t = comment_text(body, &l, &n);
	return t != NULL && n >= 19 && tn_ascii_ieq(t, 19, "liquibase formatted");
}

static int
bad_line(tn_error *err, const char *path, int line, const char *fmt, const char *arg)
{
	char s[TN_SHOWN_BUF];
	char d[TN_DETAIL_MAX];

	tn_shown(path, s, sizeof(s));
	tn_error_set(err, TN_ERR_FORMAT, "invalid Liquibase formatted SQL file \"%s\"", s);
	snprintf(d, sizeof(d), fmt, arg);
	tn_error_detail(err, "Line %d: %s", line, d);
	return TN_ERR_FORMAT;
}

/* Bits of the engines a dbms name stands for: 1 PostgreSQL, 2 SQLite, 3 all. */
static unsigned
dbms_bits(const char *s, size_t n)
{
	int d;

	if (tn_ascii_ieq(s, n, "all"))
		return 3;
	d = tn_dialect_of(s, n);
	return d == TN_DIALECT_POSTGRES ? 1 : d == TN_DIALECT_SQLITE ? 2
																 : 0;
}

/* The engines of a dbms list ("postgresql,sqlite", "!h2", "none"). */
static unsigned
dbms_serves(const char *v, size_t n)
{
	unsigned pos = 0;
	unsigned neg = 0;
	int		 any_pos = 0;
	size_t	 i = 0;

	while (i < n)
	{
		size_t j = i;
		int not = 0;

		while (j < n && v[j] != ',')
			j++;
		while (i < j && v[i] == ' ')
			i++;
		if (i < j && v[i] == '!')
		{
			not = 1;
			i++;
		}
		if (not )
			neg |= dbms_bits(v + i, j - i);
		else
		{
			any_pos = 1;
			pos |= dbms_bits(v + i, j - i);
		}
		i = j + 1;
	}
	return (any_pos ? pos : 3u) & ~neg;
}

/* What a changeset line says: identity, flags, engines, skipped. */
typedef struct changeset_head
{
	char	 identity[TN_MAX_NAME_LEN + 1];
	unsigned flags;
	unsigned serves; /* bits of dbms_bits */
	int		 ignored;
} changeset_head;

static int
is_value(const char *v, size_t n, const char *w)
{
	return tn_ascii_ieq(v, n, w);
}

/* One "key:value" attribute of a changeset line. */
static int
read_attribute(const char *path, int line, const char *a, size_t n,
			   changeset_head *h, tn_error *err)
{
	const char *colon = memchr(a, ':', n);
	char		key[MAX_ATTR + 1];
	size_t		kl;
	const char *v;
	size_t		vl;

	if (colon == NULL || colon == a)
	{
		char shown[TN_SHOWN_BUF];
		char tok[MAX_ATTR + 1];

		memcpy(tok, a, n < MAX_ATTR ? n : MAX_ATTR);
		tok[n < MAX_ATTR ? n : MAX_ATTR] = '\0';
		tn_shown(tok, shown, sizeof(shown));
		return bad_line(err, path, line, "an attribute is written \"name:value\"; \"%s\" is not.", shown);
	}
	kl = (size_t) (colon - a);
	v = colon + 1;
	vl = n - kl - 1;
	if (kl > MAX_ATTR)
		kl = MAX_ATTR;
	memcpy(key, a, kl);
	key[kl] = '\0';
	if (tn_ascii_ieq(key, kl, "runintransaction"))
		h->flags |= is_value(v, vl, "false") ? TN_MIG_NO_TRANSACTION : 0;
	else if (tn_ascii_ieq(key, kl, "dbms"))
		h->serves &= dbms_serves(v, vl);
	else if (tn_ascii_ieq(key, kl, "ignore"))
		h->ignored |= is_value(v, vl, "true");
	else if ((tn_ascii_ieq(key, kl, "runonchange") || tn_ascii_ieq(key, kl, "runalways")) && !is_value(v, vl, "false"))
		return bad_line(err, path, line, "attribute \"%s:true\" is not supported: tenancy applies a version once and reports a changed body as drift.", key);
	else if (tn_ascii_ieq(key, kl, "failonerror") && !is_value(v, vl, "true"))
		return bad_line(err, path, line, "attribute \"%s:false\" is not supported: a failing migration always stops the batch.", key);
	else if ((tn_ascii_ieq(key, kl, "context") || tn_ascii_ieq(key, kl, "contextfilter") || tn_ascii_ieq(key, kl, "labels")) && vl > 0)
		return bad_line(err, path, line, "attribute \"%s\" is not supported: tenancy has no contexts or labels and would apply the changeset everywhere.", key);
	else if ((tn_ascii_ieq(key, kl, "enddelimiter") || tn_ascii_ieq(key, kl, "rollbackenddelimiter")) && !(vl == 1 && v[0] == ';'))
		return bad_line(err, path, line, "attribute \"%s\" is not supported: the engine's own parser splits statements at \";\".", key);
	else if (tn_ascii_ieq(key, kl, "splitstatements") || tn_ascii_ieq(key, kl, "rollbacksplitstatements") ||
			 tn_ascii_ieq(key, kl, "stripcomments") || tn_ascii_ieq(key, kl, "logicalfilepath") ||
			 tn_ascii_ieq(key, kl, "created") || tn_ascii_ieq(key, kl, "enddelimiter") ||
			 tn_ascii_ieq(key, kl, "rollbackenddelimiter") || tn_ascii_ieq(key, kl, "runonchange") ||
			 tn_ascii_ieq(key, kl, "runalways") || tn_ascii_ieq(key, kl, "failonerror") ||
			 tn_ascii_ieq(key, kl, "context") || tn_ascii_ieq(key, kl, "contextfilter") || tn_ascii_ieq(key, kl, "labels"))
		; /* nothing changes how tenancy runs the body */
	else
		return bad_line(err, path, line, "attribute \"%s\" is not supported (runWith, runOrder and unknown attributes are refused rather than ignored).", key);
	return TN_OK;
}

/* "--changeset author:id attributes": t is the text after "--". */
static int
read_changeset_line(const char *path, int line, const char *t, size_t n,
					changeset_head *h, tn_error *err)
{
	size_t p = 9; /* "changeset" */
	size_t start;

	memset(h, 0, sizeof(*h));
	h->serves = 3;
	while (p < n && (t[p] == ' ' || t[p] == '\t'))
		p++;
	start = p;
	while (p < n && t[p] != ' ' && t[p] != '\t')
		p++;
	if (memchr(t + start, ':', p - start) == NULL || t[start] == ':' || t[p - 1] == ':')
		return bad_line(err, path, line, "a changeset line is \"--changeset author:id [attribute:value ...]\"%s.", "");
	if (p - start > TN_MAX_NAME_LEN)
		return bad_line(err, path, line, "the changeset's \"author:id\" is longer than the limit of a migration name%s.", "");
	memcpy(h->identity, t + start, p - start);
	h->identity[p - start] = '\0';
	while (p < n)
	{
		int rc;

		while (p < n && (t[p] == ' ' || t[p] == '\t'))
			p++;
		start = p;
		while (p < n && t[p] != ' ' && t[p] != '\t')
			p++;
		if (p > start && (rc = read_attribute(path, line, t + start, p - start, h, err)) != TN_OK)
			return rc;
	}
	return TN_OK;
}

/* Directives of formatted SQL tenancy cannot honour; NULL when t is none. */
static const char *
refused_directive(const char *t, size_t n)
{
	if (starts_word(t, n, "preconditions", "") || (n > 13 && tn_ascii_ieq(t, 13, "precondition-")))
		return "preconditions are not supported: tenancy applies every pending version.";
	if (n >= 11 && tn_ascii_ieq(t, 11, "ignorelines"))
		return "\"--ignoreLines\" is not supported: tenancy runs a changeset's lines as written.";
	if (starts_word(t, n, "property", ""))
		return "\"--property\" is not supported: tenancy runs bodies as written, without ${...} substitution.";
	if (starts_word(t, n, "include", "") || starts_word(t, n, "includeall", ""))
		return "\"--include\" is not supported: load the included files' folder instead.";
	return NULL;
}

/* The growing up and down texts of one changeset, both with the file's line numbers. */
typedef struct changeset_text
{
	tn_buf up;
	tn_buf down;
	int	   has_down;
	int	   started; /* the changeset line was seen */
} changeset_text;

/* The text of b, handed over (never NULL unless out of memory); b is left empty. */
static char *
buf_take(tn_buf *b)
{
	char *s = b->data ? b->data : tn_memdup("", 0);

	memset(b, 0, sizeof(*b));
	return s;
}

static int
add_part(part_list *parts, const char *path, const char *version,
		 const char *name, char *body, tn_dialect dialect, int direction,
		 unsigned flags, tn_error *err)
{
	file_part fp;

	memset(&fp, 0, sizeof(fp));
	fp.path = tn_memdup(path, strlen(path));
	fp.version = tn_memdup(version, strlen(version));
	fp.name = tn_memdup(name, strlen(name));
	fp.body = body;
	fp.dialect = dialect;
	fp.direction = direction;
	fp.extra_flags = flags;
	fp.tagged = dialect != TN_DIALECT_ALL;
	if (fp.path == NULL || fp.version == NULL || fp.name == NULL)
	{
		free(fp.path);
		free(fp.version);
		free(fp.name);
		free(fp.body);
		return tn_parts_no_memory(err);
	}
	return tn_parts_add(parts, &fp, err);
}

/* Hand a finished changeset to the parts (or drop it: another engine's, or ignore:true). */
static int
finish_changeset(const char *path, unsigned file_no, unsigned k,
				 const changeset_head *h, changeset_text *ct, tn_dialect want,
				 part_list *parts, tn_error *err)
{
	char	   version[64];
	tn_dialect d = h->serves == 3 ? TN_DIALECT_ALL : h->serves == 1 ? TN_DIALECT_POSTGRES
																	: TN_DIALECT_SQLITE;
	char	  *up;
	char	  *down = NULL;
	int		   rc;

	if (h->ignored || h->serves == 0 || !(d == TN_DIALECT_ALL || (want != TN_DIALECT_ALL && d == want)))
		return TN_OK;
	snprintf(version, sizeof(version), "%u.%u", file_no, k);
	up = buf_take(&ct->up);
	if (ct->has_down)
		down = buf_take(&ct->down);
	if (up == NULL || (ct->has_down && down == NULL))
	{
		free(up);
		free(down);
		return tn_parts_no_memory(err);
	}
	if ((rc = add_part(parts, path, version, h->identity, up, d, 1, h->flags, err)) != TN_OK)
	{
		free(down);
		return rc;
	}
	return down ? add_part(parts, path, version, h->identity, down, d, -1, 0, err) : TN_OK;
}

int
tn_liquibase_read(const char *path, const char *body, size_t len,
				  unsigned file_no, tn_dialect want, part_list *parts,
				  tn_error *err)
{
	changeset_head h;
	changeset_text ct;
	size_t		   pos = 0;
	int			   line = 0;
	unsigned	   k = 0;
	int			   in_block = 0; /* inside a multi-line rollback comment */
	int			   rc = TN_OK;

	memset(&h, 0, sizeof(h));
	memset(&ct, 0, sizeof(ct));
	parts->liquibase_files++;
	while (pos <= len && rc == TN_OK)
	{
		line_span	l = { pos, pos };
		const char *t;
		size_t		n = 0;
		int			to_up = 1;		/* the line goes to the up text */
		const char *down_text = ""; /* what the line gives the down text */
		size_t		down_len = 0;

		if (pos == len)
			break;
		while (l.end < len && body[l.end] != '\n')
			l.end++;
		line++;
		t = comment_text(body, &l, &n);
		if (in_block)
		{
			size_t p = l.start;

			while (p < l.end && (body[p] == ' ' || body[p] == '\t'))
				p++;
			to_up = 0;
			if (l.end - p >= 2 && body[p] == '*' && body[p + 1] == '/')
				in_block = 0;
			else
			{
				down_text = body + l.start;
				down_len = l.end - l.start;
			}
		}
		else if (t != NULL && starts_word(t, n, "changeset", ""))
		{
			if (ct.started)
				rc = finish_changeset(path, file_no, k, &h, &ct, want, parts, err);
			tn_buf_free(&ct.up);
			tn_buf_free(&ct.down);
			memset(&ct, 0, sizeof(ct));
			if (rc == TN_OK)
				rc = read_changeset_line(path, line, t, n, &h, err);
			ct.started = 1;
			k++;
			/* the lines before this changeset: empty lines in both texts */
			for (int i = 1; rc == TN_OK && i < line; i++)
				if (tn_buf_append(&ct.up, "\n", 1) != TN_OK || tn_buf_append(&ct.down, "\n", 1) != TN_OK)
					rc = tn_parts_no_memory(err);
		}
		else if (t != NULL && starts_word(t, n, "rollback", ""))
		{
			size_t p = 8;

			to_up = 0;
			while (p < n && (t[p] == ' ' || t[p] == '\t'))
				p++;
			ct.has_down = 1;
			if (!tn_ascii_ieq(t + p, n - p, "not required") && !tn_ascii_ieq(t + p, n - p, "empty"))
			{
				down_text = t + p;
				down_len = n - p;
			}
			if (!ct.started)
				rc = bad_line(err, path, line, "a \"--rollback\" line comes before the first \"--changeset\" line%s.", "");
		}
		else if (t == NULL && l.end - l.start >= 20)
		{
			size_t p = l.start;

			while (p < l.end && (body[p] == ' ' || body[p] == '\t'))
				p++;
			if (l.end - p >= 20 && memcmp(body + p, "/*", 2) == 0)
			{
				size_t q = p + 2;

				while (q < l.end && (body[q] == ' ' || body[q] == '\t'))
					q++;
				if (l.end - q >= 18 && tn_ascii_ieq(body + q, 18, "liquibase rollback"))
				{
					to_up = 0;
					in_block = 1;
					ct.has_down = 1;
					if (!ct.started)
						rc = bad_line(err, path, line, "a rollback block comes before the first \"--changeset\" line%s.", "");
				}
			}
		}
		else if (t != NULL && refused_directive(t, n) != NULL)
			rc = bad_line(err, path, line, "%s", refused_directive(t, n));
		if (rc == TN_OK && !ct.started && to_up && line > 1 && !tn_body_is_blank(body + l.start, l.end - l.start))
			rc = bad_line(err, path, line, "the file has statements before its first \"--changeset\" line%s.", "");
		if (rc == TN_OK && ct.started)
		{
			if ((to_up && tn_buf_append(&ct.up, body + l.start, l.end - l.start) != TN_OK) ||
				tn_buf_append(&ct.up, "\n", 1) != TN_OK ||
				(down_len > 0 && tn_buf_append(&ct.down, down_text, down_len) != TN_OK) ||
				tn_buf_append(&ct.down, "\n", 1) != TN_OK)
				rc = tn_parts_no_memory(err);
		}
		pos = l.end < len ? l.end + 1 : len;
	}
	if (rc == TN_OK && in_block)
		rc = bad_line(err, path, line, "a \"/* liquibase rollback\" block is not closed by \"*/\"%s.", "");
	if (rc == TN_OK && ct.started)
		rc = finish_changeset(path, file_no, k, &h, &ct, want, parts, err);
	if (rc == TN_OK && k == 0)
		rc = bad_line(err, path, 1, "the file holds no \"--changeset author:id\" line%s.", "");
	tn_buf_free(&ct.up);
	tn_buf_free(&ct.down);
	return rc;
}

/* ---- where the files come from: a folder's top level, or files a client sent ---- */

static int
read_checked(const char *path, const char *body, size_t len, unsigned file_no,
			 tn_dialect want, part_list *parts, tn_error *err)
{
	char s[TN_SHOWN_BUF];
	char what[TN_SHOWN_BUF + 64];
	int	 rc;

	tn_shown(path, s, sizeof(s));
	snprintf(what, sizeof(what), "migration file \"%s\"", s);
	if ((rc = tn_body_check_text(body, len, what, err)) != TN_OK)
		return rc;
	return tn_liquibase_read(path, body, len, file_no, want, parts, err);
}

int
tn_liquibase_try_file(const char *path, const char *root, tn_dialect want,
					  part_list *parts, int *taken, tn_error *err)
{
	char  *body = NULL;
	size_t len = 0;
	int	   rc;

	*taken = 0;
	rc = tn_read_regular_file(path, root, &body, &len, err);
	if (rc != TN_OK)
		return rc == TN_ERR_NO_MEMORY ? rc : TN_OK; /* the ordinary reader reports it */
	if (tn_liquibase_is(body, len))
	{
		*taken = 1;
		rc = read_checked(path, body, len, (unsigned) parts->liquibase_files + 1, want, parts, err);
	}
	free(body);
	return rc;
}

int
tn_liquibase_try_sent(size_t n, const char *const *names,
					  const char *const *bodies, const size_t *lens, size_t i,
					  tn_dialect want, part_list *parts, int *taken,
					  tn_error *err)
{
	unsigned rank = 1;

	*taken = 0;
	if (strchr(names[i], '/') != NULL || !tn_has_sql_suffix(names[i]) || !tn_liquibase_is(bodies[i], lens[i]))
		return TN_OK;
	for (size_t j = 0; j < n; j++)
		if (names[j] != NULL && bodies[j] != NULL && strchr(names[j], '/') == NULL &&
			tn_has_sql_suffix(names[j]) && strcmp(names[j], names[i]) < 0 &&
			tn_liquibase_is(bodies[j], lens[j]))
			rank++;
	*taken = 1;
	return read_checked(names[i], bodies[i], lens[i], rank, want, parts, err);
}

int
tn_liquibase_check_alone(const part_list *parts, const char *path,
						 tn_error *err)
{
	char s[TN_SHOWN_BUF];

	if (parts->liquibase_files == 0 || parts->seen == 0)
		return TN_OK;
	if (path == NULL)
		tn_error_set(err, TN_ERR_FORMAT, "the files sent mix Liquibase formatted SQL files with other migration files");
	else
	{
		tn_shown(path, s, sizeof(s));
		tn_error_set(err, TN_ERR_FORMAT, "folder \"%s\" mixes Liquibase formatted SQL files with other migration files", s);
	}
	tn_error_detail(err, "Its Liquibase files give versions by file and changeset (\"1.1\", \"1.2\", ...), which would interleave with the other files' versions.");
	tn_error_hint(err, "Load the Liquibase changelogs from a folder of their own.");
	return TN_ERR_FORMAT;
}
