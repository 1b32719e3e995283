/*
 * newfile.c -- "tenancy new NAME": write the next migration's file(s) in the
 * style the folder already uses, named exactly as the tool of that style
 * writes them:
 *   flyway          V<n>__<name>.sql                       (next number)
 *   golang-migrate  <n>_<name>.up.sql + <n>_<name>.down.sql (number or UTC timestamp, as there)
 *   dbmate          <YYYYMMDDHHMMSS>_<name>.sql with "-- migrate:up" / "-- migrate:down"
 * Versions of existing files are read with the core's file-name parser, so
 * "next" means what the loader will order after them.
 *
 * Must not: touch a database or overwrite a file (files are created with O_EXCL).
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

typedef enum style
{
	STYLE_NONE,
	STYLE_FLYWAY,
	STYLE_GOLANG,
	STYLE_DBMATE
} style;

static const char *const style_names[] = { "", "flyway", "golang-migrate", "dbmate" };

typedef struct folder_scan
{
	style  style;
	char   max_version[TN_MAX_VERSION_LEN + 1];
	size_t width; /* digits of the newest version as written (zero padding) */
} folder_scan;

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s),
		   k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
file_has_dbmate_marker(const char *path)
{
	FILE *fp = fopen(path, "r");
	char  line[256];
	int	  found = 0;

	if (fp == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = strncmp(line, "-- migrate:up", 13) == 0;
	fclose(fp);
	return found;
}

/* The style and newest version of the .sql files in dir (a missing dir is empty). */
static void
scan_folder(const char *dir, folder_scan *scan)
{
	DIR			  *d = opendir(dir);
	struct dirent *e;

	memset(scan, 0, sizeof(*scan));
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
	{
		char *version = NULL,
			 *name = NULL;
		tn_dialect dialect;
		int		   direction;
		tn_error   err;
		style	   s;
		char	   path[PATH_MAX];

		if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".sql"))
			continue;
		if (tn_parse_filename(e->d_name, &version, &name, &dialect, &direction, &err) != TN_OK)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_name[0] == 'V' || e->d_name[0] == 'v')
			s = STYLE_FLYWAY;
		else if (has_suffix(e->d_name, ".up.sql") || has_suffix(e->d_name, ".down.sql"))
			s = STYLE_GOLANG;
		else if (file_has_dbmate_marker(path))
			s = STYLE_DBMATE;
		else
			s = STYLE_NONE;
		if (scan->style == STYLE_NONE)
			scan->style = s;
		if (scan->max_version[0] == '\0' || tn_version_compare(version, scan->max_version) > 0)
		{
			const char *p = e->d_name + (e->d_name[0] == 'V' || e->d_name[0] == 'v');

			snprintf(scan->max_version, sizeof(scan->max_version), "%s", version);
			scan->width = strspn(p, "0123456789");
		}
		free(version);
		free(name);
	}
	closedir(d);
}

/* A number one more than the all-digit string v (any length). */
static void
increment_digits(const char *v, size_t width, char *out, size_t size)
{
	char   buf[TN_MAX_VERSION_LEN + 2];
	size_t n = strlen(v);
	int	   carry = 1;

	buf[n + 1] = '\0';
	for (size_t i = n; i > 0; i--)
	{
		int d = v[i - 1] - '0' + carry;

		carry = d / 10;
		buf[i] = (char) ('0' + d % 10);
	}
	buf[0] = carry ? '1' : '0';
	{
		const char *p = buf;

		while (p[0] == '0' && p[1] != '\0')
			p++;
		size_t len = strlen(p);
		size_t zeros = width > len ? width - len : 0;

		if (zeros + len + 1 > size)
			zeros = 0;
		memset(out, '0', zeros);
		snprintf(out + zeros, size - zeros, "%s", p);
	}
}

