/*
 * tn_citus.c -- tenancy's decisions about schema tenants on Citus
 * (tn_citus.h): the placement word, whether to distribute, the
 * half-distributed state and its wording, the atomic refusal, and shard
 * names turned back into the user's names.
 *
 * Must not: include a host header, query anything, or keep memory after
 * returning (except the strings it hands back).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

int
tn_citus_parse_placement(const char *text, tn_placement *out, tn_error *err)
{
	const char *colon;
	char	   *end;
	long		port;
	size_t		hostlen;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
	{
		out->kind = TN_PLACE_FOLLOW;
		return TN_OK;
	}
	if (strcmp(text, "local") == 0)
	{
		out->kind = TN_PLACE_LOCAL;
		return TN_OK;
	}
	if (strcmp(text, "distributed") == 0)
	{
		out->kind = TN_PLACE_ANY;
		return TN_OK;
	}
	colon = strrchr(text, ':');
	if (colon != NULL && colon > text && colon[1] != '\0')
	{
		port = strtol(colon + 1, &end, 10);
		hostlen = (size_t) (colon - text);
		if (*end == '\0' && isdigit((unsigned char) colon[1]) && port > 0 && port <= 65535 &&
			hostlen < sizeof(out->host))
		{
			out->kind = TN_PLACE_NODE;
			memcpy(out->host, text, hostlen);
			out->host[hostlen] = '\0';
			out->port = (int) port;
			return TN_OK;
		}
	}
	tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid placement \"%s\"", text);
	tn_error_detail(err, "A schema tenant's placement is 'local', 'distributed' or a Citus worker as 'host:port'.");
	tn_error_hint(err, "Leave it NULL to follow citus.enable_schema_based_sharding.");
	return err->code;
}

int
tn_citus_decide(const tn_placement *p, int citus_present, int sharding_on,
				int *distribute, tn_error *err)
{
	*distribute = 0;
	switch (p->kind)
	{
		case TN_PLACE_LOCAL:
			return TN_OK;
		case TN_PLACE_FOLLOW:
			*distribute = citus_present && sharding_on;
			return TN_OK;
		case TN_PLACE_ANY:
		case TN_PLACE_NODE:
			break;
	}
	if (!citus_present)
	{
		tn_error_set(err, TN_ERR_NOT_SUPPORTED, "placement needs the citus extension");
		tn_error_detail(err, "A schema tenant is placed on a worker by Citus's schema-based sharding, and the tenant's database has no citus extension.");
		tn_error_hint(err, "CREATE EXTENSION citus there, or leave the placement NULL.");
		return err->code;
	}
	*distribute = 1;
	return TN_OK;
}

tn_citus_state
tn_citus_schema_state(int registered, long tables, long in_group)
{
	if (!registered)
		return TN_CITUS_LOCAL;
	return in_group < tables ? TN_CITUS_HALF : TN_CITUS_DISTRIBUTED;
}

const char *
tn_citus_state_name(tn_citus_state s)
{
	switch (s)
	{
		case TN_CITUS_LOCAL:
			return "local";
		case TN_CITUS_DISTRIBUTED:
			return "distributed";
		case TN_CITUS_HALF:
			return "half-distributed";
	}
	return "local";
}

int
tn_citus_refuse_half(const char *tenant, long missing, const char *first_local,
					 tn_error *err)
{
	tn_error_set(err, TN_ERR_NOT_SUPPORTED, "schema tenant \"%s\" is half-distributed", tenant);
	tn_error_detail(err, "Citus registered the schema as distributed, but %ld of its tables (\"%s\" first) are local to the coordinator; a migration would add more, and their foreign keys would point at empty shells.",
					missing, first_local ? first_local : "?");
	tn_error_hint(err, "Repair it with tenant_distribute('%s'), then migrate again.", tenant);
	return err->code;
}

int
tn_citus_verify_note(const char *tenant, long missing, const char *names,
					 const char *old_problems, const char *old_detail,
					 const char **status, char **problems, char **detail,
					 tn_error *err)
{
	tn_buf p = { 0 }, d = { 0 };
	int	   rc;

	*status = TN_VERIFY_PROBLEMS;
	*problems = NULL;
	*detail = NULL;
	rc = tn_buf_printf(&p, "%lld", (old_problems ? atoll(old_problems) : 0) + 1);
	if (rc == TN_OK && old_detail && old_detail[0])
		rc = tn_buf_printf(&d, "%s; ", old_detail);
	if (rc == TN_OK)
		rc = tn_buf_printf(&d, "half-distributed on Citus: %ld table(s) local to the coordinator (%s); repair with tenant_distribute('%s')",
						   missing, names ? names : "", tenant);
	if (rc != TN_OK)
	{
		tn_buf_free(&p);
		tn_buf_free(&d);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	*problems = p.data;
	*detail = d.data;
	return TN_OK;
}

int
tn_citus_refuse_atomic(const char *tenant, tn_error *err)
{
	tn_error_set(err, TN_ERR_NOT_SUPPORTED, "tenant \"%s\" is a distributed schema on Citus", tenant);
	tn_error_detail(err, "tenant_migrate_all_atomic() prepares one transaction per tenant, and Citus cannot prepare a transaction that spans the coordinator and a worker. Nothing was changed.");
	tn_error_hint(err, "Use tenant_migrate_all(): each schema tenant migrates in one distributed transaction, all or nothing per tenant.");
	return err->code;
}

static int
is_ident_char(char c)
{
	return isalnum((unsigned char) c) || c == '_' || (unsigned char) c >= 0x80;
}

char *
tn_citus_unshard(const char *text, const long long *ids, size_t n)
{
	tn_buf out = { 0 };
	size_t i = 0, len;

	if (text == NULL)
		return NULL;
	len = strlen(text);
	while (i < len)
	{
		/* "_<digits>" after an identifier character, not followed by one */
		if (text[i] == '_' && i > 0 && is_ident_char(text[i - 1]) && isdigit((unsigned char) text[i + 1]))
		{
			size_t j = i + 1;

			while (j < len && isdigit((unsigned char) text[j]))
				j++;
			if (j == len || !is_ident_char(text[j]))
			{
				long long id = atoll(text + i + 1);
				size_t	  k;

				for (k = 0; k < n && ids[k] != id; k++)
					;
				if (k < n)
				{
					i = j; /* drop "_<shardid>" */
					continue;
				}
			}
			if (tn_buf_append(&out, text + i, j - i) != TN_OK)
				goto oom;
			i = j;
			continue;
		}
		if (tn_buf_append(&out, text + i, 1) != TN_OK)
			goto oom;
		i++;
	}
	if (out.data == NULL && tn_buf_append(&out, "", 0) != TN_OK)
		goto oom;
	return out.data;
oom:
	tn_buf_free(&out);
	return NULL;
}
