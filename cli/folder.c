/*
 * folder.c -- read a migration folder on this machine into the two arrays
 * tenant_migrations_load_files takes: file names (with their first-level
 * subfolder, "sqlite/1_a.sql", "20230101_init/migration.sql"; every file of
 * a Sqitch project with its path, "db/deploy/users.sql") and bodies.  Only what the server cannot see
 * is checked here: files are read, symlinks must stay inside the folder,
 * bodies must be text.  Which files are migrations and how they pair up is
 * decided by the core on the server.
 *
 * Must not: parse file names or bodies; that would be a second copy of the
 * folder rules.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static int
ends_with_sql(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".sql") == 0;
}

static int
add_file(cli_files *f, const char *name, char *body)
{
	char **names = realloc(f->names, (f->count + 1) * sizeof(char *));
	char **bodies;

	if (names == NULL)
		return -1;
	f->names = names;
	bodies = realloc(f->bodies, (f->count + 1) * sizeof(char *));
	if (bodies == NULL)
		return -1;
	f->bodies = bodies;
	f->names[f->count] = strdup(name);
	f->bodies[f->count] = body;
	if (f->names[f->count] == NULL)
		return -1;
	f->count++;
	return 0;
}

static char *
read_file(const char *path, const char *shown, char *msg, size_t msgsize)
{
	FILE  *fp = fopen(path, "rb");
	char  *buf = NULL;
	size_t len = 0,
		   cap = 0,
		   got;

	if (fp == NULL)
	{
		snprintf(msg, msgsize, "could not read migration file \"%s\": %s", shown, strerror(errno));
		return NULL;
	}
	do
	{
		if (len + 65536 + 1 > cap)
		{
			char *nb;

			cap = cap * 2 + 65536 + 1;
			if ((nb = realloc(buf, cap)) == NULL)
			{
				free(buf);
				fclose(fp);
				snprintf(msg, msgsize, "out of memory");
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, 65536, fp);
		len += got;
	} while (got > 0);
	fclose(fp);
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL)
	{
		free(buf);
		snprintf(msg, msgsize, "migration file \"%s\" is not text (it contains a NUL byte)", shown);
		return NULL;
	}
	return buf;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Read the .sql files of dir/sub (sub may be ""), prefixing names with sub.
 * project: the folder is a Sqitch project (it holds sqitch.conf or
 * sqitch.plan): every file of it goes, at any depth up to CLI_PROJECT_DEPTH
 * (its sqitch.conf may put the plan and scripts anywhere inside, with any
 * ending; the core reads the conf), else .sql files and the first-level
 * subfolders only.
 */
#define CLI_PROJECT_DEPTH 8
static int
read_level(const char *root, const char *root_real, const char *sub, int depth, int project,
		   cli_files *out, char *msg, size_t msgsize)
{
	char		   path[PATH_MAX];
	DIR			  *d;
	struct dirent *e;
	char		 **entries = NULL;
	size_t		   n = 0;
	int			   rc = 0;

	snprintf(path, sizeof(path), "%s%s%s", root, sub[0] ? "/" : "", sub);
	if ((d = opendir(path)) == NULL)
	{
		snprintf(msg, msgsize, "could not open migration folder \"%s\": %s", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL)
	{
		char **grown;

		if (e->d_name[0] == '.')
			continue;
		if ((grown = realloc(entries, (n + 1) * sizeof(char *))) == NULL ||
			(grown[n] = strdup(e->d_name)) == NULL)
		{
			entries = grown != NULL ? grown : entries;
			rc = -1;
			snprintf(msg, msgsize, "out of memory");
			break;
		}
		entries = grown;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(entries, n, sizeof(char *), compare_names);
	for (size_t i = 0; rc == 0 && i < n; i++)
	{
		char file[PATH_MAX],
			shown[PATH_MAX],
			real[PATH_MAX];
		struct stat st;

		if (snprintf(file, sizeof(file), "%s/%s", path, entries[i]) >= (int) sizeof(file) ||
			snprintf(shown, sizeof(shown), "%s%s%s", sub, sub[0] ? "/" : "", entries[i]) >= (int) sizeof(shown))
		{
			snprintf(msg, msgsize, "path of migration file \"%s\" is too long", entries[i]);
			rc = -1;
			break;
		}
		if (stat(file, &st) != 0)
			continue; /* a dangling symlink is not a migration */
		if (S_ISDIR(st.st_mode))
		{
			/* every first-level subfolder goes: the core decides what it is (a dialect, a migration) */
			if (sub[0] == '\0' || (project && depth < CLI_PROJECT_DEPTH))
				rc = read_level(root, root_real, shown, depth + 1, project, out, msg, msgsize);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !(ends_with_sql(entries[i]) || project))
			continue;
		if (realpath(file, real) == NULL ||
			strncmp(real, root_real, strlen(root_real)) != 0 || real[strlen(root_real)] != '/')
		{
			snprintf(msg, msgsize, "migration file \"%s\" is a symlink that leaves the folder", shown);
			rc = -1;
		}
		else
		{
			char *body = read_file(file, shown, msg, msgsize);

			if (body == NULL || add_file(out, shown, body) != 0)
			{
				if (body != NULL)
				{
					free(body);
					snprintf(msg, msgsize, "out of memory");
				}
				rc = -1;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(entries[i]);
	free(entries);
	return rc;
}

/* Does dir hold a Sqitch project (sqitch.conf or sqitch.plan at its top)? */
static int
is_sqitch_project(const char *dir)
{
	char		path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/sqitch.conf", dir);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return 1;
	snprintf(path, sizeof(path), "%s/sqitch.plan", dir);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int
cli_read_folder(const char *dir, cli_files *out, char *msg, size_t msgsize)
{
	char root_real[PATH_MAX];

	memset(out, 0, sizeof(*out));
	if (realpath(dir, root_real) == NULL)
	{
		snprintf(msg, msgsize, "could not open migration folder \"%s\": %s", dir, strerror(errno));
		return -1;
	}
	if (read_level(dir, root_real, "", 0, is_sqitch_project(dir), out, msg, msgsize) != 0)
	{
		cli_files_free(out);
		return -1;
	}
	return 0;
}

void
cli_files_free(cli_files *f)
{
	for (size_t i = 0; i < f->count; i++)
	{
		free(f->names[i]);
		free(f->bodies[i]);
	}
	free(f->names);
	free(f->bodies);
	memset(f, 0, sizeof(*f));
}