static int
all_digits(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* The next version: a UTC timestamp when the folder uses them (or for an empty dbmate/golang folder), else the next number. */
static void
next_version(const folder_scan *scan, style s, char *out, size_t size)
{
	int timestamps = scan->max_version[0] == '\0' ? (s == STYLE_DBMATE || s == STYLE_GOLANG)
												  : strlen(scan->max_version) == 14 && all_digits(scan->max_version);

	if (timestamps)
	{
		time_t		now = time(NULL);
		struct tm	tm;
		const char *fake = getenv("TENANCY_NOW"); /* tests: a fixed clock */

		gmtime_r(&now, &tm);
		if (fake != NULL && strlen(fake) == 14)
			snprintf(out, size, "%s", fake);
		else
			strftime(out, size, "%Y%m%d%H%M%S", &tm);
		if (scan->max_version[0] != '\0' && tn_version_compare(out, scan->max_version) <= 0)
			increment_digits(scan->max_version, 14, out, size);
		return;
	}
	if (scan->max_version[0] == '\0')
	{
		snprintf(out, size, "%s", s == STYLE_GOLANG ? "000001" : "1");
		return;
	}
	if (all_digits(scan->max_version))
	{
		increment_digits(scan->max_version, scan->width, out, size);
		return;
	}
	/* dotted or underscored (Flyway V1.2): bump the last component */
	{
		char		head[TN_MAX_VERSION_LEN + 1];
		const char *last = scan->max_version + strcspn(scan->max_version, "._");
		const char *p;

		for (p = scan->max_version; *p; p++)
			if (*p == '.' || *p == '_')
				last = p + 1;
		snprintf(head, sizeof(head), "%.*s", (int) (last - scan->max_version), scan->max_version);
		increment_digits(last, 0, out, size);
		{
			char tail[TN_MAX_VERSION_LEN + 2];

			snprintf(tail, sizeof(tail), "%s", out);
			if (snprintf(out, size, "%s%s", head, tail) >= (int) size)
				out[0] = '\0'; /* cannot happen: both parts fit a version */
		}
	}
}

static int
write_new_file(const char *path, const char *content)
{
	int	   fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	size_t n = strlen(content);

	if (fd < 0)
		return -1;
	if (n > 0 && write(fd, content, n) != (ssize_t) n)
	{
		close(fd);
		return -1;
	}
	return close(fd);
}

static int
new_usage(const char *why, const char *what)
{
	fprintf(stderr, "tenancy new: ");
	fprintf(stderr, why, what);
	fprintf(stderr, "\nusage: tenancy new NAME [--dir DIR] [--format flyway|golang-migrate|dbmate] [--json]\n");
	return CLI_EXIT_USAGE;
}

int
cli_new(int argc, char **argv, int json)
{
	const char *name = NULL,
			   *dir = "migrations",
			   *format = NULL;
	char		desc[TN_MAX_NAME_LEN + 1];
	char		version[TN_MAX_VERSION_LEN + 2];
	char		paths[2][PATH_MAX];
	int			nfiles = 0;
	folder_scan scan;
	style		s = STYLE_NONE;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
		{
			printf("usage: tenancy new NAME [--dir DIR] [--format flyway|golang-migrate|dbmate] [--json]\n\n"
				   "Writes the next migration's file(s) in the folder's existing style (next number, or a UTC\n"
				   "timestamp when the folder uses them).  No database is opened.\n\n"
				   "arguments:\n"
				   "  %-24s %s\n  %-24s %s\n  %-24s %s\n  %-24s %s\n",
				   "NAME", "what the migration does (letters, digits, '_'; other characters become '_')",
				   "--dir DIR", "the migration folder (default: migrations; created if missing)",
				   "--format FORMAT", "flyway, golang-migrate or dbmate (default: the folder's style, flyway when empty)",
				   "--json", "print {\"version\": ..., \"files\": [...]}");
			return CLI_EXIT_OK;
		}
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if ((strcmp(argv[i], "--dir") == 0 || strcmp(argv[i], "--format") == 0) && i + 1 < argc)
		{
			if (strcmp(argv[i], "--dir") == 0)
				dir = argv[++i];
			else
				format = argv[++i];
		}
		else if (strncmp(argv[i], "--dir=", 6) == 0)
			dir = argv[i] + 6;
		else if (strncmp(argv[i], "--format=", 9) == 0)
			format = argv[i] + 9;
		else if (argv[i][0] == '-')
			return new_usage("unknown option \"%s\"", argv[i]);
		else if (name == NULL)
			name = argv[i];
		else
			return new_usage("unexpected argument \"%s\"", argv[i]);
	}
	if (name == NULL || name[0] == '\0')
		return new_usage("missing argument %s", "NAME");
	if (format != NULL)
	{
		for (int k = STYLE_FLYWAY; k <= STYLE_DBMATE; k++)
			if (strcmp(format, style_names[k]) == 0)
				s = (style) k;
		if (s == STYLE_NONE)
			return new_usage("unknown format \"%s\" (use flyway, golang-migrate or dbmate)", format);
	}

	/* the description as the tools write it: spaces and punctuation become '_' */
	{
		size_t k = 0;

		for (const char *p = name; *p && k < sizeof(desc) - 1; p++)
		{
			char ch = *p;

			desc[k++] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
								(ch >= '0' && ch <= '9') || ch == '_'
							? ch
							: '_';
		}
		desc[k] = '\0';
	}

	scan_folder(dir, &scan);
	if (s == STYLE_NONE)
		s = scan.style != STYLE_NONE ? scan.style : STYLE_FLYWAY;
	next_version(&scan, s, version, sizeof(version));
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
	{
		fprintf(stderr, "ERROR:  could not create migration folder \"%s\": %s\nSQLSTATE:  58030\n", dir, strerror(errno));
		return CLI_EXIT_REFUSED;
	}
	switch (s)
	{
		case STYLE_GOLANG:
			snprintf(paths[0], sizeof(paths[0]), "%s/%s_%s.up.sql", dir, version, desc);
			snprintf(paths[1], sizeof(paths[1]), "%s/%s_%s.down.sql", dir, version, desc);
			nfiles = 2;
			break;
		case STYLE_DBMATE:
			snprintf(paths[0], sizeof(paths[0]), "%s/%s_%s.sql", dir, version, desc);
			nfiles = 1;
			break;
		default:
			snprintf(paths[0], sizeof(paths[0]), "%s/V%s__%s.sql", dir, version, desc);
			nfiles = 1;
			break;
	}
	for (int k = 0; k < nfiles; k++)
	{
		const char *content = s == STYLE_DBMATE ? "-- migrate:up\n\n\n-- migrate:down\n\n" : "";

		if (write_new_file(paths[k], content) != 0)
		{
			fprintf(stderr, "ERROR:  could not create migration file \"%s\": %s\nSQLSTATE:  %s\n",
					paths[k], strerror(errno), errno == EEXIST ? "42710" : "58030");
			for (int j = 0; j < k; j++)
				unlink(paths[j]);
			return CLI_EXIT_REFUSED;
		}
	}
	if (json)
	{
		tn_buf b = { 0 };

		tn_buf_append(&b, "{\"version\": ", 12);
		cli_json_string(&b, version);
		tn_buf_append(&b, ", \"format\": ", 12);
		cli_json_string(&b, style_names[s]);
		tn_buf_append(&b, ", \"files\": [", 12);
		for (int k = 0; k < nfiles; k++)
		{
			if (k > 0)
				tn_buf_append(&b, ", ", 2);
			cli_json_string(&b, paths[k]);
		}
		tn_buf_append(&b, "]}\n", 3);
		fputs(b.data, stdout);
		tn_buf_free(&b);
	}
	else
		for (int k = 0; k < nfiles; k++)
			printf("created %s\n", paths[k]);
	return CLI_EXIT_OK;
}
