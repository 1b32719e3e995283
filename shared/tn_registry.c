/*
 * tn_registry.c -- rules shared by every registry host: where a tenant
 * file may live, when one may be made, and the state tenants() shows for a
 * tenant.
 *
 * Must not: reach a database (the hosts read and write the registry), or
 * follow a symbolic link out of the registry folder.
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
		size_t len;

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
		if (realpath(joined, probe) == NULL || !tn_path_inside(probe, dir_real))
		{
			tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "tenant path \"%s\" leaves the registry folder", path);
			tn_error_detail(err, "It resolves to a place outside \"%s\".", dir_real);
			return TN_ERR_INVALID_ARGUMENT;
		}
		if (stat(probe, &sb) == 0 && S_ISDIR(sb.st_mode))
		{
			char message[TN_MESSAGE_MAX];

			/* one answer wherever the path is opened, not the engine's guess at it */
			snprintf(message, sizeof(message), "tenant file \"%s\" is a directory", path);
			return tn_error_storage(err, TN_FAULT_IS_DIRECTORY, message, probe);
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
		char *last = strrchr(probe, '/');

		*last = '\0';
		if (realpath(probe, parent_real) == NULL)
		{
			tn_error_set(err, TN_ERR_IO, "folder of tenant path \"%s\" does not exist", path);
			tn_error_detail(err, "%s.", strerror(errno));
			return TN_ERR_IO;
		}
		if (!tn_path_inside(parent_real, dir_real))
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

const char *
tn_tenant_state(const char *last_status, const char *last_error,
				long long pending)
{
	TN_ASSERT(pending >= 0);
	if (last_error != NULL)
	{
		if (last_status != NULL && strcmp(last_status, TN_FANOUT_UNREACHABLE) == 0)
			return TN_TENANT_UNREACHABLE;
		if (last_status != NULL && strcmp(last_status, TN_VERIFY_PROBLEMS) == 0)
			return TN_TENANT_PROBLEMS;
		return TN_TENANT_FAILED;
	}
	return pending > 0 ? TN_TENANT_BEHIND : TN_TENANT_UP_TO_DATE;
}

int
tn_registry_check_create_outside(int in_transaction, tn_error *err)
{
	if (!in_transaction)
		return TN_OK;
	tn_error_set(err, TN_ERR_NO_TRANSACTION, "tenant_create cannot run inside a transaction");
	tn_error_detail(err, "It makes the tenant's file, which a ROLLBACK of the transaction could not remove.");
	tn_error_hint(err, "Call tenant_create outside BEGIN ... COMMIT; tenant_drop(name, 'delete') undoes it.");
	return TN_ERR_NO_TRANSACTION;
}

int
tn_registry_scope_warning(const char *function, long long ntenants, tn_error *warn)
{
	if (ntenants <= 0)
		return 0;
	tn_error_set(warn, TN_OK, "%s() without a scope changes this database's own migrations, not its tenants'",
				 function);
	tn_error_detail(warn, "This database is a registry with %lld tenant%s; the default scope 'database' "
						  "adds to the migrations tenant_migrate() applies to the registry itself.",
					ntenants, ntenants == 1 ? "" : "s");
	tn_error_hint(warn, "Pass 'tenants' as the scope to change the set pushed to every tenant, "
						"or 'database' to say you mean this database.");
	return 1;
}

int
tn_registry_register_untracked(const char *name, const char *version, tn_error *err)
{
	tn_error cause = *err;

	tn_error_set(err, TN_ERR_NOT_SUPPORTED, "tenant \"%.128s\" cannot be registered: the tenancy extension could not be created in its database",
				 name ? name : "");
	if (cause.message[0])
		tn_error_detail(err, "Its server said: %s.%s%s", cause.message, cause.detail[0] ? " " : "", cause.detail);
	tn_error_hint(err, "Install tenancy %s on that server and run CREATE EXTENSION tenancy in the database as a superuser (a schema \"tenancy\" that is not the extension's must go first), then register it again.",
				  version ? version : "");
	return TN_ERR_NOT_SUPPORTED;
}

int
tn_registry_delete_refused(const char *name, const char *database, tn_error *err)
{
	tn_error cause = *err;

	tn_error_set(err, cause.code == TN_ERR_PERMISSION || strcmp(cause.sqlstate, "42501") == 0 ? TN_ERR_PERMISSION : TN_ERR_ENGINE,
				 "database \"%.128s\" of tenant \"%.128s\" cannot be deleted", database ? database : "",
				 name ? name : "");
	if (err->code == TN_ERR_ENGINE)
		memcpy(err->sqlstate, cause.sqlstate, sizeof(err->sqlstate));
	if (cause.message[0])
		tn_error_detail(err, "Its server said: %s.%s%s", cause.message, cause.detail[0] ? " " : "", cause.detail);
	tn_error_hint(err, "Nothing was changed. tenant_drop('%.128s', 'keep') unregisters it and leaves its database as it is.",
				  name ? name : "");
	return err->code;
}
