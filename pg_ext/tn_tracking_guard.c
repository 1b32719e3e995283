/*
 * tn_tracking_guard.c -- a schema tenant's tracking tables are tenancy's,
 * checked before every use (issue 7, finding 3; SECURITY.md promise 2).
 *
 * A schema tenant keeps <schema>.tenancy_catalog, tenancy_applied,
 * tenancy_history and tenancy_checkpoints in its own schema, and whoever
 * owns that schema can drop them and put a view (calling a function of
 * its own) or a table with triggers in their place; tenancy reading them
 * ran that code with the caller's rights.  Before tenancy touches them,
 * each that exists must be an ordinary table owned by a superuser or by
 * the current user: only such an owner can give a table rules, triggers,
 * policies or defaults, so nothing in it runs someone else's code.
 *
 * Must not: create, alter or read the tables (only the catalog entries).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "spi_adapter.h"

void
tn_pg_check_tracking_tables(const char *schema)
{
	static const char *const names[] = {
		"tenancy_catalog", "tenancy_applied", "tenancy_history", "tenancy_checkpoints", NULL
	};
	Oid nsp = get_namespace_oid(schema, true);

	if (!OidIsValid(nsp))
		return; /* nothing there yet: tenancy creates them */
	for (const char *const *n = names; *n; n++)
	{
		Oid			  relid = get_relname_relid(*n, nsp);
		HeapTuple	  tp;
		Form_pg_class rel;
		bool		  ok;
		char		  relkind;
		Oid			  owner;

		if (!OidIsValid(relid))
			continue;
		tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		if (!HeapTupleIsValid(tp))
			continue;
		rel = (Form_pg_class) GETSTRUCT(tp);
		relkind = rel->relkind;
		owner = rel->relowner;
		ReleaseSysCache(tp);
		ok = relkind == RELKIND_RELATION && (superuser_arg(owner) || owner == GetUserId());
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tracking table \"%s.%s\" of schema tenant \"%s\" is not tenancy's", schema, *n, schema),
					 errdetail(relkind != RELKIND_RELATION
								   ? "It is not an ordinary table; reading it could run code of whoever made it with your rights."
								   : "It is owned by role \"%s\", who could make reading or writing it run code of theirs with your rights.",
							   GetUserNameFromId(owner, true) ? GetUserNameFromId(owner, true) : "?"),
					 errhint("Drop it (a superuser or its owner) so tenancy can create its own, or register the schema as a superuser after checking it.")));
	}
}
