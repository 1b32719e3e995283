/*
 * tn_body_guard.c -- whose rights a fan-out's migration bodies run with in
 * a tenant, and which schemas they may resolve names in (issue 7, finding
 * 4; SECURITY.md promise 2).
 *
 * In a tenant, the owner of the tenant (the schema's owner for a schema
 * tenant, the database's owner otherwise) controls the search_path the
 * bodies see (ALTER DATABASE ... SET, objects in its schemas).  So bodies
 * run as that owner (SECURITY_LOCAL_USERID_CHANGE: no SET ROLE out of
 * it); when the owner is a superuser or the caller itself, nothing
 * changes.  And before they run, every schema of their search_path (but
 * pg_catalog) must be owned by a superuser or that owner and give CREATE
 * to nobody else: a role with CREATE there could shadow lower() or "="
 * for everyone the bodies run as (PostgreSQL's CVE-2018-1058 advice).
 * The administrator's opt-in is ownership: make a trusted role (or a
 * superuser) the tenant's owner.
 *
 * No-transaction statements are sent to a tenant as they are, as the
 * connected role: they cannot be moved into the owner's rights (SET ROLE
 * is no boundary: code the owner controls can RESET it), so the tenant
 * side takes them only where that owner is a superuser or the connected
 * role itself, and in trusted schemas (tn_pg_guard_raw_session).
 *
 * Must not: run a body, or change the session's search_path.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "spi_adapter.h"

void
tn_pg_adapter_bodies_as_owner(tn_pg_adapter_ctx *ctx, const char *schema)
{
	Oid		  owner = InvalidOid;
	HeapTuple tp;

	if (schema != NULL)
	{
		Oid nsp = get_namespace_oid(schema, true);

		if (OidIsValid(nsp) && HeapTupleIsValid(tp = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp))))
		{
			owner = ((Form_pg_namespace) GETSTRUCT(tp))->nspowner;
			ReleaseSysCache(tp);
		}
	}
	else if (HeapTupleIsValid(tp = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(MyDatabaseId))))
	{
		owner = ((Form_pg_database) GETSTRUCT(tp))->datdba;
		ReleaseSysCache(tp);
	}
	ctx->check_body_path = true;
	ctx->body_user = (!OidIsValid(owner) || superuser_arg(owner) || owner == GetUserId())
						 ? InvalidOid
						 : owner;
}

/* The database's owner: whom pg_database_owner (public's owner since 15) stands for. */
static Oid
database_owner(void)
{
	HeapTuple tp = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(MyDatabaseId));
	Oid		  owner = InvalidOid;

	if (HeapTupleIsValid(tp))
	{
		owner = ((Form_pg_database) GETSTRUCT(tp))->datdba;
		ReleaseSysCache(tp);
	}
	return owner;
}

/* A superuser or the role the bodies run as (PUBLIC is neither). */
static bool
trusted_role(Oid role, Oid user)
{
	return role != ACL_ID_PUBLIC && (role == user || superuser_arg(role));
}

/*
 * Is schema nsp untrusted for bodies running as user: owned by someone
 * other than a superuser or user, or giving CREATE to such a role (or to
 * PUBLIC) other than its owner?  pg_database_owner stands for the
 * database's owner.  Read from the syscache: no statement is planned per
 * body (it was a catalog query per body before; issue 14).
 */
static bool
untrusted_schema(Oid nsp, Oid user, char **name)
{
	HeapTuple tp = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid		  owner;
	Datum	  acl_datum;
	bool	  isnull;
	bool	  untrusted;

	if (!HeapTupleIsValid(tp))
		return false; /* dropped meanwhile: nothing resolves there */
	owner = ((Form_pg_namespace) GETSTRUCT(tp))->nspowner;
	if (owner == ROLE_PG_DATABASE_OWNER)
		owner = database_owner();
	untrusted = !trusted_role(owner, user);
	acl_datum = SysCacheGetAttr(NAMESPACEOID, tp, Anum_pg_namespace_nspacl, &isnull);
	if (!untrusted && !isnull)
	{
		Acl		*acl = DatumGetAclP(acl_datum);
		AclItem *items = ACL_DAT(acl);

		for (int i = 0; i < ACL_NUM(acl) && !untrusted; i++)
		{
			Oid grantee = items[i].ai_grantee;
			Oid who = grantee == ROLE_PG_DATABASE_OWNER ? owner : grantee;

			if ((ACLITEM_GET_PRIVS(items[i]) & ACL_CREATE) && grantee != owner && !trusted_role(who, user))
				untrusted = true;
		}
	}
	if (untrusted)
		*name = pstrdup(NameStr(((Form_pg_namespace) GETSTRUCT(tp))->nspname));
	ReleaseSysCache(tp);
	return untrusted;
}

void
tn_pg_check_body_path(const tn_pg_adapter_ctx *ctx)
{
	List	 *path = fetch_search_path(false);
	Oid		  user = OidIsValid(ctx->body_user) ? ctx->body_user : GetUserId();
	ListCell *lc;
	char	 *nsp = NULL;

	foreach (lc, path)
	{
		Oid oid = lfirst_oid(lc);

		if (oid == PG_CATALOG_NAMESPACE || isTempOrTempToastNamespace(oid))
			continue;
		if (untrusted_schema(oid, user, &nsp))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("schema \"%s\" of the search_path of the tenant's migrations is not trusted", nsp),
					 errdetail("Someone other than the tenant's owner (%s) or a superuser owns it or may create objects in it, "
							   "so a function or operator there could shadow the one a migration means and run with its rights.",
							   GetUserNameFromId(user, true) ? GetUserNameFromId(user, true) : "?"),
					 errhint("REVOKE CREATE ON SCHEMA %s from the other roles, or take it out of the tenant's search_path.",
							 quote_identifier(nsp))));
	}
	list_free(path);
}

void
tn_pg_guard_raw_session(const tn_pg_adapter_ctx *ctx)
{
	int nest;

	if (OidIsValid(ctx->body_user))
	{
		const char *owner = GetUserNameFromId(ctx->body_user, true);
		const char *me = GetUserNameFromId(GetUserId(), true);

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("no-transaction migrations do not run in a tenant owned by role \"%s\"", owner ? owner : "?"),
				 errdetail("Their statements are sent as they are and run with the rights of %s, not the tenant owner's, "
						   "so code the owner controls would run with those rights.",
						   me ? me : "the connected role"),
				 errhint("Make a superuser or the connecting role the tenant's owner, or apply that migration in the tenant as its owner.")));
	}
	/* the schemas their names resolve in: the path they will run with */
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", ctx->caller_search_path ? ctx->caller_search_path : "",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	PG_TRY();
	{
		tn_pg_check_body_path(ctx);
	}
	PG_FINALLY();
	{
		AtEOXact_GUC(true, nest);
	}
	PG_END_TRY();
}
