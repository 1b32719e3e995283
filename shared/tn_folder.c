/*
 * tn_folder.c -- reading a migration folder into a sorted tn_migration_set.
 *
 * tn_load_folder reads a folder (or its dialect subfolders postgres/,
 * sqlite/, all/), reads each ".sql" file whose name tn_parse_filename
 * accepts, splits dbmate files into their up and down sections, pairs ups
 * with downs, refuses duplicate versions, and computes checksums and flags.
 *
 * Must not: touch a database, follow a symbolic link out of the folder,
 * open anything but regular files (a FIFO named x.sql would block the
 * backend), or leave anything allocated and *out non-empty when it fails.
 */
#define _XOPEN_SOURCE 700			/* realpath, lstat, O_NOFOLLOW */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "tn_internal.h"

static char *
join_path(const char *dir, const char *name)
{
	size_t		dl = strlen(dir);
	size_t		nl = strlen(name);
	char	   *p = malloc(dl + nl + 2);

	if (p == NULL)
		return NULL;
	memcpy(p, dir, dl);
	if (dl > 0 && dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

static int
no_memory(tn_error *err)
{
	return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
}

/* One up or down body found in a file (a dbmate file gives two). */
typedef struct file_part
{
	char	   *path;			/* as shown to the user and stored as source */
	char	   *version;
	char	   *name;
	char	   *body;			/* NULL for an empty down file */
	tn_dialect	dialect;
	int			direction;		/* +1 up, -1 down */
	unsigned	extra_flags;	/* from dbmate "transaction:false" */
} file_part;

typedef struct part_list
{
	file_part  *items;
	size_t		count;
	size_t		cap;
} part_list;

static void
parts_free(part_list *l)
{
	size_t		i;

	for (i = 0; i < l->count; i++)
	{
		free(l->items[i].path);
		free(l->items[i].version);
		free(l->items[i].name);
		free(l->items[i].body);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Takes ownership of every string in *fp, also on failure. */
static int
parts_add(part_list *l, file_part *fp, tn_error *err)
{
	if (l->count == l->cap)
	{
		size_t		ncap = l->cap ? l->cap * 2 : 16;
		file_part  *n = realloc(l->items, ncap * sizeof(*n));

		if (n == NULL)
		{
			free(fp->path);
			free(fp->version);
			free(fp->name);
			free(fp->body);
			return no_memory(err);
		}
		l->items = n;
		l->cap = ncap;
	}
	l->items[l->count++] = *fp;
	return TN_OK;
}

static int
io_error(tn_error *err, const char *what, const char *path, int e)
{
	char		s[TN_SHOWN_BUF];

	tn_shown(path, s, sizeof(s));
	tn_error_set(err, TN_ERR_IO, "could not %s \"%s\"", what, s);
	tn_error_detail(err, "%s.", strerror(e));
	return TN_ERR_IO;
}

/*
 * Is resolved (a realpath) inside root (a realpath)?  "/a/bc" is not
 * inside "/a/b".
 */
static int
inside(const char *resolved, const char *root)
{
	size_t		n = strlen(root);

	if (n == 1 && root[0] == '/')
		return resolved[0] == '/';
	return strncmp(resolved, root, n) == 0 &&
		(resolved[n] == '/' || resolved[n] == '\0');
}

/*
 * A symbolic link that leaves the folder is refused with
 * TN_ERR_INVALID_ARGUMENT, not TN_ERR_PERMISSION: 42501 says the caller
 * lacks a privilege a GRANT could give, but no privilege makes this link
 * acceptable -- the folder as given is unusable, and neither is it an I/O
 * fault (58030) that a retry might cure.
 */
static int
link_outside(tn_error *err, const char *path)
{
	char		s[TN_SHOWN_BUF];

	tn_shown(path, s, sizeof(s));
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
				 "migration file \"%s\" is a symbolic link that leads outside the migration folder", s);
	tn_error_detail(err, "Symbolic links are followed only when they resolve inside the folder being loaded.");
	tn_error_hint(err, "Copy the file into the folder instead of linking to it.");
	return TN_ERR_INVALID_ARGUMENT;
}

/*
 * Read a whole regular file into a malloc'd NUL-terminated buffer.  A
 * symbolic link is followed only when it resolves inside root.
 */
static int
read_file(const char *path, const char *root, char **body, size_t *len,
		  tn_error *err)
{
	struct stat st;
	char	   *resolved = NULL;
	const char *open_path = path;
	int			fd;
	int			flags = O_RDONLY | O_NONBLOCK;
	char	   *buf;
	size_t		cap;
	size_t		n = 0;

	*body = NULL;
	*len = 0;
	if (lstat(path, &st) != 0)
		return io_error(err, "read migration file", path, errno);
	if (S_ISLNK(st.st_mode))
	{
		resolved = realpath(path, NULL);
		if (resolved == NULL)
			return io_error(err, "resolve symbolic link", path, errno);
		if (!inside(resolved, root))
		{
			free(resolved);
			return link_outside(err, path);
		}
		open_path = resolved;
	}
#ifdef O_NOFOLLOW
	/* a file swapped for a link after the check is refused, not followed */
	flags |= O_NOFOLLOW;
#endif
	fd = open(open_path, flags);
	if (fd < 0)
	{
		int			e = errno;

		free(resolved);
		return io_error(err, "open migration file", path, e);
	}
	free(resolved);
	if (fstat(fd, &st) != 0)
	{
		int			e = errno;

		close(fd);
		return io_error(err, "read migration file", path, e);
	}
	if (!S_ISREG(st.st_mode))
	{
		char		s[TN_SHOWN_BUF];

		close(fd);
		tn_shown(path, s, sizeof(s));
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
					 "migration file \"%s\" is not a regular file", s);
		tn_error_detail(err, "Only regular files ending in \".sql\" are read as migrations.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	if (st.st_size > TN_MAX_BODY_BYTES)
	{
		char		s[TN_SHOWN_BUF];

		close(fd);
		tn_shown(path, s, sizeof(s));
		tn_error_set(err, TN_ERR_TOO_LARGE, "migration file \"%s\" is too large", s);
		tn_error_detail(err, "The file is %lld bytes; the limit is %d bytes.",
						(long long) st.st_size, TN_MAX_BODY_BYTES);
		tn_error_hint(err, "Split the migration into several smaller ones.");
		return TN_ERR_TOO_LARGE;
	}

	cap = (size_t) st.st_size + 1;
	if (cap < 4096)
		cap = 4096;
	buf = malloc(cap);
	if (buf == NULL)
	{
		close(fd);
		return no_memory(err);
	}
	for (;;)
	{
		ssize_t		r;

		if (n + 1 == cap)
		{
			char	   *nb;

			if (cap > (size_t) TN_MAX_BODY_BYTES + 1)
				break;			/* grew while we read: too large below */
			nb = realloc(buf, cap * 2);
			if (nb == NULL)
			{
				free(buf);
				close(fd);
				return no_memory(err);
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0)
		{
			int			e = errno;

			if (e == EINTR)
				continue;
			free(buf);
			close(fd);
			return io_error(err, "read migration file", path, e);
		}
		if (r == 0)
			break;
		n += (size_t) r;
	}
	close(fd);
	buf[n] = '\0';
	*body = buf;
	*len = n;
	return TN_OK;
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
	size_t		line = 0;
	long		found = -1;
	size_t		wl = strlen(what);

	*count = 0;
	while (line < len)
	{
		size_t		eol = line;
		size_t		p = line;

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
	char		s[TN_SHOWN_BUF];

	tn_shown(path, s, sizeof(s));
	tn_error_set(err, TN_ERR_FORMAT, "invalid migration file \"%s\"", s);
	tn_error_detail(err, "%s", detail);
	return TN_ERR_FORMAT;
}

/* Is [s, s+len) only whitespace and comments?  (UTF-8 already checked.) */
static int
is_blank(const char *s, size_t len)
{
	tn_error	e;

	return len == 0 || tn_body_validate(s, len, "section", &e) != TN_OK;
}

static int
contains_word(const char *s, size_t len, const char *word)
{
	size_t		wl = strlen(word);
	size_t		i;

	for (i = 0; i + wl <= len; i++)
		if (memcmp(s + i, word, wl) == 0)
			return 1;
	return 0;
}

/*
 * Read one migration file into parts (one up, one down, or a dbmate
 * file's two sections).  folder_dialect comes from a dialect subfolder.
 * Files for another dialect are skipped.
 */
static int
load_file(const char *dirpath, const char *fname, const char *root,
		  tn_dialect folder_dialect, tn_dialect want, part_list *parts,
		  tn_error *err)
{
	char	   *path = NULL;
	char	   *version = NULL;
	char	   *name = NULL;
	char	   *body = NULL;
	size_t		len;
	tn_dialect	d;
	int			direction;
	int			rc;
	char		what[TN_SHOWN_BUF + 64];
	char		s[TN_SHOWN_BUF];
	size_t		after_up = 0;
	size_t		after_down = 0;
	const char *opts = NULL;
	const char *dopts = NULL;
	size_t		optlen = 0;
	size_t		doptlen = 0;
	int			nup;
	int			ndown;
	long		up_at;
	long		down_at;
	file_part	fp;

	path = join_path(dirpath, fname);
	if (path == NULL)
		return no_memory(err);

	rc = tn_parse_filename(fname, &version, &name, &d, &direction, err);
	if (rc != TN_OK)
	{
		/* name the file with its folder, keeping the rule that failed */
		if (rc == TN_ERR_FORMAT)
		{
			char		detail[TN_DETAIL_MAX];
			char		hint[TN_HINT_MAX];

			memcpy(detail, err->detail, sizeof(detail));
			memcpy(hint, err->hint, sizeof(hint));
			tn_shown(path, s, sizeof(s));
			tn_error_set(err, rc, "invalid migration file name \"%s\"", s);
			tn_error_detail(err, "%s", detail);
			tn_error_hint(err, "%s", hint);
		}
		free(path);
		return rc;
	}

	if (folder_dialect != TN_DIALECT_ALL && d != TN_DIALECT_ALL && d != folder_dialect)
	{
		rc = bad_file(err, path, "The file's dialect tag does not match the dialect subfolder it is in.");
		free(path);
		free(version);
		free(name);
		return rc;
	}
	if (folder_dialect != TN_DIALECT_ALL)
		d = folder_dialect;
	if (!(d == TN_DIALECT_ALL || (want != TN_DIALECT_ALL && d == want)))
	{
		free(path);
		free(version);
		free(name);
		return TN_OK;			/* another dialect's file */
	}

	rc = read_file(path, root, &body, &len, err);
	if (rc != TN_OK)
		goto fail;

	/*
	 * An empty down file means "no down", as an empty dbmate down section
	 * does: golang-migrate creates both files and many projects leave the
	 * down empty.  The up stays mandatory.
	 */
	if (direction < 0 && memchr(body, '\0', len) == NULL &&
		tn_utf8_error_offset(body, len) < 0 && is_blank(body, len))
	{
		free(body);
		body = NULL;
		fp.path = path;
		fp.version = version;
		fp.name = name;
		fp.body = NULL;
		fp.dialect = d;
		fp.direction = -1;
		fp.extra_flags = 0;
		return parts_add(parts, &fp, err);
	}

	tn_shown(path, s, sizeof(s));
	snprintf(what, sizeof(what), "migration file \"%s\"", s);
	rc = tn_body_validate(body, len, what, err);
	if (rc != TN_OK)
		goto fail;

	up_at = find_dbmate_marker(body, len, "up", &after_up, &opts, &optlen, &nup);
	down_at = find_dbmate_marker(body, len, "down", &after_down, &dopts, &doptlen, &ndown);
	(void) dopts;
	(void) doptlen;

	if (up_at < 0 && down_at < 0)
	{
		fp.path = path;
		fp.version = version;
		fp.name = name;
		fp.body = body;
		fp.dialect = d;
		fp.direction = direction < 0 ? -1 : 1;
		fp.extra_flags = 0;
		return parts_add(parts, &fp, err);
	}

	/* a dbmate file: "-- migrate:up" ... "-- migrate:down" ... */
	if (direction < 0)
	{
		rc = bad_file(err, path, "A down migration file must not contain \"-- migrate:up\" or \"-- migrate:down\" sections.");
		goto fail;
	}
	if (up_at < 0)
	{
		rc = bad_file(err, path, "The file has a \"-- migrate:down\" section but no \"-- migrate:up\" section.");
		goto fail;
	}
	if (nup > 1 || ndown > 1)
	{
		rc = bad_file(err, path, "The file has more than one \"-- migrate:up\" or \"-- migrate:down\" line.");
		goto fail;
	}
	if (!is_blank(body, (size_t) (down_at >= 0 && down_at < up_at ? down_at : up_at)))
	{
		rc = bad_file(err, path, "The file has statements before its first \"-- migrate:\" line.");
		goto fail;
	}
	{
		size_t		up_end = (down_at > up_at) ? (size_t) down_at : len;
		size_t		down_end = (down_at >= 0 && up_at > down_at) ? (size_t) up_at : len;
		char	   *up_body = tn_memdup(body + after_up, up_end - after_up);
		char	   *down_body = NULL;
		char	   *path2 = NULL;
		char	   *version2 = NULL;
		char	   *name2 = NULL;
		int			has_down = down_at >= 0 &&
			!is_blank(body + after_down, down_end - after_down);
		unsigned	up_flags = contains_word(opts, optlen, "transaction:false") ?
			TN_MIG_NO_TRANSACTION : 0;

		if (up_body == NULL)
		{
			rc = no_memory(err);
			goto fail;
		}
		snprintf(what, sizeof(what), "up section of migration file \"%s\"", s);
		rc = tn_body_validate(up_body, strlen(up_body), what, err);
		if (rc != TN_OK)
		{
			free(up_body);
			goto fail;
		}
		if (has_down)
		{
			down_body = tn_memdup(body + after_down, down_end - after_down);
			path2 = tn_memdup(path, strlen(path));
			version2 = tn_memdup(version, strlen(version));
			name2 = tn_memdup(name, strlen(name));
			if (!down_body || !path2 || !version2 || !name2)
			{
				free(up_body);
				free(down_body);
				free(path2);
				free(version2);
				free(name2);
				rc = no_memory(err);
				goto fail;
			}
		}
		free(body);
		body = NULL;

		fp.path = path;
		fp.version = version;
		fp.name = name;
		fp.body = up_body;
		fp.dialect = d;
		fp.direction = 1;
		fp.extra_flags = up_flags;
		rc = parts_add(parts, &fp, err);
		if (rc != TN_OK)
		{
			free(down_body);
			free(path2);
			free(version2);
			free(name2);
			return rc;
		}
		if (has_down)
		{
			fp.path = path2;
			fp.version = version2;
			fp.name = name2;
			fp.body = down_body;
			fp.direction = -1;
			fp.extra_flags = 0;
			return parts_add(parts, &fp, err);
		}
		return TN_OK;
	}

fail:
	free(path);
	free(version);
	free(name);
	free(body);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
free_names(char **names, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Entry names of a folder, sorted bytewise (errors come out in a stable order). */
static int
list_folder(const char *path, char ***names_out, size_t *count_out,
			tn_error *err)
{
	DIR		   *dir;
	struct dirent *de;
	char	  **names = NULL;
	size_t		n = 0;
	size_t		cap = 0;

	*names_out = NULL;
	*count_out = 0;
	dir = opendir(path);
	if (dir == NULL)
		return io_error(err, "open migration folder", path, errno);
	for (;;)
	{
		errno = 0;
		de = readdir(dir);
		if (de == NULL)
		{
			if (errno != 0)
			{
				int			e = errno;

				closedir(dir);
				free_names(names, n);
				return io_error(err, "read migration folder", path, e);
			}
			break;
		}
		if (de->d_name[0] == '.')
			continue;			/* ".", "..", hidden and editor files */
		if (n == cap)
		{
			size_t		ncap = cap ? cap * 2 : 32;
			char	  **nn = realloc(names, ncap * sizeof(*nn));

			if (nn == NULL)
			{
				closedir(dir);
				free_names(names, n);
				return no_memory(err);
			}
			names = nn;
			cap = ncap;
		}
		names[n] = tn_memdup(de->d_name, strlen(de->d_name));
		if (names[n] == NULL)
		{
			closedir(dir);
			free_names(names, n);
			return no_memory(err);
		}
		n++;
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	*names_out = names;
	*count_out = n;
	return TN_OK;
}

/* Load every .sql file directly in dirpath. */
static int
load_dir_files(const char *dirpath, const char *root, tn_dialect folder_dialect,
			   tn_dialect want, part_list *parts, tn_error *err)
{
	char	  **names;
	size_t		n;
	size_t		i;
	int			rc;

	rc = list_folder(dirpath, &names, &n, err);
	if (rc != TN_OK)
		return rc;
	for (i = 0; i < n; i++)
	{
		if (!tn_has_sql_suffix(names[i]))
			continue;			/* README.md, .txt notes, ... */
		rc = load_file(dirpath, names[i], root, folder_dialect, want, parts, err);
		if (rc != TN_OK)
			break;
	}
	free_names(names, n);
	return rc;
}

static int
cmp_parts(const void *a, const void *b)
{
	const file_part *x = a;
	const file_part *y = b;
	int			c = tn_version_compare(x->version, y->version);

	if (c != 0)
		return c;
	if (x->direction != y->direction)
		return x->direction > y->direction ? -1 : 1;	/* up first */
	return strcmp(x->path, y->path);
}

static int
duplicate(tn_error *err, const file_part *a, const file_part *b)
{
	char		sa[TN_SHOWN_BUF];
	char		sb[TN_SHOWN_BUF];

	const char *ba = strrchr(a->path, '/');
	const char *bb = strrchr(b->path, '/');
	char		na[TN_SHOWN_BUF];
	char		nb[TN_SHOWN_BUF];

	/* file names in the message (it is short), full paths in the detail */
	tn_shown(ba ? ba + 1 : a->path, na, sizeof(na));
	tn_shown(bb ? bb + 1 : b->path, nb, sizeof(nb));
	tn_shown(a->path, sa, sizeof(sa));
	tn_shown(b->path, sb, sizeof(sb));
	tn_error_set(err, TN_ERR_DUPLICATE,
				 "duplicate %s migration version \"%s\" in \"%s\" and \"%s\"",
				 a->direction < 0 ? "down" : "up", b->version, na, nb);
	if (strcmp(a->version, b->version) == 0)
		tn_error_detail(err, "Files \"%s\" and \"%s\" both give version %s.",
						sa, sb, a->version);
	else
		tn_error_detail(err, "Files \"%s\" and \"%s\" give versions \"%s\" and \"%s\", which are equal: versions compare numerically by component.",
						sa, sb, a->version, b->version);
	tn_error_hint(err, "Give each migration its own version.");
	return TN_ERR_DUPLICATE;
}

/* Pair ups with downs and build the set (parts are sorted). */
static int
build_set(part_list *parts, tn_migration_set *set, tn_error *err)
{
	size_t		i = 0;

	if (parts->count > 0)
	{
		set->items = calloc(parts->count, sizeof(tn_migration));
		if (set->items == NULL)
			return no_memory(err);
		set->cap = parts->count;
	}
	while (i < parts->count)
	{
		size_t		j = i + 1;
		file_part  *up = NULL;
		file_part  *down = NULL;
		size_t		k;
		tn_migration *m;
		int			rc;

		while (j < parts->count &&
			   tn_version_compare(parts->items[i].version, parts->items[j].version) == 0)
			j++;
		for (k = i; k < j; k++)
		{
			file_part  *fp = &parts->items[k];

			if (fp->direction > 0)
			{
				if (up)
					return duplicate(err, up, fp);
				up = fp;
			}
			else
			{
				if (down)
					return duplicate(err, down, fp);
				down = fp;
			}
		}
		if (up == NULL)
		{
			char		s[TN_SHOWN_BUF];

			tn_shown(down->path, s, sizeof(s));
			tn_error_set(err, TN_ERR_FORMAT,
						 "down migration \"%s\" has no up migration", s);
			tn_error_detail(err, "Version %s has a down file but no up file.", down->version);
			tn_error_hint(err, "Add the up migration or remove the down file.");
			return TN_ERR_FORMAT;
		}

		/* move the strings into the migration */
		m = &set->items[set->count++];
		m->version = up->version;
		up->version = NULL;
		m->name = up->name;
		up->name = NULL;
		m->up_sql = up->body;
		up->body = NULL;
		m->source = up->path;
		up->path = NULL;
		if (down)
		{
			m->down_sql = down->body;
			down->body = NULL;
		}
		m->dialect = up->dialect;
		m->flags = tn_detect_flags(m->up_sql) | up->extra_flags;
		rc = tn_checksum(m->up_sql, strlen(m->up_sql), m->checksum, err);
		if (rc != TN_OK)
			return rc;
		i = j;
	}
	return TN_OK;
}

/*
 * Out: *out is overwritten (pass an empty set; earlier contents are not
 * freed).  want = TN_DIALECT_ALL loads only files that serve both engines.
 */
int
tn_load_folder(const char *path, tn_dialect dialect, tn_migration_set *out,
			   tn_error *err)
{
	tn_error	scratch;
	struct stat st;
	char	   *root = NULL;
	char	  **names = NULL;
	size_t		nnames = 0;
	size_t		i;
	part_list	parts;
	tn_migration_set set;
	int			rc;

	if (err == NULL)
		err = &scratch;
	if (out)
		memset(out, 0, sizeof(*out));
	if (path == NULL)
		return tn_error_null_argument(err, "path");
	if (out == NULL)
		return tn_error_null_argument(err, "out");
	memset(&parts, 0, sizeof(parts));
	memset(&set, 0, sizeof(set));

	if (stat(path, &st) != 0)
		return io_error(err, "open migration folder", path, errno);
	if (!S_ISDIR(st.st_mode))
	{
		char		s[TN_SHOWN_BUF];

		tn_shown(path, s, sizeof(s));
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
					 "migration path \"%s\" is not a folder", s);
		tn_error_detail(err, "Migrations are loaded from a folder of .sql files.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	root = realpath(path, NULL);
	if (root == NULL)
		return io_error(err, "resolve migration folder", path, errno);

	rc = list_folder(path, &names, &nnames, err);
	if (rc != TN_OK)
		goto done;

	/* dialect subfolders: postgres/ (postgresql/, pg/), sqlite/, all/ */
	for (i = 0; i < nnames && rc == TN_OK; i++)
	{
		int			d = tn_dialect_of(names[i], strlen(names[i]));
		char	   *sub;
		char	   *resolved;

		if (d < 0)
			continue;
		sub = join_path(path, names[i]);
		if (sub == NULL)
		{
			rc = no_memory(err);
			break;
		}
		if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
		{
			free(sub);
			continue;			/* a file named "all" is not a subfolder */
		}
		if (!(d == TN_DIALECT_ALL || (dialect != TN_DIALECT_ALL && d == (int) dialect)))
		{
			free(sub);
			continue;			/* another dialect's folder is not read */
		}
		resolved = realpath(sub, NULL);
		if (resolved == NULL)
			rc = io_error(err, "resolve migration folder", sub, errno);
		else if (!inside(resolved, root))
			rc = link_outside(err, sub);
		else
			rc = load_dir_files(sub, root, (tn_dialect) d, dialect, &parts, err);
		free(resolved);
		free(sub);
	}
	/* .sql files at the top level serve as if they were in all/ */
	if (rc == TN_OK)
		rc = load_dir_files(path, root, TN_DIALECT_ALL, dialect, &parts, err);
	if (rc != TN_OK)
		goto done;

	if (parts.count > 1)
		qsort(parts.items, parts.count, sizeof(file_part), cmp_parts);
	rc = build_set(&parts, &set, err);
	if (rc == TN_OK)
	{
		*out = set;
		memset(&set, 0, sizeof(set));
	}

done:
	tn_migration_set_free(&set);
	parts_free(&parts);
	free_names(names, nnames);
	free(root);
	return rc;
}
