/*
 * tn_folder.c -- reading a migration folder into a sorted tn_migration_set.
 *
 * tn_load_folder reads a folder (or its dialect subfolders postgres/,
 * sqlite/, all/), reads each ".sql" file whose name tn_parse_filename
 * accepts, splits dbmate, goose and sql-migrate files into their up and
 * down sections (tn_annotations.c reads goose's and sql-migrate's), pairs
 * ups with downs, refuses duplicate versions, and computes checksums and
 * flags.  Blank files are no-op versions and no-op downs.
 * Each file is read in named steps (tn_parts_load_file, in tn_file_parts.c); the
 * bytes come through tn_fs.c, which keeps links inside the folder and
 * reads regular files only.
 *
 * Must not: touch a database, follow a symbolic link out of the folder,
 * open anything but regular files (a FIFO named x.sql would block the
 * backend), or leave anything allocated and *out non-empty when it fails.
 */
#define _XOPEN_SOURCE 700 /* realpath, lstat, O_NOFOLLOW */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "tn_parts.h"

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Entry names of a folder, sorted bytewise (errors come out in a stable order). */
static int
list_folder(const char *path, char ***names_out, size_t *count_out,
			tn_error *err)
{
	DIR			  *dir;
	struct dirent *de;
	char		 **names = NULL;
	size_t		   n = 0;
	size_t		   cap = 0;

	*names_out = NULL;
	*count_out = 0;
	dir = opendir(path);
	if (dir == NULL)
		return tn_io_error(err, "open migration folder", path, errno);
	for (;;)
	{
		errno = 0;
		de = readdir(dir);
		if (de == NULL)
		{
			if (errno != 0)
			{
				int e = errno;

				closedir(dir);
				free_names(names, n);
				return tn_io_error(err, "read migration folder", path, e);
			}
			break;
		}
		if (de->d_name[0] == '.')
			continue; /* ".", "..", hidden and editor files */
		if (n == cap)
		{
			size_t ncap = cap ? cap * 2 : 32;
			char **nn = realloc(names, ncap * sizeof(*nn));

			if (nn == NULL)
			{
				closedir(dir);
				free_names(names, n);
				return tn_parts_no_memory(err);
			}
			names = nn;
			cap = ncap;
		}
		names[n] = tn_memdup(de->d_name, strlen(de->d_name));
		if (names[n] == NULL)
		{
			closedir(dir);
			free_names(names, n);
			return tn_parts_no_memory(err);
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

/* Load every .sql file directly in dirpath (top: the loaded folder itself, where Liquibase files are read). */
static int
load_dir_files(const char *dirpath, const char *root, tn_dialect folder_dialect,
			   tn_dialect want, int top, part_list *parts, tn_error *err)
{
	char **names;
	size_t n;
	size_t i;
	int	   rc;

	rc = list_folder(dirpath, &names, &n, err);
	if (rc != TN_OK)
		return rc;
	for (i = 0; i < n; i++)
	{
		int taken = 0;

		if (!tn_has_sql_suffix(names[i]))
			continue; /* README.md, .txt notes, ... */
		if (top)
		{
			char *p = tn_join_path(dirpath, names[i]);

			rc = p == NULL ? tn_parts_no_memory(err) : tn_liquibase_try_file(p, root, want, parts, &taken, err);
			free(p);
			if (rc != TN_OK)
				break;
			if (taken)
				continue;
		}
		rc = tn_parts_load_file(dirpath, names[i], NULL, root, NULL, 0, folder_dialect, want, parts, err);
		if (rc != TN_OK)
			break;
	}
	free_names(names, n);
	return rc;
}

/*
 * The name a folder-per-migration file stands for: "<folder>.up.sql" or
 * "<folder>.down.sql".  Diesel's "2023-01-01-000000_x" folders give the
 * version without its dashes ("20230101000000"), as Diesel records it.
 */
static void
folder_file_name(const char *folder, int direction, char *out, size_t outsize)
{
	const char		 *d = folder;
	int				  diesel = strlen(folder) > 18;
	static const char shape[] = "dddd-dd-dd-dddddd_";

	for (size_t i = 0; diesel && i < sizeof(shape) - 1; i++)
		diesel = shape[i] == 'd' ? (d[i] >= '0' && d[i] <= '9') : d[i] == shape[i];
	if (diesel)
		snprintf(out, outsize, "%.4s%.2s%.2s%.6s%s.%s.sql", d, d + 5, d + 8, d + 11, d + 17,
				 direction > 0 ? "up" : "down");
	else
		snprintf(out, outsize, "%s.%s.sql", folder, direction > 0 ? "up" : "down");
}

/* Is fname a file of a folder per migration: Prisma's migration.sql, or up.sql / down.sql? */
static int
folder_file_direction(const char *fname)
{
	if (strcmp(fname, "migration.sql") == 0 || strcmp(fname, "up.sql") == 0)
		return 1;
	if (strcmp(fname, "down.sql") == 0)
		return -1;
	return 0;
}

/*
 * One folder per migration (Prisma "20230101000000_init/migration.sql",
 * Diesel and others "<version>_<name>/up.sql" + "down.sql"): the folder
 * name gives version and name.  A folder with none of those files is not a
 * migration and is passed over.
 */
static int
load_migration_folder(const char *sub, const char *folder, const char *root,
					  tn_dialect want, part_list *parts, tn_error *err)
{
	char **names;
	size_t n;
	int	   rc;
	int	   prisma = 0;
	char   as_name[TN_SHOWN_BUF];

	rc = list_folder(sub, &names, &n, err);
	if (rc != TN_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		prisma |= strcmp(names[i], "migration.sql") == 0;
	for (size_t i = 0; i < n && rc == TN_OK; i++)
	{
		int dir = folder_file_direction(names[i]);

		if (dir == 0 || (prisma && strcmp(names[i], "up.sql") == 0))
			continue;
		folder_file_name(folder, dir, as_name, sizeof(as_name));
		rc = tn_parts_load_file(sub, names[i], as_name, root, NULL, 0, TN_DIALECT_ALL, want, parts, err);
	}
	free_names(names, n);
	return rc;
}

/* Nothing in a folder that has entries is a migration: say what is there. */
static int
nothing_recognised(const char *path, char **names, size_t n, tn_error *err)
{
	char   s[TN_SHOWN_BUF];
	char   found[512] = "";
	size_t used = 0;

	for (size_t i = 0; i < n && i < 6 && used < sizeof(found) - 64; i++)
	{
		char one[TN_SHOWN_BUF];
		int	 w;

		tn_shown(names[i], one, sizeof(one));
		w = snprintf(found + used, sizeof(found) - used, "%s\"%.60s\"", i ? ", " : "", one);
		if (w > 0)
			used += (size_t) w;
	}
	tn_shown(path, s, sizeof(s));
	tn_error_set(err, TN_ERR_FORMAT, "no migrations found in folder \"%s\"", s);
	tn_error_detail(err, "The folder holds %zu entr%s, none of them a migration file or folder: %s%s.",
					n, n == 1 ? "y" : "ies", found, n > 6 ? ", ..." : "");
	tn_error_hint(err, "Migration files are named like \"V1__create_users.sql\" or \"1_create_users.up.sql\"; "
					   "a folder per migration (\"20230101000000_init/\") holds \"migration.sql\" or \"up.sql\" and \"down.sql\".");
	return TN_ERR_FORMAT;
}

/*
 * A file name a client sent (tenant_migrations_load_files): "FILE" or
 * "DIALECT/FILE" with DIALECT a dialect subfolder name; no other '/', no
 * "..", not empty, not given twice (names[0..i) are the ones before it).
 */
static int
check_sent_name(const char *name, const char *const *names, size_t i,
				tn_error *err)
{
	const char *slash = strchr(name, '/');
	char		s[TN_SHOWN_BUF];
	size_t		k;
	int			bad;

	tn_shown(name, s, sizeof(s));
	bad = name[0] == '\0' || name[0] == '.';
	if (!bad && slash != NULL)
		bad = slash == name || slash[1] == '\0' || slash[1] == '.' || strchr(slash + 1, '/') != NULL ||
			  (tn_dialect_of(name, (size_t) (slash - name)) < 0 && folder_file_direction(slash + 1) == 0);
	if (bad)
	{
		tn_error_set(err, TN_ERR_FORMAT, "invalid migration file name \"%s\"", s);
		tn_error_detail(err, "A file sent to tenant_migrations_load_files is named FILE.sql, DIALECT/FILE.sql for a dialect subfolder (postgres, postgresql, pg, sqlite, sqlite3, all, or another engine's, which is skipped), or MIGRATION/migration.sql, MIGRATION/up.sql, MIGRATION/down.sql for a folder per migration.");
		return TN_ERR_FORMAT;
	}
	for (k = 0; k < i; k++)
		if (names[k] != NULL && strcmp(names[k], name) == 0)
		{
			tn_error_set(err, TN_ERR_DUPLICATE, "migration file \"%s\" was sent twice", s);
			return TN_ERR_DUPLICATE;
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
	int			prisma;
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

	if (stat(path, &st) != 0)
		return tn_io_error(err, "open migration folder", path, errno);
	if (!S_ISDIR(st.st_mode))
	{
		char s[TN_SHOWN_BUF];

		tn_shown(path, s, sizeof(s));
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
					 "migration path \"%s\" is not a folder", s);
		tn_error_detail(err, "Migrations are loaded from a folder of .sql files.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	root = realpath(path, NULL);
	if (root == NULL)
		return tn_io_error(err, "resolve migration folder", path, errno);

	rc = list_folder(path, &names, &nnames, err);
	if (rc != TN_OK)
		goto done;
	for (i = 0; i < nnames; i++)
		if (strcmp(names[i], "sqitch.plan") == 0 || strcmp(names[i], "sqitch.conf") == 0)
			break;
	if (i < nnames)
	{
		/* a Sqitch project: the plan decides, the other files are its scripts */
		rc = tn_sqitch_load_folder(path, root, &parts, err);
		if (rc == TN_OK)
			rc = tn_parts_finish_set(&parts, out, err);
		goto done;
	}

	/* dialect subfolders: postgres/ (postgresql/, pg/), sqlite/, all/ */
	for (i = 0; i < nnames && rc == TN_OK; i++)
	{
		int	  d = tn_dialect_of(names[i], strlen(names[i]));
		char *sub;
		char *resolved;

		sub = tn_join_path(path, names[i]);
		if (sub == NULL)
		{
			rc = tn_parts_no_memory(err);
			break;
		}
		if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
		{
			free(sub);
			continue; /* a file named "all" is not a subfolder */
		}
		if (d >= 0 && !(d == TN_DIALECT_ALL || (dialect != TN_DIALECT_ALL && d == (int) dialect)))
		{
			parts.seen++;
			free(sub);
			continue; /* another dialect's folder is not read */
		}
		resolved = realpath(sub, NULL);
		if (resolved == NULL)
			rc = tn_io_error(err, "resolve migration folder", sub, errno);
		else if (!tn_path_inside(resolved, root))
			rc = tn_link_outside(err, sub);
		else if (d >= 0)
			rc = load_dir_files(sub, root, (tn_dialect) d, dialect, 0, &parts, err);
		else
			rc = load_migration_folder(sub, names[i], root, dialect, &parts, err);
		free(resolved);
		free(sub);
	}
	/*
	 * .sql files at the top level serve as if they were in all/; in a Prisma
	 * folder (it holds migration_lock.toml) Prisma reads migration folders
	 * only, and so does tenancy.
	 */
	prisma = 0;
	for (i = 0; i < nnames; i++)
		prisma |= strcmp(names[i], "migration_lock.toml") == 0;
	if (rc == TN_OK && !prisma)
		rc = load_dir_files(path, root, TN_DIALECT_ALL, dialect, 1, &parts, err);
	if (rc == TN_OK)
		rc = tn_liquibase_check_alone(&parts, path, err);
	if (rc == TN_OK && parts.seen == 0 && parts.liquibase_files == 0 && nnames > 0)
		rc = nothing_recognised(path, names, nnames, err);
	if (rc != TN_OK)
		goto done;

	rc = tn_parts_finish_set(&parts, out, err);

done:
	tn_parts_free(&parts);
	free_names(names, nnames);
	free(root);
	return rc;
}

/*
 * The files a client sent: each name is "FILE" or "DIALECT/FILE" (a dialect
 * subfolder), each body its bytes; the same steps as a folder's files.
 */
int
tn_load_files(size_t n, const char *const *names, const char *const *bodies,
			  const size_t *lens, tn_dialect dialect, tn_migration_set *out,
			  tn_error *err)
{
	tn_error  scratch;
	part_list parts;
	size_t	  i;
	int		  prisma = 0;
	int		  rc = TN_OK;

	if (err == NULL)
		err = &scratch;
	if (out)
		memset(out, 0, sizeof(*out));
	if (out == NULL)
		return tn_error_null_argument(err, "out");
	if (n > 0 && (names == NULL || bodies == NULL || lens == NULL))
		return tn_error_null_argument(err, names == NULL ? "names" : "bodies");
	memset(&parts, 0, sizeof(parts));
	for (i = 0; i < n; i++)
		if (names[i] != NULL && (strcmp(names[i], "sqitch.plan") == 0 || strcmp(names[i], "sqitch.conf") == 0))
		{
			/* a Sqitch project: its scripts are looked up by the plan's names */
			rc = tn_sqitch_load_sent(n, names, bodies, lens, &parts, err);
			if (rc == TN_OK)
				rc = tn_parts_finish_set(&parts, out, err);
			tn_parts_free(&parts);
			return rc;
		}
	for (i = 0; i < n; i++)
		prisma |= names[i] != NULL && strcmp(names[i], "migration_lock.toml") == 0;
	for (i = 0; i < n && rc == TN_OK; i++)
	{
		const char *name = names[i];
		const char *slash;
		char		folder[32] = "";
		int			d = TN_DIALECT_ALL;

		if (name == NULL || bodies[i] == NULL)
		{
			rc = tn_error_null_argument(err, name == NULL ? "names" : "bodies");
			break;
		}
		rc = check_sent_name(name, names, i, err);
		if (rc != TN_OK)
			break;
		slash = strchr(name, '/');
		if (slash != NULL)
		{
			size_t fl = (size_t) (slash - name);

			if (fl >= sizeof(folder))
				fl = sizeof(folder) - 1;
			memcpy(folder, name, fl);
			folder[fl] = '\0';
			d = tn_dialect_of(name, (size_t) (slash - name));
			if (d < 0)
			{
				/* a folder per migration: MIGRATION/migration.sql, up.sql, down.sql */
				char  as_name[TN_SHOWN_BUF];
				char *dir = tn_memdup(name, (size_t) (slash - name));
				int	  has_migration_sql = 0;

				if (dir == NULL)
				{
					rc = tn_parts_no_memory(err);
					break;
				}
				for (size_t k = 0; k < n; k++)
					has_migration_sql |= names[k] != NULL && strncmp(names[k], name, (size_t) (slash - name + 1)) == 0 &&
										 strcmp(names[k] + (slash - name + 1), "migration.sql") == 0;
				if (!(has_migration_sql && strcmp(slash + 1, "up.sql") == 0))
				{
					folder_file_name(dir, folder_file_direction(slash + 1), as_name, sizeof(as_name));
					rc = tn_parts_load_file(dir, slash + 1, as_name, NULL, bodies[i], lens[i], TN_DIALECT_ALL,
											dialect, &parts, err);
				}
				free(dir);
				continue;
			}
			if (!(d == TN_DIALECT_ALL || (dialect != TN_DIALECT_ALL && d == (int) dialect)))
				continue; /* another dialect's folder is not read */
		}
		if (!tn_has_sql_suffix(slash ? slash + 1 : name))
			continue; /* README.md, .txt notes, ... */
		if (slash == NULL && prisma)
			continue; /* Prisma reads migration folders only */
		if (slash == NULL)
		{
			int taken = 0;

			rc = tn_liquibase_try_sent(n, names, bodies, lens, i, dialect, &parts, &taken, err);
			if (rc != TN_OK || taken)
				continue;
		}
		rc = tn_parts_load_file(folder, slash ? slash + 1 : name, NULL, NULL, bodies[i], lens[i],
								(tn_dialect) d, dialect, &parts, err);
	}
	if (rc == TN_OK)
		rc = tn_liquibase_check_alone(&parts, NULL, err); /* the files sent */
	if (rc == TN_OK)
		rc = tn_parts_finish_set(&parts, out, err);
	tn_parts_free(&parts);
	return rc;
}
