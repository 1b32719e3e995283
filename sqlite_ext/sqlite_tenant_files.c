/*
 * sqlite_tenant_files.c -- which files a SQLite registry may adopt or
 * delete as a tenant (SECURITY.md promise 6; issue 7, finding 12).
 *
 * The core's path rule (tn_validate_tenant_path) keeps a tenant inside the
 * registry folder; this adds what only the host can know: the registry's
 * own files (the registry, its template, journals, WAL, snapshots, atomic
 * copies and locks are all "<registry file>" followed by '.' or '-') are
 * never tenants; a tenant path is never a symbolic link (a link to another
 * tenant made tenant_drop delete that tenant's file); and no two tenants
 * are the same file, whatever names or hard links lead there.
 *
 * Must not: delete or open a file, or decide anything about names (the
 * core's).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* realpath() */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sqlite_registry_internal.h"
#include "tn_internal.h"

/* a is b, or b's companion file: b followed by '.' or '-' */
static int
same_or_companion(const char *a, const char *b)
{
	size_t n = strlen(b);

	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '.' || a[n] == '-');
}

int
tnsq_guard_tenant_file(tn_sqlite_conn *conn, const registry_paths *rp,
					   const char *name, const char *path,
					   const char *resolved, tn_error *err)
{
	char		dir_real[PATH_MAX];
	char		reg_real[PATH_MAX];
	char		joined[PATH_MAX * 2];
	struct stat sb;
	struct stat other_sb;
	int			have_sb;
	tn_rows		rows;
	int			rc;

	if (realpath(rp->dir, dir_real) == NULL || realpath(rp->file, reg_real) == NULL)
	{
		tn_error_set(err, TN_ERR_IO, "registry file \"%s\" cannot be resolved", rp->file);
		tn_error_detail(err, "%s.", strerror(errno));
		return TN_ERR_IO;
	}
	snprintf(joined, sizeof(joined), "%s/%s", dir_real, path);
	if (lstat(joined, &sb) == 0 && S_ISLNK(sb.st_mode))
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant path \"%s\" is a symbolic link", path);
		tn_error_detail(err, "A tenant is a file of its own; a link may lead to another tenant's file or to the registry's.");
		tn_error_hint(err, "Name the file itself.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	if (same_or_companion(resolved, reg_real))
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant path \"%s\" is one of the registry's own files", path);
		tn_error_detail(err, "The registry, its template, journals, snapshots and atomic-run copies are never tenants.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	have_sb = stat(resolved, &sb) == 0;

	/* no other tenant is this file, a companion of it, or a hard link to it */
	rows.nrows = 0;
	rc = tn_query_rows(&conn->adapter, "SELECT name, location FROM {T}tenants WHERE name <> $1",
					   1, (tn_value[]){ tn_text(name) }, 2, &rows, err);
	if (rc != TN_OK)
		return rc;
	for (size_t i = 0; i < rows.nrows && rc == TN_OK; i++)
	{
		char	*other = NULL;
		tn_error ignored;

		tn_error_clear(&ignored);
		if (tn_validate_tenant_path(rp->dir, tn_rows_get(&rows, i, 1), -1, &other, &ignored) != TN_OK)
			continue; /* a location that resolves nowhere is nobody's file */
		if (same_or_companion(resolved, other) ||
			(have_sb && stat(other, &other_sb) == 0 &&
			 other_sb.st_dev == sb.st_dev && other_sb.st_ino == sb.st_ino))
		{
			rc = tn_error_set(err, TN_ERR_EXISTS, "tenant file \"%s\" already belongs to tenant \"%s\"",
							  path, tn_rows_get(&rows, i, 0));
			tn_error_detail(err, "It is the same file as that tenant's, or one of its companion files.");
		}
		free(other);
	}
	tn_rows_free(&rows);
	return rc;
}
