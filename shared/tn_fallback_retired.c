/*
 * tn_fallback_retired.c -- the decisions of tenant_fallback_drop_retired:
 * which table a piece of the fallback's own bookkeeping belongs to (its
 * shadow table tenancy_fb_old_<t>, a set-aside shadow table
 * tenancy_fb_retired_<t>_<n>, its capture triggers tenancy_fb_{bin,ins,
 * upd,del}_<t>), and the refusal while a retired table still has changes
 * waiting to be pushed, in the same words on both engines.
 *
 * Must not: talk to a database or include a host header.
 */
#include <stdlib.h>
#include <string.h>

#include "tenancy.h"
#include "tn_internal.h"

static const char *const TRIGGER_PREFIX[] = { "tenancy_fb_bin_", "tenancy_fb_ins_", "tenancy_fb_upd_",
											  "tenancy_fb_del_" };

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *
copy_of(const char *s, size_t n)
{
	char *c = malloc(n + 1);

	if (c != NULL)
	{
		memcpy(c, s, n);
		c[n] = '\0';
	}
	return c;
}

int
tn_fb_bookkeeping_owner(const char *type, const char *name, char **table, int *set_aside)
{
	size_t i;

	*table = NULL;
	*set_aside = 0;
	if (type == NULL || name == NULL)
		return 0;
	if (strcmp(type, "table") == 0)
	{
		const char *rest;
		size_t		n;

		if (starts(name, "tenancy_fb_old_") && name[15] != '\0')
			return (*table = copy_of(name + 15, strlen(name + 15))) != NULL ? 1 : -1;
		if (!starts(name, "tenancy_fb_retired_"))
			return 0;
		/* tenancy_fb_retired_<t>_<n>: the table's name is all but the last _<digits> */
		rest = name + 19;
		n = strlen(rest);
		while (n > 0 && rest[n - 1] >= '0' && rest[n - 1] <= '9')
			n--;
		if (n == strlen(rest) || n < 2 || rest[n - 1] != '_')
			return 0;
		*set_aside = 1;
		return (*table = copy_of(rest, n - 1)) != NULL ? 1 : -1;
	}
	if (strcmp(type, "trigger") != 0)
		return 0;
	for (i = 0; i < sizeof(TRIGGER_PREFIX) / sizeof(TRIGGER_PREFIX[0]); i++)
		if (starts(name, TRIGGER_PREFIX[i]) && name[15] != '\0')
			return (*table = copy_of(name + 15, strlen(name + 15))) != NULL ? 1 : -1;
	return 0;
}

int
tn_fb_retired_waiting(const char *const *tables, const long long *waiting, size_t n, tn_error *err)
{
	tn_buf names = { 0 };
	tn_buf first = { 0 };
	size_t i;
	int	   rc = TN_OK;

	if (n == 0)
		return TN_OK;
	rc = tn_fb_quote_literal(tables[0], &first);
	for (i = 0; rc == TN_OK && i < n; i++)
		rc = tn_buf_printf(&names, "%s\"%s\" (%lld change%s)", i ? ", " : "", tables[i], waiting[i],
						   waiting[i] == 1 ? "" : "s");
	if (rc != TN_OK)
	{
		tn_buf_free(&names);
		tn_buf_free(&first);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	tn_error_set(err, TN_ERR_NOT_SUPPORTED,
				 "cannot drop the fallback's bookkeeping of %s with changes waiting to be pushed: %s",
				 n == 1 ? "a retired table" : "retired tables", names.data);
	tn_error_detail(err, "%s no longer in the fallback, but changes recorded while %s there have not reached the primary. Nothing was dropped.",
					n == 1 ? "The table is" : "The tables are", n == 1 ? "it was" : "they were");
	tn_error_hint(err, "Push them first (give the table its old name back, then SELECT * FROM tenant_fallback_push(primary)), or give them up: DELETE FROM tenancy_fallback_changes WHERE tbl = %s.",
				  first.data);
	tn_buf_free(&names);
	tn_buf_free(&first);
	return err->code;
}
