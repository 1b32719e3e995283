/*
 * sqlite_tenant_files.c -- which files a SQLite registry may adopt or
 * delete as a tenant (SECURITY.md promise 6; issue 7, finding 12), and the
 * identity of each tenant's file the registry keeps to check that fast
 * (issue 14: one indexed lookup per tenant_create, not one stat() per
 * registered tenant).
 *
 * The core's path rule (tn_validate_tenant_path) keeps a tenant inside the
 * registry folder; this adds what only the host can know: the registry's
 * own files (the registry, its template, journals, WAL, snapshots, atomic
 * copies and locks are all "<registry file>" followed by '.' or '-') are
 * never tenants; a tenant path is never a symbolic link (a link to another
 * tenant made tenant_drop delete that tenant's file); and no two tenants
 * are the same file, whatever names or hard links lead there.
 *
 * tenancy_tenants keeps, per tenant, file_path (its resolved path,
 * relative to the resolved registry folder, so a moved folder keeps it),
 * file_dev and file_ino (stat() of it when it was created or registered),
 * indexed.  tenant_create and tenant_register compare a new file with
 * those: a path or companion match refuses; a device + inode match is
 * confirmed on the owner's file as it is now (a copied folder has new
 * inodes); a row without an identity (a registry of before them whose file
 * did not resolve, or a row written by hand) is compared live;
 * tenant_drop(..., 'delete') compares with every other tenant's file as it
 * is now, so a file changed behind the registry's back (replaced by a
 * link, a folder swapped) is never deleted as this tenant's.
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
#include "tn_sql.h"

/* a is b, or b's companion file: b followed by '.' or '-' */
static int
same_or_companion(const char *a, const char *b)
{
	size_t n = strlen(b);

	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '.' || a[n] == '-');
}

static int
already_belongs(const char *path, const char *owner, tn_error *err)
{
	tn_error_set(err, TN_ERR_EXISTS, "tenant file \"%s\" already belongs to tenant \"%s\"", path, owner);
	tn_error_detail(err, "It is the same file as that tenant's, or one of its companion files.");
	return TN_ERR_EXISTS;
}

/* resolved relative to the resolved registry folder (tn_validate_tenant_path keeps it inside) */
static const char *
relative_to(const char *dir_real, const char *resolved)
{
	size_t n = strlen(dir_real);

	if (n == 1 && dir_real[0] == '/')
		return resolved + 1;
	if (strncmp(resolved, dir_real, n) == 0 && resolved[n] == '/')
		return resolved + n + 1;
	return resolved;
}

/* What every check starts with: not a symbolic link, not one of the registry's own files. */
static int
guard_link_and_registry(const registry_paths *rp, const char *path, const char *resolved, char *dir_real,
						tn_error *err)
{
	char		reg_real[PATH_MAX];
	char		joined[PATH_MAX * 2];
	struct stat sb;

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
	return TN_OK;
}

/*
 * Is resolved (with stat sb when have_sb) the file, a companion file or a
 * hard link of another tenant's file as it is now?  rows: name, location
 * of the tenants to compare with, each resolved and stat()ed here.
 */
static int
guard_live(const registry_paths *rp, const char *path, const char *resolved,
		   const struct stat *sb, int have_sb, const tn_rows *rows, tn_error *err)
{
	int rc = TN_OK;

	for (size_t i = 0; i < rows->nrows && rc == TN_OK; i++)
	{
		char	   *other = NULL;
		struct stat other_sb;
		tn_error	ignored;

		tn_error_clear(&ignored);
		if (tn_validate_tenant_path(rp->dir, tn_rows_get(rows, i, 1), -1, &other, &ignored) != TN_OK)
			continue; /* a location that resolves nowhere is nobody's file */
		if (same_or_companion(resolved, other) ||
			(have_sb && stat(other, &other_sb) == 0 &&
			 other_sb.st_dev == sb->st_dev && other_sb.st_ino == sb->st_ino))
			rc = already_belongs(path, tn_rows_get(rows, i, 0), err);
		free(other);
	}
	return rc;
}

/* guard_live over the tenants sql returns (name, location; params p). */
static int
guard_live_query(tn_sqlite_conn *conn, const registry_paths *rp, const char *path, const char *resolved,
				 const struct stat *sb, int have_sb, const char *sql, int np, const tn_value *p, tn_error *err)
{
	tn_rows rows;
	int		rc;

	rows.nrows = 0;
	if ((rc = tn_query_rows(&conn->adapter, sql, np, p, 2, &rows, err)) != TN_OK)
		return rc;
	rc = guard_live(rp, path, resolved, sb, have_sb, &rows, err);
	tn_rows_free(&rows);
	return rc;
}

int
tnsq_guard_tenant_file(tn_sqlite_conn *conn, const registry_paths *rp,
					   const char *name, const char *path,
					   const char *resolved, tn_error *err)
{
	char		dir_real[PATH_MAX];
	struct stat sb;
	int			have_sb;
	int			rc;

	if ((rc = guard_link_and_registry(rp, path, resolved, dir_real, err)) != TN_OK)
		return rc;
	have_sb = stat(resolved, &sb) == 0;

	/* no other tenant is this file, a companion of it, or a hard link to it, now */
	return guard_live_query(conn, rp, path, resolved, &sb, have_sb, "SELECT name, location FROM {T}tenants WHERE name <> $1",
							1, (tn_value[]){ tn_text(name) }, err);
}

