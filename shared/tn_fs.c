/*
 * tn_fs.c -- the file-system rules the core keeps when it reads migration
 * files: a path stays inside its root (a symbolic link may not lead out
 * of it), only regular files of at most TN_MAX_BODY_BYTES are read, and
 * one wording for an I/O error.
 *
 * Must not: write to the file system, open anything but a regular file
 * (a FIFO named x.sql would block the backend), or follow a link out of
 * the root.
 */
#define _XOPEN_SOURCE 700 /* realpath, lstat, O_NOFOLLOW */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "tn_internal.h"

int
tn_io_error(tn_error *err, const char *what, const char *path, int e)
{
	char s[TN_SHOWN_BUF];

	tn_shown(path, s, sizeof(s));
	tn_error_set(err, TN_ERR_IO, "could not %s \"%s\"", what, s);
	tn_error_detail(err, "%s.", strerror(e));
	return TN_ERR_IO;
}

/*
 * Is resolved (a realpath) inside root (a realpath)?  "/a/bc" is not
 * inside "/a/b".
 */
int
tn_path_inside(const char *resolved, const char *root)
{
	size_t n = strlen(root);

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
int
tn_link_outside(tn_error *err, const char *path)
{
	char s[TN_SHOWN_BUF];

	tn_shown(path, s, sizeof(s));
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
				 "migration file \"%s\" is a symbolic link that leads outside the migration folder", s);
	tn_error_detail(err, "Symbolic links are followed only when they resolve inside the folder being loaded.");
	tn_error_hint(err, "Copy the file into the folder instead of linking to it.");
	return TN_ERR_INVALID_ARGUMENT;
}

/*
 * Open path for reading: a symbolic link is followed only when it
 * resolves inside root, and only a regular file of at most
 * TN_MAX_BODY_BYTES is accepted.  *fd is open on success (caller closes),
 * *size is its size then.
 */
static int
open_regular_file(const char *path, const char *root, int *fd, size_t *size,
				  tn_error *err)
{
	struct stat st;
	char	   *resolved = NULL;
	const char *open_path = path;
	int			flags = O_RDONLY | O_NONBLOCK;
	char		s[TN_SHOWN_BUF];

	*fd = -1;
	if (lstat(path, &st) != 0)
		return tn_io_error(err, "read migration file", path, errno);
	if (S_ISLNK(st.st_mode))
	{
		resolved = realpath(path, NULL);
		if (resolved == NULL)
			return tn_io_error(err, "resolve symbolic link", path, errno);
		if (!tn_path_inside(resolved, root))
		{
			free(resolved);
			return tn_link_outside(err, path);
		}
		open_path = resolved;
	}
#ifdef O_NOFOLLOW
	/* a file swapped for a link after the check is refused, not followed */
	flags |= O_NOFOLLOW;
#endif
	*fd = open(open_path, flags);
	if (*fd < 0)
	{
		int e = errno;

		free(resolved);
		return tn_io_error(err, "open migration file", path, e);
	}
	free(resolved);
	if (fstat(*fd, &st) != 0)
	{
		int e = errno;

		close(*fd);
		*fd = -1;
		return tn_io_error(err, "read migration file", path, e);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > TN_MAX_BODY_BYTES)
	{
		close(*fd);
		*fd = -1;
		tn_shown(path, s, sizeof(s));
		if (!S_ISREG(st.st_mode))
		{
			tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
						 "migration file \"%s\" is not a regular file", s);
			tn_error_detail(err, "Only regular files ending in \".sql\" are read as migrations.");
			return TN_ERR_INVALID_ARGUMENT;
		}
		tn_error_set(err, TN_ERR_TOO_LARGE, "migration file \"%s\" is too large", s);
		tn_error_detail(err, "The file is %lld bytes; the limit is %d bytes.",
						(long long) st.st_size, TN_MAX_BODY_BYTES);
		tn_error_hint(err, "Split the migration into several smaller ones.");
		return TN_ERR_TOO_LARGE;
	}
	*size = (size_t) st.st_size;
	return TN_OK;
}

/*
 * Read a whole regular file into a malloc'd NUL-terminated buffer.  A
 * symbolic link is followed only when it resolves inside root.
 */
int
tn_read_regular_file(const char *path, const char *root, char **body, size_t *len,
					 tn_error *err)
{
	int	   fd;
	char  *buf;
	size_t size = 0;
	size_t cap;
	size_t n = 0;
	int	   rc;

	*body = NULL;
	*len = 0;
	if ((rc = open_regular_file(path, root, &fd, &size, err)) != TN_OK)
		return rc;
	cap = size + 1;
	if (cap < 4096)
		cap = 4096;
	buf = malloc(cap);
	if (buf == NULL)
	{
		close(fd);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	for (;;)
	{
		ssize_t r;

		if (n + 1 == cap)
		{
			char *nb;

			if (cap > (size_t) TN_MAX_BODY_BYTES + 1)
				break; /* grew while we read: too large below */
			nb = realloc(buf, cap * 2);
			if (nb == NULL)
			{
				free(buf);
				close(fd);
				return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0)
		{
			int e = errno;

			if (e == EINTR)
				continue;
			free(buf);
			close(fd);
			return tn_io_error(err, "read migration file", path, e);
		}
		if (r == 0)
			break;
		n += (size_t) r;
	}
	close(fd);
	TN_ASSERT(n < cap);
	buf[n] = '\0';
	*body = buf;
	*len = n;
	return TN_OK;
}
