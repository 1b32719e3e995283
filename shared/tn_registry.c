/*
 * tn_registry.c -- rules shared by every registry host: the scope of a
 * migration set, where a tenant file may live, and the shape of one
 * fan-out result row.  No database access here.
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tn_internal.h"

int
tn_parse_scope(const char *scope, int *tenants, tn_error *err)
{
	*tenants = 0;
	if (scope == NULL || strcmp(scope, "database") == 0)
		return TN_OK;
	if (strcmp(scope, "tenants") == 0)
	{
		*tenants = 1;
		return TN_OK;
	}
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid scope \"%s\"", scope);
	tn_error_hint(err, "Use 'database' (this database's own migrations, the default) or 'tenants' "
				  "(the set the registry pushes to its tenants).");
	return TN_ERR_INVALID_ARGUMENT;
}

static int
path_inside(const char *dir, const char *path)
{
	size_t		n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return 1;
	return strncmp(dir, path, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

int
tn_validate_tenant_path(const char *registry_dir, const char *path,
						int must_exist, char **resolved, tn_error *err)
{
	char		dir_real[PATH_MAX];
	char		joined[PATH_MAX * 2];
	char		probe[PATH_MAX];
	char		parent_real[PATH_MAX];
	const char *p;
	const char *slash;
	struct stat sb;
	int			exists;

	*resolved = NULL;
	if (path == NULL)
		return tn_error_null_argument(err, "path");
	if (path[0] == '\0')
		return tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant path must not be empty");
	if (path[0] == '/')
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant path \"%s\" is absolute", path);
		tn_error_detail(err, "Tenant files live inside the registry's folder, named relative to it.");
		return TN_ERR_INVALID_ARGUMENT;
	}
	for (p = path; *p; p = slash + 1)
	{
		size_t		len;

		slash = strchr(p, '/');
		len = slash ? (size_t) (slash - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
		{
			tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant path \"%s\" leaves the registry folder", path);
			tn_error_detail(err, "Paths may not contain a \"..\" component.");
			return TN_ERR_INVALID_ARGUMENT;
		}
		if (slash == NULL)
			break;
	}
	if (strlen(path) >= PATH_MAX || realpath(registry_dir, dir_real) == NULL)
	{
		tn_error_set(err, TN_ERR_IO, "registry folder \"%s\" cannot be resolved", registry_dir);
		tn_error_detail(err, "%s.", strerror(errno));
		return TN_ERR_IO;
	}
	snprintf(joined, sizeof(joined), "%s/%s", dir_real, path);
	exists = lstat(joined, &sb) == 0;
	if (must_exist == 1 && !exists)
	{
		tn_error_set(err, TN_ERR_NOT_FOUND, "tenant file \"%s\" does not exist", path);
		tn_error_detail(err, "Looked for \"%s\".", joined);
		return TN_ERR_NOT_FOUND;
	}
	if (must_exist == 0 && exists)
	{
		tn_error_set(err, TN_ERR_EXISTS, "tenant file \"%s\" already exists", path);
		tn_error_detail(err, "A new tenant never takes over a file that is already there.");
		tn_error_hint(err, "Adopt it with tenant_register(name, path), or choose another path.");
		return TN_ERR_EXISTS;
	}
	if (exists)
	{
		/* follow symlinks all the way: the target must stay inside */
		if (realpath(joined, probe) == NULL || !path_inside(dir_real, probe))
		{
			tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant path \"%s\" leaves the registry folder", path);
			tn_error_detail(err, "It resolves to a place outside \"%s\".", dir_real);
			return TN_ERR_INVALID_ARGUMENT;
		}
		*resolved = tn_strdup(probe, err);
		return *resolved ? TN_OK : TN_ERR_NO_MEMORY;
	}
	/* a new file: its folder must exist and resolve inside */
	if (strlen(joined) >= sizeof(probe))
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant path \"%s\" is too long", path);
		tn_error_detail(err, "The full path may have at most %d bytes.", (int) sizeof(probe) - 1);
		return TN_ERR_INVALID_ARGUMENT;
	}
	memcpy(probe, joined, strlen(joined) + 1);
	{
		char	   *last = strrchr(probe, '/');

		*last = '\0';
		if (realpath(probe, parent_real) == NULL)
		{
			tn_error_set(err, TN_ERR_IO, "folder of tenant path \"%s\" does not exist", path);
			tn_error_detail(err, "%s.", strerror(errno));
			return TN_ERR_IO;
		}
		if (!path_inside(dir_real, parent_real))
		{
			tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant path \"%s\" leaves the registry folder", path);
			tn_error_detail(err, "Its folder resolves to a place outside \"%s\".", dir_real);
			return TN_ERR_INVALID_ARGUMENT;
		}
		snprintf(joined, sizeof(joined), "%s/%s", parent_real, last + 1);
	}
	*resolved = tn_strdup(joined, err);
	return *resolved ? TN_OK : TN_ERR_NO_MEMORY;
}

int
tn_fanout_row(tn_rows *out, const char *tenant, int rc,
			  const tn_migrate_result *res, const tn_error *err,
			  long long duration_ms)
{
	char		applied[32], ms[32];
	const char *row[8];
	char	   *message = NULL;

	snprintf(applied, sizeof(applied), "%lld", rc == TN_OK ? res->applied : 0LL);
	snprintf(ms, sizeof(ms), "%lld", duration_ms);
	row[0] = tenant;
	if (rc == TN_OK)
		row[1] = res->applied > 0 ? TN_FANOUT_APPLIED : TN_FANOUT_UP_TO_DATE;
	else if (rc == TN_ERR_UNREACHABLE || rc == TN_ERR_IO)
		row[1] = TN_FANOUT_UNREACHABLE;
	else
		row[1] = TN_FANOUT_FAILED;
	row[2] = res && res->from_version[0] ? res->from_version : NULL;
	row[3] = res && res->to_version[0] ? res->to_version : NULL;
	row[4] = applied;
	row[5] = ms;
	row[6] = rc != TN_OK ? (err->sqlstate[0] ? err->sqlstate : tn_code_sqlstate((tn_code) rc)) : NULL;
	if (rc != TN_OK)
	{
		message = tn_error_render(err);
		if (message == NULL)
			return TN_ERR_NO_MEMORY;
	}
	row[7] = message;
	rc = tn_rows_add(out, row);
	free(message);
	return rc;
}

long long
tn_set_count_newer(const tn_migration_set *set, const char *version)
{
	long long	n = 0;
	size_t		i;

	for (i = 0; i < set->count; i++)
		if (version == NULL || version[0] == '\0' ||
			tn_version_compare(set->items[i].version, version) > 0)
			n++;
	return n;
}
