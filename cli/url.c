/*
 * url.c -- which database a command talks to: the -d option, else
 * TENANCY_DATABASE_URL, else DATABASE_URL, else sqlite:tenancy.db, and
 * whether that string names a PostgreSQL server or a SQLite file.
 *
 * Must not: open anything or print anything; the caller reports *why.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_URL "sqlite:tenancy.db"

static int
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A libpq key=value string starts with a keyword followed by '=' (spaces allowed). */
static int
looks_like_keyword_value(const char *s)
{
	const char *p = s;

	while (isspace((unsigned char) *p))
		p++;
	if (!isalpha((unsigned char) *p))
		return 0;
	while (isalnum((unsigned char) *p) || *p == '_')
		p++;
	while (isspace((unsigned char) *p))
		p++;
	return *p == '=';
}

static const char *
env_value(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

int
cli_resolve_target(const char *option, cli_target *out, const char **why)
{
	const char *url;
	const char *path;

	out->conninfo = NULL;
	if (option != NULL)
	{
		url = option;
		out->source = "-d";
	}
	else if ((url = env_value("TENANCY_DATABASE_URL")) != NULL)
		out->source = "TENANCY_DATABASE_URL";
	else if ((url = env_value("DATABASE_URL")) != NULL)
		out->source = "DATABASE_URL";
	else
	{
		url = DEFAULT_URL;
		out->source = "default";
	}
	if (url[0] == '\0')
	{
		*why = "the database URL is empty";
		return -1;
	}
	if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://") ||
		looks_like_keyword_value(url))
	{
		out->engine = CLI_POSTGRES;
		out->conninfo = strdup(url);
		return out->conninfo ? 0 : (*why = "out of memory", -1);
	}
	if (has_prefix(url, "sqlite3:"))
		path = url + 8;
	else if (has_prefix(url, "sqlite:"))
		path = url + 7;
	else if (strstr(url, "://") != NULL)
	{
		*why = "unknown database URL scheme (use postgres://, postgresql://, a libpq key=value string, sqlite:PATH or a file path)";
		return -1;
	}
	else
		path = url;
	/* sqlite://x.db and sqlite:///abs/x.db, as other tools write them */
	if (path[0] == '/' && path[1] == '/')
		path += 2;
	if (path[0] == '\0')
	{
		*why = "the SQLite URL names no file";
		return -1;
	}
	out->engine = CLI_SQLITE;
	out->conninfo = strdup(path);
	return out->conninfo ? 0 : (*why = "out of memory", -1);
}

void
cli_target_free(cli_target *t)
{
	free(t->conninfo);
	t->conninfo = NULL;
}