/* The first tenant other than name whose stored file_path is rel, or TN_OK. */
static int
lookup_path_owner(tn_sqlite_conn *conn, const char *name, const char *rel, const char *path, tn_error *err)
{
	tn_value p[2] = { tn_text(name), tn_text(rel) };
	tn_rows	 rows;
	int		 rc;

	rows.nrows = 0;
	if ((rc = tn_query_rows(&conn->adapter, "SELECT name FROM {T}tenants WHERE file_path = $2 AND name <> $1 LIMIT 1",
							2, p, 1, &rows, err)) != TN_OK)
		return rc;
	if (rows.nrows > 0)
		rc = already_belongs(path, tn_rows_get(&rows, 0, 0), err);
	tn_rows_free(&rows);
	return rc;
}

int
tnsq_guard_new_tenant_file(tn_sqlite_conn *conn, const registry_paths *rp,
						   const char *name, const char *path,
						   const char *resolved, tn_error *err)
{
	char		dir_real[PATH_MAX];
	struct stat sb;
	int			have_sb;
	const char *rel;
	char	   *prefix;
	int			rc;

	if ((rc = guard_link_and_registry(rp, path, resolved, dir_real, err)) != TN_OK)
		return rc;
	have_sb = stat(resolved, &sb) == 0;
	rel = relative_to(dir_real, resolved);

	/* another tenant's file is this one, or this is its companion: rel cut at a '.' or '-' */
	if ((prefix = strdup(rel)) == NULL)
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	for (size_t n = strlen(rel) + 1; n-- > 1 && rc == TN_OK;)
	{
		if (rel[n] != '\0' && rel[n] != '.' && rel[n] != '-')
			continue;
		prefix[n] = '\0';
		rc = lookup_path_owner(conn, name, prefix, path, err);
	}
	free(prefix);
	if (rc != TN_OK)
		return rc;

	/* a hard link: a tenant stored with this device and inode, confirmed on its file as it is now */
	if (have_sb)
	{
		tn_value p[3] = { tn_text(name), tn_int8((long long) sb.st_dev), tn_int8((long long) sb.st_ino) };

		if ((rc = guard_live_query(conn, rp, path, resolved, &sb, have_sb,
								   "SELECT name, location FROM {T}tenants WHERE file_dev = $2 AND file_ino = $3"
								   " AND name <> $1",
								   3, p, err)) != TN_OK)
			return rc;
	}

	/* rows without a stored identity are compared as they are now */
	return guard_live_query(conn, rp, path, resolved, &sb, have_sb,
							"SELECT name, location FROM {T}tenants WHERE file_path IS NULL AND name <> $1", 1,
							(tn_value[]){ tn_text(name) }, err);
}

void
tnsq_tenant_file_identity(const registry_paths *rp, const char *resolved, tn_value out[3])
{
	char		dir_real[PATH_MAX];
	struct stat sb;

	if (resolved != NULL && realpath(rp->dir, dir_real) != NULL && stat(resolved, &sb) == 0)
	{
		out[0] = tn_text(relative_to(dir_real, resolved));
		out[1] = tn_int8((long long) sb.st_dev);
		out[2] = tn_int8((long long) sb.st_ino);
	}
	else
		out[0] = out[1] = out[2] = tn_null(); /* compared live until it has one */
}

int
tnsq_tenant_files_fill(tn_sqlite_conn *conn, const registry_paths *rp, tn_error *err)
{
	tn_rows rows;
	int		rc;

	rows.nrows = 0;
	if ((rc = tn_query_rows(&conn->adapter, "SELECT name, location FROM {T}tenants WHERE file_path IS NULL", 0, NULL,
							2, &rows, err)) != TN_OK)
		return rc;
	/* one transaction (or a savepoint in the caller's) for every row, not one commit each */
	if (rows.nrows > 0 && (rc = tn_sqlite_exec(conn->db, "SAVEPOINT tenancy_files_fill", err)) != TN_OK)
	{
		tn_rows_free(&rows);
		return rc;
	}
	for (size_t i = 0; rc == TN_OK && i < rows.nrows; i++)
	{
		char	*resolved = NULL;
		tn_value p[4];
		tn_error ignored;

		tn_error_clear(&ignored);
		if (tn_validate_tenant_path(rp->dir, tn_rows_get(&rows, i, 1), -1, &resolved, &ignored) != TN_OK)
			continue; /* resolves nowhere now: stays NULL, compared live */
		tnsq_tenant_file_identity(rp, resolved, p);
		p[3] = tn_text(tn_rows_get(&rows, i, 0));
		rc = tn_exec(&conn->adapter, "UPDATE {T}tenants SET file_path = $1, file_dev = $2, file_ino = $3 WHERE name = $4",
					 4, p, err);
		free(resolved);
	}
	if (rows.nrows > 0)
	{
		tn_error ignored;

		tn_error_clear(&ignored);
		if (rc != TN_OK)
			(void) tn_sqlite_exec(conn->db, "ROLLBACK TO tenancy_files_fill", &ignored);
		if (tn_sqlite_exec(conn->db, "RELEASE tenancy_files_fill", rc == TN_OK ? err : &ignored) != TN_OK &&
			rc == TN_OK)
			rc = err->code;
	}
	tn_rows_free(&rows);
	return rc;
}
